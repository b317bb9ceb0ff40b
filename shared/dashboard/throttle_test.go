package dashboard_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is the dashboard's injected time: frozen, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// frozen gives the dashboard a clock stopped at the present.
func frozen(p *people) *clock {
	c := &clock{t: time.Now()}
	p.srv.Service.Dashboard.Now = c.Now
	return c
}

// visitor is a person at the sign-in page from a client address of their
// own (a loopback address the test dials from).
type visitor struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   *http.Cookie
}

func (p *people) visitor(t *testing.T, from string) *visitor {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	return &visitor{t: t, base: p.srv.URL, client: &http.Client{
		Transport:     &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (v *visitor) do(req *http.Request) (*http.Response, string) {
	v.t.Helper()
	if v.csrf != nil {
		req.AddCookie(&http.Cookie{Name: v.csrf.Name, Value: v.csrf.Value})
	}
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// post sends a sign-in form (the page's CSRF token, read once) to path.
func (v *visitor) post(path string, form url.Values) (*http.Response, string) {
	v.t.Helper()
	if v.csrf == nil {
		req, _ := http.NewRequest("GET", v.base+"/dashboard/sign-in", nil)
		resp, _ := v.do(req)
		for _, c := range resp.Cookies() {
			if c.Name == "__Host-paylinks_signin" {
				v.csrf = c
			}
		}
		if v.csrf == nil {
			v.t.Fatal("the sign-in page set no CSRF cookie")
		}
	}
	form.Set("csrf", v.csrf.Value)
	req, _ := http.NewRequest("POST", v.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

func (v *visitor) signIn(email, password string) (*http.Response, string) {
	v.t.Helper()
	return v.post("/dashboard/sign-in", url.Values{"email": {email}, "password": {password}})
}

// retryAfter is a 429's Retry-After in seconds, which its page says too.
func retryAfter(t *testing.T, resp *http.Response, body string) time.Duration {
	t.Helper()
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || secs < 1 {
		t.Fatalf("want 429 with Retry-After, got %d %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if !strings.Contains(body, " "+strconv.Itoa(secs)+" seconds") || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("the 429 page does not say the %d seconds:\n%s", secs, body)
	}
	return time.Duration(secs) * time.Second
}

// TestSignInThrottled: 80 wrong passwords from one address over a known
// account and unknown ones, then the right password: refused unchecked
// (429, Retry-After in the header and the page); meanwhile another member
// signs in from another address; once the wait has passed (the
// dashboard's clock moved) the right password signs in.
func TestSignInThrottled(t *testing.T) {
	p := newPeople(t)
	email := demoMember(t, p, "finance")
	other := demoMember(t, p, "viewer")
	c := frozen(p)
	a := p.visitor(t, "127.0.0.1")
	statuses := map[int]int{}
	for i := 0; i < 80; i++ {
		who := email
		if i%2 == 1 {
			who = fmt.Sprintf("nobody-%d@demo.example", i%8)
		}
		resp, body := a.signIn(who, "Wrong-pass-2026!")
		statuses[resp.StatusCode]++
		if resp.StatusCode == 429 {
			retryAfter(t, resp, body)
		}
	}
	if statuses[401]+statuses[429] != 80 || statuses[429] < 40 {
		t.Fatalf("80 wrong passwords: %v, want 401s then 429s", statuses)
	}
	resp, body := a.signIn(email, memberPassword)
	wait := retryAfter(t, resp, body)
	if wait > 15*time.Minute {
		t.Fatalf("a wait of %s, over the cap", wait)
	}

	b := p.visitor(t, "127.0.0.2")
	if resp, body := b.signIn(other, memberPassword); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("another member from another address: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}

	c.add(wait - time.Millisecond)
	if resp, body := a.signIn(email, memberPassword); resp.StatusCode != 429 {
		t.Fatalf("just before the wait's end: %d\n%s", resp.StatusCode, body)
	}
	c.add(time.Millisecond)
	if resp, body := a.signIn(email, memberPassword); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("after the wait, the right password: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// TestSignInThrottleSameForUnknownAccounts: a known account and an unknown
// one, each from its own address, get the same answers, wrong password
// after wrong password, up to the 429 (status, page but for the e-mail and
// the form's token, headers): failures of an unknown account count the
// same, and the throttle says nothing of who exists. The right password
// is refused as well once the wait is due, and a success resets the
// account's count.
func TestSignInThrottleSameForUnknownAccounts(t *testing.T) {
	p := newPeople(t)
	known, unknown := demoMember(t, p, "finance"), "no-such-member@demo.example"
	c := frozen(p)
	va, vb := p.visitor(t, "127.0.0.1"), p.visitor(t, "127.0.0.3")
	for i := 0; i < 7; i++ {
		pw := "Wrong-pass-2026!"
		if i == 6 {
			pw = memberPassword // the known account's right one: still refused
		}
		ra, ba := va.signIn(known, pw)
		rb, bb := vb.signIn(unknown, pw)
		want := http.StatusUnauthorized
		if i >= 5 {
			want = http.StatusTooManyRequests
			retryAfter(t, ra, ba)
		}
		if ra.StatusCode != want || rb.StatusCode != want {
			t.Fatalf("attempt %d: known %d, unknown %d, want %d", i, ra.StatusCode, rb.StatusCode, want)
		}
		sameAnswer(t, i, ra, strings.ReplaceAll(strings.ReplaceAll(ba, known, "EMAIL"), va.csrf.Value, "CSRF"),
			rb, strings.ReplaceAll(strings.ReplaceAll(bb, unknown, "EMAIL"), vb.csrf.Value, "CSRF"))
	}
	// Once the wait is over the right password signs in, and the count
	// starts again: five more wrong ones before a wait.
	c.add(time.Hour)
	if resp, body := va.signIn(known, memberPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password after the wait: %d\n%s", resp.StatusCode, body)
	}
	for i := 0; i < 5; i++ {
		if resp, body := va.signIn(known, "Wrong-pass-2026!"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after a success, wrong password %d: %d\n%s", i, resp.StatusCode, body)
		}
	}
	if resp, body := va.signIn(known, "Wrong-pass-2026!"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the sixth wrong password after a success: %d\n%s", resp.StatusCode, body)
	}
}

func sameAnswer(t *testing.T, i int, ra *http.Response, ba string, rb *http.Response, bb string) {
	t.Helper()
	if ba != bb {
		t.Fatalf("attempt %d: the known and the unknown account's pages differ:\n%s\n---\n%s", i, ba, bb)
	}
	for _, h := range []http.Header{ra.Header, rb.Header} {
		h.Del("Date")
		h.Del("Content-Length")
	}
	if fmt.Sprint(ra.Header) != fmt.Sprint(rb.Header) {
		t.Fatalf("attempt %d: headers differ:\n%v\n%v", i, ra.Header, rb.Header)
	}
}

// TestCodeStepThrottled: the TOTP code step counts per account as the
// password does, and a right password does not reset it: after five wrong
// codes the right one is refused unchecked (429 with Retry-After, on the
// code's form), even in a new sign-in; once the wait has passed it signs
// in.
func TestCodeStepThrottled(t *testing.T) {
	p := newPeople(t)
	email := demoMember(t, p, "finance")
	tokens := p.accessToken(t, email, memberPassword)
	secret, err := p.directory().AssociateTOTP(ctx, tokens.Access)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.directory().VerifyTOTP(ctx, tokens.Access, totp(t, secret, time.Now())); err != nil {
		t.Fatal(err)
	}
	c := frozen(p)
	v := p.visitor(t, "127.0.0.1")
	codeForm := func() string {
		t.Helper()
		resp, body := v.signIn(email, memberPassword)
		if resp.StatusCode != 200 || !strings.Contains(body, "authenticator") {
			t.Fatalf("sign-in with TOTP: %d\n%s", resp.StatusCode, body)
		}
		return field(t, sessionField, body)
	}
	code := func(session, code string) (*http.Response, string) {
		return v.post("/dashboard/sign-in/mfa", url.Values{"email": {email}, "session": {session}, "code": {code}})
	}
	session := codeForm()
	for i := 0; i < 5; i++ {
		if resp, body := code(session, "000000"); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d: %d\n%s", i, resp.StatusCode, body)
		}
	}
	resp, body := code(session, totp(t, secret, time.Now()))
	wait := retryAfter(t, resp, body)
	if !strings.Contains(body, `action="/dashboard/sign-in/mfa"`) {
		t.Fatalf("the 429 is not on the code's form:\n%s", body)
	}
	session = codeForm() // the right password: the code's count stays
	if resp, body := code(session, totp(t, secret, time.Now())); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the right code in a new sign-in within the wait: %d\n%s", resp.StatusCode, body)
	}
	c.add(wait)
	if resp, body := code(session, totp(t, secret, time.Now())); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("the right code after the wait: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}
