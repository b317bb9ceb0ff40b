package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// DeliveryStore is what the webhook deliveries routes read and write (a
// retry reads the merchant's endpoint fresh).
type DeliveryStore interface {
	ListDeliveries(ctx context.Context, q store.DeliveryQuery) ([]store.Delivery, string, error)
	GetDelivery(ctx context.Context, merchant, id string) (*store.Delivery, error)
	RetryDelivery(ctx context.Context, merchant, id string, now time.Time) (*store.Delivery, error)
	GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error)
}

// DeliveryView is an outbound webhook delivery as the API shows it.
type DeliveryView struct {
	ID            string          `json:"id"`
	Object        string          `json:"object"`
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	LinkID        string          `json:"link_id"`
	Sequence      int             `json:"sequence"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt *string         `json:"next_attempt_at"`
	CreatedAt     string          `json:"created_at"`
	UpdatedAt     string          `json:"updated_at"`
	Payload       json.RawMessage `json:"payload"`
	AttemptLog    []store.Attempt `json:"attempt_log"`
}

func deliveryView(d *store.Delivery) DeliveryView {
	log := d.Log
	if log == nil {
		log = []store.Attempt{}
	}
	return DeliveryView{ID: d.ID, Object: "webhook_delivery", EventID: d.EventID, EventType: d.EventType, LinkID: d.LinkID,
		Sequence: d.Sequence, Status: d.Status, Attempts: d.Attempts, NextAttemptAt: strp(d.NextAttempt),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Payload: json.RawMessage(d.Body), AttemptLog: log}
}

var deliveryParams = map[string]bool{"link_id": true, "status": true, "limit": true, "cursor": true}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	v, err := query(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	limit := pageParams(v, deliveryParams, &errs)
	q := store.DeliveryQuery{Merchant: m.ID, Limit: limit, LinkID: v.Get("link_id"), Status: v.Get("status"), Cursor: v.Get("cursor")}
	if q.LinkID != "" && !domain.ValidID(domain.PrefixLink, q.LinkID) {
		errs.Add("link_id", "is not a payment link id")
	}
	switch q.Status {
	case "", store.DeliveryPending, store.DeliverySucceeded, store.DeliveryFailed:
	default:
		errs.Add("status", "must be pending, succeeded or failed")
	}
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	ds, next, err := a.Store.ListDeliveries(r.Context(), q)
	if err != nil {
		return err
	}
	data := make([]DeliveryView, len(ds))
	for i := range ds {
		data[i] = deliveryView(&ds[i])
	}
	writePage(w, r, data, next)
	return nil
}

func (a *API) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Store.GetDelivery(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryView(d))
	return nil
}

// retryDelivery replays a delivery now, whatever its state: a new
// generation, so messages of the old one stop.
func (a *API) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.Store.GetDelivery(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	m, err := a.Store.GetMerchant(r.Context(), merchantOf(r.Context()).ID) // fresh: the endpoint may have just been disabled
	if err != nil {
		return err
	}
	if !m.WebhookEnabled() {
		return problem.New(http.StatusConflict, "the webhook endpoint is not set or was disabled (it answered 410); set webhook_url in the settings to enable it")
	}
	d, err := a.Store.RetryDelivery(r.Context(), m.ID, r.PathValue("id"), a.Now())
	if err != nil {
		return err
	}
	if err := a.Webhooks.Send(r.Context(), outbound.Message{Merchant: m.ID, DeliveryID: d.ID, Gen: d.Gen}, 0); err != nil {
		return err // 5xx; the delivery stays pending in the new generation and a retry sends it
	}
	reqlog.Set(r.Context(), "outcome", "retry_queued")
	writeJSON(w, http.StatusAccepted, deliveryView(d))
	return nil
}
