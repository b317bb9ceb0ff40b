package domain

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestRefundRefusal(t *testing.T) {
	paid := decideLink(StatusPaid, "10.00")
	paid.PSP = ProviderBank
	reversed := *paid
	reversed.ReversedBy = "py_01JD3Q7A1B2C3D4E5F6G7H8J9K"
	cases := []struct {
		name string
		l    *Link
		want error
	}{
		{"a paid link", paid, nil},
		{"a paid link whose transfer the bank took back", &reversed, ErrPaymentReversed},
		{"a link not paid", decideLink(StatusClicked, "10.00"), ErrNotPaid},
	}
	for _, c := range cases {
		if got := RefundRefusal(c.l); !errors.Is(got, c.want) || (c.want == nil) != (got == nil) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	for kind, want := range map[string]error{ReviewReversal: ErrPaymentReversed, ReviewUnmatched: nil, ReviewSecond: nil, ReviewMismatched: nil} {
		if got := ReviewRefundRefusal(kind); got != want {
			t.Errorf("review of kind %s: %v, want %v", kind, got, want)
		}
	}
}

// Invariant: a link is refunded exactly when its status takes a refund and
// no reversal took its payment back; a reversed payment is refused with
// the one error whichever path asks (the link's, the review payment's).
func TestRefundRefusalInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 2))
	statuses := []Status{StatusCreated, StatusClicked, StatusPaid, StatusDeclined, StatusExpired}
	for range 2000 {
		l := decideLink(statuses[r.IntN(len(statuses))], "10.00")
		if r.IntN(2) == 0 {
			l.ReversedBy = "py_x"
		}
		err := RefundRefusal(l)
		if (err == nil) != (CanRefund(l.Status) && l.ReversedBy == "") {
			t.Fatalf("%s reversed %q: %v", l.Status, l.ReversedBy, err)
		}
		if CanRefund(l.Status) && l.ReversedBy != "" && err != ReviewRefundRefusal(ReviewReversal) {
			t.Fatalf("the link's refusal %v is not the review payment's", err)
		}
	}
}
