// Package psptest holds httptest doubles of the Stripe and Mollie APIs, as
// their documentation describes them, for the adapters' and the system's
// tests. They honour Idempotency-Key and count calls.
package psptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Calls counts requests by "METHOD /path".
type Calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *Calls) add(k string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
	c.mu.Unlock()
}

// Count returns how often "METHOD /path-prefix" was called.
func (c *Calls) Count(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for k, v := range c.n {
		if strings.HasPrefix(k, prefix) {
			t += v
		}
	}
	return t
}

// idem replays answers by Idempotency-Key, as both PSPs do.
type idem struct {
	mu   sync.Mutex
	seen map[string][]byte
}

func (i *idem) do(key string, f func() []byte) []byte {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.seen == nil {
		i.seen = map[string][]byte{}
	}
	if key != "" {
		if b, ok := i.seen[key]; ok {
			return b
		}
	}
	b := f()
	if key != "" {
		i.seen[key] = b
	}
	return b
}

// Stripe is a double of api.stripe.com.
type Stripe struct {
	*httptest.Server
	Key   string // the secret key it accepts
	Calls Calls
	// Fail answers this many next requests with 503.
	Fail int
	// Drop does this many next requests and then closes the connection
	// without an answer: the work is done, the caller sees a timeout.
	Drop int
	// RefundStatus is the status of new refunds (default succeeded).
	RefundStatus string
	Sessions     []url.Values
	// PaymentIntents answer GET /v1/payment_intents/{id}.
	PaymentIntents map[string]map[string]any
	mu             sync.Mutex
	idem           idem
	n              int
}

// NewStripe starts the double.
func NewStripe(t testing.TB, key string) *Stripe {
	s := &Stripe{Key: key, RefundStatus: "succeeded"}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Stripe) serve(w http.ResponseWriter, r *http.Request) {
	s.Calls.add(r.Method + " " + r.URL.Path)
	s.mu.Lock()
	if s.Fail > 0 {
		s.Fail--
		s.mu.Unlock()
		http.Error(w, `{"error":{"message":"try again"}}`, http.StatusServiceUnavailable)
		return
	}
	if s.Drop > 0 {
		s.Drop--
		s.mu.Unlock()
		s.handle(httptest.NewRecorder(), r)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	s.mu.Unlock()
	s.handle(w, r)
}

func (s *Stripe) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.Key {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"message":"Invalid API Key provided"}}`))
		return
	}
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/"):
		s.mu.Lock()
		pi, ok := s.PaymentIntents[strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")]
		s.mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"error":{"message":"No such payment_intent"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(pi)
	case r.Method == "POST" && r.URL.Path == "/v1/checkout/sessions":
		for _, req := range []string{"mode", "line_items[0][price_data][currency]", "line_items[0][price_data][unit_amount]", "success_url"} {
			if r.PostForm.Get(req) == "" {
				w.WriteHeader(400)
				fmt.Fprintf(w, `{"error":{"message":"Missing required param: %s"}}`, req)
				return
			}
		}
		_, _ = w.Write(s.idem.do(r.Header.Get("Idempotency-Key"), func() []byte {
			s.mu.Lock()
			s.n++
			id := fmt.Sprintf("cs_test_%06d", s.n)
			s.Sessions = append(s.Sessions, r.PostForm)
			s.mu.Unlock()
			exp := r.PostForm.Get("expires_at")
			b, _ := json.Marshal(map[string]any{"id": id, "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/" + id,
				"expires_at": json.Number(exp), "payment_status": "unpaid", "status": "open", "client_reference_id": r.PostForm.Get("client_reference_id")})
			return b
		}))
	case r.Method == "POST" && r.URL.Path == "/v1/refunds":
		_, _ = w.Write(s.idem.do(r.Header.Get("Idempotency-Key"), func() []byte {
			s.mu.Lock()
			s.n++
			id := fmt.Sprintf("re_test_%06d", s.n)
			st := s.RefundStatus
			s.mu.Unlock()
			b, _ := json.Marshal(map[string]any{"id": id, "object": "refund", "status": st, "payment_intent": r.PostForm.Get("payment_intent"),
				"amount": json.Number(r.PostForm.Get("amount")), "metadata": map[string]string{"paylinks_refund_id": r.PostForm.Get("metadata[paylinks_refund_id]")}})
			return b
		}))
	default:
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"error":{"message":"Unrecognized request URL"}}`))
	}
}

// RefundIDs are the distinct refunds the double made (a repeated
// Idempotency-Key makes none).
func (s *Stripe) RefundIDs() []string {
	s.idem.mu.Lock()
	defer s.idem.mu.Unlock()
	var ids []string
	for _, b := range s.idem.seen {
		var v struct{ ID, Object string }
		if json.Unmarshal(b, &v) == nil && v.Object == "refund" {
			ids = append(ids, v.ID)
		}
	}
	return ids
}

// Mollie is a double of api.mollie.com.
type Mollie struct {
	*httptest.Server
	Key      string
	Calls    Calls
	Fail     int
	mu       sync.Mutex
	payments map[string]map[string]any
	idem     idem
	n        int
}

// NewMollie starts the double.
func NewMollie(t testing.TB, key string) *Mollie {
	m := &Mollie{Key: key, payments: map[string]map[string]any{}}
	m.Server = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.Close)
	return m
}

// SetStatus moves a payment (paid, failed, canceled, expired).
func (m *Mollie) SetStatus(id, status string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.payments[id]; ok {
		p["status"] = status
		if status == "paid" {
			p["paidAt"] = time.Now().UTC().Format(time.RFC3339)
		}
	}
}

// Put stores a payment document as Mollie would answer it.
func (m *Mollie) Put(p map[string]any) {
	m.mu.Lock()
	m.payments[p["id"].(string)] = p
	m.mu.Unlock()
}

// Payments lists the ids of created payments.
func (m *Mollie) Payments() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id := range m.payments {
		ids = append(ids, id)
	}
	return ids
}

func (m *Mollie) serve(w http.ResponseWriter, r *http.Request) {
	m.Calls.add(r.Method + " " + r.URL.Path)
	w.Header().Set("Content-Type", "application/hal+json")
	m.mu.Lock()
	if m.Fail > 0 {
		m.Fail--
		m.mu.Unlock()
		w.WriteHeader(503)
		_, _ = w.Write([]byte(`{"status":503,"title":"Service Unavailable","detail":"try again"}`))
		return
	}
	m.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+m.Key {
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"status":401,"title":"Unauthorized Request","detail":"Missing authentication, or failed to authenticate"}`))
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == "POST" && r.URL.Path == "/v2/payments":
		raw, _ := io.ReadAll(r.Body)
		_, _ = w.Write(m.idem.do(r.Header.Get("Idempotency-Key"), func() []byte {
			var in map[string]any
			_ = json.Unmarshal(raw, &in)
			m.mu.Lock()
			m.n++
			id := fmt.Sprintf("tr_test%06d", m.n)
			p := map[string]any{"resource": "payment", "id": id, "status": "open", "amount": in["amount"], "description": in["description"],
				"metadata": in["metadata"], "redirectUrl": in["redirectUrl"], "webhookUrl": in["webhookUrl"],
				"expiresAt": time.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339),
				"_links":    map[string]any{"checkout": map[string]string{"href": "https://www.mollie.com/checkout/select-method/" + id}}}
			m.payments[id] = p
			m.mu.Unlock()
			b, _ := json.Marshal(p)
			w.WriteHeader(201)
			return b
		}))
	case r.Method == "GET" && len(parts) == 3 && parts[1] == "payments":
		m.mu.Lock()
		p, ok := m.payments[parts[2]]
		var b []byte
		if ok {
			b, _ = json.Marshal(p)
		}
		m.mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"status":404,"title":"Not Found","detail":"No payment exists with token ` + parts[2] + `."}`))
			return
		}
		_, _ = w.Write(b)
	case r.Method == "POST" && len(parts) == 4 && parts[1] == "payments" && parts[3] == "refunds":
		raw, _ := io.ReadAll(r.Body)
		_, _ = w.Write(m.idem.do(r.Header.Get("Idempotency-Key"), func() []byte {
			var in map[string]any
			_ = json.Unmarshal(raw, &in)
			m.mu.Lock()
			defer m.mu.Unlock()
			m.n++
			ref := map[string]any{"resource": "refund", "id": fmt.Sprintf("re_test%06d", m.n), "status": "pending", "amount": in["amount"],
				"metadata": in["metadata"], "paymentId": parts[2]}
			if p, ok := m.payments[parts[2]]; ok {
				emb, _ := p["_embedded"].(map[string]any)
				if emb == nil {
					emb = map[string]any{}
				}
				refunds, _ := emb["refunds"].([]any)
				emb["refunds"] = append(refunds, ref)
				p["_embedded"] = emb
			}
			b, _ := json.Marshal(ref)
			w.WriteHeader(201)
			return b
		}))
	default:
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"status":404,"title":"Not Found","detail":"Unknown route"}`))
	}
}

// SetRefundStatus moves every refund of a payment to status.
func (m *Mollie) SetRefundStatus(paymentID, status string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.payments[paymentID]; ok {
		if emb, ok := p["_embedded"].(map[string]any); ok {
			for _, r := range emb["refunds"].([]any) {
				r.(map[string]any)["status"] = status
			}
		}
	}
}
