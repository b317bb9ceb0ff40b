package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	queue "github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/testkit"
)

type resource struct {
	Type                string         `json:"Type"`
	Properties          map[string]any `json:"Properties"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
	DependsOn           []string       `json:"DependsOn"`
}

type stackDoc struct {
	Resources map[string]resource       `json:"Resources"`
	Outputs   map[string]map[string]any `json:"Outputs"`
}

// contextProps reads the repository's cdk.json context, as the CDK CLI hands
// it to the app, with the stage and any overrides set on top.
func contextProps(t *testing.T, stage string, overrides map[string]any) *Props {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	cfg.Context["stage"] = stage
	for k, v := range overrides {
		cfg.Context[k] = v
	}
	p, err := FromContext(func(k string) any { return cfg.Context[k] })
	if err != nil {
		t.Fatalf("context: %v", err)
	}
	return p
}

// build synthesizes p with placeholder function zips, e-mail and SMS on.
func build(t *testing.T, p *Props) (awscdk.Stack, error) {
	t.Helper()
	testkit.Needs(t, "Node.js (the CDK synthesizes the stack through jsii)")
	dir := t.TempDir()
	for _, f := range Functions {
		if err := os.WriteFile(filepath.Join(dir, f.Name+".zip"), []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.AssetDir, p.EmailFrom, p.SMS = dir, "Demo <pay@shop.example>", true
	p.StackProps = awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	return New(app, "paylinks-"+p.Stage, p)
}

func synthProps(t *testing.T, p *Props) (assertions.Template, stackDoc) {
	t.Helper()
	st, err := build(t, p)
	if err != nil {
		t.Fatal(err)
	}
	tpl := assertions.Template_FromStack(st, nil)
	raw, _ := json.Marshal(tpl.ToJSON())
	var doc stackDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return tpl, doc
}

func synth(t *testing.T, stage string) (assertions.Template, map[string]resource) {
	t.Helper()
	tpl, doc := synthProps(t, contextProps(t, stage, nil))
	return tpl, doc.Resources
}

func of(res map[string]resource, typ string) []resource {
	var out []resource
	for _, r := range res {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func TestStack(t *testing.T) {
	tpl, res := synth(t, "dev")
	t.Run("table", func(t *testing.T) { checkTable(t, tpl, res) })
	t.Run("queues", func(t *testing.T) { checkQueues(t, tpl, res) })
	t.Run("functions", func(t *testing.T) { checkFunctions(t, res) })
	t.Run("event sources", func(t *testing.T) { checkEventSources(t, tpl, res) })
	t.Run("routes and schedule", func(t *testing.T) { checkRoutesAndSchedule(t, tpl, res) })
	t.Run("least privilege", func(t *testing.T) { checkNoWildcards(t, res) })
	t.Run("alarms", func(t *testing.T) { checkAlarms(t, tpl, res) })
}

// checkTable: the table, from the shared definition.
func checkTable(t *testing.T, tpl assertions.Template, res map[string]resource) {
	tpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
	tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
		"BillingMode":                      "PAY_PER_REQUEST",
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"TimeToLiveSpecification":          map[string]any{"AttributeName": queue.Table.TTLAttr, "Enabled": true},
		"StreamSpecification":              map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
		"DeletionProtectionEnabled":        false,
	})
	var table resource
	for id, r := range res {
		if r.Type == "AWS::DynamoDB::Table" {
			table = r
			// The construct carries the key layout: a new layout is a new table.
			if !strings.HasPrefix(id, fmt.Sprintf("TableV%d", queue.Table.Layout)) {
				t.Errorf("table construct %s, want TableV%d...", id, queue.Table.Layout)
			}
		}
	}
	if tags := jsonOf(table.Properties["Tags"]); !strings.Contains(tags, fmt.Sprintf(`{"Key":"paylinks:layout","Value":"%d"}`, queue.Table.Layout)) {
		t.Errorf("table tags %s", tags)
	}
	gsis := table.Properties["GlobalSecondaryIndexes"].([]any)
	if len(gsis) != len(queue.Table.Indexes) {
		t.Fatalf("%d GSIs", len(gsis))
	}
	// Each index projects what spec says (INCLUDE): a click, which changes
	// none of these attributes, rewrites no index entry.
	for _, ix := range queue.Table.Indexes {
		found := false
		for _, g := range gsis {
			g := g.(map[string]any)
			if g["IndexName"] != ix.Name {
				continue
			}
			found = true
			want := map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": ix.Include}
			if jsonOf(g["Projection"]) != jsonOf(want) {
				t.Errorf("%s projection %s, want %s", ix.Name, jsonOf(g["Projection"]), jsonOf(want))
			}
		}
		if !found {
			t.Errorf("no index %s", ix.Name)
		}
	}
}

// checkQueues: each work queue with a DLQ, redrive >= 5, visibility >= 6x
// the timeout of the function that consumes it.
func checkQueues(t *testing.T, tpl assertions.Template, res map[string]resource) {
	tpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(float64(2*len(queue.Queues)+1))) // + the stream's failure queue
	work := 0
	for id, q := range res {
		if q.Type != "AWS::SQS::Queue" {
			continue
		}
		rp, ok := q.Properties["RedrivePolicy"].(map[string]any)
		if !ok {
			continue // a DLQ
		}
		work++
		if rp["maxReceiveCount"].(float64) < 5 {
			t.Errorf("queue %s maxReceiveCount %v", id, rp["maxReceiveCount"])
		}
		v := q.Properties["VisibilityTimeout"].(float64)
		if v < 6*30 {
			t.Errorf("queue %s visibility %v below 6x the consumer timeout", id, v)
		}
		if c := consumerTimeout(t, res, id); v < 6*c {
			t.Errorf("queue %s visibility %v below 6x its consumer's timeout %v", id, v, c)
		}
	}
	if work != len(queue.Queues) {
		t.Fatalf("%d work queues", work)
	}
}

// consumerTimeout is the Timeout of the function whose event source
// mapping reads queue id.
func consumerTimeout(t *testing.T, res map[string]resource, id string) float64 {
	t.Helper()
	for _, m := range of(res, "AWS::Lambda::EventSourceMapping") {
		if jsonOf(m.Properties["EventSourceArn"]) != arnOf(id) {
			continue
		}
		fn, _ := m.Properties["FunctionName"].(map[string]any)
		name, _ := fn["Ref"].(string)
		timeout, ok := res[name].Properties["Timeout"].(float64)
		if !ok {
			t.Fatalf("queue %s: consumer %v has no timeout", id, m.Properties["FunctionName"])
		}
		return timeout
	}
	t.Fatalf("queue %s has no consumer", id)
	return 0
}

// checkFunctions: every function on provided.al2023, arm64, bootstrap.
func checkFunctions(t *testing.T, res map[string]resource) {
	fns := of(res, "AWS::Lambda::Function")
	if len(fns) != len(Functions) {
		t.Fatalf("%d functions", len(fns))
	}
	for _, f := range fns {
		if f.Properties["Runtime"] != "provided.al2023" || f.Properties["Handler"] != "bootstrap" || f.Properties["Architectures"].([]any)[0] != "arm64" {
			t.Errorf("function %v", f.Properties)
		}
	}
}

// checkEventSources: one mapping per queue and the table's stream, each
// reporting batch item failures.
func checkEventSources(t *testing.T, tpl assertions.Template, res map[string]resource) {
	esms := of(res, "AWS::Lambda::EventSourceMapping")
	if len(esms) != len(queue.Queues)+1 {
		t.Fatalf("%d event source mappings", len(esms))
	}
	// The table's stream feeds the outbound webhooks: link items only, from
	// the oldest record, failures bisected and kept.
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
		"StartingPosition": "TRIM_HORIZON", "BisectBatchOnFunctionError": true, "MaximumRecordAgeInSeconds": 86400,
		"FilterCriteria":    map[string]any{"Filters": []any{map[string]any{"Pattern": `{"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"L#"}]}}}}`}}},
		"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": assertions.Match_AnyValue()}},
	})
	for _, m := range esms {
		if frt, _ := m.Properties["FunctionResponseTypes"].([]any); len(frt) != 1 || frt[0] != "ReportBatchItemFailures" {
			t.Errorf("mapping without ReportBatchItemFailures: %v", m.Properties)
		}
	}
}

// checkRoutesAndSchedule: the HTTP API's routes and the sweep's schedule.
func checkRoutesAndSchedule(t *testing.T, tpl assertions.Template, res map[string]resource) {
	var keys []string
	for _, r := range of(res, "AWS::ApiGatewayV2::Route") {
		keys = append(keys, r.Properties["RouteKey"].(string))
	}
	joined := strings.Join(keys, "\n")
	for _, want := range []string{"ANY /v1/{proxy+}", "GET /l/{proxy+}", "HEAD /l/{proxy+}", "POST /webhooks/psp/{provider}/{merchant}", "POST /sandbox/{proxy+}", "GET /openapi.json"} {
		if !strings.Contains(joined, want) {
			t.Errorf("route %q missing from %v", want, keys)
		}
	}
	tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{"ScheduleExpression": "rate(1 minute)"})
}

// checkNoWildcards: least privilege, no "*" action anywhere; "*" resource
// only where AWS has no narrower one.
func checkNoWildcards(t *testing.T, res map[string]resource) {
	for _, p := range of(res, "AWS::IAM::Policy") {
		doc := p.Properties["PolicyDocument"].(map[string]any)
		for _, s := range doc["Statement"].([]any) {
			st := s.(map[string]any)
			actions := list(st["Action"])
			for _, a := range actions {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("wildcard action %q", a)
				}
			}
			if r, ok := st["Resource"].(string); ok && r == "*" && !unscopedAction(actions) {
				t.Errorf("wildcard resource for %v", actions)
			}
		}
	}
}

// unscopedAction: sns:Publish to phone numbers and dynamodb:ListStreams (the
// stream event source's) have no resource-level permissions, so a statement
// of one of them alone may name the "*" resource.
func unscopedAction(actions []string) bool {
	return len(actions) == 1 && (actions[0] == "sns:Publish" || actions[0] == "dynamodb:ListStreams")
}

// checkAlarms: a DLQ depth and an oldest-message alarm per queue, errors and
// throttles per function, the API's 5xx rate; and a dashboard.
func checkAlarms(t *testing.T, tpl assertions.Template, res map[string]resource) {
	alarms := of(res, "AWS::CloudWatch::Alarm")
	if want := 2*len(queue.Queues) + 2*len(Functions) + 1 + 2; len(alarms) != want { // + stream failures and iterator age
		t.Fatalf("%d alarms, want %d", len(alarms), want)
	}
	tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
}

func TestProdKeepsItsData(t *testing.T) {
	tpl, _ := synth(t, "prod")
	tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionProtectionEnabled": true})
	tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Retain"})
}

func list(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, s := range x {
			out[i], _ = s.(string)
		}
		return out
	}
	return nil
}
