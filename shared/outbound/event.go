package outbound

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/linkview"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
)

// Types are the events integrators receive (docs/api.md); other timeline
// entries (sends, refund requests, edits) stay on the timeline only.
var Types = map[string]bool{
	domain.EventCreated: true, domain.EventClicked: true, domain.EventPaid: true, domain.EventDeclined: true,
	domain.EventExpired: true, domain.EventArchived: true, domain.EventRefundSucceded: true, domain.EventRefundFailed: true,
	store.EventReviewOpened: true,
}

// Record is one change of the table, from the Lambda stream event or the
// local stream reader alike.
type Record struct {
	Name     string // INSERT, MODIFY, REMOVE
	Sequence string // the stream's sequence number
	Old, New map[string]types.AttributeValue
	// Written is when the change was written (the record's approximate
	// creation time, rounded down: to the second on AWS, to the minute on
	// DynamoDB Local); zero when unknown.
	Written time.Time
}

// Event is an outbound event: a link's change, with the link as it was
// after it and its version as the sequence number.
type Event struct {
	ID       string
	Type     string
	At       string
	Sequence int
	Link     *domain.Link
	Data     map[string]string
	// Happened is when the event took place: its own time, or for a
	// deleted link the time the deletion was written (zero when unknown).
	// An endpoint set after it never receives it (Stream).
	Happened time.Time
}

// FromRecord finds the outbound event in a stream record: a link item whose
// last_event changed (the event written in the same transaction as the
// change), or a never-opened link deleted by archiving. ok is false for
// every other record.
func FromRecord(r Record) (ev *Event, ok bool, err error) {
	switch r.Name {
	case "INSERT", "MODIFY":
		next, isLink, err := store.LinkFromImage(r.New)
		if err != nil || !isLink {
			return nil, false, err
		}
		if next.LastEvent == nil || !Types[next.LastEvent.Type] {
			return nil, false, nil
		}
		if r.Old != nil {
			prev, _, err := store.LinkFromImage(r.Old)
			if err == nil && prev != nil && prev.LastEvent != nil && prev.LastEvent.ID == next.LastEvent.ID {
				return nil, false, nil // a change without an event (a click counted, a session saved)
			}
		}
		le := next.LastEvent
		happened, err := time.Parse(time.RFC3339Nano, le.At)
		if err != nil {
			happened = r.Written
		}
		return &Event{ID: le.ID, Type: le.Type, At: le.At, Sequence: next.Version, Link: next, Data: le.Data, Happened: happened}, true, nil
	case "REMOVE":
		prev, isLink, err := store.LinkFromImage(r.Old)
		if err != nil || !isLink || prev.Status != domain.StatusCreated {
			return nil, false, err
		}
		// Archiving a link nobody opened deletes it: tell the integrator so,
		// under an id made from the link's (one deletion per link).
		prev.Archived = true
		id := domain.PrefixEvent + strings.TrimPrefix(prev.ID, domain.PrefixLink)
		// It happened when the deletion was written, after the link's
		// last change: the later of the two is the best bound from below
		// (the stream's time is rounded down: to the second on AWS, to the
		// minute on DynamoDB Local), so a deletion in the same second (or
		// minute) an endpoint was set counts as before it, never sent to it.
		happened := prev.UpdatedAt
		if r.Written.After(happened) {
			happened = r.Written
		}
		return &Event{ID: id, Type: domain.EventArchived, At: linkview.RFC3339(prev.UpdatedAt), Sequence: prev.Version + 1,
			Link: prev, Data: map[string]string{"deleted": "true"}, Happened: happened}, true, nil
	}
	return nil, false, nil
}

// Payload is the body integrators receive.
type Payload struct {
	Type      string      `json:"type"`
	Timestamp string      `json:"timestamp"`
	Data      PayloadData `json:"data"`
}

// PayloadData carries the event's id, the link's sequence number (its
// version: receivers keep the highest they have seen), the link after the
// change and, for refund events, the refund.
type PayloadData struct {
	EventID  string         `json:"event_id"`
	Sequence int            `json:"sequence"`
	Deleted  bool           `json:"deleted,omitempty"`
	Link     linkview.View  `json:"link"`
	Refund   *RefundPayload `json:"refund,omitempty"`
	Review   *ReviewPayload `json:"review,omitempty"`
}

// ReviewPayload is the payment a payment.review_opened event is about: kept
// for review, the link did not move.
type ReviewPayload struct {
	ID           string        `json:"id"`
	Kind         string        `json:"kind"`
	PSP          string        `json:"psp"`
	PSPReference string        `json:"psp_reference"`
	Amount       *money.Amount `json:"amount"`
	Expected     *money.Amount `json:"expected"`
	State        string        `json:"state"`
}

// RefundPayload is the refund a refund event is about.
type RefundPayload struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Amount money.Amount `json:"amount"`
	Reason string       `json:"reason,omitempty"`
}

// Body renders an event; baseURL makes the link's url.
func Body(ev *Event, baseURL string) ([]byte, error) {
	p := Payload{Type: ev.Type, Timestamp: ev.At, Data: PayloadData{
		EventID: ev.ID, Sequence: ev.Sequence, Link: linkview.Of(ev.Link, baseURL), Deleted: ev.Data["deleted"] == "true",
	}}
	if id := ev.Data["refund_id"]; id != "" {
		amt, err := money.Parse(ev.Data["currency"], ev.Data["amount"])
		if err != nil {
			return nil, fmt.Errorf("refund %s amount: %w", id, err)
		}
		p.Data.Refund = &RefundPayload{ID: id, Status: strings.TrimPrefix(ev.Type, "refund."), Amount: amt, Reason: ev.Data["reason"]}
	}
	if ev.Type == store.EventReviewOpened {
		r := &ReviewPayload{ID: ev.Data["review_id"], Kind: ev.Data["kind"], PSP: ev.Data["psp"], PSPReference: ev.Data["payment_ref"], State: store.ReviewOpen}
		if c := ev.Data["received_currency"]; c != "" {
			a, err := money.Parse(c, ev.Data["received_amount"])
			if err != nil {
				return nil, fmt.Errorf("review payment %s amount: %w", r.ID, err)
			}
			r.Amount = &a
		}
		if c := ev.Data["expected_currency"]; c != "" {
			a, err := money.Parse(c, ev.Data["expected_amount"])
			if err != nil {
				return nil, fmt.Errorf("review payment %s expected: %w", r.ID, err)
			}
			r.Expected = &a
		}
		p.Data.Review = r
	}
	return json.Marshal(p)
}
