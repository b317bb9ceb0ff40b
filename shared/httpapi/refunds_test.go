package httpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// paidLink creates a link and marks it paid as the PSP event would.
func paidLink(t *testing.T, env *testenv.Env, srvURL, key, value string) string {
	t.Helper()
	body := `{"amount":{"currency":"EUR","value":"` + value + `"},"description":"d","customer":{"company_name":"ACME"}}`
	st, _, raw := call(t, "POST", srvURL+"/v1/payment-links", key, body, nil, true)
	if st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	cur, _ := env.Store.Get(t.Context(), "shop", id)
	next := *cur
	next.Status = domain.StatusPaid
	now := time.Now().UTC()
	next.PaidAt, next.PSP, next.PSPReference = &now, "sandbox", "pay_sb_"+id[len(id)-8:]
	if err := env.Store.Transition(t.Context(), cur, &next, domain.NewEvent(id, domain.EventPaid, cur.Status, next.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	return id
}

func linkJSON(t *testing.T, srvURL, key, id string) jsonMap {
	_, _, raw := call(t, "GET", srvURL+"/v1/payment-links/"+id, key, "", nil, true)
	return decode(t, raw)
}

func TestRefundsPartialThenRest(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	id := paidLink(t, env, srv.URL, key, "100.00")
	url := srv.URL + "/v1/payment-links/" + id + "/refunds"
	st, _, raw := call(t, "POST", url, key, `{"amount":{"currency":"EUR","value":"20.00"},"reason":"damaged box"}`, nil, true)
	r := decode(t, raw)
	if st != 201 || r["status"] != "pending" || r["amount"].(jsonMap)["value"] != "20.00" {
		t.Fatalf("refund: %d %s", st, raw)
	}
	testenv.Eventually(t, 10*time.Second, "refund succeeded", func() bool {
		_, _, raw := call(t, "GET", url, key, "", nil, true)
		d := decode(t, raw)["data"].([]any)
		return len(d) == 1 && d[0].(jsonMap)["status"] == "succeeded"
	})
	if l := linkJSON(t, srv.URL, key, id); l["amount_refunded"].(jsonMap)["value"] != "20.00" || l["refund_state"] != "partial" || l["status"] != "paid" {
		t.Fatalf("after partial: %v %v", l["amount_refunded"], l["refund_state"])
	}
	// 80.01 is above what is left; no amount means the rest.
	if st, _, raw := call(t, "POST", url, key, `{"amount":{"currency":"EUR","value":"80.01"}}`, nil, true); st != 422 || !strings.Contains(string(raw), "amount.value") {
		t.Fatalf("too much: %d %s", st, raw)
	}
	st, _, raw = call(t, "POST", url, key, ``, nil, true)
	if st != 201 || decode(t, raw)["amount"].(jsonMap)["value"] != "80.00" {
		t.Fatalf("rest: %d %s", st, raw)
	}
	testenv.Eventually(t, 10*time.Second, "fully refunded", func() bool {
		return linkJSON(t, srv.URL, key, id)["refund_state"] == "full"
	})
	if st, _, _ := call(t, "POST", url, key, `{}`, nil, true); st != 422 {
		t.Fatalf("nothing left: %d", st)
	}
	refundRefusals(t, env, srv.URL, key)
	var types []string
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links/"+id+"/events", key, "", nil, true)
	for _, e := range decode(t, raw)["data"].([]any) {
		types = append(types, e.(jsonMap)["type"].(string))
	}
	if got := strings.Join(types, ","); got != "payment_link.created,payment_link.paid,refund.created,refund.succeeded,refund.created,refund.succeeded" {
		t.Fatalf("timeline %s", got)
	}
}

// refundRefusals: refunds of unpaid links are 409, bad input 422 naming the
// field, unknown links 404.
func refundRefusals(t *testing.T, env *testenv.Env, base, key string) {
	t.Helper()
	// Refunds of unpaid links: 409; bad input: 422; unknown link: 404.
	_, _, raw := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"X"}}`, nil, true)
	unpaid := decode(t, raw)["id"].(string)
	if st, _, _ := call(t, "POST", base+"/v1/payment-links/"+unpaid+"/refunds", key, `{}`, nil, true); st != 409 {
		t.Fatalf("unpaid: %d", st)
	}
	id2 := paidLink(t, env, base, key, "10.00")
	for _, c := range []struct{ body, field string }{
		{`{"amount":{"currency":"USD","value":"1.00"}}`, "amount.currency"},
		{`{"amount":{"currency":"EUR","value":"1.001"}}`, "amount.value"},
		{`{"amount":{"currency":"EUR","value":"0"}}`, "amount.value"},
		{`{"reason":""}`, "reason"},
		{`{"amount":{"currency":"EUR","value":"1.00"},"extra":1}`, "extra"},
	} {
		if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id2+"/refunds", key, c.body, nil, false); st != 422 || !strings.Contains(string(raw), `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.body, st, raw)
		}
	}
	if st, _, _ := call(t, "POST", base+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/refunds", key, `{}`, nil, true); st != 404 {
		t.Fatalf("unknown link: %d", st)
	}
	if st, _, _ := call(t, "GET", base+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/refunds", key, "", nil, true); st != 404 {
		t.Fatalf("unknown link refunds: %d", st)
	}
}

func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	id := paidLink(t, env, srv.URL, key, "100.00")
	url := srv.URL + "/v1/payment-links/" + id + "/refunds"
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, _, raw := call(t, "POST", url, key, fmt.Sprintf(`{"amount":{"currency":"EUR","value":"7.00"},"reason":"part %d"}`, i), nil, true)
			mu.Lock()
			defer mu.Unlock()
			switch st {
			case 201:
				accepted++
			case 422:
				refused++
			default:
				t.Errorf("refund %d: %d %s", i, st, raw)
			}
		}(i)
	}
	wg.Wait()
	if accepted*7 > 100 || accepted+refused != 20 || accepted != 14 {
		t.Fatalf("accepted %d (%d.00 EUR), refused %d", accepted, accepted*7, refused)
	}
	testenv.Eventually(t, 15*time.Second, "every refund settled", func() bool {
		rs, _ := env.Store.Refunds(t.Context(), "shop", id)
		for _, r := range rs {
			if r.Status == "pending" {
				return false
			}
		}
		return len(rs) == accepted
	})
	l, _ := env.Store.Get(t.Context(), "shop", id)
	if l.AmountRefunded.String() != "98.00" || l.RefundCommitted.String() != "98.00" || l.RefundLeft().String() != "2.00" {
		t.Fatalf("refunded %s, committed %s, left %s", l.AmountRefunded, l.RefundCommitted, l.RefundLeft())
	}
	t.Logf("20 concurrent refunds of 7.00 on 100.00: %d accepted (%d.00), %d refused with 422", accepted, accepted*7, refused)
}

func TestFailedRefundReleasesItsAmount(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t) // the refund worker starts below, once the pending state is checked
	id := paidLink(t, env, srv.URL, key, "50.00")
	url := srv.URL + "/v1/payment-links/" + id + "/refunds"
	st, _, raw := call(t, "POST", url, key, `{"amount":{"currency":"EUR","value":"50.00"},"reason":"please fail this one"}`, nil, true)
	if st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	rid := decode(t, raw)["id"].(string)
	// While it is pending, nothing is left.
	if st, _, raw := call(t, "POST", url, key, `{"amount":{"currency":"EUR","value":"0.01"}}`, nil, true); st != 422 {
		t.Fatalf("while pending: %d %s", st, raw)
	}
	srv.Consume(t)
	testenv.Eventually(t, 10*time.Second, "refund failed", func() bool {
		r, _ := env.Store.GetRefund(t.Context(), "shop", id, rid)
		return r != nil && r.Status == "failed"
	})
	l, _ := env.Store.Get(t.Context(), "shop", id)
	if !l.AmountRefunded.IsZero() || !l.RefundCommitted.IsZero() || l.RefundLeft().String() != "50.00" {
		t.Fatalf("after failure: refunded %s, committed %s", l.AmountRefunded, l.RefundCommitted)
	}
	// The released amount can be refunded again.
	st, _, raw = call(t, "POST", url, key, ``, nil, true)
	if st != 201 {
		t.Fatalf("after release: %d %s", st, raw)
	}
	testenv.Eventually(t, 10*time.Second, "fully refunded", func() bool {
		l, _ := env.Store.Get(t.Context(), "shop", id)
		return l.AmountRefunded.String() == "50.00"
	})
	_, _, raw = call(t, "GET", url, key, "", nil, true)
	if d := decode(t, raw)["data"].([]any); d[0].(jsonMap)["failure_reason"] != "sandbox_refund_failed" {
		t.Fatalf("failed refund view: %s", raw)
	}
}
