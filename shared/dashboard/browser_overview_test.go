package dashboard_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	headless "github.com/paylinks/paylinks/shared/testkit/browser"
)

// overviewZone is a merchant time zone whose day differs from UTC's now
// (14 hours ahead from 10:00 UTC, 11 behind before), so that a page
// showing UTC days, or sending its date filters as UTC days, is seen.
func overviewZone(t *testing.T, now time.Time) *time.Location {
	t.Helper()
	name := "Pacific/Pago_Pago"
	if now.UTC().Hour() >= 10 {
		name = "Pacific/Kiritimati"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// euros is an amount as the dashboard shows it in English: €1,107.50.
func euros(value string) string {
	whole, cents, _ := strings.Cut(value, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return "€" + b.String() + "." + (cents + "00")[:2]
}

// summaryOf is the API's summary of the links the query selects: the count
// and the EUR total.
func summaryOf(t *testing.T, p *people, query string) (int, string) {
	t.Helper()
	st, s := p.api(t, "GET", "/v1/payment-links/summary?"+query, demoKeys.byPeople[p], "", nil)
	if st != 200 {
		t.Fatalf("summary %s: %d %v", query, st, s)
	}
	total := "0.00"
	cur, _ := s["currencies"].([]any)
	for _, c := range cur {
		if m := c.(map[string]any); m["currency"] == "EUR" {
			total = m["total"].(map[string]any)["value"].(string)
		}
	}
	return int(s["count"].(float64)), total
}

// TestBrowserOverviewAtAGlance: with 24 links, an owner at 1280×800 sees
// at least 12 rows without scrolling (compact filters, no bulk bar until a
// box is ticked), every column headed, the filtered set's count and sum
// from the API above the table ("24 of 24"); picks a customer with the
// type-ahead and sees that customer's figures; finds an archived link
// shown as archived; and reads the days in the merchant's time zone, the
// date filters taken as that zone's days.
func TestBrowserOverviewAtAGlance(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "owner")
	key := demoKeys.byPeople[p]
	seedDemoLinks(t, p)
	importLinks(t, p, key, "Row", 20)
	loc := overviewZone(t, time.Now())
	if st, s := p.api(t, "PUT", "/v1/settings", key, `{"time_zone":"`+loc.String()+`"}`, nil); st != 200 {
		t.Fatalf("time zone: %d %v", st, s)
	}
	today := time.Now().In(loc).Format("Jan 2, 2006")

	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("24 of 24")
	if n := b.VisibleWithin("tbody tr", 800); n < 12 {
		t.Errorf("%d rows visible at 1280×800, want at least 12", n)
	} else {
		t.Logf("%d rows visible at 1280×800", n)
	}
	if n := b.Count(".bulk:not([hidden])"); n != 0 {
		t.Errorf("the bulk bar shows with nothing selected")
	}
	if n := b.Unnamed("thead th"); n != 0 {
		t.Errorf("%d column(s) without a header", n)
	}
	n, total := summaryOf(t, p, "")
	if sums := b.Text(".sums"); n != 24 || !strings.Contains(sums, euros(total)) || !strings.Contains(sums, "24") {
		t.Errorf("the summary %q, the API's: %d links, %s", sums, n, total)
	}
	if rows := b.Text("tbody"); !strings.Contains(rows, today) {
		t.Errorf("the rows lack today in %s (%s):\n%s", loc, today, rows)
	}
	if r := b.Text(".range"); !strings.Contains(r, "to "+today) {
		t.Errorf("the range ends on another day than today in %s (%s): %q", loc, today, r)
	}
	checkPage(t, b, "overview-glance")

	overviewCustomer(t, p, b)
	overviewDays(t, p, b, loc)
	overviewArchived(t, p, b)
}

// overviewCustomer: typing "glo" in the customer filter offers the
// customers; the arrow keys reach Globex and Enter picks it; Apply shows
// its one link and the API's figures for it.
func overviewCustomer(t *testing.T, p *people, b *headless.Browser) {
	t.Helper()
	b.Fill("Customer", "glo")
	b.WaitText("· ap@globex.example")
	for i := 0; i < 5 && !strings.Contains(b.Text(`li[aria-selected="true"]`), "ap@globex.example"); i++ {
		b.Press("ArrowDown")
	}
	b.Shot("customer-typeahead")
	b.Press("Enter")
	b.ClickButton("Apply")
	b.WaitText("1 of 1")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Workshop") || strings.Contains(rows, "Row 1") {
		t.Fatalf("the customer filter:\n%s", rows)
	}
	n, total := summaryOf(t, p, "customer=ap@globex.example")
	if sums := b.Text(".sums"); n != 1 || !strings.Contains(sums, euros(total)) {
		t.Errorf("the customer's summary %q, the API's: %d links, %s", sums, n, total)
	}
}

// overviewDays: From and To both today in the merchant's zone hold every
// link made now.
func overviewDays(t *testing.T, p *people, b *headless.Browser, loc *time.Location) {
	t.Helper()
	d := time.Now().In(loc).Format(time.DateOnly)
	b.Go(p.srv.URL + "/dashboard?from=" + d + "&to=" + d)
	b.WaitText("24 of 24")
}

// overviewArchived: the paid link archived is under the Archived preset,
// shown as archived rather than paid.
func overviewArchived(t *testing.T, p *people, b *headless.Browser) {
	t.Helper()
	key := demoKeys.byPeople[p]
	_, list := p.api(t, "GET", "/v1/payment-links?status=paid", key, "", nil)
	data, _ := list["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("paid links: %v", list)
	}
	id := data[0].(map[string]any)["id"].(string)
	if st, l := p.api(t, "POST", "/v1/payment-links/"+id+"/archive", key, "", map[string]string{"Idempotency-Key": "arch-" + strconv.Itoa(int(time.Now().UnixNano()))}); st != 200 {
		t.Fatalf("archive: %d %v", st, l)
	}
	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("23 of 23")
	b.ClickLink("Archived")
	b.WaitText("1 of 1")
	rows := b.Text("tbody")
	if !strings.Contains(rows, "Consulting May") || !strings.Contains(rows, "Archived") || strings.Contains(rows, "Paid") {
		t.Fatalf("the archived link:\n%s", rows)
	}
	b.Shot("archived")
	b.Axe(t, "the archived preset")
}
