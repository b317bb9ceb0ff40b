package httpapi

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/validate"
)

// CustomerStore is what the customers routes read and write.
type CustomerStore interface {
	GetCustomer(ctx context.Context, m, id string) (*domain.CustomerRecord, error)
	CustomerByNumber(ctx context.Context, m, no string) (*domain.CustomerRecord, error)
	CreateCustomer(ctx context.Context, m string, c *domain.CustomerRecord, e store.AuditEntry) error
	UpdateCustomer(ctx context.Context, m, id string, change func(cur domain.CustomerRecord) (domain.CustomerRecord, error),
		audit func(before, after *domain.CustomerRecord) store.AuditEntry) (*domain.CustomerRecord, error)
	ListCustomers(ctx context.Context, q store.CustomerQuery) ([]*domain.CustomerRecord, string, error)
	CustomerLinks(ctx context.Context, m, customerID string, limit int, cursor string) ([]*domain.Link, string, error)
	EraseCustomerData(ctx context.Context, m, id string) (store.ErasureCounts, error)
	ErasurePreview(ctx context.Context, m, id string) (store.ErasureCounts, error)
	MergeCustomer(ctx context.Context, m, from, into string, now time.Time,
		audit func(from, into *domain.CustomerRecord) []store.AuditEntry) (*domain.CustomerRecord, int, error)
	CustomerTotals(ctx context.Context, m, id string) (totals []domain.CurrencyTotals, counted int, complete bool, err error)
}

// CustomerRoutes are the routes of the customers function.
var CustomerRoutes = []Route{
	{Pattern: "POST /v1/customers", Permission: domain.CustomersWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.createCustomer)) }},
	{Pattern: "GET /v1/customers", Permission: domain.CustomersRead, handler: func(a *API) http.HandlerFunc { return handle(a.listCustomers) }},
	{Pattern: "POST /v1/customers/import", Permission: domain.CustomersWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.importCustomers)) }},
	{Pattern: "GET /v1/customers/export", Permission: domain.CustomersRead, handler: func(a *API) http.HandlerFunc { return handle(a.exportCustomers) }},
	{Pattern: "GET /v1/customers/{id}", Permission: domain.CustomersRead, handler: func(a *API) http.HandlerFunc { return customerHandle(a.getCustomer) }},
	{Pattern: "PATCH /v1/customers/{id}", Permission: domain.CustomersWrite, handler: func(a *API) http.HandlerFunc { return customerHandle(a.patchCustomer) }},
	{Pattern: "POST /v1/customers/{id}/archive", Permission: domain.CustomersWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(customerHandle(a.archiveCustomer)) }},
	{Pattern: "POST /v1/customers/{id}/erase", Permission: domain.CustomersErase, handler: func(a *API) http.HandlerFunc { return a.idempotent(customerHandle(a.eraseCustomer)) }},
	{Pattern: "GET /v1/customers/{id}/erasure-preview", Permission: domain.CustomersErase, handler: func(a *API) http.HandlerFunc { return customerHandle(a.erasurePreview) }},
	{Pattern: "POST /v1/customers/{id}/merge", Permission: domain.CustomersWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(customerHandle(a.mergeCustomer)) }},
	{Pattern: "GET /v1/customers/{id}/payment-links", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return customerHandle(a.customerLinks) }},
	{Pattern: "GET /v1/customers/{id}/totals", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return customerHandle(a.customerTotals) }},
}

// CustomersPath is the path (and subtree) CustomerRoutes serve.
const CustomersPath = "/v1/customers"

// CustomersHandler serves CustomerRoutes only (the customers function).
func (a *API) CustomersHandler() http.Handler { return a.handlerOf(CustomerRoutes) }

// customerAudit is a customer change's record: which fields changed, never
// their values (an erasure must leave no personal data behind).
func customerAudit(before, after *domain.CustomerRecord) (b, a any) {
	if before == nil {
		return nil, map[string]any{"id": after.ID, "type": after.Type}
	}
	var changed []string
	bv, av := reflect.ValueOf(*before), reflect.ValueOf(*after)
	for i := 0; i < bv.NumField(); i++ {
		name := strings.Split(bv.Type().Field(i).Tag.Get("json"), ",")[0]
		if name == "updated_at" || name == "created_at" {
			continue
		}
		if !reflect.DeepEqual(bv.Field(i).Interface(), av.Field(i).Interface()) {
			changed = append(changed, name)
		}
	}
	return nil, map[string]any{"changed": changed}
}

func (a *API) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var in domain.CustomerInput
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	m := merchantOf(r.Context()).ID
	now := a.Now().UTC()
	if in.CustomerNumber != nil && strings.TrimSpace(*in.CustomerNumber) != "" {
		// Upsert by the merchant's customer number.
		cur, err := a.Store.CustomerByNumber(r.Context(), m, strings.TrimSpace(*in.CustomerNumber))
		if err == nil {
			c, err := a.updateCustomer(r, cur.ID, func(c domain.CustomerRecord) (domain.CustomerRecord, error) { return in.Apply("", c) })
			if err != nil {
				return err
			}
			reqlog.Set(r.Context(), "outcome", "customer_upserted")
			writeJSON(w, http.StatusOK, c)
			return nil
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
	}
	c, err := in.Apply("", domain.CustomerRecord{})
	if err != nil {
		return err
	}
	c.ID, c.Created, c.Updated = domain.NewID("cus_", now), now, now
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	b, af := customerAudit(nil, &c)
	if err := a.Store.CreateCustomer(r.Context(), m, &c, store.NewAuditEntry(r.Context(), now, "customer.created", c.ID, b, af)); err != nil {
		return customerError(err)
	}
	reqlog.Set(r.Context(), "outcome", "customer_created")
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// customerError names the field of a taken customer number.
func customerError(err error) error {
	if errors.Is(err, store.ErrCustomerNumberTaken) {
		return domain.FieldErrors{{Field: "customer_number", Message: "belongs to another customer"}}
	}
	return err
}

func (a *API) updateCustomer(r *http.Request, id string, change func(domain.CustomerRecord) (domain.CustomerRecord, error)) (*domain.CustomerRecord, error) {
	now := a.Now().UTC()
	c, err := a.Store.UpdateCustomer(r.Context(), merchantOf(r.Context()).ID, id, func(cur domain.CustomerRecord) (domain.CustomerRecord, error) {
		if cur.MergedInto != "" {
			return cur, errMerged{&cur}
		}
		if cur.Erased {
			return cur, domain.ErrCustomerArchived
		}
		next, err := change(cur)
		next.Updated = now
		return next, err
	}, func(before, after *domain.CustomerRecord) store.AuditEntry {
		b, af := customerAudit(before, after)
		return store.NewAuditEntry(r.Context(), now, "customer.updated", id, b, af)
	})
	return c, customerError(err)
}

func (a *API) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := a.liveCustomer(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) patchCustomer(w http.ResponseWriter, r *http.Request) error {
	var in domain.CustomerInput
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	c, err := a.updateCustomer(r, r.PathValue("id"), func(cur domain.CustomerRecord) (domain.CustomerRecord, error) { return in.Apply("", cur) })
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "outcome", "customer_updated")
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) archiveCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := a.updateCustomer(r, r.PathValue("id"), func(cur domain.CustomerRecord) (domain.CustomerRecord, error) {
		cur.Archived = true
		return cur, nil
	})
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "outcome", "customer_archived")
	writeJSON(w, http.StatusOK, c)
	return nil
}

var customerParams = map[string]bool{"q": true, "email": true, "customer_number": true, "archived": true, "limit": true, "cursor": true}

func (a *API) listCustomers(w http.ResponseWriter, r *http.Request) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	q := store.CustomerQuery{Merchant: merchantOf(r.Context()).ID, Limit: pageParams(v, customerParams, &errs),
		Q: v.Get("q"), Email: v.Get("email"), CustomerNumber: v.Get("customer_number"), Cursor: v.Get("cursor")}
	for name, val := range map[string]string{"q": q.Q, "email": q.Email, "customer_number": q.CustomerNumber} {
		if val != "" && !validate.Text(val, 100) {
			errs.Add(name, "must be 1 to 100 characters")
		}
	}
	q.Archived = optionalArchived(v, &errs)
	if len(errs) > 0 {
		return errs
	}
	cs, next, err := a.Store.ListCustomers(r.Context(), q)
	if err != nil {
		return err
	}
	writePage(w, r, cs, next)
	return nil
}

func (a *API) customerLinks(w http.ResponseWriter, r *http.Request) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	limit := pageParams(v, map[string]bool{"limit": true, "cursor": true}, &errs)
	if len(errs) > 0 {
		return errs
	}
	m := merchantOf(r.Context()).ID
	if _, err := a.liveCustomer(r); err != nil {
		return err
	}
	links, next, err := a.Store.CustomerLinks(r.Context(), m, r.PathValue("id"), limit, v.Get("cursor"))
	if err != nil {
		return err
	}
	views := make([]any, len(links))
	for i, l := range links {
		views[i] = a.view(l)
	}
	writePage(w, r, views, next)
	return nil
}

// eraseCustomer erases a person (GDPR): their data leaves the links made
// for them and those links' webhook deliveries first (so a retry after a
// failure finishes the job), then the customer, whose index entries go
// with it; amounts, statuses, PSP references and timelines stay. It cannot
// be undone; erasing again is 200 and changes nothing.
func (a *API) eraseCustomer(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context()).ID
	id := r.PathValue("id")
	if _, err := a.liveCustomer(r); err != nil {
		return err
	}
	n, err := a.Store.EraseCustomerData(r.Context(), m, id)
	if err != nil {
		return erasureUnderWay(r, err)
	}
	now := a.Now().UTC()
	c, err := a.Store.UpdateCustomer(r.Context(), m, id, func(cur domain.CustomerRecord) (domain.CustomerRecord, error) {
		next := domain.Erase(cur)
		if !cur.Erased {
			next.Updated = now
		}
		return next, nil
	}, func(before, after *domain.CustomerRecord) store.AuditEntry {
		return store.NewAuditEntry(r.Context(), now, "customer.erased", id, nil, map[string]any{"links": n.Links, "bank_records": n.BankRecords, "webhook_deliveries": n.Deliveries})
	})
	if err != nil {
		return erasureUnderWay(r, err)
	}
	reqlog.Set(r.Context(), "outcome", "customer_erased")
	writeJSON(w, http.StatusOK, c)
	return nil
}

// erasureUnderWay is the answer to an erasure that began (its marker
// written, part of the data perhaps erased) and stopped on a dependency
// that did not answer in time (the request's deadline among them): not
// the generic "nothing was changed", but that posting again finishes it
// (the erasure resumes where it is). Any other error is returned as it is.
func erasureUnderWay(r *http.Request, err error) error {
	if !errors.Is(Classify(err), domain.ErrUnavailable) {
		return err
	}
	reqlog.Set(r.Context(), "error", err.Error())
	p := problem.New(http.StatusServiceUnavailable, "the erasure is under way and did not finish in time; part of the person's data may already be erased: post again after the Retry-After seconds to finish it")
	p.RetryAfter = problem.RetryAfter
	return p
}
