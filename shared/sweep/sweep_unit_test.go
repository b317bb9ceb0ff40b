package sweep_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/sweep"
)

var unitNow = time.Date(2026, 12, 6, 12, 30, 0, 0, time.UTC)

// unitLink is an open link of m1 expiring at exp.
func unitLink(status domain.Status, exp time.Time) *domain.Link {
	created := exp.Add(-24 * time.Hour)
	return &domain.Link{ID: domain.NewID(domain.PrefixLink, created), Merchant: "m1", Status: status, Amount: money.MustParse("EUR", "10.00"),
		ExpiresAt: exp, CreatedAt: created, UpdatedAt: created}
}

func newUnitSweeper(st *fakeStore) *sweep.Sweeper {
	s := sweep.New(st, quiet)
	s.Now = func() time.Time { return unitNow }
	return s
}

func TestUnitDueLinkExpiresOnce(t *testing.T) {
	st := newFakeStore()
	due := unitLink(domain.StatusCreated, unitNow.Add(-10*time.Minute))
	later := unitLink(domain.StatusClicked, unitNow.Add(40*time.Minute))
	st.put(due)
	st.put(later)
	s := newUnitSweeper(st)
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Expired != 1 || res.Skipped != 0 || !res.Complete || st.expired[due.ID] != 1 || due.Status != domain.StatusExpired {
		t.Fatalf("first run: %+v, expired events %v, due link %s; want the due link expired once", res, st.expired, due.Status)
	}
	if later.Status != domain.StatusClicked || st.expired[later.ID] != 0 {
		t.Fatalf("a link not yet due was %s", later.Status)
	}
	if want := store.ExpiryBucket(unitNow); st.cursor != want {
		t.Fatalf("cursor %q, want %q (every past hour drained)", st.cursor, want)
	}
	res, err = s.Run(t.Context())
	if err != nil || res.Expired != 0 || res.Skipped != 0 || st.expired[due.ID] != 1 {
		t.Fatalf("second run: %+v %v, expired events %v; want nothing moved", res, err, st.expired)
	}
	if res.Buckets != 1 {
		t.Fatalf("second run read %d buckets, want 1 (from the cursor)", res.Buckets)
	}
}

func TestUnitPaidMeanwhileIsSkipped(t *testing.T) {
	st := newFakeStore()
	l := unitLink(domain.StatusCreated, unitNow.Add(-time.Hour))
	st.put(l)
	l.Status = domain.StatusPaid // paid after the index was read: the guard leaves it
	res, err := newUnitSweeper(st).Run(t.Context())
	if err != nil || res.Expired != 0 || res.Skipped != 1 || l.Status != domain.StatusPaid {
		t.Fatalf("%+v %v, link %s; want it skipped and still paid", res, err, l.Status)
	}
}

func TestUnitManyDueLinksInSmallPagesExpireOnceEach(t *testing.T) {
	st := newFakeStore()
	var ls []*domain.Link
	for i := range 40 {
		l := unitLink(domain.StatusCreated, unitNow.Add(-time.Duration(i+1)*3*time.Minute))
		ls = append(ls, l)
		st.put(l)
	}
	s := newUnitSweeper(st)
	s.PageSize, s.Workers = 2, 3
	res, err := s.Run(t.Context())
	if err != nil || res.Expired != len(ls) || !res.Complete {
		t.Fatalf("%+v %v; want %d expired, complete", res, err, len(ls))
	}
	for _, l := range ls {
		if st.expired[l.ID] != 1 || l.Status != domain.StatusExpired {
			t.Fatalf("%s: %s with %d expired events", l.ID, l.Status, st.expired[l.ID])
		}
	}
	if n := st.entries(); n != 0 {
		t.Fatalf("%d index entries left", n)
	}
}

func TestUnitDueReminderIsHandedOnOnce(t *testing.T) {
	st := newFakeStore()
	l := unitLink(domain.StatusCreated, unitNow.Add(48*time.Hour))
	st.put(l)
	st.add(unitNow.Add(-5*time.Minute), l.UpdatedAt, store.Due{Merchant: "m1", ID: l.ID, Reminder: true, Channel: "sms"})
	var handed []store.Due
	s := newUnitSweeper(st)
	s.Remind = func(_ context.Context, d store.Due) error { handed = append(handed, d); return nil }
	for range 2 {
		if _, err := s.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if len(handed) != 1 || handed[0].ID != l.ID || handed[0].Channel != "sms" || l.Status != domain.StatusCreated {
		t.Fatalf("handed on %+v, link %s; want the reminder once on sms, the link still open", handed, l.Status)
	}
	if n := st.entries(); n != 1 {
		t.Fatalf("%d index entries, want the link's own only", n)
	}
}

func TestUnitFailedReminderStaysForTheNextRun(t *testing.T) {
	st := newFakeStore()
	l := unitLink(domain.StatusCreated, unitNow.Add(48*time.Hour))
	st.put(l)
	at := unitNow.Add(-70 * time.Minute) // in the hour before this one
	st.add(at, l.UpdatedAt, store.Due{Merchant: "m1", ID: l.ID, Reminder: true, Channel: "email"})
	s := newUnitSweeper(st)
	s.Remind = func(context.Context, store.Due) error { return errors.New("queue down") }
	if _, err := s.Run(t.Context()); err == nil {
		t.Fatal("a reminder that could not be handed on was dropped silently")
	}
	if want := store.ExpiryBucket(at); st.cursor != want || st.entries() != 2 {
		t.Fatalf("cursor %q, %d entries; want the cursor at the reminder's hour %q, the reminder kept", st.cursor, st.entries(), want)
	}
	var handed int
	s.Remind = func(context.Context, store.Due) error { handed++; return nil }
	if _, err := s.Run(t.Context()); err != nil || handed != 1 || st.entries() != 1 {
		t.Fatalf("next run: %v, handed on %d, %d entries; want the reminder handed on once", err, handed, st.entries())
	}
}
