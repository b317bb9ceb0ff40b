package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
)

// The Standard Webhooks reference libraries' own test vector.
func TestSignKnownVector(t *testing.T) {
	key, err := DecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
	h, err := SignatureHeader([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_" + strings.Repeat("A", 32)}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil || !strings.HasPrefix(h, got+" v1,") || strings.Count(h, "v1,") != 2 {
		t.Fatalf("rotation header %q %v", h, err)
	}
}

func TestDecodeSecretRefusesWeakOrMalformed(t *testing.T) {
	for _, s := range []string{"", "whsec_", "whsec_c2hvcnQ=", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64 at all!!!!!!!!!!!", "whsec_" + strings.Repeat("A", 100)} {
		if _, err := DecodeSecret(s); !errors.Is(err, ErrBadSecret) {
			t.Errorf("%q accepted", s)
		}
	}
	if _, err := SignatureHeader(nil, "x", 1, nil); err == nil {
		t.Error("no secrets signed")
	}
}

func TestGuardAddresses(t *testing.T) {
	g := Guard{}
	for _, a := range []string{"127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "0.0.0.0", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "224.0.0.1",
		"255.255.255.255", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "198.18.0.1"} {
		if g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s allowed", a)
		}
	}
	for _, a := range []string{"93.184.215.14", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "11.0.0.1"} {
		if !g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s refused", a)
		}
	}
	if !(Guard{AllowLoopback: true}).Allowed(netip.MustParseAddr("127.0.0.1")) || (Guard{AllowLoopback: true}).Allowed(netip.MustParseAddr("10.0.0.1")) {
		t.Error("AllowLoopback must open loopback only")
	}
}

func TestGuardURLs(t *testing.T) {
	g := Guard{}
	for _, u := range []string{"http://hooks.example.com/x", "https://127.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest/meta-data",
		"https://localhost/x", "https://api.localhost/x", "https://intranet/x", "https://user:pw@hooks.example.com/", "ftp://hooks.example.com/",
		"https://10.0.0.8:8443/x", "/relative", "https://hooks.example.com/#frag", "https://[fd00:ec2::254]/"} {
		if err := g.CheckURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"https://hooks.example.com/paylinks", "https://93.184.215.14:8443/x"} {
		if err := g.CheckURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if err := (Guard{AllowLoopback: true}).CheckURL("http://127.0.0.1:9999/hook"); err != nil {
		t.Errorf("loopback refused when allowed: %v", err)
	}
}

func linkImage(t *testing.T, l *domain.Link) map[string]types.AttributeValue {
	t.Helper()
	// The stored form comes from the store package; build it the same way a
	// stream record carries it: through attributevalue.
	type ref = domain.EventRef
	img := map[string]any{
		"PK": "M#" + l.Merchant + "#L#" + l.ID, "SK": "L#" + l.ID, "type": "link", "id": l.ID, "merchant": l.Merchant, "code": l.Code,
		"status": string(l.Status), "currency": l.Amount.Currency, "amount": l.Amount.String(), "description": l.Description,
		"language": "en", "origin": "api", "expires_at": l.ExpiresAt.Format("2006-01-02T15:04:05.000Z"), "created_at": l.CreatedAt.Format("2006-01-02T15:04:05.000Z"),
		"updated_at": l.UpdatedAt.Format("2006-01-02T15:04:05.000Z"), "version": l.Version, "refunded_minor": l.AmountRefunded.Minor(),
	}
	if l.LastEvent != nil {
		img["last_event"] = ref(*l.LastEvent)
	}
	av, err := attributevalue.MarshalMap(img)
	if err != nil {
		t.Fatal(err)
	}
	return av
}

func sampleLink(version int, ev *domain.EventRef) *domain.Link {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return &domain.Link{ID: "pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA", Merchant: "acme", Code: "acme_x", Status: domain.StatusPaid,
		Amount: money.MustParse("EUR", "100.00"), AmountRefunded: money.MustParse("EUR", "25.00"), Description: "Invoice",
		ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now, Version: version, LastEvent: ev}
}

func TestFromRecord(t *testing.T) {
	paid := &domain.EventRef{ID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XB", Type: domain.EventPaid, At: "2026-11-23T10:00:00Z"}
	refund := &domain.EventRef{ID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XC", Type: domain.EventRefundSucceded, At: "2026-11-23T10:05:00Z",
		Data: map[string]string{"refund_id": "re_01JD3Q4ZK1W8Y6N0M5C2B7V9XD", "amount": "25.00", "currency": "EUR"}}
	sent := &domain.EventRef{ID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XE", Type: "message.sent", At: "2026-11-23T10:06:00Z"}

	// A change that wrote an event: the event, the link after it, its version.
	ev, ok, err := FromRecord(Record{Name: "MODIFY", Old: linkImage(t, sampleLink(3, paid)), New: linkImage(t, sampleLink(4, refund))})
	if err != nil || !ok || ev.Type != domain.EventRefundSucceded || ev.Sequence != 4 || ev.ID != refund.ID {
		t.Fatalf("refund record: %+v %v %v", ev, ok, err)
	}
	checkRefundPayload(t, ev)
	// A change without a new event (a click counted) sends nothing.
	if _, ok, _ := FromRecord(Record{Name: "MODIFY", Old: linkImage(t, sampleLink(4, refund)), New: linkImage(t, sampleLink(5, refund))}); ok {
		t.Fatal("a change without an event became a webhook")
	}
	// Timeline entries outside the list stay on the timeline.
	if _, ok, _ := FromRecord(Record{Name: "MODIFY", Old: linkImage(t, sampleLink(4, refund)), New: linkImage(t, sampleLink(5, sent))}); ok {
		t.Fatal("message.sent became a webhook")
	}
	// Items that are not links send nothing.
	other, _ := attributevalue.MarshalMap(map[string]string{"PK": "M#acme#L#pl_x", "SK": "E#ev_y", "type": "event"})
	if _, ok, err := FromRecord(Record{Name: "INSERT", New: other}); ok || err != nil {
		t.Fatal("an event item became a webhook by itself")
	}
	// A never-opened link deleted by archiving: payment_link.archived, deleted.
	created := sampleLink(1, &domain.EventRef{ID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XF", Type: domain.EventCreated, At: "2026-11-23T10:00:00Z"})
	created.Status = domain.StatusCreated
	ev, ok, err = FromRecord(Record{Name: "REMOVE", Old: linkImage(t, created)})
	if err != nil || !ok || ev.Type != domain.EventArchived || ev.Sequence != 2 || !ev.Link.Archived || ev.ID != "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XA" {
		t.Fatalf("deleted link: %+v %v %v", ev, ok, err)
	}
	if b, _ := Body(ev, ""); !strings.Contains(string(b), `"deleted":true`) {
		t.Fatalf("deleted body %s", b)
	}
}

// checkRefundPayload: the body of the refund record's event names the
// refund, the link after it and the event's sequence.
func checkRefundPayload(t *testing.T, ev *Event) {
	t.Helper()
	body, err := Body(ev, "https://pay.example")
	if err != nil {
		t.Fatal(err)
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil || p.Type != "refund.succeeded" || p.Data.Refund == nil || p.Data.Refund.Amount.String() != "25.00" ||
		p.Data.Refund.Status != "succeeded" || p.Data.Sequence != 4 || p.Data.Link.AmountRefunded.String() != "25.00" || p.Data.Link.URL != "https://pay.example/l/acme_x" {
		t.Fatalf("payload %s %v", body, err)
	}
}

// The stream reads each merchant once per batch, however many of its
// records the batch holds; a failed read is not remembered, and the
// record it failed on is where Lambda retries.
func TestStreamReadsAMerchantOncePerBatch(t *testing.T) {
	reads, fail := 0, false
	st := newFakeStore()
	s := &Stream{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, Store: st,
		Merchants: func(_ context.Context, id string) (*merchant.Merchant, error) {
			reads++
			if fail {
				return nil, errors.New("throttled")
			}
			return &merchant.Merchant{ID: id}, nil // no endpoint: nothing to deliver
		}}
	var recs []Record
	for i := 0; i < 5; i++ {
		ev := &domain.EventRef{ID: fmt.Sprintf("ev_01JD3Q4ZK1W8Y6N0M5C2B7V9X%d", i), Type: domain.EventClicked, At: "2026-11-23T10:00:00Z"}
		recs = append(recs, Record{Name: "MODIFY", Sequence: fmt.Sprint(i), New: linkImage(t, sampleLink(i+1, ev))})
	}
	if seq := s.Handle(context.Background(), recs); seq != "" || reads != 1 {
		t.Fatalf("failed at %q, %d merchant reads for 5 records of one merchant", seq, reads)
	}
	if len(st.feed) != 5 || len(st.deliveries) != 0 {
		t.Fatalf("a merchant without an endpoint: %d events in the feed (want 5), %d deliveries (want 0)", len(st.feed), len(st.deliveries))
	}
	reads, fail = 0, true
	if seq := s.Handle(context.Background(), recs); seq != "0" || reads != 1 {
		t.Fatalf("a failed read: retry from %q after %d reads", seq, reads)
	}
}
