package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestEraseOrderings forces, one by one, the interleavings the erasure
// race test meets by chance (DynamoDB Local):
//   - a change that read the link before the erasure and writes after it
//     (a first click) fails its version guard instead of writing the
//     person's data back;
//   - a delivery with the person's data written before the erasure is
//     scrubbed through the customer's list even when the links' listing
//     does not show it (here: a delivery of a link not listed under the
//     customer, as a deleted link's or one the listing index has not
//     caught up with);
//   - a delivery with the data written after the erasure began is refused
//     (ErrCustomerErased), an existing one is reported as existing.
func TestEraseOrderings(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m1")
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now)
	l.Customer.ID = "cus_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	cur, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"type":"payment_link.created","data":{"link":{"id":"` + l.ID + `","customer":{"id":"` + l.Customer.ID + `","first_name":"Ana","email":"ana@example.be"}}}}`
	before := &store.Delivery{ID: "msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XB", Merchant: "m1", EventID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XB", EventType: domain.EventCreated,
		LinkID: "pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XZ", Body: body}
	if created, err := env.Store.PutDeliveryOf(ctx, before, l.Customer.ID, now); !created || err != nil {
		t.Fatalf("delivery before the erasure: %v %v", created, err)
	}

	if _, _, err := env.Store.EraseCustomerLinks(ctx, "m1", l.Customer.ID); err != nil {
		t.Fatal(err)
	}

	next := domain.Open(cur, now)
	if err := env.Store.Transition(ctx, cur, next, domain.NewEvent(l.ID, domain.EventClicked, cur.Status, next.Status, now, nil)); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a first click made from the link as read before the erasure: %v, want a conflict", err)
	}
	got, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil || got.Customer != (domain.Customer{ID: l.Customer.ID}) {
		t.Fatalf("the link after the erasure: %+v %v", got.Customer, err)
	}
	d, err := env.Store.GetDelivery(ctx, "m1", before.ID)
	if err != nil || strings.Contains(d.Body, "Ana") || strings.Contains(d.Body, "ana@") {
		t.Fatalf("the delivery written before the erasure: %v %s", err, d.Body)
	}

	after := &store.Delivery{ID: "msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XC", Merchant: "m1", EventID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XC", EventType: domain.EventClicked,
		LinkID: l.ID, Body: body}
	if created, err := env.Store.PutDeliveryOf(ctx, after, l.Customer.ID, now); created || !errors.Is(err, store.ErrCustomerErased) {
		t.Fatalf("a delivery with the data after the erasure: %v %v", created, err)
	}
	if _, err := env.Store.GetDelivery(ctx, "m1", after.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the refused delivery was written: %v", err)
	}
	if created, err := env.Store.PutDeliveryOf(ctx, before, l.Customer.ID, now); created || err != nil {
		t.Fatalf("the existing delivery again: %v %v", created, err)
	}
}
