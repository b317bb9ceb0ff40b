package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

func amountp(cur, v string) *money.Amount { a := money.MustParse(cur, v); return &a }

func linkStatus(t *testing.T, base, key, id string) jsonMap {
	t.Helper()
	st, _, raw := call(t, "GET", base+"/v1/payment-links/"+id, key, "", nil, true)
	if st != 200 {
		t.Fatalf("get link %d %s", st, raw)
	}
	return decode(t, raw)
}

// TestWrongMoneyNeverPaysALink: correctly signed sandbox payments of USD
// 0.01, JPY 1, EUR 55.01 and of no amount at all leave an EUR 55.00 link
// unpaid; each is kept for review once (a redelivery and a second event of
// the same payment make no second item), written on the link's timeline and
// sent to the merchant as payment.review_opened. A refund cannot take money
// that never came; the payment of EUR 55.00 then pays the link, and refunds
// stay within it.
func TestWrongMoneyNeverPaysALink(t *testing.T) {
	rcv := newReceiver(t, nil)
	env, srv, key := webhookEnv(t, rcv, []time.Duration{time.Second})
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"55.00"},"description":"Order 55","customer":{"company_name":"Acme BV","email":"a@example.com"}}`, nil, true)
	if st != 201 {
		t.Fatalf("create %d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	testenv.Eventually(t, 20*time.Second, "created delivered", func() bool { return len(rcv.delivered()) >= 1 })

	postWrongMoney(t, srv.URL, id)
	items, got := reviewItemsOfWrongMoney(t, srv.URL, key, id)
	reviewFiltersAndPages(t, srv.URL, key, items)
	wrongMoneyHeardOnce(t, srv.URL, key, id, rcv)
	rightMoneyPays(t, srv.URL, key, id)
	reviewRefundedOnce(t, env, srv.URL, key, got["pay_sb_usd"]["id"].(string))
}

// postWrongMoney posts, twice each (the PSP's retry), payments of USD 0.01,
// JPY 1, EUR 55.01 and of no amount for link id, and another event about a
// payment already under review.
func postWrongMoney(t *testing.T, base, id string) {
	t.Helper()
	wrong := []struct {
		ev     string
		pay    string
		amount *money.Amount
	}{
		{"evt_sb_usd", "pay_sb_usd", amountp("USD", "0.01")},
		{"evt_sb_jpy", "pay_sb_jpy", amountp("JPY", "1")},
		{"evt_sb_cent", "pay_sb_cent", amountp("EUR", "55.01")},
		{"evt_sb_none", "pay_sb_none", nil},
	}
	for _, w := range wrong {
		ev := sandbox.WebhookEvent{ID: w.ev, Type: "payment.succeeded", Created: time.Now().Unix(),
			Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: w.pay, Amount: w.amount}}
		psptest.PostSandbox(t, base, "hooks", ev)
		psptest.PostSandbox(t, base, "hooks", ev) // the PSP's retry
	}
	// Another event about a payment already under review.
	psptest.PostSandbox(t, base, "hooks", sandbox.WebhookEvent{ID: "evt_sb_usd_again", Type: "payment.succeeded", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_usd", Amount: amountp("USD", "0.01")}})
}

// reviewItemsOfWrongMoney waits for the four payments under review, checks
// that the link did not move and that each item says what came and what was
// expected; it returns the listed items, and them by PSP reference.
func reviewItemsOfWrongMoney(t *testing.T, base, key, id string) ([]any, map[string]jsonMap) {
	t.Helper()
	var items []any
	testenv.Eventually(t, 20*time.Second, "four payments under review", func() bool {
		st, _, raw := call(t, "GET", base+"/v1/payments/review?kind=mismatched", key, "", nil, true)
		if st != 200 {
			return false
		}
		items = decode(t, raw)["data"].([]any)
		return len(items) >= 4
	})
	time.Sleep(500 * time.Millisecond)
	if l := linkStatus(t, base, key, id); l["status"] != "created" || l["paid_at"] != nil {
		t.Fatalf("wrong money moved the link: %v", l)
	}
	st, _, raw := call(t, "GET", base+"/v1/payments/review?kind=mismatched", key, "", nil, true)
	items = decode(t, raw)["data"].([]any)
	if st != 200 || len(items) != 4 {
		t.Fatalf("review %d %s", st, raw)
	}
	got := wrongMoneyItems(t, items, raw, id)
	return items, got
}

// wrongMoneyItems checks each review item (newest first, mismatched, open,
// expecting EUR 55.00) and what came; it returns them by PSP reference.
func wrongMoneyItems(t *testing.T, items []any, raw []byte, id string) map[string]jsonMap {
	t.Helper()
	got := map[string]jsonMap{}
	for i, x := range items {
		it := x.(jsonMap)
		got[it["psp_reference"].(string)] = it
		if i > 0 && it["id"].(string) > items[i-1].(jsonMap)["id"].(string) {
			t.Fatalf("not newest first: %s", raw)
		}
		exp := it["expected"].(jsonMap)
		if !strings.HasPrefix(it["id"].(string), "py_") || it["kind"] != "mismatched" || it["link_id"] != id || it["psp"] != "sandbox" ||
			it["state"] != "open" || exp["currency"] != "EUR" || exp["value"] != "55.00" {
			t.Fatalf("review item %v", it)
		}
	}
	if a := got["pay_sb_usd"]["amount"].(jsonMap); a["currency"] != "USD" || a["value"] != "0.01" {
		t.Fatalf("received amount %v", a)
	}
	if a := got["pay_sb_jpy"]["amount"].(jsonMap); a["currency"] != "JPY" || a["value"] != "1" {
		t.Fatalf("received amount %v", a)
	}
	if got["pay_sb_none"]["amount"] != nil {
		t.Fatalf("no amount received, listed %v", got["pay_sb_none"])
	}
	return got
}

// reviewFiltersAndPages: other kinds are filtered out, a bad kind is a 422
// naming it, and pages of one list items newest first with a cursor.
func reviewFiltersAndPages(t *testing.T, base, key string, items []any) {
	t.Helper()
	if st, _, raw := call(t, "GET", base+"/v1/payments/review?kind=unmatched", key, "", nil, true); st != 200 || len(decode(t, raw)["data"].([]any)) != 0 {
		t.Fatalf("unmatched %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", base+"/v1/payments/review?kind=odd", key, "", nil, false); st != 422 || !strings.Contains(string(raw), `"kind"`) {
		t.Fatalf("bad kind %d %s", st, raw)
	}
	// Pages of one, newest first, with an opaque cursor.
	var paged []string
	cursor := ""
	for i := 0; i < 6; i++ {
		st, _, raw := call(t, "GET", base+"/v1/payments/review?limit=1&cursor="+cursor, key, "", nil, true)
		page := decode(t, raw)
		if st != 200 {
			t.Fatalf("page %d %s", st, raw)
		}
		for _, x := range page["data"].([]any) {
			paged = append(paged, x.(jsonMap)["id"].(string))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(paged) != 4 || paged[0] != items[0].(jsonMap)["id"] || paged[3] != items[3].(jsonMap)["id"] {
		t.Fatalf("paged %v, listed %v", paged, items)
	}
}

// wrongMoneyHeardOnce: a refund cannot give back money that never came, and
// the timeline and the merchant's webhooks have one review_opened per payment.
func wrongMoneyHeardOnce(t *testing.T, base, key, id string, rcv *receiver) {
	t.Helper()
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/refunds", key, `{"amount":{"currency":"EUR","value":"55.00"}}`, nil, true); st != 409 {
		t.Fatalf("refund on an unpaid link: %d %s", st, raw)
	}
	// The timeline says what happened, once per payment.
	st, _, raw := call(t, "GET", base+"/v1/payment-links/"+id+"/events", key, "", nil, true)
	n := strings.Count(string(raw), `"payment.review_opened"`)
	if st != 200 || n != 4 {
		t.Fatalf("timeline has %d review events: %s", n, raw)
	}
	// The merchant heard of each once.
	testenv.Eventually(t, 20*time.Second, "review_opened delivered", func() bool { return len(rcv.delivered()) >= 5 })
	time.Sleep(time.Second)
	opened := 0
	for _, x := range rcv.delivered() {
		p := x.payload(t)
		if p.Type == "payment.review_opened" {
			opened++
			if p.Data.Link["id"] != id || p.Data.Link["status"] != "created" || p.Data.Review["kind"] != "mismatched" ||
				!strings.HasPrefix(p.Data.Review["id"].(string), "py_") {
				t.Fatalf("review_opened payload %s", x.Body)
			}
		}
	}
	if opened != 4 {
		t.Fatalf("%d payment.review_opened deliveries, want 4", opened)
	}
}

// rightMoneyPays: EUR 55.00 pays the link, and refunds stay within it.
func rightMoneyPays(t *testing.T, base, key, id string) {
	t.Helper()
	psptest.PostSandbox(t, base, "hooks", sandbox.WebhookEvent{ID: "evt_sb_right", Type: "payment.succeeded", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_right", Amount: amountp("EUR", "55.00")}})
	testenv.Eventually(t, 20*time.Second, "paid", func() bool { return linkStatus(t, base, key, id)["status"] == "paid" })
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/refunds", key, `{"amount":{"currency":"EUR","value":"55.01"}}`, nil, true); st != 422 {
		t.Fatalf("refund above what was received: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/refunds", key, `{"amount":{"currency":"EUR","value":"55.00"}}`, nil, true); st != 201 {
		t.Fatalf("refund of what was received: %d %s", st, raw)
	}
}

// reviewRefundedOnce: the review payment py goes back once, then is not
// open any more; another merchant sees none of it.
func reviewRefundedOnce(t *testing.T, env *testenv.Env, base, key, py string) {
	t.Helper()
	if st, _, raw := call(t, "POST", base+"/v1/payments/review/"+py+"/refund", key, "", map[string]string{"Idempotency-Key": "back-1"}, true); st != 202 {
		t.Fatalf("review refund %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payments/review/"+py+"/refund", key, "", map[string]string{"Idempotency-Key": "back-1"}, true); st != 202 {
		t.Fatalf("review refund replayed %d %s", st, raw)
	}
	testenv.Eventually(t, 20*time.Second, "review payment refunded", func() bool {
		_, _, raw := call(t, "GET", base+"/v1/payments/review?kind=mismatched", key, "", nil, true)
		for _, x := range decode(t, raw)["data"].([]any) {
			if x.(jsonMap)["id"] == py {
				return x.(jsonMap)["state"] == "refunded"
			}
		}
		return false
	})
	if st, _, raw := call(t, "POST", base+"/v1/payments/review/"+py+"/refund", key, "", nil, true); st != 409 {
		t.Fatalf("second review refund %d %s", st, raw)
	}
	// One audit entry: the replay and the refused second refund record none.
	if got := strings.Join(actions(auditEntries(t, base, key, "resource="+py)), ","); got != "review.refunded" {
		t.Fatalf("review refund's audit: %q", got)
	}
	// Another merchant sees none of it.
	other := env.Merchant(t, "other")
	if st, _, raw := call(t, "POST", base+"/v1/payments/review/"+py+"/refund", other, "", nil, true); st != 404 {
		t.Fatalf("another merchant's review refund %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", base+"/v1/payments/review", other, "", nil, true); st != 200 || len(decode(t, raw)["data"].([]any)) != 0 {
		t.Fatalf("another merchant's review list %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payments/review/py_nope/refund", key, "", nil, false); st != 404 {
		t.Fatalf("unknown review payment %d %s", st, raw)
	}
}
