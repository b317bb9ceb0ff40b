package personal

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// A customer's and a member's data, in the shapes paylinks answers.
const (
	custName, custMail = "Quintessa", "q@private.example"
	memMail            = "member@team.example"
)

func customer() map[string]any {
	return map[string]any{"id": "cus_01", "type": "person", "first_name": custName, "email": custMail, "address": map[string]any{"line1": "x"}, "erased": false}
}
func link() map[string]any {
	return map[string]any{"id": "pl_01", "customer": map[string]any{"id": "cus_01", "first_name": custName, "email": custMail},
		"beneficiary": map[string]any{"name": custName}, "amount": map[string]any{"currency": "EUR", "value": "1.00"}}
}
func actor() map[string]any { return map[string]any{"type": "member", "id": "mem_01", "name": memMail} }
func member() map[string]any {
	return map[string]any{"id": "mem_01", "email": memMail, "role": "viewer", "invited_by": actor()}
}
func event() map[string]any {
	return map[string]any{"id": "ev_01", "type": "payment_link.paid", "actor": actor(), "data": link()}
}
func reviewPayment() map[string]any {
	return map[string]any{"id": "py_01", "psp": "bank", "debtor": map[string]any{"name": custName, "iban": "BE71096123456769"}, "remittance": "from " + custMail}
}
func statementEntry() map[string]any {
	return map[string]any{"object": "bank_statement_entry", "index": 3, "debtor": map[string]any{"name": custName}, "remittance": custMail, "link_id": "pl_01"}
}
func keyView() map[string]any {
	return map[string]any{"id": "key_01", "name": "ci", "created_by": actor()}
}

// generated nests the shapes in pages, deliveries and audit entries at
// random, as the answers do.
func generated(rng *rand.Rand, depth int) any {
	leaves := []func() map[string]any{customer, link, actor, member, event, keyView, reviewPayment, statementEntry}
	if depth == 0 {
		return leaves[rng.IntN(len(leaves))]()
	}
	switch rng.IntN(4) {
	case 0:
		return map[string]any{"data": []any{generated(rng, depth-1), generated(rng, depth-1)}, "next_cursor": nil}
	case 1:
		return map[string]any{"id": "whd_01", "payload": generated(rng, depth-1)}
	case 2:
		return map[string]any{"id": "au_01", "actor": actor(), "before": generated(rng, depth-1), "after": generated(rng, depth-1)}
	}
	return leaves[rng.IntN(len(leaves))]()
}

// TestRedactOverGeneratedAnswers: over 2,000 generated answers and every
// set of rights, nothing of a customer stays without the customers' right,
// no member's e-mail without the members' right, and what the rights allow
// is kept whole (ids stay, so the answer still names what it is about).
func TestRedactOverGeneratedAnswers(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 29))
	for i := 0; i < 2000; i++ {
		doc, _ := json.Marshal(generated(rng, rng.IntN(4)))
		for _, r := range []Rights{{}, {Customers: true}, {Members: true}, {Customers: true, Members: true}} {
			out, err := Redact(doc, r)
			if err != nil {
				t.Fatal(err)
			}
			s := string(out)
			has := func(x string) bool { return strings.Contains(s, x) }
			if !r.Customers && (has(custName) || has(custMail) || has(`"line1"`) || has("BE71096123456769")) {
				t.Fatalf("%+v kept a customer's data:\n%s\n-> %s", r, doc, s)
			}
			if !r.Members && has(memMail) {
				t.Fatalf("%+v kept a member's e-mail:\n%s\n-> %s", r, doc, s)
			}
			if r.Customers && strings.Count(s, custName) != strings.Count(string(doc), custName) {
				t.Fatalf("%+v lost a customer's data it may read:\n%s\n-> %s", r, doc, s)
			}
			if r.Members && strings.Count(s, memMail) != strings.Count(string(doc), memMail) {
				t.Fatalf("%+v lost a member's e-mail it may read:\n%s\n-> %s", r, doc, s)
			}
			for _, id := range []string{"cus_01", "mem_01", "pl_01"} {
				if strings.Count(s, id) != strings.Count(string(doc), id) {
					t.Fatalf("%+v lost an id %s:\n%s\n-> %s", r, id, doc, s)
				}
			}
		}
	}
}

func TestRedactRefusesWhatIsNotJSON(t *testing.T) {
	if _, err := Redact([]byte("first_name\nQuintessa\n"), Rights{}); err == nil {
		t.Fatal("a CSV was passed as redacted")
	}
	in := `{"a":1.50,"customer":{"id":"cus_01","email":"x@y.example"}}`
	if out, err := Redact([]byte(in), Rights{}); err != nil || string(out) != "{\"a\":1.50,\"customer\":{\"id\":\"cus_01\"}}\n" {
		t.Fatalf("numbers are kept as written: %s %v", out, err)
	}
}

// TestRedactKeepsTheCallersOwn: a member short of the right to members'
// e-mails still reads their own (their record, an actor naming them); any
// other member's is taken out, and an API key (no Self) reads none.
func TestRedactKeepsTheCallersOwn(t *testing.T) {
	other := map[string]any{"id": "mem_02", "email": "other@team.example", "invited_by": map[string]any{"type": "member", "id": "mem_02", "name": "other@team.example"}}
	body, _ := json.Marshal(map[string]any{"data": []any{member(), other}, "created_by": actor()})
	for _, c := range []struct {
		self             string
		mine, otherShown bool
	}{{"mem_01", true, false}, {"mem_02", false, true}, {"", false, false}} {
		out, err := Redact(body, Rights{Customers: true, Self: c.self})
		if err != nil {
			t.Fatal(err)
		}
		s := string(out)
		if strings.Contains(s, memMail) != c.mine || strings.Contains(s, "other@team.example") != c.otherShown {
			t.Errorf("self %q: %s", c.self, s)
		}
	}
}

// TestRedactLeavesAnUntouchedAnswerAsWritten: an answer with nothing the
// caller may not read goes out byte for byte as written (the event feed
// promises the webhook's own bytes, its id first, also to a key holding
// only links:read); one with something taken out is the rest re-encoded.
func TestRedactLeavesAnUntouchedAnswerAsWritten(t *testing.T) {
	feed := `{"data":[{"id":"msg_01","type":"payment_link.paid","timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"ev_01",` +
		`"sequence":2,"link":{"id":"pl_01","description":"a\u003cb","customer":{"id":"cus_01","first_name":"` + custName + `"},"beneficiary":null}}}],"next_cursor":"msg_01","has_more":false}` + "\n"
	for _, r := range []Rights{{Customers: true}, {Customers: true, Self: "mem_01"}} {
		if out, err := Redact([]byte(feed), r); err != nil || string(out) != feed {
			t.Errorf("%+v: nothing to take out, yet\n%s\nwas\n%s", r, out, feed)
		}
	}
	plain := `{"z":1,"a":[{"id":"pl_01","customer":null,"beneficiary":null}]}`
	if out, err := Redact([]byte(plain), Rights{}); err != nil || string(out) != plain {
		t.Errorf("no person's data at all, yet\n%s\nwas\n%s", out, plain)
	}
	out, err := Redact([]byte(feed), Rights{})
	if err != nil || strings.Contains(string(out), custName) || !strings.Contains(string(out), `"customer":{"id":"cus_01"}`) {
		t.Errorf("a customer's name without the right: %s %v", out, err)
	}
}
