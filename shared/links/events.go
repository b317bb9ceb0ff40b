package links

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks/shared/backoff"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// Applied is what applying a PSP's payment event did.
type Applied string

// Outcomes of ApplyPayment.
const (
	AppliedChange    Applied = "applied"   // the link moved
	AppliedDuplicate Applied = "duplicate" // this event (or this payment) was applied or kept before
	AppliedNoChange  Applied = "no_change" // the link's status does not take it (a decline after paid)
	AppliedReview    Applied = "review"    // no such link, a second payment, or not the link's money: kept for review
)

// PaymentStore is what applying a payment needs of the table.
type PaymentStore interface {
	ApplyPayment(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time) (store.PaymentWrite, error)
	KeepForReview(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time) (bool, error)
}

// maxTries bounds the decisions made again on a link that changed under
// a write (each a race lost to another write).
const maxTries = 10

// ApplyPayment applies a PSP's payment or decline to its link: decided
// before the link is read (domain.ExpectPayment; the usual case is one
// write), then, when the link was not as expected, on the link the store
// found (domain.DecidePayment): paid after expiry, a duplicate, a second or
// mismatched payment kept for review, or nothing. Money that moved is never
// dropped.
func ApplyPayment(ctx context.Context, st PaymentStore, merchant, provider string, ev domain.PaymentEvent, now time.Time) (Applied, error) {
	d := domain.ExpectPayment(ev)
	var found *domain.Link
	for try := 0; try < maxTries; try++ {
		switch d.Action {
		case domain.PaymentNoChange:
			return AppliedNoChange, nil
		case domain.PaymentDuplicate:
			return AppliedDuplicate, nil
		case domain.PaymentReview:
			kept, err := st.KeepForReview(ctx, merchant, provider, ev, d.Review, found, now)
			switch {
			case err != nil:
				return "", err
			case !kept:
				return AppliedDuplicate, nil
			}
			return AppliedReview, nil
		}
		w, err := st.ApplyPayment(ctx, merchant, provider, ev, d, now)
		switch {
		case err != nil:
			return "", err
		case w.Written:
			return AppliedChange, nil
		case w.Duplicate:
			return AppliedDuplicate, nil
		case w.Conflict:
			pause(try) // another write to the link: the same decision again
			continue
		}
		found = w.Found
		d = domain.DecidePayment(found, ev)
	}
	return "", fmt.Errorf("apply %s event %s: %w after %d tries", provider, ev.ID, domain.ErrConflict, maxTries)
}

// ClickStore is what a click needs of the table.
type ClickStore interface {
	CountClick(ctx context.Context, merchant, linkID, code string, now time.Time) (store.ClickWrite, error)
	Transition(ctx context.Context, cur, next *domain.Link, ev domain.Event) error
}

// maxClickTries bounds the retries of a click racing other clicks.
const maxClickTries = 20

// Click records a person opening the link behind code at now and returns
// the link as it is after the click with what the click did: counted on a
// clicked link (one write, decided before the link is read:
// domain.ExpectClick), opened (a guarded transition with its event, so that
// concurrent first clicks make exactly one created->clicked event), or not
// counted on a paid or expired link (domain.DecideClick on the link the
// store found). Unknown, forged and archived codes are domain.ErrNotFound.
func Click(ctx context.Context, st ClickStore, code string, now time.Time) (*domain.Link, domain.ClickAction, error) {
	c, err := domain.ParseCode(code)
	if err != nil {
		return nil, domain.ClickNotFound, domain.ErrNotFound
	}
	d := domain.ExpectClick()
	var found *domain.Link
	for try := 0; try < maxClickTries; try++ {
		switch d.Action {
		case domain.ClickCount:
			w, err := st.CountClick(ctx, c.Merchant, c.LinkID, code, now)
			if err != nil {
				return nil, d.Action, err
			}
			if w.Counted {
				return w.Link, domain.ClickCount, nil
			}
			found = w.Found
			d = domain.DecideClick(found, code, now)
		case domain.ClickOpen:
			err := st.Transition(ctx, found, d.Next, d.Event)
			if errors.Is(err, domain.ErrConflict) {
				d = domain.ExpectClick() // another click (or a payment) won; look again
				continue
			}
			if err != nil {
				return nil, d.Action, err
			}
			return d.Next, domain.ClickOpen, nil
		case domain.ClickPaid, domain.ClickExpired:
			return found, d.Action, nil
		default:
			return nil, domain.ClickNotFound, domain.ErrNotFound
		}
	}
	return nil, d.Action, fmt.Errorf("click %s: %w after %d tries", c.LinkID, domain.ErrConflict, maxClickTries)
}

// sleep is time.Sleep (the unit tests' races need no wait).
var sleep = time.Sleep

// pause sleeps before try again (backoff.Delay).
func pause(try int) { sleep(backoff.Delay(try)) }
