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
