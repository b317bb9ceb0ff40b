package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// forged is a key whose checksum does not match: a valid key with its
// last character changed.
func forged(t *testing.T, i int) string {
	t.Helper()
	k, _, err := merchant.NewKey("nobody", false)
	if err != nil {
		t.Fatal(err)
	}
	last := byte('A' + i%26)
	if k[len(k)-1] == last {
		last = '0' + byte(i%10)
	}
	return k[:len(k)-1] + string(last)
}

// TestWrongKeysDoNotLockOutValidKeys: thirty well-formed unknown keys from
// one address (a NAT neighbour guessing) block the address for unknown
// keys (429 with Retry-After, no detail), but a valid key from the same
// address still works; a repeated unknown key costs no table read.
func TestWrongKeysDoNotLockOutValidKeys(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	var guesses []string
	statuses := map[int]int{}
	for i := 0; i < 30; i++ {
		g, _, err := merchant.NewKey("shop", false)
		if err != nil {
			t.Fatal(err)
		}
		guesses = append(guesses, g)
		st, h, body := call(t, "GET", srv.URL+"/v1/settings", g, "", nil, false)
		statuses[st]++
		if st == 429 && (h.Get("Retry-After") == "" || strings.Contains(string(body), g) || h.Get("Access-Control-Allow-Origin") != "") {
			t.Fatalf("an unknown key's 429: %v %s", h, body)
		}
	}
	if statuses[401] != 20 || statuses[429] != 10 {
		t.Fatalf("30 unknown keys: %v, want 20 401 then 10 429", statuses)
	}
	if st, _, body := call(t, "GET", srv.URL+"/v1/settings", key, "", nil, true); st != 200 {
		t.Fatalf("the valid key from the blocked address: %d %s", st, body)
	}
	env.Count.Reset()
	if st, _, _ := call(t, "GET", srv.URL+"/v1/settings", guesses[29], "", nil, false); st != 429 {
		t.Fatalf("a repeated unknown key: %d", st)
	}
	if n := env.Count.Total(); n != 0 {
		t.Fatalf("a repeated unknown key cost %d table calls: %v", n, env.Count.Snapshot())
	}
	// The valid key keeps working, cached: no read either.
	env.Count.Reset()
	if st, _, _ := call(t, "GET", srv.URL+"/v1/settings", key, "", nil, true); st != 200 {
		t.Fatalf("the valid key again: %d", st)
	}
}

// TestForgedKeysCostNothingAndDoNotBlock: thirty keys with a wrong
// checksum are 401 at once, cost no table call and do not count against
// the address: a well-formed unknown key after them is still a 401, not a
// 429, and the valid key works.
func TestForgedKeysCostNothingAndDoNotBlock(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	env.Count.Reset()
	for i := 0; i < 30; i++ {
		f := forged(t, i)
		if merchant.WellFormed(f) {
			t.Fatalf("the forged key %s is well-formed", f)
		}
		st, h, _ := call(t, "GET", srv.URL+"/v1/settings", f, "", nil, false)
		if st != 401 || h.Get("WWW-Authenticate") == "" {
			t.Fatalf("forged key %d: %d %v", i, st, h)
		}
	}
	if n := env.Count.Total(); n != 0 {
		t.Fatalf("30 forged keys cost %d table calls: %v", n, env.Count.Snapshot())
	}
	unknown, _, err := merchant.NewKey("shop", false)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, _ := call(t, "GET", srv.URL+"/v1/settings", unknown, "", nil, false); st != 401 {
		t.Fatalf("a well-formed unknown key after 30 forged ones: %d, want 401", st)
	}
	if st, _, _ := call(t, "GET", srv.URL+"/v1/settings", key, "", nil, true); st != http.StatusOK {
		t.Fatalf("the valid key: %d", st)
	}
}

// TestLegacyKeyStillWorks: a key a deployment issued before keys carried
// their checksum keeps working (looked up) until the merchant rotates it.
func TestLegacyKeyStillWorks(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "shop")
	srv := env.Serve(t)
	legacy := "sk_test_" + strings.Repeat("L3gacyK3", 4)
	k := merchant.KeyFor("shop", legacy)
	k.Created = "2026-01-01T00:00:00Z"
	if err := env.Store.PutKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	if st, _, raw := call(t, "GET", srv.URL+"/v1/payment-links", legacy, "", nil, true); st != http.StatusOK {
		t.Fatalf("a legacy key: %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", srv.URL+"/v1/payment-links", "sk_test_"+strings.Repeat("L3gacyK4", 4), "", nil, false); st != 401 {
		t.Fatalf("an unknown legacy-format key: %d", st)
	}
}
