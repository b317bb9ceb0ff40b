package brand

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randColor(r *rand.Rand) RGB {
	return RGB{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256))}
}

// TestContrastKnownValues checks the WCAG 2.x figures quoted for well-known
// pairs: black on white is 21:1, #767676 on white is the lightest grey that
// reaches 4.5:1 and #777777 the darkest that does not.
func TestContrastKnownValues(t *testing.T) {
	white, black := RGB{255, 255, 255}, RGB{0, 0, 0}
	if c := Contrast(black, white); math.Abs(c-21) > 1e-9 {
		t.Fatalf("black/white = %v, want 21", c)
	}
	if c := Contrast(RGB{0x76, 0x76, 0x76}, white); c < 4.5 || c > 4.6 {
		t.Fatalf("#767676/white = %v, want 4.54", c)
	}
	if c := Contrast(RGB{0x77, 0x77, 0x77}, white); c >= 4.5 {
		t.Fatalf("#777777/white = %v, want under 4.5", c)
	}
	if c := Contrast(RGB{0x0b, 0x5c, 0xff}, white); c < 4.5 {
		t.Fatalf("the default accent #0b5cff/white = %v, want at least 4.5", c)
	}
}

// TestContrastProperties: for any two colours the ratio lies in [1, 21],
// does not depend on the order, is 1 for a colour against itself, and a
// colour made darker (no channel lighter) never has less contrast with
// white.
func TestContrastProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 7))
	white := RGB{255, 255, 255}
	for i := 0; i < 20000; i++ {
		a, b := randColor(r), randColor(r)
		c := Contrast(a, b)
		if c < 1 || c > 21+1e-9 {
			t.Fatalf("contrast(%v, %v) = %v out of [1, 21]", a, b, c)
		}
		if c != Contrast(b, a) {
			t.Fatalf("contrast(%v, %v) not symmetric", a, b)
		}
		if Contrast(a, a) != 1 {
			t.Fatalf("contrast(%v, itself) = %v", a, Contrast(a, a))
		}
		d := RGB{uint8(r.IntN(int(a.R) + 1)), uint8(r.IntN(int(a.G) + 1)), uint8(r.IntN(int(a.B) + 1))}
		if Contrast(d, white) < Contrast(a, white) {
			t.Fatalf("darker %v has less contrast with white than %v", d, a)
		}
	}
}

// TestParseColorRoundTrip: every colour prints as #rrggbb and parses back;
// anything else is refused.
func TestParseColorRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		c := randColor(r)
		got, ok := ParseColor(c.String())
		if !ok || got != c {
			t.Fatalf("ParseColor(%q) = %v, %v", c.String(), got, ok)
		}
	}
	for _, bad := range []string{"", "#fff", "0b5cff", "#0b5cfg", "#0b5cff00", "red", "#0B5CFF;}", " #0b5cff", "#0b5cf"} {
		if _, ok := ParseColor(bad); ok {
			t.Fatalf("ParseColor(%q) accepted", bad)
		}
	}
	if c, ok := ParseColor("#0B5CFF"); !ok || c.String() != "#0b5cff" {
		t.Fatalf("upper case: %v %v", c, ok)
	}
}

func FuzzParseColor(f *testing.F) {
	for _, s := range []string{"#0b5cff", "#FFFFFF", "#12345", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := ParseColor(s)
		if ok && c.String() != toLower(s) {
			t.Fatalf("%q parsed as %v", s, c)
		}
	})
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
