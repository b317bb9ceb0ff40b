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
// than something unredacted). A body with nothing to take out is returned
// as written, byte for byte (the event feed serves the webhooks' own
// bytes); one redacted is encoded again.
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
	rd := &redaction{Rights: rights}
	v = rd.walk(v)
	if !rd.changed {
		return body, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return append(out, '\n'), nil
}

// redaction is one Redact's walk: the rights it applies and whether it
// took anything out.
type redaction struct {
	Rights
	changed bool
}

func (rd *redaction) walk(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = rd.walk(x[i])
		}
		return x
	case map[string]any:
		return rd.object(x)
	}
	return v
}

func (rd *redaction) object(o map[string]any) map[string]any {
	id, _ := o["id"].(string)
	if !rd.Customers {
		if strings.HasPrefix(id, "cus_") {
			return rd.keep(o, customerKept)
		}
		if c, ok := o["customer"].(map[string]any); ok {
			o["customer"] = rd.keep(c, customerKept)
		}
		if strings.HasPrefix(id, "pl_") || strings.HasPrefix(id, "py_") || o["object"] == "bank_statement_entry" {
			for _, f := range personFields {
				if v, ok := o[f]; ok && v != nil {
					o[f], rd.changed = nil, true
				}
			}
		}
	}
	if !rd.Members && (id == "" || id != rd.Self) {
		if t, _ := o["type"].(string); t == "member" {
			rd.drop(o, "name")
		}
		if strings.HasPrefix(id, "mem_") {
			rd.drop(o, "email", "last_sign_in_at")
		}
	}
	for k, v := range o {
		o[k] = rd.walk(v)
	}
	return o
}

// drop deletes o's fields named.
func (rd *redaction) drop(o map[string]any, names ...string) {
	for _, n := range names {
		if _, ok := o[n]; ok {
			delete(o, n)
			rd.changed = true
		}
	}
}

// keep is o with only the fields kept.
func (rd *redaction) keep(o map[string]any, kept map[string]bool) map[string]any {
	out := map[string]any{}
	for k, v := range o {
		if kept[k] {
			out[k] = v
		}
	}
	if len(out) != len(o) {
		rd.changed = true
	}
	return out
}
