package coda

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// readAll reads a CODA text and gathers its entries.
func readAll(t *testing.T, text string) (bank.File, []bank.Entry, error) {
	t.Helper()
	var got []bank.Entry
	f, err := Read(strings.NewReader(text), func(e bank.Entry) error {
		got = append(got, e)
		return nil
	})
	return f, got, err
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// fixtureEntries are the entries of testdata/two_statements.cod, field by
// field, as its records were laid out (see the records' comments there).
func fixtureEntries() []bank.Entry {
	const be, de = "BE68539007547034", "DE89370400440532013000"
	return []bank.Entry{
		{ // structured communication 101, counterparty in 2.3, e2e NOTPROVIDED dropped
			Account: be, Currency: "EUR", Amount: dec("125.50"), Credit: true, Booked: true,
			BookedOn: "2025-03-03", ValueOn: "2025-03-03", EntryRef: "K4523A0BK00010001",
			Reference: "090933755493",
			Party:     bank.Party{Name: "Jan Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"},
		},
		{ // free communication over 2.1 and 2.2 (a word cut between them), then a free 3.1 + 3.2
			Account: be, Currency: "EUR", Amount: dec("40"), Credit: true, Booked: true,
			BookedOn: "2025-03-03", ValueOn: "2025-03-03", EntryRef: "K4523A0BK00020001",
			Remittance: "Invoice 2025-0042 consulting services for February and March, thank you " +
				"Paid with the bank app, reference of the payer: order nr 77 and 78",
			EndToEndID: "E2E-INV-2025-0042",
			Party:      bank.Party{BIC: "KREDBEBB"},
		},
		{ // a debit, value date unknown (000000)
			Account: be, Currency: "EUR", Amount: dec("19.99"), Credit: false, Booked: true,
			BookedOn: "2025-03-03", EntryRef: "K4523A0BK00030001",
			Remittance: "Refund bf_01J9 order 1234", EndToEndID: "bf01J9-1",
			Party: bank.Party{Name: "Claire Martin", IBAN: "FR1420041010050500013M02606", BIC: "BNPAFRPP"},
		},
		{ // a reversal (transaction 49, cancellation or correction); 2.3 right after 2.1; a structured 3.1 left out
			Account: be, Currency: "EUR", Amount: dec("125.5"), Credit: false, Booked: true, Reversal: true,
			BookedOn: "2025-03-03", ValueOn: "2025-03-03", EntryRef: "K4523A0BK00040001",
			Reference: "090933755493",
			Party:     bank.Party{Name: "Jan Peeters", IBAN: "BE71096123456769"},
		},
		// the total of sequence 0005 (type 2) is not an entry; its two details (type 6) are
		{
			Account: be, Currency: "EUR", Amount: dec("10"), Credit: true, Booked: true,
			BookedOn: "2025-03-03", ValueOn: "2025-03-03", EntryRef: "K4523A0BK00050001", Batch: 1,
			Reference: "123456789002",
			Party:     bank.Party{Name: "Pieter de Vries", IBAN: "NL91ABNA0417164300", BIC: "ABNANL2A"},
		},
		{
			Account: be, Currency: "EUR", Amount: dec("20"), Credit: true, Booked: true,
			BookedOn: "2025-03-03", ValueOn: "2025-03-03", EntryRef: "K4523A0BK00050001", Batch: 2,
			Reference: "000001234526", EndToEndID: "PAY-2",
			Party: bank.Party{Name: "Hans Müller", IBAN: "DE89370400440532013000", BIC: "COBADEFF"},
		},
		{ // second statement: a foreign IBAN account (structure 3)
			Account: de, Currency: "EUR", Amount: dec("1234.56"), Credit: true, Booked: true,
			BookedOn: "2025-03-04", ValueOn: "2025-03-04", EntryRef: "K4523A0BK00010002",
			Reference: "555000123455", EndToEndID: "INV-9-E2E",
			Party: bank.Party{Name: "Société Générale Client", IBAN: "FR1420041010050500013M02606", BIC: "BNPAFRPP"},
		},
		{ // R-transaction type 4 (reversal) in 2.2; an old Belgian account number is no IBAN
			Account: de, Currency: "EUR", Amount: dec("7.5"), Credit: false, Booked: true, Reversal: true,
			BookedOn: "2025-03-04", ValueOn: "2025-03-04", EntryRef: "K4523A0BK00020002",
			Remittance: "SDD reversal MANDATE 42",
			Party:      bank.Party{Name: "Old Account Holder", BIC: "GKCCBEBB"},
		},
	}
}

func sameEntry(a, b bank.Entry) bool {
	if !a.Amount.Equal(b.Amount) {
		return false
	}
	a.Amount, b.Amount = decimal.Zero, decimal.Zero
	return a == b
}

func TestReadFixture(t *testing.T) {
	raw, err := os.ReadFile("testdata/two_statements.cod")
	if err != nil {
		t.Fatal(err)
	}
	f, got, err := readAll(t, string(raw))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if f.Format != bank.FormatCODA || f.Version != "2" || f.MessageID != "2025-03-03/045" {
		t.Errorf("file = %+v", f)
	}
	if strings.Join(f.Accounts, ",") != "BE68539007547034,DE89370400440532013000" {
		t.Errorf("accounts = %v", f.Accounts)
	}
	want := fixtureEntries()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !sameEntry(got[i], want[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	// Amounts carry the file's 3 decimals as values, not as text.
	if got[0].Amount.String() != "125.5" {
		t.Errorf("amount text %q", got[0].Amount.String())
	}
}

// TestReadLatin1 reads a file whose names are ISO 8859-1 bytes (one byte a
// character), as many banks write them.
func TestReadLatin1(t *testing.T) {
	raw, err := os.ReadFile("testdata/two_statements.cod")
	if err != nil {
		t.Fatal(err)
	}
	var latin []byte
	for _, r := range string(raw) {
		if r > 0xFF {
			t.Fatalf("fixture has %q", r)
		}
		latin = append(latin, byte(r))
	}
	_, got, err := readAll(t, string(latin))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got[5].Party.Name != "Hans Müller" || got[6].Party.Name != "Société Générale Client" {
		t.Errorf("names %q, %q", got[5].Party.Name, got[6].Party.Name)
	}
}

func TestReadLineEndings(t *testing.T) {
	raw, err := os.ReadFile("testdata/two_statements.cod")
	if err != nil {
		t.Fatal(err)
	}
	lf := strings.ReplaceAll(string(raw), "\r\n", "\n")
	noFinal := strings.TrimSuffix(lf, "\n")
	for name, text := range map[string]string{"CRLF": string(raw), "LF": lf, "no final newline": noFinal} {
		_, got, err := readAll(t, text)
		if err != nil || len(got) != len(fixtureEntries()) {
			t.Errorf("%s: %d entries, %v", name, len(got), err)
		}
	}
}

func TestVisitErrorStops(t *testing.T) {
	raw, err := os.ReadFile("testdata/two_statements.cod")
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	_, err = Read(strings.NewReader(string(raw)), func(bank.Entry) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("err %v after %d entries", err, n)
	}
}

// TestReadManyInformationRecords: a movement's information records are
// read up to 4 KiB of text; more of them do not grow the reader's memory.
func TestReadManyInformationRecords(t *testing.T) {
	l := fixtureLines(t)
	var lines []string
	lines = append(lines, l[:9]...) // through movement 0002's 3.1 and 3.2
	extra := put(l[7], 41, strings.Repeat("x", 73))
	for range 1000 {
		lines = append(lines, extra)
	}
	lines = append(lines, l[9:]...)
	lines[24+1000] = put(lines[24+1000], 17, "001022") // the trailer counts the 1000 records more
	_, got, err := readAll(t, strings.Join(lines, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	free := "Invoice 2025-0042 consulting services for February and March, thank you "
	if r := got[1].Remittance; len(r)-len(free) > 4096 || len(r) < 4000 || !strings.HasPrefix(r, fixtureEntries()[1].Remittance+" xxx") {
		t.Errorf("remittance of %d bytes: %.200q", len(r), r)
	}
}
