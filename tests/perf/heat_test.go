package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/testkit/ddbcount"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
	"github.com/paylinks/paylinks/shared/webhook"
)

// heatTargets are the single-merchant rates the key layout must allow
// (issue 19), by phase.
var heatTargets = map[string]float64{"create": 5000, "click": 20000}

const heatFile = "../../build/heat.json"

func heatScale() int {
	if v, err := strconv.Atoi(os.Getenv("HEAT_SCALE")); err == nil && v > 0 {
		return v
	}
	return 1
}

// heatRun is one merchant's workload with its heat recorder.
type heatRun struct {
	*harness
	heat  *ddbcount.Heat
	links []heatLink // created through the API, in order
}

type heatLink struct{ id, code string }

// BenchmarkHeat is the key-heat stage (-benchtime 1x): one merchant's
// workload through the real handlers, each call's reported table and index
// units attributed to the partition keys it touched (ddbcount.Heat). Per
// phase: requests, WCU, RCU, the hottest key's share and the request rate at
// which that key reaches DynamoDB's per-partition limits (1,000 WCU/s,
// 3,000 RCU/s). HEAT_SCALE multiplies the counts. Writes build/heat.json.
func BenchmarkHeat(b *testing.B) {
	testenv.NeedHeat(b)
	h := newHarness(b)
	r := &heatRun{harness: h, heat: h.env.Heat}
	sc := heatScale()
	r.creates(b, 2000*sc)
	r.sends(b, 400*sc)
	clicked := r.clicks(b, 1000*sc)
	paid := r.payments(b, clicked[:600*sc])
	r.refunds(b, paid[:100*sc])
	r.importCSV(b, 1000*sc)
	r.gets(b, 500*sc)
	r.timelines(b, 100*sc)
	r.listPages(b, 20*sc)
	r.streamRecords(b)
	r.feedPages(b, 20*sc)
	r.heat.End()
	rep, err := r.heat.Report()
	if err != nil {
		b.Fatal(err)
	}
	if err := writeHeat(rep, sc); err != nil {
		b.Fatal(err)
	}
	if rep.Split == ddbcount.SplitModel {
		b.Log("model split: DynamoDB reported totals only; table and index units split by the model's weights")
	}
	for _, p := range rep.Phases {
		b.Run(strings.ReplaceAll(p.Name, " ", "_"), func(b *testing.B) {
			b.ReportMetric(float64(p.Ops), "ops")
			b.ReportMetric(p.WCU, "WCU")
			b.ReportMetric(p.RCU, "RCU")
			b.ReportMetric(hotShare(p), "hot-share")
			b.ReportMetric(p.Allowed, "allowed/s")
			if t, ok := heatTargets[p.Name]; ok {
				b.ReportMetric(t, "target/s")
			}
		})
		hot := p.HotWrite
		if p.HotWrite.WCU == 0 {
			hot = p.HotRead
		}
		verdict := ""
		if t, ok := heatTargets[p.Name]; ok {
			verdict = fmt.Sprintf(" target %.0f/s: %s", t, passFail(p.Allowed >= t))
		}
		b.Logf("%-10s ops %6d  WCU %9.1f  RCU %8.1f  hottest %s %s (%.1f%%)  allowed %.0f/s%s", p.Name, p.Ops, p.WCU, p.RCU, hot.Where, hot.Family, 100*hotShare(p), p.Allowed, verdict)
	}
	b.Run("run", func(b *testing.B) {
		b.ReportMetric(rep.Run.WCU, "WCU")
		b.ReportMetric(rep.Run.RCU, "RCU")
		b.ReportMetric(rep.Run.WriteShare, "hot-wshare")
		b.ReportMetric(rep.Run.ReadShare, "hot-rshare")
	})
	b.Logf("run: %.0f WCU, hottest %s %s %.1f%%; %.0f RCU, hottest %s %s %.1f%% (%s)", rep.Run.WCU, rep.Run.HotWrite.Where, rep.Run.HotWrite.PK,
		100*rep.Run.WriteShare, rep.Run.RCU, rep.Run.HotRead.Where, rep.Run.HotRead.PK, 100*rep.Run.ReadShare, rep.Split)
}

// hotShare is the share of the phase's units its hottest write key took
// (read key for a phase without writes).
func hotShare(p ddbcount.PhaseReport) float64 {
	if p.WCU > 0 {
		return p.WriteShare
	}
	return p.ReadShare
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// heatJSON is build/heat.json.
type heatJSON struct {
	Date    string             `json:"date"`
	Scale   int                `json:"heat_scale"`
	Targets map[string]float64 `json:"targets_per_s"`
	ddbcount.HeatReport
}

func writeHeat(rep ddbcount.HeatReport, scale int) error {
	for i := range rep.Phases { // the families hold every key's figures; keep the file short
		if len(rep.Phases[i].Families) > 12 {
			rep.Phases[i].Families = rep.Phases[i].Families[:12]
		}
	}
	raw, err := json.MarshalIndent(heatJSON{Date: time.Now().UTC().Format(time.RFC3339), Scale: scale, Targets: heatTargets, HeatReport: rep}, "", " ")
	if err != nil {
		return fmt.Errorf("heat json: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(heatFile), 0o755); err != nil {
		return fmt.Errorf("build dir: %w", err)
	}
	if err := os.WriteFile(heatFile, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", heatFile, err)
	}
	return nil
}

// createBodyFor varies the create request: 10% with a reference, 5% with
// a reminder, 20% sent by e-mail (the Idempotency-Key, 10%, is a header).
func createBodyFor(i int) string {
	var extra []string
	if i%10 == 1 {
		extra = append(extra, fmt.Sprintf(`"reference":"INV-H-%07d"`, i))
	}
	if i%20 == 3 {
		extra = append(extra, `"reminder":{"before_expiry_hours":24}`)
	}
	if i%5 == 4 {
		extra = append(extra, `"send":{"channel":"email"}`)
	}
	if len(extra) == 0 {
		return createBody
	}
	return strings.TrimSuffix(createBody, "}") + "," + strings.Join(extra, ",") + "}"
}

func (r *heatRun) creates(b *testing.B, n int) {
	r.heat.Phase("create", n)
	for i := 0; i < n; i++ {
		var hdr map[string]string
		if i%10 == 2 {
			hdr = map[string]string{"Idempotency-Key": fmt.Sprintf("heat-create-%07d", i)}
		}
		rec := r.do(b, "POST", "/v1/payment-links", createBodyFor(i), hdr)
		if rec.Code != 201 {
			b.Fatalf("create %d: %d %s", i, rec.Code, rec.Body)
		}
		var v struct{ ID, URL string }
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			b.Fatal(err)
		}
		u, err := url.Parse(v.URL)
		if err != nil || !strings.HasPrefix(u.Path, "/l/") {
			b.Fatalf("create %d: url %q", i, v.URL)
		}
		r.links = append(r.links, heatLink{v.ID, strings.TrimPrefix(u.Path, "/l/")})
	}
}

// sends hands the send worker one message per link created with a send.
func (r *heatRun) sends(b *testing.B, n int) {
	var msgs []events.SQSMessage
	for i, l := range r.links {
		if i%5 == 4 && len(msgs) < n {
			msgs = append(msgs, sqsMessage(fmt.Sprint(i), send.Message{Merchant: merchantID, LinkID: l.id, Channel: "email", SendID: "heat-" + l.id, Kind: "link"}))
		}
	}
	r.heat.Phase("send", len(msgs))
	for _, m := range msgs {
		if err := r.svc.Send.Handle(context.Background(), m); err != nil {
			b.Fatalf("send: %v", err)
		}
	}
}

// clicks opens n links three times each (a first click, two repeats).
func (r *heatRun) clicks(b *testing.B, n int) []heatLink {
	ua := map[string]string{"User-Agent": browserUA}
	links := r.links[:n]
	r.heat.Phase("click", 3*n)
	for _, l := range links {
		for k := 0; k < 3; k++ {
			if rec := r.do(b, "GET", "/l/"+l.code, "", ua); rec.Code != 302 {
				b.Fatalf("click %s: %d %s", l.id, rec.Code, rec.Body)
			}
		}
	}
	return links
}

var heatAmount = money.MustParse("EUR", "120.98")

// payments: the sandbox PSP's signed webhook for each link, then the apply
// worker on the message the ingest queued (built here: no queue draining).
func (r *heatRun) payments(b *testing.B, links []heatLink) []heatLink {
	m, err := r.env.Store.GetMerchant(context.Background(), merchantID)
	if err != nil {
		b.Fatal(err)
	}
	type pay struct {
		body []byte
		msg  events.SQSMessage
	}
	pays := make([]pay, len(links))
	for i, l := range links {
		amt, ref, id := heatAmount, "pay_sb_"+l.id[len(l.id)-8:], fmt.Sprintf("evt_sb_heat_%08d", i)
		pays[i].body, _ = json.Marshal(sandbox.WebhookEvent{ID: id, Type: "payment.succeeded", Created: r.now.Unix(),
			Data: sandbox.WebhookData{LinkID: l.id, Attempt: 1, PaymentID: ref, Amount: &amt}})
		pays[i].msg = sqsMessage(fmt.Sprint(i), webhook.Message{Merchant: merchantID, Provider: sandbox.Name, Event: domain.PaymentEvent{
			ID: id, Kind: domain.PaymentSucceeded, Type: "payment.succeeded", LinkID: l.id, Attempt: 1, PaymentRef: ref, Amount: &amt, At: r.now}})
	}
	r.heat.Phase("payment", len(links))
	for i, p := range pays {
		sig := psp.SignedHeader(m.PSPWebhookSecret, time.Now(), p.body)
		if rec := r.do(b, "POST", "/webhooks/psp/sandbox/"+merchantID, string(p.body), map[string]string{sandbox.SignatureHeader: sig}); rec.Code != 200 {
			b.Fatalf("ingest %d: %d %s", i, rec.Code, rec.Body)
		}
		if err := r.svc.Apply.Handle(context.Background(), p.msg); err != nil {
			b.Fatalf("apply %d: %v", i, err)
		}
	}
	return links
}

// refunds: a partial refund through the API, then the refund worker.
func (r *heatRun) refunds(b *testing.B, links []heatLink) {
	r.heat.Phase("refund", len(links))
	for i, l := range links {
		rec := r.do(b, "POST", "/v1/payment-links/"+l.id+"/refunds", `{"amount":{"currency":"EUR","value":"1.00"}}`, nil)
		if rec.Code != 201 {
			b.Fatalf("refund %d: %d %s", i, rec.Code, rec.Body)
		}
		var v struct{ ID string }
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.ID == "" {
			b.Fatalf("refund %d: %s", i, rec.Body)
		}
		if err := r.svc.Refunds.Handle(context.Background(), sqsMessage("re"+fmt.Sprint(i), refund.Message{Merchant: merchantID, LinkID: l.id, RefundID: v.ID})); err != nil {
			b.Fatalf("refund worker %d: %v", i, err)
		}
	}
}

// importCSV: one file of rows through the API, then the import worker on
// each chunk's message (built as the API builds them).
func (r *heatRun) importCSV(b *testing.B, rows int) {
	var sb strings.Builder
	sb.WriteString("amount,currency,description,reference,expires_in_days,first_name,last_name,company_name,email,phone,language,country,origin,send_channel\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&sb, "%d.%02d,EUR,Invoice H%07d,IMP-H-%07d,30,Ana%d,Peeters,,customer%d@example.be,,nl,BE,import,\n", 10+i%500, i%100, i, i, i, i)
	}
	body := sb.String()
	header, parsed, err := imports.ParseCSV([]byte(body))
	if err != nil {
		b.Fatal(err)
	}
	r.heat.Phase("import", rows)
	rec := r.do(b, "POST", "/v1/payment-links/import", body, map[string]string{"Content-Type": "text/csv"})
	if rec.Code != 202 {
		b.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	var v struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.ID == "" {
		b.Fatalf("import: %s", rec.Body)
	}
	for i := 0; i < len(parsed); i += imports.Chunk {
		msg := imports.Message{Merchant: merchantID, ImportID: v.ID, Header: header, Rows: parsed[i:min(i+imports.Chunk, len(parsed))]}
		if err := r.svc.Imports.Handle(context.Background(), sqsMessage(fmt.Sprintf("imp-%d", i), msg)); err != nil {
			b.Fatalf("import chunk %d: %v", i, err)
		}
	}
}

func (r *heatRun) gets(b *testing.B, n int) {
	r.heat.Phase("get", n)
	for i := 0; i < n; i++ {
		if rec := r.do(b, "GET", "/v1/payment-links/"+r.links[i%len(r.links)].id, "", nil); rec.Code != 200 {
			b.Fatalf("get: %d", rec.Code)
		}
	}
}

func (r *heatRun) timelines(b *testing.B, n int) {
	r.heat.Phase("timeline", n)
	for i := 0; i < n; i++ {
		if rec := r.do(b, "GET", "/v1/payment-links/"+r.links[i%len(r.links)].id+"/events", "", nil); rec.Code != 200 {
			b.Fatalf("events: %d", rec.Code)
		}
	}
}

// listPages walks the default listing 50 at a time, from the start again
// when it runs out.
func (r *heatRun) listPages(b *testing.B, n int) {
	r.heat.Phase("list page", n)
	r.pages(b, n, "/v1/payment-links?limit=50", "cursor")
}

// pages reads n pages of a listing at path, each after the one before
// (its next_cursor as the param; from the start again when a page says no
// more follows: next_cursor null, or has_more false where it is given).
func (r *heatRun) pages(b *testing.B, n int, path, param string) {
	cursor := ""
	for i := 0; i < n; i++ {
		p := path
		if cursor != "" {
			p += "&" + param + "=" + url.QueryEscape(cursor)
		}
		rec := r.do(b, "GET", p, "", nil)
		if rec.Code != 200 {
			b.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
		}
		var v struct {
			Data       []json.RawMessage `json:"data"`
			NextCursor *string           `json:"next_cursor"`
			HasMore    *bool             `json:"has_more"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			b.Fatal(err)
		}
		if i == 0 && len(v.Data) == 0 {
			b.Fatalf("%s: the first page is empty", p)
		}
		cursor = ""
		if v.NextCursor != nil && (v.HasMore == nil || *v.HasMore) {
			cursor = *v.NextCursor
		}
	}
}

// streamRecords hands the stream handler a record per link made, as the
// table's stream carries a link's change (in batches of 100, as the
// stream's event source mapping): each writes its event into the
// merchant's feed (and its delivery). The feed's own keys (FEED#<n>) are
// what this phase is for: the delivery's and the customer's keys were
// there before.
func (r *heatRun) streamRecords(b *testing.B) {
	imgs := linkImages(b, r.harness)
	recs := make([]outbound.Record, 0, len(imgs))
	for _, img := range imgs {
		recs = append(recs, outbound.Record{Name: "INSERT", Sequence: fmt.Sprint(len(recs) + 1), New: img})
	}
	r.heat.Phase("stream", len(recs))
	for i := 0; i < len(recs); i += 100 {
		if failed := r.svc.Stream.Handle(context.Background(), recs[i:min(i+100, len(recs))]); failed != "" {
			b.Fatalf("stream record %s failed", failed)
		}
	}
}

// feedPages reads the event feed a page of 100 at a time, from its start
// (after the second events take to settle).
func (r *heatRun) feedPages(b *testing.B, n int) {
	time.Sleep(1100 * time.Millisecond)
	r.heat.Phase("feed page", n)
	r.pages(b, n, "/v1/events?limit=100", "after")
}
