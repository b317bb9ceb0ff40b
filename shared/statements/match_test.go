package statements_test

import (
	"errors"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
)

// unmatched uploads a statement of one credit naming no link and returns
// the review payment it left.
func (r *rig) unmatched(t *testing.T, amount, entryRef string) *store.ReviewPayment {
	t.Helper()
	st := r.upload(t, camtOf(acct, []bank.Entry{entryOf(amount, func(e *bank.Entry) { e.EntryRef, e.Remittance = entryRef, "for order 77" })}))
	got := r.entries(t, st.ID)
	p, err := r.st.GetReviewPayment(ctx, "m1", got[0].ReviewID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// An unmatched bank payment of exactly a link's amount pays that link by
// hand, once, as the bank's payment (its reference, its debtor); anything
// else is refused and changes nothing.
func TestMatch(t *testing.T) {
	r := newRig()
	l, _ := r.link("m1", "42.00", reference.RF)
	other, _ := r.link("m1", "41.99", reference.RF)
	p := r.unmatched(t, "42.00", "U1")
	if _, _, err := r.svc.Match(ctx, "m1", p.ID, other.ID); !fieldError(err, "link_id") {
		t.Fatalf("another amount: %v", err)
	}
	if _, _, err := r.svc.Match(ctx, "m1", p.ID, domain.NewID(domain.PrefixLink, clock)); !fieldError(err, "link_id") {
		t.Fatalf("no such link: %v", err)
	}
	if _, _, err := r.svc.Match(ctx, "m1", p.ID, "pl_nope"); !fieldError(err, "link_id") {
		t.Fatalf("not a link id: %v", err)
	}
	if _, _, err := r.svc.Match(ctx, "m1", "py_nope", l.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("no such review payment: %v", err)
	}
	done, paid, err := r.svc.Match(ctx, "m1", p.ID, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.State != store.ReviewMatched || done.LinkID != l.ID || paid.Status != domain.StatusPaid || paid.PSP != domain.ProviderBank ||
		paid.PSPReference != p.PSPReference || r.st.paid[k("m1", l.ID)] != 1 {
		t.Fatalf("matched %+v, link %+v", done, paid)
	}
	// Again: the same answer, nothing more.
	if again, _, err := r.svc.Match(ctx, "m1", p.ID, l.ID); err != nil || again.State != store.ReviewMatched || r.st.paid[k("m1", l.ID)] != 1 {
		t.Fatalf("matched again: %+v %v", again, err)
	}
	// A second unmatched payment of the same amount: the link is paid.
	q := r.unmatched(t, "42.00", "U2")
	if _, _, err := r.svc.Match(ctx, "m1", q.ID, l.ID); !errors.Is(err, statements.ErrLinkPaid) {
		t.Fatalf("a paid link: %v", err)
	}
	if got, _ := r.st.GetReviewPayment(ctx, "m1", q.ID); got.State != store.ReviewOpen || len(r.st.reviews) != 2 {
		t.Fatalf("after a refused match: %+v, %d review payments", got, len(r.st.reviews))
	}
	// Only unmatched bank payments are matched.
	l2, ref2 := r.link("m1", "10.00", reference.RF)
	st := r.upload(t, camtOf(acct, []bank.Entry{entryOf("10.01", func(e *bank.Entry) { e.Reference, e.EntryRef = ref2, "M1" })}))
	mismatched := r.entries(t, st.ID)[0].ReviewID
	if _, _, err := r.svc.Match(ctx, "m1", mismatched, l2.ID); !errors.Is(err, store.ErrReviewNotMatchable) {
		t.Fatalf("a mismatched payment: %v", err)
	}
}

// A match that dies after the link took the payment is finished by its
// retry; one that dies before leaves the payment open to match again.
func TestMatchRetried(t *testing.T) {
	for _, after := range []bool{true, false} {
		r := newRig()
		l, _ := r.link("m1", "15.00", reference.BEOGM)
		p := r.unmatched(t, "15.00", "U1")
		r.st.fail = func(op string, a bool) error {
			if op == "apply" && a == after {
				return errCrash
			}
			return nil
		}
		if _, _, err := r.svc.Match(ctx, "m1", p.ID, l.ID); !errors.Is(err, errCrash) {
			t.Fatalf("crash (after the write: %v): %v", after, err)
		}
		r.st.fail = nil
		done, paid, err := r.svc.Match(ctx, "m1", p.ID, l.ID)
		if err != nil || done.State != store.ReviewMatched || paid.Status != domain.StatusPaid || r.st.paid[k("m1", l.ID)] != 1 {
			t.Fatalf("retry (after the write: %v): %+v %+v %v", after, done, paid, err)
		}
	}
}

func fieldError(err error, field string) bool {
	var fe domain.FieldErrors
	return errors.As(err, &fe) && len(fe) > 0 && fe[0].Field == field
}
