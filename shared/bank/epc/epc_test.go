package epc_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank/epc"
)

func demo() epc.Payment {
	return epc.Payment{
		BIC:       "GEBABEBB",
		Name:      "Demo Bakery BV",
		IBAN:      "BE68 5390 0754 7034",
		Currency:  "EUR",
		Amount:    decimal.RequireFromString("12.5"),
		Reference: "+++090/9337/55493+++",
	}
}

func TestPayloadLines(t *testing.T) {
	cases := []struct {
		name string
		edit func(*epc.Payment)
		want []string
	}{
		{"OGM reference", func(*epc.Payment) {}, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Demo Bakery BV", "BE68539007547034", "EUR12.50", "", "090933755493",
		}},
		{"RF reference in print form", func(p *epc.Payment) { p.Reference = "RF18 5390 0754 7034" }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Demo Bakery BV", "BE68539007547034", "EUR12.50", "", "RF18539007547034",
		}},
		{"text, no reference", func(p *epc.Payment) { p.Reference, p.Text = "", "Invoice 42" }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Demo Bakery BV", "BE68539007547034", "EUR12.50", "", "", "Invoice 42",
		}},
		{"information after a reference", func(p *epc.Payment) { p.Information = "Thank you" }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Demo Bakery BV", "BE68539007547034", "EUR12.50", "", "090933755493", "", "Thank you",
		}},
		{"no reference, no text", func(p *epc.Payment) { p.Reference = "" }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Demo Bakery BV", "BE68539007547034", "EUR12.50",
		}},
		{"no BIC (version 002), 11-character BIC", func(p *epc.Payment) { p.BIC = "" }, []string{
			"BCD", "002", "1", "SCT", "", "Demo Bakery BV", "BE68539007547034", "EUR12.50", "", "090933755493",
		}},
		{"BIC of 11", func(p *epc.Payment) { p.BIC = "GEBABEBBXXX" }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBBXXX", "Demo Bakery BV", "BE68539007547034", "EUR12.50", "", "090933755493",
		}},
		{"smallest amount, UTF-8 name", func(p *epc.Payment) { p.Amount, p.Name = decimal.RequireFromString("0.01"), "Boulangerie Zoë & Fils" }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Boulangerie Zoë & Fils", "BE68539007547034", "EUR0.01", "", "090933755493",
		}},
		{"largest amount", func(p *epc.Payment) { p.Amount = decimal.RequireFromString("999999999.99") }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Demo Bakery BV", "BE68539007547034", "EUR999999999.99", "", "090933755493",
		}},
		{"whole amount", func(p *epc.Payment) { p.Amount = decimal.RequireFromString("100") }, []string{
			"BCD", "002", "1", "SCT", "GEBABEBB", "Demo Bakery BV", "BE68539007547034", "EUR100.00", "", "090933755493",
		}},
	}
	for _, c := range cases {
		p := demo()
		c.edit(&p)
		got, err := epc.Payload(p)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if want := strings.Join(c.want, "\n"); got != want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, want)
		}
	}
}

func TestPayloadInvalid(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name  string
		edit  func(*epc.Payment)
		field string
	}{
		{"BIC of 7", func(p *epc.Payment) { p.BIC = "GEBABEB" }, "bic"},
		{"BIC of 9", func(p *epc.Payment) { p.BIC = "GEBABEBB1" }, "bic"},
		{"BIC of 12", func(p *epc.Payment) { p.BIC = "GEBABEBBXXXX" }, "bic"},
		{"BIC lower case", func(p *epc.Payment) { p.BIC = "gebabebb" }, "bic"},
		{"BIC with a line feed", func(p *epc.Payment) { p.BIC = "GEBA\nEBB" }, "bic"},
		{"no name", func(p *epc.Payment) { p.Name = "" }, "name"},
		{"blank name", func(p *epc.Payment) { p.Name = "   " }, "name"},
		{"name of 71", func(p *epc.Payment) { p.Name = long(71) }, "name"},
		{"name with a line feed", func(p *epc.Payment) { p.Name = "Demo\nBakery" }, "name"},
		{"name with a bidi override", func(p *epc.Payment) { p.Name = "Demo \u202eBakery" }, "name"},
		{"name not UTF-8", func(p *epc.Payment) { p.Name = "Demo \xff" }, "name"},
		{"no IBAN", func(p *epc.Payment) { p.IBAN = "" }, "iban"},
		{"IBAN check digits", func(p *epc.Payment) { p.IBAN = "BE68 5390 0754 7035" }, "iban"},
		{"IBAN lower case", func(p *epc.Payment) { p.IBAN = "be68539007547034" }, "iban"},
		{"IBAN with a line feed", func(p *epc.Payment) { p.IBAN = "BE68539007547034\n" }, "iban"},
		{"dollars", func(p *epc.Payment) { p.Currency = "USD" }, "currency"},
		{"no currency", func(p *epc.Payment) { p.Currency = "" }, "currency"},
		{"zero", func(p *epc.Payment) { p.Amount = decimal.Zero }, "amount"},
		{"negative", func(p *epc.Payment) { p.Amount = decimal.RequireFromString("-1") }, "amount"},
		{"three decimals", func(p *epc.Payment) { p.Amount = decimal.RequireFromString("12.505") }, "amount"},
		{"under a cent", func(p *epc.Payment) { p.Amount = decimal.RequireFromString("0.009") }, "amount"},
		{"a billion", func(p *epc.Payment) { p.Amount = decimal.RequireFromString("1000000000") }, "amount"},
		{"RF check digits", func(p *epc.Payment) { p.Reference = "RF17 5390 0754 7034" }, "reference"},
		{"OGM check digits", func(p *epc.Payment) { p.Reference = "+++090/9337/55494+++" }, "reference"},
		{"free text as reference", func(p *epc.Payment) { p.Reference = "Invoice 42" }, "reference"},
		{"reference and text", func(p *epc.Payment) { p.Text = "Invoice 42" }, "text"},
		{"text of 141", func(p *epc.Payment) { p.Reference, p.Text = "", long(141) }, "text"},
		{"text with a line feed", func(p *epc.Payment) { p.Reference, p.Text = "", "Invoice\n42" }, "text"},
		{"information of 71", func(p *epc.Payment) { p.Information = long(71) }, "information"},
		{"information with a carriage return", func(p *epc.Payment) { p.Information = "Thanks\r" }, "information"},
		{"over 331 bytes", func(p *epc.Payment) {
			p.Reference, p.Name, p.Text = "", strings.Repeat("€", 70), strings.Repeat("é", 60)
		}, "payload"},
	}
	for _, c := range cases {
		p := demo()
		c.edit(&p)
		got, err := epc.Payload(p)
		var fe *epc.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: Payload = %q, %v; want a FieldError", c.name, got, err)
			continue
		}
		if fe.Field != c.field {
			t.Errorf("%s: error names %q (%v), want %q", c.name, fe.Field, err, c.field)
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: the message %q does not name the field", c.name, err)
		}
		if strings.Contains(err.Error(), "539007547") {
			t.Errorf("%s: the message %q carries the IBAN", c.name, err)
		}
		if _, err := epc.Encode(p); !errors.As(err, &fe) {
			t.Errorf("%s: Encode: %v, want the FieldError", c.name, err)
		}
	}
}

// TestPayloadLimits: names of 70 characters (not bytes) and texts of 140
// pass; the payload may be exactly 331 bytes and not one more.
func TestPayloadLimits(t *testing.T) {
	p := demo()
	p.Name = strings.Repeat("é", 70)
	if _, err := epc.Payload(p); err != nil {
		t.Fatalf("a name of 70 two-byte characters: %v", err)
	}
	p = demo()
	p.Reference, p.Text = "", strings.Repeat("x", 140)
	if _, err := epc.Payload(p); err != nil {
		t.Fatalf("a text of 140: %v", err)
	}
	p = exactly331(t)
	s, err := epc.Payload(p)
	if err != nil || len(s) != 331 {
		t.Fatalf("Payload = %d bytes, %v", len(s), err)
	}
	p.Text += "a"
	if s, err := epc.Payload(p); err == nil {
		t.Fatalf("a payload of %d bytes was accepted", len(s))
	}
}

// exactly331 is a payment whose payload is 331 bytes, the byte capacity
// of a version 13 QR code at level M.
func exactly331(t *testing.T) epc.Payment {
	t.Helper()
	p := demo()
	p.Reference, p.BIC = "", "GEBABEBBXXX"
	p.Name = strings.Repeat("€", 70) // 210 bytes
	p.Information = "x"
	for n := 0; n < 140; n++ {
		s, err := epc.Payload(p)
		if err != nil {
			t.Fatalf("building up to 331 bytes: %v", err)
		}
		if len(s) == 331 {
			return p
		}
		p.Text += "a"
	}
	t.Fatal("never reached 331 bytes")
	return p
}

// TestPayloadNeverBreaksLines: no field can add or remove a line: control
// characters and the Unicode line and paragraph separators are refused.
func TestPayloadNeverBreaksLines(t *testing.T) {
	for _, s := range []string{"a\u2028b", "a\u2029b", "a\u0085b", "a\x00b", "a\tb", "a\vb", "a\r\nb"} {
		p := demo()
		p.Name = s
		if got, err := epc.Payload(p); err == nil {
			t.Errorf("name %q accepted: %q", s, got)
		}
		p = demo()
		p.Reference, p.Text = "", s
		if got, err := epc.Payload(p); err == nil {
			t.Errorf("text %q accepted: %q", s, got)
		}
	}
	if got := mustPayload(t, demo()); !utf8.ValidString(got) || strings.Count(got, "\n") != 9 {
		t.Fatalf("payload %q", got)
	}
}

func mustPayload(t *testing.T, p epc.Payment) string {
	t.Helper()
	s, err := epc.Payload(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
