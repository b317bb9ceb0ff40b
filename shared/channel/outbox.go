package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Outbox keeps what would have been sent (make dev, tests).
type Outbox struct {
	mu   sync.Mutex
	sent []Sent
}

// Sent is an outbox entry.
type Sent struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	Message
}

// Send implements Sender.
func (o *Outbox) Send(_ context.Context, m Message) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := fmt.Sprintf("outbox-%d", len(o.sent)+1)
	o.sent = append(o.sent, Sent{ID: id, At: time.Now().UTC(), Message: m})
	return id, nil
}

// All returns a copy of what was sent, oldest first.
func (o *Outbox) All() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Sent(nil), o.sent...)
}

// ServeHTTP lists the outbox (GET /dev/outbox), optionally ?link_id=.
func (o *Outbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out := []Sent{}
	for _, s := range o.All() {
		if id := r.URL.Query().Get("link_id"); id == "" || s.LinkID == id {
			out = append(out, s)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
}
