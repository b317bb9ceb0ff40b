package domain

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/money"
)

func decideLink(st Status, amount string) *Link {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	return &Link{ID: "pl_1", Merchant: "m1", Code: "c1", Status: st, Amount: money.MustParse("EUR", amount),
		ExpiresAt: now.Add(24 * time.Hour), Attempt: 1, CreatedAt: now}
}

func eur(v string) *money.Amount { a := money.MustParse("EUR", v); return &a }

func TestDecidePaymentTable(t *testing.T) {
	paid := decideLink(StatusPaid, "10.00")
	paid.PSPReference = "pay_1"
	pay := func(ref string, amt *money.Amount) PaymentEvent {
		return PaymentEvent{ID: "e", Kind: PaymentSucceeded, LinkID: "pl_1", PaymentRef: ref, Amount: amt}
	}
	usd := money.MustParse("USD", "10.00")
	cases := []struct {
		name string
		link *Link
		ev   PaymentEvent
		want PaymentDecision
	}{
		{"apply on an open link", decideLink(StatusClicked, "10.00"), pay("pay_1", eur("10.00")),
			PaymentDecision{Action: PaymentApply, To: StatusPaid, From: FromOpen(StatusPaid)}},
		{"apply on a declined link", decideLink(StatusDeclined, "10.00"), pay("pay_1", eur("10.0")),
			PaymentDecision{Action: PaymentApply, To: StatusPaid, From: FromOpen(StatusPaid)}},
		{"paid after expiry", decideLink(StatusExpired, "10.00"), pay("pay_1", eur("10.00")),
			PaymentDecision{Action: PaymentApply, To: StatusPaid, From: FromClosed(StatusPaid), AfterExpiry: true}},
		{"the same payment again", paid, pay("pay_1", eur("10.00")), PaymentDecision{Action: PaymentDuplicate}},
		{"a second payment", paid, pay("pay_2", eur("10.00")), PaymentDecision{Action: PaymentReview, Review: ReviewSecond}},
		{"less money", decideLink(StatusCreated, "10.00"), pay("pay_1", eur("9.99")), PaymentDecision{Action: PaymentReview, Review: ReviewMismatched}},
		{"another currency", decideLink(StatusCreated, "10.00"), pay("pay_1", &usd), PaymentDecision{Action: PaymentReview, Review: ReviewMismatched}},
		{"no amount reported", decideLink(StatusCreated, "10.00"), pay("pay_1", nil), PaymentDecision{Action: PaymentReview, Review: ReviewMismatched}},
		{"mismatched after expiry", decideLink(StatusExpired, "10.00"), pay("pay_1", eur("11.00")), PaymentDecision{Action: PaymentReview, Review: ReviewMismatched}},
		{"no such link", nil, pay("pay_1", eur("10.00")), PaymentDecision{Action: PaymentReview, Review: ReviewUnmatched}},
		{"a decline of an unknown link", nil, PaymentEvent{Kind: PaymentFailed}, PaymentDecision{Action: PaymentNoChange}},
		{"a decline after paid", paid, PaymentEvent{Kind: PaymentFailed}, PaymentDecision{Action: PaymentNoChange}},
		{"a decline of an earlier attempt", decideLink(StatusClicked, "10.00"), PaymentEvent{Kind: PaymentFailed, Attempt: 3}, PaymentDecision{Action: PaymentNoChange}},
		{"a decline of this attempt", decideLink(StatusClicked, "10.00"), PaymentEvent{Kind: PaymentFailed, Attempt: 1},
			PaymentDecision{Action: PaymentApply, To: StatusDeclined, From: From(StatusDeclined), Attempt: 1}},
		{"a checkout expiry", decideLink(StatusClicked, "10.00"), PaymentEvent{Kind: CheckoutExpired}, PaymentDecision{Action: PaymentNoChange}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DecidePayment(c.link, c.ev)
			if got.Action != c.want.Action || got.To != c.want.To || !slices.Equal(got.From, c.want.From) ||
				got.AfterExpiry != c.want.AfterExpiry || got.Review != c.want.Review || got.Attempt != c.want.Attempt {
				t.Fatalf("DecidePayment = %+v, want %+v", got, c.want)
			}
		})
	}
}

// randomLink is any link a store could hold.
func randomLink(r *rand.Rand) *Link {
	if r.IntN(8) == 0 {
		return nil
	}
	l := decideLink(Statuses[r.IntN(len(Statuses))], []string{"10.00", "0.01", "999.99"}[r.IntN(3)])
	l.Attempt = r.IntN(3)
	l.Archived = r.IntN(5) == 0
	if l.Status == StatusPaid {
		l.PSPReference = []string{"pay_1", "pay_2", ""}[r.IntN(3)]
	}
	if r.IntN(2) == 0 {
		l.Code = "other"
	}
	return l
}

func randomPayment(r *rand.Rand) PaymentEvent {
	ev := PaymentEvent{ID: "e", Kind: []PaymentKind{PaymentSucceeded, PaymentFailed, CheckoutExpired}[r.IntN(3)],
		PaymentRef: []string{"pay_1", "pay_2", ""}[r.IntN(3)], Attempt: r.IntN(4) - 1}
	switch r.IntN(4) {
	case 0:
	case 1:
		usd := money.MustParse("USD", "10.00")
		ev.Amount = &usd
	default:
		ev.Amount = eur([]string{"10.00", "10", "0.01", "999.99", "5.00"}[r.IntN(5)])
	}
	return ev
}

// TestPaymentInvariants holds the rules of money over generated links and
// events: a payment is never dropped (it pays, is the link's already, or
// is kept for review); only the link's own money pays it; nothing moves a
// paid link; a decline never keeps money; and an applying decision's guard
// admits the link it was decided on (so that retrying it makes progress).
func TestPaymentInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 1))
	for i := 0; i < 20000; i++ {
		l, ev := randomLink(r), randomPayment(r)
		checkPayment(t, l, ev, DecidePayment(l, ev))
	}
	// The expectation is one of the decisions: what DecidePayment says of
	// an open link with the event's money.
	for _, k := range []PaymentKind{PaymentSucceeded, PaymentFailed} {
		l := decideLink(StatusCreated, "10.00")
		e := ExpectPayment(PaymentEvent{Kind: k, Amount: eur("10.00"), LinkID: l.ID})
		d := DecidePayment(l, PaymentEvent{Kind: k, Amount: eur("10.00"), LinkID: l.ID})
		if e.Action != d.Action || e.To != d.To || !slices.Equal(e.From, d.From) {
			t.Fatalf("%s: expected %+v, decided %+v", k, e, d)
		}
	}
	// A payment naming no link is decided on none before any write: it is
	// never applied (there is nothing to write to), and a succeeded one is
	// kept for review.
	for i := 0; i < 2000; i++ {
		ev := randomPayment(r)
		e, d := ExpectPayment(ev), DecidePayment(nil, ev)
		if e.Action != d.Action || e.Review != d.Review || e.Action == PaymentApply {
			t.Fatalf("%+v naming no link: expected %+v, decided on none %+v", ev, e, d)
		}
		if ev.Kind == PaymentSucceeded && e.Action != PaymentReview {
			t.Fatalf("%+v naming no link: %+v, not kept for review", ev, e)
		}
	}
}

func checkPayment(t *testing.T, l *Link, ev PaymentEvent, d PaymentDecision) {
	t.Helper()
	if ev.Kind == PaymentSucceeded && d.Action == PaymentNoChange {
		t.Fatalf("a payment dropped: link %+v event %+v", l, ev)
	}
	if ev.Kind != PaymentSucceeded && d.Action == PaymentReview {
		t.Fatalf("a %s kept for review", ev.Kind)
	}
	if d.Action != PaymentApply {
		return
	}
	if l == nil || l.Status == StatusPaid || !slices.Contains(d.From, l.Status) || !CanTransition(l.Status, d.To) {
		t.Fatalf("applied to %+v: %+v", l, d)
	}
	if d.To == StatusPaid && (!SameMoney(ev.Amount, l.Amount) || d.AfterExpiry != (l.Status == StatusExpired)) {
		t.Fatalf("paid by another amount or expiry mark wrong: link %+v event %+v decision %+v", l, ev, d)
	}
	if d.To == StatusDeclined && ev.Attempt > 0 && ev.Attempt != l.Attempt {
		t.Fatalf("a decline of attempt %d applied to attempt %d", ev.Attempt, l.Attempt)
	}
}

// TestClickInvariants: a click counts only on a live link of its code; the
// first click moves it to clicked once with its event; paid, expired and
// archived links are never counted.
func TestClickInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 2))
	base := decideLink(StatusCreated, "1.00").CreatedAt
	for i := 0; i < 20000; i++ {
		l := randomLink(r)
		now := base.Add(time.Duration(r.IntN(48)) * time.Hour)
		checkClick(t, l, now, DecideClick(l, "c1", now))
	}
}

func checkClick(t *testing.T, l *Link, now time.Time, d ClickDecision) {
	t.Helper()
	if d.Action == ClickCount || d.Action == ClickOpen {
		checkCountable(t, l, now)
	}
	switch d.Action {
	case ClickCount:
		if l.Status != StatusClicked {
			t.Fatalf("counted without a status change on %s", l.Status)
		}
	case ClickOpen:
		checkOpened(t, l, d)
	case ClickPaid, ClickExpired:
		if d.Action == ClickPaid && l.Status != StatusPaid || d.Action == ClickExpired && l.Status != StatusExpired && !l.ExpiredAt(now) {
			t.Fatalf("%s answer for %+v", d.Action, l)
		}
	case ClickNotFound:
		if l != nil && l.Code == "c1" && !l.Archived {
			t.Fatalf("a live link of the code not found: %+v", l)
		}
	}
}

func checkCountable(t *testing.T, l *Link, now time.Time) {
	t.Helper()
	if l == nil || l.Code != "c1" || l.Archived || l.ExpiredAt(now) || l.Status == StatusPaid || l.Status == StatusExpired {
		t.Fatalf("counted on %+v at %s", l, now)
	}
}

func checkOpened(t *testing.T, l *Link, d ClickDecision) {
	t.Helper()
	n := d.Next
	if n.Status != StatusClicked || n.ClickCount != l.ClickCount+1 || n.ClickedAt == nil || d.Event.From != l.Status || d.Event.To != StatusClicked ||
		l.Status == StatusClicked || (l.Status == StatusDeclined && n.Attempt != l.Attempt+1) || n == l {
		t.Fatalf("opened %+v as %+v (%+v)", l, n, d.Event)
	}
}

// TestRefundSettlementInvariants: money moves once (only a pending refund
// settles) and by exactly the refund's amount, to one counter.
func TestRefundSettlementInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 3))
	for i := 0; i < 5000; i++ {
		status := []string{RefundStatusPending, RefundStatusSucceeded, RefundStatusFailed}[r.IntN(3)]
		amt, ok := r.Int64N(1_000_000)+1, r.IntN(2) == 0
		d := DecideRefundSettlement(status, amt, ok)
		if d.Settle != (status == RefundStatusPending) {
			t.Fatalf("%s settled: %+v", status, d)
		}
		if !d.Settle {
			if d != (RefundSettlement{}) {
				t.Fatalf("a settled refund moves something: %+v", d)
			}
			continue
		}
		if ok && (d.Status != RefundStatusSucceeded || d.RefundedDelta != amt || d.CommittedDelta != 0) ||
			!ok && (d.Status != RefundStatusFailed || d.CommittedDelta != -amt || d.RefundedDelta != 0) {
			t.Fatalf("ok=%v %d: %+v", ok, amt, d)
		}
	}
}

// TestMatchFollowsPayment: matching a payment by hand does what the
// payment itself does (DecidePayment), whatever the link (archived,
// expired, paid, of another amount): it pays exactly the links the
// payment pays, is done exactly when the payment is the link's already,
// and is refused otherwise, for another amount before anything else.
func TestMatchFollowsPayment(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 3))
	for i := 0; i < 20000; i++ {
		l, ev := randomLink(r), randomPayment(r)
		ev.Kind = PaymentSucceeded
		m, d := DecideMatch(l, ev), DecidePayment(l, ev)
		switch {
		case (m == MatchPay) != (d.Action == PaymentApply):
			t.Fatalf("link %+v, payment %+v: match %s, payment %+v", l, ev, m, d)
		case (m == MatchDone) != (d.Action == PaymentDuplicate):
			t.Fatalf("link %+v, payment %+v: match %s, payment %+v", l, ev, m, d)
		case l != nil && m != MatchDone && !SameMoney(ev.Amount, l.Amount) && m != MatchAmount:
			t.Fatalf("another amount: %s", m)
		}
	}
	archived := decideLink(StatusExpired, "10.00")
	archived.Archived = true
	if m := DecideMatch(archived, PaymentEvent{Kind: PaymentSucceeded, Amount: eur("10.00")}); m != MatchPay {
		t.Fatalf("an archived, expired link: %s", m)
	}
}
