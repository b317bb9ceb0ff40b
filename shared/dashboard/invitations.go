package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// An invitation is a membership only once its person joins: after
// signing in they see each merchant that invited them ("Join <merchant>")
// and join or decline it. Until then the merchant sees "invited" and
// nothing of the person's account.

func (d *Dashboard) invitationsPage(w http.ResponseWriter, r *http.Request) {
	cur, l := currentOf(r), langOf(r)
	invites := cur.person.Invitations()
	var b strings.Builder
	if len(invites) == 0 {
		b.WriteString("<p>" + e(l.t("no_invitations")) + ` <a href="/dashboard">` + e(l.t("nav_links")) + "</a></p>")
	} else {
		b.WriteString("<p>" + e(l.t("invitations_body")) + "</p><ul class=\"invitations\">")
		for _, m := range invites {
			name := d.merchantName(r, m.Merchant)
			b.WriteString(`<li class="card"><h2>` + e(name) + `</h2><p>` + e(l.tf("invited_as", "role", l.t("role_"+string(m.Role)))) + `</p>` +
				`<form method="post" action="/dashboard/invitations">` + hidden("csrf", cur.s.CSRF) + hidden("merchant", m.Merchant) +
				`<button type="submit" name="answer" value="join">` + e(l.tf("join", "merchant", name)) + `</button> ` +
				`<button type="submit" name="answer" value="decline" class="secondary" aria-label="` + e(l.tf("decline_merchant", "merchant", name)) + `">` + e(l.t("decline")) + `</button></form></li>`)
		}
		b.WriteString("</ul>")
	}
	var signed *current
	if cur.s.Merchant != "" {
		signed = &cur
	} else {
		b.WriteString(`<form method="post" action="/dashboard/sign-out">` + hidden("csrf", cur.s.CSRF) + `<button type="submit" class="secondary">` + e(l.t("sign_out")) + `</button></form>`)
	}
	d.page(w, r, http.StatusOK, page{Title: l.t("invitations"), Signed: signed}, b.String())
}

// merchantName is the merchant's name, else its id.
func (d *Dashboard) merchantName(r *http.Request, id string) string {
	if m, err := d.Store.GetMerchant(r.Context(), id); err == nil && m.Name != "" {
		return m.Name
	}
	return id
}

// answerInvitation joins or declines the invitation of the merchant the
// form names; a person who had joined no merchant works in the one they
// join.
func (d *Dashboard) answerInvitation(w http.ResponseWriter, r *http.Request) {
	cur, l := currentOf(r), langOf(r)
	inv, ok := domain.MembershipIn(cur.person.Invitations(), r.PostFormValue("merchant"))
	answer := r.PostFormValue("answer")
	if !ok || (answer != "join" && answer != "decline") {
		d.page(w, r, http.StatusNotFound, page{Title: l.t("not_found")}, "<p>"+e(l.t("no_such_invitation"))+` <a href="/dashboard/invitations">`+e(l.t("invitations"))+"</a></p>")
		return
	}
	ctx := domain.WithActor(r.Context(), withOrigin(inv.Actor(), r))
	now := d.Now().UTC()
	var err error
	if answer == "join" {
		err = d.Store.JoinMerchant(ctx, inv, now, store.NewAuditEntry(ctx, now, "member.joined", inv.ID, nil, nil))
		if err == nil && cur.s.Merchant == "" {
			err = d.Store.TouchSession(ctx, cur.secret, now, inv.Merchant)
		}
	} else {
		err = d.Store.DeclineInvitation(ctx, inv, store.NewAuditEntry(ctx, now, "member.declined", inv.ID, nil, nil))
	}
	if errors.Is(err, domain.ErrNotFound) {
		http.Redirect(w, r, "/dashboard/invitations", http.StatusSeeOther)
		return
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reqlog.Set(r.Context(), "merchant", inv.Merchant)
	reqlog.Set(r.Context(), "outcome", "invitation_"+answer)
	http.Redirect(w, r, "/dashboard/invitations", http.StatusSeeOther)
}
