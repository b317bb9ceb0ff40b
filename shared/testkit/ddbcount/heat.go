package ddbcount

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithymw "github.com/aws/smithy-go/middleware"

	"github.com/paylinks/paylinks/shared/spec"
)

// Per partition key, DynamoDB serves at most this many write and read
// units per second (warm-throughput scenarios in the DynamoDB developer
// guide).
const (
	PartitionWCU = 1000
	PartitionRCU = 3000
)

// How a report's units were split over keys.
const (
	// SplitReported: DynamoDB reported the table's and each index's units
	// (ReturnConsumedCapacity INDEXES), the weights split each of them.
	SplitReported = "reported per index"
	// SplitModel: only a call's total was reported; the same weights split
	// it over table and index keys together.
	SplitModel = "model split"
)

// Heat attributes the capacity DynamoDB reports for each call to the
// partition keys the call touched, on the table and on each index, by
// phase: the key-heat stage of make bench. Calls outside a phase are not
// recorded. It reads the images of written items before and after each
// write with side, a client without this middleware; so the calls it
// watches must run one at a time.
type Heat struct {
	side *dynamodb.Client
	def  spec.TableDef

	mu     sync.Mutex
	cur    *phase
	phases []*phase
	proj   map[string]map[string]projection // table -> index -> projection
	model  bool
	err    error
}

type keyRef struct{ where, pk string }

type phase struct {
	name string
	ops  int
	keys map[keyRef]*[2]float64 // WCU, RCU
}

// projection is what an index holds of an item besides its keys.
type projection struct {
	all   bool
	attrs map[string]bool
}

// NewHeat returns a heat recorder for tables shaped as def.
func NewHeat(side *dynamodb.Client, def spec.TableDef) *Heat {
	return &Heat{side: side, def: def, proj: map[string]map[string]projection{}}
}

// Phase starts a phase of ops requests; calls are recorded under it until
// the next Phase or End.
func (h *Heat) Phase(name string, ops int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur = &phase{name: name, ops: ops, keys: map[keyRef]*[2]float64{}}
	h.phases = append(h.phases, h.cur)
}

// End stops recording (calls after it belong to no phase).
func (h *Heat) End() {
	h.mu.Lock()
	h.cur = nil
	h.mu.Unlock()
}

func (h *Heat) recording() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur != nil
}

func (h *Heat) fail(err error) {
	h.mu.Lock()
	if h.err == nil {
		h.err = err
	}
	h.mu.Unlock()
}

// Attach adds the middleware to a client's API options, before the
// counting middleware (it asks for INDEXES, which Counter leaves alone).
func (h *Heat) Attach(stack *smithymw.Stack) error {
	return stack.Initialize.Add(smithymw.InitializeMiddlewareFunc("paylinks.heat", func(ctx context.Context, in smithymw.InitializeInput, next smithymw.InitializeHandler) (smithymw.InitializeOutput, smithymw.Metadata, error) {
		if !h.recording() {
			return next.HandleInitialize(ctx, in)
		}
		askIndexes(in.Parameters)
		refs := writeRefs(h.def, in.Parameters)
		var before images
		if len(refs) > 0 {
			var err error
			if before, err = h.read(ctx, refs); err != nil {
				h.fail(fmt.Errorf("heat: images before %T: %w", in.Parameters, err))
			}
		}
		out, md, err := next.HandleInitialize(ctx, in)
		if err != nil {
			return out, md, err // no capacity comes back with an error
		}
		var after images
		if len(refs) > 0 {
			var rerr error
			if after, rerr = h.read(ctx, refs); rerr != nil {
				h.fail(fmt.Errorf("heat: images after %T: %w", in.Parameters, rerr))
			}
		}
		h.observe(in.Parameters, out.Result, before, after)
		return out, md, err
	}), smithymw.After)
}

// askIndexes sets ReturnConsumedCapacity INDEXES on every input that has
// the field (the totals still come back).
func askIndexes(in any) {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeOf(types.ReturnConsumedCapacityIndexes) {
		f.SetString(string(types.ReturnConsumedCapacityIndexes))
	}
}

// images are items by table and primary key.
type images map[string]map[string]types.AttributeValue

func itemID(table string, def spec.TableDef, key map[string]types.AttributeValue) string {
	return table + "\x00" + canon(key[def.PK]) + "\x00" + canon(key[def.SK])
}

func (im images) put(table string, def spec.TableDef, item map[string]types.AttributeValue) {
	im[itemID(table, def, item)] = item
}

// ref is one item a write touches.
type ref struct {
	table string
	key   map[string]types.AttributeValue
}

func keyOf(def spec.TableDef, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{def.PK: item[def.PK], def.SK: item[def.SK]}
}

// writeRefs lists the items a write call puts, updates, deletes or
// checks (a transaction's condition check is charged like a write).
func writeRefs(def spec.TableDef, in any) []ref {
	var out []ref
	switch x := in.(type) {
	case *dynamodb.PutItemInput:
		out = append(out, ref{aws.ToString(x.TableName), keyOf(def, x.Item)})
	case *dynamodb.UpdateItemInput:
		out = append(out, ref{aws.ToString(x.TableName), x.Key})
	case *dynamodb.DeleteItemInput:
		out = append(out, ref{aws.ToString(x.TableName), x.Key})
	case *dynamodb.BatchWriteItemInput:
		for t, reqs := range x.RequestItems {
			for _, r := range reqs {
				switch {
				case r.PutRequest != nil:
					out = append(out, ref{t, keyOf(def, r.PutRequest.Item)})
				case r.DeleteRequest != nil:
					out = append(out, ref{t, r.DeleteRequest.Key})
				}
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range x.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, ref{aws.ToString(it.Put.TableName), keyOf(def, it.Put.Item)})
			case it.Update != nil:
				out = append(out, ref{aws.ToString(it.Update.TableName), it.Update.Key})
			case it.Delete != nil:
				out = append(out, ref{aws.ToString(it.Delete.TableName), it.Delete.Key})
			case it.ConditionCheck != nil:
				out = append(out, ref{aws.ToString(it.ConditionCheck.TableName), it.ConditionCheck.Key})
			}
		}
	}
	return out
}

// read gets the current images of refs with the side client (consistent
// BatchGetItem, 100 keys a call, unprocessed keys retried).
func (h *Heat) read(ctx context.Context, refs []ref) (images, error) {
	out := images{}
	if h.side == nil {
		return out, nil
	}
	seen := map[string]bool{}
	pending := map[string][]map[string]types.AttributeValue{}
	n := 0
	flush := func() error {
		req := map[string]types.KeysAndAttributes{}
		for t, keys := range pending {
			req[t] = types.KeysAndAttributes{Keys: keys, ConsistentRead: aws.Bool(true)}
		}
		pending, n = map[string][]map[string]types.AttributeValue{}, 0
		for tries := 0; len(req) > 0; tries++ {
			if tries == 20 {
				return fmt.Errorf("batch get: keys still unprocessed after %d tries", tries)
			}
			res, err := h.side.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("batch get: %w", err)
			}
			for t, items := range res.Responses {
				for _, it := range items {
					out.put(t, h.def, it)
				}
			}
			req = res.UnprocessedKeys
		}
		return nil
	}
	for _, r := range refs {
		id := itemID(r.table, h.def, r.key)
		if seen[id] {
			continue
		}
		seen[id] = true
		pending[r.table] = append(pending[r.table], r.key)
		if n++; n == 100 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if n > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// projections are the table's indexes' projections, from DescribeTable
// (ALL for every index without a side client).
func (h *Heat) projections(table string) map[string]projection {
	h.mu.Lock()
	p, ok := h.proj[table]
	h.mu.Unlock()
	if ok {
		return p
	}
	p = map[string]projection{}
	for _, ix := range h.def.Indexes {
		p[ix.Name] = projection{all: true}
	}
	if h.side != nil {
		out, err := h.side.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			h.fail(fmt.Errorf("heat: describe %s: %w", table, err))
		} else {
			for _, g := range out.Table.GlobalSecondaryIndexes {
				pr := projection{attrs: map[string]bool{}}
				if g.Projection != nil {
					pr.all = g.Projection.ProjectionType == types.ProjectionTypeAll
					for _, a := range g.Projection.NonKeyAttributes {
						pr.attrs[a] = true
					}
				}
				p[aws.ToString(g.IndexName)] = pr
			}
		}
	}
	h.mu.Lock()
	h.proj[table] = p
	h.mu.Unlock()
	return p
}

// written is one item of a write: its images before and after.
type written struct {
	table         string
	pk            string
	before, after map[string]types.AttributeValue
}

// readRef is one key a read touches: where is "table" or an index name.
type readRef struct {
	table, where, pk string
	weight           float64
}

// observe attributes one call's reported capacity.
func (h *Heat) observe(in, out any, before, after images) {
	caps := capacities(out)
	if len(caps) == 0 {
		return
	}
	if refs := writeRefs(h.def, in); len(refs) > 0 {
		items := make([]written, 0, len(refs))
		seen := map[string]bool{}
		for _, r := range refs {
			id := itemID(r.table, h.def, r.key)
			if seen[id] {
				continue
			}
			seen[id] = true
			items = append(items, written{table: r.table, pk: str(r.key[h.def.PK]), before: before[id], after: after[id]})
		}
		h.attributeWrites(items, caps)
		return
	}
	h.attributeReads(readRefs(h.def, in, out), caps)
}

// capacities reads the ConsumedCapacity of an output (one or a list).
func capacities(out any) []types.ConsumedCapacity {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	switch c := v.Elem().FieldByName("ConsumedCapacity"); {
	case !c.IsValid():
	case c.Type() == reflect.TypeOf(&types.ConsumedCapacity{}):
		if !c.IsNil() {
			return []types.ConsumedCapacity{*c.Interface().(*types.ConsumedCapacity)}
		}
	case c.Type() == reflect.TypeOf([]types.ConsumedCapacity{}):
		return c.Interface().([]types.ConsumedCapacity)
	}
	return nil
}

const tableWhere = "table"

// weights are a call's shares by key, for one place (table or index).
type weights map[keyRef]float64

func (w weights) sum() float64 {
	t := 0.0
	for _, v := range w {
		t += v
	}
	return t
}

// attributeWrites: table units to the items' partition keys weighted by
// ceil(max(size before, size after) / 1 KB); each index's units to the
// index keys whose entry changed (an old and a new key weight 1 each when
// it moved).
func (h *Heat) attributeWrites(items []written, caps []types.ConsumedCapacity) {
	for _, c := range caps {
		t := aws.ToString(c.TableName)
		proj := h.projections(t)
		places := map[string]weights{tableWhere: {}}
		for _, it := range items {
			if it.table != t {
				continue
			}
			size := max(itemSize(it.before), itemSize(it.after))
			places[tableWhere][keyRef{tableWhere, it.pk}] += math.Max(1, math.Ceil(float64(size)/1024))
			for _, ix := range h.def.Indexes {
				if places[ix.Name] == nil {
					places[ix.Name] = weights{}
				}
				for k, w := range entryChange(h.def, ix, proj[ix.Name], it.before, it.after) {
					places[ix.Name][keyRef{ix.Name, k}] += w
				}
			}
		}
		h.split(c, places, true)
	}
}

// entry is an item's entry in an index: its key and what it holds.
func entry(def spec.TableDef, ix spec.Index, p projection, item map[string]types.AttributeValue) (pk, content string, ok bool) {
	if item == nil || item[ix.PK] == nil || (ix.SK != "" && item[ix.SK] == nil) {
		return "", "", false
	}
	keep := map[string]types.AttributeValue{}
	for k, v := range item {
		if p.all || p.attrs[k] || k == def.PK || k == def.SK || k == ix.PK || k == ix.SK {
			keep[k] = v
		}
	}
	return str(item[ix.PK]), canon(&types.AttributeValueMemberM{Value: keep}), true
}

// entryChange is the weight per index key of an item's change in ix.
func entryChange(def spec.TableDef, ix spec.Index, p projection, before, after map[string]types.AttributeValue) map[string]float64 {
	oldPK, oldC, had := entry(def, ix, p, before)
	newPK, newC, has := entry(def, ix, p, after)
	out := map[string]float64{}
	switch {
	case had && has && oldPK == newPK:
		if oldC != newC {
			out[newPK] = 1
		}
	default:
		if had {
			out[oldPK]++
		}
		if has {
			out[newPK]++
		}
	}
	return out
}

// split hands each reported figure to its place's weights; without
// per-place figures, the total goes over all places' weights together.
func (h *Heat) split(c types.ConsumedCapacity, places map[string]weights, write bool) {
	if c.Table == nil && len(c.GlobalSecondaryIndexes) == 0 {
		all := weights{}
		for _, w := range places {
			for k, v := range w {
				all[k] += v
			}
		}
		h.mu.Lock()
		h.model = true
		h.mu.Unlock()
		h.add(tableWhere, all, aws.ToFloat64(c.CapacityUnits), write)
		return
	}
	if c.Table != nil {
		h.add(tableWhere, places[tableWhere], aws.ToFloat64(c.Table.CapacityUnits), write)
	}
	for name, ix := range c.GlobalSecondaryIndexes {
		h.add(name, places[name], aws.ToFloat64(ix.CapacityUnits), write)
	}
}

// unattributed collects units reported for a place where no key of the
// call changed (so a phase's sum always equals what DynamoDB reported).
const unattributed = "(unattributed)"

// add records units over w, scaled to sum to units (to where's
// unattributed key when w is empty).
func (h *Heat) add(where string, w weights, units float64, write bool) {
	if units == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil {
		return
	}
	total := w.sum()
	if total == 0 {
		w = weights{{where, unattributed}: 1}
		total = 1
	}
	i := 1
	if write {
		i = 0
	}
	for k, v := range w {
		u := h.cur.keys[k]
		if u == nil {
			u = &[2]float64{}
			h.cur.keys[k] = u
		}
		u[i] += units * v / total
	}
}

// readRefs lists the keys a read touches: GetItem's key, a Query's hash key
// (from the key condition), a Scan as a whole, BatchGetItem's and
// TransactGetItems' keys weighted by the 4 KB units of what came back.
func readRefs(def spec.TableDef, in, out any) []readRef {
	var refs []readRef
	switch x := in.(type) {
	case *dynamodb.GetItemInput:
		refs = append(refs, readRef{aws.ToString(x.TableName), tableWhere, str(x.Key[def.PK]), 1})
	case *dynamodb.QueryInput:
		where, hash := tableWhere, def.PK
		if x.IndexName != nil {
			where = *x.IndexName
			for _, ix := range def.Indexes {
				if ix.Name == where {
					hash = ix.PK
				}
			}
		}
		refs = append(refs, readRef{aws.ToString(x.TableName), where, hashValue(x, hash), 1})
	case *dynamodb.ScanInput:
		where := tableWhere
		if x.IndexName != nil {
			where = *x.IndexName
		}
		refs = append(refs, readRef{aws.ToString(x.TableName), where, "(scan)", 1})
	case *dynamodb.BatchGetItemInput:
		out, _ := out.(*dynamodb.BatchGetItemOutput)
		refs = batchGetRefs(def, x, out)
	case *dynamodb.TransactGetItemsInput:
		out, _ := out.(*dynamodb.TransactGetItemsOutput)
		refs = transactGetRefs(def, x, out)
	}
	return refs
}

// batchGetRefs are a BatchGetItem's keys, weighted by the 4 KB units of
// what came back.
func batchGetRefs(def spec.TableDef, in *dynamodb.BatchGetItemInput, out *dynamodb.BatchGetItemOutput) []readRef {
	got := images{}
	if out != nil {
		for t, items := range out.Responses {
			for _, it := range items {
				got.put(t, def, it)
			}
		}
	}
	var refs []readRef
	for t, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			refs = append(refs, readRef{t, tableWhere, str(k[def.PK]), readWeight(got[itemID(t, def, k)])})
		}
	}
	return refs
}

// transactGetRefs are a TransactGetItems' keys, weighted likewise.
func transactGetRefs(def spec.TableDef, in *dynamodb.TransactGetItemsInput, out *dynamodb.TransactGetItemsOutput) []readRef {
	var resp []types.ItemResponse
	if out != nil {
		resp = out.Responses
	}
	var refs []readRef
	for i, it := range in.TransactItems {
		if it.Get == nil {
			continue
		}
		var item map[string]types.AttributeValue
		if i < len(resp) {
			item = resp[i].Item
		}
		refs = append(refs, readRef{aws.ToString(it.Get.TableName), tableWhere, str(it.Get.Key[def.PK]), readWeight(item)})
	}
	return refs
}

func readWeight(item map[string]types.AttributeValue) float64 {
	return math.Max(1, math.Ceil(float64(itemSize(item))/4096))
}

var keyCond = regexp.MustCompile(`(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)

// hashValue is the value a Query's key condition gives the hash attribute.
func hashValue(q *dynamodb.QueryInput, hash string) string {
	for _, m := range keyCond.FindAllStringSubmatch(aws.ToString(q.KeyConditionExpression), -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = q.ExpressionAttributeNames[name]
		}
		if name == hash {
			return str(q.ExpressionAttributeValues[m[2]])
		}
	}
	return "(unknown)"
}

func (h *Heat) attributeReads(refs []readRef, caps []types.ConsumedCapacity) {
	for _, c := range caps {
		t := aws.ToString(c.TableName)
		places := map[string]weights{}
		for _, r := range refs {
			if r.table != t {
				continue
			}
			if places[r.where] == nil {
				places[r.where] = weights{}
			}
			places[r.where][keyRef{r.where, r.pk}] += r.weight
		}
		h.split(c, places, false)
	}
}

// str is a key attribute's value as text.
func str(v types.AttributeValue) string {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return x.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("%x", x.Value)
	case nil:
		return ""
	}
	return canon(v)
}

// canon is a deterministic rendering of a value (maps by sorted key).
func canon(v types.AttributeValue) string {
	var b strings.Builder
	var walk func(types.AttributeValue)
	walk = func(v types.AttributeValue) {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			b.WriteString("S" + strconv.Quote(x.Value))
		case *types.AttributeValueMemberN:
			b.WriteString("N" + x.Value)
		case *types.AttributeValueMemberB:
			fmt.Fprintf(&b, "B%x", x.Value)
		case *types.AttributeValueMemberBOOL:
			fmt.Fprintf(&b, "BOOL%t", x.Value)
		case *types.AttributeValueMemberNULL:
			b.WriteString("NULL")
		case *types.AttributeValueMemberSS:
			s := append([]string(nil), x.Value...)
			sort.Strings(s)
			fmt.Fprintf(&b, "SS%q", s)
		case *types.AttributeValueMemberNS:
			s := append([]string(nil), x.Value...)
			sort.Strings(s)
			fmt.Fprintf(&b, "NS%q", s)
		case *types.AttributeValueMemberBS:
			fmt.Fprintf(&b, "BS%x", x.Value)
		case *types.AttributeValueMemberL:
			b.WriteString("L[")
			for _, e := range x.Value {
				walk(e)
				b.WriteByte(',')
			}
			b.WriteByte(']')
		case *types.AttributeValueMemberM:
			keys := make([]string, 0, len(x.Value))
			for k := range x.Value {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteString("M{")
			for _, k := range keys {
				b.WriteString(strconv.Quote(k) + ":")
				walk(x.Value[k])
				b.WriteByte(',')
			}
			b.WriteByte('}')
		case nil:
			b.WriteString("-")
		}
	}
	walk(v)
	return b.String()
}

// itemSize is an item's size as DynamoDB counts it, closely enough for a
// weight: attribute names plus values (numbers about half their digits).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(x.Value, "-0.")) + 1) / 2
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range x.Value {
			n += (len(s) + 1) / 2
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

var (
	ulidRun  = regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{26}`)
	hexRun   = regexp.MustCompile(`[0-9a-f]{32,}`)
	hourRun  = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}`)
	digitRun = regexp.MustCompile(`[0-9]+`)
)

// Family is a key with its variable parts replaced, the kind of key for
// grouping: ULIDs <id>, hex hashes <hash>, hour buckets <hour>, other
// segments of 16 characters or more (link codes, client keys) <token>,
// numbers <n>.
func Family(pk string) string {
	pk = ulidRun.ReplaceAllString(pk, "<id>")
	pk = hexRun.ReplaceAllString(pk, "<hash>")
	pk = hourRun.ReplaceAllString(pk, "<hour>")
	seg := strings.Split(pk, "#")
	for i, x := range seg {
		if len(x) >= 16 && !strings.Contains(x, "<") {
			seg[i] = "<token>"
		}
	}
	return digitRun.ReplaceAllString(strings.Join(seg, "#"), "<n>")
}

// KeyUnits are the units one partition key took.
type KeyUnits struct {
	Where  string  `json:"where"` // "table" or the index name
	PK     string  `json:"pk"`
	Family string  `json:"family"`
	WCU    float64 `json:"wcu"`
	RCU    float64 `json:"rcu"`
}

// FamilyUnits sum the keys of one family.
type FamilyUnits struct {
	Where  string  `json:"where"`
	Family string  `json:"family"`
	Keys   int     `json:"keys"`
	WCU    float64 `json:"wcu"`
	RCU    float64 `json:"rcu"`
	MaxWCU float64 `json:"max_key_wcu"`
	MaxRCU float64 `json:"max_key_rcu"`
}

// PhaseReport is one phase: its units, its hottest write and read keys
// and their shares, and the rate (requests/s) the per-partition limits
// allow for this phase's mix: min(ops x 1000 / hottest key's WCU, ops x
// 3000 / hottest key's RCU).
type PhaseReport struct {
	Name       string        `json:"name"`
	Ops        int           `json:"ops"`
	WCU        float64       `json:"wcu"`
	RCU        float64       `json:"rcu"`
	HotWrite   KeyUnits      `json:"hot_write"`
	HotRead    KeyUnits      `json:"hot_read"`
	WriteShare float64       `json:"write_share"`
	ReadShare  float64       `json:"read_share"`
	Allowed    float64       `json:"allowed_per_s"`
	Keys       []KeyUnits    `json:"-"`
	Families   []FamilyUnits `json:"families"`
}

// RunReport is the whole run: totals and the hottest keys' shares.
type RunReport struct {
	WCU        float64  `json:"wcu"`
	RCU        float64  `json:"rcu"`
	HotWrite   KeyUnits `json:"hot_write"`
	HotRead    KeyUnits `json:"hot_read"`
	WriteShare float64  `json:"write_share"`
	ReadShare  float64  `json:"read_share"`
}

// HeatReport is what Report returns (build/heat.json).
type HeatReport struct {
	Split  string        `json:"split"`
	Limits [2]int        `json:"partition_limits_wcu_rcu"`
	Phases []PhaseReport `json:"phases"`
	Run    RunReport     `json:"run"`
}

func hottest(keys []KeyUnits, read bool) KeyUnits {
	var best KeyUnits
	for _, k := range keys {
		if (read && k.RCU > best.RCU) || (!read && k.WCU > best.WCU) {
			best = k
		}
	}
	return best
}

func share(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return part / whole
}

func sortedKeys(m map[keyRef]*[2]float64) []KeyUnits {
	out := make([]KeyUnits, 0, len(m))
	for k, u := range m {
		out = append(out, KeyUnits{Where: k.where, PK: k.pk, Family: Family(k.pk), WCU: u[0], RCU: u[1]})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.WCU+a.RCU != b.WCU+b.RCU {
			return a.WCU+a.RCU > b.WCU+b.RCU
		}
		return a.Where+a.PK < b.Where+b.PK
	})
	return out
}

func families(keys []KeyUnits) []FamilyUnits {
	by := map[[2]string]*FamilyUnits{}
	var order []*FamilyUnits
	for _, k := range keys {
		f := by[[2]string{k.Where, k.Family}]
		if f == nil {
			f = &FamilyUnits{Where: k.Where, Family: k.Family}
			by[[2]string{k.Where, k.Family}] = f
			order = append(order, f)
		}
		f.Keys++
		f.WCU += k.WCU
		f.RCU += k.RCU
		f.MaxWCU = max(f.MaxWCU, k.WCU)
		f.MaxRCU = max(f.MaxRCU, k.RCU)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].WCU+order[i].RCU > order[j].WCU+order[j].RCU })
	out := make([]FamilyUnits, len(order))
	for i, f := range order {
		out[i] = *f
	}
	return out
}

// Report sums the phases; err is the first failure to read images or the
// table's description (the figures are then incomplete).
func (h *Heat) Report() (HeatReport, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rep := HeatReport{Split: SplitReported, Limits: [2]int{PartitionWCU, PartitionRCU}}
	if h.model {
		rep.Split = SplitModel
	}
	run := map[keyRef]*[2]float64{}
	for _, p := range h.phases {
		keys := sortedKeys(p.keys)
		pr := PhaseReport{Name: p.name, Ops: p.ops, Keys: keys, Families: families(keys)}
		for k, u := range p.keys {
			pr.WCU += u[0]
			pr.RCU += u[1]
			r := run[k]
			if r == nil {
				r = &[2]float64{}
				run[k] = r
			}
			r[0] += u[0]
			r[1] += u[1]
		}
		pr.HotWrite, pr.HotRead = hottest(keys, false), hottest(keys, true)
		pr.WriteShare, pr.ReadShare = share(pr.HotWrite.WCU, pr.WCU), share(pr.HotRead.RCU, pr.RCU)
		pr.Allowed = allowed(p.ops, pr.HotWrite.WCU, pr.HotRead.RCU)
		rep.Phases = append(rep.Phases, pr)
	}
	keys := sortedKeys(run)
	for _, k := range keys {
		rep.Run.WCU += k.WCU
		rep.Run.RCU += k.RCU
	}
	rep.Run.HotWrite, rep.Run.HotRead = hottest(keys, false), hottest(keys, true)
	rep.Run.WriteShare, rep.Run.ReadShare = share(rep.Run.HotWrite.WCU, rep.Run.WCU), share(rep.Run.HotRead.RCU, rep.Run.RCU)
	return rep, h.err
}

// allowed is the request rate at which a phase's hottest keys reach the
// per-partition limits (0 when the phase consumed nothing).
func allowed(ops int, hotW, hotR float64) float64 {
	rate := math.Inf(1)
	if hotW > 0 {
		rate = float64(ops) * PartitionWCU / hotW
	}
	if hotR > 0 {
		rate = math.Min(rate, float64(ops)*PartitionRCU/hotR)
	}
	if math.IsInf(rate, 1) {
		return 0
	}
	return rate
}
