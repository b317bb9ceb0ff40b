package statements_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
)

var ctx = context.Background()

const acct = "BE68539007547034"

var clock = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

type rig struct {
	st    *fakeStore
	files *fakeFiles
	q     *fakeQueue
	svc   *statements.Service
}

func newRig() *rig {
	r := &rig{st: newFakeStore(), files: newFakeFiles(), q: &fakeQueue{}}
	var tick atomic.Int64 // each reading of the clock is 10 s later: a lease left by a dead worker runs out
	r.svc = &statements.Service{Store: r.st, Files: r.files, Queue: r.q, Bucket: "bkt",
		Now:            func() time.Time { return clock.Add(time.Duration(tick.Add(1)) * 10 * time.Second) },
		Log:            slog.New(slog.DiscardHandler),
		MerchantExists: func(_ context.Context, id string) (bool, error) { return id == "m1", nil }}
	return r
}

// link stores an open link of merchant m for amount (EUR) with its bank
// reference in format f, and returns it with the reference.
func (r *rig) link(m, amount string, f reference.Format) (*domain.Link, string) {
	l := &domain.Link{ID: domain.NewID(domain.PrefixLink, clock), Merchant: m, Status: domain.StatusCreated, Amount: money.MustParse("EUR", amount),
		ExpiresAt: clock.Add(24 * time.Hour), CreatedAt: clock}
	ref := reference.ForLink(l.ID, 0, f)
	r.st.addLink(l, ref)
	return l, ref
}

// drain handles every queued message, as the worker does, until none is left.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	for rounds := 0; ; rounds++ {
		msgs := r.q.take()
		if len(msgs) == 0 {
			return
		}
		if rounds > 10000 {
			t.Fatal("the queue never empties")
		}
		for _, m := range msgs {
			if err := r.svc.Handle(ctx, queue.Message[statements.Message]{Body: m}); err != nil {
				t.Fatalf("handle %+v: %v", m, err)
			}
		}
	}
}

func (r *rig) upload(t *testing.T, body []byte) *store.Statement {
	t.Helper()
	st, err := r.svc.Upload(ctx, "m1", "application/xml", body)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	r.drain(t)
	got, err := r.st.GetStatement(ctx, "m1", st.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (r *rig) entries(t *testing.T, id string) []store.StatementEntry {
	t.Helper()
	var out []store.StatementEntry
	cursor := ""
	for {
		page, err := r.svc.Entries(ctx, "m1", id, 7, cursor)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if cursor = page.Next; cursor == "" {
			return out
		}
	}
}

func entryOf(amount string, f func(*bank.Entry)) bank.Entry {
	e := bank.Entry{Account: acct, Currency: "EUR", Amount: decimal.RequireFromString(amount), Credit: true, Booked: true, BookedOn: "2026-12-01",
		Party: bank.Party{Name: "Jan Peeters", IBAN: "BE71096123456769"}}
	if f != nil {
		f(&e)
	}
	return e
}

// One statement of every kind of entry: each gets its outcome and reason,
// links are paid by their reference and exact amount wherever the bank put
// it, the rest is kept for review with the debtor and text, or ignored;
// the same file again changes nothing and counts every entry a duplicate.
func TestReconcileOutcomes(t *testing.T) {
	r := newRig()
	l1, rf := r.link("m1", "10.00", reference.RF)
	l2, ogm := r.link("m1", "20.00", reference.BEOGM)
	l3, ref3 := r.link("m1", "30.00", reference.RF)
	unknown, _ := reference.MakeRF("UNKNOWN1")
	printedOGM, _ := reference.PrintOGM(ogm)
	file := []bank.Entry{
		entryOf("10.00", func(e *bank.Entry) { e.Reference, e.EntryRef = rf, "A1" }),
		entryOf("20.00", func(e *bank.Entry) { e.Remittance, e.EntryRef = "order 7 "+printedOGM, "A2" }),
		entryOf("20.00", func(e *bank.Entry) { e.Remittance, e.EntryRef = printedOGM, "A3" }),
		entryOf("29.99", func(e *bank.Entry) { e.Reference, e.EntryRef = ref3, "A4" }),
		entryOf("7.00", func(e *bank.Entry) { e.Reference, e.EntryRef = unknown, "A5" }),
		entryOf("8.00", func(e *bank.Entry) { e.Remittance, e.EntryRef = "thanks", "A6" }),
		entryOf("5.00", func(e *bank.Entry) { e.Credit, e.EntryRef = false, "A7" }),
		entryOf("9.00", func(e *bank.Entry) { e.Booked, e.EntryRef, e.Reference = false, "A8", rf }),
		entryOf("10.00", func(e *bank.Entry) { e.Reference, e.EntryRef = rf, "A1" }), // the first again
		entryOf("10.00", func(e *bank.Entry) { e.Reference, e.EntryRef, e.Credit, e.Reversal = rf, "A9", false, true }),
		entryOf("4.00", func(e *bank.Entry) { e.Reference, e.EntryRef, e.Credit, e.Reversal = ref3, "A10", false, true }),
	}
	st := r.upload(t, camtOf(acct, file))
	if got := fmt.Sprintln(st.Status, st.Format, st.AccountIBAN, st.Entries, st.Matched, st.Review, st.Ignored, st.Duplicates); got != "done camt.053 "+acct+" 11 2 5 3 1\n" {
		t.Fatalf("statement %s", got)
	}
	want := []struct {
		outcome domain.EntryOutcome
		reason  string
		link    string
		review  bool
	}{
		{domain.EntryMatched, domain.ReasonPaid, l1.ID, false},
		{domain.EntryMatched, domain.ReasonPaid, l2.ID, false},
		{domain.EntryReview, domain.ReasonSecond, l2.ID, true},
		{domain.EntryReview, domain.ReasonMismatched, l3.ID, true},
		{domain.EntryReview, domain.ReasonUnknownRef, "", true},
		{domain.EntryReview, domain.ReasonNoReference, "", true},
		{domain.EntryIgnored, domain.ReasonDebit, "", false},
		{domain.EntryIgnored, domain.ReasonNotBooked, "", false},
		{domain.EntryDuplicate, domain.ReasonSeenBefore, "", false},
		{domain.EntryReview, domain.ReasonReversal, l1.ID, true},
		{domain.EntryIgnored, domain.ReasonReversal, "", false},
	}
	got := r.entries(t, st.ID)
	var lines, wants []string
	for i, w := range want {
		debtor := " BE71096123456769"
		if w.outcome == domain.EntryDuplicate {
			debtor = "" // a duplicate's record keeps nothing of the payer
		}
		wants = append(wants, fmt.Sprintf("%d %s %s %s %v EUR 2026-12-01%s", i, w.outcome, w.reason, w.link, w.review, debtor))
	}
	for _, e := range got {
		lines = append(lines, strings.TrimSpace(fmt.Sprintf("%d %s %s %s %v %s %s %s", e.Index, e.Outcome, e.Reason, e.LinkID, e.ReviewID != "", e.Currency, e.BookedOn, e.DebtorIBAN)))
	}
	if strings.Join(lines, "\n") != strings.Join(wants, "\n") {
		t.Fatalf("entries\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wants, "\n"))
	}
	if refs := fmt.Sprintln(got[0].Reference, got[1].Reference, got[4].Reference, got[5].Reference == ""); refs != fmt.Sprintln(rf, ogm, unknown, true) {
		t.Errorf("references %s", refs)
	}
	r.checkPaid(t, map[string]domain.Status{l1.ID: domain.StatusPaid, l2.ID: domain.StatusPaid, l3.ID: domain.StatusCreated})
	p, _ := r.st.GetReviewPayment(ctx, "m1", got[5].ReviewID)
	if p.PSP != "bank" || p.Kind != store.ReviewUnmatched || p.Debtor == nil || p.Debtor.Name != "Jan Peeters" || p.Remittance != "thanks" || p.Amount.String() != "8.00" {
		t.Errorf("review payment %+v", p)
	}
	if p, _ := r.st.GetReviewPayment(ctx, "m1", got[9].ReviewID); p.Kind != domain.ReviewReversal || p.LinkID != l1.ID {
		t.Errorf("reversal %+v", p)
	}
	r.sameFileAgain(t, file)
}

// checkPaid holds links to their statuses, each paid by the bank once.
func (r *rig) checkPaid(t *testing.T, want map[string]domain.Status) {
	t.Helper()
	for id, st := range want {
		now, _ := r.st.Get(ctx, "m1", id)
		paid := r.st.paid[k("m1", id)]
		if now.Status != st || (st == domain.StatusPaid) != (paid == 1 && now.PSP == domain.ProviderBank) {
			t.Errorf("link %s: %s by %q, %d payments; want %s", id, now.Status, now.PSP, paid, st)
		}
	}
}

// sameFileAgain uploads file again: every booked entry a duplicate, every
// entry not booked ignored again, nothing kept.
func (r *rig) sameFileAgain(t *testing.T, file []bank.Entry) {
	t.Helper()
	reviews := len(r.st.reviews)
	pending := 0
	for _, e := range file {
		if !e.Booked {
			pending++
		}
	}
	again := r.upload(t, camtOf(acct, file))
	if again.Status != store.StatementDone || again.Duplicates != len(file)-pending || again.Ignored != pending || again.Matched+again.Review != 0 || len(r.st.reviews) != reviews {
		t.Fatalf("the same file again: %+v, %d review payments (%d before)", again, len(r.st.reviews), reviews)
	}
	for _, e := range r.entries(t, again.ID) {
		want := domain.EntryDuplicate
		if !file[e.Index].Booked {
			want = domain.EntryIgnored
		}
		if e.Outcome != want {
			t.Fatalf("entry %d of the same file again: %s, want %s", e.Index, e.Outcome, want)
		}
	}
}

// A file that fails to read anywhere, even after many good entries, is
// failed with the reader's error and applies nothing at all.
func TestFailedFileAppliesNothing(t *testing.T) {
	r := newRig()
	l, rf := r.link("m1", "10.00", reference.RF)
	good := camtOf(acct, []bank.Entry{entryOf("10.00", func(e *bank.Entry) { e.Reference = rf })})
	broken := strings.Replace(string(good), "</Stmt>", "<Ntry><Amt Ccy=\"EUR\">ten</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts></Ntry></Stmt>", 1)
	st := r.upload(t, []byte(broken))
	if st.Status != store.StatementFailed || !strings.Contains(st.Error, "entry 2") || st.Next != 0 {
		t.Fatalf("statement %+v", st)
	}
	if now, _ := r.st.Get(ctx, "m1", l.ID); now.Status != domain.StatusCreated || len(r.st.claims) != 0 || r.st.recorded != 0 {
		t.Fatalf("applied from a failed file: link %s, %d claims, %d records", now.Status, len(r.st.claims), r.st.recorded)
	}
	// A failed statement stays failed.
	if err := r.svc.Process(ctx, "m1", st.ID); err != nil {
		t.Fatal(err)
	}
}

// Uploads: the content type names the format (415 for another type, a
// body of another format is a field error on file); when the file cannot
// be kept or queued the statement is failed and the error returned.
func TestUpload(t *testing.T) {
	r := newRig()
	camt := camtOf(acct, []bank.Entry{entryOf("1.00", nil)})
	coda := []byte(fmt.Sprintf("%-127s2\n", "0000002122672505        00000000  PAYLINKS DEMO             GKCCBEBB   00000000000 00000"))
	for _, c := range []struct {
		ct   string
		body []byte
		want error
	}{
		{"application/json", camt, statements.ErrContentType},
		{"", camt, statements.ErrContentType},
		{"text/plain", camt, domain.FieldErrors{}},
		{"application/xml", coda, domain.FieldErrors{}},
		{"application/xml", []byte("<Document><Other/></Document>"), domain.FieldErrors{}},
		{"application/xml", make([]byte, statements.MaxUpload+1), statements.ErrTooLarge},
	} {
		_, err := r.svc.Upload(ctx, "m1", c.ct, c.body)
		var fe domain.FieldErrors
		if _, isField := c.want.(domain.FieldErrors); isField {
			if !errors.As(err, &fe) || fe[0].Field != "file" {
				t.Errorf("%s: %v, want a field error on file", c.ct, err)
			}
		} else if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.ct, err, c.want)
		}
	}
	if st, err := r.svc.Upload(ctx, "m1", "text/plain; charset=iso-8859-1", coda); err != nil || st.Format != bank.FormatCODA {
		t.Fatalf("a CODA file: %+v %v", st, err)
	}
	r.q.take()
	r.files.fail = errors.New("S3 refused")
	if _, err := r.svc.Upload(ctx, "m1", "application/xml", camt); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("kept nowhere: %v", err)
	}
	r.files.fail, r.q.fail = nil, errors.New("SQS is down")
	if _, err := r.svc.Upload(ctx, "m1", "application/xml", camt); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("queued nowhere: %v", err)
	}
	page, _ := r.svc.Statements(ctx, "m1", 10, "")
	failed := 0
	for _, st := range page.Items {
		if st.Status == store.StatementFailed {
			failed++
		}
	}
	if len(page.Items) != 3 || failed != 2 {
		t.Fatalf("statements %+v", page.Items)
	}
}

// A file dropped in the bucket becomes one statement however often S3
// notifies it, and is processed; drops of an unknown merchant, outside
// drop/ or from another bucket make nothing, nor does S3's test event.
func TestDrop(t *testing.T) {
	r := newRig()
	l, rf := r.link("m1", "10.00", reference.RF)
	r.files.files["drop/m1/december statement.xml"] = camtOf(acct, []bank.Entry{entryOf("10.00", func(e *bank.Entry) { e.Reference = rf })})
	r.files.files["drop/m9/x.xml"] = r.files.files["drop/m1/december statement.xml"]
	body := func(bucket, key, seq string) string {
		return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-12-02T08:00:00.000Z","eventName":"ObjectCreated:Put",
			"s3":{"bucket":{"name":%q},"object":{"key":%q,"size":100,"eTag":"abc","sequencer":%q}}}]}`, bucket, key, seq)
	}
	h := queue.Typed(r.svc.Handle)
	for _, b := range []string{
		body("bkt", "drop/m1/december+statement.xml", "01"),
		body("bkt", "drop/m1/december+statement.xml", "01"), // delivered twice
		body("bkt", "drop/m9/x.xml", "02"),
		body("other", "drop/m1/december+statement.xml", "03"),
		body("bkt", "statements/m1/x", "04"),
		`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-12-02T08:00:00.000Z","Bucket":"bkt"}`,
	} {
		if err := h(ctx, sqsMessage(b)); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	page, _ := r.svc.Statements(ctx, "m1", 10, "")
	if len(page.Items) != 1 || page.Items[0].Status != store.StatementDone || page.Items[0].Matched != 1 || page.Items[0].Source != statements.SourceDrop {
		t.Fatalf("statements %+v", page.Items)
	}
	if now, _ := r.st.Get(ctx, "m1", l.ID); now.Status != domain.StatusPaid {
		t.Fatalf("link %s", now.Status)
	}
	if err := h(ctx, sqsMessage(`{"merchant":"m1"}`)); !errors.Is(err, queue.ErrPermanent) {
		t.Fatalf("a malformed message: %v", err)
	}
}

func sqsMessage(body string) events.SQSMessage {
	return events.SQSMessage{MessageId: "msg", Body: body, Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}
