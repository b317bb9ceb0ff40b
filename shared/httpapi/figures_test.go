package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// createAt creates a link of value EUR at the instant at (the service's
// clock moved there) and returns its id.
func createAt(t *testing.T, srv *testenv.Server, key, value string, at time.Time) string {
	t.Helper()
	srv.Service.Env.Clock.Set(func() time.Time { return at })
	defer srv.Service.Env.Clock.Set(nil)
	body := fmt.Sprintf(`{"amount":{"currency":"EUR","value":%q},"description":"Invoice","customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be"}}`, value)
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body, nil, true)
	if st != 201 {
		t.Fatalf("create at %v: %d %s", at, st, raw)
	}
	return decode(t, raw)["id"].(string)
}

// TestListDaysInMerchantTimeZone: created_from and created_to given as
// days are days of the merchant's time zone (Europe/Brussels until set),
// whose bounds are its midnights: the day clocks go back holds 25 hours.
// time_zone is set through the settings; an unknown one is 422 naming it.
func TestListDaysInMerchantTimeZone(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "zone")
	srv := env.Serve(t)
	if _, s, _ := call3(t, "GET", srv.URL+"/v1/settings", key, ""); s["time_zone"] != "Europe/Brussels" {
		t.Fatalf("default time_zone %v", s["time_zone"])
	}
	for _, bad := range []string{`"Europe/Atlantis"`, `""`, `"Local"`, `"../etc/passwd"`, `3`} {
		st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"time_zone":`+bad+`}`, nil, false)
		if st != 422 || strings.Join(fields(t, raw), ",") != "time_zone" {
			t.Errorf("time_zone %s: %d %s", bad, st, raw)
		}
	}
	// Around Brussels' 2026-10-25 (CEST until 03:00, then CET).
	at := func(s string) time.Time { x, _ := time.Parse(time.RFC3339, s); return x }
	ids := []string{
		createAt(t, srv, key, "1.00", at("2026-10-24T21:59:59Z")), // 23:59:59 on the 24th
		createAt(t, srv, key, "2.00", at("2026-10-24T22:00:00Z")), // 00:00 on the 25th
		createAt(t, srv, key, "3.00", at("2026-10-25T22:59:59Z")), // 23:59:59 CET on the 25th
		createAt(t, srv, key, "4.00", at("2026-10-25T23:00:00Z")), // 00:00 on the 26th
	}
	list := func(q string) string {
		t.Helper()
		st, d, raw := call3(t, "GET", srv.URL+"/v1/payment-links?"+q, key, "")
		if st != 200 {
			t.Fatalf("%s: %d %s", q, st, raw)
		}
		var got []string
		for _, l := range d["data"].([]any) {
			got = append(got, l.(jsonMap)["id"].(string))
		}
		return strings.Join(got, ",")
	}
	day := "created_from=2026-10-25&created_to=2026-10-25"
	if got, want := list(day), ids[2]+","+ids[1]; got != want {
		t.Errorf("Brussels' 2026-10-25: %s, want %s", got, want)
	}
	if got, want := list("created_from=2026-10-26&created_to=2026-10-26"), ids[3]; got != want {
		t.Errorf("Brussels' 2026-10-26: %s, want %s", got, want)
	}
	st, s, raw := call3(t, "PUT", srv.URL+"/v1/settings", key, `{"time_zone":"UTC"}`)
	if st != 200 || s["time_zone"] != "UTC" {
		t.Fatalf("set UTC: %d %s", st, raw)
	}
	if got, want := list(day), ids[3]+","+ids[2]; got != want {
		t.Errorf("UTC's 2026-10-25: %s, want %s", got, want)
	}
	// A day the zone left out holds nothing (Samoa skipped 2011-12-30).
	if st, _, raw := call3(t, "PUT", srv.URL+"/v1/settings", key, `{"time_zone":"Pacific/Apia"}`); st != 200 {
		t.Fatalf("set Apia: %d %s", st, raw)
	}
	if got := list("created_from=2011-12-30&created_to=2011-12-30"); got != "" {
		t.Errorf("Apia's missing day: %s", got)
	}
	call3(t, "PUT", srv.URL+"/v1/settings", key, `{"time_zone":"UTC"}`)
	// An instant is still an instant.
	if got, want := list("created_from=2026-10-24T22%3A00%3A00%2B00%3A00&created_to=2026-10-24T22%3A00%3A00Z"), ids[1]; got != want {
		t.Errorf("instants: %s, want %s", got, want)
	}
	for q, field := range map[string]string{"created_from=2026-02-30": "created_from", "created_to=2026-10-25T25:00:00Z": "created_to",
		"created_from=2026-10-26&created_to=2026-10-25": "created_from"} {
		st, _, raw := call(t, "GET", srv.URL+"/v1/payment-links?"+q, key, "", nil, false)
		if st != 422 || strings.Join(fields(t, raw), ",") != field {
			t.Errorf("%s: %d %s", q, st, raw)
		}
	}
}

// call3 calls a route that answers JSON and decodes it.
func call3(t *testing.T, method, url, key, body string) (int, jsonMap, []byte) {
	t.Helper()
	st, _, raw := call(t, method, url, key, body, nil, true)
	return st, decode(t, raw), raw
}

// currencyOf is a summary's figures of one currency.
func currencyOf(t *testing.T, s jsonMap, cur string) jsonMap {
	t.Helper()
	for _, c := range s["currencies"].([]any) {
		if c.(jsonMap)["currency"] == cur {
			return c.(jsonMap)
		}
	}
	t.Fatalf("no %s in %v", cur, s)
	return nil
}

// amountOf is an amount's value, checked to be in cur.
func amountOf(t *testing.T, v any, cur string) string {
	t.Helper()
	a := v.(jsonMap)
	if a["currency"] != cur {
		t.Fatalf("amount %v is not in %s", a, cur)
	}
	return a["value"].(string)
}

// TestSummaryOfFilteredSet: GET /v1/payment-links/summary takes exactly
// the listing's filters (not its page) and sums up the whole set server-
// side, per currency in exact decimals; its count is what the listing
// lists page after page; it reads the listing index (no Scan) in a few
// calls; bad filters are 422 naming each.
func TestSummaryOfFilteredSet(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	ids := twelveLinksTwoPaid(t, env, srv.URL, key)
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"USD","value":"0.10"},"description":"Dollars","customer":{"first_name":"Bo","last_name":"Li","email":"bo@example.com"}}`, nil, true)
	if st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	// A refund of 20.25 succeeded on the second paid link (its counter,
	// as the refund worker adds it).
	if _, err := env.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(env.Table),
		Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "M#shop#L#" + ids[4]}, "SK": &types.AttributeValueMemberS{Value: "L#" + ids[4]}},
		UpdateExpression: aws.String("ADD refunded_minor :n"), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "2025"}}}); err != nil {
		t.Fatal(err)
	}
	if l, err := env.Store.Get(t.Context(), "shop", ids[4]); err != nil || l.AmountRefunded.String() != "20.25" {
		t.Fatalf("refunded: %v %v", l, err)
	}
	env.Count.Reset()
	st, s, raw := call3(t, "GET", srv.URL+"/v1/payment-links/summary", key, "")
	calls := env.Count.Snapshot()
	if st != 200 || s["count"] != 13.0 || s["partial"] != false || s["links_read"] != 13.0 || s["time_zone"] != "Europe/Brussels" {
		t.Fatalf("all: %d %s", st, raw)
	}
	testenv.Figure(t, "summary of 13 links: %d DynamoDB calls (%d Query, %d BatchGetItem, %d Scan)",
		env.Count.Total(), calls["Query"], calls["BatchGetItem"], calls["Scan"])
	if calls["Scan"] != 0 || calls["BatchGetItem"] != 1 || calls["Query"] > 64 {
		t.Errorf("summary's calls: %v", calls)
	}
	eur := currencyOf(t, s, "EUR")
	if eur["count"] != 12.0 || amountOf(t, eur["total"], "EUR") != "786.00" {
		t.Errorf("EUR: %v", eur)
	}
	for part, want := range map[string]string{"paid": "2 71.00", "open": "10 715.00", "refunded": "1 20.25"} {
		p := eur[part].(jsonMap)
		if got := fmt.Sprintf("%v %s", p["count"], amountOf(t, p["amount"], "EUR")); got != want {
			t.Errorf("EUR %s: %s, want %s", part, got, want)
		}
	}
	if usd := currencyOf(t, s, "USD"); usd["count"] != 1.0 || amountOf(t, usd["total"], "USD") != "0.10" {
		t.Errorf("USD: %v", usd)
	}
	checkSummaryFilters(t, srv.URL, key)
}

func checkSummaryFilters(t *testing.T, base, key string) {
	t.Helper()
	for q, want := range map[string]string{"customer=acme": "4 222.00", "status=paid": "2 71.00", "reference=REF-07": "1 80.50",
		"amount_min=30&amount_max=60.50": "4 182.00", "created_from=2000-01-01&created_to=2000-01-02": "0"} {
		st, s, raw := call3(t, "GET", base+"/v1/payment-links/summary?"+q, key, "")
		if st != 200 {
			t.Fatalf("%s: %d %s", q, st, raw)
		}
		got := fmt.Sprint(s["count"])
		if s["count"] != 0.0 {
			got += " " + amountOf(t, currencyOf(t, s, "EUR")["total"], "EUR")
		}
		if got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
		// The listing lists as many.
		st, l, raw := call3(t, "GET", base+"/v1/payment-links?limit=500&"+q, key, "")
		if st != 200 || float64(len(l["data"].([]any))) != s["count"] {
			t.Errorf("%s: the listing has %d links: %s", q, len(l["data"].([]any)), raw)
		}
	}
	for q, field := range map[string]string{"limit=5": "limit", "cursor=x": "cursor", "created_from=yesterday": "created_from",
		"status=lost&colour=red": "colour,status", "amount_min=5&amount_max=1": "amount_min"} {
		st, _, raw := call(t, "GET", base+"/v1/payment-links/summary?"+q, key, "", nil, false)
		if st != 422 || strings.Join(fields(t, raw), ",") != field {
			t.Errorf("%s: %d %s", q, st, raw)
		}
	}
}

// sentAt records that a link's message went out on channels at at, as the
// send worker writes it (ADD sent_channels, SET last_sent_at).
func sentAt(t *testing.T, env *testenv.Env, m, id string, at time.Time, channels ...string) {
	t.Helper()
	if _, err := env.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(env.Table),
		Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "M#" + m + "#L#" + id}, "SK": &types.AttributeValueMemberS{Value: "L#" + id}},
		UpdateExpression: aws.String("ADD sent_channels :c SET last_sent_at = :at"), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberSS{Value: channels},
			":at": &types.AttributeValueMemberS{Value: at.UTC().Format("2006-01-02T15:04:05.000Z")}}}); err != nil {
		t.Fatal(err)
	}
}

// paidAt pays a link at at.
func paidAt(t *testing.T, env *testenv.Env, m, id string, at time.Time) {
	t.Helper()
	cur, err := env.Store.Get(t.Context(), m, id)
	if err != nil {
		t.Fatal(err)
	}
	next := *cur
	next.Status, next.PaidAt = domain.StatusPaid, &at
	if err := env.Store.Transition(t.Context(), cur, &next, domain.NewEvent(id, domain.EventPaid, cur.Status, next.Status, at, nil)); err != nil {
		t.Fatal(err)
	}
}

// TestInsightsFromTheAPI: GET /v1/insights computes a period's figures
// server-side: the headline (links, paid, conversion, paid volume and open
// amount per currency, median time to pay), per channel (each link in
// one), per language and per day of the merchant's time zone, with what
// was paid after the period apart; the default period is the 90 days
// ending today; bad periods are 422 naming the parameter.
func TestInsightsFromTheAPI(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "ins")
	srv := env.Serve(t)
	at := func(s string) time.Time { x, _ := time.Parse(time.RFC3339, s); return x }
	made := at("2026-11-10T10:00:00Z")
	a := createAt(t, srv, key, "10.00", made)
	b := createAt(t, srv, key, "20.00", made)
	c := createAt(t, srv, key, "5.00", made)
	createAt(t, srv, key, "7.00", made.Add(time.Hour))
	if st, _, raw := call(t, "PATCH", srv.URL+"/v1/payment-links/"+b, key, `{"language":"fr"}`, nil, true); st != 200 {
		t.Fatalf("language: %d %s", st, raw)
	}
	paidAt(t, env, "ins", a, at("2026-11-10T13:00:00Z"))
	sentAt(t, env, "ins", a, at("2026-11-10T11:00:00Z"), "email") // paid 2 hours after the send
	paidAt(t, env, "ins", b, at("2026-11-12T10:00:00Z"))          // 48 hours after its creation
	sentAt(t, env, "ins", b, at("2026-11-13T10:00:00Z"), "sms", "email")
	sentAt(t, env, "ins", c, at("2026-11-10T11:00:00Z"), "whatsapp")

	env.Count.Reset()
	st, in, raw := call3(t, "GET", srv.URL+"/v1/insights?from=2026-11-01&to=2026-11-30", key, "")
	calls := env.Count.Snapshot()
	if st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	testenv.Figure(t, "insights of 4 links over 30 days: %d DynamoDB calls (%d Query, %d BatchGetItem, %d Scan)",
		env.Count.Total(), calls["Query"], calls["BatchGetItem"], calls["Scan"])
	if calls["Scan"] != 0 || calls["BatchGetItem"] != 1 {
		t.Errorf("insights' calls: %v", calls)
	}
	h := in["headline"].(jsonMap)
	if h["links"] != 4.0 || h["paid"] != 2.0 || h["sent"] != 3.0 || h["conversion"] != 0.5 || h["median_time_to_pay_seconds"] != 90000.0 ||
		fmt.Sprint(h["paid_volume"]) != "[map[currency:EUR value:30.00]]" || fmt.Sprint(in["open_amount"]) != "[map[currency:EUR value:12.00]]" {
		t.Errorf("headline: %s", raw)
	}
	if in["time_zone"] != "Europe/Brussels" || in["partial"] != false || len(in["days"].([]any)) != 30 {
		t.Errorf("period: %s", raw)
	}
	checkInsightGroups(t, in)
	checkInsightDays(t, srv.URL, key, in)
	checkInsightRefusals(t, srv, key)
}

func checkInsightGroups(t *testing.T, in jsonMap) {
	t.Helper()
	groups := func(name string) string {
		var out []string
		for _, g := range in[name].([]any) {
			g := g.(jsonMap)
			out = append(out, fmt.Sprintf("%s:%v/%v/%v", g["key"], g["links"], g["paid"], g["median_time_to_pay_seconds"]))
		}
		return strings.Join(out, " ")
	}
	// a on email, b on sms and email (several), c on whatsapp, the fourth
	// never sent.
	if got, want := groups("channels"), "email:1/1/7200 sms:0/0/<nil> whatsapp:1/0/<nil> several:1/1/172800 not_sent:1/0/<nil>"; got != want {
		t.Errorf("channels: %s, want %s", got, want)
	}
	if got, want := groups("languages"), "en:3/1/7200 nl:0/0/<nil> fr:1/1/172800 de:0/0/<nil>"; got != want {
		t.Errorf("languages: %s, want %s", got, want)
	}
}

func checkInsightDays(t *testing.T, base, key string, in jsonMap) {
	t.Helper()
	days := in["days"].([]any)
	for i, want := range map[int]string{9: "2026-11-10 4 1 [map[currency:EUR value:10.00]]", 11: "2026-11-12 0 1 [map[currency:EUR value:20.00]]", 0: "2026-11-01 0 0 []"} {
		d := days[i].(jsonMap)
		if got := fmt.Sprint(d["day"], " ", d["links"], " ", d["paid"], " ", d["paid_volume"]); got != want {
			t.Errorf("day %d: %s, want %s", i, got, want)
		}
	}
	// Paid after the period's last day: apart, and still in the headline.
	_, in, raw := call3(t, "GET", base+"/v1/insights?from=2026-11-10&to=2026-11-11", key, "")
	if pa := in["paid_after_period"].(jsonMap); pa["paid"] != 1.0 || fmt.Sprint(pa["paid_volume"]) != "[map[currency:EUR value:20.00]]" ||
		in["headline"].(jsonMap)["paid"] != 2.0 {
		t.Errorf("paid after: %s", raw)
	}
}

func checkInsightRefusals(t *testing.T, srv *testenv.Server, key string) {
	t.Helper()
	// The default period: the 90 days ending today in the merchant's zone
	// (23:30 UTC on 2026-11-14 is the 15th in Brussels).
	srv.Service.Env.Clock.Set(func() time.Time { return time.Date(2026, 11, 14, 23, 30, 0, 0, time.UTC) })
	st, in, raw := call3(t, "GET", srv.URL+"/v1/insights", key, "")
	srv.Service.Env.Clock.Set(nil)
	if st != 200 || in["from"] != "2026-08-18" || in["to"] != "2026-11-15" || len(in["days"].([]any)) != 90 || in["headline"].(jsonMap)["links"] != 4.0 {
		t.Errorf("default period: %d %.300s", st, raw)
	}
	for q, field := range map[string]string{"from=2026-11-30&to=2026-11-01": "from", "from=2025-11-29&to=2026-11-30": "from",
		"from=2026-13-01": "from", "to=yesterday": "to", "colour=red": "colour", "from=2026-11-01&from=2026-11-02": "from",
		"from=2025-11-30&to=2026-11-30": ""} {
		st, _, raw := call(t, "GET", srv.URL+"/v1/insights?"+q, key, "", nil, false)
		if field == "" {
			if st != 200 {
				t.Errorf("%s (366 days): %d %s", q, st, raw)
			}
			continue
		}
		if st != 422 || strings.Join(fields(t, raw), ",") != field {
			t.Errorf("%s: %d %s", q, st, raw)
		}
	}
}
