package domain_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
)

// Accounts of the tests: a Belgian and a Dutch IBAN with valid checksums.
var (
	beAccount = domain.Beneficiary{Name: "Bakkerij Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}
	nlAccount = domain.Beneficiary{Name: "Bakkerij Jansen", IBAN: "NL91ABNA0417164300", BIC: "ABNANL2A"}
	// Valid IBANs outside the SEPA area.
	brAccount = domain.Beneficiary{Name: "Padaria Silva", IBAN: "BR1800360305000010009795493C1", BIC: "ITAUBRSPXXX"}
	saAccount = domain.Beneficiary{Name: "Bakery", IBAN: "SA0380000000608010167519", BIC: "RIBLSARIXXX"}
)

// bankSettings are a merchant that enables methods, with a default
// beneficiary and a reference format ("" for the default).
func bankSettings(methods []string, b *domain.Beneficiary, f reference.Format) *domain.LinkSettings {
	s := shopSettings()
	s.PaymentMethods, s.DefaultBeneficiary, s.ReferenceFormat = methods, b, f
	return s
}

func bankInput(currency, value string, methods ...string) *domain.LinkInput {
	in := validInput()
	in.Amount = []byte(fmt.Sprintf(`{"currency":%q,"value":%q}`, currency, value))
	in.PaymentMethods = methods
	return in
}

// TestNewLinkBankTransfer: which links offer a bank transfer, with what
// reference, and which are refused (naming the field).
func TestNewLinkBankTransfer(t *testing.T) {
	be, nl := beAccount, nlAccount
	noBIC := be
	noBIC.BIC = ""
	long := be
	long.Name = strings.Repeat("😀", 60) // 60 characters, 240 bytes
	both := []string{"card", domain.MethodBankTransfer}
	cases := []struct {
		name   string
		in     *domain.LinkInput
		s      *domain.LinkSettings
		format reference.Format // "" when no bank transfer is offered
		errs   []string
	}{
		{"asked, default Belgian account: OGM", bankInput("EUR", "12.50", domain.MethodBankTransfer), bankSettings(both, &be, ""), reference.BEOGM, nil},
		{"asked, default Dutch account: RF", bankInput("EUR", "12.50", "card", domain.MethodBankTransfer), bankSettings(both, &nl, ""), reference.RF, nil},
		{"the merchant's format wins", bankInput("EUR", "12.50", domain.MethodBankTransfer), bankSettings(both, &be, reference.RF), reference.RF, nil},
		{"merchant default, EUR", bankInput("EUR", "12.50"), bankSettings(both, &be, ""), reference.BEOGM, nil},
		{"merchant default, USD: not offered", bankInput("USD", "12.50"), bankSettings(both, &be, ""), "", nil},
		{"merchant default, not named by the link", bankInput("EUR", "12.50", "card"), bankSettings(both, &be, ""), "", nil},
		{"not enabled", bankInput("EUR", "12.50"), bankSettings([]string{"card"}, &be, ""), "", nil},
		{"asked in USD", bankInput("USD", "12.50", domain.MethodBankTransfer), bankSettings(both, &be, ""), "",
			[]string{"payment_methods: bank_transfer is offered for amounts in EUR only"}},
		{"asked above the EPC amount", bankInput("EUR", "1000000000.00", domain.MethodBankTransfer), bankSettings(both, &be, ""), "",
			[]string{"amount.value: is at most 999999999.99 with bank_transfer (the EPC QR code's largest amount)"}},
		{"default above the EPC amount: not offered", bankInput("EUR", "1000000000.00"), bankSettings(both, &be, ""), "", nil},
		{"the largest EPC amount", bankInput("EUR", "999999999.99", domain.MethodBankTransfer), bankSettings(both, &be, ""), reference.BEOGM, nil},
		{"no beneficiary", bankInput("EUR", "12.50", domain.MethodBankTransfer), bankSettings(both, nil, ""), "",
			[]string{"beneficiary: is required with bank_transfer: a name, iban and bic (the link's, or the merchant's default_beneficiary)"}},
		{"the default has no BIC", bankInput("EUR", "12.50"), bankSettings(both, &noBIC, ""), "",
			[]string{"beneficiary.bic: is required with bank_transfer (the merchant's default_beneficiary has none)"}},
		{"the link's beneficiary has no BIC", withBeneficiary(bankInput("EUR", "12.50", domain.MethodBankTransfer), noBIC), bankSettings(both, &be, ""), "",
			[]string{"beneficiary.bic: is required with bank_transfer (the link's beneficiary has none)"}},
		{"a name too long for the code", withBeneficiary(bankInput("EUR", "12.50", domain.MethodBankTransfer), long), bankSettings(both, &be, ""), "",
			[]string{"beneficiary.name: must fit the EPC QR code with bank_transfer: at most 70 characters and 227 bytes of UTF-8, no line or paragraph separator (the link's beneficiary)"}},
		{"a Brazilian account", withBeneficiary(bankInput("EUR", "12.50", domain.MethodBankTransfer), brAccount), bankSettings(both, &be, ""), "",
			[]string{"beneficiary.iban: must be an account in the SEPA area with bank_transfer (BR is not in it)"}},
		{"the default is a Saudi account", bankInput("EUR", "12.50"), bankSettings(both, &saAccount, ""), "",
			[]string{"beneficiary.iban: must be an account in the SEPA area with bank_transfer (SA is not in it; the merchant's default_beneficiary)"}},
		{"a Brazilian account without bank transfer", withBeneficiary(bankInput("EUR", "12.50", "card"), brAccount), bankSettings(both, &be, ""), "", nil},
		{"the link's own account", withBeneficiary(bankInput("EUR", "12.50", domain.MethodBankTransfer), nl), bankSettings(both, &be, ""), reference.BEOGM, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, _, err := domain.NewLink(c.in, c.s, linkNow)
			if c.errs != nil {
				if got := fieldsOf(t, err); !slices.Equal(got, c.errs) {
					t.Fatalf("errors %q, want %q", got, c.errs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.format == "" {
				if l.BankReference != "" || l.OffersBankTransfer() {
					t.Fatalf("offers a bank transfer: %q", l.BankReference)
				}
				return
			}
			e, f, err := reference.Check(l.BankReference)
			if err != nil || f != c.format || e != l.BankReference || l.BankReference != reference.ForLink(l.ID, 0, c.format) {
				t.Fatalf("reference %q: %v %s (want %s, electronic)", l.BankReference, err, f, c.format)
			}
		})
	}
}

func withBeneficiary(in *domain.LinkInput, b domain.Beneficiary) *domain.LinkInput {
	in.Beneficiary = &b
	return in
}

// TestBankReferencesOverGeneratedLinks: every link made offering a bank
// transfer, over generated amounts, formats and accounts, carries a
// reference that validates in the merchant's format, derived from its own
// id; references of different links differ (attempt 0 of distinct ids).
func TestBankReferencesOverGeneratedLinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 1))
	seen := map[string]string{}
	for i := 0; i < 2000; i++ {
		f := []reference.Format{reference.RF, reference.BEOGM, ""}[rng.IntN(3)]
		acct := []domain.Beneficiary{beAccount, nlAccount}[rng.IntN(2)]
		value := fmt.Sprintf("%d.%02d", rng.IntN(1_000_000), rng.IntN(100))
		if value == "0.00" {
			value = "0.01"
		}
		s := bankSettings([]string{"card", domain.MethodBankTransfer}, &acct, f)
		l, _, err := domain.NewLink(bankInput("EUR", value), s, linkNow)
		if err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		want := f
		if want == "" {
			want = domain.ReferenceFormatFor(nil, &acct)
		}
		if _, got, err := reference.Check(l.BankReference); err != nil || got != want {
			t.Fatalf("link %s: reference %q format %s, want %s: %v", l.ID, l.BankReference, got, want, err)
		}
		if other, dup := seen[l.BankReference]; dup && want == reference.RF {
			t.Fatalf("links %s and %s share %s", other, l.ID, l.BankReference)
		}
		seen[l.BankReference] = l.ID
	}
}

func TestReferenceFormatFor(t *testing.T) {
	be, nl := beAccount, nlAccount
	spaced := domain.Beneficiary{IBAN: " be71 0961 2345 6769"}
	cases := []struct {
		bt   *domain.BankTransferSettings
		b    *domain.Beneficiary
		want reference.Format
	}{
		{nil, nil, reference.RF},
		{nil, &be, reference.BEOGM},
		{nil, &spaced, reference.BEOGM},
		{nil, &nl, reference.RF},
		{&domain.BankTransferSettings{ReferenceFormat: "rf"}, &be, reference.RF},
		{&domain.BankTransferSettings{ReferenceFormat: "be_ogm"}, &nl, reference.BEOGM},
		{&domain.BankTransferSettings{}, &be, reference.BEOGM},
	}
	for i, c := range cases {
		if got := domain.ReferenceFormatFor(c.bt, c.b); got != c.want {
			t.Errorf("case %d: %s, want %s", i, got, c.want)
		}
	}
}

func TestOnlyBankTransfer(t *testing.T) {
	ref := reference.ForLink("pl_01JDQ0000000000000000000AB", 0, reference.RF)
	cases := []struct {
		l        domain.Link
		merchant []string
		want     bool
	}{
		{domain.Link{BankReference: ref, PaymentMethods: []string{domain.MethodBankTransfer}}, []string{"card"}, true},
		{domain.Link{BankReference: ref}, []string{domain.MethodBankTransfer}, true},
		{domain.Link{BankReference: ref}, []string{"card", domain.MethodBankTransfer}, false},
		{domain.Link{BankReference: ref, PaymentMethods: []string{"card", domain.MethodBankTransfer}}, nil, false},
		{domain.Link{PaymentMethods: []string{domain.MethodBankTransfer}}, nil, false},
	}
	for i, c := range cases {
		if got := c.l.OnlyBankTransfer(c.merchant); got != c.want {
			t.Errorf("case %d: %v", i, got)
		}
	}
}

// TestDuplicateBankTransfer: a duplicate offers the bank transfer again,
// with a reference of its own.
func TestDuplicateBankTransfer(t *testing.T) {
	be := beAccount
	s := bankSettings([]string{"card", domain.MethodBankTransfer}, &be, "")
	orig, _, err := domain.NewLink(bankInput("EUR", "40.00", domain.MethodBankTransfer), s, linkNow)
	if err != nil {
		t.Fatal(err)
	}
	dup, _, err := domain.Duplicate(orig, domain.DuplicateInput{}, s, linkNow)
	if err != nil {
		t.Fatal(err)
	}
	if !dup.OffersBankTransfer() || dup.BankReference == orig.BankReference || !reference.ValidOGM(dup.BankReference) {
		t.Fatalf("duplicate's reference %q (original %q)", dup.BankReference, orig.BankReference)
	}
}

// TestCheckSettingsBankTransfer: enabling bank_transfer needs a default
// beneficiary with a BIC (as changed, or as it is); a change naming
// neither the methods nor the beneficiary is not held to it.
func TestCheckSettingsBankTransfer(t *testing.T) {
	be := beAccount
	noBIC := be
	noBIC.BIC = ""
	methods := []string{"card", domain.MethodBankTransfer}
	cases := []struct {
		name    string
		in      domain.SettingsInput
		methods []string
		current *domain.Beneficiary
		want    []string
	}{
		{name: "enabled with a full default", in: domain.SettingsInput{PaymentMethods: methods}, current: &be},
		{name: "enabled with a new full default", in: domain.SettingsInput{PaymentMethods: methods, DefaultBeneficiary: &be}},
		{name: "enabled with no default", in: domain.SettingsInput{PaymentMethods: methods},
			want: []string{"default_beneficiary: is required with bank_transfer: a name, iban and bic"}},
		{name: "enabled, the default has no BIC", in: domain.SettingsInput{PaymentMethods: methods}, current: &noBIC,
			want: []string{"default_beneficiary.bic: is required with bank_transfer"}},
		{name: "a default without BIC while enabled", in: domain.SettingsInput{DefaultBeneficiary: &noBIC}, methods: methods, current: &be,
			want: []string{"default_beneficiary.bic: is required with bank_transfer"}},
		{name: "enabled with a default outside SEPA", in: domain.SettingsInput{PaymentMethods: methods, DefaultBeneficiary: &brAccount},
			want: []string{"default_beneficiary.iban: must be an account in the SEPA area with bank_transfer (BR is not in it)"}},
		{name: "a default outside SEPA, not enabled", in: domain.SettingsInput{DefaultBeneficiary: &brAccount}, methods: []string{"card"}},
		{name: "a default without BIC, not enabled", in: domain.SettingsInput{DefaultBeneficiary: &noBIC}, methods: []string{"card"}},
		{name: "a change of name alone", in: domain.SettingsInput{Name: sp("Shop")}, methods: methods, current: &noBIC},
		{name: "a reference format", in: domain.SettingsInput{BankTransfer: &domain.BankTransferSettings{ReferenceFormat: "rf"}}},
		{name: "an unknown reference format", in: domain.SettingsInput{BankTransfer: &domain.BankTransferSettings{ReferenceFormat: "RF"}},
			want: []string{"bank_transfer.reference_format: must be rf (ISO 11649) or be_ogm (Belgian structured communication)"}},
		{name: "no reference format", in: domain.SettingsInput{BankTransfer: &domain.BankTransferSettings{}},
			want: []string{"bank_transfer.reference_format: must be rf (ISO 11649) or be_ogm (Belgian structured communication)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rules()
			r.PaymentMethods, r.DefaultBeneficiary = c.methods, c.current
			_, errs := domain.CheckSettings(&c.in, r)
			var got []string
			for _, e := range errs {
				got = append(got, e.Field+": "+e.Message)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("errors %q, want %q", got, c.want)
			}
		})
	}
}

func TestPrintIBAN(t *testing.T) {
	for in, want := range map[string]string{
		"BE71096123456769": "BE71 0961 2345 6769", "be71 0961 2345 6769": "BE71 0961 2345 6769",
		"NL91ABNA0417164300": "NL91 ABNA 0417 1643 00", "": "", "BE7": "BE7",
	} {
		if got := domain.PrintIBAN(in); got != want {
			t.Errorf("PrintIBAN(%q) = %q, want %q", in, got, want)
		}
	}
}
