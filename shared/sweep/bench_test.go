package sweep_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/sweep"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// BenchmarkSweep seeds a table of BENCH_SWEEP_TOTAL links (100,000 by
// default) of which 1,000 or 10,000 are due, sweeps once, and reports links
// expired per second and read capacity per expired link: the read cost per
// link must stay flat as the table grows (the index holds only open links,
// bucketed by expiry hour).
func BenchmarkSweep(b *testing.B) {
	total := 100000
	if v, err := strconv.Atoi(os.Getenv("BENCH_SWEEP_TOTAL")); err == nil && v > 0 {
		total = v
	}
	for _, due := range []int{1000, 10000} {
		if due >= total {
			continue
		}
		b.Run(fmt.Sprintf("due=%d/of=%d", due, total), func(b *testing.B) {
			env := testenv.New(b)
			now := time.Now().UTC()
			links := make([]*domain.Link, total)
			for i := range links {
				created := now.Add(-24 * time.Hour)
				id := domain.NewID(domain.PrefixLink, created)
				code, _ := testenv.CodeKey.NewCode("m1", id)
				exp := now.Add(time.Duration(1+i%(48*60)) * time.Minute) // spread over two days ahead
				if i < due {
					exp = now.Add(-time.Duration(1+i%50) * time.Minute) // due within the last hour
				}
				links[i] = &domain.Link{ID: id, Merchant: "m1", Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", "10.00"),
					AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "d", Language: "en", Origin: domain.OriginAPI,
					ExpiresAt: exp.Truncate(time.Millisecond), CreatedAt: created, UpdatedAt: created}
			}
			if err := env.Store.PutLinks(context.Background(), links); err != nil {
				b.Fatal(err)
			}
			s := sweep.New(env.Store, quiet)
			s.Now = func() time.Time { return now }
			b.ResetTimer()
			res, err := s.Run(context.Background())
			b.StopTimer()
			if err != nil || res.Expired != due {
				b.Fatalf("%+v %v", res, err)
			}
			b.ReportMetric(float64(res.Expired)/res.Took.Seconds(), "expired/s")
			b.ReportMetric(res.Capacity.Read/float64(res.Expired), "RCU/expired")
			b.ReportMetric(float64(res.Queries), "queries")
			b.ReportMetric(0, "ns/op")
		})
	}
}
