package httpapi_test

import (
	"context"

	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

func TestSendByEachChannel(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	body := `{"amount":{"currency":"EUR","value":"12.50"},"description":"Taart","customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be","phone":"+32470123456","language":"nl"},"send":{"channel":"email"}}`
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body, nil, true)
	if st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	l := decode(t, raw)
	id := l["id"].(string)
	previewSendsNothing(t, env, srv, key, l)
	sentByEachChannel(t, env, srv, key, l)
	sendRefusals(t, srv.URL, key, id)
	paidLinkNotSent(t, env, srv, key, body, id)
}

// sentByEachChannel: the e-mail asked for at creation, then an SMS and a
// WhatsApp message, each to its address, in Dutch, on the timeline.
func sentByEachChannel(t *testing.T, env *testenv.Env, srv *testenv.Server, key string, l jsonMap) {
	t.Helper()
	id := l["id"].(string)
	for _, ch := range []string{"sms", "whatsapp"} {
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/send", key, `{"channel":"`+ch+`"}`, nil, true)
		if st != 202 || decode(t, raw)["status"] != "queued" {
			t.Fatalf("%s: %d %s", ch, st, raw)
		}
	}
	testenv.Eventually(t, 10*time.Second, "three messages in the outbox", func() bool { return len(srv.Service.Outbox.All()) == 3 })
	got := map[string]string{}
	for _, m := range srv.Service.Outbox.All() {
		got[m.Channel] = m.To
		if m.LinkID != id || !strings.Contains(m.Text, l["url"].(string)) || !strings.Contains(m.Text, "€\u00a012,50") {
			t.Errorf("%s message: %+v", m.Channel, m.Message)
		}
		if m.Channel == "email" && (!strings.Contains(m.Subject, "Betaalverzoek van Demo Shop") || !strings.Contains(m.HTML, "Nu betalen")) {
			t.Errorf("email: %q", m.Subject)
		}
	}
	if got["email"] != "ana@example.be" || got["sms"] != "+32470123456" || got["whatsapp"] != "+32470123456" {
		t.Fatalf("recipients %v", got)
	}
	testenv.Eventually(t, 5*time.Second, "timeline shows the sends", func() bool {
		evs, _ := env.Store.Events(t.Context(), "shop", id)
		sent := 0
		for _, e := range evs {
			if e.Type == "message.sent" {
				sent++
			}
		}
		return sent == 3
	})
	sentShownAndFiltered(t, srv.URL, key, id)
}

// sentShownAndFiltered: the link shows the channels it went out on, and the
// listing filters by channel and origin (422 for unknown ones).
func sentShownAndFiltered(t *testing.T, base, key, id string) {
	t.Helper()
	_, _, raw := call(t, "GET", base+"/v1/payment-links/"+id, key, "", nil, false)
	got := decode(t, raw)
	if chs, _ := got["sent_channels"].([]any); len(chs) != 3 || chs[0] != "email" || chs[1] != "sms" || chs[2] != "whatsapp" || got["last_sent_at"] == nil {
		t.Fatalf("sent channels on the link: %v %v", got["sent_channels"], got["last_sent_at"])
	}
	other := `{"amount":{"currency":"EUR","value":"3.00"},"description":"not sent","origin":"dashboard","customer":{"company_name":"ACME"}}`
	if st, _, raw := call(t, "POST", base+"/v1/payment-links", key, other, nil, true); st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	for q, want := range map[string]int{"channel=sms": 1, "channel=whatsapp": 1, "origin=dashboard": 1, "origin=api": 1, "origin=import": 0, "channel=sms&origin=dashboard": 0, "": 2} {
		st, _, raw := call(t, "GET", base+"/v1/payment-links?"+q, key, "", nil, false)
		if n := len(decode(t, raw)["data"].([]any)); st != 200 || n != want {
			t.Errorf("list ?%s: %d, %d links, want %d", q, st, n, want)
		}
	}
	for q, field := range map[string]string{"channel=pigeon": "channel", "origin=web": "origin"} {
		st, _, raw := call(t, "GET", base+"/v1/payment-links?"+q, key, "", nil, false)
		if st != 422 || !strings.Contains(string(raw), `"field":"`+field+`"`) {
			t.Errorf("list ?%s: %d %s", q, st, raw)
		}
	}
}

// previewSendsNothing: the preview shows each channel's message as the
// worker renders it, in the link's language, to the customer's addresses;
// nothing is sent and the timeline does not change.
func previewSendsNothing(t *testing.T, env *testenv.Env, srv *testenv.Server, key string, l jsonMap) {
	t.Helper()
	id := l["id"].(string)
	testenv.Eventually(t, 10*time.Second, "the e-mail asked for at creation", func() bool { return len(srv.Service.Outbox.All()) == 1 })
	before, _ := env.Store.Events(t.Context(), "shop", id)
	st, _, raw := call(t, "GET", srv.URL+"/v1/payment-links/"+id+"/preview", key, "", nil, false)
	p := decode(t, raw)
	msgs, _ := p["messages"].([]any)
	if st != 200 || len(msgs) != 3 || p["merchant_name"] != "Demo Shop" || p["link"].(map[string]any)["id"] != id {
		t.Fatalf("preview: %d %s", st, raw)
	}
	to := map[string]string{"email": "ana@example.be", "sms": "+32470123456", "whatsapp": "+32470123456"}
	for _, m := range msgs {
		m := m.(map[string]any)
		ch := m["channel"].(string)
		if m["to"] != to[ch] || m["language"] != "nl" || !strings.Contains(m["text"].(string), l["url"].(string)) || !strings.Contains(m["text"].(string), "€\u00a012,50") {
			t.Errorf("preview %s: %v", ch, m)
		}
		if ch == "email" && (!strings.HasPrefix(m["subject"].(string), "Betaalverzoek van Demo Shop") || !strings.Contains(m["html"].(string), "Nu betalen")) {
			t.Errorf("preview e-mail: %v", m)
		}
	}
	time.Sleep(300 * time.Millisecond)
	after, _ := env.Store.Events(t.Context(), "shop", id)
	if len(srv.Service.Outbox.All()) != 1 || len(after) != len(before) {
		t.Fatalf("the preview sent or recorded something: %d messages, events %d -> %d", len(srv.Service.Outbox.All()), len(before), len(after))
	}
	st, h, html := call(t, "GET", srv.URL+"/v1/payment-links/"+id+"/preview/email", key, "", nil, false)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(string(html), "Nu betalen") {
		t.Fatalf("e-mail preview: %d %v %s", st, h, html)
	}
	if st, _, _ := call(t, "GET", srv.URL+"/v1/payment-links/pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA/preview", key, "", nil, false); st != 404 {
		t.Fatalf("preview of an unknown link: %d", st)
	}
}

// sendRefusals: unknown channels, unknown members, and a channel the
// customer has no address for are 422.
func sendRefusals(t *testing.T, base, key, id string) {
	t.Helper()
	// Refusals.
	for _, c := range []struct {
		body string
		st   int
	}{{`{"channel":"pigeon"}`, 422}, {`{}`, 422}, {`{"channel":"email","x":1}`, 422}} {
		if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/send", key, c.body, nil, false); st != c.st {
			t.Errorf("%s: %d %s", c.body, st, raw)
		}
	}
	_, _, raw := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"NoMail"}}`, nil, true)
	noAddr := decode(t, raw)["id"].(string)
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+noAddr+"/send", key, `{"channel":"email"}`, nil, true); st != 422 || !strings.Contains(string(raw), `"field":"channel"`) {
		t.Fatalf("no address: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"NoMail"},"send":{"channel":"sms"}}`, nil, false); st != 422 || !strings.Contains(string(raw), "send.channel") {
		t.Fatalf("create+send without phone: %d %s", st, raw)
	}
}

// paidLinkNotSent: a paid link is not sent (409 at the API), and a message
// queued before the payment is checked again when handled.
func paidLinkNotSent(t *testing.T, env *testenv.Env, srv *testenv.Server, key, body, id string) {
	t.Helper()
	// A paid link is not sent: 409 at the API...
	cur, _ := env.Store.Get(t.Context(), "shop", id)
	paid := *cur
	paid.Status = domain.StatusPaid
	_ = env.Store.Transition(t.Context(), cur, &paid, domain.NewEvent(id, domain.EventPaid, cur.Status, paid.Status, time.Now(), nil))
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/send", key, `{"channel":"email"}`, nil, true); st != 409 {
		t.Fatalf("paid: %d", st)
	}
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/send", key, `{"channel":"email"}`, nil, true); st != 404 {
		t.Fatalf("unknown: %d", st)
	}
	// ...and a message queued before the payment is checked again when handled.
	_, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, strings.Replace(body, `,"send":{"channel":"email"}`, "", 1), nil, true)
	late := decode(t, raw)["id"].(string)
	lateLink, _ := env.Store.Get(t.Context(), "shop", late)
	paidLate := *lateLink
	paidLate.Status = domain.StatusPaid
	_ = env.Store.Transition(t.Context(), lateLink, &paidLate, domain.NewEvent(late, domain.EventPaid, lateLink.Status, paidLate.Status, time.Now(), nil))
	// The message as it was queued while the link was open, handled now.
	msg := events.SQSMessage{MessageId: "late", Body: `{"merchant":"shop","link_id":"` + late + `","channel":"email","send_id":"snd_late","kind":"link"}`}
	if err := srv.Service.Send.Handle(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	evs, _ := env.Store.Events(t.Context(), "shop", late)
	if last := evs[len(evs)-1]; last.Type != "message.skipped" || last.Data["reason"] != "paid" {
		t.Fatalf("late message: %+v", last)
	}
	for _, m := range srv.Service.Outbox.All() {
		if m.LinkID == late {
			t.Fatal("a paid link was sent")
		}
	}
}

func TestReminderForUnpaidNotForPaid(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	body := `{"amount":{"currency":"EUR","value":"30.00"},"description":"Abonnement","expires_in_days":2,"reminder":{"before_expiry_hours":24},
	 "customer":{"first_name":"Jan","last_name":"Smit","email":"jan@example.nl","language":"de"}}`
	var ids []string
	for i := 0; i < 2; i++ {
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body, nil, true)
		l := decode(t, raw)
		if st != 201 || l["reminder_at"] == nil {
			t.Fatalf("%d %s", st, raw)
		}
		ids = append(ids, l["id"].(string))
	}
	cur, _ := env.Store.Get(t.Context(), "shop", ids[1])
	paid := *cur
	paid.Status = domain.StatusPaid
	_ = env.Store.Transition(t.Context(), cur, &paid, domain.NewEvent(cur.ID, domain.EventPaid, cur.Status, paid.Status, time.Now(), nil))
	// A day and a minute later: the reminders are due, the links are not.
	sw := srv.Service.Sweeper
	later := time.Now().Add(24*time.Hour + time.Minute)
	sw.Now = func() time.Time { return later }
	srv.Service.Send.Now = func() time.Time { return later }
	sw.Lookback = 2 * time.Hour
	res, err := sw.Run(context.Background())
	if err != nil || res.Reminded != 2 || res.Expired != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	testenv.Eventually(t, 10*time.Second, "reminder sent", func() bool { return len(srv.Service.Outbox.All()) == 1 })
	time.Sleep(500 * time.Millisecond)
	out := srv.Service.Outbox.All()
	if len(out) != 1 || out[0].LinkID != ids[0] || out[0].Kind != "reminder" || !strings.Contains(out[0].Subject, "Erinnerung") {
		t.Fatalf("outbox %+v", out)
	}
	evs, _ := env.Store.Events(t.Context(), "shop", ids[1])
	for _, e := range evs {
		if e.Type == "reminder.sent" {
			t.Fatal("the paid link was reminded")
		}
	}
	// The sweep handed each reminder on once.
	again, _ := sw.Run(context.Background())
	if again.Reminded != 0 {
		t.Fatalf("reminders handed on twice: %+v", again)
	}
	for _, c := range []string{`{"before_expiry_hours":0}`, `{"before_expiry_hours":49}`, `{}`} {
		b := strings.Replace(body, `{"before_expiry_hours":24}`, c, 1)
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, b, nil, false); st != 422 || !strings.Contains(string(raw), "reminder") {
			t.Errorf("%s: %d %s", c, st, raw)
		}
	}
}
