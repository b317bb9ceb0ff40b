package pain001

import (
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"Jan Peeters", 70, "Jan Peeters"},
		{"  Zoë\t\tDubois ", 70, "Zoe Dubois"},
		{"Иван Petrov", 70, "Petrov"},
		{"日本", 70, ""},
		{"Refund of order 7 × 3 & co", 0, "Refund of order 7 3 + co"},
		{"abcdef ghij", 7, "abcdef"},
		{"pl_8ZK3", 70, "pl-8ZK3"},
	} {
		if got := Text(c.in, c.max); got != c.want {
			t.Errorf("Text(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

// FuzzText: Text is SEPA text within its bound that Write takes as it is
// (sanitize leaves it unchanged), and it is sanitize's text when every
// character has a rendering and no bound cuts it.
func FuzzText(f *testing.F) {
	for _, s := range []string{"Jan Peeters", "  Zoë\t\tDubois ", "Straße & Söhne", "x × y", "Иван", "\u00a0a", "日本"} {
		f.Add(s, 70)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		out := Text(s, max)
		if !sepaText(out) || (max > 0 && len(out) > max) {
			t.Fatalf("Text(%q, %d) = %q", s, max, out)
		}
		if again, err := sanitize(out); err != nil || again != out {
			t.Fatalf("Text(%q) = %q, sanitize: %q, %v", s, out, again, err)
		}
		if want, err := sanitize(s); err == nil && utf8.ValidString(s) && max <= 0 && out != want {
			t.Fatalf("Text(%q) = %q, sanitize %q", s, out, want)
		}
	})
}
