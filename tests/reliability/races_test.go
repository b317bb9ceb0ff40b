// Package reliability holds the cross-cutting suites: races on one link
// against the status machine's invariants, every SQS consumer fed
// duplicated and reordered messages, and faults injected into the AWS SDK
// and the PSP. Each records its figures (testenv.Figure).
package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
	"github.com/paylinks/paylinks/shared/webhook"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func sqsMsg(id string, v any) events.SQSMessage {
	b, _ := json.Marshal(v)
	return events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: string(b), Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

// newOpenLink writes a link expiring at exp, opened (attempt 1) when clicked.
func newOpenLink(t testing.TB, st *store.Store, merchant string, exp time.Time, clicked bool) *domain.Link {
	t.Helper()
	now := time.Now().UTC()
	id := domain.NewID(domain.PrefixLink, now)
	code, _ := testenv.CodeKey.NewCode(merchant, id)
	l := &domain.Link{ID: id, Merchant: merchant, Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", "40.00"),
		AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "race", Language: "en", Origin: domain.OriginAPI,
		Customer: domain.Customer{CompanyName: "Race BV", Email: "race@example.com"}, ExpiresAt: exp.Truncate(time.Millisecond), CreatedAt: now, UpdatedAt: now}
	if err := st.CreateLink(context.Background(), store.NewLink{Link: l, Event: domain.NewEvent(id, domain.EventCreated, "", domain.StatusCreated, now, nil)}); err != nil {
		t.Fatal(err)
	}
	if clicked {
		cur, _ := st.Get(context.Background(), merchant, id)
		next := domain.Open(cur, now)
		if err := st.Transition(context.Background(), cur, next, domain.NewEvent(id, domain.EventClicked, cur.Status, domain.StatusClicked, now, nil)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestRacesKeepTheStatusMachine runs pay, decline, expire, click and refund
// at once on one link, many times, and checks after each round: a payment
// the apply consumer accepted is never lost (the link ends paid); the
// timeline replays through allowed transitions to the link's status, with
// one created event and at most one paid or expired; refunds exist only on
// paid links and never exceed the payment.
func TestRacesKeepTheStatusMachine(t *testing.T) {
	rounds := 40
	if testenv.Soak() {
		rounds = 1000
	}
	env := testenv.New(t)
	key := env.Merchant(t, "race")
	srv := env.Serve(t)
	srv.Consume(t) // the refund worker settles refunds as they happen
	apply := &webhook.Apply{Store: env.Store, Log: quiet, Now: time.Now, Refunds: func(ctx context.Context, m webhook.Message) (string, error) {
		return srv.Service.Refunds.Settle(ctx, m.Merchant, m.Event)
	}}
	broken, outcomes := 0, map[string]int{}
	for r := 0; r < rounds; r++ {
		l := newOpenLink(t, env.Store, "race", time.Now().Add(time.Duration(rand.IntN(30))*time.Millisecond), r%2 == 0)
		amt := l.Amount
		pay := sqsMsg("p", webhook.Message{Merchant: "race", Provider: sandbox.Name, Event: domain.PaymentEvent{ID: fmt.Sprintf("evt_pay_%d", r), Kind: domain.PaymentSucceeded,
			Type: "payment.succeeded", LinkID: l.ID, Attempt: 1, PaymentRef: "pay_sb_race", Amount: &amt, At: time.Now()}})
		decline := sqsMsg("d", webhook.Message{Merchant: "race", Provider: sandbox.Name, Event: domain.PaymentEvent{ID: fmt.Sprintf("evt_dec_%d", r), Kind: domain.PaymentFailed,
			Type: "payment.failed", LinkID: l.ID, Attempt: 1, FailureReason: "card_declined", At: time.Now()}})
		var wg sync.WaitGroup
		var payErr error
		jitter := func() { time.Sleep(time.Duration(rand.IntN(15)) * time.Millisecond) }
		wg.Add(5)
		go func() { defer wg.Done(); jitter(); payErr = apply.Handle(context.Background(), pay) }()
		go func() { defer wg.Done(); jitter(); _ = apply.Handle(context.Background(), decline) }()
		go func() {
			defer wg.Done()
			jitter()
			_, _ = env.Store.Expire(context.Background(), store.Due{Merchant: "race", ID: l.ID}, time.Now(), &store.Capacity{})
		}()
		go func() {
			defer wg.Done()
			jitter()
			req, _ := http.NewRequest("GET", srv.URL+"/l/"+l.Code, nil)
			req.Header.Set("User-Agent", browserUA)
			if resp, err := noRedirect.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		go func() {
			defer wg.Done()
			jitter()
			req, _ := http.NewRequest("POST", srv.URL+"/v1/payment-links/"+l.ID+"/refunds", strings.NewReader(`{"amount":{"currency":"EUR","value":"15.00"}}`))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		wg.Wait()
		if payErr != nil {
			t.Fatalf("round %d: the payment was not applied: %v", r, payErr) // it must be, whatever else happened
		}
		problems, outcome := checkLink(t, env.Store, "race", l.ID)
		outcomes[outcome]++
		for _, p := range problems {
			broken++
			t.Errorf("round %d (%s): %s", r, l.ID, p)
		}
	}
	testenv.Figure(t, "%d races of pay/decline/expire/click/refund on one link, %d invariants broken; outcomes %v", rounds, broken, outcomes)
}

// checkLink returns the broken invariants of a link after a round.
func checkLink(t *testing.T, st *store.Store, merchant, id string) ([]string, string) {
	t.Helper()
	ctx := context.Background()
	l, err := st.Get(ctx, merchant, id)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, merchant, id)
	if err != nil {
		t.Fatal(err)
	}
	refunds, err := st.Refunds(ctx, merchant, id)
	if err != nil {
		t.Fatal(err)
	}
	bad, count := checkTimeline(evs, l.Status)
	if count[domain.EventCreated] != 1 || count[domain.EventPaid] > 1 || count[domain.EventExpired] > 1 {
		bad = append(bad, fmt.Sprintf("event counts %v", count))
	}
	if l.Status != domain.StatusPaid {
		bad = append(bad, "the accepted payment was lost: link is "+string(l.Status))
	}
	if (count[domain.EventPaid] == 1) != (l.Status == domain.StatusPaid) {
		bad = append(bad, "paid event and status disagree")
	}
	if l.PaidAfterExpiry != (count[domain.EventExpired] == 1) {
		bad = append(bad, fmt.Sprintf("paid_after_expiry %v with %d expired events", l.PaidAfterExpiry, count[domain.EventExpired]))
	}
	if l.RefundCommitted.Value.GreaterThan(l.Amount.Value) || l.AmountRefunded.Value.GreaterThan(l.RefundCommitted.Value) {
		bad = append(bad, fmt.Sprintf("refunds: committed %s refunded %s of %s", l.RefundCommitted, l.AmountRefunded, l.Amount))
	}
	if len(refunds) > 0 && count[domain.EventPaid] == 0 {
		bad = append(bad, "a refund on a link never paid")
	}
	return bad, raceOutcome(l, count, len(refunds))
}

// checkTimeline counts a link's events by type and returns the moves of its
// timeline the status machine does not allow, and an end other than status.
func checkTimeline(evs []domain.Event, status domain.Status) ([]string, map[string]int) {
	var bad []string
	count := map[string]int{}
	at := domain.Status("")
	for _, e := range evs {
		count[e.Type]++
		if e.To == "" {
			continue
		}
		if at != "" && e.To != at {
			if err := domain.CheckTransition(at, e.To); err != nil {
				bad = append(bad, fmt.Sprintf("timeline moves %s -> %s", at, e.To))
			}
		}
		at = e.To
	}
	if at != status {
		bad = append(bad, fmt.Sprintf("timeline ends %s, link is %s", at, status))
	}
	return bad, count
}

// raceOutcome names how a race ended: paid or paid_after_expiry, after a
// decline or not, refunded or not.
func raceOutcome(l *domain.Link, count map[string]int, refunds int) string {
	outcome := "paid"
	if l.PaidAfterExpiry {
		outcome = "paid_after_expiry"
	}
	if count["payment_link.declined"] > 0 {
		outcome += "+declined_first"
	}
	if refunds > 0 {
		outcome += "+refund"
	}
	return outcome
}
