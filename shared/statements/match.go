package statements

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/store"
)

// Errors of Match, as the API answers them (409).
// Both are domain.ErrTransition.
var (
	// ErrLinkPaid: the link was paid already, by another payment.
	ErrLinkPaid = fmt.Errorf("the link is paid already, by another payment: %w", domain.ErrTransition)
	// ErrLinkClosed: the link's status takes no payment (none is left
	// today: domain.DecideMatch pays what a PSP's payment pays, archived
	// and expired links too).
	ErrLinkClosed = fmt.Errorf("the link takes no payment in its status: %w", domain.ErrTransition)
)

// Match pays link linkID with an unmatched bank payment kept for review,
// of exactly the link's amount, through the same guarded apply as every
// payment: the payment is marked matching (no refund, no other match
// meanwhile), applied to the link as the bank's payment (its reference,
// its debtor), then matched, or open again when the link did not take it.
// A retry of a match that was applied finishes it. Errors:
// domain.ErrNotFound (no such review payment), store.ErrReviewNotMatchable
// (not an open, unmatched bank payment), domain.FieldErrors on link_id (no
// such link, another amount or currency), ErrLinkPaid, ErrLinkClosed.
func (s *Service) Match(ctx context.Context, merchantID, reviewID, linkID string) (*store.ReviewPayment, *domain.Link, error) {
	p, err := s.Store.GetReviewPayment(ctx, merchantID, reviewID)
	if err != nil {
		return nil, nil, err
	}
	if p.PSP != domain.ProviderBank || p.Kind != store.ReviewUnmatched {
		return p, nil, store.ErrReviewNotMatchable
	}
	l, err := s.matchable(ctx, merchantID, p, linkID)
	if err != nil {
		return p, l, err
	}
	if paidBy(l, p) { // by this very payment: a retry of a match applied before
		if p.State == store.ReviewMatching {
			p, _, err = s.Store.EndReviewMatch(ctx, merchantID, reviewID, linkID, true, s.now())
		}
		return p, l, err
	}
	if p, err = s.Store.StartReviewMatch(ctx, merchantID, reviewID, linkID, s.now()); err != nil {
		return p, l, err
	}
	ev := matchEvent(p, linkID, s.now())
	// The payment's own reference: when the link does not take it, keeping
	// it for review again finds it kept already and writes nothing.
	if _, err := links.ApplyPayment(ctx, s.Store, merchantID, domain.ProviderBank, ev, s.now()); err != nil {
		return p, l, err
	}
	if l, err = s.Store.Get(ctx, merchantID, linkID); err != nil {
		return p, nil, err
	}
	matched := paidBy(l, p)
	done, _, err := s.Store.EndReviewMatch(ctx, merchantID, reviewID, linkID, matched, s.now())
	if err != nil {
		return p, l, err
	}
	if !matched {
		return done, l, ErrLinkPaid
	}
	return done, l, nil
}

// matchable is link linkID when p may pay it (domain.DecideMatch: as a
// PSP's or a statement's payment of p's money would, archived links too),
// or p paid it already.
func (s *Service) matchable(ctx context.Context, merchantID string, p *store.ReviewPayment, linkID string) (*domain.Link, error) {
	if !domain.ValidID(domain.PrefixLink, linkID) {
		return nil, domain.FieldErrors{{Field: "link_id", Message: "must be a payment link id (pl_...)"}}
	}
	l, err := s.Store.Get(ctx, merchantID, linkID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.FieldErrors{{Field: "link_id", Message: "no such payment link"}}
	}
	if err != nil {
		return nil, err
	}
	switch domain.DecideMatch(l, matchEvent(p, linkID, s.now())) {
	case domain.MatchPay, domain.MatchDone:
		return l, nil
	case domain.MatchAmount:
		return nil, domain.FieldErrors{{Field: "link_id", Message: fmt.Sprintf("the link is %s %s, the payment %s", l.Amount.Currency, l.Amount.String(), moneyText(p))}}
	case domain.MatchPaid:
		return nil, ErrLinkPaid
	}
	return nil, ErrLinkClosed
}

// matchEvent is the payment a match of p to link linkID at now applies:
// the bank's payment, with p's reference, amount, debtor and text, booked
// when the bank booked it (after the link's expiry by that date; a payment
// kept before its booking date was: the day it was received), paid now.
func matchEvent(p *store.ReviewPayment, linkID string, now time.Time) domain.PaymentEvent {
	booked := p.BookedOn
	if booked == "" {
		booked = p.ReceivedAt.UTC().Format(time.DateOnly)
	}
	return domain.PaymentEvent{ID: "match_" + p.ID, Kind: domain.PaymentSucceeded, Type: "bank_match", LinkID: linkID, PaymentRef: p.PSPReference,
		Amount: p.Amount, Debtor: p.Debtor, Remittance: p.Remittance, BookedOn: booked, At: now}
}

// paidBy reports a link paid by review payment p (its bank reference).
func paidBy(l *domain.Link, p *store.ReviewPayment) bool {
	return l.Status == domain.StatusPaid && l.PSP == domain.ProviderBank && l.PSPReference == p.PSPReference
}

func moneyText(p *store.ReviewPayment) string {
	if p.Amount == nil {
		return "has no amount"
	}
	return p.Amount.Currency + " " + p.Amount.String()
}
