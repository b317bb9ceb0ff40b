package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/jsonstrict"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/send"
)

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
	// customerID is the customer resource resolveCustomer settled on.
	customerID string
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
		ExpiresInDays: req.ExpiresInDays, Customer: req.customerSnapshot(), RedirectURL: req.RedirectURL, Beneficiary: req.Beneficiary,
		EndToEndID: req.EndToEndID, PaymentMethods: req.PaymentMethods, Origin: req.Origin, Metadata: req.Metadata}
	if req.Send != nil {
		in.SendChannel = &req.Send.Channel
	}
	if req.Reminder != nil {
		in.Reminder = &domain.ReminderInput{BeforeExpiryHours: req.Reminder.BeforeExpiryHours}
	}
	return in
}

// customerSnapshot is the link's customer: the details given (or the
// customer's), with the customer's id.
func (req *createRequest) customerSnapshot() *domain.Customer {
	c := req.Customer.contact()
	if c != nil {
		c.ID = req.customerID
	}
	return c
}

// newSignedLink is domain.NewLink with the link's public code signed.
func (a *API) newSignedLink(req *createRequest, m *merchant.Merchant) (*domain.Link, domain.Event, error) {
	l, ev, err := domain.NewLink(req.input(), m.LinkSettings(), a.Now())
	if err != nil {
		return nil, ev, err
	}
	if l.Code, err = a.Codes.NewCode(m.ID, l.ID); err != nil {
		return nil, ev, fmt.Errorf("link code: %w", err)
	}
	return l, ev, nil
}

func (a *API) createLink(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	var req createRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	if err := a.customerByID(r, m.ID, &req); err != nil {
		return err
	}
	l, ev, err := a.newSignedLink(&req, m)
	if err != nil {
		return err
	}
	newCustomer, err := a.matchCustomer(r, m.ID, &req, l)
	if err != nil {
		return err
	}
	slot := slotOf(r.Context())
	sendID := ""
	if req.Send != nil {
		// The send is part of the link's creation: written with it (in its
		// created event, in the same transaction), carried out by the
		// table's stream even when the queue cannot be reached now.
		sendID = domain.NewID("snd_", a.Now())
		if slot != nil {
			sendID = send.DerivedID("c", l.ID, slot.key)
		}
		send.Request(&ev, req.Send.Channel, sendID)
	}
	out, err := a.storeNew(r, l, ev, "created", newCustomer)
	if err != nil {
		return err
	}
	if req.Send != nil {
		if why := a.Send.EnqueueSoon(r.Context(), l, req.Send.Channel, sendID); why != "" {
			reqlog.Set(r.Context(), "send_deferred", why)
		}
	}
	writeCreated(w, l, out)
	return nil
}

// storeNew writes a new link with its created event in one transaction,
// with the request's idempotent answer (the link as shown, returned) when it
// has an Idempotency-Key, and its new customer when it has one.
func (a *API) storeNew(r *http.Request, l *domain.Link, ev domain.Event, outcome string, newCustomer *domain.CustomerRecord) ([]byte, error) {
	out, err := json.Marshal(a.view(l))
	if err != nil {
		return nil, fmt.Errorf("link view: %w", err)
	}
	out = append(out, '\n')
	slot := slotOf(r.Context())
	if newCustomer != nil {
		err = a.Store.CreateForNewCustomer(r.Context(), l, ev, slot.answer(http.StatusCreated, out, "application/json"), newCustomer)
	} else {
		err = a.Store.Create(r.Context(), l, ev, slot.answer(http.StatusCreated, out, "application/json"))
	}
	if err != nil {
		return nil, customerError(err)
	}
	if slot != nil {
		slot.done = true
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	reqlog.Set(r.Context(), "outcome", outcome)
	return out, nil
}

// writeCreated answers 201 with a new link as storeNew showed it.
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
		sendID = send.DerivedID("k", l.ID, slot.key)
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
