package perf

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/compose/reconcile"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/objects"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/camtgen"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// statementAccount is the merchant's account the statements are of.
const statementAccount = "BE71096123456769"

// credit is entry i of a statement: a booked credit of amount (EUR) with
// the bank's own reference entryRef (the entry's identity), from payer
// i%977.
func credit(i int, amount, entryRef string) bank.Entry {
	return bank.Entry{Currency: "EUR", Amount: decimal.RequireFromString(amount), Credit: true, Booked: true, BookedOn: "2026-12-01",
		EntryRef: entryRef, Party: bank.Party{Name: payer(i), IBAN: "BE68539007547034"}}
}

// payer is the name of entry i's payer.
func payer(i int) string { return fmt.Sprintf("Payer %d", i%977) }

// debit is entry i of a statement: a booked debit of amount (EUR) with the
// bank's own reference entryRef, to no creditor named.
func debit(i int, amount, entryRef string) bank.Entry {
	e := credit(i, amount, entryRef)
	e.Credit, e.Party = false, bank.Party{}
	return e
}

// writeStatement writes a camt.053 statement of the merchant's account of
// n entries, entry(i) each, streaming (camtgen.Write).
func writeStatement(w io.Writer, n int, entry func(i int) bank.Entry) error {
	return camtgen.Write(w, statementAccount, n, entry)
}

// memQueue is the statements queue in memory: the continuations a
// statement queues when its time budget is spent.
type memQueue struct {
	mu   sync.Mutex
	msgs []statements.Message
}

func (q *memQueue) Send(_ context.Context, v any, _ time.Duration) error {
	m, ok := v.(statements.Message)
	if !ok {
		return fmt.Errorf("not a statements message: %T", v)
	}
	q.mu.Lock()
	q.msgs = append(q.msgs, m)
	q.mu.Unlock()
	return nil
}

func (q *memQueue) take() []statements.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.msgs
	q.msgs = nil
	return m
}

// reconcileRig is the reconcile worker as deployed (compose/reconcile's
// defaults: chunks of 256 entries, 8 at once, the function's time budget)
// over the harness's table and a bucket on moto's S3.
type reconcileRig struct {
	env *testenv.Env
	bkt *objects.Bucket
	q   *memQueue
	svc *statements.Service
	// peek reads the table through a client of its own, counted nowhere:
	// the checks' reads are not the worker's.
	peek *store.Store
	// redelivered counts messages handled again after a failure.
	redelivered int
}

func newReconcileRig(tb testing.TB, env *testenv.Env) *reconcileRig {
	tb.Helper()
	bkt := testenv.NewBucket(tb)
	q := &memQueue{}
	svc := &statements.Service{Store: env.Store, Files: bkt, Queue: q, MerchantExists: env.Store.MerchantExists, Bucket: bkt.Name, Log: quiet,
		Budget: reconcile.Budget()}
	peek := store.New(config.DynamoDB(testenv.AWSConfig(tb)), env.Table)
	return &reconcileRig{env: env, bkt: bkt, q: q, svc: svc, peek: peek}
}

// bankLinks makes n open links of the merchant offering bank_transfer,
// each with its RF reference and its marker (store.CreateLink, as the API
// makes them), 8 at once; link j is amount(j).
func (r *reconcileRig) bankLinks(tb testing.TB, n int, amount func(j int) string) []*domain.Link {
	tb.Helper()
	links := make([]*domain.Link, n)
	now := time.Now().UTC().Truncate(time.Millisecond)
	for j := range links {
		id := domain.NewID(domain.PrefixLink, now)
		code, err := testenv.CodeKey.NewCode(merchantID, id)
		if err != nil {
			tb.Fatal(err)
		}
		links[j] = &domain.Link{ID: id, Merchant: merchantID, Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", amount(j)),
			AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "Invoice", Language: "en", Origin: domain.OriginAPI,
			ExpiresAt: now.Add(30 * 24 * time.Hour), CreatedAt: now, UpdatedAt: now,
			PaymentMethods: []string{domain.MethodBankTransfer}, BankReference: reference.ForLink(id, 0, reference.RF)}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < n; j += 8 {
				l := links[j]
				if err := r.env.Store.CreateLink(context.Background(), store.NewLink{Link: l, Event: domain.NewEvent(l.ID, domain.EventCreated, "", domain.StatusCreated, now, nil)}); err != nil {
					errs <- fmt.Errorf("link %d: %w", j, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return links
}

// drop puts the statement file at drop/<merchant>/<name> and returns S3's
// record of its creation, as the notification carries it.
func (r *reconcileRig) drop(tb testing.TB, name string, file []byte) events.S3EventRecord {
	tb.Helper()
	key := statements.DropPrefix + merchantID + "/" + name
	if err := r.bkt.Put(context.Background(), key, file, "application/xml"); err != nil {
		tb.Fatal(err)
	}
	sum := md5.Sum(file)
	now := time.Now().UTC()
	return events.S3EventRecord{EventSource: "aws:s3", EventName: "ObjectCreated:Put", EventTime: now, AWSRegion: "us-east-1",
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: r.bkt.Name}, Object: events.S3Object{Key: key, Size: int64(len(file)), ETag: hex.EncodeToString(sum[:]),
			Sequencer: fmt.Sprintf("%016X", now.UnixNano())}}}
}

// maxReceives is how often the statements queue hands a message out
// before its DLQ takes it (spec: MaxReceiveCount 5).
const maxReceives = 5

// reconcile handles S3's notification of rec as the queue's consumer does,
// then the continuations it queued until none is left, and returns the
// statement as it ends. A message whose handling failed (the emulator
// answering too late on a busy machine) is handled again, as SQS hands it
// out again, at most maxReceives times in all; redelivered counts those.
func (r *reconcileRig) reconcile(tb testing.TB, rec events.S3EventRecord) *store.Statement {
	tb.Helper()
	ctx := context.Background()
	msgs := []statements.Message{{Records: []events.S3EventRecord{rec}}}
	for rounds := 0; len(msgs) > 0; rounds++ {
		if rounds > 100 {
			tb.Fatal("the statement never ends")
		}
		for _, m := range msgs {
			r.handle(tb, m)
		}
		msgs = r.q.take()
	}
	page, err := r.peek.ListStatements(ctx, merchantID, 1, "")
	if err != nil || len(page.Items) == 0 {
		tb.Fatalf("the statement of %s: %+v %v", rec.S3.Object.Key, page, err)
	}
	return &page.Items[0]
}

// handle handles m as the queue's consumer does, again after a failure
// (SQS's redelivery, after a pause) up to maxReceives times.
func (r *reconcileRig) handle(tb testing.TB, m statements.Message) {
	tb.Helper()
	for n := 1; ; n++ {
		err := r.svc.Handle(context.Background(), queue.Message[statements.Message]{Body: m, ReceiveCount: n})
		if err == nil {
			return
		}
		if n == maxReceives {
			tb.Fatalf("statement message %+v failed %d times: %v", m, n, err)
		}
		r.redelivered++
		tb.Logf("statement message handed out again (receive %d failed): %.300v", n, err)
		time.Sleep(time.Duration(n) * 2 * time.Second)
	}
}

// mix is the share of each kind of entry in the benchmark's statement
// (per 100 entries): credits naming an open link's reference with its
// amount (matched), credits naming a reference no link has, credits with
// only a text (both kept for review), the same entry again (duplicates),
// debits and pending credits (ignored).
var mix = []struct {
	kind  string
	share int
}{{"match", 25}, {"unknown-ref", 15}, {"text", 10}, {"duplicate", 20}, {"debit", 20}, {"pending", 10}}

// kindOf is entry i's kind, drawn from i by a fixed hash (the same file
// every run); entry 0 is never a duplicate.
func kindOf(i int) string {
	h := uint64(i)*0x9E3779B97F4A7C15 + 31
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	p := int(h % 100)
	for _, m := range mix {
		if p < m.share {
			if m.kind == "duplicate" && i == 0 {
				return "match"
			}
			return m.kind
		}
		p -= m.share
	}
	return "debit"
}

// sourceOf is the earlier entry a duplicate (entry i) reads again: the
// nearest one before i-i%7 that is no duplicate itself.
func sourceOf(i int) int {
	k := i - 1 - i%7
	for k > 0 && kindOf(k) == "duplicate" {
		k--
	}
	return max(k, 0)
}

// benchStatement is the benchmark's statement of n entries: its entries,
// the links they pay (matchOf: entry -> link index), and the outcomes
// expected.
type benchStatement struct {
	n       int
	matchOf map[int]int
	want    store.StatementCounts
}

func newBenchStatement(n int) *benchStatement {
	s := &benchStatement{n: n, matchOf: map[int]int{}}
	for i := 0; i < n; i++ {
		switch kindOf(i) {
		case "match":
			s.matchOf[i] = len(s.matchOf)
			s.want.Matched++
		case "unknown-ref", "text":
			s.want.Review++
		case "duplicate":
			if kindOf(sourceOf(i)) == "pending" {
				s.want.Ignored++ // a pending entry claims nothing: read again, it is ignored again
			} else {
				s.want.Duplicates++
			}
		default:
			s.want.Ignored++
		}
	}
	return s
}

func linkAmount(j int) string { return fmt.Sprintf("%d.%02d", 10+j%500, j%100) }

// entry is entry i of the statement, paying links (by index).
func (s *benchStatement) entry(links []*domain.Link) func(i int) bank.Entry {
	var one func(i int) bank.Entry
	one = func(i int) bank.Entry {
		e := credit(i, fmt.Sprintf("%d.%02d", 5+i%300, i%100), fmt.Sprintf("PERF%09d", i))
		switch kindOf(i) {
		case "match":
			j := s.matchOf[i]
			e.Amount, e.Reference, e.Remittance = decimal.RequireFromString(linkAmount(j)), links[j].BankReference, "invoice "+strconv.Itoa(j)
		case "unknown-ref":
			e.Reference = reference.ForLink(fmt.Sprintf("pl_%026d", i), 0, reference.RF) // no link has it
		case "text":
			e.Remittance = "order " + strconv.Itoa(i) + " thanks"
		case "duplicate": // an earlier entry read again (the same identity)
			d := one(sourceOf(i))
			if d.Credit { // named after its position, as credits are (its identity is its reference)
				d.Party.Name = payer(i)
			}
			return d
		case "debit":
			e.Credit, e.Party, e.Remittance = false, bank.Party{}, "supplier "+strconv.Itoa(i)
		case "pending":
			e.Booked = false
		}
		return e
	}
	return one
}

func benchEntries() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_RECONCILE_ENTRIES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// peakLimitMB is the reconcile worker's memory bound for the benchmark's
// statement (the function has 512 MB).
const peakLimitMB = 200

// BenchmarkReconcile reconciles one camt.053 of BENCH_RECONCILE_ENTRIES
// (100,000) entries dropped in the bucket (moto's S3), as the reconcile
// worker does (its S3 record, the function's time budget and the
// continuations it queues), against DynamoDB Local: a quarter of the
// entries pay links made with their references, the rest kept for review,
// duplicates or ignored (mix). It reports entries/s, the process's peak
// resident memory while reconciling (VmHWM, reset after the file is made
// and put) and the peak Go heap (sampled every 20 ms), both held under
// peakLimitMB, and the DynamoDB calls per entry, by API. Run with
// -benchtime 1x.
func BenchmarkReconcile(b *testing.B) {
	n := benchEntries()
	b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
		for it := 0; it < b.N; it++ {
			benchReconcileOnce(b, n)
		}
	})
}

func benchReconcileOnce(b *testing.B, n int) {
	b.StopTimer()
	env := testenv.New(b)
	env.Merchant(b, merchantID)
	r := newReconcileRig(b, env)
	st := newBenchStatement(n)
	links := r.bankLinks(b, len(st.matchOf), linkAmount)
	var file bytes.Buffer
	if err := writeStatement(&file, n, st.entry(links)); err != nil {
		b.Fatal(err)
	}
	size := file.Len()
	rec := r.drop(b, "perf.xml", file.Bytes())
	file = bytes.Buffer{}
	links = nil
	runtime.GC()
	debug.FreeOSMemory()
	resetPeak := resetHWM()
	mem := sampleHeap(20 * time.Millisecond)
	env.Count.Reset()
	start := time.Now()
	b.StartTimer()
	got := r.reconcile(b, rec)
	b.StopTimer()
	took := time.Since(start)
	heapMB := mem()
	rssMB, rssOK := hwmMB()
	if got.Status != store.StatementDone || got.Entries != n || got.Matched != st.want.Matched || got.Review != st.want.Review ||
		got.Duplicates != st.want.Duplicates || got.Ignored != st.want.Ignored {
		b.Errorf("statement %+v, want done, %d entries, %+v", got, n, st.want) // the figures below are reported all the same
	}
	calls := env.Count.Snapshot()
	totalCalls := 0
	for api, c := range calls {
		totalCalls += c
		b.ReportMetric(float64(c)/float64(n), api+"/entry")
	}
	b.ReportMetric(float64(n)/took.Seconds(), "entries/s")
	b.ReportMetric(float64(totalCalls)/float64(n), "ddb/entry")
	b.ReportMetric(heapMB, "peak-heap-MB")
	if rssOK && resetPeak == nil {
		b.ReportMetric(rssMB, "peak-rss-MB")
	} else {
		b.Logf("peak RSS not measured (%v): the sampled heap only", resetPeak)
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
	b.ReportMetric(float64(r.redelivered), "redelivered")
	b.Logf("%d entries (%.1f MB) in %v: %+v; DynamoDB calls %v", n, float64(size)/(1<<20), took.Round(time.Millisecond), st.want, calls)
	if heapMB > peakLimitMB || (rssOK && resetPeak == nil && rssMB > peakLimitMB) {
		b.Errorf("peak memory %.1f MB heap, %.1f MB resident: over %d MB", heapMB, rssMB, peakLimitMB)
	}
}

// resetHWM resets the process's peak resident set (VmHWM) to its current
// size (Linux: 5 into /proc/self/clear_refs).
func resetHWM() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// hwmMB is the process's peak resident set since it started or since
// resetHWM, in MB.
func hwmMB() (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.Atoi(f[1])
			return float64(kb) / 1024, err == nil
		}
	}
	return 0, false
}

// sampleHeap samples the Go heap in use every interval until the function
// it returns is called, which returns the peak in MB.
func sampleHeap(every time.Duration) func() float64 {
	stop := make(chan struct{})
	done := make(chan float64)
	go func() {
		peak := uint64(0)
		t := time.NewTicker(every)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse+ms.StackInuse)
			select {
			case <-stop:
				done <- float64(peak) / (1 << 20)
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(stop); return <-done }
}

// reconcileOp is one statement of per entries of one kind reconciled per
// run (its S3 record handled as the queue's consumer does), held to the
// round-trip budget: what a statement costs beyond its entries (the drop's
// merchant, the statement made, leased, validated, checkpointed, released)
// and per entry of the kind.
func reconcileOp(kind string, per int) op {
	return op{fmt.Sprintf("reconcile %d %s", per, kind), func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		r := newReconcileRig(tb, h.env)
		recs := make([]events.S3EventRecord, n)
		var seen []byte // the statement whose entries come again (duplicates)
		for i := range recs {
			entry := func(k int) bank.Entry {
				e := credit(k, "12.34", fmt.Sprintf("R%d-%d", i, k))
				e.Remittance = "order " + strconv.Itoa(k)
				return e
			}
			switch kind {
			case "matched credits":
				links := r.bankLinks(tb, per, func(int) string { return "12.34" })
				entry = func(k int) bank.Entry {
					e := credit(k, "12.34", fmt.Sprintf("R%d-%d", i, k))
					e.Reference = links[k].BankReference
					return e
				}
			case "credits naming no link":
				entry = func(k int) bank.Entry {
					e := credit(k, "12.34", fmt.Sprintf("R%d-%d", i, k))
					e.Reference = reference.ForLink(domain.NewID(domain.PrefixLink, time.Now()), 0, reference.RF)
					return e
				}
			case "duplicates":
				entry = func(k int) bank.Entry {
					e := credit(k, "12.34", fmt.Sprintf("D-%d", k))
					e.Remittance = "order " + strconv.Itoa(k)
					return e
				}
			case "debits":
				entry = func(k int) bank.Entry {
					e := debit(k, "12.34", fmt.Sprintf("R%d-%d", i, k))
					e.Remittance = "supplier " + strconv.Itoa(k)
					return e
				}
			}
			var file bytes.Buffer
			if err := writeStatement(&file, per, entry); err != nil {
				tb.Fatal(err)
			}
			if kind == "duplicates" && seen == nil {
				seen = file.Bytes()
				r.reconcile(tb, r.drop(tb, "first.xml", seen)) // the entries' first reading, not measured
			}
			recs[i] = r.drop(tb, fmt.Sprintf("s%d.xml", i), file.Bytes())
			time.Sleep(time.Millisecond) // each record its own time: its own statement
		}
		return func(tb testing.TB, i int) {
			st := r.reconcile(tb, recs[i])
			if st.Status != store.StatementDone || st.Entries != per {
				tb.Fatalf("%s: statement %+v", kind, st)
			}
		}
	}}
}

// reconcileOps are the statements' operations held to the budget.
var reconcileOps = []op{
	reconcileOp("matched credits", 50),
	reconcileOp("credits naming no link", 50),
	reconcileOp("duplicates", 50),
	reconcileOp("debits", 50),
}
