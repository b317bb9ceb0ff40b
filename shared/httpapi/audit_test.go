package httpapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/cognito"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

const auditUA = "audit-test/1.0 (erp)"

// auditEntries reads the whole audit log (following cursors) newest first.
func auditEntries(t *testing.T, base, key, filter string) []jsonMap {
	t.Helper()
	var out []jsonMap
	next := ""
	for {
		q := url.Values{"limit": {"50"}}
		if filter != "" {
			k, v, _ := strings.Cut(filter, "=")
			q.Set(k, v)
		}
		if next != "" {
			q.Set("cursor", next)
		}
		st, _, raw := call(t, "GET", base+"/v1/audit-log?"+q.Encode(), key, "", nil, true)
		if st != 200 {
			t.Fatalf("audit log: %d %s", st, raw)
		}
		page := decode(t, raw)
		for _, e := range page["data"].([]any) {
			out = append(out, e.(jsonMap))
		}
		c, _ := page["next_cursor"].(string)
		if c == "" {
			return out
		}
		next = c
	}
}

func actions(es []jsonMap) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e["action"].(string)
	}
	return out
}

// TestAuditLogOfChanges, through the emulators: settings, key and link
// changes by an API key are in the audit log newest first with the key's id
// and name, the IP and the user agent; filters by actor and resource; no
// secret in before or after; the revoked key's view as before; 400 on a bad
// cursor, 422 naming an unknown parameter; 403 missing_permission without
// audit:read; timeline events carry the actor (system for what paylinks
// does itself).
func TestAuditLogOfChanges(t *testing.T) {
	env := testenv.New(t)
	full := env.Merchant(t, "shop")
	srv := env.Serve(t)
	base := srv.URL
	fullID := merchant.KeyFor("shop", full).ID()
	ch := auditedChanges(t, env, base, full)

	es := auditEntries(t, base, full, "")
	want := "payment_link.archived,refund.created,payment_link.created,payment_link.sent,payment_link.updated,payment_link.created,api_key.revoked,api_key.created,settings.updated"
	if got := strings.Join(actions(es), ","); got != want {
		t.Fatalf("audit log newest first:\n got %s\nwant %s", got, want)
	}
	entriesByKey(t, es, fullID, ch.paid)
	all, _ := json.Marshal(es)
	for _, secret := range append(ch.secrets, full) {
		if strings.Contains(string(all), secret) {
			t.Fatalf("a secret is in the audit log: %s", all)
		}
	}
	revoked := es[6]
	before, _ := revoked["before"].(jsonMap)
	if revoked["resource"] != ch.revoked || before["prefix"] == nil || before["last4"] == nil || before["name"] != "reporting" ||
		strings.Join(toStrings(before["permissions"]), ",") != "links:read" {
		t.Fatalf("revoked key's entry: %v", revoked)
	}
	auditFilters(t, base, full, fullID, ch.link, len(es))
	auditRefusals(t, base, full)
	timelineActors(t, base, full, fullID, ch.paid)
}

// changes are what auditedChanges did: the links it made, the key it
// revoked and the secrets it sent.
type changes struct {
	link, paid, revoked string
	secrets             []string
}

// auditedChanges changes the settings (with secrets), makes and revokes a
// key, creates, patches and sends a link, refunds and archives a paid one:
// all with a user agent of its own.
func auditedChanges(t *testing.T, env *testenv.Env, base, full string) changes {
	t.Helper()
	ua := map[string]string{"User-Agent": auditUA}
	hookSecret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	if st, _, raw := call(t, "PUT", base+"/v1/settings", full, `{"name":"Audited BV","psp_credentials":{"api_key":"test_psp_secret_value"},"webhook_url":"https://erp.shop.example/hooks","webhook_secret":"`+hookSecret+`"}`, ua, true); st != 200 {
		t.Fatalf("settings: %d %s", st, raw)
	}
	st, _, raw := call(t, "POST", base+"/v1/api-keys", full, `{"name":"reporting","permissions":["links:read"]}`, ua, true)
	if st != 201 {
		t.Fatalf("key: %d %s", st, raw)
	}
	made := decode(t, raw)
	ch := changes{revoked: made["id"].(string), secrets: []string{hookSecret, "test_psp_secret_value", made["secret"].(string)}}
	if st, _, raw := call(t, "DELETE", base+"/v1/api-keys/"+ch.revoked, full, "", ua, true); st != 204 {
		t.Fatalf("revoke: %d %s", st, raw)
	}
	st, _, raw = call(t, "POST", base+"/v1/payment-links", full, `{"amount":{"currency":"EUR","value":"12.00"},"description":"audited","customer":{"company_name":"ACME","email":"ap@acme.example"}}`, ua, true)
	if st != 201 {
		t.Fatalf("create: %d %s", st, raw)
	}
	ch.link = decode(t, raw)["id"].(string)
	if st, _, raw := call(t, "PATCH", base+"/v1/payment-links/"+ch.link, full, `{"language":"de"}`, ua, true); st != 200 {
		t.Fatalf("patch: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+ch.link+"/send", full, `{"channel":"email"}`, ua, true); st != 202 {
		t.Fatalf("send: %d %s", st, raw)
	}
	ch.paid = paidLinkOf(t, env, base, full, "shop", "20.00")
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+ch.paid+"/refunds", full, `{"reason":"damaged"}`, ua, true); st != 201 {
		t.Fatalf("refund: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+ch.paid+"/archive", full, "", ua, true); st != 200 {
		t.Fatalf("archive: %d %s", st, raw)
	}
	return ch
}

// entriesByKey: every entry names the key (id and name), the IP and the
// user agent of its request.
func entriesByKey(t *testing.T, es []jsonMap, keyID, paid string) {
	t.Helper()
	for _, e := range es {
		a := e["actor"].(jsonMap)
		wantUA := auditUA
		if e["action"] == domain.EventCreated && e["resource"] == paid {
			wantUA = "Go-http-client/1.1" // paidLinkOf's create
		}
		if a["type"] != "api_key" || a["id"] != keyID || a["name"] == "" || e["ip"] != "127.0.0.1" || e["user_agent"] != wantUA {
			t.Errorf("entry %s: actor %v ip %v ua %v", e["action"], a, e["ip"], e["user_agent"])
		}
	}
}

// auditFilters: by resource, by actor, and an actor with no entries.
func auditFilters(t *testing.T, base, full, keyID, link string, total int) {
	t.Helper()
	if got := strings.Join(actions(auditEntries(t, base, full, "resource="+link)), ","); got != "payment_link.sent,payment_link.updated,payment_link.created" {
		t.Fatalf("resource filter: %s", got)
	}
	if got := auditEntries(t, base, full, "actor="+keyID); len(got) != total {
		t.Fatalf("actor filter: %d of %d", len(got), total)
	}
	if got := auditEntries(t, base, full, "actor=key_0000000000000000"); len(got) != 0 {
		t.Fatalf("another actor's entries: %v", got)
	}
}

// auditRefusals: a bad cursor is 400, an unknown parameter 422 naming it
// (as every listing), a key without audit:read 403 missing_permission.
func auditRefusals(t *testing.T, base, full string) {
	t.Helper()
	st, _, raw := call(t, "GET", base+"/v1/audit-log?cursor=bm90LWEtY3Vyc29y", full, "", nil, true)
	if st != 400 || !strings.Contains(string(raw), `"field":"cursor"`) {
		t.Fatalf("bad cursor: %d %s", st, raw)
	}
	st, _, raw = call(t, "GET", base+"/v1/audit-log?action=x", full, "", nil, false)
	if st != 422 || !strings.Contains(string(raw), `"field":"action"`) {
		t.Fatalf("unknown parameter: %d %s", st, raw)
	}
	reader, _ := restrictedKey(t, base, full, "links:read")
	st, _, raw = call(t, "GET", base+"/v1/audit-log", reader, "", nil, true)
	wantMissing(t, st, raw, domain.AuditRead)
}

// timelineActors: the key for the API's changes, paylinks for the rest;
// no IP on an event.
func timelineActors(t *testing.T, base, full, keyID, paid string) {
	t.Helper()
	_, _, raw := call(t, "GET", base+"/v1/payment-links/"+paid+"/events", full, "", nil, true)
	for _, e := range decode(t, raw)["data"].([]any) {
		ev := e.(jsonMap)
		a := ev["actor"].(jsonMap)
		wantType := "api_key"
		if ev["type"] == domain.EventPaid {
			wantType = "system"
		}
		if a["type"] != wantType || (wantType == "api_key" && a["id"] != keyID) || ev["ip"] != nil || a["ip"] != nil {
			t.Errorf("event %s: actor %v", ev["type"], a)
		}
	}
}

// TestKeyLastUsed: the listing shows when each key was last used; it is
// recorded on a key's first use and not rewritten on every request.
func TestKeyLastUsed(t *testing.T) {
	env := testenv.New(t)
	full := env.Merchant(t, "shop")
	srv := env.Serve(t)
	st, _, raw := call(t, "POST", srv.URL+"/v1/api-keys", full, `{"name":"reader","permissions":["links:read"]}`, nil, true)
	if st != 201 {
		t.Fatalf("key: %d %s", st, raw)
	}
	reader := decode(t, raw)
	lastUsed := func() any {
		t.Helper()
		_, _, raw := call(t, "GET", srv.URL+"/v1/api-keys", full, "", nil, true)
		for _, k := range decode(t, raw)["data"].([]any) {
			if k.(jsonMap)["id"] == reader["id"] {
				return k.(jsonMap)["last_used_at"]
			}
		}
		t.Fatalf("reader key not listed: %s", raw)
		return nil
	}
	if got := lastUsed(); got != nil {
		t.Fatalf("never used, last_used_at %v", got)
	}
	secret := reader["secret"].(string)
	if st, _, raw := call(t, "GET", srv.URL+"/v1/payment-links", secret, "", nil, true); st != 200 {
		t.Fatalf("use: %d %s", st, raw)
	}
	first, ok := lastUsed().(string)
	if at, err := time.Parse(time.RFC3339, first); !ok || err != nil || time.Since(at) > time.Minute {
		t.Fatalf("after use, last_used_at %q %v", first, err)
	}
	// More requests, each through a fresh API (nothing cached): reads, no write.
	env.Count.Reset()
	for i := 0; i < 5; i++ {
		fresh := env.Serve(t)
		if st, _, raw := call(t, "GET", fresh.URL+"/v1/payment-links", secret, "", nil, true); st != 200 {
			t.Fatalf("use %d: %d %s", i, st, raw)
		}
	}
	if w := writes(env.Count.Snapshot()); w != 0 {
		t.Fatalf("%d writes for 5 requests within the hour: %v", w, env.Count.Snapshot())
	}
	if got := lastUsed(); got != first {
		t.Fatalf("last_used_at rewritten: %v -> %v", first, got)
	}
}

func writes(ops map[string]int) int {
	n := 0
	for op, c := range ops {
		switch op {
		case "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem":
			n += c
		}
	}
	return n
}

// TestMembersThroughTheAPI, through the emulators (moto's cognito-idp):
// invite, list, change the role, remove; each change is in the audit log
// with the key that made it.
func TestMembersThroughTheAPI(t *testing.T) {
	env := testenv.New(t)
	full := env.Merchant(t, "shop")
	srv := env.Serve(t)
	var mailed []string
	srv.Service.People.Directory = cognito.New(testenv.AWSConfig(t), testenv.NewPool(t), func(_ context.Context, inv cognito.Invitation) error {
		mailed = append(mailed, inv.Email)
		return nil
	})
	base := srv.URL
	st, _, raw := call(t, "POST", base+"/v1/members", full, `{"email":"Ana@Shop.example","role":"viewer"}`, nil, true)
	if st != 201 {
		t.Fatalf("invite: %d %s", st, raw)
	}
	mem := decode(t, raw)
	id := mem["id"].(string)
	if mem["email"] != "ana@shop.example" || mem["status"] != "invited" || mem["role"] != "viewer" || len(mailed) != 1 {
		t.Fatalf("invited: %v mailed %v", mem, mailed)
	}
	for _, c := range []struct{ body, field string }{{`{"email":"nope","role":"viewer"}`, "email"}, {`{"email":"b@shop.example","role":"boss"}`, "role"}} {
		if st, _, raw := call(t, "POST", base+"/v1/members", full, c.body, nil, false); st != 422 || !strings.Contains(string(raw), `"field":"`+c.field+`"`) {
			t.Fatalf("invite %s: %d %s", c.body, st, raw)
		}
	}
	st, _, raw = call(t, "GET", base+"/v1/members", full, "", nil, true)
	if st != 200 || !strings.Contains(string(raw), id) {
		t.Fatalf("list: %d %s", st, raw)
	}
	st, _, raw = call(t, "PATCH", base+"/v1/members/"+id, full, `{"role":"finance"}`, nil, true)
	if st != 200 || decode(t, raw)["role"] != "finance" {
		t.Fatalf("role: %d %s", st, raw)
	}
	if st, _, raw := call(t, "DELETE", base+"/v1/members/"+id, full, "", nil, true); st != 204 {
		t.Fatalf("remove: %d %s", st, raw)
	}
	if st, _, raw := call(t, "DELETE", base+"/v1/members/"+id, full, "", nil, true); st != 404 {
		t.Fatalf("remove again: %d %s", st, raw)
	}
	es := auditEntries(t, base, full, "resource="+id)
	if got := strings.Join(actions(es), ","); got != "member.removed,member.role_changed,member.invited" {
		t.Fatalf("members' audit: %s", got)
	}
	for _, e := range es {
		if a := e["actor"].(jsonMap); a["type"] != "api_key" || a["id"] != merchant.KeyFor("shop", full).ID() {
			t.Fatalf("%s by %v", e["action"], a)
		}
	}
}

// TestImportAudited: an import is in the audit log, and its rows' links are
// created in the name of the key that imported them (the audit log and
// the timeline), with the import request's IP.
func TestImportAudited(t *testing.T) {
	env := testenv.New(t)
	full := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	imp := importOf(t, srv.URL, full)
	waitImport(t, srv.URL, full, imp)
	fullID := merchant.KeyFor("shop", full).ID()
	es := auditEntries(t, srv.URL, full, "")
	if got := strings.Join(actions(es), ","); got != "payment_link.created,import.created" {
		t.Fatalf("import's audit: %s", got)
	}
	link := es[0]["resource"].(string)
	for _, e := range es {
		if a := e["actor"].(jsonMap); a["type"] != "api_key" || a["id"] != fullID || e["ip"] != "127.0.0.1" {
			t.Fatalf("%s by %v from %v", e["action"], a, e["ip"])
		}
	}
	if es[1]["resource"] != imp {
		t.Fatalf("import entry on %v, want %s", es[1]["resource"], imp)
	}
	_, _, raw := call(t, "GET", srv.URL+"/v1/payment-links/"+link+"/events", full, "", nil, true)
	ev := decode(t, raw)["data"].([]any)[0].(jsonMap)
	if a := ev["actor"].(jsonMap); ev["type"] != domain.EventCreated || a["type"] != "api_key" || a["id"] != fullID {
		t.Fatalf("imported link's first event: %v", ev)
	}
}
