package openapi30

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// doc wraps one schema as a component of a 3.1 document.
func doc(schema string) []byte {
	return []byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{},` +
		`"webhooks":{"x":{}},"components":{"schemas":{"S":` + schema + `}}}`)
}

func converted(t *testing.T, schema string) map[string]any {
	t.Helper()
	out, err := Convert(doc(schema))
	if err != nil {
		t.Fatalf("Convert(%s): %v", schema, err)
	}
	var root map[string]any
	if err := json.Unmarshal(out, &root); err != nil {
		t.Fatal(err)
	}
	if root["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v, want 3.0.3", root["openapi"])
	}
	if _, ok := root["webhooks"]; ok {
		t.Errorf("webhooks kept: 3.0 has none")
	}
	return root["components"].(map[string]any)["schemas"].(map[string]any)["S"].(map[string]any)
}

func TestConvertRewrites(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"type and null", `{"type":["string","null"],"maxLength":3}`, `{"type":"string","nullable":true,"maxLength":3}`},
		{"null alone", `{"type":"null","description":"d"}`, `{"nullable":true,"enum":[null],"description":"d"}`},
		{"untyped string const", `{"const":"refund"}`, `{"type":"string","enum":["refund"]}`},
		{"type list of one", `{"type":["integer"]}`, `{"type":"integer"}`},
		{"const", `{"type":"string","const":"payment_link"}`, `{"type":"string","enum":["payment_link"]}`},
		{"ref or null", `{"oneOf":[{"$ref":"#/components/schemas/B"},{"type":"null"}]}`,
			`{"allOf":[{"$ref":"#/components/schemas/B"}],"nullable":true}`},
		{"null or object", `{"oneOf":[{"type":"null"},{"type":"object","properties":{"a":{"type":"string"}}}]}`,
			`{"type":"object","nullable":true,"properties":{"a":{"type":"string"}}}`},
		{"money input: string or number", `{"oneOf":[{"type":"string"},{"type":"number"}]}`, `{"type":"string"}`},
		{"date or date-time", `{"anyOf":[{"type":"string","format":"date"},{"type":"string","format":"date-time"}]}`, `{"type":"string"}`},
		{"binary", `{"type":"string","contentEncoding":"binary"}`, `{"type":"string","format":"binary"}`},
		{"ref with a description", `{"$ref":"#/components/schemas/P","description":"d"}`, `{"$ref":"#/components/schemas/P"}`},
		{"nested in properties", `{"type":"object","properties":{"type":{"type":["string","null"]},"n":{"type":["array","null"],"items":{"const":1}}}}`,
			`{"type":"object","properties":{"type":{"type":"string","nullable":true},"n":{"type":"array","nullable":true,"items":{"enum":[1]}}}}`},
		{"a real union stays", `{"oneOf":[{"$ref":"#/components/schemas/A"},{"$ref":"#/components/schemas/B"}]}`,
			`{"oneOf":[{"$ref":"#/components/schemas/A"},{"$ref":"#/components/schemas/B"}]}`},
		{"example values untouched", `{"type":"object","example":{"type":["a","b"],"const":1}}`,
			`{"type":"object","example":{"type":["a","b"],"const":1}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := converted(t, c.in)
			var want map[string]any
			if err := json.Unmarshal([]byte(c.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				t.Errorf("Convert(%s) = %s, want %s", c.in, g, c.want)
			}
		})
	}
}

func TestConvertRefuses(t *testing.T) {
	cases := map[string]string{
		"two types":           `{"type":["string","integer"]}`,
		"prefixItems":         `{"type":"array","prefixItems":[{"type":"string"}]}`,
		"numeric exclusive":   `{"type":"number","exclusiveMinimum":0}`,
		"schema examples":     `{"type":"string","examples":["a"]}`,
		"base64 content":      `{"type":"string","contentEncoding":"base64"}`,
		"patternProperties":   `{"type":"object","patternProperties":{"^a":{"type":"string"}}}`,
		"a member not schema": `{"oneOf":[1,{"type":"null"}]}`,
	}
	for name, in := range cases {
		if _, err := Convert(doc(in)); err == nil || !strings.Contains(err.Error(), "#/components/schemas/S") {
			t.Errorf("%s: Convert(%s) = %v, want an error naming the schema", name, in, err)
		}
	}
	if _, err := Convert([]byte(`{"openapi":"3.0.3"}`)); err == nil {
		t.Errorf("a 3.0 document converted: want an error")
	}
	if _, err := Convert([]byte(`{`)); err == nil {
		t.Errorf("broken JSON converted: want an error")
	}
}

// TestConvertTheDocument: paylinks' own document converts, and nothing of
// 3.1 is left in what oapi-codegen reads.
func TestConvertTheDocument(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "openapi", "openapi.json")) // the repository's document
	if err != nil {
		t.Skipf("outside the paylinks repository: %v", err)
	}
	out, err := Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	var root any
	if err := json.Unmarshal(out, &root); err != nil {
		t.Fatal(err)
	}
	var check func(x any, at string)
	check = func(x any, at string) {
		switch n := x.(type) {
		case map[string]any:
			if _, ok := n["type"].([]any); ok {
				t.Errorf("%s: a type list is left", at)
			}
			for _, k := range []string{"const", "contentEncoding"} {
				if _, ok := n[k]; ok && isSchema(n) {
					t.Errorf("%s: %s is left", at, k)
				}
			}
			if n["type"] == "null" {
				t.Errorf("%s: a null type is left", at)
			}
			for k, v := range n {
				if k != "example" {
					check(v, at+"/"+k)
				}
			}
		case []any:
			for _, e := range n {
				check(e, at)
			}
		}
	}
	check(root, "#")
	money := root.(map[string]any)["components"].(map[string]any)["schemas"].(map[string]any)["MoneyInput"]
	value := money.(map[string]any)["properties"].(map[string]any)["value"].(map[string]any)
	if value["type"] != "string" {
		t.Errorf("MoneyInput.value = %v, want a string (decimals never sent as floats)", value)
	}
}
