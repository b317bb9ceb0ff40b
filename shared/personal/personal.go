// Package personal keeps people's data from those not allowed to read it
// (docs/api.md, People): customers' data (the customer records, the snapshots
// links carry, the debtors and beneficiaries of payments, all of it inside
// webhook payloads and audit entries too) needs links:read or
// customers:read; members' e-mails (and when they signed in) need
// members:write or settings:write, but for the member calling's own. Redact rewrites a JSON answer for a
// caller short of either, by the shape of what paylinks answers: objects
// named by their id prefix (cus_, mem_, pl_, py_) or their object
// (bank_statement_entry), customer snapshots under "customer", and actors
// of type member.
package personal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Rights are what a caller may read of people.
type Rights struct {
	// Customers: links:read or customers:read.
	Customers bool
	// Members: members:write or settings:write (members' e-mails).
	Members bool
	// Self is the member calling ("" for an API key): their own e-mail and
	// sign-in are theirs to read whatever their role.
	Self string
}

// All reports rights to everything: nothing to redact.
func (r Rights) All() bool { return r.Customers && r.Members }

// customerKept are the fields of a customer (or a link's customer
// snapshot) shown without the right to customers' data: what names the
// record, never the person.
var customerKept = map[string]bool{"id": true, "object": true, "type": true, "archived": true, "erased": true, "created_at": true, "updated_at": true}

// personFields are a link's or a payment's parts that are people's data
// (a bank payment's remittance text is the payer's own words).
var personFields = []string{"beneficiary", "debtor", "bank_transfer", "remittance"}

// Redact is the JSON document body without what rights do not allow.
// A body that is not JSON is an error (the caller answers nothing rather
// than something unredacted).
func Redact(body []byte, rights Rights) ([]byte, error) {
	if rights.All() || len(bytes.TrimSpace(body)) == 0 {
		return body, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	out, err := json.Marshal(walk(v, rights))
	if err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return append(out, '\n'), nil
}

func walk(v any, r Rights) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = walk(x[i], r)
		}
		return x
	case map[string]any:
		return object(x, r)
	}
	return v
}

func object(o map[string]any, r Rights) map[string]any {
	id, _ := o["id"].(string)
	if !r.Customers {
		if strings.HasPrefix(id, "cus_") {
			return keep(o, customerKept)
		}
		if c, ok := o["customer"].(map[string]any); ok {
			o["customer"] = keep(c, customerKept)
		}
		if strings.HasPrefix(id, "pl_") || strings.HasPrefix(id, "py_") || o["object"] == "bank_statement_entry" {
			for _, f := range personFields {
				if _, ok := o[f]; ok {
					o[f] = nil
				}
			}
		}
	}
	if !r.Members && (id == "" || id != r.Self) {
		if t, _ := o["type"].(string); t == "member" {
			delete(o, "name")
		}
		if strings.HasPrefix(id, "mem_") {
			delete(o, "email")
			delete(o, "last_sign_in_at")
		}
	}
	for k, v := range o {
		o[k] = walk(v, r)
	}
	return o
}

// keep is o with only the fields kept.
func keep(o map[string]any, kept map[string]bool) map[string]any {
	out := map[string]any{}
	for k, v := range o {
		if kept[k] {
			out[k] = v
		}
	}
	return out
}
