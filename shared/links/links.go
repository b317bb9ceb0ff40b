// Package links owns a payment link's life. Every way a link is made (the
// API's create, which the dashboard calls too, a CSV import's row, a
// duplicate) is one Create; its changes (Patch, Archive), the send asked for
// at create, a click (Click) and a PSP's payment (ApplyPayment) go through
// here. Entry points only translate their input and call it. What happens to
// a link is decided by package domain's pure functions; the store carries a
// decision out as one conditional write and reports what it found.
package links

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/customers"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// Store is what the link service needs of the table.
type Store interface {
	customers.Store
	CreateLink(ctx context.Context, n store.NewLink) error
	Get(ctx context.Context, merchant, id string) (*domain.Link, error)
	Transition(ctx context.Context, cur, next *domain.Link, ev domain.Event) error
	Delete(ctx context.Context, cur *domain.Link) error
}

// Sender queues a link's send asked for at create (package send). The send
// is written with the link (in its created event), so the table's stream
// carries it out when the queue cannot be reached now; EnqueueSoon says why
// it was not queued ("" when it was).
type Sender interface {
	EnqueueSoon(ctx context.Context, l *domain.Link, channel, sendID string) string
}

// Codes signs a link's public code.
type Codes interface {
	NewCode(merchant, linkID string) (string, error)
}

// Service owns links' lives.
type Service struct {
	Store Store
	Codes Codes
	Send  Sender
	Now   func() time.Time
}

// Create is one new link as an entry point asks for it.
type Create struct {
	Merchant *merchant.Merchant
	// Input is the link as given (domain.NewLink checks it); its Customer,
	// when given, is matched to the merchant's customers (by number, then
	// e-mail) or made with the link.
	Input *domain.LinkInput
	// CustomerID names an existing customer instead: the link's customer is
	// its details.
	CustomerID string
	// Origin is the link's origin when Input names none (domain.NewLink's
	// default is the API's).
	Origin domain.Origin
	// IdempotencyKey is the request's key: the send asked for at create gets
	// an id derived from it, so a retried request never sends twice.
	IdempotencyKey string
	// Answer, when set, is the request's idempotent answer for the link as
	// made, written in the same transaction.
	Answer func(*domain.Link) (*store.IdempotencyDone, error)
	// Row, for a CSV import's row: its marker and the import's counter go in
	// the same transaction (a redelivered row makes nothing: store.ErrRowDone).
	Row *store.ImportRow
}

// Created is a link made.
type Created struct {
	Link *domain.Link
	// SendDeferred says why the send asked for at create was not queued at
	// once (the table's stream queues it); "" when it was, or none was asked.
	SendDeferred string
}

// Create makes a new link: its customer settled, checked (a refused link
// costs no read), its code signed, written in one transaction with its
// created event, new customer, idempotent answer or import row (and the
// marker of its bank transfer reference, unique within the merchant: a
// taken one makes it try the next), and its send queued.
func (s *Service) Create(ctx context.Context, c Create) (*Created, error) {
	m := c.Merchant
	if c.CustomerID != "" {
		snap, err := customers.ByID(ctx, s.Store, m.ID, c.CustomerID, "customer_id")
		if err != nil {
			return nil, err
		}
		c.Input.Customer = snap
	}
	l, ev, err := domain.NewLink(c.Input, m.LinkSettings(), s.Now())
	if err != nil {
		return nil, err
	}
	if c.Input.Origin == nil && c.Origin != "" {
		l.Origin = c.Origin
		ev.Data = map[string]string{"origin": string(c.Origin)}
	}
	var newCustomer *domain.CustomerRecord
	if c.CustomerID == "" && c.Input.Customer != nil {
		if newCustomer, err = customers.Match(ctx, s.Store, m.ID, &l.Customer, s.Now().UTC()); err != nil {
			return nil, err
		}
	}
	return s.write(ctx, l, ev, newCustomer, c)
}

// DuplicateOf makes a new link from one of the merchant's links in any
// status (domain.Duplicate: the create's checks), written as a create. Its
// customer is read first (customers.ByID, following merges) and the copy is
// made for them as they are now; an archived or erased customer gets no new
// link (domain.ErrCustomerArchived), as with a create for them.
func (s *Service) DuplicateOf(ctx context.Context, m *merchant.Merchant, orig *domain.Link, in domain.DuplicateInput, c Create) (*Created, error) {
	src := orig
	if orig.Customer.ID != "" {
		// The customer as they are now, as a create for their id takes
		// them: an edit since, or the customer kept by a merge since.
		cur, err := customers.ByID(ctx, s.Store, m.ID, orig.Customer.ID, "customer_id")
		if err != nil {
			return nil, err
		}
		now := *orig
		now.Customer = *cur
		src = &now
	}
	l, ev, err := domain.Duplicate(src, in, m.LinkSettings(), s.Now())
	if err != nil {
		return nil, err
	}
	c.Merchant = m
	return s.write(ctx, l, ev, nil, c)
}

// write signs the link's code, writes it in one transaction with what comes
// with it, and queues the send asked for at create.
func (s *Service) write(ctx context.Context, l *domain.Link, ev domain.Event, newCustomer *domain.CustomerRecord, c Create) (*Created, error) {
	code, err := s.Codes.NewCode(c.Merchant.ID, l.ID)
	if err != nil {
		return nil, fmt.Errorf("link code: %w", err)
	}
	l.Code = code
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	if c.Row != nil {
		ev.Data["import_id"], ev.Data["row"] = c.Row.ImportID, strconv.Itoa(c.Row.Row)
	}
	sendID, channel := "", ""
	if c.Input != nil && c.Input.SendChannel != nil {
		channel = *c.Input.SendChannel
		// The send is part of the link's creation: written with it (in its
		// created event, in the same transaction), carried out by the
		// table's stream even when the queue cannot be reached now.
		sendID = s.sendID(l, c)
		domain.RequestSend(&ev, channel, sendID)
	}
	if err := s.create(ctx, store.NewLink{Link: l, Event: ev, Customer: newCustomer, Row: c.Row}, c.Answer); err != nil {
		return nil, err
	}
	out := &Created{Link: l}
	if sendID != "" {
		out.SendDeferred = s.Send.EnqueueSoon(ctx, l, channel, sendID)
	}
	return out, nil
}

// maxBankTries bounds the bank references a new link tries: each is
// another link's only by a hash collision (an OGM has 10^10 values, an RF
// 2^105 past its first), so a fifth refusal is a fault, not bad luck.
const maxBankTries = 5

// create writes n (with the idempotent answer made of the link as
// written); a bank reference another link of the merchant has makes the
// link try its next one (domain.BankReference), nothing having been
// written.
func (s *Service) create(ctx context.Context, n store.NewLink, answer func(*domain.Link) (*store.IdempotencyDone, error)) error {
	l := n.Link
	for try := 0; ; try++ {
		if answer != nil {
			done, err := answer(l)
			if err != nil {
				return err
			}
			n.Done = done
		}
		err := s.Store.CreateLink(ctx, n)
		if !errors.Is(err, store.ErrBankReferenceTaken) {
			return err
		}
		if try+1 >= maxBankTries {
			return fmt.Errorf("link %s: %d bank references tried: %w", l.ID, maxBankTries, err)
		}
		_, format, cerr := reference.Check(l.BankReference)
		if cerr != nil {
			return fmt.Errorf("link %s: bank reference: %w", l.ID, cerr)
		}
		l.BankReference = domain.BankReference(l.ID, try+1, format)
	}
}

// sendID is the id of the send asked for at create: derived from the
// import row or the request's Idempotency-Key (a retry sends nothing more),
// else new.
func (s *Service) sendID(l *domain.Link, c Create) string {
	switch {
	case c.Row != nil:
		return domain.DerivedSendID("i", c.Row.ImportID, strconv.Itoa(c.Row.Row))
	case c.IdempotencyKey != "":
		return domain.DerivedSendID("c", l.ID, c.IdempotencyKey)
	}
	return domain.NewID("snd_", s.Now())
}

// maxChangeTries bounds the retries of a change racing other writes to the
// link (a click, a payment).
const maxChangeTries = 6

// Patch changes a link with change (a function of the link as stored
// returning the link after and the event's data), in any status, with its
// timeline event of type typ; it is decided again on the fresh link when
// another write wins the race.
func (s *Service) Patch(ctx context.Context, merchantID, id, typ string, change func(cur domain.Link) (domain.Link, map[string]string, error)) (*domain.Link, error) {
	for try := 0; ; try++ {
		cur, err := s.Store.Get(ctx, merchantID, id)
		if err != nil {
			return nil, err
		}
		next, data, err := change(*cur)
		if err != nil {
			return nil, err
		}
		next.UpdatedAt = s.Now().UTC()
		err = s.Store.Transition(ctx, cur, &next, domain.NewEvent(cur.ID, typ, "", "", s.Now(), data))
		if errors.Is(err, domain.ErrConflict) && try < maxChangeTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &next, nil
	}
}

// Archived is what Archive did.
type Archived struct {
	Link    *domain.Link // the link as archived (nil when deleted)
	Deleted bool         // a never-opened link, deleted for good
	Already bool         // it was archived before: nothing changed
}

// Archive deletes a never-opened, non-dunning link for good and archives
// any other (hidden from default listings, kept), decided on the link as
// stored and again when a click or a payment changes it meanwhile.
func (s *Service) Archive(ctx context.Context, merchantID, id string) (*Archived, error) {
	for try := 0; ; try++ {
		cur, err := s.Store.Get(ctx, merchantID, id)
		if err != nil {
			return nil, err
		}
		if cur.Archived {
			return &Archived{Link: cur, Already: true}, nil
		}
		if domain.CanDelete(cur) {
			err = s.Store.Delete(ctx, cur)
			if err == nil {
				return &Archived{Deleted: true}, nil
			}
		} else {
			next := *cur
			next.Archived = true
			next.UpdatedAt = s.Now().UTC()
			err = s.Store.Transition(ctx, cur, &next, domain.NewEvent(cur.ID, domain.EventArchived, "", "", s.Now(), nil))
			if err == nil {
				return &Archived{Link: &next}, nil
			}
		}
		if errors.Is(err, domain.ErrConflict) && try < maxChangeTries {
			continue // it changed (a click, a payment): decide again
		}
		return nil, err
	}
}
