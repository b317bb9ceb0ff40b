package reference

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// alnum is every character a reference is made of (upper case: references
// are matched case-insensitively, so a change of case is no change).
const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Published examples, each with where it was published. The two that
// mobilefish prints only to show how the characters are moved (RF35C4,
// RF214377) do not verify; their correct forms are RF51C4 and RF684377.
var (
	publishedRF = []string{
		"RF18 5390 0754 7034",        // ISO 11649's usual example; API.md
		"RF18539007547034",           // the same, electronic form
		"RF45G72UUR",                 // mobilefish.com creditor reference page, example 1
		"RF6518K5",                   // mobilefish.com, example 2
		"RF48 5000056789012345",      // mobilefish.com, "Example"
		"RF712348231",                // wiki.xmldation.com, RF Creditor Reference in CdtrRefInf/Ref
		"RF451234512345",             // node-iso11649 README: generate('12345 12345')
		"RF45 1234 5123 45",          // node-iso11649 README: the pretty form
		"RF68AB2G5",                  // node-iso11649 README: generate('AB2G5')
		"RF96TU06FX",                 // npm iso-11649 README: generate('TU06FX')
		"RF14X2HU4TC28XTYLHASYWT91",  // npm iso-11649 README: a 21-character body
		"RF720HYA6",                  // npm iso-11649 README: validate -> true
		"rf18 5390 0754 7034",        // case is not significant (xmldation: "A/a = 10")
		"RF18 5390 0754 7034 ",       // surrounding spaces are not part of it
		"RF51C4",                     // mobilefish's RF35C4 with its real check digits
		"RF684377",                   // mobilefish's RF214377 with its real check digits
		"RF74000000000000000000001",  // 21-character body, mostly zeros
		"RF741",                      // one-character body
		"RF18GAX8WS5JYOOUJ87",        // npm iso-11649's invalid example with real check digits
		"RF14X2HU4TC28XTYLHASYWT91 ", // 25 characters in all
	}
	rejectedRF = []string{
		"RF19GAX8WS5JYOOUJ87",        // npm iso-11649 README: validate -> false
		"RF35C4",                     // mobilefish illustration, check digits do not verify
		"RF214377",                   // mobilefish illustration, check digits do not verify
		"RF17 5390 0754 7034",        // one check digit off
		"RF18 5390 0754 7043",        // two body digits swapped
		"RF18",                       // no body
		"RF",                         // nothing
		"",                           // nothing at all
		"RF1X539007547034",           // a letter among the check digits
		"RE18539007547034",           // not RF
		"RF14X2HU4TC28XTYLHASYWT910", // body of 22 characters
		"RF18_539007547034",          // a character outside the alphabet
		"RF18 5390 0754 7034é",       // a character outside the alphabet
	}
	publishedOGM = []string{
		"+++090/9337/55493+++", // API.md
		"090933755493",         // the same, as carried electronically
		"***090/9337/55493***", // asterisks in place of the plus signs (invoicedataextraction.com guide)
		"+++010/8068/17183+++", // python-stdnum stdnum.be.ogm_vcs documentation
		"010/8068/17183",       // python-stdnum: format('010806817183')
	}
	rejectedOGM = []string{
		"010/8068/17180",       // python-stdnum: InvalidChecksum
		"+++090/9337/55494+++", // check digits off by one
		"+++090/9337/5549+++",  // 11 digits
		"+++090/9337/554930+++",
		"+++090/9337/5549A+++",
		"000000000000", // check digits 00 never occur: a remainder of 0 is written 97
		"",
	}
)

func TestPublishedExamples(t *testing.T) {
	for _, s := range publishedRF {
		checkPublished(t, s, RF, CheckRF, ValidOGM)
	}
	for _, s := range publishedOGM {
		checkPublished(t, s, BEOGM, CheckOGM, ValidRF)
	}
	for _, s := range rejectedRF {
		if ValidRF(s) {
			t.Errorf("ValidRF(%q) is true", s)
		}
	}
	for _, s := range rejectedOGM {
		if ValidOGM(s) {
			t.Errorf("ValidOGM(%q) is true", s)
		}
		if _, _, err := Check(s); err == nil {
			t.Errorf("Check(%q) accepted it", s)
		}
	}
}

// checkPublished: s is accepted by its format's check in its normalized
// form, by Check as that format, and not by the other format.
func checkPublished(t *testing.T, s string, f Format, check func(string) (string, error), other func(string) bool) {
	t.Helper()
	ref, err := check(s)
	if err != nil {
		t.Errorf("%s: %q: %v", f, s, err)
		return
	}
	if want := Normalize(s); ref != want {
		t.Errorf("%s: %q gives %q, want the electronic form %q", f, s, ref, want)
	}
	if ref2, got, err := Check(s); err != nil || ref2 != ref || got != f {
		t.Errorf("Check(%q) = %q, %q, %v", s, ref2, got, err)
	}
	if other(s) {
		t.Errorf("%q is valid in the other format too", s)
	}
}

func TestMakeKnown(t *testing.T) {
	cases := []struct{ body, want string }{
		{"539007547034", "RF18539007547034"},
		{"12345 12345", ""}, // a space is not part of a body
		{"AB2G5", "RF68AB2G5"},
		{"ab2g5", "RF68AB2G5"},
		{"TU06FX", "RF96TU06FX"},
		{"X2HU4TC28XTYLHASYWT91", "RF14X2HU4TC28XTYLHASYWT91"},
		{"X2HU4TC28XTYLHASYWT910", ""}, // 22 characters
		{"", ""},
		{"AB-2", ""},
	}
	for _, c := range cases {
		got, err := MakeRF(c.body)
		if c.want == "" {
			if err == nil {
				t.Errorf("MakeRF(%q) = %q, want an error", c.body, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("MakeRF(%q) = %q, %v; want %q", c.body, got, err, c.want)
		}
	}
	ogm := []struct{ base, want string }{
		{"0909337554", "090933755493"},
		{"0108068171", "010806817183"},
		{"0000000000", "000000000097"}, // remainder 0 is written 97
		{"0000000097", "000000009797"},
		{"9999999999", "999999999948"},
		{"090933755", ""},
		{"09093375544", ""},
		{"090933755A", ""},
	}
	for _, c := range ogm {
		got, err := MakeOGM(c.base)
		if c.want == "" {
			if err == nil {
				t.Errorf("MakeOGM(%q) = %q, want an error", c.base, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("MakeOGM(%q) = %q, %v; want %q", c.base, got, err, c.want)
		}
	}
}

func TestPrint(t *testing.T) {
	cases := []struct{ in, want string }{
		{"RF18539007547034", "RF18 5390 0754 7034"},
		{"rf18 5390 0754 7034", "RF18 5390 0754 7034"},
		{"RF741", "RF74 1"},
		{"RF14X2HU4TC28XTYLHASYWT91", "RF14 X2HU 4TC2 8XTY LHAS YWT9 1"},
		{"090933755493", "+++090/9337/55493+++"},
		{"***090/9337/55493***", "+++090/9337/55493+++"},
	}
	for _, c := range cases {
		got, err := Print(c.in)
		if err != nil || got != c.want {
			t.Errorf("Print(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"RF19GAX8WS5JYOOUJ87", "010/8068/17180", "hello"} {
		if got, err := Print(bad); err == nil {
			t.Errorf("Print(%q) = %q, want an error", bad, got)
		}
	}
	if got, err := PrintRF("090933755493"); err == nil {
		t.Errorf("PrintRF of an OGM = %q", got)
	}
	if got, err := PrintOGM("RF18539007547034"); err == nil {
		t.Errorf("PrintOGM of an RF = %q", got)
	}
}

func TestErrorsSayWhy(t *testing.T) {
	if _, err := CheckRF("RF17539007547034"); !errors.Is(err, ErrCheckDigits) {
		t.Errorf("a wrong check digit: %v, want ErrCheckDigits", err)
	}
	if _, err := CheckRF("RF1753900754703_"); !errors.Is(err, ErrShape) {
		t.Errorf("a bad character: %v, want ErrShape", err)
	}
	if _, err := CheckOGM("090933755494"); !errors.Is(err, ErrCheckDigits) {
		t.Errorf("a wrong OGM check digit: %v, want ErrCheckDigits", err)
	}
	if _, err := CheckOGM("09093375549"); !errors.Is(err, ErrShape) {
		t.Errorf("11 digits: %v, want ErrShape", err)
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"RF18 5390 0754 7034", "RF18539007547034"},
		{"rf18-5390-0754-7034", "RF18539007547034"},
		{"+++090/9337/55493+++", "090933755493"},
		{"***090/9337/55493***", "090933755493"},
		{"\t090\u00a09337 55493\n", "090933755493"}, // tab, no-break space, new line
		{"ab.c", "AB.C"}, // other punctuation stays
		{"ſı", "ſı"},     // only ASCII letters change case
	}
	for _, c := range cases {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRFCheckDigitRange: ISO 7064 MOD 97-10 computes check digits as 98 -
// (n mod 97), so 02..98. 00, 01 and 99 also satisfy the remainder 1 for
// some bodies (00 where 97 is right, 01 where 98 is, 99 where 02 is) but
// are never issued: they are rejected.
func TestRFCheckDigitRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 97))
	seen := map[string]bool{}
	for n := 0; n < 20000 && len(seen) < 3; n++ {
		ref := mustRF(t, randomBody(rng, 1+rng.IntN(21)))
		alt := map[string]string{"97": "00", "98": "01", "02": "99"}[ref[2:4]]
		if alt == "" {
			continue
		}
		seen[alt] = true
		other := "RF" + alt + ref[4:]
		if bigMod97(expand(other[4:]+other[:4])) != 1 {
			t.Fatalf("%s: the alternative check digits %s do not give remainder 1", ref, alt)
		}
		if ValidRF(other) {
			t.Errorf("ValidRF(%q) accepts check digits outside 02..98", other)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("only saw alternatives %v", seen)
	}
}

// The properties below run over generated references (fixed seeds).

func TestGeneratedReferencesValidate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 5000; n++ {
		body := randomBody(rng, 1+rng.IntN(21))
		ref := mustRF(t, body)
		if ref[4:] != body || !ValidRF(ref) || len(ref) > 25 {
			t.Fatalf("MakeRF(%q) = %q does not validate", body, ref)
		}
		ogm, err := MakeOGM(randomDigits(rng, 10))
		if err != nil || !ValidOGM(ogm) {
			t.Fatalf("MakeOGM: %q, %v", ogm, err)
		}
		for _, r := range []string{ref, ogm} {
			p, err := Print(r)
			if err != nil {
				t.Fatalf("Print(%q): %v", r, err)
			}
			if Normalize(p) != r {
				t.Fatalf("Normalize(Print(%q)) = %q", r, Normalize(p))
			}
			if e, _, err := Check(p); err != nil || e != r {
				t.Fatalf("Check(Print(%q)) = %q, %v", r, e, err)
			}
			if e, _, err := Check(strings.ToLower(p)); err != nil || e != r {
				t.Fatalf("Check(lower(Print(%q))) = %q, %v", r, e, err)
			}
		}
	}
}

func mustRF(t testing.TB, body string) string {
	t.Helper()
	ref, err := MakeRF(body)
	if err != nil {
		t.Fatalf("MakeRF(%q): %v", body, err)
	}
	return ref
}

func randomBody(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

func randomDigits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}
