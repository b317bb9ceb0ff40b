package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// feedEvent is an event of GET /v1/events, kept whole (raw) and read.
type feedEvent struct {
	raw  map[string]any
	id   string
	typ  string
	link string
	seq  int
	st   string
}

// readFeedPage reads a page of the feed as a client does: a 503 (a
// dependency slow to answer; on a loaded machine, DynamoDB Local) is
// asked again after its Retry-After, at most three times in all.
func readFeedPage(t *testing.T, base, key, query string) ([]feedEvent, jsonMap) {
	t.Helper()
	st, hdr, raw := call(t, "GET", base+"/v1/events"+query, key, "", nil, true)
	for try := 1; st == 503 && try < 3; try++ {
		wait, _ := strconv.Atoi(hdr.Get("Retry-After"))
		t.Logf("GET /v1/events%s: 503 (Retry-After %q), asked again", query, hdr.Get("Retry-After"))
		time.Sleep(time.Duration(max(wait, 1)) * time.Second)
		st, hdr, raw = call(t, "GET", base+"/v1/events"+query, key, "", nil, true)
	}
	if st != 200 {
		t.Fatalf("GET /v1/events%s: %d %s", query, st, raw)
	}
	page := decode(t, raw)
	var out []feedEvent
	for _, x := range page["data"].([]any) {
		out = append(out, feedEventOf(x.(map[string]any)))
	}
	return out, page
}

func feedEventOf(m map[string]any) feedEvent {
	data := m["data"].(map[string]any)
	link := data["link"].(map[string]any)
	return feedEvent{raw: m, id: m["id"].(string), typ: m["type"].(string), link: link["id"].(string),
		seq: int(data["sequence"].(float64)), st: link["status"].(string)}
}

// readWholeFeed pages through the feed with pages of limit, from after.
func readWholeFeed(t *testing.T, base, key, after string, limit int, types string) []feedEvent {
	t.Helper()
	var all []feedEvent
	for {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if after != "" {
			q.Set("after", after)
		}
		if types != "" {
			q.Set("types", types)
		}
		evs, page := readFeedPage(t, base, key, "?"+q.Encode())
		all = append(all, evs...)
		if next, _ := page["next_cursor"].(string); next != "" {
			after = next
		}
		if page["has_more"] != true {
			return all
		}
	}
}

// TestEventFeedRebuildsWhatTheWebhooksMissed: a merchant's links live
// (created, opened, paid, refunded, archived) while its endpoint answers
// every second delivery with a 503 (retried an hour later: missed for
// now). The feed holds every event once, oldest first, each under the
// webhook-id of its webhook and with its body; after=<webhook-id> resumes
// right after it; and a receiver that applies the feed (keeping the highest
// sequence per link) ends with every link as the API shows it, where the
// webhooks alone left it behind.
func TestEventFeedRebuildsWhatTheWebhooksMissed(t *testing.T) {
	rcv := newReceiver(t, func(n int) int {
		if n%2 == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	_, srv, key := webhookEnv(t, rcv, []time.Duration{time.Hour})
	base := srv.URL

	ids := liveFeedWorkload(t, base, key)
	// created 8, clicked 5 (0,1,3,4,6), paid 3 (0,3,6), refund 1, archived 1
	const want = 8 + 5 + 3 + 1 + 1
	var feed []feedEvent
	testenv.Eventually(t, 30*time.Second, "every event in the feed", func() bool {
		feed = readWholeFeed(t, base, key, "", 4, "")
		return len(feed) >= want
	})
	time.Sleep(1500 * time.Millisecond)
	feed = readWholeFeed(t, base, key, "", 3, "")
	if len(feed) != want {
		t.Fatalf("%d events in the feed, want %d", len(feed), want)
	}

	feedOnceInOrder(t, feed)
	byID := webhooksAreFeedEvents(t, rcv, feed, want)
	afterResumes(t, base, key, feed)
	rebuildFromTheFeed(t, base, key, ids, rcv, byID)
	// a filter by type
	paid := readWholeFeed(t, base, key, "", 2, "payment_link.paid,refund.succeeded")
	if len(paid) != 4 {
		t.Fatalf("paid and refunds: %d events, want 4", len(paid))
	}
	for _, ev := range paid {
		if ev.typ != "payment_link.paid" && ev.typ != "refund.succeeded" {
			t.Fatalf("filtered feed holds %s", ev.typ)
		}
	}
}

// liveFeedWorkload makes 8 links: 5 opened, 3 of them paid, the first
// refunded in part, the last archived unopened (deleted); their ids.
func liveFeedWorkload(t *testing.T, base, key string) []string {
	t.Helper()
	var ids []string
	for i := range 8 {
		body := fmt.Sprintf(`{"amount":{"currency":"EUR","value":"%d.50"},"description":"Feed %d"`, 10+i, i)
		body += fmt.Sprintf(`,"customer":{"first_name":"Ann","last_name":"Feed%d","email":"ann%d@example.com"}`, i, i)
		st, _, raw := call(t, "POST", base+"/v1/payment-links", key, body+"}", nil, true)
		if st != 201 {
			t.Fatalf("create %d %s", st, raw)
		}
		l := decode(t, raw)
		ids = append(ids, l["id"].(string))
		if i == 7 { // never opened, archived: deleted, one payment_link.archived
			if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+l["id"].(string)+"/archive", key, "", nil, true); st != 200 && st != 204 {
				t.Fatalf("archive %d %s", st, raw)
			}
			continue
		}
		if i%3 == 2 {
			continue // created only
		}
		resp, err := noRedirect.Get(l["url"].(string))
		if err != nil || resp.StatusCode != 302 {
			t.Fatalf("click: %v %v", resp, err)
		}
		resp.Body.Close()
		if i%3 == 0 {
			resp, err = noRedirect.Post(resp.Header.Get("Location")+"/pay", "application/x-www-form-urlencoded", nil)
			if err != nil || resp.StatusCode != 303 {
				t.Fatalf("pay: %v %v", resp, err)
			}
			resp.Body.Close()
		}
	}
	// the first link is paid: a partial refund
	testenv.Eventually(t, 20*time.Second, "the first link paid", func() bool {
		_, _, raw := call(t, "GET", base+"/v1/payment-links/"+ids[0], key, "", nil, true)
		return decode(t, raw)["status"] == "paid"
	})
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+ids[0]+"/refunds", key, `{"amount":{"currency":"EUR","value":"3.00"}}`, nil, true); st != 201 {
		t.Fatalf("refund %d %s", st, raw)
	}
	return ids
}

// feedOnceInOrder: each event once, under a webhook-id; a link's events in
// the order of their sequences.
func feedOnceInOrder(t *testing.T, feed []feedEvent) {
	t.Helper()
	seen, lastSeq := map[string]bool{}, map[string]int{}
	for _, ev := range feed {
		if seen[ev.id] || !strings.HasPrefix(ev.id, "msg_") {
			t.Fatalf("event %s twice or not a webhook-id", ev.id)
		}
		seen[ev.id] = true
		if last, ok := lastSeq[ev.link]; ok && ev.seq <= last {
			t.Fatalf("%s of %s: sequence %d after %d", ev.typ, ev.link, ev.seq, lastSeq[ev.link])
		}
		lastSeq[ev.link] = ev.seq
	}

}

// webhooksAreFeedEvents: every webhook sent is the feed's event under its
// webhook-id, with the same body; the feed's events by id.
func webhooksAreFeedEvents(t *testing.T, rcv *receiver, feed []feedEvent, want int) map[string]feedEvent {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, "every first attempt made", func() bool { return len(rcv.all()) >= want })
	byID := map[string]feedEvent{}
	for _, ev := range feed {
		byID[ev.id] = ev
	}
	for _, x := range rcv.all() {
		ev, ok := byID[x.Headers["webhook-id"]]
		if !ok {
			t.Fatalf("webhook %s is not in the feed", x.Headers["webhook-id"])
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(x.Body), &body); err != nil {
			t.Fatal(err)
		}
		body["id"] = ev.id
		if !reflect.DeepEqual(body, ev.raw) {
			t.Fatalf("webhook %s body\n%v\nfeed\n%v", ev.id, body, ev.raw)
		}
	}

	return byID
}

// afterResumes: GET /v1/events/{id} is the listed event, and after=<id>
// reads exactly the events that follow it.
func afterResumes(t *testing.T, base, key string, feed []feedEvent) {
	t.Helper()
	for _, i := range []int{0, 5, len(feed) - 1} {
		st, _, raw := call(t, "GET", base+"/v1/events/"+feed[i].id, key, "", nil, true)
		if st != 200 || !reflect.DeepEqual(map[string]any(decode(t, raw)), feed[i].raw) {
			t.Fatalf("GET /v1/events/%s: %d %s", feed[i].id, st, raw)
		}
		rest := readWholeFeed(t, base, key, feed[i].id, 5, "")
		if len(rest) != len(feed)-i-1 || (len(rest) > 0 && rest[0].id != feed[i+1].id) {
			t.Fatalf("after %s: %d events, want %d", feed[i].id, len(rest), len(feed)-i-1)
		}
	}

}

// rebuildFromTheFeed: a receiver applying the webhooks it acknowledged is
// behind the API; applying the feed, it holds every link as the API does.
func rebuildFromTheFeed(t *testing.T, base, key string, ids []string, rcv *receiver, byID map[string]feedEvent) {
	t.Helper()
	truth := map[string]string{}
	for _, id := range ids[:7] {
		_, _, raw := call(t, "GET", base+"/v1/payment-links/"+id, key, "", nil, true)
		truth[id] = decode(t, raw)["status"].(string)
	}
	truth[ids[7]] = "archived"
	apply := func(state map[string]string, seqs map[string]int, ev feedEvent) {
		if last, ok := seqs[ev.link]; !ok || ev.seq > last {
			seqs[ev.link], state[ev.link] = ev.seq, ev.st
			if ev.typ == "payment_link.archived" {
				state[ev.link] = "archived"
			}
		}
	}
	fromHooks, hookSeqs := map[string]string{}, map[string]int{}
	for _, x := range rcv.delivered() {
		apply(fromHooks, hookSeqs, byID[x.Headers["webhook-id"]])
	}
	if reflect.DeepEqual(fromHooks, truth) {
		t.Fatalf("the webhooks alone rebuilt the state: the test missed nothing")
	}
	fromFeed, feedSeqs := map[string]string{}, map[string]int{}
	for _, ev := range readWholeFeed(t, base, key, "", 7, "") {
		apply(fromFeed, feedSeqs, ev)
	}
	if !reflect.DeepEqual(fromFeed, truth) {
		t.Fatalf("rebuilt from the feed:\n%v\nthe API:\n%v", fromFeed, truth)
	}

}

// TestEventFeedRefusals: bad queries are 422 naming the field, an unknown
// after a 404 naming it, and a key without links:read a 403.
func TestEventFeedRefusals(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "feedrefuse")
	srv := env.Serve(t)
	for q, field := range map[string]string{
		"?limit=0": "limit", "?limit=501": "limit", "?limit=x": "limit", "?types=payment_link.nope": "types",
		"?after=pl_123": "after", "?cursor=abc": "cursor", "?types=payment_link.paid,": "types",
	} {
		st, _, raw := call(t, "GET", srv.URL+"/v1/events"+q, key, "", nil, false)
		if st != 422 || !strings.Contains(string(raw), `"field":"`+field+`"`) {
			t.Fatalf("%s: %d %s", q, st, raw)
		}
	}
	st, _, raw := call(t, "GET", srv.URL+"/v1/events?after=msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XZ", key, "", nil, true)
	if st != 404 || !strings.Contains(string(raw), `"field":"after"`) {
		t.Fatalf("unknown after: %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", srv.URL+"/v1/events/msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XZ", key, "", nil, true); st != 404 {
		t.Fatalf("unknown event: %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", srv.URL+"/v1/events", key, "", nil, true); st != 200 || !strings.Contains(string(raw), `"next_cursor":null`) {
		t.Fatalf("an empty feed: %d %s", st, raw)
	}
	st, _, raw = call(t, "POST", srv.URL+"/v1/api-keys", key, `{"name":"exports","permissions":["exports:read"]}`, nil, true)
	if st != 201 {
		t.Fatalf("key: %d %s", st, raw)
	}
	narrow := decode(t, raw)["secret"].(string)
	for _, p := range []string{"/v1/events", "/v1/events/msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XZ"} {
		if st, _, raw := call(t, "GET", srv.URL+p, narrow, "", nil, true); st != 403 || !strings.Contains(string(raw), "links:read") {
			t.Fatalf("%s without links:read: %d %s", p, st, raw)
		}
	}
}
