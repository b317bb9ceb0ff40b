package domain

import "testing"

// TestPreferredLanguage: the dashboard's language from a browser's
// Accept-Language: the highest q-value among en, nl, fr and de (a region
// counts as its language, q=0 refuses, order breaks a tie), "" when it
// names none of them or cannot be read.
func TestPreferredLanguage(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"", ""},
		{"nl", "nl"},
		{"nl-BE,nl;q=0.9,en;q=0.8", "nl"},
		{"fr-BE, fr;q=0.9", "fr"},
		{"de-DE;q=0.5, fr;q=0.8", "fr"},
		{"en;q=0.2, nl;q=0.7, de;q=0.7", "nl"},
		{"es-ES, it;q=0.9, de;q=0.1", "de"},
		{"es, pt", ""},
		{"*", ""},
		{"nl;q=0, fr", "fr"},
		{"NL-be", "nl"},
		{"fr;q=abc, de;q=0.4", "de"},
		{"fr;q=1.5, de", "de"},
		{"fry, nld, dee", ""},
		{"en-US,en;q=0.9", "en"},
		{" de ; q=0.9 , nl ; q=0.91 ", "nl"},
	} {
		if got := PreferredLanguage(c.header); got != c.want {
			t.Errorf("PreferredLanguage(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}

// TestParseMemberLanguage: a member's language is one of en, nl, fr, de;
// anything else is a 422 naming the field.
func TestParseMemberLanguage(t *testing.T) {
	for _, ok := range Languages {
		if got, err := ParseLanguage("language", ok); err != nil || got != ok {
			t.Errorf("ParseLanguage(%q) = %q, %v", ok, got, err)
		}
	}
	for _, bad := range []string{"", "NL", "nl-BE", "es", "english", " en"} {
		_, err := ParseLanguage("language", bad)
		fe, ok := err.(FieldErrors)
		if !ok || len(fe) != 1 || fe[0].Field != "language" {
			t.Errorf("ParseLanguage(%q): %v, want a field error on language", bad, err)
		}
	}
}
