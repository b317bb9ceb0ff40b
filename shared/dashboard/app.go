package dashboard

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// appPage is a dashboard page whose content its script draws from the API
// (the same routes, permissions and rules as integrators'): the server
// sends the frame, the member's permissions and the session's CSRF token.
type appPage struct {
	pattern string
	page    string // the script's page
	title   string // catalog key
	nav     string // the navigation entry it belongs to
	need    domain.Permission
	byID    bool // the path names a resource ({id})
	// or is another permission that opens the page too ("" for none): the
	// page shows each member the parts their permissions allow.
	or domain.Permission
}

var appPages = []appPage{
	{"GET /dashboard", "links", "title_links", "links", domain.LinksRead, false, ""},
	{"GET /dashboard/{$}", "links", "title_links", "links", domain.LinksRead, false, ""},
	{"GET /dashboard/links", "links", "title_links", "links", domain.LinksRead, false, ""},
	{"GET /dashboard/links/new", "link-new", "title_link_new", "links", domain.LinksWrite, false, ""},
	{"GET /dashboard/links/{id}", "link", "title_link", "links", domain.LinksRead, true, ""},
	{"GET /dashboard/links/{id}/preview", "preview", "title_preview", "links", domain.LinksRead, true, ""},
	{"GET /dashboard/customers", "customers", "title_customers", "customers", domain.CustomersRead, false, ""},
	{"GET /dashboard/customers/new", "customer-new", "title_customer_new", "customers", domain.CustomersWrite, false, ""},
	{"GET /dashboard/customers/{id}", "customer", "title_customer", "customers", domain.CustomersRead, true, ""},
	// Import: CSV files of links or customers (links:write), bank
	// statements (payments:review).
	{"GET /dashboard/import", "import", "title_import", "import", domain.LinksWrite, false, domain.PaymentsReview},
	{"GET /dashboard/review", "review", "title_review", "review", domain.PaymentsReview, false, ""},
	{"GET /dashboard/bank-statements", "statements", "title_statements", "bank", domain.PaymentsReview, false, ""},
	{"GET /dashboard/bank-statements/{id}", "statement", "title_statement", "bank", domain.PaymentsReview, true, ""},
	{"GET /dashboard/refund-files", "refund-files", "title_refund_files", "bank", domain.PaymentsReview, false, ""},
	{"GET /dashboard/insights", "insights", "title_insights", "insights", domain.LinksRead, false, ""},
	// The settings are the administrators' (owner, admin): the API refuses
	// any change of a role without settings:write anyway.
	// Each part of the settings is a page of its own (settingsPages),
	// with the same permission.
	{"GET /dashboard/settings", "settings", "title_settings", "settings", domain.SettingsWrite, false, ""},
	{"GET /dashboard/settings/payments", "settings", "title_settings", "settings", domain.SettingsWrite, false, ""},
	{"GET /dashboard/settings/webhooks", "settings", "title_settings", "settings", domain.SettingsWrite, false, ""},
	{"GET /dashboard/settings/keys", "settings", "title_settings", "settings", domain.SettingsWrite, false, ""},
	{"GET /dashboard/settings/team", "settings", "title_settings", "settings", domain.SettingsWrite, false, ""},
	{"GET /dashboard/settings/audit", "settings", "title_settings", "settings", domain.SettingsWrite, false, ""},
}

// serveApp answers an app page: 403 with the permission named when the
// member's role lacks it (the API would refuse its calls).
func (d *Dashboard) serveApp(p appPage) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cur, l := currentOf(r), langOf(r)
		id := ""
		if p.byID {
			id = r.PathValue("id")
			if len(id) > 64 {
				d.page(w, r, http.StatusNotFound, page{Title: l.t("not_found"), Signed: &cur}, "<p>"+e(l.t("not_found_body"))+"</p>")
				return
			}
		}
		if !p.opensFor(cur.member.Grants()) {
			reqlog.Set(r.Context(), "outcome", "missing_permission")
			msg := l.tf("missing_permission", "perm", string(p.need))
			if p.need == domain.SettingsWrite {
				msg = l.t("admin_only")
			}
			d.page(w, r, http.StatusForbidden, page{Title: l.t("forbidden"), Signed: &cur, App: appView{Nav: p.nav}},
				"<p>"+e(msg)+"</p>")
			return
		}
		m, err := d.Store.GetMerchant(r.Context(), cur.member.Merchant)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		reqlog.Set(r.Context(), "outcome", "page_"+p.page)
		d.page(w, r, http.StatusOK, page{Title: l.t(p.title), Signed: &cur, App: appView{Page: p.page, ID: id, Nav: p.nav, Zone: m.Zone()}}, "")
	}
}

// opensFor reports whether a member with the grants may open the page.
func (p appPage) opensFor(grants []domain.Permission) bool {
	return domain.Allows(grants, p.need) || (p.or != "" && domain.Allows(grants, p.or))
}

// pageAt is the app page served at path (GET), nil when none is.
func pageAt(path string) *appPage {
	for i := range appPages {
		if appPages[i].pattern == "GET "+path {
			return &appPages[i]
		}
	}
	return nil
}
