package links

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// fakeStore is the link service's Store in memory: what was written, one
// customer to match.
type fakeStore struct {
	created  []store.NewLink
	customer *domain.CustomerRecord
	refuse   error
}

func (f *fakeStore) GetCustomer(_ context.Context, _, id string) (*domain.CustomerRecord, error) {
	if f.customer == nil || f.customer.ID != id {
		return nil, domain.ErrNotFound
	}
	return f.customer, nil
}

func (f *fakeStore) CustomerByNumber(context.Context, string, string) (*domain.CustomerRecord, error) {
	return nil, domain.ErrNotFound
}

func (f *fakeStore) CustomersByEmail(_ context.Context, _, email string, _ int) ([]*domain.CustomerRecord, error) {
	if f.customer != nil && f.customer.Email == email {
		return []*domain.CustomerRecord{f.customer}, nil
	}
	return nil, nil
}

func (f *fakeStore) CreateLink(_ context.Context, n store.NewLink) error {
	if f.refuse != nil {
		return f.refuse
	}
	f.created = append(f.created, n)
	return nil
}

func (f *fakeStore) Get(context.Context, string, string) (*domain.Link, error) {
	return nil, domain.ErrNotFound
}
func (f *fakeStore) Transition(context.Context, *domain.Link, *domain.Link, domain.Event) error {
	return nil
}
func (f *fakeStore) Delete(context.Context, *domain.Link) error { return nil }

type fakeSender struct{ sent []string }

func (f *fakeSender) EnqueueSoon(_ context.Context, _ *domain.Link, channel, sendID string) string {
	f.sent = append(f.sent, channel+" "+sendID)
	return ""
}

func newService(st *fakeStore) (*Service, *fakeSender) {
	snd := &fakeSender{}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	return &Service{Store: st, Codes: domain.CodeKey("0123456789abcdef0123456789abcdef"), Send: snd, Now: func() time.Time { return now }}, snd
}

func input(email string, channel string) *domain.LinkInput {
	desc, ch := "Invoice 7", channel
	in := &domain.LinkInput{Amount: json.RawMessage(`{"currency":"EUR","value":"12.50"}`), Description: &desc,
		Customer: &domain.Customer{FirstName: "Ann", LastName: "Peeters", Email: email, Phone: "+32470000000"}}
	if channel != "" {
		in.SendChannel = &ch
	}
	return in
}

// TestCreateOneWriteEveryOrigin: every origin is one CreateLink with one
// typed input; the send asked for at create has an id that a retry (the
// same Idempotency-Key, the same import row) derives again.
func TestCreateOneWriteEveryOrigin(t *testing.T) {
	m := &merchant.Merchant{ID: "m1"}
	st := &fakeStore{}
	svc, snd := newService(st)
	api, err := svc.Create(t.Context(), Create{Merchant: m, Input: input("ann@example.com", "email"), IdempotencyKey: "key:k1"})
	if err != nil {
		t.Fatal(err)
	}
	row := &store.ImportRow{Merchant: "m1", ImportID: "imp_1", Row: 7}
	imp, err := svc.Create(t.Context(), Create{Merchant: m, Input: input("ann@example.com", "sms"), Origin: domain.OriginImport, Row: row})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.created) != 2 || st.created[1].Row != row || st.created[0].Row != nil {
		t.Fatalf("writes: %+v", st.created)
	}
	if api.Link.Origin != domain.OriginAPI || imp.Link.Origin != domain.OriginImport || st.created[1].Event.Data["import_id"] != "imp_1" ||
		st.created[1].Event.Data["row"] != "7" || st.created[1].Event.Data["origin"] != "import" {
		t.Fatalf("origins: %s %s %v", api.Link.Origin, imp.Link.Origin, st.created[1].Event.Data)
	}
	if len(snd.sent) != 2 || !strings.HasPrefix(snd.sent[0], "email snd_c") || !strings.HasPrefix(snd.sent[1], "sms snd_i") {
		t.Fatalf("sends: %v", snd.sent)
	}
	if got := st.created[0].Event.Data[domain.EventSendID]; "email "+got != snd.sent[0] || st.created[0].Event.Data[domain.EventSendChannel] != "email" {
		t.Fatalf("the send is not written with the link: %v", st.created[0].Event.Data)
	}
	for _, n := range st.created {
		if n.Link.Code == "" || n.Customer == nil || n.Link.Customer.ID != n.Customer.ID {
			t.Fatalf("a new customer is made with the link and the link names it: %+v", n)
		}
	}
}

// TestCreateRetrySendsOnce: a redelivered import row derives the same
// send id (the send worker sends each id once).
func TestCreateRetrySendsOnce(t *testing.T) {
	m := &merchant.Merchant{ID: "m1"}
	row := &store.ImportRow{Merchant: "m1", ImportID: "imp_1", Row: 7}
	svc, snd := newService(&fakeStore{})
	if _, err := svc.Create(t.Context(), Create{Merchant: m, Input: input("ann@example.com", "sms"), Origin: domain.OriginImport, Row: row}); err != nil {
		t.Fatal(err)
	}
	again, _ := newService(&fakeStore{})
	again.Send = snd
	if _, err := again.Create(t.Context(), Create{Merchant: m, Input: input("ann@example.com", "sms"), Origin: domain.OriginImport, Row: row}); err != nil {
		t.Fatal(err)
	}
	if len(snd.sent) != 2 || snd.sent[1] != snd.sent[0] {
		t.Fatalf("a redelivered row sends as another send: %v", snd.sent)
	}
}

// TestCreateCustomers: an inline customer with a known e-mail is that
// customer (nothing new written); customer_id takes the customer's details;
// an unknown id is a field error and nothing is written.
func TestCreateCustomers(t *testing.T) {
	m := &merchant.Merchant{ID: "m1"}
	known := &domain.CustomerRecord{ID: "cus_1", FirstName: "Ann", LastName: "Peeters", Email: "ann@example.com"}
	st := &fakeStore{customer: known}
	svc, _ := newService(st)
	c, err := svc.Create(t.Context(), Create{Merchant: m, Input: input("ann@example.com", "")})
	if err != nil || c.Link.Customer.ID != "cus_1" || st.created[0].Customer != nil {
		t.Fatalf("matched: %v %+v", err, st.created)
	}
	in := input("", "")
	in.Customer = nil
	c, err = svc.Create(t.Context(), Create{Merchant: m, Input: in, CustomerID: "cus_1"})
	if err != nil || c.Link.Customer.ID != "cus_1" || c.Link.Customer.Email != "ann@example.com" {
		t.Fatalf("by id: %v %+v", err, c)
	}
	in = input("", "")
	in.Customer = nil
	_, err = svc.Create(t.Context(), Create{Merchant: m, Input: in, CustomerID: "cus_nope"})
	var fe domain.FieldErrors
	if !asFieldErrors(err, &fe) || fe[0].Field != "customer_id" || len(st.created) != 2 {
		t.Fatalf("unknown id: %v (%d written)", err, len(st.created))
	}
	_, err = svc.Create(t.Context(), Create{Merchant: m, Input: &domain.LinkInput{}})
	if !asFieldErrors(err, &fe) || len(st.created) != 2 {
		t.Fatalf("a refused link writes nothing: %v", err)
	}
}

func asFieldErrors(err error, fe *domain.FieldErrors) bool {
	e, ok := err.(domain.FieldErrors)
	*fe = e
	return ok && len(e) > 0
}
