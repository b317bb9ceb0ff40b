package dashboard

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
