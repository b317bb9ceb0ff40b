package httpapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// The fake's event feed: events in the order appended (feed), ReadFeed
// pages through it after an id as the store does (no seal: nothing is
// written concurrently in the fast tests).

func (f *fastAPI) appendFeed(ev store.FeedEvent) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	f.st.feed = append(f.st.feed, ev)
}

func (f *fakeStore) ReadFeed(_ context.Context, q store.FeedQuery, _ time.Time) (store.FeedPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	page := store.FeedPage{Next: q.After}
	i := 0
	if q.After != "" {
		i = -1
		for j, ev := range f.feed {
			if ev.Merchant == q.Merchant && ev.ID == q.After {
				i = j + 1
			}
		}
		if i < 0 {
			return page, domain.ErrUnknownFeedEvent
		}
	}
	for ; i < len(f.feed); i++ {
		ev := f.feed[i]
		if ev.Merchant != q.Merchant {
			continue
		}
		if len(page.Events) == q.Limit {
			page.More = true
			break
		}
		page.Next = ev.ID
		if q.Include == nil || q.Include(ev.Type) {
			page.Events = append(page.Events, ev)
		}
	}
	return page, nil
}

func (f *fakeStore) GetFeedEvent(_ context.Context, m, id string) (*store.FeedEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range f.feed {
		if ev.Merchant == m && ev.ID == id {
			return &ev, nil
		}
	}
	return nil, domain.ErrNotFound
}

// TestFastFeedShowsWhatTheCallerMayRead: over every subset of the
// permissions that bear on it, a caller reads the feed only with
// links:read, and sees payment.review_opened events (and may ask for them
// by type, or read one by id) only with payments:review too; the other
// events are all there, in order, whatever else it holds.
func TestFastFeedShowsWhatTheCallerMayRead(t *testing.T) {
	f := newFastAPI(t)
	types := []string{domain.EventCreated, domain.EventPaid, store.EventReviewOpened, domain.EventRefundSucceded, store.EventReviewOpened, domain.EventClicked}
	for i, typ := range types {
		f.appendFeed(store.FeedEvent{ID: fmt.Sprintf("msg_%02d", i), Merchant: "shop", Type: typ, LinkID: "pl_1",
			Body: fmt.Sprintf(`{"type":%q,"timestamp":"2026-12-06T12:00:00Z","data":{"event_id":"ev_%02d","sequence":%d,"link":{}}}`, typ, i, i)})
	}
	f.appendFeed(store.FeedEvent{ID: "msg_99", Merchant: "other", Type: domain.EventCreated, Body: `{"type":"payment_link.created"}`})
	bearing := []domain.Permission{domain.LinksRead, domain.PaymentsReview, domain.CustomersRead, domain.SettingsRead}
	for set := 0; set < 1<<len(bearing); set++ {
		var perms []domain.Permission
		for i, p := range bearing {
			if set&(1<<i) != 0 {
				perms = append(perms, p)
			}
		}
		c := f.key(perms...)
		if len(perms) == 0 {
			c = f.key(domain.ExportsRead) // a key with nothing that bears
		}
		reads, reviews := slices.Contains(perms, domain.LinksRead), slices.Contains(perms, domain.PaymentsReview)
		r := f.do(c, "GET", "/v1/events?limit=4", "")
		if !reads {
			wantProblem(t, fmt.Sprintf("the feed with %v", perms), r, 403, "")
			continue
		}
		var got []string
		for after := ""; ; {
			r = f.do(c, "GET", "/v1/events?limit=2"+after, "")
			if r.status != 200 {
				t.Fatalf("%v: %d %s", perms, r.status, r.body)
			}
			for _, ev := range r.data(t) {
				got = append(got, ev["id"].(string)+" "+ev["type"].(string))
			}
			page := r.object(t)
			if page["has_more"] != true {
				break
			}
			after = "&after=" + page["next_cursor"].(string)
		}
		var want []string
		for i, typ := range types {
			if typ != store.EventReviewOpened || reviews {
				want = append(want, fmt.Sprintf("msg_%02d %s", i, typ))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%v read\n%v\nwant\n%v", perms, got, want)
		}
		byType := f.do(c, "GET", "/v1/events?types="+store.EventReviewOpened, "")
		one := f.do(c, "GET", "/v1/events/msg_02", "")
		if reviews && (byType.status != 200 || len(byType.data(t)) != 2 || one.status != 200) {
			t.Fatalf("%v: reviews by type %d %s, by id %d", perms, byType.status, byType.body, one.status)
		}
		if !reviews {
			wantProblem(t, "review events by type without payments:review", byType, 403, "")
			wantProblem(t, "a review event by id without payments:review (not there for them: its existence does not show)", one, 404, "")
		}
		wantProblem(t, "another merchant's event", f.do(c, "GET", "/v1/events/msg_99", ""), 404, "")
		wantWebhookBytes(t, f, c, perms)
	}
}

// wantWebhookBytes: the feed's first event is the webhook's own bytes with
// the id first, whatever the key holds besides links:read (none of it
// takes anything out).
func wantWebhookBytes(t *testing.T, f *fastAPI, c caller, perms []domain.Permission) {
	t.Helper()
	first := f.do(c, "GET", "/v1/events/msg_00", "")
	if want := `{"id":"msg_00",` + f.st.feed[0].Body[1:]; strings.TrimSpace(string(first.body)) != want {
		t.Fatalf("%v: msg_00 is\n%s\nnot the webhook's bytes\n%s", perms, first.body, want)
	}
}
