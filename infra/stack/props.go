package stack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// Props are the stack's settings (from CDK context: cdk.json or -c key=value).
type Props struct {
	awscdk.StackProps
	Stage         string // dev or prod
	AssetDir      string // where `make build` put <function>.zip
	PublicBaseURL string // the custom domain in front of the API, if any
	EmailFrom     string // SES identity for e-mail; empty: no e-mail channel
	SMS           bool   // SNS SMS channel

	RateLimit        RateLimit  // per-merchant API rate limit, applied by the api function
	Throttling       Throttling // the HTTP API stage's throttling
	AccessLogs       bool       // the HTTP API stage's JSON access log
	LogRetentionDays int        // every log group's retention

	// LocalStack (context localstack=true, dev only) is what a deploy into
	// LocalStack needs: a function URL on each HTTP function (its free
	// edition has no API Gateway v2), every function's name and URL in the
	// outputs, and outbound webhooks allowed to reach loopback receivers
	// over http (the deliver function's OUTBOUND_ALLOW_LOOPBACK).
	LocalStack bool

	// UserPoolID and UserPoolClientID (context userPoolId and
	// userPoolClientId, both or neither) bring an existing Cognito user pool
	// and its app client: the stack then makes no pool, and the functions'
	// COGNITO_* variables and grants name that pool.
	UserPoolID       string
	UserPoolClientID string

	// Domain is the custom domain of links and pages (context domainName,
	// with certificateArn or hostedZoneId + hostedZoneName); publicBaseUrl
	// follows it unless set.
	Domain Domain
}

// Domain is a custom domain for the HTTP API: an ACM certificate of the
// API's region given by ARN, or a Route 53 hosted zone in which the stack
// validates a new certificate and writes the alias record.
type Domain struct {
	Name           string
	CertificateArn string
	HostedZoneID   string
	HostedZoneName string
}

// RateLimit is the api function's per-merchant token bucket (context rateLimit).
type RateLimit struct {
	PerSecond float64 `json:"perSecond"`
	Burst     float64 `json:"burst"`
}

// Throttle is one API Gateway throttling setting: steady requests per second
// and the bucket size.
type Throttle struct {
	Rate  float64 `json:"rate"`
	Burst float64 `json:"burst"`
}

// Throttling is the stage's default throttle and the throttles per route key
// ("GET /l/{proxy+}"), context throttling.
type Throttling struct {
	Default Throttle            `json:"default"`
	Routes  map[string]Throttle `json:"routes"`
}

var (
	userPoolIDRe = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	clientIDRe   = regexp.MustCompile(`^[\w+]+$`)
)

// checkUserPool refuses half a pool (an id without its client, or the
// reverse) and ids that are not Cognito's.
func (p *Props) checkUserPool() error {
	switch {
	case p.UserPoolID == "" && p.UserPoolClientID == "":
		return nil
	case p.UserPoolID == "":
		return fmt.Errorf("context userPoolId: missing (userPoolClientId is its app client)")
	case p.UserPoolClientID == "":
		return fmt.Errorf("context userPoolClientId: missing (the app client of userPoolId %s)", p.UserPoolID)
	case !userPoolIDRe.MatchString(p.UserPoolID) || len(p.UserPoolID) > 55:
		return fmt.Errorf("context userPoolId: %q is not a Cognito user pool id (<region>_<id>)", p.UserPoolID)
	case !clientIDRe.MatchString(p.UserPoolClientID) || len(p.UserPoolClientID) > 128:
		return fmt.Errorf("context userPoolClientId: %q is not a Cognito app client id", p.UserPoolClientID)
	}
	return nil
}

var domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// check refuses a domain the stack could not serve: a malformed name, no
// certificate and no zone to make one in, a zone that is not the name's.
func (d Domain) check() error {
	switch {
	case d.Name == "" && (d.CertificateArn != "" || d.HostedZoneID != "" || d.HostedZoneName != ""):
		return fmt.Errorf("context domainName: missing (certificateArn and hostedZone* are for it)")
	case d.Name == "":
		return nil
	case !domainRe.MatchString(d.Name):
		return fmt.Errorf("context domainName: %q is not a DNS name (lower case, no scheme or path)", d.Name)
	case d.CertificateArn == "" && d.HostedZoneID == "":
		return fmt.Errorf("context domainName: needs certificateArn (ACM, the stack's region) or hostedZoneId and hostedZoneName")
	case d.CertificateArn != "" && !strings.HasPrefix(d.CertificateArn, "arn:aws:acm:"):
		return fmt.Errorf("context certificateArn: %q is not an ACM certificate ARN", d.CertificateArn)
	case (d.HostedZoneID == "") != (d.HostedZoneName == ""):
		return fmt.Errorf("context hostedZoneId and hostedZoneName: give both")
	case d.HostedZoneName != "" && d.Name != strings.TrimSuffix(d.HostedZoneName, ".") && !strings.HasSuffix(d.Name, "."+strings.TrimSuffix(d.HostedZoneName, ".")):
		return fmt.Errorf("context domainName: %q is not in the hosted zone %q", d.Name, d.HostedZoneName)
	}
	return nil
}

// Prod reports the production stage (no sandbox, data retained).
func (p *Props) Prod() bool { return p.Stage == "prod" }

// FromContext reads the stack's settings through lookup (the app's
// TryGetContext). Values given on the command line (-c key=value) arrive as
// strings; objects and numbers are read from their JSON either way.
// logRetentionDays defaults to 30 days, 365 in prod; accessLogs to true.
func FromContext(lookup func(key string) any) (*Props, error) {
	p := &Props{Stage: "dev", AssetDir: "build/functions", AccessLogs: true}
	str := func(k string, dst *string) {
		if v, ok := lookup(k).(string); ok && v != "" {
			*dst = v
		}
	}
	str("stage", &p.Stage)
	str("assetDir", &p.AssetDir)
	str("publicBaseUrl", &p.PublicBaseURL)
	str("emailFrom", &p.EmailFrom)
	str("domainName", &p.Domain.Name)
	str("certificateArn", &p.Domain.CertificateArn)
	str("hostedZoneId", &p.Domain.HostedZoneID)
	str("hostedZoneName", &p.Domain.HostedZoneName)
	if err := p.Domain.check(); err != nil {
		return nil, err
	}
	str("userPoolId", &p.UserPoolID)
	str("userPoolClientId", &p.UserPoolClientID)
	if err := p.checkUserPool(); err != nil {
		return nil, err
	}
	if p.Domain.Name != "" && p.PublicBaseURL == "" {
		p.PublicBaseURL = "https://" + p.Domain.Name
	}
	if p.Stage != "dev" && p.Stage != "prod" {
		return nil, fmt.Errorf("context stage: %q is neither dev nor prod", p.Stage)
	}
	if err := decodeContext(lookup, "sms", &p.SMS, false); err != nil {
		return nil, err
	}
	if err := decodeContext(lookup, "rateLimit", &p.RateLimit, true); err != nil {
		return nil, err
	}
	if err := decodeContext(lookup, "throttling", &p.Throttling, true); err != nil {
		return nil, err
	}
	if err := decodeContext(lookup, "accessLogs", &p.AccessLogs, false); err != nil {
		return nil, err
	}
	if err := decodeContext(lookup, "localstack", &p.LocalStack, false); err != nil {
		return nil, err
	}
	if p.LocalStack && p.Prod() {
		return nil, fmt.Errorf("context localstack: only for the dev stage (it opens function URLs and loopback webhooks)")
	}
	p.LogRetentionDays = 30
	if p.Prod() {
		p.LogRetentionDays = 365
	}
	if err := decodeContext(lookup, "logRetentionDays", &p.LogRetentionDays, false); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeContext decodes the context value k into dst through JSON; a string
// value is read as JSON text (the CLI's -c key=value).
func decodeContext(lookup func(string) any, k string, dst any, required bool) error {
	v := lookup(k)
	if v == nil {
		if required {
			return fmt.Errorf("context %s: missing (cdk.json has it)", k)
		}
		return nil
	}
	var raw []byte
	if s, ok := v.(string); ok {
		raw = []byte(s)
	} else {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return fmt.Errorf("context %s: %w", k, err)
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("context %s: %w", k, err)
	}
	return nil
}

// validate checks the settings New cannot build a correct stack from.
func (p *Props) validate(routeKeys []string) error {
	if p.RateLimit.PerSecond <= 0 || p.RateLimit.Burst < 1 {
		return fmt.Errorf("context rateLimit: perSecond must be > 0 and burst >= 1, got %+v", p.RateLimit)
	}
	if err := p.Throttling.Default.check("default"); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, k := range routeKeys {
		known[k] = true
	}
	for _, k := range sortedKeys(p.Throttling.Routes) {
		if !known[k] {
			return fmt.Errorf("context throttling.routes: %q is not a route of the %s stage (routes: %s)", k, p.Stage, strings.Join(routeKeys, ", "))
		}
		if err := p.Throttling.Routes[k].check(k); err != nil {
			return err
		}
	}
	if _, err := retention(p.LogRetentionDays); err != nil {
		return err
	}
	return nil
}

func (t Throttle) check(name string) error {
	if t.Rate <= 0 || t.Burst < 1 || t.Burst != float64(int64(t.Burst)) {
		return fmt.Errorf("context throttling %s: rate must be > 0 and burst a whole number >= 1, got %+v", name, t)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
