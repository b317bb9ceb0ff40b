package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// FeedStore is what the event feed's routes read.
type FeedStore interface {
	ReadFeed(ctx context.Context, q store.FeedQuery, now time.Time) (store.FeedPage, error)
	GetFeedEvent(ctx context.Context, m, id string) (*store.FeedEvent, error)
}

var feedParams = map[string]bool{"after": true, "types": true, "limit": true}

// feedTypes parses the types filter: known event types, comma-separated.
func feedTypes(s string, errs *domain.FieldErrors) map[string]bool {
	if s == "" {
		return nil
	}
	out := map[string]bool{}
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if !outbound.Types[t] {
			errs.Add("types", fmt.Sprintf("%q is not an event type", t))
			continue
		}
		out[t] = true
	}
	return out
}

// feedVisible is whether a caller holding grants reads events of type t:
// every event needs links:read (the route's permission: the link and its
// customer's snapshot), a payment kept for review also payments:review,
// as the review's listing does.
func feedVisible(grants []domain.Permission, t string) bool {
	return t != store.EventReviewOpened || domain.Allows(grants, domain.PaymentsReview)
}

func (a *API) listFeed(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	v, err := query(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	limit := pageParams(v, feedParams, &errs)
	types := feedTypes(v.Get("types"), &errs)
	after := v.Get("after")
	if after != "" && !strings.HasPrefix(after, store.PrefixDelivery) {
		errs.Add("after", "is not an event id (a webhook-id, msg_...)")
	}
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	if types[store.EventReviewOpened] && !feedVisible(p.grants, store.EventReviewOpened) {
		return problem.Forbidden(domain.PaymentsReview)
	}
	page, err := a.Store.ReadFeed(r.Context(), store.FeedQuery{Merchant: p.merchant.ID, After: after, Limit: limit,
		Include: func(t string) bool { return (types == nil || types[t]) && feedVisible(p.grants, t) }}, a.Now())
	if err != nil {
		return err
	}
	data := make([]json.RawMessage, len(page.Events))
	for i := range page.Events {
		if data[i], err = feedEventJSON(&page.Events[i]); err != nil {
			return err
		}
	}
	var next *string
	if page.Next != "" {
		next = &page.Next
	}
	reqlog.Set(r.Context(), "outcome", "listed")
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": next, "has_more": page.More})
	return nil
}

func (a *API) getFeedEvent(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	ev, err := a.Store.GetFeedEvent(r.Context(), p.merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !feedVisible(p.grants, ev.Type) {
		return domain.ErrNotFound // as the feed leaves it out: whether it exists does not show either
	}
	body, err := feedEventJSON(ev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// feedEventJSON is an event as the feed shows it: its webhook's body with
// its id (the webhook-id) first.
func feedEventJSON(ev *store.FeedEvent) (json.RawMessage, error) {
	id, err := json.Marshal(ev.ID)
	if err != nil {
		return nil, fmt.Errorf("feed event id: %w", err)
	}
	body := strings.TrimSpace(ev.Body)
	if !strings.HasPrefix(body, "{") || !json.Valid([]byte(body)) {
		return nil, fmt.Errorf("feed event %s: body is not a JSON object", ev.ID)
	}
	rest := strings.TrimSpace(body[1:])
	if rest == "}" {
		return json.RawMessage(`{"id":` + string(id) + `}`), nil
	}
	return json.RawMessage(`{"id":` + string(id) + `,` + rest), nil
}
