package sweep_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/sweep"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// seed writes n links whose expiries spread over [now-span, now+span], a
// share of them paid; it returns them.
func seed(t testing.TB, env *testenv.Env, n int, now time.Time, span time.Duration, paidShare float64) []*domain.Link {
	rng := rand.New(rand.NewSource(42))
	links := make([]*domain.Link, n)
	for i := range links {
		created := now.Add(-3 * span)
		id := domain.NewID(domain.PrefixLink, created)
		code, _ := testenv.CodeKey.NewCode("m1", id)
		exp := now.Add(time.Duration(rng.Int63n(int64(2*span))) - span).Truncate(time.Millisecond)
		l := &domain.Link{ID: id, Merchant: "m1", Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", "10.00"),
			AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "d", Language: "en", Origin: domain.OriginAPI,
			ExpiresAt: exp, CreatedAt: created, UpdatedAt: created}
		switch r := rng.Float64(); {
		case r < paidShare:
			l.Status = domain.StatusPaid
		case r < paidShare+0.1:
			l.Status = domain.StatusClicked
		case r < paidShare+0.15:
			l.Status = domain.StatusDeclined
		}
		links[i] = l
	}
	if err := env.Store.PutLinks(context.Background(), links); err != nil {
		t.Fatal(err)
	}
	return links
}

// census scans the test table (tests only) for link statuses and expired
// events per link.
func census(t *testing.T, env *testenv.Env) (map[string]domain.Status, map[string]int) {
	status, expiredEvents := map[string]domain.Status{}, map[string]int{}
	p := dynamodb.NewScanPaginator(env.DB, &dynamodb.ScanInput{TableName: aws.String(env.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			typ, _ := it["type"].(*types.AttributeValueMemberS)
			if typ == nil {
				continue // the sweep cursor
			}
			switch typ.Value {
			case "link":
				status[it["id"].(*types.AttributeValueMemberS).Value] = domain.Status(it["status"].(*types.AttributeValueMemberS).Value)
			case "event":
				if it["event"].(*types.AttributeValueMemberS).Value == domain.EventExpired {
					expiredEvents[it["link_id"].(*types.AttributeValueMemberS).Value]++
				}
			}
		}
	}
	return status, expiredEvents
}

func TestSweepTenThousand(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	links := seed(t, env, 10000, now, 3*time.Hour, 0.2)
	s := sweep.New(env.Store, quiet)
	s.Now = func() time.Time { return now }
	s.Lookback = 4 * time.Hour
	env.Count.Reset()
	res, err := s.Run(context.Background())
	if err != nil || !res.Complete {
		t.Fatalf("%+v %v", res, err)
	}
	if n := env.Count.Snapshot()["Scan"]; n != 0 {
		t.Fatalf("the sweep scanned %d times", n)
	}
	status, events := census(t, env)
	wantExpired, paid := 0, 0
	for _, l := range links {
		got := status[l.ID]
		switch {
		case l.Status == domain.StatusPaid:
			paid++
			if got != domain.StatusPaid || events[l.ID] != 0 {
				t.Fatalf("paid link %s touched: %s", l.ID, got)
			}
		case !l.ExpiresAt.After(now):
			wantExpired++
			if got != domain.StatusExpired || events[l.ID] != 1 {
				t.Fatalf("due link %s: %s with %d expired events", l.ID, got, events[l.ID])
			}
		default:
			if got != l.Status || events[l.ID] != 0 {
				t.Fatalf("future link %s changed: %s -> %s", l.ID, l.Status, got)
			}
		}
	}
	if res.Expired != wantExpired {
		t.Fatalf("expired %d, want %d", res.Expired, wantExpired)
	}
	t.Logf("10,000 links (%d paid): %d expired in %v, %d index queries, %.1f RCU (%.3f per expired link), %.1f WCU",
		paid, res.Expired, res.Took.Round(time.Millisecond), res.Queries, res.Capacity.Read, res.Capacity.Read/float64(res.Expired), res.Capacity.Write)
	// A second sweep finds nothing left and reads only the open buckets.
	again, err := s.Run(context.Background())
	if err != nil || again.Expired != 0 {
		t.Fatalf("second sweep: %+v %v", again, err)
	}
	if again.Buckets > 2 {
		t.Fatalf("second sweep read %d buckets: the cursor did not advance", again.Buckets)
	}
}

func TestTwoSweepsAtOnceExpireOnce(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	seed(t, env, 1500, now, time.Hour, 0)
	var wg sync.WaitGroup
	results := make([]sweep.Result, 2)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := sweep.New(env.Store, quiet)
			s.Now = func() time.Time { return now }
			var err error
			if results[i], err = s.Run(context.Background()); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	_, events := census(t, env)
	for id, n := range events {
		if n != 1 {
			t.Fatalf("link %s expired %d times", id, n)
		}
	}
	if results[0].Expired+results[1].Expired != len(events) {
		t.Fatalf("expired %d + %d, %d events", results[0].Expired, results[1].Expired, len(events))
	}
}

func TestSweepStopsBeforeItsDeadlineAndCarriesOn(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	links := seed(t, env, 3000, now, 2*time.Hour, 0)
	runs, total := 0, 0
	for {
		s := sweep.New(env.Store, quiet)
		s.Now = func() time.Time { return now }
		s.Margin = 0
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		res, err := s.Run(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		runs++
		total += res.Expired
		if res.Complete {
			break
		}
		if runs > 200 {
			t.Fatal("never completes")
		}
	}
	status, events := census(t, env)
	due := 0
	for _, l := range links {
		want := l.Status
		if !l.ExpiresAt.After(now) {
			want = domain.StatusExpired
			due++
		}
		if status[l.ID] != want || (want == domain.StatusExpired) != (events[l.ID] == 1) || events[l.ID] > 1 {
			t.Fatalf("%s: %s with %d expired events, want %s", l.ID, status[l.ID], events[l.ID], want)
		}
	}
	if runs < 2 || total != due {
		t.Fatalf("%d runs reported %d expiries; the table has %d", runs, total, due)
	}
	t.Logf("backlog of %d due links swept in %d runs of 400 ms", due, runs)
}

// TestPaymentRacesExpiry pays and expires the same links at once, many
// times: the link always ends paid, flagged paid_after_expiry when the
// expiry won the race.
func TestPaymentRacesExpiry(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	seeded := seed(t, env, 100, now.Add(-time.Second), time.Millisecond, 0)
	after, before := 0, 0
	for i, l := range seeded {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _ = env.Store.Expire(context.Background(), store.Due{Merchant: "m1", ID: l.ID}, now, &store.Capacity{})
		}()
		go func() {
			defer wg.Done()
			ev := domain.PaymentEvent{ID: "evt_race_" + l.ID, Kind: domain.PaymentSucceeded, LinkID: l.ID, PaymentRef: "pay_" + l.ID, Amount: &l.Amount}
			if _, err := links.ApplyPayment(context.Background(), env.Store, "m1", "sandbox", ev, now); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		got, _ := env.Store.Get(context.Background(), "m1", l.ID)
		if got.Status != domain.StatusPaid {
			t.Fatalf("race %d: link ended %s", i, got.Status)
		}
		if got.PaidAfterExpiry {
			after++
		} else {
			before++
		}
	}
	t.Logf("100 pay/expire races: %d paid before expiry, %d paid after expiry, 0 lost", before, after)
}
