package httpapi

import (
	"context"
	"net/http"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/validate"
)

// AuditStore is what recording a change on its own and reading the audit
// log use (most changes write their entry in their own transaction).
type AuditStore interface {
	AppendAudit(ctx context.Context, m string, e store.AuditEntry) error
	ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, string, error)
}

// Audit records a change by the actor of ctx to resource (an id): action
// such as "member.invited", with what it was and what it became (nil when
// nothing; never a secret: callers pass views without them). A change that
// happened is not undone when its record cannot be written: the failure is
// logged with everything the entry held.
func (a *API) Audit(ctx context.Context, action, resource string, before, after any) {
	m := merchantOf(ctx).ID
	e := store.NewAuditEntry(ctx, a.Now(), action, resource, before, after)
	if err := a.Store.AppendAudit(ctx, m, e); err != nil {
		a.Log.Error("audit", "merchant", m, "action", action, "resource", resource, "actor", e.Actor.ID, "error", err.Error())
		reqlog.Set(ctx, "audit_error", err.Error())
	}
}

var auditParams = map[string]bool{"actor": true, "resource": true, "limit": true, "cursor": true}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	q := store.AuditQuery{Merchant: merchantOf(r.Context()).ID, Limit: pageParams(v, auditParams, &errs),
		Actor: v.Get("actor"), Resource: v.Get("resource"), Cursor: v.Get("cursor")}
	for name, val := range map[string]string{"actor": q.Actor, "resource": q.Resource} {
		if val != "" && !validate.Text(val, 100) {
			errs.Add(name, "must be 1 to 100 characters")
		}
	}
	if len(errs) > 0 {
		return errs
	}
	entries, next, err := a.Store.ListAudit(r.Context(), q)
	if err != nil {
		return err
	}
	writePage(w, r, entries, next)
	return nil
}
