package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/jsonstrict"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/validate"
)

// Metadata limits.
const (
	maxMetadataPairs = 20
	maxMetadataKey   = 40
	maxMetadataValue = 500
)

type createRequest struct {
	Amount         amountJSON          `json:"amount"`
	Description    *string             `json:"description"`
	Reference      *string             `json:"reference"`
	ExpiresAt      *string             `json:"expires_at"`
	ExpiresInDays  *int                `json:"expires_in_days"`
	Customer       *domain.Customer    `json:"customer"`
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

// beneficiary checks an account (name, IBAN checksum, BIC) under field and
// returns it with the IBAN's spaces removed.
func beneficiary(field string, b *domain.Beneficiary, errs *fieldErrs) *domain.Beneficiary {
	if !validate.PayerText(b.Name, 70) {
		errs.add(field+".name", "is required, at most 70 characters shown to payers: not blank, no control or bidi override characters")
	}
	if !validate.IBAN(b.IBAN) {
		errs.add(field+".iban", "must be a valid IBAN (checksum checked)")
	}
	if b.BIC != "" && !validate.BIC(b.BIC) {
		errs.add(field+".bic", "must be an 8 or 11 character BIC")
	}
	nb := *b
	nb.IBAN = strings.ReplaceAll(nb.IBAN, " ", "")
	return &nb
}

type fieldErrs []domain.FieldError

func (f *fieldErrs) add(field, msg string) {
	*f = append(*f, domain.FieldError{Field: field, Message: msg})
}

// newLink validates a create request against the merchant's settings and
// builds the link and its first event. It returns a 422 naming every bad
// field.
func newLink(req *createRequest, m *merchant.Merchant, now time.Time) (*domain.Link, domain.Event, error) {
	var errs fieldErrs
	l := &domain.Link{Merchant: m.ID, Status: domain.StatusCreated, Origin: domain.OriginAPI, Language: "en",
		CreatedAt: now.UTC(), UpdatedAt: now.UTC(), PSP: m.PSP}

	if len(req.Amount) == 0 || string(req.Amount) == "null" {
		errs.add("amount", "is required")
	} else if err := json.Unmarshal(req.Amount, &l.Amount); err != nil {
		var fe *money.FieldError
		if errors.As(err, &fe) {
			errs.add(strings.TrimSuffix("amount."+fe.Field, "."), fe.Msg)
		} else {
			errs.add("amount", "must be an object {\"currency\", \"value\"}")
		}
	} else {
		l.AmountRefunded = money.Zero(l.Amount.Currency)
		l.RefundCommitted = money.Zero(l.Amount.Currency)
	}

	switch {
	case req.Description == nil:
		errs.add("description", "is required")
	case !validate.PayerText(*req.Description, 140):
		errs.add("description", "must be 1 to 140 characters shown to payers: not blank, no control or bidi override characters")
	default:
		l.Description = *req.Description
	}

	if req.Reference != nil {
		if !validate.Text(*req.Reference, 64) {
			errs.add("reference", "must be 1 to 64 characters, no control characters")
		}
		l.Reference = *req.Reference
	}

	var at *time.Time
	if req.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *req.ExpiresAt)
		if err != nil {
			errs.add("expires_at", "must be an RFC 3339 time such as 2026-12-24T22:00:00Z")
		} else {
			at = &t
		}
	}
	if at != nil || req.ExpiresAt == nil {
		exp, err := domain.ResolveExpiry(now, at, req.ExpiresInDays)
		switch {
		case errors.Is(err, domain.ErrExpiryDaysZero):
			errs.add("expires_in_days", err.Error())
		case errors.Is(err, domain.ErrExpiryBoth):
			errs.add("expires_in_days", err.Error())
		case err != nil:
			errs.add("expires_at", err.Error())
		}
		l.ExpiresAt = exp.Truncate(time.Millisecond)
	}

	if req.Customer == nil {
		errs.add("customer", "is required")
	} else {
		c := *req.Customer
		hasPerson := c.FirstName != "" || c.LastName != ""
		switch {
		case c.CompanyName == "" && !hasPerson:
			errs.add("customer", "needs first_name and last_name, or company_name")
		case hasPerson && (c.FirstName == "" || c.LastName == ""):
			if c.FirstName == "" {
				errs.add("customer.first_name", "is required with last_name")
			} else {
				errs.add("customer.last_name", "is required with first_name")
			}
		}
		for field, v := range map[string]string{"first_name": c.FirstName, "last_name": c.LastName, "company_name": c.CompanyName} {
			if v != "" && !validate.PayerText(v, 100) {
				errs.add("customer."+field, "must be 1 to 100 characters shown to payers: not blank, no control or bidi override characters")
			}
		}
		if c.Email != "" && !validate.Email(c.Email) {
			errs.add("customer.email", "must be an e-mail address such as ana@example.be")
		}
		if c.Phone != "" && !validate.Phone(c.Phone) {
			errs.add("customer.phone", "must be an E.164 number such as +32470123456")
		}
		if c.Language != "" && !domain.ValidLanguage(c.Language) {
			errs.add("customer.language", "must be one of en, nl, fr, de")
		}
		if c.Country != "" && !validate.Country(c.Country) {
			errs.add("customer.country", "must be an assigned ISO 3166-1 alpha-2 code such as BE (GB for the United Kingdom)")
		}
		l.Customer = c
		if c.Language != "" {
			l.Language = c.Language
		}
	}

	if req.RedirectURL != nil {
		if err := validate.RedirectURL(*req.RedirectURL, m.AllowsRedirectHost); err != nil {
			errs.add("redirect_url", err.Error())
		}
		l.RedirectURL = *req.RedirectURL
	}

	if b := req.Beneficiary; b != nil {
		l.Beneficiary = beneficiary("beneficiary", b, &errs)
	} else if m.DefaultBeneficiary != nil {
		nb := *m.DefaultBeneficiary
		l.Beneficiary = &nb
	}

	if req.EndToEndID != nil {
		if !validate.EndToEndID(*req.EndToEndID) {
			errs.add("end_to_end_id", "must be 1 to 35 characters of the SEPA character set")
		}
		l.EndToEndID = *req.EndToEndID
	}

	if req.PaymentMethods != nil {
		seen := map[string]bool{}
		if len(req.PaymentMethods) == 0 {
			errs.add("payment_methods", "must not be empty when given")
		}
		for i, pm := range req.PaymentMethods {
			switch {
			case seen[pm]:
				errs.add(fmt.Sprintf("payment_methods[%d]", i), "is listed twice")
			case !m.AllowsMethod(pm):
				errs.add(fmt.Sprintf("payment_methods[%d]", i), fmt.Sprintf("%q is not enabled for this merchant (enabled: %s)", pm, strings.Join(m.PaymentMethods, ", ")))
			}
			seen[pm] = true
		}
		l.PaymentMethods = req.PaymentMethods
	}

	if req.Origin != nil {
		if !domain.Origin(*req.Origin).Valid() {
			errs.add("origin", "must be one of api, import, dashboard, dunning, invoice, first_payment, card_renewal")
		}
		l.Origin = domain.Origin(*req.Origin)
	}

	if len(req.Metadata) > maxMetadataPairs {
		errs.add("metadata", fmt.Sprintf("has at most %d pairs", maxMetadataPairs))
	}
	for k, v := range req.Metadata {
		if !validate.Text(k, maxMetadataKey) {
			errs.add("metadata."+k, fmt.Sprintf("keys are 1 to %d characters", maxMetadataKey))
		} else if len(v) > maxMetadataValue {
			errs.add("metadata."+k, fmt.Sprintf("values are at most %d characters", maxMetadataValue))
		}
	}
	if len(req.Metadata) > 0 {
		l.Metadata = req.Metadata
	}

	if req.Send != nil {
		switch {
		case !channel.Valid(req.Send.Channel):
			errs.add("send.channel", "must be one of email, sms, whatsapp")
		case send.Address(l, req.Send.Channel) == "":
			errs.add("send.channel", "the customer has no address for this channel")
		}
	}
	if req.Reminder != nil {
		h := req.Reminder.BeforeExpiryHours
		switch {
		case h == nil:
			errs.add("reminder.before_expiry_hours", "is required")
		case *h < 1 || *h > domain.MaxExpiryDays*24:
			errs.add("reminder.before_expiry_hours", "must be between 1 and 2160")
		case !l.ExpiresAt.IsZero() && !l.ExpiresAt.Add(-time.Duration(*h)*time.Hour).After(now):
			errs.add("reminder.before_expiry_hours", "puts the reminder in the past: the link expires sooner")
		default:
			at := l.ExpiresAt.Add(-time.Duration(*h) * time.Hour)
			l.ReminderAt = &at
			if req.Send != nil {
				l.ReminderChannel = req.Send.Channel
			} else {
				l.ReminderChannel = send.DefaultChannel(l)
			}
			if l.ReminderChannel == "" {
				errs.add("reminder", "the customer has no email or phone to remind")
			}
		}
	}
	if len(errs) > 0 {
		return nil, domain.Event{}, problem.Invalid(errs...)
	}
	l.ID = domain.NewID(domain.PrefixLink, now)
	return l, domain.NewEvent(l.ID, domain.EventCreated, "", domain.StatusCreated, now, map[string]string{"origin": string(l.Origin)}), nil
}

// newSignedLink is newLink with the link's public code signed.
func (a *API) newSignedLink(req *createRequest, m *merchant.Merchant) (*domain.Link, domain.Event, error) {
	l, ev, err := newLink(req, m, a.Now())
	if err != nil {
		return nil, ev, err
	}
	if l.Code, err = a.Codes.NewCode(m.ID, l.ID); err != nil {
		return nil, ev, fmt.Errorf("link code: %w", err)
	}
	return l, ev, nil
}

func (a *API) createLink(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	var req createRequest
	if err := readJSON(r, &req, false); err != nil {
		fail(w, r, err)
		return
	}
	l, ev, err := a.newSignedLink(&req, m)
	if err != nil {
		fail(w, r, err)
		return
	}
	slot := slotOf(r.Context())
	sendID := ""
	if req.Send != nil {
		// The send is part of the link's creation: written with it (in its
		// created event, in the same transaction), carried out by the
		// table's stream even when the queue cannot be reached now.
		sendID = domain.NewID("snd_", a.Now())
		if slot != nil {
			sendID = derivedSendID("c", l.ID, slot.key)
		}
		requestSend(&ev, req.Send.Channel, sendID)
	}
	out, err := json.Marshal(a.view(l))
	if err != nil {
		fail(w, r, err)
		return
	}
	out = append(out, '\n')
	if err := a.Store.Create(r.Context(), l, ev, slot.answer(http.StatusCreated, out, "application/json")); err != nil {
		fail(w, r, err)
		return
	}
	if slot != nil {
		slot.done = true
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	reqlog.Set(r.Context(), "outcome", "created")
	if req.Send != nil {
		a.sendNow(r.Context(), l, req.Send.Channel, sendID)
	}
	w.Header().Set("Location", "/v1/payment-links/"+l.ID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
}

// derivedSendID is the send id of a send that what made it identifies (a
// link and an Idempotency-Key, an import row): the worker sends each send id
// once, so the request retried, or the message handled twice, sends once.
// kind keeps the sends of different routes apart.
func derivedSendID(kind string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "snd_" + kind + hex.EncodeToString(sum[:13])
}

// requestSend records a send asked for at creation in the created event
// (send.RequestedChannel, send.RequestedID).
func requestSend(ev *domain.Event, channel, sendID string) {
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	ev.Data[send.RequestedChannel] = channel
	ev.Data[send.RequestedID] = sendID
}

// sendNow queues a send recorded with its link without waiting for the
// table's stream, which queues it again (the worker sends each send id
// once): at most a second, and never a reason to fail the creation.
func (a *API) sendNow(ctx context.Context, l *domain.Link, channel, sendID string) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if _, err := a.Send.Enqueue(qctx, l, channel, "link", sendID); err != nil {
		reqlog.Set(ctx, "send_deferred", err.Error())
	}
}

type sendRequest struct {
	Channel string `json:"channel"`
}

// sendLink queues a delivery: 202; 409 when paid, expired or archived; 422
// when the customer lacks the address.
func (a *API) sendLink(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	var req sendRequest
	if err := readJSON(r, &req, false); err != nil {
		fail(w, r, err)
		return
	}
	if !channel.Valid(req.Channel) {
		fail(w, r, problem.Invalid(domain.FieldError{Field: "channel", Message: "must be one of email, sms, whatsapp"}))
		return
	}
	l, err := a.Store.Get(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	// A retried request (same Idempotency-Key) is the same message: the
	// worker sends each send id once, so a retry after a lost answer never
	// sends twice.
	sendID := ""
	if slot := slotOf(r.Context()); slot != nil {
		sendID = derivedSendID("k", l.ID, slot.key)
	}
	id, err := a.Send.Enqueue(r.Context(), l, req.Channel, "link", sendID)
	if err != nil {
		fail(w, r, err)
		return
	}
	reqlog.Set(r.Context(), "outcome", "send_queued")
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "object": "message", "channel": req.Channel, "status": "queued", "link_id": l.ID})
}

func (a *API) getLink(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	l, err := a.Store.Get(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	writeJSON(w, http.StatusOK, a.view(l))
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	l, err := a.Store.Get(r.Context(), m.ID, r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	evs, err := a.Store.EventsOf(r.Context(), l)
	if err != nil {
		fail(w, r, err)
		return
	}
	if evs == nil {
		evs = []domain.Event{}
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	writeJSON(w, http.StatusOK, map[string]any{"data": evs})
}
