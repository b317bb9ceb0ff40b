// Package openapi30 derives an OpenAPI 3.0 document from paylinks' OpenAPI
// 3.1 one (shared/openapi/openapi.json) for oapi-codegen, whose loader reads
// 3.0 only. The source document is never edited: the client is generated from
// what Convert returns.
//
// The rewrites, each the 3.0 spelling of the same schema:
//   - type [T, "null"]: type T, nullable true;
//   - oneOf/anyOf with a {"type": "null"} member: the other member, nullable
//     (a $ref as allOf [ref], since 3.0 ignores a $ref's siblings);
//   - const v: enum [v] (of type string when v is a string and no type is
//     given);
//   - type "null" alone: nullable, enum [null];
//   - contentEncoding binary: format binary;
//   - a $ref's siblings (3.1 reads a description beside it): dropped;
//   - webhooks (no 3.0 equivalent): dropped; their body schemas stay in
//     components.
//
// Two narrow the schema to what this client sends:
//   - oneOf/anyOf of plain strings only (a date or a date-time): a string;
//   - oneOf/anyOf of a plain string and a plain number (money input): a
//     string, the client sends decimals as strings, never floats.
//
// Any other 3.1-only construct is an error, so that a new one in the
// document fails the generation instead of producing a wrong client.
package openapi30

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// unsupported are JSON Schema keywords of 3.1 that have no 3.0 spelling here.
var unsupported = []string{"prefixItems", "$defs", "unevaluatedProperties", "unevaluatedItems", "if", "then", "else",
	"dependentRequired", "dependentSchemas", "patternProperties", "propertyNames", "contentMediaType", "$schema",
	"examples", "exclusiveMinimum", "exclusiveMaximum", "$id", "$anchor", "$dynamicRef"}

// Convert returns the 3.0.3 document of an OpenAPI 3.1 document (JSON).
func Convert(doc []byte) ([]byte, error) {
	var root map[string]any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("openapi30: read the document: %w", err)
	}
	v, _ := root["openapi"].(string)
	if !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("openapi30: document is OpenAPI %q, want 3.1.x", v)
	}
	root["openapi"] = "3.0.3"
	delete(root, "webhooks")
	delete(root, "jsonSchemaDialect")
	for _, k := range []string{"paths", "components"} {
		if err := walk(root[k], "#/"+k); err != nil {
			return nil, err
		}
	}
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi30: write the document: %w", err)
	}
	return append(out, '\n'), nil
}

// walk rewrites every schema under x (found as objects holding schema
// keywords) in place.
func walk(x any, at string) error {
	switch n := x.(type) {
	case map[string]any:
		if isSchema(n) {
			if err := schema(n, at); err != nil {
				return err
			}
		}
		for _, k := range sortedKeys(n) {
			if k == "example" || strings.HasPrefix(k, "x-") {
				continue // values, not schemas
			}
			if err := walk(n[k], at+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range n {
			if err := walk(e, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// isSchema tells a schema object from the other objects of the document
// (operations, parameters, and properties maps, whose keys are names).
func isSchema(n map[string]any) bool {
	for _, k := range []string{"type", "oneOf", "anyOf", "allOf", "const", "$ref", "contentEncoding"} {
		if _, ok := n[k]; ok {
			// a "type" that names a property (properties: {type: {...}}) is a map
			if k == "type" {
				if _, isMap := n[k].(map[string]any); isMap {
					continue
				}
			}
			return true
		}
	}
	return false
}

func schema(n map[string]any, at string) error {
	for _, k := range unsupported {
		if _, ok := n[k]; ok {
			return fmt.Errorf("openapi30: %s: keyword %q has no 3.0 spelling here", at, k)
		}
	}
	if ref, ok := n["$ref"]; ok && len(n) > 1 {
		clear(n)
		n["$ref"] = ref
		return nil
	}
	if n["type"] == "null" { // always null: 3.0 has no null type
		delete(n, "type")
		n["nullable"] = true
		n["enum"] = []any{nil}
	}
	if err := typeList(n, at); err != nil {
		return err
	}
	if c, ok := n["const"]; ok {
		delete(n, "const")
		n["enum"] = []any{c}
		if _, typed := n["type"]; !typed {
			if _, isString := c.(string); isString {
				n["type"] = "string"
			}
		}
	}
	if enc, ok := n["contentEncoding"]; ok {
		if enc != "binary" {
			return fmt.Errorf("openapi30: %s: contentEncoding %v (only binary is handled)", at, enc)
		}
		delete(n, "contentEncoding")
		n["format"] = "binary"
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if err := union(n, k, at); err != nil {
			return err
		}
	}
	return nil
}

// typeList: type [T] or [T, "null"] becomes T, nullable.
func typeList(n map[string]any, at string) error {
	list, ok := n["type"].([]any)
	if !ok {
		return nil
	}
	var types []string
	nullable := false
	for _, t := range list {
		s, _ := t.(string)
		if s == "null" {
			nullable = true
			continue
		}
		types = append(types, s)
	}
	if len(types) != 1 {
		return fmt.Errorf("openapi30: %s: type %v: 3.0 has one type per schema", at, list)
	}
	n["type"] = types[0]
	if nullable {
		n["nullable"] = true
	}
	return nil
}

var errNotPlain = errors.New("not a plain type")

// union rewrites oneOf/anyOf (key): the null member becomes nullable, plain
// strings (and a plain number beside them) become one string.
func union(n map[string]any, key, at string) error {
	members, ok := n[key].([]any)
	if !ok {
		return nil
	}
	var rest []map[string]any
	nullable := false
	for _, m := range members {
		mm, ok := m.(map[string]any)
		if !ok {
			return fmt.Errorf("openapi30: %s/%s: a member is not a schema", at, key)
		}
		if len(mm) == 1 && mm["type"] == "null" {
			nullable = true
			continue
		}
		rest = append(rest, mm)
	}
	if t, err := plainTypes(rest); err == nil && t["string"] && len(t) <= 2 && (len(t) == 1 || t["number"]) {
		delete(n, key)
		n["type"] = "string"
		if nullable {
			n["nullable"] = true
		}
		return nil
	}
	if !nullable {
		return nil
	}
	delete(n, key)
	n["nullable"] = true
	switch {
	case len(rest) == 1 && rest[0]["$ref"] != nil:
		n["allOf"] = []any{map[string]any{"$ref": rest[0]["$ref"]}}
	case len(rest) == 1:
		for k, v := range rest[0] {
			if _, taken := n[k]; !taken {
				n[k] = v
			}
		}
	default:
		kept := make([]any, len(rest))
		for i, r := range rest {
			kept[i] = r
		}
		n[key] = kept
	}
	return nil
}

// plainTypes is the set of types of members that are a type alone (with a
// format at most).
func plainTypes(members []map[string]any) (map[string]bool, error) {
	types := map[string]bool{}
	for _, m := range members {
		t, ok := m["type"].(string)
		if !ok {
			return nil, errNotPlain
		}
		for k := range m {
			if k != "type" && k != "format" && k != "description" {
				return nil, errNotPlain
			}
		}
		types[t] = true
	}
	if len(types) == 0 {
		return nil, errNotPlain
	}
	return types, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
