package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/jsonstrict"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// LinkStore is what the link routes read and write: the link service's
// store (create, patch, archive, duplicate: links.Store, which reads a
// link by id and a customer by id, number or e-mail) and a link's timeline.
type LinkStore interface {
	links.Store
	EventsOf(ctx context.Context, l *domain.Link) ([]domain.Event, error)
}

type createRequest struct {
	Amount         amountJSON          `json:"amount"`
	Description    *string             `json:"description"`
	Reference      *string             `json:"reference"`
	ExpiresAt      *string             `json:"expires_at"`
	ExpiresInDays  *int                `json:"expires_in_days"`
	Customer       *inlineCustomer     `json:"customer"`
	CustomerID     *string             `json:"customer_id"`
	RedirectURL    *string             `json:"redirect_url"`
	Beneficiary    *domain.Beneficiary `json:"beneficiary"`
	EndToEndID     *string             `json:"end_to_end_id"`
	PaymentMethods []string            `json:"payment_methods"`
	Origin         *string             `json:"origin"`
	Metadata       map[string]string   `json:"metadata"`
	Send           *struct {
		Channel string `json:"channel"`
	} `json:"send"`
	Reminder *struct {
		BeforeExpiryHours *int `json:"before_expiry_hours"`
	} `json:"reminder"`
}

// decodeStrict decodes one JSON object into v: 400 when malformed, not
// UTF-8, with a name twice in an object or nested too deep; 422 naming every
// unknown member by its path (names are exact: case-sensitive, no folding),
// and for wrong types.
func decodeStrict(body []byte, v any) error {
	unknown, err := jsonstrict.Check(body, reflect.TypeOf(v))
	var se *jsonstrict.Error
	if errors.As(err, &se) {
		p := problem.New(http.StatusBadRequest, se.Error())
		if se.Path != "" {
			p.Errors = []domain.FieldError{{Field: se.Path, Message: se.Msg}}
		}
		return p
	}
	if err != nil {
		return fmt.Errorf("strict JSON check: %w", err)
	}
	if len(unknown) > 0 {
		errs := make([]domain.FieldError, len(unknown))
		for i, f := range unknown {
			errs[i] = domain.FieldError{Field: f, Message: "is not a known field"}
		}
		return problem.Invalid(errs...)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return problem.New(http.StatusBadRequest, "the body must be a JSON object")
		}
		return problem.Invalid(domain.FieldError{Field: field, Message: "must be of type " + typeErr.Type.String()})
	default:
		return problem.New(http.StatusBadRequest, "malformed JSON: "+err.Error())
	}
}

// amountJSON is an amount as sent, kept raw for money.Amount to read once
// the request is decoded (so that its errors name amount.value or
// amount.currency); its members are checked as {"currency", "value"}.
type amountJSON []byte

// UnmarshalJSON keeps the raw value.
func (a *amountJSON) UnmarshalJSON(b []byte) error {
	*a = append((*a)[:0], b...)
	return nil
}

// JSONShape names the members an amount has (jsonstrict.Shaper).
func (amountJSON) JSONShape() any {
	return struct {
		Currency any `json:"currency"`
		Value    any `json:"value"`
	}{}
}

// input is the request as domain.NewLink reads it.
func (req *createRequest) input() *domain.LinkInput {
	in := &domain.LinkInput{Amount: req.Amount, Description: req.Description, Reference: req.Reference, ExpiresAt: req.ExpiresAt,
		ExpiresInDays: req.ExpiresInDays, Customer: req.Customer.contact(), RedirectURL: req.RedirectURL, Beneficiary: req.Beneficiary,
		EndToEndID: req.EndToEndID, PaymentMethods: req.PaymentMethods, Origin: req.Origin, Metadata: req.Metadata}
	if req.Send != nil {
		in.SendChannel = &req.Send.Channel
	}
	if req.Reminder != nil {
		in.Reminder = &domain.ReminderInput{BeforeExpiryHours: req.Reminder.BeforeExpiryHours}
	}
	return in
}

// linkService is the link service on the API's parts (package links owns
// a link's life; the handlers translate).
func (a *API) linkService() *links.Service {
	return &links.Service{Store: a.Store, Codes: a.Codes, Send: a.Send, Now: a.Now}
}

// creation is what every create of a link by the API shares: the
// request's Idempotency-Key, and its answer (the link as shown, in out)
// written in the link's own transaction.
func (a *API) creation(r *http.Request, m *merchant.Merchant, out *[]byte) links.Create {
	slot := slotOf(r.Context())
	c := links.Create{Merchant: m, Answer: func(l *domain.Link) (*store.IdempotencyDone, error) {
		b, err := json.Marshal(a.view(l))
		if err != nil {
			return nil, fmt.Errorf("link view: %w", err)
		}
		*out = append(b, '\n')
		return slot.answer(http.StatusCreated, *out, "application/json"), nil
	}}
	if slot != nil {
		c.IdempotencyKey = slot.key
	}
	return c
}

func (a *API) createLink(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	var req createRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	var out []byte
	c := a.creation(r, m, &out)
	c.Input = req.input()
	switch {
	case req.CustomerID != nil && req.Customer != nil:
		return domain.FieldErrors{{Field: "customer_id", Message: "give customer_id or customer, not both"}}
	case req.CustomerID != nil && *req.CustomerID == "":
		return domain.FieldErrors{{Field: "customer_id", Message: "no such customer"}}
	case req.CustomerID != nil:
		c.CustomerID = *req.CustomerID
	}
	created, err := a.linkService().Create(r.Context(), c)
	if err != nil {
		return customerError(err)
	}
	a.created(w, r, created, out, "created")
	return nil
}

// created answers 201 with a new link as its creation showed it, and
// names it and the outcome in the request's log line.
func (a *API) created(w http.ResponseWriter, r *http.Request, c *links.Created, out []byte, outcome string) {
	if slot := slotOf(r.Context()); slot != nil {
		slot.done = true
	}
	reqlog.Set(r.Context(), "link_id", c.Link.ID)
	reqlog.Set(r.Context(), "outcome", outcome)
	if c.SendDeferred != "" {
		reqlog.Set(r.Context(), "send_deferred", c.SendDeferred)
	}
	writeCreated(w, c.Link, out)
}

// writeCreated answers 201 with a new link as its creation showed it.
func writeCreated(w http.ResponseWriter, l *domain.Link, out []byte) {
	w.Header().Set("Location", "/v1/payment-links/"+l.ID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
}

type sendRequest struct {
	Channel string `json:"channel"`
}

// sendLink queues a delivery: 202; 409 when paid, expired or archived; 422
// when the customer lacks the address.
func (a *API) sendLink(w http.ResponseWriter, r *http.Request) error {
	var req sendRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	if !domain.ValidChannel(req.Channel) {
		return problem.Invalid(domain.FieldError{Field: "channel", Message: domain.ChannelMessage})
	}
	l, err := a.pathLink(r)
	if err != nil {
		return err
	}
	// A retried request (same Idempotency-Key) is the same message: the
	// worker sends each send id once, so a retry after a lost answer never
	// sends twice.
	sendID := ""
	if slot := slotOf(r.Context()); slot != nil {
		sendID = domain.DerivedSendID("k", l.ID, slot.key)
	}
	id, err := a.Send.Enqueue(r.Context(), l, req.Channel, "link", sendID)
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "outcome", "send_queued")
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "object": "message", "channel": req.Channel, "status": "queued", "link_id": l.ID})
	return nil
}

func (a *API) getLink(w http.ResponseWriter, r *http.Request) error {
	l, err := a.pathLink(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.view(l))
	return nil
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	l, err := a.pathLink(r)
	if err != nil {
		return err
	}
	evs, err := a.Store.EventsOf(r.Context(), l)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []domain.Event{}
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	writeJSON(w, http.StatusOK, map[string]any{"data": evs})
	return nil
}

// pathLink is the caller's merchant's link the path names ({id}),
// named in the request's log line.
func (a *API) pathLink(r *http.Request) (*domain.Link, error) {
	l, err := a.Store.Get(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	return l, nil
}
