package domain

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestBookedAfterExpiry(t *testing.T) {
	exp := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
	for booked, want := range map[string]bool{"2026-12-04": false, "2026-12-05": false, "2026-12-06": true, "2001-01-01": false, "": false, "5/12/2026": false} {
		if got := BookedAfterExpiry(booked, exp); got != want {
			t.Errorf("booked %q, expiring %v: %v, want %v", booked, exp, got, want)
		}
	}
	// An expiry written in another zone: its UTC day counts (00:30 CET on
	// the 6th is 23:30 UTC on the 5th, so the 6th is late).
	if !BookedAfterExpiry("2026-12-06", time.Date(2026, 12, 6, 0, 30, 0, 0, time.FixedZone("CET", 3600))) {
		t.Error("an expiry at 23:30 UTC on the 5th: a transfer booked on the 6th is in time")
	}
}

// Invariant over generated links and bank payments: a bank payment that
// pays a link is after its expiry exactly when its booking date is after
// the expiry's date, whatever the link's status (an open link not swept
// yet, an expired one); the decision carries the booking date for the
// write to check, and ExpectPayment's assumption (in time) is checked the
// same way: the decision made on the link found agrees with it whenever
// the link is open and in time.
func TestBankPaidAfterExpiryInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 4))
	base := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 20000; i++ {
		l := randomLink(r)
		if l != nil {
			l.ExpiresAt = base.Add(time.Duration(r.IntN(96*60)-48*60) * time.Minute)
		}
		ev := randomPayment(r)
		ev.Kind, ev.LinkID = PaymentSucceeded, "pl_1"
		ev.BookedOn = base.AddDate(0, 0, r.IntN(5)-2).Format(time.DateOnly)
		d := DecidePayment(l, ev)
		if d.Action != PaymentApply {
			continue
		}
		booked, _ := time.Parse(time.DateOnly, ev.BookedOn)
		late := ev.BookedOn > l.ExpiresAt.UTC().Format(time.DateOnly)
		if d.AfterExpiry != late || !d.Booked.Equal(booked) || late != l.ExpiresAt.Before(d.Booked) {
			t.Fatalf("link expiring %v (%s), booked %s: %+v", l.ExpiresAt, l.Status, ev.BookedOn, d)
		}
		e := ExpectPayment(ev)
		if l.Status.Open() && !late && fmt.Sprint(e) != fmt.Sprint(d) {
			t.Fatalf("expected %+v, decided %+v", e, d)
		}
	}
}
