package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/devkit/streamlocal"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// eraseRace is the service with a merchant whose endpoint is rcv, the
// table's stream followed by a reader of its own; no queue consumers until
// the test starts them (so what is sent is sent after every erasure).
type eraseRace struct {
	env  *testenv.Env
	srv  *testenv.Server
	key  string
	live *streamFollower
}

// streamFollower hands the stream's new records to the handler, as the
// deployed event source mapping does, until stopped.
type streamFollower struct {
	mu     sync.Mutex
	reader *streamlocal.Reader
}

// eraseRound is one generated case: a customer, its links, and what runs
// while the customer is erased.
type eraseRound struct {
	n       int
	rng     *rand.Rand
	id      string
	needles []string // the person's name and e-mail (lower case)
	links   map[string]string
	erasing time.Duration // how long the erasure took
}

// TestEraseIsFinalUnderAnyInterleaving: clicks and payments on a
// customer's links run while the customer is erased and the table's stream
// is handled; then every stream record of those links is handled again,
// late, in a shuffled order, some twice, in batches of random sizes. After
// each round nothing in the table holds the person's name or e-mail (no
// delivery, no link), and every webhook sent afterwards is free of it.
// Rounds are generated from a seed (PAYLINKS_ERASE_SEED, logged): 3 of
// them (20 with PAYLINKS_SOAK=1), or PAYLINKS_ERASE_ROUNDS.
func TestEraseIsFinalUnderAnyInterleaving(t *testing.T) {
	seedN := envInt(t, "PAYLINKS_ERASE_SEED", uint64(time.Now().UnixNano()))
	defRounds := uint64(3) // beside the browser tests on 2 cores; PAYLINKS_SOAK=1 runs more
	if testenv.Soak() {
		defRounds = 20
	}
	rounds := int(envInt(t, "PAYLINKS_ERASE_ROUNDS", defRounds))
	t.Logf("seed %d, %d rounds (PAYLINKS_ERASE_SEED=%d reproduces the cases)", seedN, rounds, seedN)
	rcv := newReceiver(t, nil)
	testenv.NeedStream(t)
	env := testenv.New(t)
	m := seed.Demo("erase")
	m.WebhookURL = rcv.URL + "/h"
	key := env.MerchantWith(t, m)
	retries := make([]time.Duration, 30) // an attempt that failed under load is tried again soon
	for i := range retries {
		retries[i] = time.Second
	}
	srv := env.ServeWith(t, func(o *service.Options) {
		o.AllowLoopbackWebhooks, o.MerchantTTL, o.WebhookSchedule = true, time.Millisecond, retries
		o.Deadline = time.Minute // an erasure reads every link's deliveries: slow on a busy emulator
	})
	x := &eraseRace{env: env, srv: srv, key: key, live: &streamFollower{reader: env.StreamReader()}}
	var all []string
	made, scrubbed := 0, 0
	for r := 0; r < rounds; r++ {
		start := time.Now()
		rd := x.newRound(t, r, rand.New(rand.NewPCG(seedN, uint64(r))))
		x.race(t, rd)
		raced := time.Since(start)
		x.replayLate(t, rd)
		n := x.checkNothingLeft(t, rd)
		s := x.scrubbedBy(t, rd.id)
		t.Logf("round %d: %d links, %d deliveries, %d of them scrubbed by the erasure (erasure %v, race %v, round %v)",
			r, len(rd.links), n, s, rd.erasing.Round(time.Millisecond), raced.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		made, scrubbed = made+n, scrubbed+s
		all = append(all, rd.needles...)
		if t.Failed() {
			t.Fatalf("round %d (seed %d) left the person's data behind", r, seedN)
		}
	}
	if made == 0 || scrubbed == 0 {
		t.Fatalf("%d deliveries made, %d scrubbed by an erasure: the rounds did not test the race", made, scrubbed)
	}
	testenv.Figure(t, "erasure races: %d rounds, %d deliveries (%d scrubbed by the erasure, the others made from the erased state), none with the person's data", rounds, made, scrubbed)
	// Every delivery is sent now, after every erasure: none carries a
	// person's data.
	sending := time.Now()
	srv.Consume(t)
	defer func() { t.Logf("sent in %v", time.Since(sending).Round(time.Millisecond)) }()
	for end := time.Now().Add(180 * time.Second); len(rcv.delivered()) < made; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d of %d deliveries sent; statuses: %v", len(rcv.delivered()), made, deliveryStatuses(t, env))
		}
	}
	for _, got := range rcv.all() {
		for _, n := range all {
			if strings.Contains(strings.ToLower(got.Body), n) {
				t.Errorf("a webhook sent after the erasure holds %q: %.400s", n, got.Body)
			}
		}
	}
}

func envInt(t *testing.T, name string, def uint64) uint64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// newRound makes a customer with a generated name and e-mail, and 2 to 5
// links for it, some of them opened already.
func (x *eraseRace) newRound(t *testing.T, n int, rng *rand.Rand) *eraseRound {
	t.Helper()
	word := func() string {
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	first, last, mailbox := "Q"+word(), "Z"+word(), "x"+word()
	email := mailbox + "@erase.example"
	rd := &eraseRound{n: n, rng: rng, links: map[string]string{}, needles: []string{strings.ToLower(first), strings.ToLower(last), mailbox}}
	st, _, raw := call(t, "POST", x.srv.URL+"/v1/customers", x.key, `{"first_name":"`+first+`","last_name":"`+last+`","email":"`+email+`"}`, nil, true)
	if st != 201 {
		t.Fatalf("customer: %d %s", st, raw)
	}
	rd.id = decode(t, raw)["id"].(string)
	for i := 2 + rng.IntN(4); i > 0; i-- {
		st, _, raw := call(t, "POST", x.srv.URL+"/v1/payment-links", x.key, `{"amount":{"currency":"EUR","value":"5.00"},"description":"Round `+strconv.Itoa(n)+`","customer_id":"`+rd.id+`"}`, nil, true)
		if st != 201 {
			t.Fatalf("link: %d %s", st, raw)
		}
		l := decode(t, raw)
		u := l["url"].(string)
		rd.links[l["id"].(string)] = u[strings.LastIndex(u, "/")+1:]
		if rng.IntN(2) == 0 {
			if _, _, err := links.Click(t.Context(), x.env.Store, rd.links[l["id"].(string)], time.Now()); err != nil {
				t.Fatalf("click: %v", err)
			}
		}
	}
	return rd
}

// race runs 2 to 5 workers clicking, paying and declining the round's
// links at random, the stream follower (reading every 1 to 30 ms), and the
// erasure, which starts once the workers made a random number of their
// changes (none, some, all), after a random pause.
func (x *eraseRace) race(t *testing.T, rd *eraseRound) {
	t.Helper()
	ids := make([]string, 0, len(rd.links))
	for id := range rd.links {
		ids = append(ids, id)
	}
	if rd.rng.IntN(2) == 0 { // the deliveries of the links' first events made before the race, or during it
		if err := x.live.follow(x.srv.Service.Stream.Handle, closed, 0); err != nil {
			t.Fatalf("stream: %v", err)
		}
	}
	stop := make(chan struct{})
	followed := make(chan error, 1)
	every := time.Duration(1+rd.rng.IntN(30)) * time.Millisecond
	go func() { followed <- x.live.follow(x.srv.Service.Stream.Handle, stop, every) }()

	counts := make([]int, 2+rd.rng.IntN(4))
	total := 0
	for w := range counts {
		counts[w] = 3 + rd.rng.IntN(6)
		total += counts[w]
	}
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(counts))
	for w, n := range counts {
		rng := rand.New(rand.NewPCG(rd.rng.Uint64(), uint64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- x.work(rng, n, ids, rd.links, &done)
		}()
	}
	after := int64(rd.rng.IntN(total + 1))
	pause := time.Duration(rd.rng.IntN(5000)) * time.Microsecond
	eraseStatus := make(chan string, 1)
	go func() {
		for done.Load() < after {
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(pause)
		t0 := time.Now()
		st := x.eraseUntilAnswered(rd.id)
		rd.erasing = time.Since(t0)
		eraseStatus <- st
	}()
	wg.Wait()
	st := <-eraseStatus
	close(stop)
	if err := <-followed; err != nil {
		t.Fatalf("stream: %v", err)
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("round %d: %v", rd.n, err)
		}
	}
	if !strings.HasPrefix(st, "200 ") {
		t.Fatalf("round %d: erase answered %s", rd.n, st)
	}
}

// work makes n changes to random links, 0 to 10 ms apart: a click, a
// payment, a decline; done counts them.
func (x *eraseRace) work(rng *rand.Rand, n int, ids []string, codes map[string]string, done *atomic.Int64) error {
	ctx := context.Background()
	amount := money.MustParse("EUR", "5.00")
	for ; n > 0; n-- {
		time.Sleep(time.Duration(rng.IntN(10000)) * time.Microsecond)
		id := ids[rng.IntN(len(ids))]
		now := time.Now()
		var err error
		switch rng.IntN(3) {
		case 0:
			_, _, err = links.Click(ctx, x.env.Store, codes[id], now)
		case 1:
			_, err = links.ApplyPayment(ctx, x.env.Store, "erase", "sandbox", domain.PaymentEvent{ID: "evt_" + strconv.FormatUint(rng.Uint64(), 36),
				Kind: domain.PaymentSucceeded, LinkID: id, PaymentRef: "pay_" + strconv.FormatUint(rng.Uint64(), 36), Amount: &amount, At: now}, now)
		default:
			_, err = links.ApplyPayment(ctx, x.env.Store, "erase", "sandbox", domain.PaymentEvent{ID: "evt_" + strconv.FormatUint(rng.Uint64(), 36),
				Kind: domain.PaymentFailed, LinkID: id, FailureReason: "card declined", At: now}, now)
		}
		if err != nil && !errors.Is(err, domain.ErrConflict) {
			return fmt.Errorf("change of %s: %w", id, err)
		}
		done.Add(1)
	}
	return nil
}

// eraseUntilAnswered erases customer id; a 503 (the emulator slow under
// load) is retried, as a client does: erasing again finishes the job.
func (x *eraseRace) eraseUntilAnswered(id string) string {
	st := x.erase(id)
	for try := 0; strings.HasPrefix(st, "503 ") && try < 5; try++ {
		time.Sleep(time.Second)
		st = x.erase(id)
	}
	return st
}

// erase is POST /v1/customers/{id}/erase; its status and body.
func (x *eraseRace) erase(id string) string {
	req, _ := http.NewRequest("POST", x.srv.URL+"/v1/customers/"+id+"/erase", nil)
	req.Header.Set("Authorization", "Bearer "+x.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strconv.Itoa(resp.StatusCode) + " " + string(b)
}

// closed stops a follower at once (after one reading).
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// follow hands the stream's new records over every interval until stop,
// then once more.
func (f *streamFollower) follow(h streamlocal.Handler, stop <-chan struct{}, every time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		select {
		case <-stop:
			_, err := f.reader.Once(context.Background(), h)
			return err
		default:
		}
		if _, err := f.reader.Once(context.Background(), h); err != nil {
			return err
		}
		time.Sleep(every)
	}
}

// replayLate reads the whole stream again and hands the round's records
// over twice, late: shuffled, about one in five twice more, in batches of 1
// to 8 (a batch that fails is handed over again from the failed record).
func (x *eraseRace) replayLate(t *testing.T, rd *eraseRound) {
	t.Helper()
	var recs []outbound.Record
	if _, err := x.env.StreamReader().Once(t.Context(), func(_ context.Context, batch []outbound.Record) string {
		for _, r := range batch {
			if x.ofRound(rd, r) {
				recs = append(recs, r)
			}
		}
		return ""
	}); err != nil {
		t.Fatalf("read the stream: %v", err)
	}
	if len(recs) == 0 {
		t.Fatalf("round %d: no stream record of its links", rd.n)
	}
	for pass := 0; pass < 2; pass++ {
		order := append([]outbound.Record(nil), recs...)
		for _, r := range recs {
			if rd.rng.IntN(5) == 0 {
				order = append(order, r)
			}
		}
		rd.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for len(order) > 0 {
			n := min(len(order), 1+rd.rng.IntN(8))
			batch := order[:n]
			for tries := 0; len(batch) > 0; tries++ {
				failed := x.srv.Service.Stream.Handle(t.Context(), batch)
				if failed == "" {
					break
				}
				if tries > 20 {
					t.Fatalf("record %s keeps failing", failed)
				}
				for i := range batch {
					if batch[i].Sequence == failed {
						batch = batch[i:]
						break
					}
				}
			}
			order = order[n:]
		}
	}
}

// ofRound reports a record of one of the round's links.
func (x *eraseRace) ofRound(rd *eraseRound, r outbound.Record) bool {
	img := r.New
	if img == nil {
		img = r.Old
	}
	l, isLink, err := store.LinkFromImage(img)
	if err != nil || !isLink {
		return false
	}
	_, ok := rd.links[l.ID]
	return ok
}

// checkNothingLeft: no item of the table holds the round's person's name
// or e-mail. It returns the number of deliveries of the round's links.
func (x *eraseRace) checkNothingLeft(t *testing.T, rd *eraseRound) int {
	t.Helper()
	made := 0
	for _, it := range scanTable(t, x.env) {
		low := strings.ToLower(it)
		for _, n := range rd.needles {
			if strings.Contains(low, n) {
				t.Errorf("round %d: %q is still in the table after the erasure: %.500s", rd.n, n, it)
			}
		}
		if strings.Contains(it, `"type":"webhook_delivery"`) {
			for id := range rd.links {
				if strings.Contains(it, `"link_id":"`+id+`"`) {
					made++
				}
			}
		}
	}
	return made
}

// deliveryStatuses counts the table's deliveries by status.
func deliveryStatuses(t *testing.T, env *testenv.Env) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, it := range scanTable(t, env) {
		if strings.Contains(it, `"type":"webhook_delivery"`) {
			for _, st := range []string{store.DeliveryPending, store.DeliverySucceeded, store.DeliveryFailed} {
				if strings.Contains(it, `"status":"`+st+`"`) {
					out[st]++
				}
				if st == store.DeliveryPending && strings.Contains(it, `"status":"`+st+`"`) {
					t.Logf("pending: %.300s", it[strings.Index(it, `"attempt`):])
				}
			}
		}
	}
	return out
}

// scrubbedBy is the number of deliveries the erasures of customer id
// scrubbed (the audit log's customer.erased entries).
func (x *eraseRace) scrubbedBy(t *testing.T, id string) int {
	t.Helper()
	st, _, raw := call(t, "GET", x.srv.URL+"/v1/audit-log?resource="+id+"&limit=50", x.key, "", nil, true)
	if st != 200 {
		t.Fatalf("audit log: %d %s", st, raw)
	}
	n := 0
	for _, e := range decode(t, raw)["data"].([]any) {
		entry := e.(map[string]any)
		if after, ok := entry["after"].(map[string]any); ok && entry["action"] == "customer.erased" {
			d, _ := after["webhook_deliveries"].(float64)
			n += int(d)
		}
	}
	return n
}
