package ddbcount

import (
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/spec"
)

// heatTable is a table shaped like paylinks' (two GSIs, projection ALL: no
// side client, so no DescribeTable).
var heatTable = spec.TableDef{PK: "PK", SK: "SK", Indexes: []spec.Index{{Name: "GSI1", PK: "GSI1PK", SK: "GSI1SK"}, {Name: "GSI2", PK: "GSI2PK", SK: "GSI2SK"}}}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

type img = map[string]types.AttributeValue

func capOf(total float64, table float64, gsi map[string]float64) types.ConsumedCapacity {
	c := types.ConsumedCapacity{TableName: aws.String("t"), CapacityUnits: aws.Float64(total), Table: &types.Capacity{CapacityUnits: aws.Float64(table)}}
	if gsi != nil {
		c.GlobalSecondaryIndexes = map[string]types.Capacity{}
		for k, v := range gsi {
			c.GlobalSecondaryIndexes[k] = types.Capacity{CapacityUnits: aws.Float64(v)}
		}
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func keyUnits(p PhaseReport, where, pk string) (w, r float64, ok bool) {
	for _, k := range p.Keys {
		if k.Where == where && k.PK == pk {
			return k.WCU, k.RCU, true
		}
	}
	return 0, 0, false
}

// link is a link item of about 1.5 KB (2 units of table weight) in GSI1
// under g1 and GSI2 under g2 (empty: not in that index).
func link(g1, g2 string) img {
	it := img{"PK": s("M#m"), "SK": s("L#pl_1"), "GSI1SK": s("2026#pl_1"), "blob": s(strings.Repeat("x", 1500))}
	if g1 != "" {
		it["GSI1PK"] = s(g1)
	}
	if g2 != "" {
		it["GSI2PK"], it["GSI2SK"] = s(g2), s("2026#m#pl_1")
	}
	return it
}

// A fake call sequence: a transaction over three items on two partition
// keys, an update that moves the link's GSI1 key and drops its GSI2 entry,
// a Query on GSI1, a GetItem; each call's table and index units go to the
// keys section 4 of the design names, weighted and summing to what was
// reported.
func TestHeatAttribution(t *testing.T) {
	rep, err := heatSequence().Report()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Split != SplitReported || len(rep.Phases) != 3 {
		t.Fatalf("split %q, %d phases", rep.Split, len(rep.Phases))
	}
	checkHeatKeys(t, rep)
	checkHeatPhases(t, rep)
}

// heatSequence records the calls: a create, a payment, a listing.
func heatSequence() *Heat {
	h := NewHeat(nil, heatTable)
	h.Phase("create", 1)
	event := img{"PK": s("M#m"), "SK": s("E#pl_1#ev_1"), "type": s("created")}
	code := img{"PK": s("CODE#abc"), "SK": s("CODE")}
	twi := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t"), Item: link("M#m#S#created", "X#1#3")}},
		{Put: &types.Put{TableName: aws.String("t"), Item: event}},
		{Put: &types.Put{TableName: aws.String("t"), Item: code}},
	}}
	// Table 8 over weights link 2 + event 1 (M#m) and code 1: M#m 6, CODE#abc 2.
	out := &dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []types.ConsumedCapacity{capOf(12, 8, map[string]float64{"GSI1": 2, "GSI2": 2})}}
	after := images{}
	for _, it := range []img{link("M#m#S#created", "X#1#3"), event, code} {
		after.put("t", heatTable, it)
	}
	h.observe(twi, out, images{}, after)

	h.Phase("pay", 1)
	upd := &dynamodb.UpdateItemInput{TableName: aws.String("t"), Key: img{"PK": s("M#m"), "SK": s("L#pl_1")}}
	before, after2 := images{}, images{}
	before.put("t", heatTable, link("M#m#S#created", "X#1#3"))
	after2.put("t", heatTable, link("M#m#S#paid", ""))
	h.observe(upd, &dynamodb.UpdateItemOutput{ConsumedCapacity: ptr(capOf(8, 2, map[string]float64{"GSI1": 4, "GSI2": 2}))}, before, after2)
	// An update that changes nothing an index holds costs the table only.
	same := link("M#m#S#paid", "")
	h.observe(upd, &dynamodb.UpdateItemOutput{ConsumedCapacity: ptr(capOf(2, 2, nil))}, after2, func() images { i := images{}; i.put("t", heatTable, same); return i }())

	h.Phase("list", 2)
	q := &dynamodb.QueryInput{TableName: aws.String("t"), IndexName: aws.String("GSI1"), KeyConditionExpression: aws.String("#p = :p AND begins_with(#s, :s)"),
		ExpressionAttributeNames: map[string]string{"#p": "GSI1PK", "#s": "GSI1SK"}, ExpressionAttributeValues: img{":s": s("2026"), ":p": s("M#m#S#paid")}}
	qc := capOf(1.5, 0, map[string]float64{"GSI1": 1.5})
	h.observe(q, &dynamodb.QueryOutput{ConsumedCapacity: &qc}, nil, nil)
	g := &dynamodb.GetItemInput{TableName: aws.String("t"), Key: img{"PK": s("M#m"), "SK": s("L#pl_1")}}
	h.observe(g, &dynamodb.GetItemOutput{ConsumedCapacity: ptr(capOf(0.5, 0.5, nil))}, nil, nil)
	return h
}

func checkHeatKeys(t *testing.T, rep HeatReport) {
	t.Helper()
	want := []struct {
		phase     int
		where, pk string
		w, r      float64
	}{
		{0, "table", "M#m", 6, 0}, {0, "table", "CODE#abc", 2, 0}, {0, "GSI1", "M#m#S#created", 2, 0}, {0, "GSI2", "X#1#3", 2, 0},
		{1, "table", "M#m", 4, 0}, {1, "GSI1", "M#m#S#created", 2, 0}, {1, "GSI1", "M#m#S#paid", 2, 0}, {1, "GSI2", "X#1#3", 2, 0},
		{2, "GSI1", "M#m#S#paid", 0, 1.5}, {2, "table", "M#m", 0, 0.5},
	}
	for _, c := range want {
		w, r, ok := keyUnits(rep.Phases[c.phase], c.where, c.pk)
		if !ok || !near(w, c.w) || !near(r, c.r) {
			t.Errorf("phase %s %s %s: %v WCU %v RCU (found %v), want %v / %v", rep.Phases[c.phase].Name, c.where, c.pk, w, r, ok, c.w, c.r)
		}
	}
	for i, n := range []int{4, 4, 2} {
		if got := len(rep.Phases[i].Keys); got != n {
			t.Errorf("phase %s: %d keys %+v, want %d", rep.Phases[i].Name, got, rep.Phases[i].Keys, n)
		}
	}
}

func checkHeatPhases(t *testing.T, rep HeatReport) {
	t.Helper()
	c := rep.Phases[0]
	if !near(c.WCU, 12) || c.HotWrite.PK != "M#m" || !near(c.WriteShare, 0.5) || !near(c.Allowed, 1*1000/6.0) {
		t.Errorf("create: %+v", c)
	}
	p := rep.Phases[1]
	if !near(p.WCU, 10) || p.HotWrite.PK != "M#m" || !near(p.WriteShare, 0.4) || !near(p.Allowed, 1000/4.0) {
		t.Errorf("pay: %+v", p)
	}
	l := rep.Phases[2]
	if !near(l.RCU, 2) || l.HotRead.PK != "M#m#S#paid" || l.HotRead.Where != "GSI1" || !near(l.Allowed, 2*3000/1.5) {
		t.Errorf("list: %+v", l)
	}
	if !near(rep.Run.WCU, 22) || !near(rep.Run.RCU, 2) || rep.Run.HotWrite.PK != "M#m" || !near(rep.Run.WriteShare, 10/22.0) || !near(rep.Run.ReadShare, 0.75) {
		t.Errorf("run: %+v", rep.Run)
	}
}

func ptr[T any](v T) *T { return &v }

// Without per-index figures (CapacityUnits only), the same weights split
// the total over table and index keys, and the report says so.
func TestHeatModelSplit(t *testing.T) {
	h := NewHeat(nil, heatTable)
	h.Phase("create", 1)
	event := img{"PK": s("M#m"), "SK": s("E#1")}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t"), Item: link("M#m#S#created", "")}},
		{Put: &types.Put{TableName: aws.String("t"), Item: event}},
	}}
	after := images{}
	after.put("t", heatTable, link("M#m#S#created", ""))
	after.put("t", heatTable, event)
	// Weights: table M#m 2+1, GSI1 1: 8 units = 6 + 2.
	h.observe(in, &dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []types.ConsumedCapacity{{TableName: aws.String("t"), CapacityUnits: aws.Float64(8)}}}, images{}, after)
	rep, err := h.Report()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Split != SplitModel {
		t.Fatalf("split %q", rep.Split)
	}
	if w, _, _ := keyUnits(rep.Phases[0], "table", "M#m"); !near(w, 6) {
		t.Errorf("table M#m %v", w)
	}
	if w, _, _ := keyUnits(rep.Phases[0], "GSI1", "M#m#S#created"); !near(w, 2) {
		t.Errorf("GSI1 %v", w)
	}
}

func TestFamily(t *testing.T) {
	for in, want := range map[string]string{
		"M#perf":                                 "M#perf",
		"M#perf#L#pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA": "M#perf#L#pl_<id>",
		"X#2026112508#7":                         "X#<n>#<n>",
		"APIKEY#" + strings.Repeat("ab", 32):     "APIKEY#<hash>",
		"M#perf#S#clicked":                       "M#perf#S#clicked",
		"M#perf#IMPROW#im_01JD3Q4ZK1W8Y6N0M5C2B7V9XA#000017": "M#perf#IMPROW#im_<id>#<n>",
	} {
		if got := Family(in); got != want {
			t.Errorf("Family(%q) = %q, want %q", in, got, want)
		}
	}
}
