package stack

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/spec"
)

// TestLocalStackFlag: -c localstack=true adds a function URL to each HTTP
// function (LocalStack's free edition has no API Gateway v2), names every
// function in the outputs, and lets the deliver function post to loopback
// receivers; without the flag none of it is there, and prod refuses it.
func TestLocalStackFlag(t *testing.T) {
	var httpFns []string
	for _, f := range spec.For(false) {
		if f.Trigger == spec.TriggerHTTP {
			httpFns = append(httpFns, f.Name)
		}
	}
	sort.Strings(httpFns)

	_, plain := synthProps(t, contextProps(t, "dev", nil))
	if urls := logicalIDs(plain, "AWS::Lambda::Url"); len(urls) != 0 {
		t.Errorf("without the flag: function URLs %v", urls)
	}
	for name, f := range functionsOf(t, plain) {
		if _, ok := f.env[envAllowLoopback]; ok {
			t.Errorf("without the flag: %s has %s", name, envAllowLoopback)
		}
	}

	_, doc := synthProps(t, contextProps(t, "dev", map[string]any{"localstack": "true"}))
	fnByID := map[string]string{}
	for id, r := range doc.Resources {
		if r.Type == "AWS::Lambda::Function" {
			fnByID[id] = strings.TrimPrefix(r.Properties["Description"].(string), "paylinks ")
		}
	}
	var withURL []string
	for _, id := range logicalIDs(doc, "AWS::Lambda::Url") {
		r := doc.Resources[id]
		if r.Properties["AuthType"] != "NONE" {
			t.Errorf("%s: AuthType %v, want NONE (API Gateway's routes are public too)", id, r.Properties["AuthType"])
		}
		target, _ := r.Properties["TargetFunctionArn"].(map[string]any)["Fn::GetAtt"].([]any)
		if len(target) == 0 {
			t.Fatalf("%s: target %v", id, r.Properties["TargetFunctionArn"])
		}
		withURL = append(withURL, fnByID[target[0].(string)])
	}
	sort.Strings(withURL)
	if !slices.Equal(withURL, httpFns) {
		t.Errorf("function URLs on %v, want the HTTP functions %v", withURL, httpFns)
	}
	for _, f := range spec.For(false) {
		if _, ok := doc.Outputs[cdkName(f.Name)+"FunctionName"]; !ok {
			t.Errorf("no output %sFunctionName", cdkName(f.Name))
		}
		_, hasURL := doc.Outputs[cdkName(f.Name)+"FunctionUrl"]
		if hasURL != (f.Trigger == spec.TriggerHTTP) {
			t.Errorf("output %sFunctionUrl present=%v for a %s function", cdkName(f.Name), hasURL, f.Trigger)
		}
	}
	for name, f := range functionsOf(t, doc) {
		if got, want := f.env[envAllowLoopback] != nil, name == "deliver"; got != want {
			t.Errorf("%s: %s set=%v, want %v", name, envAllowLoopback, got, want)
		}
	}

	ctx := map[string]any{"stage": "prod", "localstack": "true", "rateLimit": `{"perSecond": 5, "burst": 10}`,
		"throttling": `{"default": {"rate": 1, "burst": 2}}`}
	if _, err := FromContext(func(k string) any { return ctx[k] }); err == nil || !strings.Contains(err.Error(), "localstack") {
		t.Errorf("prod with localstack=true: %v, want a refusal naming localstack", err)
	}
}
