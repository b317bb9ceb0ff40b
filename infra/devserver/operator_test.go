package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// docs/operations.md's operator walk-through ("After deploy"), against make dev: the
// same commands, with no -function (make dev's table instead of a deployed
// admin function). Create a merchant, issue its key, set its PSP, create a
// link, open it. make dev runs on ports and a table of its own; the
// operator's shell names only its state directory, where make dev recorded
// the stack, and the command finds it there (and says so).
func TestOperatorWalkthroughOnMakeDev(t *testing.T) {
	s := newStack(t)
	s.mustEmulators(t, "start")
	s.makeDev(t, "PAYLINKS_DEV_PASSWORD="+devPassword)
	admin := func(args ...string) map[string]any {
		t.Helper()
		c := exec.Command("go", append([]string{"run", "./infra/admin"}, args...)...)
		var stderr strings.Builder
		c.Dir, c.Env, c.Stderr = s.root, s.operatorEnv(), &stderr
		out, err := c.Output()
		if err != nil {
			t.Fatalf("go run ./infra/admin %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		if want := fmt.Sprintf("table %s at %s", s.table, s.ddbURL()); !strings.Contains(stderr.String(), want) {
			t.Errorf("admin %v did not say it acts on make dev's stack (%s): %s", args, want, stderr.String())
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
	// The operator invites acme's first owner; make dev's demo owner signs
	// in to the dashboard with PAYLINKS_DEV_PASSWORD.
	owner := admin("invite-owner", "-merchant", "acme", "-email", "ana@acme.example")["member"].(map[string]any)
	if owner["role"] != "owner" || owner["email"] != "ana@acme.example" || owner["status"] != "invited" {
		t.Fatalf("invite owner: %v", owner)
	}
	s.signIn(t, "owner@demo.example", devPassword)
}

const devPassword = "Demo-pass-2026!"

// operatorEnv is an operator's shell beside make dev: it names the state
// directory and no endpoint, port or table.
func (s *stack) operatorEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_ENDPOINT_URL") || strings.HasSuffix(k, "_PORT") || k == "TABLE_NAME" || k == "PAYLINKS_RUN_DIR" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PAYLINKS_RUN_DIR="+s.run)
}

// signIn signs in to make dev's dashboard as a person would with a form.
func (s *stack) signIn(t *testing.T, email, password string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(s.devURL() + "/dashboard/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("sign-in page: %d %s", resp.StatusCode, page)
	}
	req, _ := http.NewRequest("POST", s.devURL()+"/dashboard/sign-in", strings.NewReader(url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range resp.Cookies() {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign in as %s: %d %s", email, resp.StatusCode, resp.Header.Get("Location"))
	}
}
