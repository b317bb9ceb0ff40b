package dashboard_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	headless "github.com/paylinks/paylinks/shared/testkit/browser"
)

// nlMonths are the months as nl-BE's medium dates write them.
var nlMonths = []string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}

// nlDay is a day as the Dutch dashboard writes it: 8 dec 2026.
func nlDay(at time.Time) string {
	return fmt.Sprintf("%d %s %d", at.Day(), nlMonths[at.Month()-1], at.Year())
}

// plain is a page's text with Intl's no-break spaces as spaces.
func plain(s string) string { return strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s) }

// drawn is true once the page's script has drawn #app and nothing in it
// still says it is loading (loading: the catalog's word).
func drawn(loading string) string {
	return `document.querySelector('#app > :not(noscript)') && ![...document.querySelectorAll('#app [role=status]')].some((e) => e.textContent === ` +
		fmt.Sprintf("%q", loading) + `)`
}

// chooseLanguage picks the language in the header's picker with the
// keyboard only, as a person would: Tab to it (labelled in the page's
// language, words), type the start of the language's own name, Tab to
// Save, Enter; the page comes back in lang.
func chooseLanguage(t *testing.T, b *headless.Browser, words map[string]string, name, lang string) {
	t.Helper()
	b.TabTo(words["dashboard_language"])
	b.Press(name[:3])
	if b.Count(`#language-pick option:checked[value="`+lang+`"]`) != 1 {
		t.Fatalf("typing %q in the picker did not choose %s", name[:3], name)
	}
	b.TabTo(words["language_save"])
	b.Press("Enter")
	b.WaitTrue("the page in "+lang, `document.documentElement.lang === '`+lang+`' && document.readyState === 'complete'`)
}

// TestBrowserLanguages: a member whose browser asks for French signs in
// on a French page and finds the dashboard in French before choosing
// anything; picks Nederlands in the header (keyboard only) and reads the
// overview, a link and the settings in Dutch: real Dutch words, € 12,50,
// dates and times in the merchant's time zone (one whose day differs from
// UTC's; the new link's expiry counts from the merchant's today too);
// then every dashboard page (a bank statement read, payments to review in
// the inbox), in Dutch, French and German each, has no serious or
// critical axe violation, the overview fits a 390 px phone, and no page
// logs an error.
func TestBrowserLanguages(t *testing.T) {
	p := newBankPeople(t)
	email := demoMember(t, p, "owner")
	key := demoKeys.byPeople[p]
	d := seedDemoLinks(t, p)
	bankOn(t, p)
	day, _, _ := bankDay(t, p)
	statement := uploadStatement(t, p, day)["id"].(string)
	loc := overviewZone(t, time.Now())
	if st, s := p.api(t, "PUT", "/v1/settings", key, `{"time_zone":"`+loc.String()+`"}`, nil); st != 200 {
		t.Fatalf("time zone: %d %v", st, s)
	}
	fr, nl := catalogOf(t, "fr"), catalogOf(t, "nl")

	b := headless.New(t)
	b.Languages("fr-BE,fr;q=0.9,en;q=0.5")
	b.Go(p.srv.URL + "/dashboard/sign-in")
	if h1, lang := b.Text("h1"), b.Attr("html", "lang"); h1 != fr["sign_in"] || lang != "fr" {
		t.Fatalf("the sign-in for a French browser: %q, lang %q", h1, lang)
	}
	b.Fill(fr["email"], email)
	b.Fill(fr["password"], memberPassword)
	b.ClickButton(fr["sign_in"])
	b.WaitURL("/dashboard")
	b.WaitTrue("the overview drawn", drawn(fr["loading"]))
	if h1 := b.Text("h1"); h1 != fr["title_links"] {
		t.Fatalf("the overview before a choice, for a French browser: %q", h1)
	}

	chooseLanguage(t, b, fr, "Nederlands", "nl")
	b.WaitTrue("the overview drawn", drawn(nl["loading"]))
	dutchOverview(t, b, loc, d.sent["description"].(string))
	dutchLink(t, p, b, loc, d.sent["id"].(string))
	b.Go(p.srv.URL + "/dashboard/links/new")
	b.WaitTrue("the new link's form drawn", drawn(nl["loading"]))
	today := time.Now().In(loc)
	if got, want := b.Attr(`input[name="expires"]`, "min"), today.AddDate(0, 0, 1).Format(time.DateOnly); got != want {
		t.Errorf("the expiry's first day is %s, want the day after the merchant's today, %s", got, want)
	}
	b.Go(p.srv.URL + "/dashboard/settings")
	b.WaitTrue("the settings drawn", drawn(nl["loading"]))
	for _, want := range []string{"Instellingen", "Handelaar en huisstijl", "Tijdzone", loc.String(), "Accentkleur"} {
		if !strings.Contains(b.Text("body"), want) {
			t.Errorf("the settings in Dutch lack %q", want)
		}
	}
	b.NoErrors(t)

	pages := append(languagePages(t, p, d.sent["id"].(string)), "/dashboard/bank-statements/"+statement)
	for _, lang := range []struct{ code, name string }{{"nl", "Nederlands"}, {"fr", "Français"}, {"de", "Deutsch"}} {
		words := catalogOf(t, lang.code)
		b.Go(p.srv.URL + "/dashboard")
		b.WaitTrue("the overview drawn", drawn(catalogOf(t, b.Attr("html", "lang"))["loading"]))
		chooseLanguage(t, b, catalogOf(t, b.Attr("html", "lang")), lang.name, lang.code)
		b.WaitTrue("the overview drawn", drawn(words["loading"]))
		b.Shot("overview-" + lang.code)
		b.Mobile(t)
		b.Shot("overview-" + lang.code + "-phone")
		b.Desktop()
		for _, path := range pages {
			b.Go(p.srv.URL + path)
			b.WaitTrue(path+" drawn", drawn(words["loading"]))
			if got := b.Attr("html", "lang"); got != lang.code {
				t.Errorf("%s: lang %q, want %s", path, got, lang.code)
			}
			b.Axe(t, lang.code+" "+path)
		}
		b.NoErrors(t)
	}
}

// dutchOverview: the overview in Dutch words, the link of € 12,50 in
// Dutch money, its day the merchant zone's, written the Dutch way.
func dutchOverview(t *testing.T, b *headless.Browser, loc *time.Location, description string) {
	t.Helper()
	b.WaitText(description)
	text := plain(b.Text("body"))
	for _, want := range []string{"Betaallinks", "Nieuwe betaallink", "Klanten", "Instellingen", "Te controleren betalingen",
		"Afmelden", "Eigenaar bij", "€ 12,50", nlDay(time.Now().In(loc))} {
		if !strings.Contains(text, want) {
			t.Errorf("the overview in Dutch lacks %q", want)
		}
	}
	for _, english := range []string{"Payment links", "New payment link", "Sign out", "€12.50"} {
		if strings.Contains(text, english) {
			t.Errorf("the Dutch overview still says %q", english)
		}
	}
}

// dutchLink: a link's page in Dutch, its created time to the minute in
// the merchant's zone.
func dutchLink(t *testing.T, p *people, b *headless.Browser, loc *time.Location, id string) {
	t.Helper()
	_, l := p.api(t, "GET", "/v1/payment-links/"+id, demoKeys.byPeople[p], "", nil)
	created, err := time.Parse(time.RFC3339, l["created_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	at := created.In(loc)
	b.Go(p.srv.URL + "/dashboard/links/" + id)
	b.WaitText("Aangemaakt")
	text := plain(b.Text("body"))
	for _, want := range []string{"Gegevens", "Gebeurtenissen", "Terugbetalingen", "Delen", "Bedrag", "€ 12,50",
		fmt.Sprintf("%s, %02d:%02d", nlDay(at), at.Hour(), at.Minute())} {
		if !strings.Contains(text, want) {
			t.Errorf("the link's page in Dutch lacks %q", want)
		}
	}
	b.Shot("link-nl")
}

// languagePages are the dashboard's pages an owner opens, one of each
// (a link, its preview and a customer of the demo data).
func languagePages(t *testing.T, p *people, linkID string) []string {
	t.Helper()
	st, cs := p.api(t, "GET", "/v1/customers?limit=1", demoKeys.byPeople[p], "", nil)
	list, _ := cs["data"].([]any)
	if st != 200 || len(list) == 0 {
		t.Fatalf("a customer: %d %v", st, cs)
	}
	customer := list[0].(map[string]any)["id"].(string)
	return []string{"/dashboard", "/dashboard/links/new", "/dashboard/links/" + linkID, "/dashboard/links/" + linkID + "/preview",
		"/dashboard/customers", "/dashboard/customers/new", "/dashboard/customers/" + customer, "/dashboard/import",
		"/dashboard/review", "/dashboard/bank-statements", "/dashboard/refund-files", "/dashboard/insights",
		"/dashboard/settings", "/dashboard/settings/payments", "/dashboard/settings/webhooks", "/dashboard/settings/keys",
		"/dashboard/settings/team", "/dashboard/settings/audit"}
}
