package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/testkit/camtgen"
)

// TestBankTransferFlowOnMakeDev: the whole way of a payment by bank
// transfer through the real make dev, as an integrator and a finance
// person go: a bank_transfer link, its page and EPC QR code (decoded, each
// line checked); a statement that pays it (paid, payment_method
// bank_transfer, the payment_link.paid webhook), holds a wrong amount, an
// unknown reference, a second payment and a payment with no reference for
// review; the same file again (duplicates only); the payment with no
// reference matched by hand to its link; a refund of the paid link
// previewed, then paid out by a pain.001 file and confirmed by a statement's debit carrying its
// end-to-end id (refund succeeded, refund.succeeded webhook).
func TestBankTransferFlowOnMakeDev(t *testing.T) {
	s := newStack(t)
	const key = "sk_test_devbankflow00010000000000000004Q1uru4H"
	s.makeDev(t, "PAYLINKS_DEV_API_KEY="+key)
	hooks := newHookSink(t)
	s.enableBankTransfer(t, key)
	s.setWebhook(t, key, hooks.URL+"/hooks")

	a, b, c := s.bankLink(t, key, "41.20"), s.bankLink(t, key, "10.00"), s.bankLink(t, key, "15.00")
	checkPageAndQR(t, s, key, a, "41.20")
	file := camtgen.Of(flowAccount, []bank.Entry{
		flowEntry("41.20", a.ref, "FLOW-1", true),             // pays a
		flowEntry("10.01", b.ref, "FLOW-2", true),             // mismatched
		flowEntry("3.00", "RF18539007547034", "FLOW-3", true), // unmatched: no such link
		flowEntry("41.20", a.ref, "FLOW-4", true),             // second payment of a
		flowEntry("15.00", "", "FLOW-5", true),                // no reference: matched by hand to c
	})
	st := s.uploadStatement(t, key, file)
	if st["matched"] != 1.0 || st["review"] != 4.0 || st["duplicates"] != 0.0 {
		t.Fatalf("the first statement: %v", st)
	}
	if _, l := s.api(t, key, "GET", "/v1/payment-links/"+a.id, nil); l["status"] != "paid" || l["psp"] != "bank" || l["payment_method"] != "bank_transfer" {
		t.Errorf("the paid link: status %v psp %v payment_method %v", l["status"], l["psp"], l["payment_method"])
	}
	again := s.uploadStatement(t, key, file)
	if again["duplicates"] != 5.0 || again["matched"] != 0.0 || again["review"] != 0.0 {
		t.Fatalf("the same file again: %v", again)
	}
	s.matchByHand(t, key, "15.00", b, c)
	s.refundByBank(t, key, a, "41.20")
	for _, want := range []string{"payment_link.paid " + a.id, "payment_link.paid " + c.id, "refund.succeeded " + a.id} {
		if !waitFor(30*time.Second, func() bool { return hooks.has(want) }) {
			t.Errorf("no webhook %q in 30 s (got %v)", want, hooks.seen())
		}
	}
}

// flowAccount is the demo merchant's account in the flow's statements.
const flowAccount = "BE71096123456769"

// flowEntry is a booked entry of today on the merchant's account, from
// (or to) one payer.
func flowEntry(amount, ref, acctRef string, credit bool) bank.Entry {
	return bank.Entry{Account: flowAccount, Currency: "EUR", Amount: decimal.RequireFromString(amount), Credit: credit, Booked: true,
		BookedOn: time.Now().UTC().Format("2006-01-02"), EntryRef: acctRef, Reference: ref,
		Party: bank.Party{Name: "Jan Peeters", IBAN: "BE68539007547034"}}
}

// setWebhook aims the demo merchant's outbound webhooks at url.
func (s *stack) setWebhook(t *testing.T, key, url string) {
	t.Helper()
	_, set := s.api(t, key, "GET", "/v1/settings", nil)
	for _, readOnly := range []string{"live", "merchant", "psp_credentials_set", "webhook_disabled_at", "webhook_disabled_reason", "webhook_secret_set"} {
		delete(set, readOnly)
	}
	set["webhook_url"] = url
	set["webhook_secret"] = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	if code, out := s.api(t, key, "PUT", "/v1/settings", set); code != 200 {
		t.Fatalf("webhook settings: %d %v", code, out)
	}
}

// matchByHand finds the unmatched payment of amount in review (beside one
// mismatched, one second and another unmatched), refuses its match to
// wrong (another amount) and matches it to right, which is then paid.
func (s *stack) matchByHand(t *testing.T, key, amount string, wrong, right bankLinkRef) {
	t.Helper()
	code, page := s.api(t, key, "GET", "/v1/payments/review?limit=50", nil)
	var id string
	kinds := map[string]int{}
	for _, x := range page["data"].([]any) {
		p := x.(map[string]any)
		kinds[fmt.Sprint(p["kind"])]++
		if amt, _ := p["amount"].(map[string]any); p["kind"] == "unmatched" && amt["value"] == amount {
			id = p["id"].(string)
		}
	}
	if code != 200 || kinds["unmatched"] != 2 || kinds["mismatched"] != 1 || kinds["second"] != 1 || id == "" {
		t.Fatalf("review: %d %v (%v)", code, kinds, page)
	}
	if code, out := s.api(t, key, "POST", "/v1/payments/review/"+id+"/match", map[string]string{"link_id": wrong.id}); code != 422 {
		t.Errorf("a match of %s to a link of another amount: %d %v", amount, code, out)
	}
	if code, out := s.api(t, key, "POST", "/v1/payments/review/"+id+"/match", map[string]string{"link_id": right.id}); code != 200 {
		t.Fatalf("match by hand: %d %v", code, out)
	}
	if st := s.linkStatus(t, key, right.id); st != "paid" {
		t.Errorf("the link matched by hand: %s", st)
	}
}

// refundByBank refunds paid link l by bank: pending, previewed, filed in a
// pain.001, then succeeded by a statement's debit carrying its end-to-end
// id.
func (s *stack) refundByBank(t *testing.T, key string, l bankLinkRef, amount string) {
	t.Helper()
	code, r := s.api(t, key, "POST", "/v1/payment-links/"+l.id+"/refunds", map[string]any{"reason": "returned goods"})
	if code != 201 || r["status"] != "pending" {
		t.Fatalf("refund by bank: %d %v", code, r)
	}
	code, next := s.api(t, key, "GET", "/v1/bank-refund-files/next", nil)
	if total, _ := next["total"].(map[string]any); code != 200 || next["refunds"] != 1.0 || total["value"] != amount || next["more"] != false {
		t.Fatalf("the next refund file: %d %v", code, next)
	}
	code, f := s.api(t, key, "POST", "/v1/bank-refund-files", map[string]any{})
	if total, _ := f["total"].(map[string]any); code != 201 || f["refunds"] != 1.0 || total["value"] != amount {
		t.Fatalf("refund file: %d %v", code, f)
	}
	debit := flowEntry(amount, "", "FLOW-6", false)
	debit.EndToEndID = s.refundFileEndToEnd(t, key, f["id"].(string))
	if out := s.uploadStatement(t, key, camtgen.Of(flowAccount, []bank.Entry{debit})); out["matched"] != 1.0 {
		t.Fatalf("the statement with the refund's debit: %v", out)
	}
	_, rs := s.api(t, key, "GET", "/v1/payment-links/"+l.id+"/refunds", nil)
	if data, _ := rs["data"].([]any); len(data) != 1 || data[0].(map[string]any)["status"] != "succeeded" {
		t.Fatalf("the refund after its debit: %v", rs)
	}
}

// checkPageAndQR reads the link's customer page and its EPC QR code, and
// checks each line of the code (EPC069-12).
func checkPageAndQR(t *testing.T, s *stack, key string, l bankLinkRef, amount string) {
	t.Helper()
	_, link := s.api(t, key, "GET", "/v1/payment-links/"+l.id, nil)
	resp, err := http.Get(link["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	bt := link["bank_transfer"].(map[string]any)
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte(bt["reference"].(string))) || !bytes.Contains(page, []byte("BE71 0961 2345 6769")) {
		t.Fatalf("the link's page: %d, reference %v or IBAN missing", resp.StatusCode, bt["reference"])
	}
	resp, err = http.Get(bt["qr_url"].(string))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the EPC QR code: %v %v", resp, err)
	}
	img, err := png.Decode(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"})
	if err != nil {
		t.Fatalf("decode the EPC QR code: %v", err)
	}
	want := []string{"BCD", "002", "1", "SCT", "GKCCBEBB", "Demo Shop BV", "BE71096123456769", "EUR" + amount, "", l.ref, ""}
	got := strings.Split(res.GetText(), "\n")
	for len(got) < len(want) {
		got = append(got, "")
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("EPC QR lines %q, want %q", got, want)
	}
}

// uploadStatement posts a camt file and waits until it is processed.
func (s *stack) uploadStatement(t *testing.T, key string, file []byte) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", s.devURL()+"/v1/bank-statements", bytes.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var up map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("upload: %d %v", resp.StatusCode, up)
	}
	var st map[string]any
	if !waitFor(60*time.Second, func() bool {
		_, st = s.api(t, key, "GET", "/v1/bank-statements/"+up["id"].(string), nil)
		return st["status"] == "done" || st["status"] == "failed"
	}) || st["status"] != "done" {
		t.Fatalf("statement %v not done in 60 s: %v", up["id"], st)
	}
	return st
}

// refundFileEndToEnd downloads a refund file's pain.001 and returns the
// end-to-end id of its one transaction.
func (s *stack) refundFileEndToEnd(t *testing.T, key, id string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.devURL()+"/v1/bank-refund-files/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		E2E []string `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf>PmtId>EndToEndId"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 || len(doc.E2E) != 1 {
		t.Fatalf("the refund file's pain.001: %d %v %v", resp.StatusCode, err, doc.E2E)
	}
	return doc.E2E[0]
}

// hookSink receives the dev server's outbound webhooks.
type hookSink struct {
	*httptest.Server
	mu  sync.Mutex
	got []string
}

func newHookSink(t *testing.T) *hookSink {
	h := &hookSink{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string
			Data struct{ Link struct{ ID string } }
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		h.mu.Lock()
		h.got = append(h.got, ev.Type+" "+ev.Data.Link.ID)
		h.mu.Unlock()
		w.WriteHeader(204)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookSink) has(s string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, g := range h.got {
		if g == s {
			return true
		}
	}
	return false
}

func (h *hookSink) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}
