package domain

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/money"
)

// genLinks makes n links created in the period p (in its zone), in EUR,
// USD or JPY, in every status, some sent on one or more channels, opened,
// refunded, paid within the period or after it.
func genLinks(rng *rand.Rand, p Period, n int) []*Link {
	first, last := DayBounds(p.From, p.To, p.Zone)
	span := last.Sub(first)
	links := make([]*Link, n)
	for i := range links {
		cur := []string{"EUR", "USD", "JPY"}[rng.IntN(3)]
		val := decimal.New(rng.Int64N(10_000_000)+1, -2)
		if cur == "JPY" {
			val = decimal.New(rng.Int64N(1_000_000)+1, 0)
		}
		created := first.Add(time.Duration(rng.Int64N(int64(span) + 1)))
		l := &Link{ID: "pl_" + string(rune('a'+i%26)), Amount: money.Amount{Currency: cur, Value: val}, AmountRefunded: money.Zero(cur),
			Status: Statuses[rng.IntN(len(Statuses))], CreatedAt: created, Language: Languages[rng.IntN(len(Languages))], Archived: rng.IntN(5) == 0}
		for _, ch := range Channels {
			if rng.IntN(3) == 0 {
				l.SentChannels = append(l.SentChannels, ch)
			}
		}
		if len(l.SentChannels) > 0 {
			at := created.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
			l.LastSentAt = &at
		}
		if rng.IntN(2) == 0 || l.Status == StatusPaid {
			at := created.Add(time.Minute)
			l.ClickedAt = &at
		}
		if l.Status == StatusPaid {
			at := created.Add(time.Duration(rng.Int64N(int64(20 * 24 * time.Hour))))
			l.PaidAt = &at
			if rng.IntN(4) == 0 {
				l.AmountRefunded = money.Amount{Currency: cur, Value: val.Div(decimal.NewFromInt(2)).Truncate(0)}
			}
		}
		links[i] = l
	}
	return links
}

func genPeriod(rng *rand.Rand) Period {
	zones := []string{"Europe/Brussels", "America/Santiago", "Pacific/Apia", "Asia/Kathmandu", "UTC", "Australia/Lord_Howe"}
	loc, err := LoadTimeZone(zones[rng.IntN(len(zones))])
	if err != nil {
		panic(err)
	}
	from := DayOf(time.Date(2010+rng.IntN(20), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365)), time.UTC)
	return Period{From: from, To: from.AddDays(rng.IntN(MaxInsightDays)), Zone: loc}
}

func sumOf(t Totals) map[string]string {
	out := map[string]string{}
	for c, a := range t {
		out[c] = a.Value.String()
	}
	return out
}

func sameTotals(a, b Totals) bool {
	if len(a) != len(b) {
		return false
	}
	for c, x := range a {
		if y, ok := b[c]; !ok || !x.Value.Equal(y.Value) {
			return false
		}
	}
	return true
}

// checkGroupsAddUp: every link is in exactly one group of gs, so their
// links, sent, opened, paid and paid volumes add up to all's; each
// conversion is in [0, 1].
func checkGroupsAddUp(t *testing.T, what string, all Group, gs []*Group) {
	t.Helper()
	var links, sent, opened, paidN int
	vol := Totals{}
	for _, g := range gs {
		links, sent, opened, paidN = links+g.Links, sent+g.Sent, opened+g.Opened, paidN+g.Paid
		for _, a := range g.PaidVolume {
			vol.Add(a)
		}
		if c := g.Conversion(); c < 0 || c > 1 {
			t.Fatalf("%s %s: conversion %v", what, g.Key, c)
		}
		if g.HasMedian != (g.Paid > 0) {
			t.Fatalf("%s %s: median %v with %d paid", what, g.Key, g.HasMedian, g.Paid)
		}
	}
	if links != all.Links || sent != all.Sent || opened != all.Opened || paidN != all.Paid || !sameTotals(vol, all.PaidVolume) {
		t.Fatalf("%s: groups %d/%d/%d/%d %v, all %d/%d/%d/%d %v", what, links, sent, opened, paidN, sumOf(vol),
			all.Links, all.Sent, all.Opened, all.Paid, sumOf(all.PaidVolume))
	}
}

// TestInsightsAddUp: over generated periods (zones with DST at midnight, a
// day left out) and links, the channel groups, the language groups and the
// days (with what was paid after the period) add up to the headline; the
// conversions are in [0, 1]; the headline's median is the median of the
// paid links' times to pay; the open amount is the open links' amounts.
func TestInsightsAddUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 3))
	for range 200 {
		p := genPeriod(rng)
		links := genLinks(rng, p, rng.IntN(300))
		x := NewInsighter(p)
		for _, l := range links {
			x.Add(l)
		}
		in := x.Insights()
		if in.All.Links != len(links) || in.All.Conversion() < 0 || in.All.Conversion() > 1 {
			t.Fatalf("links %d of %d, conversion %v", in.All.Links, len(links), in.All.Conversion())
		}
		checkGroupsAddUp(t, "channels", in.All, in.Channels)
		checkGroupsAddUp(t, "languages", in.All, in.Languages)
		checkDays(t, in)
		var ds []time.Duration
		open := Totals{}
		for _, l := range links {
			if paid(l) {
				ds = append(ds, TimeToPay(l))
			}
			if l.Status.Open() && !l.Archived {
				open.Add(l.Amount)
			}
		}
		if want, ok := oracleMedian(ds); ok != in.All.HasMedian || want != in.All.MedianTimeToPay {
			t.Fatalf("median %v %v, want %v %v", in.All.MedianTimeToPay, in.All.HasMedian, want, ok)
		}
		if !sameTotals(open, in.OpenAmount) {
			t.Fatalf("open %v, want %v", sumOf(in.OpenAmount), sumOf(open))
		}
	}
}

func checkDays(t *testing.T, in Insights) {
	t.Helper()
	if len(in.Days) != in.Period.From.DaysUntil(in.Period.To)+1 || len(in.Days) > MaxInsightDays {
		t.Fatalf("%d days for %s to %s", len(in.Days), in.Period.From, in.Period.To)
	}
	links, paidN := 0, in.PaidAfter.Paid
	vol := Totals{}
	for _, a := range in.PaidAfter.PaidVolume {
		vol.Add(a)
	}
	for i, d := range in.Days {
		if d.Day != in.Period.From.AddDays(i) {
			t.Fatalf("day %d is %s", i, d.Day)
		}
		links, paidN = links+d.Links, paidN+d.Paid
		for _, a := range d.PaidVolume {
			vol.Add(a)
		}
	}
	if links != in.All.Links || in.PaidAfter.Links != 0 || paidN != in.All.Paid || !sameTotals(vol, in.All.PaidVolume) {
		t.Fatalf("days %d links %d paid %v, all %d %d %v", links, paidN, sumOf(vol), in.All.Links, in.All.Paid, sumOf(in.All.PaidVolume))
	}
}

// oracleMedian is the median by its definition: the middle of the sorted
// values, or the mean of the middle two.
func oracleMedian(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// TestMedianProperty: on generated sets (repeats, one value, large
// values) at least half the values are at most the median and at least
// half at least it, and it equals the sorted oracle.
func TestMedianProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 4))
	for range 2000 {
		n := rng.IntN(40)
		ds := make([]time.Duration, n)
		for i := range ds {
			ds[i] = time.Duration(rng.Int64N([]int64{3, 1000, int64(400 * 24 * time.Hour)}[rng.IntN(3)]))
		}
		want, wok := oracleMedian(ds)
		m, ok := Median(slices.Clone(ds))
		if ok != wok || m != want {
			t.Fatalf("%v: median %v %v, want %v", ds, m, ok, want)
		}
		if !ok {
			continue
		}
		below, above := 0, 0
		for _, d := range ds {
			if d <= m {
				below++
			}
			if d >= m {
				above++
			}
		}
		if 2*below < n || 2*above < n {
			t.Fatalf("%v: median %v has %d at or below, %d at or above", ds, m, below, above)
		}
	}
	if m, _ := Median([]time.Duration{1, 2, 3, 10}); m != 2 {
		t.Fatalf("median of 1 2 3 10: %v", m)
	}
}

// TestSummaryAddsUp: over generated links the currencies' counts add up
// to the count; per currency the total is the sum of the amounts, paid and
// open are disjoint parts of it and refunded is what the refunds gave back.
func TestSummaryAddsUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 5))
	for range 200 {
		links := genLinks(rng, genPeriod(rng), rng.IntN(200))
		var s Summer
		for _, l := range links {
			s.Add(l)
		}
		sum := s.Summary()
		n := 0
		for i, cs := range sum.Currencies {
			if i > 0 && sum.Currencies[i-1].Currency >= cs.Currency {
				t.Fatalf("currencies out of order: %v", sum.Currencies)
			}
			n += cs.Count
			checkCurrency(t, cs, links)
		}
		if n != sum.Count || sum.Count != len(links) {
			t.Fatalf("count %d, currencies %d, links %d", sum.Count, n, len(links))
		}
	}
}

func checkCurrency(t *testing.T, cs CurrencySummary, links []*Link) {
	t.Helper()
	var want CurrencySummary
	total, paidV, openV, refV := decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range links {
		if l.Amount.Currency != cs.Currency {
			continue
		}
		want.Count++
		total = total.Add(l.Amount.Value)
		if l.Status == StatusPaid {
			want.Paid.Count++
			paidV = paidV.Add(l.Amount.Value)
		}
		if l.Status.Open() && !l.Archived {
			want.Open.Count++
			openV = openV.Add(l.Amount.Value)
		}
		if l.AmountRefunded.Value.IsPositive() {
			want.Refunded.Count++
			refV = refV.Add(l.AmountRefunded.Value)
		}
	}
	if cs.Count != want.Count || cs.Paid.Count != want.Paid.Count || cs.Open.Count != want.Open.Count || cs.Refunded.Count != want.Refunded.Count ||
		!cs.Total.Value.Equal(total) || !cs.Paid.Amount.Value.Equal(paidV) || !cs.Open.Amount.Value.Equal(openV) || !cs.Refunded.Amount.Value.Equal(refV) ||
		cs.Paid.Count+cs.Open.Count > cs.Count || cs.Paid.Amount.Value.Add(cs.Open.Amount.Value).GreaterThan(cs.Total.Value) {
		t.Fatalf("%s: %+v, want counts %+v and %s %s %s %s", cs.Currency, cs, want, total, paidV, openV, refV)
	}
}

// TestTimeToPay: from the last send when it came before the payment, else
// from the creation; never negative.
func TestTimeToPay(t *testing.T) {
	at := func(h int) *time.Time { x := time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC); return &x }
	for _, c := range []struct {
		sent, paid *time.Time
		want       time.Duration
	}{
		{nil, at(5), 5 * time.Hour}, {at(2), at(5), 3 * time.Hour}, {at(6), at(5), 5 * time.Hour}, {nil, nil, 0},
	} {
		l := &Link{CreatedAt: *at(0), LastSentAt: c.sent, PaidAt: c.paid, Status: StatusPaid}
		if got := TimeToPay(l); got != c.want {
			t.Errorf("sent %v paid %v: %v, want %v", c.sent, c.paid, got, c.want)
		}
	}
	l := &Link{CreatedAt: *at(5), PaidAt: at(1)}
	if TimeToPay(l) != 0 {
		t.Errorf("paid before made: %v", TimeToPay(l))
	}
	if Conversion(3, 2) != 1 || Conversion(0, 0) != 0 || Conversion(1, 4) != 0.25 {
		t.Errorf("conversion")
	}
}
