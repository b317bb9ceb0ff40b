package statements_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/faults"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// dynamoRig is the service over DynamoDB Local and moto's S3, its queue
// in memory.
func dynamoRig(t *testing.T) (*testenv.Env, *statements.Service, *fakeQueue) {
	env := testenv.New(t)
	bkt := testenv.NewBucket(t)
	q := &fakeQueue{}
	svc := &statements.Service{Store: env.Store, Files: bkt, Queue: q, Bucket: bkt.Name, Log: slog.New(slog.DiscardHandler), Chunk: 7, Workers: 4,
		MerchantExists: env.Store.MerchantExists}
	return env, svc, q
}

// bankLink makes an open link of merchant m with its bank reference, as
// the link service does, and returns it.
func bankLink(t *testing.T, env *testenv.Env, m, amount string, f reference.Format) *domain.Link {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := domain.NewID(domain.PrefixLink, now)
	code, err := testenv.CodeKey.NewCode(m, id)
	if err != nil {
		t.Fatal(err)
	}
	l := &domain.Link{ID: id, Merchant: m, Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", amount), AmountRefunded: money.Zero("EUR"),
		Description: "Invoice", Language: "en", Origin: domain.OriginAPI, ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now, UpdatedAt: now,
		PaymentMethods: []string{domain.MethodBankTransfer}, BankReference: reference.ForLink(id, 0, f)}
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: domain.NewEvent(id, domain.EventCreated, "", domain.StatusCreated, now, nil)}); err != nil {
		t.Fatal(err)
	}
	return l
}

// drainAll handles the queued messages until none is left.
func drainAll(t *testing.T, svc *statements.Service, q *fakeQueue) {
	t.Helper()
	for rounds := 0; rounds < 1000; rounds++ {
		msgs := q.take()
		if len(msgs) == 0 {
			return
		}
		for _, m := range msgs {
			if err := svc.Handle(ctx, queue.Message[statements.Message]{Body: m}); err != nil {
				t.Fatalf("handle %+v: %v", m, err)
			}
		}
	}
	t.Fatal("the queue never empties")
}

// On DynamoDB Local and S3 (moto): a statement pays its links (a
// reference in Strd, an OGM in the text), keeps the rest for review, and
// the same file again is all duplicates; the links' timelines carry the
// bank's payment.
func TestReconcileOnDynamoDB(t *testing.T) {
	env, svc, q := dynamoRig(t)
	l1, l2 := bankLink(t, env, "m1", "10.00", reference.RF), bankLink(t, env, "m1", "20.00", reference.BEOGM)
	printed, _ := reference.Print(l2.BankReference)
	file := camtOf(acct, []bank.Entry{
		entryOf("10.00", func(e *bank.Entry) { e.Reference, e.EntryRef = l1.BankReference, "D1" }),
		entryOf("20.00", func(e *bank.Entry) { e.Remittance, e.EntryRef = "thanks "+printed, "D2" }),
		entryOf("20.01", func(e *bank.Entry) { e.Reference, e.EntryRef = l2.BankReference, "D3" }),
		entryOf("3.00", func(e *bank.Entry) { e.Remittance, e.EntryRef = "gift", "D4" }),
		entryOf("3.00", func(e *bank.Entry) { e.Credit, e.EntryRef = false, "D5" }),
	})
	up := func() *store.Statement { return upload(t, svc, q, file) }
	first := up()
	if got := fmt.Sprintln(first.Status, first.Format, first.Entries, first.Matched, first.Review, first.Ignored, first.Duplicates); got != "done camt.053 5 2 2 1 0\n" {
		t.Fatalf("statement %s", got)
	}
	for _, l := range []*domain.Link{l1, l2} {
		got, err := env.Store.Get(ctx, "m1", l.ID)
		if err != nil || got.Status != domain.StatusPaid || got.PSP != domain.ProviderBank {
			t.Fatalf("link %+v %v", got, err)
		}
		evs, err := env.Store.Events(ctx, "m1", l.ID)
		if err != nil || len(evs) < 2 || evs[1].Type != domain.EventFor(domain.StatusPaid) || evs[1].Data["psp"] != "bank" {
			t.Fatalf("timeline %+v %v", evs, err)
		}
	}
	second := up()
	if second.Duplicates != 5 || second.Matched+second.Review+second.Ignored != 0 {
		t.Fatalf("the same file again %+v", second)
	}
	page, err := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{Limit: 10})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("review %+v %v", page, err)
	}
}

// On DynamoDB Local with one in sixteen writes of entries failing (40%
// of the attempts, past the SDK's own retries: connection resets), a
// statement processed again and again until done ends as one clean run:
// every link paid once, every entry counted once.
func TestReconcileUnderFaults(t *testing.T) {
	env, svc, q := dynamoRig(t)
	var ls []*domain.Link
	var entries []bank.Entry
	for j := 0; j < 3; j++ {
		l := bankLink(t, env, "m1", fmt.Sprintf("%d.50", 10+j), []reference.Format{reference.RF, reference.BEOGM}[j%2])
		ls = append(ls, l)
		entries = append(entries,
			entryOf(l.Amount.String(), func(e *bank.Entry) { e.Reference, e.EntryRef = l.BankReference, fmt.Sprintf("F%d", j) }),
			entryOf("1.00", func(e *bank.Entry) { e.EntryRef, e.Remittance = fmt.Sprintf("G%d", j), "no reference" }),
			entryOf("2.00", func(e *bank.Entry) { e.Credit, e.EntryRef = false, fmt.Sprintf("H%d", j) }))
	}
	st, err := svc.Upload(ctx, "m1", "application/xml", camtOf(acct, entries))
	if err != nil {
		t.Fatal(err)
	}
	q.take()
	env.Faults.Set(faults.Rule{Name: "reset", Rate: 0.4, Err: faults.ConnectionReset, Ops: []string{"PutItem", "TransactWriteItems", "BatchWriteItem", "BatchGetItem"}})
	failures := 0
	for tries := 0; ; tries++ {
		if tries == 200 {
			t.Fatal("never done")
		}
		if err := svc.Process(ctx, "m1", st.ID); err != nil {
			failures++
			continue
		}
		got, _ := env.Store.GetStatement(ctx, "m1", st.ID)
		if got != nil && got.Status == store.StatementDone {
			break
		}
	}
	env.Faults.Set()
	got, _ := env.Store.GetStatement(ctx, "m1", st.ID)
	if got.Matched != 3 || got.Review != 3 || got.Ignored != 3 || got.Duplicates != 0 {
		t.Fatalf("statement %+v", got)
	}
	for _, l := range ls {
		evs, _ := env.Store.Events(ctx, "m1", l.ID)
		if len(evs) != 2 {
			t.Fatalf("link %s: %d events", l.ID, len(evs))
		}
	}
	t.Logf("figure: 9 entries done after %d failed runs (%v injected failures)", failures, env.Faults.Injected())
}
