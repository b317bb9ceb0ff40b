package psp

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

const whsec = "whsec_test_5f3b2c1d"

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1795435260, 0)
	body := []byte(`{"id":"evt_1"}`)
	good := SignedHeader(whsec, now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	other := hex.EncodeToString(Sign("whsec_other", now.Unix(), body))
	cases := []struct {
		name    string
		header  string
		secrets []string
		now     time.Time
		ok      bool
	}{
		{"valid", good, []string{whsec}, now, true},
		{"second secret during rotation", good, []string{"whsec_new", whsec}, now, true},
		{"several v1, one valid", "t=" + ts + ",v1=" + other + ",v1=" + hex.EncodeToString(Sign(whsec, now.Unix(), body)), []string{whsec}, now, true},
		{"v0 and unknown schemes ignored", good + ",v0=abc,x=1", []string{whsec}, now, true},
		{"299 s old", good, []string{whsec}, now.Add(299 * time.Second), true},
		{"301 s old", good, []string{whsec}, now.Add(301 * time.Second), false},
		{"301 s in the future", good, []string{whsec}, now.Add(-301 * time.Second), false},
		{"wrong secret", good, []string{"whsec_wrong"}, now, false},
		{"no secret", good, []string{""}, now, false},
		{"no header", "", []string{whsec}, now, false},
		{"no t", "v1=" + other, []string{whsec}, now, false},
		{"no v1", "t=" + ts, []string{whsec}, now, false},
		{"two t", "t=" + ts + ",t=" + ts + ",v1=" + other, []string{whsec}, now, false},
		{"bad t", "t=abc,v1=" + other, []string{whsec}, now, false},
		{"other timestamp", "t=" + strconv.FormatInt(now.Unix()+1, 10) + ",v1=" + hex.EncodeToString(Sign(whsec, now.Unix(), body)), []string{whsec}, now, false},
	}
	for _, c := range cases {
		err := VerifySignature(c.header, body, c.secrets, c.now)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrSignature)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if VerifySignature(good, append(body, ' '), []string{whsec}, now) == nil {
		t.Error("a changed body verified")
	}
}

func FuzzParseSignatureHeader(f *testing.F) {
	f.Add("t=1795435260,v1=" + strings.Repeat("ab", 32))
	f.Add("t=1,v1=zz,v0=00")
	f.Add(",,,=")
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseSignatureHeader(h)
		if err != nil {
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("error not ErrSignature: %v", err)
			}
			return
		}
		if p.Timestamp <= 0 || len(p.V1) == 0 || len(p.V1) > 8 {
			t.Fatalf("accepted %q as %+v", h, p)
		}
		for _, s := range p.V1 {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes", len(s))
			}
		}
	})
}
