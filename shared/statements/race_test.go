package statements_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// On DynamoDB Local: two overlapping statements (an intraday camt.054 and
// the day's camt.053 holding the same entries, in another order) processed
// at the same time by two workers read every entry once between them.
// Over generated overlaps: each link is paid once (one paid event), each
// shared entry is a duplicate in exactly one of the two, and the two
// statements' counts add up to the entries there are.
func TestOverlappingStatementsAtOnce(t *testing.T) {
	env, svc, q := dynamoRig(t)
	rnd := rand.New(rand.NewPCG(54, 1))
	rounds := 4
	if testing.Short() {
		rounds = 1
	}
	for round := 0; round < rounds; round++ {
		var links []*domain.Link
		var all []bank.Entry
		for j := 0; j < 12; j++ {
			l := bankLink(t, env, "m1", fmt.Sprintf("%d.%02d", 10+j, rnd.IntN(100)), reference.RF)
			links = append(links, l)
			all = append(all, entryOf(l.Amount.String(), func(e *bank.Entry) { e.Reference, e.EntryRef = l.BankReference, fmt.Sprintf("O%d-%d", round, j) }))
		}
		for j := 0; j < 8; j++ {
			all = append(all,
				entryOf("4.00", func(e *bank.Entry) { e.EntryRef, e.Remittance = fmt.Sprintf("T%d-%d", round, j), "no reference" }),
				entryOf("2.00", func(e *bank.Entry) { e.Credit, e.EntryRef = false, fmt.Sprintf("D%d-%d", round, j) }))
		}
		a, b := overlap(rnd, all)
		sa, err := svc.Upload(ctx, "m1", "application/xml", camtOf(acct, a))
		if err != nil {
			t.Fatal(err)
		}
		sb, err := svc.Upload(ctx, "m1", "application/xml", camtOf(acct, b))
		if err != nil {
			t.Fatal(err)
		}
		q.take()
		var wg sync.WaitGroup
		for _, id := range []string{sa.ID, sb.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := svc.Process(ctx, "m1", id); err != nil {
					t.Errorf("process %s: %v", id, err)
				}
			}()
		}
		wg.Wait()
		checkOverlap(t, env, svc, round, links, len(all), sa, sb, len(a)+len(b))
	}
}

// overlap makes two files of all's entries: each entry in one or both,
// every entry in at least one, each file in its own order.
func overlap(rnd *rand.Rand, all []bank.Entry) ([]bank.Entry, []bank.Entry) {
	var a, b []bank.Entry
	for _, e := range all {
		switch rnd.IntN(3) {
		case 0:
			a = append(a, e)
		case 1:
			b = append(b, e)
		default:
			a, b = append(a, e), append(b, e)
		}
	}
	rnd.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	return a, b
}

// checkOverlap holds the round's two statements to reading every entry
// once between them.
func checkOverlap(t *testing.T, env *testenv.Env, svc *statements.Service, round int, links []*domain.Link, distinct int, sa, sb *store.Statement, total int) {
	t.Helper()
	var counted, firsts int
	for _, st := range []*store.Statement{sa, sb} {
		got, err := svc.Statement(ctx, "m1", st.ID)
		if err != nil || got.Status != store.StatementDone {
			t.Fatalf("round %d: statement %+v %v", round, got, err)
		}
		counted += got.Matched + got.Review + got.Ignored + got.Duplicates
		firsts += got.Matched + got.Review + got.Ignored
	}
	if counted != total || firsts != distinct {
		t.Fatalf("round %d: %d entries counted (want %d), %d read first (want %d distinct)", round, counted, total, firsts, distinct)
	}
	for _, l := range links {
		if n := eventsOf(t, env, l.ID, string(domain.EventFor(domain.StatusPaid))); n != 1 {
			t.Fatalf("round %d: link %s paid %d times", round, l.ID, n)
		}
	}
}
