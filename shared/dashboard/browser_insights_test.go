package dashboard_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestBrowserInsights: of the demo links (four made today, in euro), the
// one sent by e-mail (Dutch) was opened and paid, and one not sent
// (English) was paid. The page reads GET /v1/insights: the headline says
// the paid volume, the open amount (the two links still payable), the
// conversion (2 of 4) and the median time to pay; the per-channel table has
// the API's groups (Not sent among them); the period is the overview's 90
// days (the API's default, ending today); the daily chart spans the whole period with today's column at its
// right edge, its axis text in the page (not scaled down with the drawing).
func TestBrowserInsights(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "viewer")
	d := seedDemoLinks(t, p)
	sent := d.sent["id"].(string)
	openAsPerson(t, d.sent)
	testenv.Eventually(t, 10*time.Second, "the sent link opened", func() bool {
		_, l := p.api(t, "GET", "/v1/payment-links/"+sent, demoKeys.byPeople[p], "", nil)
		return l["clicked_at"] != nil
	})
	pay(t, p, sent, "12.50")

	b.Go(p.srv.URL + "/dashboard")
	b.ClickLink("Insights")
	b.WaitText("Paid volume")
	b.WaitText("Per language")
	checkPage(t, b, "insights")

	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(brussels)
	today := now.Format("2006-01-02")
	if from := b.Attr("input[name=from]", "value"); from != now.AddDate(0, 0, -89).Format("2006-01-02") {
		t.Errorf("the period starts on %s, want the 90 days ending %s", from, today)
	}
	head := strings.Join(strings.Fields(b.Text("#i-headline")), " ")
	for _, want := range []string{"Paid volume €962.50", "Open amount €125.00", "Conversion 50%", "2 of 4 links paid", "Median time to pay under a minute"} {
		if !strings.Contains(head, want) {
			t.Errorf("the headline lacks %q: %q", want, head)
		}
	}
	if got := b.Attr("#i-funnel ~ figure [role=img]", "aria-label"); got != "Conversion funnel: Links 4, Sent 1, Opened 1, Paid 2" {
		t.Errorf("the funnel says %q", got)
	}
	cells := func(sel, row string) string { return strings.Join(strings.Fields(rowWith(b.Text(sel), row)), " ") }
	if got := cells("#i-channel ~ .table-wrap tbody", "E-mail"); !strings.HasPrefix(got, "E-mail 1 1 1 100% €12.50") {
		t.Errorf("the per-channel table's e-mail row: %q", got)
	}
	if got := cells("#i-channel ~ .table-wrap tbody", "Not sent"); !strings.HasPrefix(got, "Not sent 3 0 1 33% €950.00") {
		t.Errorf("the per-channel table's not-sent row: %q", got)
	}
	if got := cells("#i-lang ~ .table-wrap tbody", "English"); !strings.HasPrefix(got, "English 3 0 1 33% €950.00") {
		t.Errorf("the per-language table's English row: %q", got)
	}
	dayChart(t, b.Attr, b.Count, today)

	// A crafted period of millions of days is cut to a year, said so.
	b.Go(p.srv.URL + "/dashboard/insights?from=2000-01-01&to=9999-12-31")
	b.WaitText("A period is at most 366 days")
	b.WaitText("Paid per day")
}

// dayChart: 90 columns (the period's days), the last today's, ending at
// the drawing's right edge; the axis labels are page text.
func dayChart(t *testing.T, attr func(sel, name string) string, count func(sel string) int, today string) {
	t.Helper()
	svg := "#i-day ~ figure svg"
	if n := count(svg + " rect.bar"); n != 90 {
		t.Errorf("the daily chart has %d columns, want 90", n)
	}
	if got := attr(svg, "preserveAspectRatio"); got != "none" {
		t.Errorf("the daily chart keeps its aspect (%q): it cannot fill the width", got)
	}
	vb := strings.Fields(attr(svg, "viewBox"))
	last := svg + " rect.bar:last-of-type"
	x, _ := strconv.ParseFloat(attr(last, "x"), 64)
	w, _ := strconv.ParseFloat(attr(last, "width"), 64)
	if len(vb) != 4 || vb[2] == "" {
		t.Fatalf("the daily chart's viewBox: %v", vb)
	}
	if width, _ := strconv.ParseFloat(vb[2], 64); width-(x+w) > width/90 {
		t.Errorf("today's column ends at %.1f of %.1f", x+w, width)
	}
	if got := attr(last, "data-day"); got != today {
		t.Errorf("the last column is %q, want today %s", got, today)
	}
	if count("#i-day ~ figure .axis span") < 2 {
		t.Error("the daily chart's axis labels are not page text")
	}
}
