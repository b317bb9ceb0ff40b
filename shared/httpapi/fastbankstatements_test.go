package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
)

// fakeBank is the statements service in memory: it keeps what is
// uploaded, has one statement with two entries, and answers a match with
// the error set for it.
type fakeBank struct {
	mu       sync.Mutex
	uploaded []string // content type and body
	matchErr error
}

const fakeStatement = "bs_01JD3Q7A1B2C3D4E5F6G7H8J9K"

func (b *fakeBank) Upload(_ context.Context, m, ct string, body []byte) (*store.Statement, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.uploaded = append(b.uploaded, m+" "+ct+" "+string(body))
	return &store.Statement{ID: fakeStatement, Merchant: m, Status: store.StatementProcessing}, nil
}

func (b *fakeBank) Statement(_ context.Context, m, id string) (*store.Statement, error) {
	if m != "shop" || id != fakeStatement {
		return nil, domain.ErrNotFound
	}
	return &store.Statement{ID: id, Merchant: m, Status: store.StatementDone, Format: "camt.053", AccountIBAN: "BE71096123456769", Source: "api",
		Entries: 2, Matched: 1, Review: 1, CreatedAt: "2026-12-06T12:00:00.250Z"}, nil
}

func (b *fakeBank) Statements(ctx context.Context, m string, _ int, _ string) (store.StatementPage, error) {
	st, err := b.Statement(ctx, m, fakeStatement)
	if err != nil {
		return store.StatementPage{Items: []store.Statement{}}, nil
	}
	return store.StatementPage{Items: []store.Statement{*st}}, nil
}

func (b *fakeBank) Entries(ctx context.Context, m, id string, _ int, _ string) (store.EntryPage, error) {
	if _, err := b.Statement(ctx, m, id); err != nil {
		return store.EntryPage{}, err
	}
	return store.EntryPage{Items: []store.StatementEntry{
		{Index: 0, Outcome: domain.EntryMatched, Reason: domain.ReasonPaid, LinkID: "pl_1", BookedOn: "2026-12-01", Currency: "EUR", Amount: "10.5", Credit: true,
			Reference: "RF18539007547034", DebtorName: "Jan Peeters", DebtorIBAN: "BE68539007547034", Remittance: "order 7"},
		{Index: 1, Outcome: domain.EntryIgnored, Reason: domain.ReasonDebit, Currency: "EUR", Amount: "0.001"},
	}}, nil
}

func (b *fakeBank) Match(_ context.Context, m, id, linkID string) (*store.ReviewPayment, *domain.Link, error) {
	if b.matchErr != nil {
		return nil, nil, b.matchErr
	}
	amt := money.MustParse("EUR", "10.00")
	return &store.ReviewPayment{ID: id, Merchant: m, Kind: store.ReviewUnmatched, PSP: domain.ProviderBank, PSPReference: "bank_1", Amount: &amt,
		LinkID: linkID, State: store.ReviewMatched, Debtor: &domain.Debtor{Name: "Jan Peeters", IBAN: "BE68539007547034"}, Remittance: "order 7"}, &domain.Link{ID: linkID}, nil
}

// The statements' upload over a fake service takes only statements'
// content types (415), up to 10 MiB with or without an Idempotency-Key
// (413), not empty (422 file).
func TestFastBankStatementUploads(t *testing.T) {
	f := newFastAPI(t)
	bank := &fakeBank{}
	f.api.Bank = bank
	full := f.key()
	xml := []string{"Content-Type", "application/xml"}
	if r := f.do(full, "POST", "/v1/bank-statements", "<Document/>", xml...); r.status != 202 || r.object(t)["id"] != fakeStatement {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if r := f.do(full, "POST", "/v1/bank-statements", "0000", "Content-Type", "text/plain; charset=iso-8859-1"); r.status != 202 {
		t.Fatalf("upload CODA: %d %s", r.status, r.body)
	}
	wantProblem(t, "a PDF", f.do(full, "POST", "/v1/bank-statements", "%PDF", "Content-Type", "application/pdf"), 415, "")
	wantProblem(t, "no type", f.do(full, "POST", "/v1/bank-statements", "x", "Content-Type", ""), 415, "")
	wantProblem(t, "empty", f.do(full, "POST", "/v1/bank-statements", "", xml...), 422, "file")
	wantProblem(t, "11 MiB", f.do(full, "POST", "/v1/bank-statements", strings.Repeat("<", 10<<20+1), xml...), 413, "")
	wantProblem(t, "11 MiB with a key", f.do(full, "POST", "/v1/bank-statements", strings.Repeat("<", 10<<20+1), append(xml, "Idempotency-Key", "k1")...), 413, "")
	if r := f.do(full, "POST", "/v1/bank-statements", strings.Repeat("<", 10<<20), append(xml, "Idempotency-Key", "k2")...); r.status != 202 {
		t.Fatalf("10 MiB with a key: %d %s", r.status, r.body)
	}
	if len(bank.uploaded) != 3 || !strings.HasPrefix(bank.uploaded[1], "shop text/plain; charset=iso-8859-1 0000") {
		t.Fatalf("uploaded %d: %.80q", len(bank.uploaded), bank.uploaded)
	}
	f.api.Bank = nil
	wantProblem(t, "no bank", f.do(full, "GET", "/v1/bank-statements", ""), 404, "")
}

// Over a fake service, answers show a statement and its entries as the
// bank wrote them (an amount of its currency with its digits) and the
// debtor and text only to who may read customers' data.
func TestFastBankStatementReads(t *testing.T) {
	f := newFastAPI(t)
	f.api.Bank = &fakeBank{}
	full, review := f.key(), f.key(domain.PaymentsReview)

	if r := f.do(full, "GET", "/v1/bank-statements/"+fakeStatement, ""); r.status != 200 || r.object(t)["created_at"] != "2026-12-06T12:00:00Z" || r.object(t)["format"] != "camt.053" {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	wantProblem(t, "another's", f.do(f.keyOf("other", ""), "GET", "/v1/bank-statements/"+fakeStatement, ""), 404, "")
	if r := f.do(full, "GET", "/v1/bank-statements", ""); r.status != 200 || len(r.data(t)) != 1 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	wantProblem(t, "limit", f.do(full, "GET", "/v1/bank-statements?limit=501", ""), 422, "limit")
	wantProblem(t, "unknown filter", f.do(full, "GET", "/v1/bank-statements/"+fakeStatement+"/entries?status=x", ""), 422, "status")

	entries := f.do(full, "GET", "/v1/bank-statements/"+fakeStatement+"/entries", "").data(t)
	if got := fmt.Sprintln(entries[0]["amount"], entries[0]["debtor"], entries[0]["remittance"], entries[1]["amount"], entries[1]["debtor"], entries[1]["link_id"]); got !=
		"map[currency:EUR value:10.50] map[iban:BE68539007547034 name:Jan Peeters] order 7 map[currency:EUR value:0.001] <nil> <nil>\n" {
		t.Fatalf("entries: %s", got)
	}
	if e := f.do(review, "GET", "/v1/bank-statements/"+fakeStatement+"/entries", "").data(t)[0]; e["debtor"] != nil || e["remittance"] != nil || e["link_id"] != "pl_1" {
		t.Fatalf("entries without the right to customers' data: %v", e)
	}

}

// A match over a fake service: the payment matched, shown without the
// debtor to who may not read it; its refusals are 409, 422 or 404 as the
// service says, a body without link_id or with another field 422.
func TestFastBankMatch(t *testing.T) {
	f := newFastAPI(t)
	bank := &fakeBank{}
	f.api.Bank = bank
	full, review := f.key(), f.key(domain.PaymentsReview)
	match := func(c caller, body string) fastAnswer { return f.do(c, "POST", "/v1/payments/review/py_1/match", body) }
	if r := match(full, `{"link_id":"pl_9"}`); r.status != 200 || r.object(t)["state"] != "matched" || r.object(t)["remittance"] != "order 7" {
		t.Fatalf("match: %d %s", r.status, r.body)
	}
	if r := match(review, `{"link_id":"pl_9"}`); r.object(t)["debtor"] != nil || r.object(t)["remittance"] != nil {
		t.Fatalf("match without the right to customers' data: %s", r.body)
	}
	wantProblem(t, "no link_id", match(full, `{}`), 422, "link_id")
	wantProblem(t, "an unknown field", match(full, `{"link_id":"pl_9","amount":1}`), 422, "amount")
	for _, c := range []struct {
		err    error
		status int
		field  string
	}{
		{store.ErrReviewNotMatchable, 409, ""},
		{fmt.Errorf("paid: %w", domain.ErrTransition), 409, ""},
		{domain.FieldErrors{{Field: "link_id", Message: "another amount"}}, 422, "link_id"},
		{domain.ErrNotFound, 404, ""},
	} {
		bank.matchErr = c.err
		wantProblem(t, c.err.Error(), match(full, `{"link_id":"pl_9"}`), c.status, c.field)
	}
}
