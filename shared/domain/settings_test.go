package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
)

func rules() *domain.SettingsRules {
	return &domain.SettingsRules{PSPs: map[string]bool{"sandbox": false, "stripe": true},
		CheckWebhookURL: func(u string) error {
			if strings.Contains(u, "127.0.0.1") {
				return errors.New("webhook endpoint resolves to a private or reserved address")
			}
			return nil
		},
		CheckWebhookSecret: func(s string) error {
			if !strings.HasPrefix(s, "whsec_") {
				return errors.New("bad")
			}
			return nil
		}}
}

func TestCheckSettings(t *testing.T) {
	cases := []struct {
		name string
		in   domain.SettingsInput
		live bool
		has  bool
		want []string
		iban string
	}{
		{name: "nothing changes", want: nil},
		{name: "valid", in: domain.SettingsInput{Name: sp("Shop"), PaymentMethods: []string{"card"}, PSP: sp("stripe"),
			DefaultBeneficiary: &domain.Beneficiary{Name: "Shop", IBAN: "BE71 0961 2345 6769"},
			WebhookURL:         sp("https://hooks.shop.example/x"), WebhookSecret: sp("whsec_x")}, iban: "BE71096123456769"},
		{name: "url with the current secret", in: domain.SettingsInput{WebhookURL: sp("https://hooks.shop.example/x")}, has: true},
		{name: "blank name", in: domain.SettingsInput{Name: sp(" ")},
			want: []string{"name: must be 1 to 100 characters shown to payers: not blank, no control or bidi override characters"}},
		{name: "domains", in: domain.SettingsInput{RedirectDomains: []string{"shop.example", "co.uk"}},
			want: []string{"redirect_domains[1]: is a public suffix (such as co.uk or github.io): name your own domain under it"}},
		{name: "no methods", in: domain.SettingsInput{PaymentMethods: []string{}}, want: []string{"payment_methods: must enable at least one method"}},
		{name: "unknown method", in: domain.SettingsInput{PaymentMethods: []string{"card", "cash"}},
			want: []string{"payment_methods[1]: must be one of " + strings.Join(domain.PaymentMethods, ", ")}},
		{name: "unknown psp", in: domain.SettingsInput{PSP: sp("adyen")}, want: []string{"psp: must be one of the configured providers"}},
		{name: "sandbox for a live merchant", in: domain.SettingsInput{PSP: sp("sandbox")}, live: true,
			want: []string{"psp: is a test-mode provider: a live merchant cannot choose it"}},
		{name: "credentials", in: domain.SettingsInput{PSPCredentials: map[string]string{"k": ""}},
			want: []string{"psp_credentials.k: keys are 1 to 40 and values 1 to 512 characters"}},
		{name: "private endpoint, no secret", in: domain.SettingsInput{WebhookURL: sp("https://127.0.0.1/x")},
			want: []string{"webhook_url: webhook endpoint resolves to a private or reserved address",
				"webhook_secret: is required with webhook_url (whsec_ and 24 to 64 random bytes in base64)"}},
		{name: "bad secret", in: domain.SettingsInput{WebhookSecret: sp("nope")},
			want: []string{"webhook_secret: must be whsec_ followed by 24 to 64 random bytes in base64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rules()
			r.Live, r.HasWebhookSecret = c.live, c.has
			b, errs := domain.CheckSettings(&c.in, r)
			var got []string
			for _, e := range errs {
				got = append(got, e.Field+": "+e.Message)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if c.iban != "" && (b == nil || b.IBAN != c.iban) {
				t.Errorf("beneficiary %+v", b)
			}
		})
	}
}
