package reference

import (
	"math/rand/v2"
	"testing"
)

const crockfordChars = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// randomLinkID is an id in the shape of domain.NewID("pl_", ...): the
// prefix and a 26-character Crockford base32 ULID.
func randomLinkID(rng *rand.Rand) string {
	b := make([]byte, 26)
	b[0] = crockfordChars[rng.IntN(8)] // a ULID's first character is at most 7
	for i := 1; i < len(b); i++ {
		b[i] = crockfordChars[rng.IntN(len(crockfordChars))]
	}
	return "pl_" + string(b)
}

func TestForLinkKnown(t *testing.T) {
	id := "pl_01JXYZ5K3M4N5P6Q7R8S9T0V1W"
	rf := ForLink(id, 0, RF)
	// The id's last 21 characters, check digits computed apart (Python).
	if rf != "RF12Z5K3M4N5P6Q7R8S9T0V1W" {
		t.Fatalf("ForLink(%s, 0, RF) = %s, want RF12Z5K3M4N5P6Q7R8S9T0V1W", id, rf)
	}
	// The hashed ones, computed apart (Python hashlib and base64 with the
	// Crockford alphabet): a reference never changes for the same input.
	pinned := []struct {
		attempt int
		f       Format
		want    string
	}{
		{0, BEOGM, "088802857978"},
		{1, BEOGM, "055957854292"},
		{1, RF, "RF98RJC38ABTHKPR1K368WP67"},
	}
	for _, p := range pinned {
		if got := ForLink(id, p.attempt, p.f); got != p.want {
			t.Errorf("ForLink(%s, %d, %s) = %s, want %s", id, p.attempt, p.f, got, p.want)
		}
	}
	// Lower case is read the same way; an id with no
	// usable character still gets a reference.
	if ForLink("pl_01jxyz5k3m4n5p6q7r8s9t0v1w", 0, RF) != rf {
		t.Fatal("the id's case changed its RF reference")
	}
	for _, odd := range []string{"", "pl_", "___", "ab"} {
		if r := ForLink(odd, 0, RF); !ValidRF(r) {
			t.Fatalf("ForLink(%q, 0, RF) = %q", odd, r)
		}
	}
}

func lastN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// TestForLinkProperties over generated link ids: every reference
// validates, is in electronic form, depends only on (id, attempt, format),
// the RF of attempt 0 carries the id's last 21 characters, and attempts
// 0..9 of one id give 10 different references in either format.
func TestForLinkProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 29))
	firstRF := map[string]string{}
	for n := 0; n < 3000; n++ {
		id := randomLinkID(rng)
		for _, f := range []Format{RF, BEOGM} {
			seen := map[string]int{}
			for attempt := 0; attempt < 10; attempt++ {
				ref := ForLink(id, attempt, f)
				if e, got, err := Check(ref); err != nil || e != ref || got != f {
					t.Fatalf("ForLink(%s, %d, %s) = %q: %v (format %s)", id, attempt, f, ref, err, got)
				}
				if again := ForLink(id, attempt, f); again != ref {
					t.Fatalf("ForLink(%s, %d, %s) gave %q then %q", id, attempt, f, ref, again)
				}
				if prev, dup := seen[ref]; dup {
					t.Fatalf("ForLink(%s, %s): attempts %d and %d both give %s", id, f, prev, attempt, ref)
				}
				seen[ref] = attempt
			}
		}
		rf := ForLink(id, 0, RF)
		if rf[4:] != lastN(id[3:], 21) {
			t.Fatalf("ForLink(%s, 0, RF) = %s, want the id's last 21 characters", id, rf)
		}
		if other, dup := firstRF[rf]; dup {
			t.Fatalf("ids %s and %s share %s", other, id, rf)
		}
		firstRF[rf] = id
	}
}

func TestForLinkRefusesProgrammingErrors(t *testing.T) {
	for _, c := range []struct {
		attempt int
		f       Format
	}{{0, "iban"}, {0, ""}, {-1, RF}, {-1, BEOGM}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ForLink(.., %d, %q) did not panic", c.attempt, c.f)
				}
			}()
			ForLink("pl_01JXYZ5K3M4N5P6Q7R8S9T0V1W", c.attempt, c.f)
		}()
	}
	if !RF.Valid() || !BEOGM.Valid() || Format("iban").Valid() || Format("RF").Valid() {
		t.Fatal("Format.Valid")
	}
	if string(RF) != "rf" || string(BEOGM) != "be_ogm" {
		t.Fatal("the formats are not the API's reference_format values")
	}
}
