// Package jsonstrict checks a JSON body before encoding/json decodes it,
// closing the gaps encoding/json leaves open: it matches member names
// case-insensitively (with Unicode folding: "ſend" is "send"), keeps the
// last of duplicate names, turns invalid UTF-8 and lone UTF-16 surrogate
// escapes into U+FFFD, and names only the first unknown member.
//
// Check reads the body token by token against the type it is meant for
// (json tags of structs, through pointers, slices, arrays and maps) and
// refuses invalid UTF-8, lone surrogate escapes, duplicate names in any
// object at any depth, nesting deeper than MaxDepth and data after the
// value; it returns every member name the type does not have, with its
// path. Names are compared exactly (case-sensitive, no folding). A body that
// passes with no unknown names decodes with encoding/json to the same value
// a case-sensitive decoder would produce.
package jsonstrict

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays accepted (the same
// limit encoding/json applies when decoding).
const MaxDepth = 10000

// MaxUnknown is how many unknown member names Check reports at most.
const MaxUnknown = 1000

// Shaper is implemented by types that keep a member's raw JSON to decode it
// later (such as an amount): JSONShape returns a value whose type describes
// the members accepted in it.
type Shaper interface {
	JSONShape() any
}

// Error is a body refused before decoding: malformed, invalid UTF-8,
// duplicate names or too deep. Path names the member when there is one.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

var (
	shaperType      = reflect.TypeFor[Shaper]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawType         = reflect.TypeFor[json.RawMessage]()
)

// Check validates body as one JSON value meant to decode into a value of
// type t (nil: any shape). It returns an *Error when the body is refused,
// else the paths of the member names t does not have, in body order (the
// first MaxUnknown).
func Check(body []byte, t reflect.Type) ([]string, error) {
	if !utf8.Valid(body) {
		return nil, &Error{Msg: "the body is not valid UTF-8"}
	}
	if err := checkEscapes(body); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &Error{Msg: "malformed JSON: the body is empty"}
	}
	c := &checker{dec: json.NewDecoder(bytes.NewReader(body))}
	c.dec.UseNumber()
	if err := c.next(t, 1); err != nil {
		return nil, err
	}
	if _, err := c.dec.Token(); err != io.EOF {
		return nil, &Error{Msg: "malformed JSON: data after the value"}
	}
	return c.unknown, nil
}

// Valid reports a body Check accepts for any shape.
func Valid(body []byte) bool {
	_, err := Check(body, nil)
	return err == nil
}

type checker struct {
	dec     *json.Decoder
	unknown []string
	// path holds the segments of the member being read ("customer",
	// ".email", "[2]"); joined only when a path is reported.
	path []string
}

func (c *checker) at() string { return strings.Join(c.path, "") }

func malformed(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Msg: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return &Error{Msg: "malformed JSON: unexpected end of the body"}
	}
	return &Error{Msg: "malformed JSON: " + err.Error()}
}

// shape resolves t to the type whose members are checked: through pointers
// and Shapers; nil for anything that decodes itself (free shape).
func shape(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Kind() == reflect.Interface {
			return nil
		}
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			continue
		}
		if t.Implements(shaperType) {
			t = reflect.TypeOf(reflect.Zero(t).Interface().(Shaper).JSONShape())
			continue
		}
		if reflect.PointerTo(t).Implements(shaperType) {
			t = reflect.TypeOf(reflect.New(t).Interface().(Shaper).JSONShape())
			continue
		}
		if t == rawType || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
			t.Implements(textType) || reflect.PointerTo(t).Implements(textType) {
			return nil
		}
		return t
	}
	return nil
}

// next reads the value at the decoder's position, meant for type t. A value
// whose shape has no member names to check below it (free shapes, scalars,
// maps and slices of them) is read whole (encoding/json validates its syntax
// fast) and scanned for duplicate names and depth in one pass; the others
// are walked token by token.
func (c *checker) next(t reflect.Type, depth int) error {
	t = shape(t)
	if leaf(t, 0) {
		var raw json.RawMessage
		if err := c.dec.Decode(&raw); err != nil {
			return malformed(err)
		}
		return c.scanRaw(raw, depth)
	}
	tok, err := c.dec.Token()
	if err != nil {
		return malformed(err)
	}
	return c.value(tok, t, depth)
}

func (c *checker) scanRaw(raw []byte, depth int) error {
	rel, dup, deep := scan(raw, MaxDepth-depth+1)
	if deep {
		return &Error{Msg: fmt.Sprintf("malformed JSON: nested deeper than %d levels", MaxDepth)}
	}
	if !dup {
		return nil
	}
	p := c.at()
	switch {
	case p == "":
		p = rel
	case strings.HasPrefix(rel, "["):
		p += rel
	default:
		p += "." + rel
	}
	return &Error{Path: p, Msg: "appears more than once in its object"}
}

// leaf reports a shape with no member names to check: free, a scalar, or a
// map, slice or array of leaves.
func leaf(t reflect.Type, level int) bool {
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		return false
	case reflect.Map, reflect.Slice, reflect.Array:
		return level < 16 && leaf(shape(t.Elem()), level+1)
	}
	return true
}

// scan reads valid JSON for a name twice in one object (returning its path
// within raw) and for nesting deeper than max.
func scan(raw []byte, max int) (path string, dup, deep bool) {
	type frame struct {
		obj  bool
		seen map[string]struct{}
		key  string
		idx  int
	}
	var st []frame
	expectKey := false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{':
			st = append(st, frame{obj: true})
			expectKey = true
		case '[':
			st = append(st, frame{})
			expectKey = false
		case '}', ']':
			st = st[:len(st)-1]
			expectKey = false
		case ',':
			if top := &st[len(st)-1]; top.obj {
				expectKey = true
			} else {
				top.idx++
			}
		case '"':
			j, esc := i+1, false
			for raw[j] != '"' {
				if raw[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			if expectKey {
				name := string(raw[i+1 : j])
				if esc {
					_ = json.Unmarshal(raw[i:j+1], &name)
				}
				top := &st[len(st)-1]
				_, dup := top.seen[name]
				top.key = name
				if dup {
					var b strings.Builder
					for k, f := range st {
						switch {
						case !f.obj:
							b.WriteString("[" + strconv.Itoa(f.idx) + "]")
						case k == 0:
							b.WriteString(f.key)
						default:
							b.WriteString("." + f.key)
						}
					}
					return b.String(), true, false
				}
				if top.seen == nil {
					top.seen = map[string]struct{}{}
				}
				top.seen[name] = struct{}{}
				expectKey = false
			}
			i = j
		}
		if len(st) > max {
			return "", false, true
		}
	}
	return "", false, false
}

func (c *checker) value(tok json.Token, t reflect.Type, depth int) error {
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar: its type is the decoder's business
	}
	if depth > MaxDepth {
		return &Error{Msg: fmt.Sprintf("malformed JSON: nested deeper than %d levels", MaxDepth)}
	}
	t = shape(t)
	switch d {
	case '{':
		return c.object(t, depth)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; c.dec.More(); i++ {
			c.path = append(c.path, "["+strconv.Itoa(i)+"]")
			err := c.next(elem, depth+1)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return err
			}
		}
		if _, err := c.dec.Token(); err != nil {
			return malformed(err)
		}
		return nil
	}
	return malformed(fmt.Errorf("unexpected %v", d))
}

func (c *checker) object(t reflect.Type, depth int) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	free := true
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields, free = members(t), false
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]bool{}
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return malformed(err)
		}
		if tok == json.Delim('}') {
			return nil
		}
		name, ok := tok.(string)
		if !ok {
			return malformed(fmt.Errorf("expected a member name"))
		}
		seg := name
		if len(c.path) > 0 {
			seg = "." + name
		}
		c.path = append(c.path, seg)
		if seen[name] {
			return &Error{Path: c.at(), Msg: "appears more than once in its object"}
		}
		seen[name] = true
		ft := elem
		if !free {
			var known bool
			ft, known = fields[name]
			if !known && len(c.unknown) < MaxUnknown {
				c.unknown = append(c.unknown, c.at())
			}
		}
		err = c.next(ft, depth+1)
		c.path = c.path[:len(c.path)-1]
		if err != nil {
			return err
		}
	}
}

// members are the JSON names of a struct's fields (embedded structs'
// promoted) and their types.
func members(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	addMembers(t, out, 0)
	return out
}

func addMembers(t reflect.Type, out map[string]reflect.Type, level int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && level < 8 {
				addMembers(ft, out, level+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup || level == 0 {
			out[name] = f.Type
		}
	}
}

// checkEscapes refuses \u escapes of lone UTF-16 surrogates inside
// strings, which encoding/json would turn into U+FFFD.
func checkEscapes(b []byte) error {
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			in = !in
		case c == '\\' && in && i+1 < len(b):
			i++
			if b[i] != 'u' {
				continue
			}
			r, ok := hex4(b, i+1)
			if !ok {
				continue // the decoder reports the malformed escape
			}
			i += 4
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return &Error{Msg: "the body is not valid UTF-8: a lone low surrogate escape"}
			case r >= 0xD800 && r <= 0xDBFF:
				if i+2 >= len(b) || b[i+1] != '\\' || b[i+2] != 'u' {
					return &Error{Msg: "the body is not valid UTF-8: a lone high surrogate escape"}
				}
				lo, ok := hex4(b, i+3)
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return &Error{Msg: "the body is not valid UTF-8: a lone high surrogate escape"}
				}
				i += 6
			}
		}
	}
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// Canonical re-encodes a body Check accepts as one JSON value with object
// members sorted by name and no insignificant whitespace; numbers keep their
// text. Two bodies with the same JSON value have the same canonical form.
func Canonical(body []byte) ([]byte, error) {
	if !Valid(body) {
		return nil, &Error{Msg: "not a strict JSON value"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return out, nil
}
