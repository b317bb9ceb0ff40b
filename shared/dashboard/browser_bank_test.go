package dashboard_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/service"
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// The accounts of the test statements: the merchant's own (BE71 ... 6769)
// and the payers' (every one a valid Belgian IBAN).
const (
	ownIBAN   = "BE71096123456769"
	janIBAN   = "BE68539007547034"
	elsIBAN   = "BE62510007547061"
	claesIBAN = "BE43068999999501"
)

// newBankPeople is newPeople whose service keeps bank statements in a
// bucket of its own (moto's S3), with its queue consumers running (the
// reconcile worker reads the statements).
func newBankPeople(t *testing.T) *people {
	t.Helper()
	bkt := testenv.NewBucket(t)
	p := newPeopleWith(t, func(o *service.Options) {
		o.StatementsBucket, o.S3Endpoint, o.MerchantTTL = bkt.Name, bkt.Endpoint, time.Millisecond
	})
	p.srv.Consume(t)
	return p
}

// bankOn gives demo a beneficiary and bank transfers as a payment method.
func bankOn(t *testing.T, p *people) {
	t.Helper()
	body := `{"default_beneficiary":{"name":"Demo BV","iban":"` + ownIBAN + `","bic":"GKCCBEBB"},"payment_methods":["card","bank_transfer"]}`
	if st, r := p.api(t, "PUT", "/v1/settings", demoKeys.byPeople[p], body, nil); st != 200 {
		t.Fatalf("bank transfers on: %d %v", st, r)
	}
}

// bankLink is a link paid by bank transfer: its id and its structured
// reference.
type bankLink struct{ id, ref string }

func newBankLink(t *testing.T, p *people, amount, description, reference string) bankLink {
	t.Helper()
	body := `{"amount":{"currency":"EUR","value":"` + amount + `"},"description":"` + description + `","reference":"` + reference +
		`","customer":{"company_name":"Payer of ` + description + `","email":"payer@example.be"},"payment_methods":["bank_transfer"]}`
	st, l := p.api(t, "POST", "/v1/payment-links", demoKeys.byPeople[p], body, nil)
	if st != 201 {
		t.Fatalf("bank link %s: %d %v", description, st, l)
	}
	bt, _ := l["bank_transfer"].(map[string]any)
	if bt == nil || bt["reference"] == "" {
		t.Fatalf("the link %s has no bank transfer reference: %v", description, l)
	}
	return bankLink{id: l["id"].(string), ref: bt["reference"].(string)}
}

// entry is one entry of a test statement: a credit (or a debit) of amount,
// the bank's own reference of it, the other party, and the payment's
// structured reference (strd) or free text (ustrd).
type entry struct {
	amount       string
	debit        bool
	bankRef      string
	name, iban   string
	strd, ustrd  string
	bookingState string // BOOK unless set
}

// camt053 is a camt.053.001.08 statement (BankToCustomerStatementV08, ISO
// 20022) of the merchant's account holding the entries.
func camt053(id string, entries ...entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-12-02T06:00:00+01:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>%s-1</Id>
   <CreDtTm>2026-12-02T06:00:00+01:00</CreDtTm>
   <Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>
`, id, id, ownIBAN)
	for _, e := range entries {
		ind, party, acct := "CRDT", "Dbtr", "DbtrAcct"
		if e.debit {
			ind, party, acct = "DBIT", "Cdtr", "CdtrAcct"
		}
		state := e.bookingState
		if state == "" {
			state = "BOOK"
		}
		fmt.Fprintf(&b, `   <Ntry>
    <Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>%s</Cd></Sts>
    <BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt>
    <AcctSvcrRef>%s</AcctSvcrRef>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls><TxDtls>
     <RltdPties><%s><Pty><Nm>%s</Nm></Pty></%s><%s><Id><IBAN>%s</IBAN></Id></%s></RltdPties>
     <RmtInf>`, e.amount, ind, state, e.bankRef, party, e.name, party, acct, e.iban, acct)
		if e.ustrd != "" {
			fmt.Fprintf(&b, "<Ustrd>%s</Ustrd>", e.ustrd)
		}
		if e.strd != "" {
			fmt.Fprintf(&b, "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd>", e.strd)
		}
		b.WriteString("</RmtInf>\n    </TxDtls></NtryDtls>\n   </Ntry>\n")
	}
	b.WriteString("  </Stmt>\n </BkToCstmrStmt>\n</Document>\n")
	return b.String()
}

// writeFile writes body to a file named name in a directory of the test.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// bankDay is the test statement of a day: a transfer paying "Order 10" by
// its reference, one with no reference (42.00, to match by hand), one of
// the wrong amount for "Order 30", and the rent going out.
func bankDay(t *testing.T, p *people) (file string, paid, short bankLink) {
	t.Helper()
	paid = newBankLink(t, p, "10.00", "Order 10", "ORD-10")
	short = newBankLink(t, p, "30.00", "Order 30", "ORD-30")
	file = camt053("STMT-2026-12-01",
		entry{amount: "10.00", bankRef: "B-0001", name: "Jan Peeters", iban: janIBAN, strd: paid.ref},
		entry{amount: "42.00", bankRef: "B-0002", name: "Els Claes", iban: elsIBAN, ustrd: "Invoice 42 thanks"},
		entry{amount: "30.50", bankRef: "B-0003", name: "Marc Claes", iban: claesIBAN, strd: short.ref},
		entry{amount: "5.00", debit: true, bankRef: "B-0004", name: "Office rent", iban: claesIBAN, ustrd: "Rent December"})
	return file, paid, short
}

// uploadStatement sends a statement through the API (demo's key) and waits
// until it is read; it returns the statement.
func uploadStatement(t *testing.T, p *people, file string) map[string]any {
	t.Helper()
	key := demoKeys.byPeople[p]
	st, r := p.api(t, "POST", "/v1/bank-statements", key, file, map[string]string{"Content-Type": "application/xml"})
	if st != 202 {
		t.Fatalf("upload the statement: %d %v", st, r)
	}
	id := r["id"].(string)
	var got map[string]any
	testenv.Eventually(t, 30*time.Second, "the statement "+id+" read", func() bool {
		_, got = p.api(t, "GET", "/v1/bank-statements/"+id, key, "", nil)
		return got["status"] != "processing"
	})
	if got["status"] != "done" {
		t.Fatalf("the statement %s: %v", id, got)
	}
	return got
}

// noFullIBAN fails when the page's text shows one of the IBANs whole.
func noFullIBAN(t *testing.T, b *headless.Browser, where string) {
	t.Helper()
	txt := b.Text("body")
	for _, iban := range []string{ownIBAN, janIBAN, elsIBAN, claesIBAN} {
		if strings.Contains(strings.ReplaceAll(txt, " ", ""), iban) {
			t.Errorf("%s shows the IBAN %s whole", where, iban)
		}
	}
}

// TestBrowserBankStatements: a finance member imports a camt.053 on the
// Import page (the CSV part is not theirs: they lack links:write), sees it
// read with its counts, opens it: each entry with what it did in plain
// words, the payer's IBAN masked, links to the link it paid and to the
// payment waiting for review. The list shows the statement with the
// account masked; the same file again is all duplicates; a file that
// breaks is failed with its reason and nothing applied; a file that is no
// statement is refused in a plain sentence. An operator has neither the
// bank part nor the bank pages; a viewer is refused them.
func TestBrowserBankStatements(t *testing.T) {
	p := newBankPeople(t)
	b, _ := signedIn(t, p, "finance")
	bankOn(t, p)
	file, paid, _ := bankDay(t, p)

	b.Go(p.srv.URL + "/dashboard")
	b.ClickLink("Import")
	b.WaitURL("/dashboard/import")
	b.WaitText("Bank statement")
	if n := b.Count(`input[type=file][name=file]`); n != 0 {
		t.Errorf("a finance member is offered the CSV import (%d input)", n)
	}
	b.Upload("Statement file", writeFile(t, "statement-2026-12-01.xml", file))
	b.ClickButton("Upload statement")
	b.WaitText("Statement read: 4 entries.")
	summary := b.Text("#statement-progress")
	for _, want := range []string{"1 matched", "2 to review", "1 ignored", "0 duplicates", "camt.053", "•••• 6769"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the import's summary lacks %q:\n%s", want, summary)
		}
	}
	checkPage(t, b, "import-statement")
	noFullIBAN(t, b, "the import")

	b.ClickLink("Open the statement")
	stmt := strings.TrimPrefix(waitPath(t, b, "/dashboard/bank-statements/bs_"), "/dashboard/bank-statements/")
	b.WaitText("Paid the payment link.")
	entries := b.Text("#app tbody")
	for _, want := range []string{"Jan Peeters", "•••• 7034", "Els Claes", "Invoice 42 thanks", "Rent December",
		"No payment reference: waiting for review.", "Another amount than the payment link's: waiting for review.",
		"Money out of the account: nothing to do.", "+€10.00", "−€5.00"} {
		if !strings.Contains(entries, want) {
			t.Errorf("the statement's entries lack %q:\n%s", want, entries)
		}
	}
	if href := b.Attr(`#app tbody tr:nth-child(1) a`, "href"); href != "/dashboard/links/"+paid.id {
		t.Errorf("the paying entry links to %q, want the link %s", href, paid.id)
	}
	checkPage(t, b, "statement")
	noFullIBAN(t, b, "the statement")

	// The entry waiting for review opens it in Payments to review.
	b.Click(`#app tbody tr:nth-child(2) a`)
	b.WaitURL("/dashboard/review")
	b.WaitText("Invoice 42 thanks")
	if row := b.Text("#app tbody tr.target"); !strings.Contains(row, "Els Claes") {
		t.Errorf("the review page does not point at the entry's payment: %q", row)
	}

	b.ClickLink("Bank")
	b.WaitURL("/dashboard/bank-statements")
	b.WaitText("camt.053")
	row := b.Text("#app tbody tr")
	for _, want := range []string{"•••• 6769", "camt.053", "Done"} {
		if !strings.Contains(row, want) {
			t.Errorf("the statements' row lacks %q: %q", want, row)
		}
	}
	if cells := strings.Fields(b.Text("#app tbody tr td.num")); len(cells) != 1 || cells[0] != "4" {
		t.Errorf("the statement's entries cell: %q", cells)
	}
	checkPage(t, b, "statements")
	noFullIBAN(t, b, "the statements")
	b.ClickLink("Import a bank statement")
	b.WaitURL("/dashboard/import")

	// The same file again: every entry read before.
	b.Upload("Statement file", writeFile(t, "statement-again.xml", file))
	b.ClickButton("Upload statement")
	b.WaitText("Statement read: 4 entries.")
	if s := b.Text("#statement-progress"); !strings.Contains(s, "4 duplicates") || !strings.Contains(s, "0 matched") {
		t.Errorf("the same file again is not all duplicates:\n%s", s)
	}

	// A camt.053 with an amount that is no amount: failed, nothing applied.
	broken := strings.Replace(camt053("STMT-BROKEN", entry{amount: "10.00", bankRef: "X-1", name: "Jan Peeters", iban: janIBAN, ustrd: "x"}),
		`<Amt Ccy="EUR">10.00</Amt>`, `<Amt Ccy="EUR">ten</Amt>`, 1)
	b.Upload("Statement file", writeFile(t, "broken.xml", broken))
	b.ClickButton("Upload statement")
	b.WaitText("The statement could not be read")
	if s := b.Text("#statement-progress"); !strings.Contains(s, "Nothing of it was applied.") {
		t.Errorf("the failed statement does not say nothing was applied:\n%s", s)
	}
	b.Shot("import-statement-failed")

	// A text that is no CODA file: refused before anything is kept.
	b.Upload("Statement file", writeFile(t, "notes.txt", "hello, these are my notes\n"))
	b.ClickButton("Upload statement")
	b.WaitText("This file is not a bank statement the dashboard reads")
	b.Shot("import-not-a-statement")
	b.Axe(t, "the import with a refused file")
	if got := list(t, p, "/v1/bank-statements"); len(got) != 3 {
		t.Errorf("the API has %d statements, want 3 (two read, one failed)", len(got))
	}
	b.Go(p.srv.URL + "/dashboard/bank-statements/" + stmt)
	b.WaitText("Paid the payment link.")

	o, _ := signedIn(t, p, "operator")
	o.Go(p.srv.URL + "/dashboard/import")
	o.WaitText("CSV file")
	if n := o.Count(`#bank-statement`); n != 0 {
		t.Errorf("an operator is offered the bank statement import")
	}
	if txt := o.Text("nav.main"); strings.Contains(txt, "Bank") {
		t.Errorf("an operator's navigation offers the bank pages: %q", txt)
	}
	v, _ := signedIn(t, p, "viewer")
	refused(t, p, v, "Bank", "/dashboard/bank-statements/"+stmt, "Your role lacks the permission payments:review.")
	refused(t, p, v, "Bank", "/dashboard/refund-files", "Your role lacks the permission payments:review.")
}

// TestBrowserBankInbox: the bank payments waiting for review show their
// payer (IBAN masked) and text. A finance member matches the one with no
// reference to its link: only links of exactly its amount are offered, a
// link is found by its reference, and a confirmation names both, all with
// the keyboard alone; the link is paid by the bank. A match the link can no
// longer take (deleted meanwhile) is refused in a plain sentence. Refund says the money goes
// back by a bank transfer file; Escape refunds nothing.
func TestBrowserBankInbox(t *testing.T) {
	p := newBankPeople(t)
	b, _ := signedIn(t, p, "finance")
	bankOn(t, p)
	file, _, _ := bankDay(t, p)
	target := newBankLink(t, p, "42.00", "Invoice 42", "INV-42")
	other := newBankLink(t, p, "42.00", "Invoice 42 bis", "INV-42B")
	newBankLink(t, p, "41.99", "Almost 42", "ALM-42")
	uploadStatement(t, p, file)
	uploadStatement(t, p, camt053("STMT-2026-12-02",
		entry{amount: "42.00", bankRef: "B-0010", name: "Jan Peeters", iban: janIBAN, ustrd: "second payment of 42"}))

	b.Go(p.srv.URL + "/dashboard/review")
	b.WaitText("Invoice 42 thanks")
	rows := b.Text("#app tbody")
	for _, want := range []string{"Els Claes", "•••• 7061", "Invoice 42 thanks", "Jan Peeters", "Bank transfer"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the unmatched bank payments lack %q:\n%s", want, rows)
		}
	}
	noFullIBAN(t, b, "the review page")
	checkPage(t, b, "review-bank")

	matchByKeyboard(t, p, b, target)
	matchRefused(t, p, b, other)

	// Refund: by bank transfer; Escape first.
	b.ClickButton("Refund the payment from Jan Peeters")
	if txt := b.Text("dialog"); !strings.Contains(txt, "bank transfer") || !strings.Contains(txt, "refund file") || !strings.Contains(txt, "€42.00") {
		t.Errorf("the bank refund's confirmation: %q", txt)
	}
	b.Axe(t, "the bank refund dialog")
	b.Press("Escape")
	time.Sleep(500 * time.Millisecond)
	for _, it := range list(t, p, "/v1/payments/review?kind=unmatched") {
		if it["state"] != "open" && it["state"] != "matched" {
			t.Fatalf("a refund left with Escape was made: %v", it)
		}
	}
	checkPage(t, b, "review-bank-after")
}

// matchByKeyboard matches Els's 42.00 to the link target with the
// keyboard alone: only the links of exactly 42.00 are offered, the search
// by reference narrows them to target, a confirmation names both, and the
// link is paid by the bank.
func matchByKeyboard(t *testing.T, p *people, b *headless.Browser, target bankLink) {
	t.Helper()
	b.TabTo("Match to a link: the payment from Els Claes")
	b.Press("Enter")
	b.WaitText("Only payment links of exactly €42.00 are offered.")
	offered := b.Text("dialog fieldset")
	if !strings.Contains(offered, "Invoice 42") || !strings.Contains(offered, "Invoice 42 bis") ||
		strings.Contains(offered, "Almost 42") || strings.Contains(offered, "Order 10") {
		t.Fatalf("the links offered:\n%s", offered)
	}
	if f := b.Focused(); f != "Find a link" {
		t.Fatalf("the match dialog opens with the focus on %q", f)
	}
	b.Press("INV-42")
	b.Press("Enter")
	testenv.Eventually(t, headless.Timeout, "only INV-42 offered", func() bool {
		return b.Count(`dialog input[type=radio]`) == 1
	})
	b.Shot("review-match-dialog")
	b.Axe(t, "the match dialog")
	for i := 0; !strings.HasPrefix(b.Focused(), "Invoice 42 · INV-42 ·"); i++ {
		if i == 10 {
			t.Fatalf("Tab never reached the link offered; the focus is on %q", b.Focused())
		}
		b.Press("Tab")
	}
	b.Press("Space")
	b.TabTo("Continue")
	b.Press("Enter")
	confirm := b.Text("dialog")
	for _, want := range []string{"€42.00", "Els Claes", "Invoice 42", "INV-42"} {
		if !strings.Contains(confirm, want) {
			t.Errorf("the confirmation lacks %q: %q", want, confirm)
		}
	}
	b.Shot("review-match-confirm")
	if f := b.Focused(); f != "Match payment" {
		t.Fatalf("the confirmation has the focus on %q", f)
	}
	b.Press("Enter")
	b.WaitText("The payment is matched: the payment link Invoice 42 is paid.")
	testenv.Eventually(t, 10*time.Second, "the link paid by the bank", func() bool {
		_, l := p.api(t, "GET", "/v1/payment-links/"+target.id, demoKeys.byPeople[p], "", nil)
		return l["status"] == "paid" && l["psp"] == "bank"
	})
}

// matchRefused: Jan's 42.00 is offered only the open link of that amount
// (the one paid by hand is not); the link chosen is deleted before the
// match is confirmed, which the page refuses in a plain sentence.
func matchRefused(t *testing.T, p *people, b *headless.Browser, other bankLink) {
	t.Helper()
	b.ClickButton("Match to a link: the payment from Jan Peeters")
	b.WaitText("Only payment links of exactly €42.00 are offered.")
	if txt := b.Text("dialog fieldset"); strings.Contains(txt, "INV-42 ·") || !strings.Contains(txt, "Invoice 42 bis") {
		t.Errorf("a paid link is offered, or the open one is not:\n%s", txt)
	}
	if n := b.Count(`dialog input[type=radio]`); n != 1 {
		t.Errorf("%d links offered, want the one open link of 42.00", n)
	}
	b.Click(`dialog input[type=radio]`)
	b.ClickButton("Continue")
	// Never opened, the link is deleted rather than archived (204).
	if st, r := p.api(t, "POST", "/v1/payment-links/"+other.id+"/archive", demoKeys.byPeople[p], "", nil); st != 200 && st != 204 {
		t.Fatalf("archive %s: %d %v", other.id, st, r)
	}
	b.ClickButton("Match payment")
	b.WaitText("This payment could not be matched to that link")
	b.Shot("review-match-refused")
	b.Press("Escape")
}

// TestBrowserRefundFiles: before anything is refunded, the Refund files
// page says in a plain sentence that no refund is waiting and offers no
// Create. A finance member refunds a bank payment kept for review (it waits
// for a refund file: the API keeps it refunding); the page then shows what
// the next file would hold before it is made (1 refund waiting, its total),
// and the confirmation names that count and total. They create the file
// (its count and total shown), download its XML (a pain.001 paying the
// payer back), and the page says again that nothing waits, with no Create.
func TestBrowserRefundFiles(t *testing.T) {
	p := newBankPeople(t)
	b, _ := signedIn(t, p, "finance")
	bankOn(t, p)
	file, _, _ := bankDay(t, p)
	uploadStatement(t, p, file)

	b.Go(p.srv.URL + "/dashboard/refund-files")
	nothingWaiting(t, b, "before any refund")

	b.Go(p.srv.URL + "/dashboard/review")
	b.ClickButton("Refund the payment from Els Claes")
	b.Click("dialog button.danger")
	b.WaitText("Refund requested.")
	testenv.Eventually(t, 10*time.Second, "the payment refunding", func() bool {
		items := list(t, p, "/v1/payments/review?kind=unmatched")
		return len(items) == 1 && items[0]["state"] == "refunding"
	})

	b.Go(p.srv.URL + "/dashboard/bank-statements")
	b.ClickLink("Refund files")
	b.WaitURL("/dashboard/refund-files")
	b.WaitText("1 refund waiting, total €42.00.")
	b.WaitText("No refund files yet.")
	if n := b.Count("#create-refund-file"); n != 1 {
		t.Errorf("with a refund waiting, %d Create buttons", n)
	}
	checkPage(t, b, "refund-files-empty")

	b.ClickButton("Create refund file")
	confirm := b.Text("dialog")
	for _, want := range []string{"1 refund", "€42.00"} {
		if !strings.Contains(confirm, want) {
			t.Errorf("the refund file's confirmation lacks %q: %q", want, confirm)
		}
	}
	b.Shot("refund-files-confirm")
	b.Axe(t, "the refund file dialog")
	b.Click("dialog button.primary")
	b.WaitText("Refund file ready: 1 refund(s), €42.00 in total.")
	row := b.Text("#app tbody tr")
	for _, want := range []string{"€42.00", "1"} {
		if !strings.Contains(row, want) {
			t.Errorf("the refund files' row lacks %q: %q", want, row)
		}
	}
	nothingWaiting(t, b, "after the file")
	checkPage(t, b, "refund-files")
	name, body := b.Download(t, `#app tbody tr button`)
	if !strings.HasPrefix(name, "bf_") || !strings.HasSuffix(name, ".xml") {
		t.Errorf("the refund file is named %q", name)
	}
	for _, want := range []string{"pain.001.001.09", elsIBAN, "42.00"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the refund file lacks %q:\n%s", want, body)
		}
	}
	if got := list(t, p, "/v1/bank-refund-files"); len(got) != 1 {
		t.Errorf("the API has %d refund files, want 1", len(got))
	}
}

// nothingWaiting: the Refund files page says no refund waits and offers
// no Create.
func nothingWaiting(t *testing.T, b *headless.Browser, when string) {
	t.Helper()
	b.WaitText("No refunds are waiting to be paid out.")
	if n := b.Count("#create-refund-file"); n != 0 {
		t.Errorf("%s, nothing waits but the page offers Create (%d)", when, n)
	}
	if txt := b.Text("#refund-next"); strings.Contains(txt, "refund waiting") || strings.Contains(txt, "refunds waiting") {
		t.Errorf("%s, the preview still shows refunds waiting: %q", when, txt)
	}
}
