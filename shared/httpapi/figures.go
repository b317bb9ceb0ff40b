package httpapi

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// LinkSetReader reads every link of a set a listing's filters select, up
// to a bound (the summary and insights routes).
type LinkSetReader interface {
	EachLink(ctx context.Context, q store.ListQuery, limit int, fn func(*domain.Link)) (store.LinkSet, error)
}

// summaryParams are the listing's filters, without its page (limit,
// cursor): a summary is of the whole set.
var summaryParams = func() map[string]bool {
	p := map[string]bool{}
	for k := range listParams {
		if k != "limit" && k != "cursor" {
			p[k] = true
		}
	}
	return p
}()

// PartView is a part of a set of links.
type PartView struct {
	Count  int          `json:"count"`
	Amount money.Amount `json:"amount"`
}

// CurrencySummaryView is a summary's figures in one currency.
type CurrencySummaryView struct {
	Currency string       `json:"currency"`
	Count    int          `json:"count"`
	Total    money.Amount `json:"total"`
	Paid     PartView     `json:"paid"`
	Open     PartView     `json:"open"`
	Refunded PartView     `json:"refunded"`
}

// setView is what every answer over a link set says of what it read.
type setView struct {
	// Partial is set when the set held more links than Limit (or more
	// than the index reads' bound found): the figures are those of the
	// newest links, complete from CompleteFrom on.
	Partial      bool    `json:"partial"`
	LinksRead    int     `json:"links_read"`
	Limit        int     `json:"limit"`
	CompleteFrom *string `json:"complete_from"`
}

func setViewOf(s store.LinkSet) setView {
	v := setView{Partial: s.Partial, LinksRead: s.Read, Limit: store.MaxLinkSet}
	if s.Partial {
		v.CompleteFrom = strp(s.CompleteFrom.UTC().Format(time.RFC3339Nano))
	}
	return v
}

// SummaryView is GET /v1/payment-links/summary's answer.
type SummaryView struct {
	Object      string                `json:"object"`
	CreatedFrom string                `json:"created_from"`
	CreatedTo   string                `json:"created_to"`
	TimeZone    string                `json:"time_zone"`
	Count       int                   `json:"count"`
	Currencies  []CurrencySummaryView `json:"currencies"`
	setView
}

func partView(p domain.Part) PartView { return PartView{Count: p.Count, Amount: p.Amount} }

// summarizeLinks sums up the set the listing's filters select, server-side
// over every link of it (up to store.MaxLinkSet).
func (a *API) summarizeLinks(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	v, err := query(r)
	if err != nil {
		return err
	}
	q, err := parseListFilters(v, m, a.Now(), summaryParams)
	if err != nil {
		return err
	}
	var sum domain.Summer
	set, err := a.Store.EachLink(r.Context(), q, store.MaxLinkSet, sum.Add)
	if err != nil {
		return err
	}
	s := sum.Summary()
	out := SummaryView{Object: "payment_link_summary", CreatedFrom: q.CreatedFrom.UTC().Format(time.RFC3339Nano),
		CreatedTo: q.CreatedTo.UTC().Format(time.RFC3339Nano), TimeZone: m.Zone(), Count: s.Count,
		Currencies: make([]CurrencySummaryView, len(s.Currencies)), setView: setViewOf(set)}
	for i, c := range s.Currencies {
		out.Currencies[i] = CurrencySummaryView{Currency: c.Currency, Count: c.Count, Total: c.Total,
			Paid: partView(c.Paid), Open: partView(c.Open), Refunded: partView(c.Refunded)}
	}
	reqlog.Set(r.Context(), "outcome", "summarized")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// insightParams are GET /v1/insights's parameters.
var insightParams = map[string]bool{"from": true, "to": true}

// parsePeriod reads from and to, days in loc: to defaults to today, from
// to the DefaultInsightDays ending on to; from not after to, and at most
// MaxInsightDays days.
func parsePeriod(v url.Values, now time.Time, loc *time.Location) (domain.Period, error) {
	var errs domain.FieldErrors
	pageParams(v, insightParams, &errs)
	p := domain.Period{Zone: loc, To: domain.DayOf(now, loc)}
	day := func(name string, def domain.Day) domain.Day {
		s := v.Get(name)
		if s == "" {
			return def
		}
		d, ok := domain.ParseDay(s)
		if !ok {
			errs.Add(name, "must be a day, YYYY-MM-DD (in the merchant's time zone)")
			return def
		}
		return d
	}
	p.To = day("to", p.To)
	p.From = day("from", p.To.AddDays(1-domain.DefaultInsightDays))
	switch {
	case len(errs) > 0:
	case p.To.Before(p.From):
		errs.Add("from", "must not be after to")
	case p.From.DaysUntil(p.To) >= domain.MaxInsightDays:
		errs.Add("from", "the period holds at most 366 days: from must be at most 365 days before to")
	}
	if len(errs) > 0 {
		return p, problem.Invalid(errs...)
	}
	return p, nil
}

// GroupView is the figures of a part of insights' links.
type GroupView struct {
	Key        string         `json:"key,omitempty"`
	Links      int            `json:"links"`
	Sent       int            `json:"sent"`
	Opened     int            `json:"opened"`
	Paid       int            `json:"paid"`
	Conversion float64        `json:"conversion"`
	PaidVolume []money.Amount `json:"paid_volume"`
	// MedianTimeToPaySeconds is null when none is paid.
	MedianTimeToPaySeconds *int64 `json:"median_time_to_pay_seconds"`
}

func groupView(g *domain.Group) GroupView {
	v := GroupView{Key: g.Key, Links: g.Links, Sent: g.Sent, Opened: g.Opened, Paid: g.Paid,
		Conversion: math.Round(g.Conversion()*1e4) / 1e4, PaidVolume: g.PaidVolume.List()}
	if g.HasMedian {
		s := int64(g.MedianTimeToPay / time.Second)
		v.MedianTimeToPaySeconds = &s
	}
	return v
}

func groupViews(gs []*domain.Group) []GroupView {
	out := make([]GroupView, len(gs))
	for i, g := range gs {
		out[i] = groupView(g)
	}
	return out
}

// DayView is a day's figures.
type DayView struct {
	Day        string         `json:"day,omitempty"`
	Links      int            `json:"links"`
	Paid       int            `json:"paid"`
	PaidVolume []money.Amount `json:"paid_volume"`
}

func dayView(d *domain.DayFigures) DayView {
	v := DayView{Links: d.Links, Paid: d.Paid, PaidVolume: d.PaidVolume.List()}
	if d.Day != (domain.Day{}) {
		v.Day = d.Day.String()
	}
	return v
}

// InsightsView is GET /v1/insights's answer.
type InsightsView struct {
	Object     string         `json:"object"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	TimeZone   string         `json:"time_zone"`
	Headline   GroupView      `json:"headline"`
	OpenAmount []money.Amount `json:"open_amount"`
	Channels   []GroupView    `json:"channels"`
	Languages  []GroupView    `json:"languages"`
	Days       []DayView      `json:"days"`
	PaidAfter  DayView        `json:"paid_after_period"`
	setView
}

// insights computes the figures of the links made in a period (days in
// the merchant's time zone) server-side, over every link of it (up to
// store.MaxLinkSet), archived ones included.
func (a *API) insights(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	v, err := query(r)
	if err != nil {
		return err
	}
	loc := m.Location()
	p, err := parsePeriod(v, a.Now(), loc)
	if err != nil {
		return err
	}
	x := domain.NewInsighter(p)
	set, err := a.Store.EachLink(r.Context(), periodQuery(m, p), store.MaxLinkSet, x.Add)
	if err != nil {
		return err
	}
	in := x.Insights()
	out := InsightsView{Object: "insights", From: p.From.String(), To: p.To.String(), TimeZone: m.Zone(), Headline: groupView(&in.All),
		OpenAmount: in.OpenAmount.List(), Channels: groupViews(in.Channels), Languages: groupViews(in.Languages),
		Days: make([]DayView, len(in.Days)), PaidAfter: dayView(&in.PaidAfter), setView: setViewOf(set)}
	for i := range in.Days {
		out.Days[i] = dayView(&in.Days[i])
	}
	reqlog.Set(r.Context(), "outcome", "insights")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// periodQuery selects every link of m made in the period's days.
func periodQuery(m *merchant.Merchant, p domain.Period) store.ListQuery {
	from, to := domain.DayBounds(p.From, p.To, p.Zone)
	return store.ListQuery{Merchant: m.ID, CreatedFrom: from.UTC(), CreatedTo: to.UTC(), AnyArchived: true}
}
