package domain

import (
	"slices"
	"time"
)

// MaxInsightDays is the longest period insights cover, in days.
const MaxInsightDays = 366

// DefaultInsightDays is the period insights cover unless asked otherwise:
// the overview's default window.
const DefaultInsightDays = 90

// Channel keys of insights besides the channels: a link sent on more than
// one channel, and one never sent.
const (
	ChannelSeveral = "several"
	ChannelNone    = "not_sent"
)

// Period is the days insights cover, in a time zone.
type Period struct {
	From, To Day
	Zone     *time.Location
}

// Group is the figures of a part of the links.
type Group struct {
	Key    string
	Links  int
	Sent   int
	Opened int
	Paid   int
	// PaidVolume is the amounts of the paid links, per currency.
	PaidVolume Totals
	// MedianTimeToPay is over the paid links (TimeToPay); HasMedian is
	// false when none is paid.
	MedianTimeToPay time.Duration
	HasMedian       bool
	durations       []time.Duration
}

// Conversion is paid out of links.
func (g *Group) Conversion() float64 { return Conversion(g.Paid, g.Links) }

func newGroup(key string) *Group { return &Group{Key: key, PaidVolume: Totals{}} }

func (g *Group) add(l *Link) {
	g.Links++
	if len(l.SentChannels) > 0 {
		g.Sent++
	}
	if l.ClickedAt != nil {
		g.Opened++
	}
	if paid(l) {
		g.Paid++
		g.PaidVolume.Add(l.Amount)
		g.durations = append(g.durations, TimeToPay(l))
	}
}

func (g *Group) settle() {
	g.MedianTimeToPay, g.HasMedian = Median(g.durations)
	g.durations = nil
}

// DayFigures are a day's: the links made on it, and the links paid on it
// with their amounts.
type DayFigures struct {
	Day        Day
	Links      int
	Paid       int
	PaidVolume Totals
}

// Insights are the figures of the links made in a period: the headline
// (All: every link; OpenAmount: the amounts of those still payable), each
// link in one channel group (its one channel, several, or not sent) and one
// language group, and per day of the period. A link of the period paid
// after its last day is in PaidAfter, not in Days: the days' paid volumes
// and PaidAfter add up to the headline's.
type Insights struct {
	Period     Period
	All        Group
	OpenAmount Totals
	Channels   []*Group
	Languages  []*Group
	Days       []DayFigures
	PaidAfter  DayFigures
}

// paid reports a link paid (a paid status with its time).
func paid(l *Link) bool { return l.Status == StatusPaid && l.PaidAt != nil }

// channelKey is the channel group of a link.
func channelKey(l *Link) string {
	switch len(l.SentChannels) {
	case 0:
		return ChannelNone
	case 1:
		return l.SentChannels[0]
	}
	return ChannelSeveral
}

// Insighter computes insights from links added one at a time.
type Insighter struct {
	in       Insights
	channels map[string]*Group
	langs    map[string]*Group
}

// NewInsighter is an Insighter for the period p (from not after to).
func NewInsighter(p Period) *Insighter {
	x := &Insighter{in: Insights{Period: p, All: *newGroup(""), OpenAmount: Totals{}, PaidAfter: DayFigures{PaidVolume: Totals{}}},
		channels: map[string]*Group{}, langs: map[string]*Group{}}
	for _, c := range append(slices.Clone(Channels), ChannelSeveral, ChannelNone) {
		x.channels[c] = newGroup(c)
		x.in.Channels = append(x.in.Channels, x.channels[c])
	}
	for _, lang := range Languages {
		x.langs[lang] = newGroup(lang)
		x.in.Languages = append(x.in.Languages, x.langs[lang])
	}
	for d := p.From; !p.To.Before(d); d = d.AddDays(1) {
		x.in.Days = append(x.in.Days, DayFigures{Day: d, PaidVolume: Totals{}})
	}
	return x
}

// group is the group of key, made at the end of the list when new.
func group(m map[string]*Group, list *[]*Group, key string) *Group {
	g, ok := m[key]
	if !ok {
		g = newGroup(key)
		m[key] = g
		*list = append(*list, g)
	}
	return g
}

// Add counts a link of the period in.
func (x *Insighter) Add(l *Link) {
	x.in.All.add(l)
	if l.Status.Open() && !l.Archived {
		x.in.OpenAmount.Add(l.Amount)
	}
	group(x.channels, &x.in.Channels, channelKey(l)).add(l)
	group(x.langs, &x.in.Languages, l.Language).add(l)
	x.day(DayOf(l.CreatedAt, x.in.Period.Zone)).Links++
	if paid(l) {
		d := x.day(DayOf(*l.PaidAt, x.in.Period.Zone))
		d.Paid++
		d.PaidVolume.Add(l.Amount)
	}
}

// day is the figures of d: a day before the period is its first, one after
// it PaidAfter.
func (x *Insighter) day(d Day) *DayFigures {
	p := x.in.Period
	if p.To.Before(d) {
		return &x.in.PaidAfter
	}
	i := max(p.From.DaysUntil(d), 0)
	return &x.in.Days[i]
}

// Insights are the figures of the links added.
func (x *Insighter) Insights() Insights {
	x.in.All.settle()
	for _, g := range x.in.Channels {
		g.settle()
	}
	for _, g := range x.in.Languages {
		g.settle()
	}
	return x.in
}
