package brand

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
)

func strp(s string) *string { return &s }

func fields(errs domain.FieldErrors) string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return strings.Join(out, ",")
}

func TestCheckInput(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		want string // the fields refused
	}{
		{"all good", Input{AccentColor: strp("#0b5cff"), SupportEmail: strp("help@shop.example"), SupportPhone: strp("+32470123456")}, ""},
		{"cleared", Input{AccentColor: strp(""), SupportEmail: strp(""), SupportPhone: strp("")}, ""},
		{"too light", Input{AccentColor: strp("#ffcc00")}, "accent_color"},
		{"not hex", Input{AccentColor: strp("blue")}, "accent_color"},
		{"bad email", Input{SupportEmail: strp("help at shop")}, "support_email"},
		{"bad phone", Input{SupportPhone: strp("0470 12 34 56")}, "support_phone"},
		{"all bad", Input{AccentColor: strp("#eeeeee"), SupportEmail: strp("x"), SupportPhone: strp("y")}, "accent_color,support_email,support_phone"},
	}
	for _, c := range cases {
		_, errs := Check(Settings{}, c.in)
		if got := fields(errs); got != c.want {
			t.Errorf("%s: refused %q, want %q (%v)", c.name, got, c.want, errs)
		}
	}
}

// TestCheckKeepsAndClears: a field left out keeps its value, "" clears it,
// the colour is kept in lower case, and the logo is never touched.
func TestCheckKeepsAndClears(t *testing.T) {
	cur := Settings{AccentColor: "#123456", SupportEmail: "a@b.example", SupportPhone: "+3211223344", Logo: &Logo{ETag: "abc"}}
	got, errs := Check(cur, Input{AccentColor: strp("#0B5CFF"), SupportPhone: strp("")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got.AccentColor != "#0b5cff" || got.SupportEmail != "a@b.example" || got.SupportPhone != "" || got.Logo == nil || got.Logo.ETag != "abc" {
		t.Fatalf("got %+v", got)
	}
}

// TestAccentRuleProperty: Check accepts an accent colour exactly when white
// text on it reaches 4.5:1.
func TestAccentRuleProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	white := RGB{255, 255, 255}
	for i := 0; i < 5000; i++ {
		c := randColor(r)
		_, errs := Check(Settings{}, Input{AccentColor: strp(c.String())})
		if (len(errs) == 0) != (Contrast(c, white) >= MinContrast) {
			t.Fatalf("%s: contrast %.3f, errors %v", c, Contrast(c, white), errs)
		}
	}
}
