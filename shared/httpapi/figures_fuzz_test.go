package httpapi

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/problem"
)

// FuzzDayParams: whatever the query, the insights' period and the
// listing's created_from/created_to are read or refused with a 422 naming
// a parameter, never a panic; a period read is from <= to and at most
// MaxInsightDays days; a window read from days starts at its first day's
// start in the zone, and a day's window is empty only when the zone left
// the day out (then it is no error: nothing was made on it).
func FuzzDayParams(f *testing.F) {
	for _, s := range []string{"from=2026-11-01&to=2026-11-30", "from=2026-02-30", "to=2011-12-30", "from=1970-01-01&to=9999-12-31",
		"created_from=2026-10-25&created_to=2026-10-25", "created_from=2026-10-25T00:00:00Z", "from=x&from=y", "%zz", ""} {
		f.Add(s, "Pacific/Apia")
		f.Add(s, "America/Santiago")
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw, zone string) {
		loc, err := domain.LoadTimeZone(zone)
		if err != nil {
			return
		}
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if p, err := parsePeriod(v, now, loc); err == nil {
			if p.To.Before(p.From) || p.From.DaysUntil(p.To) >= domain.MaxInsightDays {
				t.Fatalf("%q: period %s to %s", raw, p.From, p.To)
			}
		} else {
			checkInvalid(t, raw, err)
		}
		var errs domain.FieldErrors
		from, to := parseCreatedRange(v, now, loc, &errs)
		d, ok := domain.ParseDay(v.Get("created_from"))
		if len(errs) == 0 && ok && !from.Equal(d.Start(loc)) {
			t.Fatalf("%q: from %v, want %v", raw, from, d.Start(loc))
		}
		// A day's window is empty only for a day the zone left out.
		if len(errs) == 0 && ok && v.Get("created_from") == v.Get("created_to") && to.Before(from) && !d.AddDays(1).Start(loc).Equal(from) {
			t.Fatalf("%q: the day %v to %v", raw, from, to)
		}
	})
}

func checkInvalid(t *testing.T, raw string, err error) {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status != 422 || len(p.Errors) == 0 {
		t.Fatalf("%q: %v", raw, err)
	}
}
