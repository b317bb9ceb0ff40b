package apitypes

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update-apitypes", false, "write shared/dashboard/assets/openapi.d.ts from shared/openapi/openapi.json")

const (
	docPath = "../../openapi/openapi.json"
	outPath = "../assets/openapi.d.ts"
)

// TestDeclarationsCurrent: the checked-in openapi.d.ts is what the
// document generates (go test ./shared/dashboard/apitypes -update-apitypes
// writes it after the document changes).
func TestDeclarationsCurrent(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Generate(doc)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(outPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatalf("%v (go test ./shared/dashboard/apitypes -update-apitypes writes it)", err)
	}
	if !bytes.Equal(have, got) {
		t.Fatalf("%s is stale: run go test ./shared/dashboard/apitypes -update-apitypes", outPath)
	}
	// Every schema and every operation with an id is declared.
	var d struct {
		Paths      map[string]map[string]struct{ OperationID string }
		Components struct{ Schemas map[string]json.RawMessage }
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for name := range d.Components.Schemas {
		if !strings.Contains(string(got), "\nexport type "+name+" = ") {
			t.Errorf("schema %s is not declared", name)
		}
	}
	for p, ops := range d.Paths {
		for m, op := range ops {
			if contains(methods, m) && !strings.Contains(string(got), "\n  "+op.OperationID+": {\n") {
				t.Errorf("%s %s (%s) is not declared", m, p, op.OperationID)
			}
		}
	}
	if !strings.Contains(string(got), "export type PaymentLink = {\n  amount: Money;\n") {
		t.Errorf("PaymentLink's required amount is not declared as Money:\n%.400s", got[strings.Index(string(got), "export type PaymentLink ="):])
	}
}

// TestPropertiesAsDeclared: over generated object schemas, each property is
// declared once, optional exactly when not required, with the type its
// schema names; the output does not depend on the order of the maps.
func TestPropertiesAsDeclared(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 2))
	kinds := []struct{ schema, ts string }{
		{`{"type":"string"}`, "string"}, {`{"type":"integer"}`, "number"}, {`{"type":["string","null"]}`, "string | null"},
		{`{"$ref":"#/components/schemas/Money"}`, "Money"}, {`{"type":"array","items":{"type":"boolean"}}`, "Array<boolean>"},
		{`{"enum":["a","b"]}`, `"a" | "b"`}, {`{"const":"x"}`, `"x"`}, {`{"oneOf":[{"$ref":"#/components/schemas/Money"},{"type":"null"}]}`, "Money | null"},
		{`{"type":"object","additionalProperties":{"type":"string"}}`, "Record<string, string>"}, {`{}`, "unknown"},
	}
	for c := 0; c < 300; c++ {
		n := 1 + r.IntN(8)
		props := map[string]string{}
		want := map[string]string{}
		var required []string
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("p%d_%d", i, r.IntN(100))
			if r.IntN(4) == 0 {
				name = fmt.Sprintf("x-%d", i) // not an identifier: quoted
			}
			k := kinds[r.IntN(len(kinds))]
			props[name] = k.schema
			opt := "?"
			if r.IntN(2) == 0 {
				required = append(required, name)
				opt = ""
			}
			key := name
			if strings.Contains(name, "-") {
				key = `"` + name + `"`
			}
			want[name] = "  " + key + opt + ": " + k.ts + ";\n"
		}
		var pb []string
		for name, s := range props {
			pb = append(pb, fmt.Sprintf("%q:%s", name, s))
		}
		req, _ := json.Marshal(required)
		doc := `{"paths":{},"components":{"schemas":{"Money":{"type":"object","properties":{"value":{"type":"string"}}},` +
			`"T":{"type":"object","required":` + string(req) + `,"properties":{` + strings.Join(pb, ",") + `}}}}}`
		got, err := Generate([]byte(doc))
		if err != nil {
			t.Fatalf("case %d: %v\n%s", c, err, doc)
		}
		again, _ := Generate([]byte(doc))
		if !bytes.Equal(got, again) {
			t.Fatalf("case %d: two runs differ", c)
		}
		body := string(got)[strings.Index(string(got), "export type T = "):]
		for name, line := range want {
			if strings.Count(body, line) != 1 {
				t.Fatalf("case %d: %s not declared as %q:\n%s", c, name, line, body)
			}
		}
	}
}

// TestRefusesWhatItCannotDeclare: a $ref to no schema, a name or operation
// id that is no identifier, an unknown type, are errors, not output.
func TestRefusesWhatItCannotDeclare(t *testing.T) {
	for _, doc := range []string{
		`{"components":{"schemas":{"A":{"$ref":"#/components/schemas/B"}}}}`,
		`{"components":{"schemas":{"A-b":{"type":"string"}}}}`,
		`{"components":{"schemas":{"A":{"type":"strnig"}}}}`,
		`{"paths":{"/x":{"get":{"operationId":"get x"}}}}`,
		`{"paths":{"/x":{"get":{"operationId":"a"}},"/y":{"get":{"operationId":"a"}}}}`,
		`not json`,
		// nested deeper than maxDepth
		`{"components":{"schemas":{"A":` + strings.Repeat(`{"oneOf":[`, maxDepth+2) + `{}` + strings.Repeat(`]}`, maxDepth+2) + `}}}`,
	} {
		if out, err := Generate([]byte(doc)); err == nil {
			t.Errorf("%s: no error:\n%s", doc, out)
		}
	}
}

// TestRepeatedTypesOnce: a type named again in a schema's list is made
// once (each repetition would double the work at every level below).
func TestRepeatedTypesOnce(t *testing.T) {
	x := `{"type":"string"}`
	for i := 0; i < 40; i++ {
		x = `{"type":["array","array","array"],"items":` + x + `}`
	}
	g := &gen{}
	var s schema
	if err := json.Unmarshal([]byte(x), &s); err != nil {
		t.Fatal(err)
	}
	got, err := g.ts(&s, "", 0)
	if err != nil || got != strings.Repeat("Array<", 40)+"string"+strings.Repeat(">", 40) || g.visits != 41 {
		t.Fatalf("%d visits, %v: %s", g.visits, err, got)
	}
}

var balanced = regexp.MustCompile(`[{}()<>]`)

// FuzzGenerate: any document generates or is refused, without a panic; what
// it generates is the same twice and its brackets outside comments and
// literals pair up.
func FuzzGenerate(f *testing.F) {
	f.Add([]byte(`{"components":{"schemas":{"A":{"type":"object","properties":{"b":{"type":["string","null"]}}}}}}`))
	f.Add([]byte(`{"paths":{"/x":{"post":{"operationId":"x","requestBody":{"content":{"application/json":{"schema":{"type":"array","items":{"allOf":[{},{"enum":[1,"a",null]}]}}}}},"responses":{"201":{"content":{"application/json":{"schema":{"const":true}}}}}}}}}`))
	if doc, err := os.ReadFile(docPath); err == nil {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := Generate(doc)
		if err != nil {
			return
		}
		again, _ := Generate(doc)
		if !bytes.Equal(out, again) {
			t.Fatal("two runs differ")
		}
		code := regexp.MustCompile(`(?m)^\s*/\*\*.*\*/$|"(?:\\.|[^"\\])*"|^//.*$`).ReplaceAllString(string(out), "")
		code = strings.ReplaceAll(code, "=>", "")
		depth := map[string]int{}
		for _, b := range balanced.FindAllString(code, -1) {
			switch b {
			case "{", "(", "<":
				depth[b]++
			case "}":
				depth["{"]--
			case ")":
				depth["("]--
			case ">":
				depth["<"]--
			}
		}
		for k, v := range depth {
			if v != 0 {
				t.Fatalf("%s unbalanced by %d:\n%s", k, v, out)
			}
		}
	})
}
