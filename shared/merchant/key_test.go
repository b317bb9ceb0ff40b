package merchant_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/merchant"
)

// keyAlphabet is every character a key may hold, and a few it may not.
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/= ~é"

// TestGeneratedKeysAreWellFormed: every key NewKey makes passes WellFormed,
// has the fixed length, and its stored form names its mode.
func TestGeneratedKeysAreWellFormed(t *testing.T) {
	for i := 0; i < 2000; i++ {
		live := i%2 == 1
		secret, k, err := merchant.NewKey("shop", live)
		if err != nil {
			t.Fatal(err)
		}
		if !merchant.WellFormed(secret) {
			t.Fatalf("a generated key is not well-formed: %s", secret)
		}
		if len(secret) != merchant.KeyLen {
			t.Fatalf("key length %d, want %d: %s", len(secret), merchant.KeyLen, secret)
		}
		want := map[bool]string{true: "sk_live_", false: "sk_test_"}[live]
		if !strings.HasPrefix(secret, want) || k.Prefix != want || k.Last4 != secret[len(secret)-4:] {
			t.Fatalf("key %s stored as %+v", secret, k)
		}
	}
}

// TestAnyChangeBreaksTheChecksum: a single character changed anywhere in a
// valid key (any other character, in or out of the alphabet), and any
// truncation, make it fail WellFormed; so does a character added.
func TestAnyChangeBreaksTheChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 46))
	for i := 0; i < 300; i++ {
		secret, _, err := merchant.NewKey("shop", r.IntN(2) == 1)
		if err != nil {
			t.Fatal(err)
		}
		for pos := 0; pos < len(secret); pos++ {
			for _, c := range keyAlphabet {
				if string(c) == secret[pos:pos+1] {
					continue
				}
				changed := secret[:pos] + string(c) + secret[pos+1:]
				if merchant.WellFormed(changed) {
					t.Fatalf("%s with %q at %d is still well-formed: %s", secret, c, pos, changed)
				}
			}
		}
		for n := 0; n < len(secret); n++ {
			if merchant.WellFormed(secret[:n]) {
				t.Fatalf("%s truncated to %d is still well-formed", secret, n)
			}
		}
		if merchant.WellFormed(secret + "A") {
			t.Fatalf("%s with a character added is still well-formed", secret)
		}
	}
}

// TestWithChecksum: a prefix and 32 body characters with the checksum
// appended is well-formed (the dev key is made so); Suggest gives a
// well-formed key for anything, keeping a valid one as it is and a chosen
// body when it can.
func TestWithChecksum(t *testing.T) {
	body := "sk_test_" + strings.Repeat("Ab1-_", 6) + "xy"
	k := merchant.WithChecksum(body)
	if !merchant.WellFormed(k) || !strings.HasPrefix(k, body) || len(k) != merchant.KeyLen {
		t.Fatalf("WithChecksum(%s) = %s", body, k)
	}
	if merchant.WellFormed(body) {
		t.Fatalf("a key without its checksum is well-formed: %s", body)
	}
	for _, in := range []string{"", "sk_test_devkey123456", "sk_live_x", "garbage", "sk_test_devstatefirst0001", k, body, "sk_test_" + strings.Repeat("é", 40)} {
		s := merchant.Suggest(in)
		if !merchant.WellFormed(s) {
			t.Fatalf("Suggest(%q) = %q is not well-formed", in, s)
		}
		if merchant.WellFormed(in) && s != in {
			t.Fatalf("Suggest changed a valid key %s to %s", in, s)
		}
	}
	if s := merchant.Suggest("sk_test_devkey123456"); !strings.HasPrefix(s, "sk_test_devkey123456") {
		t.Fatalf("Suggest dropped the chosen body: %s", s)
	}
	if s := merchant.Suggest("sk_live_abc"); !strings.HasPrefix(s, "sk_live_abc") {
		t.Fatalf("Suggest dropped the live prefix: %s", s)
	}
}

// TestLegacyKeysStillLookedUp: a key made before keys carried their
// checksum (prefix and 32 characters) is still worth a lookup, so a
// deployment's integrations keep working while it rotates them; any other
// length or character is not, and a legacy key is never well-formed.
func TestLegacyKeysStillLookedUp(t *testing.T) {
	legacy := "sk_live_" + strings.Repeat("aZ09-_xY", 4)
	if !merchant.Legacy(legacy) || !merchant.LookedUp(legacy) || merchant.WellFormed(legacy) {
		t.Fatalf("legacy %q: Legacy %v LookedUp %v WellFormed %v", legacy, merchant.Legacy(legacy), merchant.LookedUp(legacy), merchant.WellFormed(legacy))
	}
	for _, bad := range []string{legacy[:len(legacy)-1], legacy + "a", "sk_prod_" + legacy[8:], legacy[:20] + "=" + legacy[21:], legacy[:20] + "é" + legacy[22:]} {
		if merchant.Legacy(bad) || merchant.LookedUp(bad) {
			t.Errorf("%q is taken for a legacy key", bad)
		}
	}
	secret, _, err := merchant.NewKey("m", false)
	if err != nil || !merchant.LookedUp(secret) || merchant.Legacy(secret) {
		t.Fatalf("a new key %q: %v", secret, err)
	}
}
