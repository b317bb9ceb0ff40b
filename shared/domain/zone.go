package domain

import (
	"fmt"
	"path"
	"strings"
	"time"

	// The IANA time zone database, built in: a Lambda runtime holds none.
	_ "time/tzdata"
)

// DefaultTimeZone is a merchant's time zone until it sets one.
const DefaultTimeZone = "Europe/Brussels"

// TimeZoneMessage is what a bad time_zone is told.
const TimeZoneMessage = "must be an IANA time zone name, such as Europe/Brussels"

// LoadTimeZone is the zone of an IANA name ("" is DefaultTimeZone). "Local"
// and names with a path step (.., ./, //, a leading /) are refused: they
// name the host's files, not a zone (the built-in database answers only
// the exact name); so are the files a host's zoneinfo directory holds beside the
// zones (hostOnlyZone), which the built-in database lacks.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultTimeZone
	}
	if name == "Local" || len(name) > 64 || path.Clean(name) != name || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "/") || hostOnlyZone(name) {
		return nil, fmt.Errorf("time zone %q: %s", name, TimeZoneMessage)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// hostOnlyZone reports a name that a host's zoneinfo directory may answer
// (time.LoadLocation reads it before the built-in database) and the IANA
// database, built in, does not hold: the host's own zone ("localtime"), the
// POSIX default rules and the posix/ and right/ copies of every zone.
func hostOnlyZone(name string) bool {
	return name == "localtime" || name == "posixrules" || strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/")
}

// Day is a calendar day, in no zone of its own.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// dayLayout is a day as the API writes it.
const dayLayout = "2006-01-02"

// ParseDay reads a day written YYYY-MM-DD (years 1970 to 9999).
func ParseDay(s string) (Day, bool) {
	if len(s) != len(dayLayout) {
		return Day{}, false
	}
	t, err := time.Parse(dayLayout, s)
	if err != nil || t.Year() < 1970 {
		return Day{}, false
	}
	return DayOf(t, time.UTC), true
}

// DayOf is the day t falls on in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day{y, m, d}
}

// String is the day as YYYY-MM-DD.
func (d Day) String() string { return d.utc().Format(dayLayout) }

// utc is the day's midnight in UTC: what day arithmetic runs on.
func (d Day) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays is the day n days after d (before it when n < 0).
func (d Day) AddDays(n int) Day { return DayOf(d.utc().AddDate(0, 0, n), time.UTC) }

// Before reports d earlier than e.
func (d Day) Before(e Day) bool { return d.utc().Before(e.utc()) }

// DaysUntil is how many days e is after d (negative when before).
func (d Day) DaysUntil(e Day) int { return int(e.utc().Sub(d.utc()) / (24 * time.Hour)) }

// Start is the first instant of day d in loc: its midnight, or, where a
// transition skips midnight (a clock that jumps from 23:59:59 to 01:00, or
// a day left out as Samoa's 2011-12-30), the first instant whose date in
// loc is d or later. Where clocks go back over midnight, the first of the
// two midnights. The day's instants are [Start(d), Start(d+1)).
func (d Day) Start(loc *time.Location) time.Time {
	wall := d.utc()
	// Begin a day and a half before: no zone is more than 26 hours from
	// UTC, so the date there is before d. Walk the zone's periods forward:
	// within one, the offset is fixed and the date rises with the instant.
	p := wall.Add(-36 * time.Hour)
	for range 64 {
		_, off := p.In(loc).Zone()
		_, end := p.In(loc).ZoneBounds()
		if !DayOf(p, loc).Before(d) {
			return p
		}
		c := wall.Add(-time.Duration(off) * time.Second)
		if c.After(p) && (end.IsZero() || c.Before(end)) {
			return c
		}
		if end.IsZero() {
			return c
		}
		p = end
	}
	return wall
}

// DayBounds are the first and last instants of the days from and to in loc
// (inclusive: to's last nanosecond).
func DayBounds(from, to Day, loc *time.Location) (time.Time, time.Time) {
	return from.Start(loc), to.AddDays(1).Start(loc).Add(-time.Nanosecond)
}
