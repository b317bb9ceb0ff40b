package reference

import (
	"slices"
	"testing"
)

// FuzzFind: Find never panics, and everything it returns validates, is in
// normalized electronic form and is found again in that form alone.
func FuzzFind(f *testing.F) {
	for _, s := range append(append(slices.Clone(publishedRF), publishedOGM...), rejectedRF...) {
		f.Add(s)
	}
	f.Add("Invoice 42 ref RF18 5390 0754 7034, thank you +++090/9337/55493+++")
	f.Add("RF RF RF18 RF185390 0754 7034 090 9337 55493 2024")
	f.Fuzz(func(t *testing.T, text string) {
		for _, g := range Find(text) {
			e, _, err := Check(g)
			if err != nil || e != g || Normalize(g) != g {
				t.Fatalf("Find(%q) returned %q: %v", text, g, err)
			}
			if !slices.Contains(Find(g), g) {
				t.Fatalf("Find(%q) = %q but Find(%q) = %q", text, g, g, Find(g))
			}
		}
	})
}

// FuzzCheck: the validators never panic, agree with each other, and what
// they accept round-trips through its printed form.
func FuzzCheck(f *testing.F) {
	for _, s := range append(append(slices.Clone(publishedRF), publishedOGM...), append(rejectedRF, rejectedOGM...)...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rf, errRF := CheckRF(s)
		ogm, errOGM := CheckOGM(s)
		if errRF == nil && errOGM == nil {
			t.Fatalf("%q is both an RF (%s) and an OGM (%s)", s, rf, ogm)
		}
		if ValidRF(s) != (errRF == nil) || ValidOGM(s) != (errOGM == nil) {
			t.Fatalf("Valid* and Check* disagree on %q", s)
		}
		e, format, err := Check(s)
		switch {
		case errRF == nil:
			if err != nil || e != rf || format != RF {
				t.Fatalf("Check(%q) = %q, %q, %v; CheckRF gave %q", s, e, format, err, rf)
			}
		case errOGM == nil:
			if err != nil || e != ogm || format != BEOGM {
				t.Fatalf("Check(%q) = %q, %q, %v; CheckOGM gave %q", s, e, format, err, ogm)
			}
		default:
			if err == nil {
				t.Fatalf("Check(%q) = %q though neither format accepts it", s, e)
			}
			if _, perr := Print(s); perr == nil {
				t.Fatalf("Print(%q) accepted it", s)
			}
			return
		}
		checkPrintRoundTrip(t, s, e)
	})
}

// checkPrintRoundTrip: the electronic form e of s is normalized, and the
// print form of s checks and is found back as e.
func checkPrintRoundTrip(t *testing.T, s, e string) {
	t.Helper()
	if Normalize(e) != e {
		t.Fatalf("Check(%q) = %q, not normalized", s, e)
	}
	p, err := Print(s)
	if err != nil {
		t.Fatalf("Print(%q): %v", s, err)
	}
	if back, _, err := Check(p); err != nil || back != e {
		t.Fatalf("Check(Print(%q)) = %q, %v; want %q", s, back, err, e)
	}
	if !slices.Contains(Find(p), e) {
		t.Fatalf("Find(%q) = %q, missing %q", p, Find(p), e)
	}
}

// FuzzMake: MakeRF and MakeOGM never panic and what they make validates
// with the body kept.
func FuzzMake(f *testing.F) {
	f.Add("539007547034")
	f.Add("0909337554")
	f.Add("X2HU4TC28XTYLHASYWT91")
	f.Fuzz(func(t *testing.T, s string) {
		if ref, err := MakeRF(s); err == nil {
			if !ValidRF(ref) || ref[4:] != Normalize(s) {
				t.Fatalf("MakeRF(%q) = %q", s, ref)
			}
		}
		if ref, err := MakeOGM(s); err == nil {
			if !ValidOGM(ref) || ref[:10] != s {
				t.Fatalf("MakeOGM(%q) = %q", s, ref)
			}
		}
	})
}
