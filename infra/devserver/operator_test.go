package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// The README's operator walk-through ("After deploy"), against make dev: the
// same commands, with no -function (make dev's table instead of a deployed
// admin function). Create a merchant, issue its key, set its PSP, create a
// link, open it.
func TestOperatorWalkthroughOnMakeDev(t *testing.T) {
	s := newStack(t)
	s.mustEmulators(t, "start")
	s.makeDev(t)
	admin := func(args ...string) map[string]any {
		t.Helper()
		c := exec.Command("go", append([]string{"run", "./infra/admin"}, args...)...)
		c.Dir, c.Env = s.root, s.env()
		out, err := c.Output()
		if err != nil {
			t.Fatalf("go run ./infra/admin %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("admin %v: %v\n%s", args, err, out)
		}
		return v
	}
	m := admin("create-merchant", "-merchant", "acme", "-name", "Acme Ltd", "-mode", "test")["merchant"].(map[string]any)
	if m["id"] != "acme" || m["mode"] != "test" {
		t.Fatalf("merchant %v", m)
	}
	key := admin("issue-key", "-merchant", "acme")["key"].(map[string]any)["secret"].(string)
	if st, body := s.api(t, key, "PUT", "/v1/settings", map[string]any{"psp": "sandbox", "redirect_domains": []string{"acme.example"}}); st != 200 {
		t.Fatalf("settings: %d %v", st, body)
	}
	st, link := s.api(t, key, "POST", "/v1/payment-links", map[string]any{"amount": map[string]string{"currency": "EUR", "value": "49.00"},
		"description": "Invoice 1", "customer": map[string]string{"company_name": "Buyer BV"}})
	if st != 201 {
		t.Fatalf("create link: %d %v", st, link)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(link["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || !strings.Contains(resp.Header.Get("Location"), "/sandbox/checkout/") {
		t.Fatalf("open the link: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if list := admin("list-merchants")["merchants"].([]any); len(list) != 2 { // demo and acme
		t.Fatalf("merchants %v", list)
	}
}
