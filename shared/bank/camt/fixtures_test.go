package camt

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/shopspring/decimal"
)

// readAll reads a whole file into its entries.
func readAll(data []byte) (bank.File, []bank.Entry, error) {
	var got []bank.Entry
	f, err := Read(bytes.NewReader(data), func(e bank.Entry) error {
		got = append(got, e)
		return nil
	})
	return f, got, err
}

// sameEntry compares every field, the amount by value.
func sameEntry(a, b bank.Entry) bool {
	if !a.Amount.Equal(b.Amount) {
		return false
	}
	a.Amount, b.Amount = decimal.Decimal{}, decimal.Decimal{}
	return a == b
}

func showEntry(e bank.Entry) string {
	return fmt.Sprintf("{%s %s %s credit=%v booked=%v reversal=%v on=%q val=%q ref=%q batch=%d sref=%q rmt=%q e2e=%q party=%+v}",
		e.Account, e.Currency, e.Amount, e.Credit, e.Booked, e.Reversal, e.BookedOn, e.ValueOn,
		e.EntryRef, e.Batch, e.Reference, e.Remittance, e.EndToEndID, e.Party)
}

func compareEntries(t *testing.T, got, want []bank.Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d entries, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !sameEntry(got[i], want[i]) {
			t.Errorf("entry %d:\n got  %s\n want %s", i+1, showEntry(got[i]), showEntry(want[i]))
		}
	}
}

func amt(s string) decimal.Decimal { return decimal.RequireFromString(s) }

type fixture struct {
	file    string
	want    bank.File
	entries []bank.Entry
}

func fixtures() []fixture {
	return []fixture{nlStatement02(), beStatement02(), deStatement04(), nlStatement08(), nlNotification02(), beNotification08()}
}

func nlStatement02() fixture {
	const acct = "NL20INGB0001234567"
	batch := func(n int, amount, e2e, rmt, name, iban, bic string) bank.Entry {
		return bank.Entry{Account: acct, Currency: "EUR", Amount: amt(amount), Credit: true, Booked: true,
			BookedOn: "2024-03-04", ValueOn: "2024-03-04", EntryRef: "2024030400319022", Batch: n,
			Remittance: rmt, EndToEndID: e2e, Party: bank.Party{Name: name, IBAN: iban, BIC: bic}}
	}
	return fixture{
		file: "nl_053_001_02.xml",
		want: bank.File{Format: bank.FormatCamt053, Version: "001.02", MessageID: "NL20INGB-20240304-0187", Accounts: []string{acct}},
		entries: []bank.Entry{
			{Account: acct, Currency: "EUR", Amount: amt("125.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "2024030400318857", Reference: "RF18539007547034", EndToEndID: "ORDER-2024-0117",
				Party: bank.Party{Name: "J. de Vries", IBAN: "NL39RABO0300065264", BIC: "RABONL2U"}},
			{Account: acct, Currency: "EUR", Amount: amt("60.50"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "2024030400318901", Remittance: "+++090/9337/55493+++ factuur 2024-0042",
				Party: bank.Party{Name: "Van Damme & Zonen", IBAN: "BE68539007547034", BIC: "GEBABEBB"}},
			batch(1, "19.95", "SUB-000981-2403", "Abonnement maart 2024", "A. Jansen", "NL91ABNA0417164300", "ABNANL2A"),
			batch(2, "19.95", "SUB-001204-2403", "Abonnement maart 2024", "B. Bakker", "NL63TRIO0212345678", "TRIONL2U"),
			batch(3, "49.50", "SUB-001377-2403", "Abonnement maart 2024 jaarpakket", "C. Visser", "NL07KNAB0255123456", "KNABNL2H"),
			{Account: acct, Currency: "EUR", Amount: amt("1000.00"), Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", Remittance: "Factuur 88213", EndToEndID: "PAYOUT-0042",
				Party: bank.Party{Name: "Groothandel Noord BV", IBAN: "NL44ASNB0708123456", BIC: "ASNBNL21"}},
			// The return of a collected credit: the other side is the debtor of that credit.
			{Account: acct, Currency: "EUR", Amount: amt("19.95"), Booked: true, Reversal: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-01", EntryRef: "2024030400319555", Remittance: "Abonnement maart 2024", EndToEndID: "SUB-001204-2403",
				Party: bank.Party{Name: "B. Bakker", IBAN: "NL63TRIO0212345678", BIC: "TRIONL2U"}},
			{Account: acct, Currency: "EUR", Amount: amt("310.00"), Credit: true, ValueOn: "2024-03-05",
				EntryRef: "2024030500000412", Remittance: "RF42 2024 INV0 117", EndToEndID: "E2E-77120",
				Party: bank.Party{Name: "Stichting Het Park", IBAN: "NL22SNSB0912345678"}},
		},
	}
}

func beStatement02() fixture {
	const acct, acct2 = "BE25001254789612", "BE40737000012345"
	return fixture{
		file: "be_053_001_02.xml",
		want: bank.File{Format: bank.FormatCamt053, Version: "001.02", MessageID: "GEBA240304STMT000913", Accounts: []string{acct, acct2}},
		entries: []bank.Entry{
			{Account: acct, Currency: "EUR", Amount: amt("250.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "0051-0001-GEBA-7710", Reference: "090933755493", EndToEndID: "KBC-P-44120931",
				Party: bank.Party{Name: "Hélène Lefèvre", IBAN: "BE43068211111111", BIC: "GKCCBEBB"}},
			{Account: acct, Currency: "EUR", Amount: amt("42.10"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-05", EntryRef: "0051-0002-GEBA-7711", Reference: "000004211820",
				Party: bank.Party{Name: "De Smet Bakkerij BV", IBAN: "BE70310180012345", BIC: "BBRUBEBB"}},
			{Account: acct, Currency: "EUR", Amount: amt("7.50"), Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-01", EntryRef: "0051-0003-GEBA-7712"},
			{Account: acct2, Currency: "EUR", Amount: amt("15.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "0012-0001-KRED-0031", Reference: "123456789002", EndToEndID: "ING-BE-9903114",
				Party: bank.Party{Name: "Peeters Jan", IBAN: "BE68539007547034", BIC: "BBRUBEBB"}},
		},
	}
}

func deStatement04() fixture {
	const acct = "DE89370400440532013000"
	return fixture{
		file: "de_053_001_04.xml",
		want: bank.File{Format: bank.FormatCamt053, Version: "001.04", MessageID: "STMT-20240304-DE89-0001", Accounts: []string{acct}},
		entries: []bank.Entry{
			{Account: acct, Currency: "EUR", Amount: amt("75.25"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "2024030409150200417", Remittance: "RF27 7342 001 Bestellung 7342", EndToEndID: "E2E-5531",
				Party: bank.Party{Name: "Müller Werkzeuge GmbH", IBAN: "DE50500105175401283760", BIC: "INGDDEFFXXX"}},
			{Account: acct, Currency: "EUR", Amount: amt("500.00"), Booked: true, BookedOn: "2024-03-04", ValueOn: "2024-03-04",
				Batch: 1, Remittance: "Rechnung 2024-118", EndToEndID: "PAYRUN-0304-1",
				Party: bank.Party{Name: "Papier & Druck KG", IBAN: "FR7630006000011234567890189", BIC: "AGRIFRPP"}},
			{Account: acct, Currency: "EUR", Amount: amt("330.00"), Booked: true, BookedOn: "2024-03-04", ValueOn: "2024-03-04",
				Batch: 2, Remittance: "Rechnung L-0091 Lagermiete März", EndToEndID: "PAYRUN-0304-2",
				Party: bank.Party{Name: "Lagerlogistik Süd", IBAN: "DE50500105175401283760", BIC: "INGDDEFFXXX"}},
			{Account: acct, Currency: "USD", Amount: amt("12.00"), Credit: true, ValueOn: "2024-03-06", EntryRef: "ADV-20240304-0007"},
		},
	}
}

func nlStatement08() fixture {
	const acct = "NL91ABNA0417164300"
	mulder := bank.Party{Name: "K. Mulder", IBAN: "NL39RABO0300065264", BIC: "RABONL2U"}
	return fixture{
		file: "nl_053_001_08.xml",
		want: bank.File{Format: bank.FormatCamt053, Version: "001.08", MessageID: "ABNA-STMT-20240304-558812", Accounts: []string{acct}},
		entries: []bank.Entry{
			{Account: acct, Currency: "EUR", Amount: amt("99.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "ABNA-0304-00000911", Reference: "RF422024INV0117", EndToEndID: "WEB-ORDER-88123",
				Party: bank.Party{Name: "E. Smit", IBAN: "NL36INGB0007654321", BIC: "INGBNL2A"}},
			{Account: acct, Currency: "EUR", Amount: amt("45.00"), Booked: true, BookedOn: "2024-03-04", ValueOn: "2024-03-04",
				EntryRef: "ABNA-0304-00000914", Remittance: "Terugbetaling bestelling 88123", EndToEndID: "REFUND-rf_01HQ3Z", Party: mulder},
			// The return of an outgoing payment: the other side is the creditor of that debit.
			{Account: acct, Currency: "EUR", Amount: amt("45.00"), Credit: true, Booked: true, Reversal: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "ABNA-0304-00000977", EndToEndID: "REFUND-rf_01HQ3Z", Party: mulder},
			{Account: acct, Currency: "EUR", Amount: amt("12.34"), Credit: true, ValueOn: "2024-03-05", Remittance: "Gift", Party: bank.Party{BIC: "DEUTNL2A"}},
		},
	}
}

func nlNotification02() fixture {
	const acct = "0300065264"
	return fixture{
		file: "nl_054_001_02.xml",
		want: bank.File{Format: bank.FormatCamt054, Version: "001.02", MessageID: "RABO-NTF-20240304-100233", Accounts: []string{acct}},
		entries: []bank.Entry{
			{Account: acct, Currency: "EUR", Amount: amt("1250.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "RABO0304100233000001", Reference: "RF18 5390 0754 7034", EndToEndID: "2024-Q1-INV-3",
				Party: bank.Party{Name: "Bouwbedrijf Hendriks", IBAN: "NL20INGB0001234567", BIC: "INGBNL2A"}},
			{Account: acct, Currency: "EUR", Amount: amt("0.01"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "RABO0304100233000002", Remittance: "Verificatie rekening <7f3a>", EndToEndID: "verify-7f3a",
				Party: bank.Party{Name: "Online Verificatie BV"}},
		},
	}
}

func beNotification08() fixture {
	const acct = "BE68539007547034"
	return fixture{
		file: "be_054_001_08.xml",
		want: bank.File{Format: bank.FormatCamt054, Version: "001.08", MessageID: "KRED-NTF-240304-000777", Accounts: []string{acct}},
		entries: []bank.Entry{
			{Account: acct, Currency: "EUR", Amount: amt("100.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "KRED-0304-553", Batch: 1, Reference: "090933755493", EndToEndID: "PAY-A-1",
				Party: bank.Party{Name: "Janssens Marc", IBAN: "BE43068211111111", BIC: "GKCCBEBB"}},
			{Account: acct, Currency: "EUR", Amount: amt("50.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				ValueOn: "2024-03-04", EntryRef: "KRED-0304-553", Batch: 2, Remittance: "+++123/4567/89002+++",
				Party: bank.Party{Name: "Maes Sofie", IBAN: "BE70310180012345", BIC: "BBRUBEBB"}},
			{Account: acct, Currency: "EUR", Amount: amt("20.00"), Credit: true, Booked: true, BookedOn: "2024-03-04",
				Reference: "000004211820", EndToEndID: "PAY-B-9",
				Party: bank.Party{Name: "Claes Pieter", IBAN: "BE25001254789612"}},
		},
	}
}

func TestReadFixtures(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", fx.file))
			if err != nil {
				t.Fatal(err)
			}
			f, got, err := readAll(data)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if f.Format != fx.want.Format || f.Version != fx.want.Version || f.MessageID != fx.want.MessageID ||
				!slices.Equal(f.Accounts, fx.want.Accounts) {
				t.Errorf("file = %+v, want %+v", f, fx.want)
			}
			compareEntries(t, got, fx.entries)
			// A statement read twice is recognised entry by entry, and
			// no two of its entries are taken for one.
			seen := map[string]int{}
			for i, e := range got {
				if j, ok := seen[e.Key()]; ok {
					t.Errorf("entries %d and %d share key %q", j+1, i+1, e.Key())
				}
				seen[e.Key()] = i
			}
		})
	}
}
