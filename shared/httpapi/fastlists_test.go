package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
)

// The review and webhook deliveries listings in the fast tier (see
// fast_test.go): what they list is seeded into the fake store.

// seedReview seeds n review payments of "shop" (kinds in turn: unmatched,
// second, mismatched), one second apart, and one of "other"; their ids,
// oldest first.
func seedReview(f *fastAPI, n int) []string {
	at := f.clock.Now()
	var ids []string
	kinds := []string{store.ReviewUnmatched, store.ReviewSecond, store.ReviewMismatched}
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	for i := range n {
		at = at.Add(time.Second)
		amt := money.MustParse("EUR", fmt.Sprintf("%d.00", 10+i))
		p := store.ReviewPayment{ID: domain.NewID(domain.PrefixReview, at), Merchant: "shop", Kind: kinds[i%3], PSP: "sandbox",
			PSPReference: fmt.Sprintf("tr_%d", i), Amount: &amt, ReceivedAt: at, State: store.ReviewOpen}
		if p.Kind != store.ReviewUnmatched {
			exp := money.MustParse("EUR", "9.00")
			p.LinkID, p.Expected = domain.NewID(domain.PrefixLink, at), &exp
		}
		f.st.review["shop"] = append(f.st.review["shop"], p)
		ids = append(ids, p.ID)
	}
	f.st.review["other"] = append(f.st.review["other"], store.ReviewPayment{ID: domain.NewID(domain.PrefixReview, at), Merchant: "other",
		Kind: store.ReviewUnmatched, ReceivedAt: at, State: store.ReviewOpen})
	return ids
}

// TestFastReviewListing: the merchant's payments kept for review, newest
// first, page by page, by kind, as docs/api.md shows them; a bad kind is
// 422 naming it; without payments:review, 403.
func TestFastReviewListing(t *testing.T) {
	f := newFastAPI(t)
	ids := seedReview(f, 5)
	c := f.key(domain.PaymentsReview, domain.LinksRead)
	r := f.do(c, "GET", "/v1/payments/review?limit=2", "")
	page := r.data(t)
	if r.status != 200 || len(page) != 2 || page[0]["id"] != ids[4] || page[1]["id"] != ids[3] {
		t.Fatalf("%d %s", r.status, r.body)
	}
	p := page[0] // the fifth: second, on a link
	want := map[string]any{"object": "review_payment", "kind": "second", "psp": "sandbox", "psp_reference": "tr_4", "state": "open", "failure_reason": nil}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
	if fmt.Sprint(p["amount"]) != "map[currency:EUR value:14.00]" || fmt.Sprint(p["expected"]) != "map[currency:EUR value:9.00]" ||
		!strings.HasPrefix(fmt.Sprint(p["link_id"]), "pl_") || p["received_at"] == nil {
		t.Errorf("payment %v", p)
	}
	next := r.object(t)["next_cursor"].(string)
	rest := f.do(c, "GET", "/v1/payments/review?limit=2&cursor="+next, "").data(t)
	if len(rest) != 2 || rest[0]["id"] != ids[2] || rest[1]["id"] != ids[1] {
		t.Fatalf("page 2: %v", rest)
	}
	un := f.do(c, "GET", "/v1/payments/review?kind=unmatched", "").data(t)
	if len(un) != 2 || un[0]["id"] != ids[3] || un[1]["id"] != ids[0] || un[0]["link_id"] != nil || un[0]["expected"] != nil {
		t.Fatalf("unmatched: %v", un)
	}
	for q, field := range map[string]string{"kind=lost": "kind", "limit=0": "limit", "colour=red": "colour"} {
		wantProblem(t, q, f.do(c, "GET", "/v1/payments/review?"+q, ""), 422, field)
	}
	wantProblem(t, "a made-up cursor", f.do(c, "GET", "/v1/payments/review?cursor=nope", ""), 400, "cursor")
	wantProblem(t, "without payments:review", f.do(f.key(domain.LinksRead), "GET", "/v1/payments/review", ""), 403, "")
}

// seedDeliveries seeds n deliveries of "shop" one second apart, on two
// links in turn, every third failed, and one of "other"; their ids,
// oldest first, and the two links.
func seedDeliveries(f *fastAPI, n int) (ids []string, links [2]string) {
	at := f.clock.Now()
	links = [2]string{domain.NewID(domain.PrefixLink, at), domain.NewID(domain.PrefixLink, at.Add(time.Millisecond))}
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	for i := range n {
		at = at.Add(time.Second)
		ev := domain.NewID("ev_", at)
		d := store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: "shop", EventID: ev, EventType: domain.EventCreated, LinkID: links[i%2],
			Sequence: i + 1, Status: store.DeliverySucceeded, Attempts: 1, CreatedAt: at.Format(time.RFC3339), UpdatedAt: at.Format(time.RFC3339),
			Body: `{"type":"payment_link.created","data":{"id":"` + links[i%2] + `","customer":{"first_name":"Ana","email":"ana@example.be"}}}`,
			Log:  []store.Attempt{{At: at.Format(time.RFC3339), StatusCode: 200, DurationMS: 12}}}
		if i%3 == 2 {
			d.Status, d.Log[0].StatusCode = store.DeliveryFailed, 500
		}
		f.st.deliveries["shop"] = append(f.st.deliveries["shop"], d)
		ids = append(ids, d.ID)
	}
	ev := domain.NewID("ev_", at)
	f.st.deliveries["other"] = append(f.st.deliveries["other"], store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: "other", EventID: ev,
		LinkID: links[0], Status: store.DeliveryPending, Body: `{}`})
	return ids, links
}

// deliveryShown checks the sixth seeded delivery as listed.
func deliveryShown(t *testing.T, d map[string]any, link string) {
	t.Helper()
	if d["object"] != "webhook_delivery" || d["status"] != "failed" || d["sequence"] != 6.0 || d["link_id"] != link ||
		!strings.Contains(fmt.Sprint(d["payload"]), "ana@example.be") || len(d["attempt_log"].([]any)) != 1 || d["next_attempt_at"] != nil {
		t.Errorf("delivery %v", d)
	}
}

// TestFastDeliveriesListing: the merchant's webhook deliveries, newest
// first, page by page, by link and status, as the API shows them (the
// payload as sent, its people's data only to who may read it); bad
// filters are 422 naming them; one delivery by id, another merchant's is
// 404.
func TestFastDeliveriesListing(t *testing.T) {
	f := newFastAPI(t)
	ids, links := seedDeliveries(f, 6)
	c := f.key(domain.SettingsRead, domain.LinksRead)
	r := f.do(c, "GET", "/v1/webhook-deliveries?limit=4", "")
	page := r.data(t)
	if r.status != 200 || len(page) != 4 || page[0]["id"] != ids[5] || page[3]["id"] != ids[2] {
		t.Fatalf("%d %s", r.status, r.body)
	}
	deliveryShown(t, page[0], links[1])
	next := r.object(t)["next_cursor"].(string)
	if rest := f.do(c, "GET", "/v1/webhook-deliveries?limit=4&cursor="+next, "").data(t); len(rest) != 2 || rest[1]["id"] != ids[0] {
		t.Fatalf("page 2: %v", rest)
	}
	if got := f.do(c, "GET", "/v1/webhook-deliveries?status=failed&link_id="+links[0], "").data(t); len(got) != 1 || got[0]["id"] != ids[2] {
		t.Fatalf("failed on the first link: %v", got)
	}
	for q, field := range map[string]string{"status=lost": "status", "link_id=cus_1": "link_id", "limit=501": "limit", "sort=asc": "sort"} {
		wantProblem(t, q, f.do(c, "GET", "/v1/webhook-deliveries?"+q, ""), 422, field)
	}
	if one := f.do(c, "GET", "/v1/webhook-deliveries/"+ids[1], ""); one.status != 200 || one.object(t)["event_id"] == nil {
		t.Fatalf("one: %d %s", one.status, one.body)
	}
	wantProblem(t, "another merchant's", f.do(c, "GET", "/v1/webhook-deliveries/"+f.st.deliveries["other"][0].ID, ""), 404, "")
	bare := f.do(f.key(domain.SettingsRead), "GET", "/v1/webhook-deliveries?limit=1", "")
	if bare.status != 200 || strings.Contains(string(bare.body), "ana@example.be") || !strings.Contains(string(bare.body), ids[5]) {
		t.Fatalf("settings:read only: %d %s", bare.status, bare.body)
	}
	wantProblem(t, "without settings:read", f.do(f.key(domain.LinksRead), "GET", "/v1/webhook-deliveries", ""), 403, "")
}
