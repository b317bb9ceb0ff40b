package dashboard

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/paylinks/paylinks/shared/domain"
)

// TestEveryStringInTheCatalog: every string the dashboard's Go code and its
// script ask for has its English entry (a missing one would show its key to
// a person): the literal keys, and every member of the families the script
// builds keys of (a status, a role, an origin, a payment method...).
func TestEveryStringInTheCatalog(t *testing.T) {
	en := catalog["en"]
	if len(en) < 300 {
		t.Fatalf("the English catalog has %d strings", len(en))
	}
	files, _ := filepath.Glob("*.go")
	scripts, _ := filepath.Glob("assets/*.js")
	pageScripts, _ := filepath.Glob("assets/pages/*.js")
	files = append(append(files, scripts...), pageScripts...)
	goUse := regexp.MustCompile(`\bt\("([a-z_]+)"\)`)
	jsUse := regexp.MustCompile(`\bt\('([a-z_]+)'[,)]`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{goUse, jsUse} {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				n++
				if _, ok := en[m[1]]; !ok {
					t.Errorf("%s: t(%q) has no English string", f, m[1])
				}
			}
		}
	}
	if n < 250 {
		t.Fatalf("only %d strings found", n)
	}
	families := map[string][]string{
		"status_": {"created", "clicked", "paid", "declined", "expired"}, "preset_": {"all", "created", "clicked", "paid", "declined", "expired", "archived"},
		"channel_": {domain.ChannelEmail, domain.ChannelSMS, domain.ChannelWhatsApp}, "lang_": {"en", "nl", "fr", "de"},
		"tab_": {"details", "events", "refunds", "share"}, "refund_": {"pending", "succeeded", "failed"},
		"review_": {"unmatched", "second", "mismatched", domain.ReviewReversal}, "review_state_": {"open", "refunding", "refunded", "matching", "matched"},
		"member_": {"invited", "active"}, "settings_": {"general", "webhooks", "keys", "members", "audit"}, "who_": {"existing", "new"},
		"nav_":              {"links", "customers", "import", "review", "bank", "insights", "settings"},
		"outcome_":          {string(domain.EntryMatched), string(domain.EntryReview), string(domain.EntryIgnored), string(domain.EntryDuplicate)},
		"statement_status_": {"processing", "done", "failed"}, "source_": {"api", "drop"}, "bank_tab_": {"statements", "refund_files"},
		// An entry's reason in plain words, by outcome (docs/api.md, Bank
		// statements; the refunds' by bank: domain/payout.go).
		"reason_": {"matched_" + domain.ReasonPaid, "matched_" + domain.ReasonRefundPaidOut, "review_" + domain.ReasonNoReference,
			"review_" + domain.ReasonUnknownRef, "review_" + domain.ReasonSecond, "review_" + domain.ReasonMismatched, "review_" + domain.ReasonReversal,
			"review_" + domain.ReasonRefundReturned, "review_" + domain.ReasonRefundMismatch,
			"ignored_" + domain.ReasonDebit, "ignored_" + domain.ReasonNotBooked, "ignored_" + domain.ReasonReversal, "duplicate_" + domain.ReasonSeenBefore},
	}
	for _, o := range domain.Origins {
		families["origin_"] = append(families["origin_"], string(o))
	}
	for r := range domain.Roles {
		families["role_"] = append(families["role_"], string(r))
	}
	families["method_"] = domain.PaymentMethods
	for prefix, members := range families {
		for _, m := range members {
			if _, ok := en[prefix+m]; !ok {
				t.Errorf("no English string %s%s", prefix, m)
			}
		}
	}
	for _, p := range appPages {
		if _, ok := en[p.title]; !ok {
			t.Errorf("page %s: no title %s", p.pattern, p.title)
		}
	}
}

// TestOtherLanguagesOnlyTranslate: a catalog beside English (nl, fr, de as
// they come) holds only keys English has, each with the same {names}.
func TestOtherLanguagesOnlyTranslate(t *testing.T) {
	vars := regexp.MustCompile(`\{[a-z_]+\}`)
	for lang, strs := range catalog {
		if lang == "en" {
			continue
		}
		for k, v := range strs {
			en, ok := catalog["en"][k]
			if !ok {
				t.Errorf("%s: %s is not an English key", lang, k)
				continue
			}
			if strings.Join(vars.FindAllString(en, -1), ",") != strings.Join(vars.FindAllString(v, -1), ",") {
				t.Errorf("%s: %s has other placeholders than English", lang, k)
			}
		}
	}
}

// sameInEveryLanguage are the English strings a translation keeps as they
// are: names of products, payment methods and standards, paylinks, a
// string of placeholders only, and "min", the same abbreviation in all four.
var sameInEveryLanguage = map[string]string{
	"bic": "standard", "iban": "standard", "ip": "standard", "origin_api": "standard", "actor_system": "product name",
	"channel_sms": "standard", "channel_whatsapp": "product name",
	"method_apple_pay": "product name", "method_google_pay": "product name", "method_bancontact": "product name",
	"method_ideal": "product name", "method_paypal": "product name", "method_klarna": "product name", "method_eps": "product name",
	"method_przelewy24": "product name", "method_kbc": "product name", "method_belfius": "product name",
	"method_twint": "product name", "method_giropay": "product name", "method_sofort": "product name",
	"customer_and_email": "placeholders only", "minutes": "min in every language",
}

// sameWord are the strings that are the same word in a language as in
// English: loanwords its speakers use in a business application (Webhooks,
// Dashboard, Team, Link, Status, Bank, Code, Format...) and words both
// languages share (fr Description, Message, Action; de Name, Details),
// each checked in its place.
var sameWord = map[string][]string{
	"nl": {"channel_email", "settings_webhooks", "origin_dashboard", "code", "status", "bank", "nav_bank", "bank_sections",
		"link", "links", "settings_team", "filters", "brand_logo"},
	"fr": {"channel_email", "settings_webhooks", "description", "hours", "message", "action", "actions", "page_n", "format"},
	"de": {"code", "nav_import", "title_import", "origin_import", "bank", "nav_bank", "bank_sections", "key_name", "name", "link", "links",
		"role_admin", "settings_webhooks", "settings_team", "brand_logo", "status", "tab_details", "format", "origin_dashboard"},
}

// TestCatalogsComplete: the dashboard speaks en, nl, fr and de, each
// catalog whole: every English key in every other catalog and no other
// key, each with the same {placeholders} as English, and no value left in
// English where the language has its own word (only the names and the
// loanwords above may equal the English).
func TestCatalogsComplete(t *testing.T) {
	vars := regexp.MustCompile(`\{[a-z_]+\}`)
	placeholders := func(s string) string {
		v := vars.FindAllString(s, -1)
		slices.Sort(v)
		return strings.Join(v, ",")
	}
	en := catalog["en"]
	for _, lang := range domain.Languages[1:] {
		strs, ok := catalog[lang]
		if !ok {
			t.Errorf("no catalog strings/%s.json", lang)
			continue
		}
		same := map[string]bool{}
		for _, k := range sameWord[lang] {
			same[k] = true
		}
		var missing, untranslated []string
		for k, v := range en {
			got, ok := strs[k]
			switch {
			case !ok || strings.TrimSpace(got) == "":
				missing = append(missing, k)
			case placeholders(got) != placeholders(v):
				t.Errorf("%s: %s has {%s}, English {%s}", lang, k, placeholders(got), placeholders(v))
			case got == v && sameInEveryLanguage[k] == "" && !same[k]:
				untranslated = append(untranslated, k)
			}
		}
		for k := range strs {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: %s is not an English key", lang, k)
			}
		}
		slices.Sort(missing)
		slices.Sort(untranslated)
		if len(missing) > 0 {
			t.Errorf("%s lacks %d keys: %s", lang, len(missing), strings.Join(missing, " "))
		}
		if len(untranslated) > 0 {
			t.Errorf("%s leaves %d values in English: %s", lang, len(untranslated), strings.Join(untranslated, " "))
		}
	}
	for k := range sameInEveryLanguage {
		if _, ok := en[k]; !ok {
			t.Errorf("the allow-list names %s, no English key", k)
		}
	}
	for lang, keys := range sameWord {
		for _, k := range keys {
			if _, ok := en[k]; !ok {
				t.Errorf("the %s allow-list names %s, no English key", lang, k)
			}
		}
	}
}

// namedBeside are the controls whose accessible name (an aria-label) says
// more than their visible text: visible key, name key.
var namedBeside = [][2]string{
	{"retry", "retry_delivery"}, {"revoke", "revoke_key"}, {"change_role", "change_role_of"}, {"remove", "remove_member"},
	{"refund", "refund_payment_from"}, {"refund", "refund_payment"}, {"match", "match_payment_from"},
	{"download_xml", "download_refund_file"}, {"decline", "decline_merchant"},
}

// TestAccessibleNamesHoldTheirText: in every language a control's
// accessible name holds its visible words together and in order (WCAG
// 2.5.3 Label in Name, axe's label-content-name-mismatch: "Rolle von
// {email} ändern" for a button reading "Rolle ändern" fails it).
func TestAccessibleNamesHoldTheirText(t *testing.T) {
	words := func(s string) []string {
		s = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(strings.ToLower(s), " x ")
		return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	for lang, strs := range catalog {
		for _, pair := range namedBeside {
			visible, name := strings.Join(words(strs[pair[0]]), " "), " "+strings.Join(words(strs[pair[1]]), " ")+" "
			if strs[pair[0]] != "" && !strings.Contains(name, " "+visible+" ") {
				t.Errorf("%s: %s %q does not hold %s %q", lang, pair[1], strs[pair[1]], pair[0], strs[pair[0]])
			}
		}
	}
}
