package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/validate"
)

// LinkLister is what listing and exporting links read: a page of a
// merchant's links.
type LinkLister interface {
	List(ctx context.Context, q store.ListQuery) ([]*domain.Link, string, error)
}

// Listing limits.
const (
	defaultLimit  = 50
	maxLimit      = 500
	defaultWindow = 90 * 24 * time.Hour
)

var listParams = map[string]bool{"origin": true, "channel": true, "status": true, "customer": true, "reference": true, "amount_min": true, "amount_max": true,
	"created_from": true, "created_to": true, "archived": true, "limit": true, "cursor": true}

// parseListQuery reads the list filters of docs/api.md (days in the
// merchant's time zone); 422 naming the parameter.
func parseListQuery(v url.Values, m *merchant.Merchant, now time.Time) (store.ListQuery, error) {
	return parseListFilters(v, m, now, listParams)
}

// parseListFilters is parseListQuery with the parameters known: the
// listing's, or its filters alone (a summary).
func parseListFilters(v url.Values, m *merchant.Merchant, now time.Time, known map[string]bool) (store.ListQuery, error) {
	var errs domain.FieldErrors
	q := store.ListQuery{Merchant: m.ID, Limit: pageParams(v, known, &errs), Cursor: v.Get("cursor")}
	q.Status, q.Customer, q.Reference = parseListText(v, &errs)
	q.AmountMin, q.AmountMax = parseAmountRange(v, &errs)
	q.CreatedFrom, q.CreatedTo = parseCreatedRange(v, now, m.Location(), &errs)
	q.Archived = parseArchived(v, &errs)
	q.Origin, q.Channel = domain.Origin(v.Get("origin")), v.Get("channel")
	if q.Origin != "" && !q.Origin.Valid() {
		errs.Add("origin", domain.OriginMessage)
	}
	if q.Channel != "" && !domain.ValidChannel(q.Channel) {
		errs.Add("channel", domain.ChannelMessage)
	}
	if len(errs) > 0 {
		return q, problem.Invalid(errs...)
	}
	return q, nil
}

// parseListText reads the status, customer and reference filters.
func parseListText(v url.Values, errs *domain.FieldErrors) (status domain.Status, customer, reference string) {
	status, customer, reference = domain.Status(v.Get("status")), v.Get("customer"), v.Get("reference")
	if status != "" && !status.Valid() {
		errs.Add("status", "must be one of created, clicked, paid, declined, expired")
	}
	if customer != "" && !validate.Text(customer, 100) {
		errs.Add("customer", "must be 1 to 100 characters")
	}
	if reference != "" && !validate.Text(reference, 64) {
		errs.Add("reference", "must be 1 to 64 characters")
	}
	return status, customer, reference
}

// parseAmountRange reads amount_min and amount_max (nil when absent).
func parseAmountRange(v url.Values, errs *domain.FieldErrors) (lo, hi *decimal.Decimal) {
	parse := func(name string) *decimal.Decimal {
		s := v.Get(name)
		if s == "" {
			return nil
		}
		d, err := money.ParseBound(s)
		if err != nil {
			errs.Add(name, "must be a plain decimal from 0 to 1000000000.00 with at most 4 decimals, such as 10.00")
			return nil
		}
		return &d
	}
	lo, hi = parse("amount_min"), parse("amount_max")
	if lo != nil && hi != nil && lo.GreaterThan(*hi) {
		errs.Add("amount_min", "must not be above amount_max")
	}
	return lo, hi
}

// parseCreatedRange reads created_from and created_to, each an instant
// (RFC 3339) or a day (YYYY-MM-DD) in loc: created_from a day's first
// instant, created_to its last. The window ends now and spans
// defaultWindow unless they say otherwise.
func parseCreatedRange(v url.Values, now time.Time, loc *time.Location, errs *domain.FieldErrors) (from, to time.Time) {
	parse := func(name string, def time.Time, end bool) time.Time {
		s := v.Get(name)
		if s == "" {
			return def
		}
		if d, ok := domain.ParseDay(s); ok {
			first, last := domain.DayBounds(d, d, loc)
			if end {
				return last.UTC()
			}
			return first.UTC()
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			errs.Add(name, "must be a day (YYYY-MM-DD, in the merchant's time zone) or an RFC 3339 time")
			return def
		}
		return t.UTC()
	}
	from = parse("created_from", now.Add(-defaultWindow), false)
	to = parse("created_to", now, true)
	if v.Get("created_from") == "" && v.Get("created_to") != "" {
		from = to.Add(-defaultWindow)
	}
	if v.Get("created_from") != "" && v.Get("created_to") != "" && from.After(to) && !sameDays(v.Get("created_from"), v.Get("created_to")) {
		errs.Add("created_from", "must not be after created_to")
	}
	return from, to
}

// sameDays reports two days in order whose instants are not: days the
// zone left out (Samoa's 2011-12-30), whose window is empty.
func sameDays(from, to string) bool {
	f, okf := domain.ParseDay(from)
	t, okt := domain.ParseDay(to)
	return okf && okt && !t.Before(f)
}

// parseArchived reads the archived filter: exactly true or false.
func parseArchived(v url.Values, errs *domain.FieldErrors) bool {
	b := optionalArchived(v, errs)
	return b != nil && *b
}

// optionalArchived reads archived=true|false; nil when absent (both).
func optionalArchived(v url.Values, errs *domain.FieldErrors) *bool {
	s := v.Get("archived")
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil || (s != "true" && s != "false") {
		errs.Add("archived", "must be true or false")
	}
	return &b
}

// pageParams checks a listing's query against its known parameters: an
// unknown or repeated parameter and a limit outside 1 to 500 are field
// errors added to errs. It returns the limit (defaultLimit when absent).
func pageParams(v url.Values, known map[string]bool, errs *domain.FieldErrors) int {
	for k, vals := range v {
		if !known[k] {
			errs.Add(k, "is not a known filter")
		} else if len(vals) > 1 {
			errs.Add(k, "is given more than once")
		}
	}
	s := v.Get("limit")
	if s == "" {
		return defaultLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		errs.Add("limit", "must be an integer from 1 to 500")
	}
	return n
}

// query parses a request's query string: 400 when malformed.
func query(r *http.Request) (url.Values, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, problem.New(http.StatusBadRequest, "malformed query string")
	}
	return v, nil
}

// writePage answers one page of a listing: its data and the cursor of the
// next page (null on the last).
func writePage(w http.ResponseWriter, r *http.Request, data any, next string) {
	var nextCursor *string
	if next != "" {
		nextCursor = &next
	}
	reqlog.Set(r.Context(), "outcome", "listed")
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": nextCursor})
}

func (a *API) listLinks(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	values, err := query(r)
	if err != nil {
		return err
	}
	q, err := parseListQuery(values, m, a.Now())
	if err != nil {
		return err
	}
	links, next, err := a.Store.List(r.Context(), q)
	if err != nil {
		return err
	}
	data := make([]LinkView, len(links))
	for i, l := range links {
		data[i] = a.view(l)
	}
	writePage(w, r, data, next)
	return nil
}

type patchRequest struct {
	Language *string           `json:"language"`
	Metadata map[string]string `json:"metadata"`
}

// check validates a patch: 422 naming each field.
func (req *patchRequest) check() error {
	var errs domain.FieldErrors
	if req.Language == nil && req.Metadata == nil {
		errs.Add("language", "give language and/or metadata to change")
	}
	if req.Language != nil && !domain.ValidLanguage(*req.Language) {
		errs.Add("language", "must be one of en, nl, fr, de")
	}
	for k, v := range req.Metadata {
		if !validate.Text(k, domain.MaxMetadataKey) {
			errs.Add("metadata."+k, "keys are 1 to 40 characters")
		} else if len(v) > domain.MaxMetadataValue {
			errs.Add("metadata."+k, "values are at most 500 characters")
		}
	}
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	return nil
}

// mergeMetadata merges change into cur (an empty value deletes its key):
// 422 above domain.MaxMetadataPairs, nil when nothing is left.
func mergeMetadata(cur, change map[string]string) (map[string]string, error) {
	meta := map[string]string{}
	for k, v := range cur {
		meta[k] = v
	}
	for k, v := range change {
		if v == "" {
			delete(meta, k)
		} else {
			meta[k] = v
		}
	}
	if len(meta) > domain.MaxMetadataPairs {
		return nil, problem.Invalid(domain.FieldError{Field: "metadata", Message: "has at most 20 pairs"})
	}
	if len(meta) == 0 {
		return nil, nil
	}
	return meta, nil
}

// patchLink changes the language and merges metadata (an empty value
// deletes a key), with its timeline event; any status may change them.
func (a *API) patchLink(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	var req patchRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	next, err := a.linkService().Patch(r.Context(), m.ID, r.PathValue("id"), "payment_link.updated", func(next domain.Link) (domain.Link, map[string]string, error) {
		data := map[string]string{}
		if req.Language != nil {
			next.Language = *req.Language
			data["language"] = *req.Language
		}
		if req.Metadata != nil {
			meta, err := mergeMetadata(next.Metadata, req.Metadata)
			if err != nil {
				return next, nil, err
			}
			next.Metadata = meta
			data["metadata"] = "changed"
		}
		return next, data, nil
	})
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "link_id", next.ID)
	reqlog.Set(r.Context(), "outcome", "updated")
	writeJSON(w, http.StatusOK, a.view(next))
	return nil
}

// archiveLink deletes a never-opened, non-dunning link for good (204), and
// archives any other (200, hidden from default listings, kept).
func (a *API) archiveLink(w http.ResponseWriter, r *http.Request) error {
	res, err := a.linkService().Archive(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "link_id", r.PathValue("id"))
	switch {
	case res.Deleted:
		reqlog.Set(r.Context(), "outcome", "deleted")
		w.WriteHeader(http.StatusNoContent)
	case res.Already:
		writeJSON(w, http.StatusOK, a.view(res.Link))
	default:
		reqlog.Set(r.Context(), "outcome", "archived")
		writeJSON(w, http.StatusOK, a.view(res.Link))
	}
	return nil
}
