package domain

import (
	"math/rand/v2"
	"testing"
	"time"
)

// zonesUnderTest hold the transitions a day's bounds must survive: DST
// at 02:00 or 03:00 (Europe), at midnight (Santiago, Havana, Beirut, Sao
// Paulo until 2019, Cairo), half-hour shifts (Lord Howe), a day left out
// (Apia, 2011-12-30), offsets of +14 and -11, and odd offsets (Kathmandu).
var zonesUnderTest = []string{"Europe/Brussels", "Europe/London", "America/New_York", "America/Santiago", "America/Havana",
	"Asia/Beirut", "America/Sao_Paulo", "Africa/Cairo", "Australia/Lord_Howe", "Pacific/Apia", "Pacific/Kiritimati",
	"Pacific/Pago_Pago", "Asia/Kathmandu", "America/St_Johns", "UTC", "Asia/Tehran", "America/Asuncion"}

// TestDayStartProperty: for generated zones and days (1970 to 2037, and
// the days around each zone's transitions), Start(d) is the first instant
// whose date in the zone is d or later: the instant before it is on an
// earlier day, no instant of the 40 hours before it (sampled every minute)
// is on d or later, the days' starts never go back, and a start on another
// day's midnight is a day the zone left out.
func TestDayStartProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 1))
	for _, name := range zonesUnderTest {
		loc, err := LoadTimeZone(name)
		if err != nil {
			t.Fatal(err)
		}
		days := transitionDays(loc)
		for range 150 {
			days = append(days, DayOf(time.Unix(rng.Int64N(2145916800), 0), time.UTC))
		}
		for _, d := range days {
			checkStart(t, name, loc, d)
		}
	}
}

// transitionDays are the days around each of loc's offset changes from
// 2000 to 2030 (found by walking its zone periods).
func transitionDays(loc *time.Location) []Day {
	var out []Day
	p := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for p.Year() < 2030 {
		_, end := p.In(loc).ZoneBounds()
		if end.IsZero() {
			break
		}
		d := DayOf(end, loc)
		out = append(out, d.AddDays(-1), d, d.AddDays(1))
		p = end
	}
	return out
}

func checkStart(t *testing.T, zone string, loc *time.Location, d Day) {
	t.Helper()
	s := d.Start(loc)
	if DayOf(s, loc).Before(d) {
		t.Fatalf("%s %s: start %v is on %s", zone, d, s, DayOf(s, loc))
	}
	if !DayOf(s.Add(-time.Nanosecond), loc).Before(d) {
		t.Fatalf("%s %s: the instant before start %v is on %s", zone, d, s, DayOf(s.Add(-time.Nanosecond), loc))
	}
	for x := s.Add(-40 * time.Hour); x.Before(s); x = x.Add(time.Minute) {
		if !DayOf(x, loc).Before(d) {
			t.Fatalf("%s %s: %v (before start %v) is on %s", zone, d, x, s, DayOf(x, loc))
		}
	}
	next := d.AddDays(1).Start(loc)
	if next.Before(s) || next.Sub(s) > 49*time.Hour {
		t.Fatalf("%s %s: next day starts at %v, this one at %v", zone, d, next, s)
	}
	if lt := s.In(loc); lt.Hour() == 0 && lt.Minute() == 0 && DayOf(s, loc) != d && !next.Equal(s) {
		t.Fatalf("%s %s: a midnight of another day %v", zone, d, lt)
	}
}

// TestDayStartKnown: midnights as the zones' rules have them.
func TestDayStartKnown(t *testing.T) {
	for _, c := range []struct {
		zone, day, want string
	}{
		{"Europe/Brussels", "2026-03-29", "2026-03-28T23:00:00Z"}, // the day clocks go forward: 23 hours
		{"Europe/Brussels", "2026-03-30", "2026-03-29T22:00:00Z"},
		{"Europe/Brussels", "2026-10-25", "2026-10-24T22:00:00Z"}, // the day they go back: 25 hours
		{"Europe/Brussels", "2026-10-26", "2026-10-25T23:00:00Z"},
		{"America/Santiago", "2022-09-11", "2022-09-11T04:00:00Z"}, // midnight skipped: 01:00 -03
		{"America/Havana", "2022-03-13", "2022-03-13T05:00:00Z"},   // midnight skipped: 01:00 CDT
		{"Pacific/Apia", "2011-12-30", "2011-12-30T10:00:00Z"},     // the day left out: the next day's start
		{"Pacific/Apia", "2011-12-31", "2011-12-30T10:00:00Z"},
		{"Asia/Kathmandu", "2026-01-01", "2025-12-31T18:15:00Z"},
		{"UTC", "2026-12-07", "2026-12-07T00:00:00Z"},
	} {
		loc, err := LoadTimeZone(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := ParseDay(c.day)
		if !ok {
			t.Fatalf("ParseDay(%q)", c.day)
		}
		if got := d.Start(loc).UTC().Format(time.RFC3339); got != c.want {
			t.Errorf("%s %s: start %s, want %s", c.zone, c.day, got, c.want)
		}
	}
}

func TestLoadTimeZone(t *testing.T) {
	for _, ok := range []string{"", "Europe/Brussels", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5"} {
		if _, err := LoadTimeZone(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"Local", "Europe/Atlantis", "../../etc/passwd", "/etc/localtime", "europe/brussels ", "Brussels", "CET+1"} {
		if _, err := LoadTimeZone(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestLoadTimeZoneRefusesHostFiles: the names a host's zoneinfo directory
// holds beside the IANA zones (its own zone as "localtime", the POSIX
// default rules, the posix/ and right/ copies) are not zones a merchant
// chooses: the built-in database, all a Lambda runtime has, holds none of
// them, so a name accepted on one host would be read as the default on
// another while the settings still showed it.
func TestLoadTimeZoneRefusesHostFiles(t *testing.T) {
	for _, bad := range []string{"localtime", "posixrules", "posix/Europe/Brussels", "right/UTC", "right/Europe/Brussels", "posix/UTC",
		"./Europe/Brussels", "Europe//Brussels", "Europe/./Brussels", "Europe/Brussels/", ".", "Europe/../Europe/Paris"} {
		if _, err := LoadTimeZone(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseDay(t *testing.T) {
	for _, bad := range []string{"", "2026-2-01", "2026-02-30", "26-02-01", "2026-02-01T00:00:00Z", "1969-12-31", "2026/02/01", "+2026-02-01"} {
		if _, ok := ParseDay(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	d, ok := ParseDay("2024-02-29")
	if !ok || d.String() != "2024-02-29" || d.AddDays(1).String() != "2024-03-01" || d.DaysUntil(d.AddDays(-366)) != -366 {
		t.Errorf("2024-02-29: %v %v", d, ok)
	}
}

// FuzzParseDay: a day read is written back as it was read.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2026-12-07", "2024-02-29", "0000-00-00", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := ParseDay(s); ok && d.String() != s {
			t.Fatalf("%q read as %s", s, d)
		}
	})
}
