package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/store"
)

// fakeRefunds is the refund service's store as the bank refund routes
// reach it in the fast tier: one file of shop's, no payer known for any
// link, nothing waiting. Any other call panics (the embedded nil Store).
type fakeRefunds struct {
	refund.Store
}

const fakeBankFile = "bf_01JD3Q7A1B2C3D4E5F6G7H8J9K"

func (fakeRefunds) file(m, id string) (*store.BankFile, error) {
	if m != "shop" || id != fakeBankFile {
		return nil, domain.ErrNotFound
	}
	return &store.BankFile{ID: id, Merchant: m, Status: store.BankFileReady, Refunds: 1, Total: money.MustParse("EUR", "5.00"),
		CreatedAt: "2026-12-06T12:00:00.250Z", XML: `<?xml version="1.0" encoding="UTF-8"?><Document/>`}, nil
}

func (r fakeRefunds) GetBankFile(_ context.Context, m, id string) (*store.BankFile, error) {
	return r.file(m, id)
}

func (r fakeRefunds) BankFiles(_ context.Context, m string, _ int, _ string) (store.BankFilePage, error) {
	f, err := r.file(m, fakeBankFile)
	if err != nil {
		return store.BankFilePage{Items: []store.BankFile{}}, nil
	}
	f.XML = ""
	return store.BankFilePage{Items: []store.BankFile{*f}}, nil
}

func (fakeRefunds) WaitingPayouts(context.Context, string, int) ([]store.WaitingPayout, error) {
	return nil, nil
}

func (fakeRefunds) LinkPayer(context.Context, string, string) (*domain.Debtor, error) {
	return nil, nil
}

func withRefunds(f *fastAPI) {
	f.api.Refunds = &refund.Service{Store: fakeRefunds{}, Log: f.api.Log, Now: f.api.Now}
}

// TestFastBankRefundFiles: the files are listed and read as JSON; the XML
// is an attachment named after the file, and only for a caller who may
// read people's data (it names the payers); another merchant's file is
// 404; with nothing waiting, or no default beneficiary to pay from, a new
// file is a 409 problem that says so.
func TestFastBankRefundFiles(t *testing.T) {
	f := newFastAPI(t)
	withRefunds(f)
	bankShop(f)
	c := f.key()
	if got := f.do(c, "GET", "/v1/bank-refund-files", "").object(t); len(got["data"].([]any)) != 1 || got["next_cursor"] != nil {
		t.Fatalf("list %v", got)
	}
	if got := f.do(c, "GET", "/v1/bank-refund-files/"+fakeBankFile, "").object(t); got["refunds"] != float64(1) || got["total"].(map[string]any)["value"] != "5.00" ||
		got["object"] != "bank_refund_file" || got["created_at"] != "2026-12-06T12:00:00Z" || got["more"] != nil {
		t.Fatalf("file %v", got)
	}
	x := f.do(c, "GET", "/v1/bank-refund-files/"+fakeBankFile, "", "Accept", "application/xml")
	if x.status != 200 || x.header.Get("Content-Disposition") != "attachment; filename="+fakeBankFile+".xml" || !strings.HasSuffix(string(x.body), "<Document/>") {
		t.Fatalf("XML: %d %v %s", x.status, x.header, x.body)
	}
	review := f.key(domain.PaymentsReview)
	wantProblem(t, "XML without people's data", f.do(review, "GET", "/v1/bank-refund-files/"+fakeBankFile, "", "Accept", "application/xml"), 403, "")
	if r := f.do(review, "GET", "/v1/bank-refund-files/"+fakeBankFile, ""); r.status != 200 {
		t.Fatalf("JSON with payments:review alone: %d %s", r.status, r.body)
	}
	other := f.keyOf("other", "")
	wantProblem(t, "another merchant's", f.do(other, "GET", "/v1/bank-refund-files/"+fakeBankFile, "", "Accept", "application/xml"), 404, "")
	wantProblem(t, "an id of no file", f.do(c, "GET", "/v1/bank-refund-files/nope", ""), 404, "")
	r := f.do(c, "POST", "/v1/bank-refund-files", "")
	wantProblem(t, "nothing waiting", r, 409, "")
	if !strings.Contains(string(r.body), "no bank refunds are waiting to be paid out") {
		t.Errorf("nothing waiting: %s", r.body)
	}
	r = f.do(other, "POST", "/v1/bank-refund-files", "") // other has no default beneficiary
	wantProblem(t, "no account to pay from", r, 409, "")
	if !strings.Contains(string(r.body), "default beneficiary") {
		t.Errorf("no account: %s", r.body)
	}
	wantProblem(t, "a query of no filter", f.do(c, "GET", "/v1/bank-refund-files?kind=x", ""), 422, "kind")
}

// TestFastBankRefundNeedsThePayer: a link paid by bank transfer whose
// payer's account the bank did not name cannot be refunded by bank: a 422
// problem that says why, and nothing is written.
func TestFastBankRefundNeedsThePayer(t *testing.T) {
	f := newFastAPI(t)
	withRefunds(f)
	c := f.key()
	l := f.create(c, `{"amount":{"currency":"EUR","value":"42.00"},"description":"d","customer":{"company_name":"ACME"}}`)
	id := l["id"].(string)
	f.st.mu.Lock()
	stored := f.st.links[mkey("shop", id)]
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	stored.Status, stored.PSP, stored.PaidAt = domain.StatusPaid, domain.ProviderBank, &now
	f.st.mu.Unlock()
	before := f.st.written()
	r := f.do(c, "POST", "/v1/payment-links/"+id+"/refunds", `{"amount":{"currency":"EUR","value":"5.00"}}`)
	wantProblem(t, "no payer", r, 422, "")
	if !strings.Contains(string(r.body), "payer's name and IBAN") {
		t.Errorf("detail: %s", r.body)
	}
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("a refused refund wrote %v", w)
	}
}
