package httpapi_test

import (
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit/faults"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestEraseStoppedHalfWay: an erasure that stops once it has begun (here
// the reads of the customer's links are throttled, after its marker is
// written)
// answers 503 with Retry-After saying the erasure is under way and to post
// again, not that nothing was changed; posted again, it finishes. Before,
// the route answered the generic "nothing was changed", which is false
// for an erasure that has begun (on make dev: a customer with 150 links,
// each post ran into the request deadline part way through).
func TestEraseStoppedHalfWay(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop-e")
	base := env.Serve(t).URL
	post := poster(t, base, key)
	id := post("/v1/customers", `{"first_name":"Half","last_name":"Way","email":"half@example.be"}`, 201)["id"].(string)
	post("/v1/payment-links", `{"amount":{"currency":"EUR","value":"7.00"},"description":"Invoice 1","customer_id":"`+id+`"}`, 201)

	env.Faults.Set(faults.Rule{Name: "stop", Rate: 1, Err: faults.Throttled, Ops: []string{"Query"}})
	st, h, raw := call(t, "POST", base+"/v1/customers/"+id+"/erase", key, "", nil, true)
	env.Faults.Set()
	detail, _ := decode(t, raw)["detail"].(string)
	if st != 503 || h.Get("Retry-After") == "" || !strings.Contains(detail, "under way") || strings.Contains(detail, "nothing was changed") {
		t.Fatalf("an erasure stopped half way: %d Retry-After %q %s", st, h.Get("Retry-After"), raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/customers/"+id+"/erase", key, "", nil, true); st != 200 || decode(t, raw)["erased"] != true {
		t.Fatalf("the erasure posted again: %d %s", st, raw)
	}
}
