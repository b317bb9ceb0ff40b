package statements_test

import (
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
)

// A credit whose amount is no amount of its currency (zero, more decimals
// than it has, a currency paylinks does not know) pays nothing and is
// kept nowhere for review (a bank payment kept without an amount could be
// neither matched nor refunded): ignored, no_amount.
func TestCreditWithoutAnAmount(t *testing.T) {
	r := newRig()
	_, rf := r.link("m1", "10.00", reference.RF)
	st := r.upload(t, camtOf(acct, []bank.Entry{
		entryOf("10.001", func(e *bank.Entry) { e.Reference, e.EntryRef = rf, "Z1" }),
		entryOf("0.005", func(e *bank.Entry) { e.EntryRef = "Z2" }),
	}))
	for _, e := range r.entries(t, st.ID) {
		if e.Outcome != domain.EntryIgnored || e.Reason != domain.ReasonNoAmount || e.ReviewID != "" {
			t.Fatalf("entry %d: %s %s %q", e.Index, e.Outcome, e.Reason, e.ReviewID)
		}
	}
	if len(r.st.reviews) != 0 {
		t.Fatalf("%d review payments", len(r.st.reviews))
	}
}
