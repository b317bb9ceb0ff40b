package session

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// memory is a session store in memory: the rules here are about time, the
// store's own tests cover DynamoDB.
type memory struct {
	s       map[string]store.Session
	touches int
}

func (m *memory) GetSession(_ context.Context, k string) (store.Session, error) {
	s, ok := m.s[k]
	if !ok {
		return store.Session{}, domain.ErrNotFound
	}
	return s, nil
}

func (m *memory) TouchSession(_ context.Context, k string, seen time.Time, _ string) error {
	s, ok := m.s[k]
	if !ok {
		return domain.ErrNotFound
	}
	s.Seen = seen
	m.s[k] = s
	m.touches++
	return nil
}

func (m *memory) DeleteSession(_ context.Context, k string) error { delete(m.s, k); return nil }

func TestLiveTimeouts(t *testing.T) {
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	m := &memory{s: map[string]store.Session{"k": {Sub: "s", Created: start, Seen: start, Ends: start.Add(AbsoluteTimeout)}}}
	ctx := context.Background()
	if _, err := Live(ctx, m, "k", start.Add(30*time.Second)); err != nil || m.touches != 0 {
		t.Fatalf("a fresh session: %v, %d touches (none within a minute)", err, m.touches)
	}
	at := start
	for at.Sub(start) < AbsoluteTimeout-20*time.Minute {
		at = at.Add(20 * time.Minute)
		if _, err := Live(ctx, m, "k", at); err != nil {
			t.Fatalf("active at %s: %v", at.Sub(start), err)
		}
	}
	if _, err := Live(ctx, m, "k", start.Add(AbsoluteTimeout+time.Second)); err != ErrNone || len(m.s) != 0 {
		t.Fatalf("past the absolute end: %v, sessions left %d", err, len(m.s))
	}
	m.s["i"] = store.Session{Seen: start, Ends: start.Add(AbsoluteTimeout)}
	if _, err := Live(ctx, m, "i", start.Add(IdleTimeout+time.Second)); err != ErrNone || len(m.s) != 0 {
		t.Fatalf("idle: %v", err)
	}
	if _, err := Live(ctx, m, "", start); err != ErrNone {
		t.Fatalf("no secret: %v", err)
	}
}

func TestSecretAndTokens(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if Secret(r) != "" {
		t.Fatal("no cookie")
	}
	r.Header.Set("Cookie", Cookie+"=short")
	if Secret(r) != "" {
		t.Fatal("a short cookie is no secret")
	}
	long := "0123456789012345678901234567890123456789ab"
	r.Header.Set("Cookie", Cookie+"="+long)
	if Secret(r) != long {
		t.Fatal("the cookie's secret")
	}
	if SameToken("", "") || SameToken("a", "b") || !SameToken("abc", "abc") {
		t.Fatal("SameToken")
	}
	if Unsafe("GET") || Unsafe("HEAD") || !Unsafe("POST") || !Unsafe("DELETE") || !Unsafe("PATCH") || !Unsafe("PUT") {
		t.Fatal("Unsafe")
	}
}
