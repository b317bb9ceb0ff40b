package stack

import (
	"strings"
	"testing"
)

// A custom domain: the API is mapped on it, links and pages follow it
// (PUBLIC_BASE_URL), and with a hosted zone the stack validates the
// certificate by DNS and writes the alias; without one it uses the given
// certificate and names the target for the operator's CNAME.
func TestCustomDomain(t *testing.T) {
	for _, c := range []struct {
		name string
		ctx  map[string]any
		zone bool
	}{
		{"certificate", map[string]any{"domainName": "pay.shop.example", "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}, false},
		{"hosted zone", map[string]any{"domainName": "pay.shop.example", "hostedZoneId": "Z0123456789ABC", "hostedZoneName": "shop.example"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, doc := synthProps(t, contextProps(t, "prod", c.ctx))
			count := checkDomainResources(t, doc, c.zone)
			want := map[string]int{"AWS::ApiGatewayV2::DomainName": 1, "AWS::ApiGatewayV2::ApiMapping": 1, "AWS::CertificateManager::Certificate": 0, "AWS::Route53::RecordSet": 0}
			if c.zone {
				want["AWS::CertificateManager::Certificate"], want["AWS::Route53::RecordSet"] = 1, 1
			}
			for typ, n := range want {
				if count[typ] != n {
					t.Errorf("%d %s, want %d", count[typ], typ, n)
				}
			}
			for name, f := range functionsOf(t, doc) {
				if v, ok := f.env["PUBLIC_BASE_URL"]; ok && v != "https://pay.shop.example" {
					t.Errorf("%s PUBLIC_BASE_URL %v", name, v)
				}
			}
			if _, ok := doc.Outputs["DomainTarget"]; !ok {
				t.Error("no DomainTarget output")
			}
		})
	}
}

// checkDomainResources checks the domain's resources and counts them by type.
func checkDomainResources(t *testing.T, doc stackDoc, zone bool) map[string]int {
	t.Helper()
	count := map[string]int{}
	for _, r := range doc.Resources {
		count[r.Type]++
		switch r.Type {
		case "AWS::ApiGatewayV2::DomainName":
			if r.Properties["DomainName"] != "pay.shop.example" || !strings.Contains(jsonOf(r.Properties), "TLS_1_2") {
				t.Errorf("domain %s", jsonOf(r.Properties))
			}
			if !zone && !strings.Contains(jsonOf(r.Properties), "arn:aws:acm:eu-west-1:123456789012:certificate/abc") {
				t.Errorf("certificate not used: %s", jsonOf(r.Properties))
			}
		case "AWS::CertificateManager::Certificate":
			if !strings.Contains(jsonOf(r.Properties), `"ValidationMethod":"DNS"`) || !strings.Contains(jsonOf(r.Properties), "Z0123456789ABC") {
				t.Errorf("certificate %s", jsonOf(r.Properties))
			}
		case "AWS::Route53::RecordSet":
			if r.Properties["Name"] != "pay.shop.example." || r.Properties["Type"] != "A" {
				t.Errorf("record %s", jsonOf(r.Properties))
			}
		}
	}
	return count
}

func TestCustomDomainRefusals(t *testing.T) {
	for _, ctx := range []map[string]any{
		{"domainName": "pay.shop.example"}, // no certificate, no zone
		{"domainName": "https://pay.shop.example", "certificateArn": "arn:aws:acm:eu-west-1:1:certificate/a"},
		{"domainName": "pay.shop.example", "certificateArn": "not-an-arn"},
		{"domainName": "pay.shop.example", "hostedZoneId": "Z1"},                                    // no zone name
		{"domainName": "pay.other.example", "hostedZoneId": "Z1", "hostedZoneName": "shop.example"}, // not in the zone
		{"certificateArn": "arn:aws:acm:eu-west-1:1:certificate/a"},                                 // no domain
	} {
		lookup := func(k string) any {
			if v, ok := ctx[k]; ok {
				return v
			}
			return map[string]any{"rateLimit": map[string]any{"perSecond": 25, "burst": 50}, "throttling": map[string]any{"default": map[string]any{"rate": 100, "burst": 200}}}[k]
		}
		if _, err := FromContext(lookup); err == nil {
			t.Errorf("%v: accepted", ctx)
		}
	}
}
