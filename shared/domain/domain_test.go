package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	// Every pair, allowed or refused, spelled out.
	want := map[[2]Status]bool{
		{StatusCreated, StatusClicked}:   true,
		{StatusCreated, StatusPaid}:      true,
		{StatusCreated, StatusDeclined}:  true,
		{StatusCreated, StatusExpired}:   true,
		{StatusClicked, StatusPaid}:      true,
		{StatusClicked, StatusDeclined}:  true,
		{StatusClicked, StatusExpired}:   true,
		{StatusDeclined, StatusClicked}:  true,
		{StatusDeclined, StatusPaid}:     true,
		{StatusDeclined, StatusExpired}:  true,
		{StatusExpired, StatusPaid}:      true, // paid after expiry: money is never lost
		{StatusCreated, StatusCreated}:   false,
		{StatusClicked, StatusCreated}:   false,
		{StatusClicked, StatusClicked}:   false,
		{StatusDeclined, StatusCreated}:  false,
		{StatusDeclined, StatusDeclined}: false,
		{StatusExpired, StatusCreated}:   false,
		{StatusExpired, StatusClicked}:   false,
		{StatusExpired, StatusDeclined}:  false,
		{StatusExpired, StatusExpired}:   false,
		{StatusPaid, StatusCreated}:      false,
		{StatusPaid, StatusClicked}:      false,
		{StatusPaid, StatusPaid}:         false,
		{StatusPaid, StatusDeclined}:     false,
		{StatusPaid, StatusExpired}:      false,
	}
	if len(want) != len(Statuses)*len(Statuses) {
		t.Fatalf("table covers %d of %d pairs", len(want), len(Statuses)*len(Statuses))
	}
	for pair, ok := range want {
		if got := CanTransition(pair[0], pair[1]); got != ok {
			t.Errorf("%s -> %s: got %v want %v", pair[0], pair[1], got, ok)
		}
		err := CheckTransition(pair[0], pair[1])
		if ok != (err == nil) || (!ok && !errors.Is(err, ErrTransition)) {
			t.Errorf("%s -> %s: error %v", pair[0], pair[1], err)
		}
	}
}

func TestOpen(t *testing.T) {
	for s, open := range map[Status]bool{StatusCreated: true, StatusClicked: true, StatusDeclined: true, StatusPaid: false, StatusExpired: false} {
		if s.Open() != open {
			t.Errorf("%s open=%v", s, s.Open())
		}
	}
	if Status("nope").Valid() || !StatusPaid.Valid() {
		t.Fatal("Valid")
	}
}

func TestOrigins(t *testing.T) {
	for _, o := range []string{"api", "import", "dashboard", "dunning", "invoice", "first_payment", "card_renewal"} {
		if !Origin(o).Valid() {
			t.Errorf("%s should be valid", o)
		}
	}
	if Origin("web").Valid() || Origin("").Valid() {
		t.Fatal("unknown origin accepted")
	}
}

func TestResolveExpiry(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	days := func(n int) *int { return &n }
	cases := []struct {
		name string
		at   *time.Time
		days *int
		want time.Time
		err  error
	}{
		{"default 30 days", nil, nil, now.Add(30 * 24 * time.Hour), nil},
		{"days", nil, days(7), now.Add(7 * 24 * time.Hour), nil},
		{"90 days", nil, days(90), now.Add(90 * 24 * time.Hour), nil},
		{"91 days", nil, days(91), time.Time{}, ErrExpiryDaysZero},
		{"0 days", nil, days(0), time.Time{}, ErrExpiryDaysZero},
		{"both", at(time.Hour), days(1), time.Time{}, ErrExpiryBoth},
		{"15 min", at(15 * time.Minute), nil, now.Add(15 * time.Minute), nil},
		{"14 min", at(14 * time.Minute), nil, time.Time{}, ErrExpiryTooSoon},
		{"past", at(-time.Hour), nil, time.Time{}, ErrExpiryTooSoon},
		{"90 days at", at(90 * 24 * time.Hour), nil, now.Add(90 * 24 * time.Hour), nil},
		{"90 days + 1s", at(90*24*time.Hour + time.Second), nil, time.Time{}, ErrExpiryTooLate},
	}
	for _, c := range cases {
		got, err := ResolveExpiry(now, c.at, c.days)
		if !errors.Is(err, c.err) || !got.Equal(c.want) {
			t.Errorf("%s: got %v, %v", c.name, got, err)
		}
	}
}

var testKey = CodeKey(strings.Repeat("k", 32))

func TestCodeRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewID(PrefixLink, time.Now())
		code, err := testKey.NewCode("demo", id)
		if err != nil {
			t.Fatal(err)
		}
		if seen[code] {
			t.Fatal("duplicate code")
		}
		seen[code] = true
		c, err := testKey.Verify(code)
		if err != nil || c.Merchant != "demo" || c.LinkID != id || c.String() != code {
			t.Fatalf("%s: %+v %v", code, c, err)
		}
	}
	for _, bad := range []string{"", "demo", "demo_", "demo_abc", "DEMO_" + strings.Repeat("0", 27), "demo_" + strings.Repeat("-", 27), "demo_" + strings.Repeat("z", 27), "_" + strings.Repeat("0", 27)} {
		if _, err := ParseCode(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// A code that parses but was not made with the key (a forged one, one of
// another deployment, another merchant's id with this link's tag, a flipped
// character) does not verify, so the public pages refuse it unread.
func TestCodeTagRefusesForgeries(t *testing.T) {
	id := NewID(PrefixLink, time.Now())
	code, err := testKey.NewCode("demo", id)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := CodeKey(strings.Repeat("o", 32)).NewCode("demo", id)
	c, _ := ParseCode(code)
	moved := Code{Merchant: "evil", LinkID: c.LinkID, Tag: c.Tag}.String()
	last := code[len(code)-1]
	flip := byte('0')
	if last == '0' {
		flip = '1'
	}
	flipped := code[:len(code)-1] + string(flip)
	random := Code{Merchant: "demo", LinkID: NewID(PrefixLink, time.Now()), Tag: 12345}.String()
	for _, bad := range []string{other, moved, flipped, random} {
		if _, err := ParseCode(bad); err != nil {
			t.Fatalf("%s should parse: %v", bad, err)
		}
		if _, err := testKey.Verify(bad); !errors.Is(err, ErrBadCode) {
			t.Errorf("%s verified", bad)
		}
	}
	if _, err := CodeKey("short").NewCode("demo", id); !errors.Is(err, ErrNoCodeKey) {
		t.Errorf("a short key signed: %v", err)
	}
}

func TestIDs(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	id := NewID(PrefixLink, now)
	if !ValidID(PrefixLink, id) || ValidID(PrefixRefund, id) || ValidID(PrefixLink, "pl_xyz") {
		t.Fatal("ValidID")
	}
	if got, ok := IDTime(id); !ok || !got.Equal(now) {
		t.Fatal(got, ok)
	}
}

func FuzzParseCode(f *testing.F) {
	f.Add("demo_0000000000000000000000000")
	f.Add("demo_" + strings.Repeat("z", 27))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		if c.String() != s {
			t.Fatalf("%q re-encodes as %q", s, c.String())
		}
	})
}

func TestNormalEmail(t *testing.T) {
	for in, want := range map[string]string{"Ana@Example.COM": "ana@example.com", "a.b+c_d%e-f@x-y.example.be": "a.b+c_d%e-f@x-y.example.be"} {
		if got, err := NormalEmail("email", in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ana", "ana@", "@example.com", "ana@example", "_#r=?q5&}h@vjwqpqsz.uecg8oer.org", "Ana <ana@example.com>", "ana@exa mple.com", "ana@-x.com"} {
		if _, err := NormalEmail("email", in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
