package paylinks

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"

	"github.com/paylinks/paylinks/clients/go/api"
)

// PageFunc reads the page of a list after cursor (nil: the first page) and
// returns its items and the cursor of the next page (nil: the last page).
type PageFunc[T any] func(ctx context.Context, cursor *string) (items []T, next *string, err error)

// All iterates over every item of a cursor-paginated list, page after page,
// until a page's next_cursor is null. It stops at the first error, which it
// yields (with the zero T).
func All[T any](ctx context.Context, page PageFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var cursor *string
		for {
			items, next, err := page(ctx, cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if cursor != nil && next != nil && *next == *cursor {
				// Asked again, the page would be the same one.
				var zero T
				yield(zero, fmt.Errorf("paylinks: next_cursor %q does not move", *cursor))
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == nil || *next == "" {
				return
			}
			cursor = next
		}
	}
}

// Links iterates over every payment link that params select (params.Cursor
// is set page after page; params.Limit is the page size).
func (c *Client) Links(ctx context.Context, params api.ListPaymentLinksParams) iter.Seq2[api.PaymentLink, error] {
	return All(ctx, func(ctx context.Context, cursor *string) ([]api.PaymentLink, *string, error) {
		params.Cursor = cursor
		r, err := c.API.ListPaymentLinksWithResponse(ctx, &params)
		if err != nil {
			return nil, nil, err
		}
		if r.JSON200 == nil {
			return nil, nil, unexpected(r.HTTPResponse)
		}
		return r.JSON200.Data, r.JSON200.NextCursor, nil
	})
}

// CreateLink creates a payment link. Its Idempotency-Key is random unless
// params carries one.
func (c *Client) CreateLink(ctx context.Context, body api.CreatePaymentLink, params *api.CreatePaymentLinkParams) (*api.PaymentLink, error) {
	if params == nil {
		params = &api.CreatePaymentLinkParams{}
	}
	r, err := c.API.CreatePaymentLinkWithResponse(ctx, params, body)
	if err != nil {
		return nil, err
	}
	return answer(r.JSON201, r.HTTPResponse)
}

// GetLink reads one payment link.
func (c *Client) GetLink(ctx context.Context, id string) (*api.PaymentLink, error) {
	r, err := c.API.GetPaymentLinkWithResponse(ctx, id)
	if err != nil {
		return nil, err
	}
	return answer(r.JSON200, r.HTTPResponse)
}

// Refund refunds a paid link: the whole rest of it when body.Amount is nil.
func (c *Client) Refund(ctx context.Context, linkID string, body api.CreateRefundJSONRequestBody, params *api.CreateRefundParams) (*api.Refund, error) {
	if params == nil {
		params = &api.CreateRefundParams{}
	}
	r, err := c.API.CreateRefundWithResponse(ctx, linkID, params, body)
	if err != nil {
		return nil, err
	}
	return answer(r.JSON201, r.HTTPResponse)
}

// Event is one event of the feed: its fields, and Raw, the event as the
// feed returned it.
type Event struct {
	api.FeedEvent
	Raw json.RawMessage
}

// WebhookBody is the body of the event's webhook: the event without its id
// (which the webhook carries as webhook-id), type, timestamp and data.
func (e Event) WebhookBody() ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.Raw, &m); err != nil {
		return nil, fmt.Errorf("paylinks: event %s: %w", e.Id, err)
	}
	body := struct {
		Type      json.RawMessage `json:"type"`
		Timestamp json.RawMessage `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{m["type"], m["timestamp"], m["data"]}
	return json.Marshal(body)
}

// eventsPage is an answer of GET /v1/events, each event kept raw too.
type eventsPage struct {
	Data       []json.RawMessage `json:"data"`
	NextCursor *string           `json:"next_cursor"`
	HasMore    bool              `json:"has_more"`
}

// EventPage is a page of the event feed: its events and NextCursor, the
// last event the feed looked at ("" on an empty feed), which is where to
// read on from: with a types filter it moves over the events left out
// too, past the last event of the page.
type EventPage struct {
	Events     []Event
	NextCursor string
	HasMore    bool
}

// EventPages iterates over the pages of the event feed from after
// params.After (nil: its oldest event), reading while has_more is true.
func (c *Client) EventPages(ctx context.Context, params api.ListEventsParams) iter.Seq2[EventPage, error] {
	return func(yield func(EventPage, error) bool) {
		for {
			page, err := c.eventPage(ctx, &params)
			if err != nil {
				yield(EventPage{}, err)
				return
			}
			if !yield(page, nil) || !page.HasMore {
				return
			}
			params.After = &page.NextCursor
		}
	}
}

// eventPage reads one page of the feed.
func (c *Client) eventPage(ctx context.Context, params *api.ListEventsParams) (EventPage, error) {
	resp, err := c.API.ListEvents(ctx, params)
	if err != nil {
		return EventPage{}, err
	}
	var page eventsPage
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil {
		return EventPage{}, fmt.Errorf("paylinks: GET /v1/events: %w", err)
	}
	out := EventPage{HasMore: page.HasMore && page.NextCursor != nil}
	if page.NextCursor != nil {
		out.NextCursor = *page.NextCursor
	}
	if params.After != nil && out.NextCursor == *params.After && (out.HasMore || len(page.Data) > 0) {
		// Never paylinks' answer: a page's cursor is the last event it
		// looked at, so one that moved nowhere holds no event and has
		// nothing more; asked again, it would answer the same.
		return EventPage{}, fmt.Errorf("paylinks: GET /v1/events: events or has_more with a cursor that does not move (%q)", *params.After)
	}
	for _, raw := range page.Data {
		ev := Event{Raw: raw}
		if err := json.Unmarshal(raw, &ev.FeedEvent); err != nil {
			return EventPage{}, fmt.Errorf("paylinks: GET /v1/events: %w", err)
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// Events iterates over the event feed from after params.After (nil: its
// oldest event), oldest first, reading pages until has_more is false: the
// events that have settled by then. To follow the feed, call it again after
// the last event's Id, or, with a types filter, EventPages and after the
// last page's NextCursor (paylinks listen polls so, about once a second).
func (c *Client) Events(ctx context.Context, params api.ListEventsParams) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for page, err := range c.EventPages(ctx, params) {
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, ev := range page.Events {
				if !yield(ev, nil) {
					return
				}
			}
		}
	}
}

// answer is v, or an error when the answer had no body of the expected
// type (a 2xx the document does not declare).
func answer[T any](v *T, resp *http.Response) (*T, error) {
	if v == nil {
		return nil, unexpected(resp)
	}
	return v, nil
}

func unexpected(resp *http.Response) error {
	if resp == nil {
		return fmt.Errorf("paylinks: no answer")
	}
	return fmt.Errorf("paylinks: %s %s: unexpected answer %d (%s)", resp.Request.Method, resp.Request.URL.Path,
		resp.StatusCode, resp.Header.Get("Content-Type"))
}
