package reference

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"RF18 5390 0754 7034", []string{"RF18539007547034"}},
		{"rf18539007547034", []string{"RF18539007547034"}},
		{"Invoice 42 ref RF18 5390 0754 7034, thank you", []string{"RF18539007547034"}},
		{"ref:RF18539007547034.", []string{"RF18539007547034"}},
		{"RF18-5390-0754-7034", []string{"RF18539007547034"}},
		{"RF 18 5390 0754 7034", []string{"RF18539007547034"}},
		{"+++090/9337/55493+++", []string{"090933755493"}},
		{"***090/9337/55493***", []string{"090933755493"}},
		{"090/9337/55493", []string{"090933755493"}},
		{"090933755493", []string{"090933755493"}},
		{"betaling +++ 090 / 9337 / 55493 +++ factuur 2024", []string{"090933755493"}},
		{"Invoice 2024 090/9337/55493", []string{"090933755493"}},
		{"OGM 090933755493 and RF18539007547034", []string{"090933755493", "RF18539007547034"}},
		{"RF18539007547034 RF18539007547034", []string{"RF18539007547034"}},
		// A word after the groups that happens to verify too (checked
		// apart): both are candidates, the longest first.
		{"RF18 5390 0754 7034 19", []string{"RF1853900754703419", "RF18539007547034"}},
		// Check digits that do not verify: nothing.
		{"RF17 5390 0754 7035", nil},
		// An RF whose check digits fail leaves its digit groups free: here
		// they happen to make a valid OGM (ISO's example body is one).
		{"RF17 5390 0754 7034", []string{"539007547034"}},
		{"+++090/9337/55494+++", nil},
		{"090933755494", nil},
		// Not on token boundaries: glued to other letters or digits.
		{"REFRF18539007547034", nil},
		{"1090933755493", nil},
		{"0909337554930", nil},
		{"INV090933755493", nil},
		// Other punctuation does not join groups.
		{"090.9337.55493", nil},
		{"", nil},
		{"no reference here", nil},
	}
	for _, c := range cases {
		got := Find(c.text)
		if !slices.Equal(got, c.want) {
			t.Errorf("Find(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// TestFindRoundTrip: every printed or electronic form of a generated
// reference, in upper or lower case, alone or inside remittance text, is
// found in its electronic form; everything Find returns validates and is
// already normalized.
func TestFindRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 19))
	words := []string{"Invoice", "factuur 2024-17", "thanks", "REF", "Betaling", "n° 42", "EUR 12,50", "/", "+", "ABC"}
	for n := 0; n < 3000; n++ {
		var ref string
		var forms []string
		if n%2 == 0 {
			ref = mustRF(t, randomBody(rng, 1+rng.IntN(21)))
			p, _ := PrintRF(ref)
			forms = []string{ref, p, strings.ToLower(p), strings.ToLower(ref), strings.ReplaceAll(p, " ", "-")}
		} else {
			var err error
			if ref, err = MakeOGM(randomDigits(rng, 10)); err != nil {
				t.Fatal(err)
			}
			p, _ := PrintOGM(ref)
			forms = []string{ref, p, strings.ReplaceAll(p, "+", "*"), strings.Trim(p, "+")}
		}
		for _, f := range forms {
			if Normalize(f) != ref {
				t.Fatalf("Normalize(%q) = %q, want %q", f, Normalize(f), ref)
			}
			text := words[rng.IntN(len(words))] + " " + f + " " + words[rng.IntN(len(words))]
			for _, tx := range []string{f, text} {
				got := Find(tx)
				if !slices.Contains(got, ref) {
					t.Fatalf("Find(%q) = %q, missing %q", tx, got, ref)
				}
				for _, g := range got {
					if e, _, err := Check(g); err != nil || e != g || Normalize(g) != g {
						t.Fatalf("Find(%q) returned %q: %v", tx, g, err)
					}
				}
			}
		}
	}
}

// TestFindRandomText: on random text of the references' characters and
// separators, whatever Find returns validates and appears in the text's
// normalized form.
func TestFindRandomText(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 23))
	const chars = "0123456789RFrf +/-*.,:ABX\n"
	for n := 0; n < 20000; n++ {
		b := make([]byte, rng.IntN(60))
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		text := string(b)
		for _, g := range Find(text) {
			if e, _, err := Check(g); err != nil || e != g {
				t.Fatalf("Find(%q) returned %q: %v", text, g, err)
			}
			if !strings.Contains(Normalize(text), g) {
				t.Fatalf("Find(%q) returned %q, not in the text", text, g)
			}
		}
	}
}
