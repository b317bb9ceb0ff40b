package stack

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/spec"
)

// fnView is one function of a synthesized template: its environment and the
// statements of the policies on its role.
type fnView struct {
	name       string
	props      map[string]any
	env        map[string]any
	statements []map[string]any
}

func functionsOf(t *testing.T, doc stackDoc) map[string]*fnView {
	t.Helper()
	out := map[string]*fnView{}
	roles := map[string]*fnView{}
	for _, r := range doc.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		name := strings.TrimPrefix(r.Properties["Description"].(string), "paylinks ")
		v := &fnView{name: name, props: r.Properties, env: map[string]any{}}
		if e, ok := r.Properties["Environment"].(map[string]any); ok {
			v.env = e["Variables"].(map[string]any)
		}
		role := r.Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		out[name], roles[role] = v, v
	}
	for _, r := range doc.Resources {
		if r.Type != "AWS::IAM::Policy" {
			continue
		}
		for _, ref := range r.Properties["Roles"].([]any) {
			v := roles[ref.(map[string]any)["Ref"].(string)]
			if v == nil {
				continue
			}
			for _, s := range r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				v.statements = append(v.statements, s.(map[string]any))
			}
		}
	}
	return out
}

func logicalIDs(doc stackDoc, typ string) []string {
	var out []string
	for id, r := range doc.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func ref(id string) string   { return jsonOf(map[string]any{"Ref": id}) }
func arnOf(id string) string { return jsonOf(map[string]any{"Fn::GetAtt": []any{id, "Arn"}}) }
func resources(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, r := range x {
			out = append(out, jsonOf(r))
		}
	default:
		out = append(out, jsonOf(x))
	}
	return out
}

// secretByEnv finds the secret whose Ref is the value of env var name in
// some function, or "".
func secretByEnv(doc stackDoc, fns map[string]*fnView, name string) string {
	for _, id := range logicalIDs(doc, "AWS::SecretsManager::Secret") {
		for _, f := range fns {
			if jsonOf(f.env[name]) == ref(id) {
				return id
			}
		}
	}
	return ""
}

func TestProdHasNoSandbox(t *testing.T) {
	_, doc := synthProps(t, contextProps(t, "prod", nil))
	fns := functionsOf(t, doc)
	if _, ok := fns["sandbox"]; ok {
		t.Error("prod has a sandbox function")
	}
	if len(fns) != len(Functions)-1 {
		t.Errorf("prod has %d functions, want %d", len(fns), len(Functions)-1)
	}
	for _, id := range logicalIDs(doc, "AWS::ApiGatewayV2::Route") {
		if k := doc.Resources[id].Properties["RouteKey"].(string); strings.Contains(k, "/sandbox") {
			t.Errorf("prod route %q", k)
		}
	}
	if n := len(logicalIDs(doc, "AWS::SecretsManager::Secret")); n != 1 {
		t.Errorf("prod has %d secrets, want 1 (the link code secret)", n)
	}
	for name, f := range fns {
		for _, k := range []string{"SANDBOX_SECRET_ARN", "SANDBOX_ENABLED", "SANDBOX_SECRET"} {
			if _, ok := f.env[k]; ok {
				t.Errorf("prod function %s has %s", name, k)
			}
		}
	}

	_, dev := synthProps(t, contextProps(t, "dev", nil))
	devFns := functionsOf(t, dev)
	if _, ok := devFns["sandbox"]; !ok {
		t.Fatal("dev has no sandbox function")
	}
	for name, f := range devFns {
		// Only the functions that build the PSP adapters, and the settings
		// that offer the sandbox to test merchants, know of the sandbox.
		if want := slices.Contains(wantSandbox, name) || name == "account" || name == "admin"; (f.env["SANDBOX_ENABLED"] == "1") != want {
			t.Errorf("dev function %s: SANDBOX_ENABLED=%v", name, f.env["SANDBOX_ENABLED"])
		}
	}
}

func TestProdRetainsDLQsAndKey(t *testing.T) {
	for _, stage := range []string{"prod", "dev"} {
		_, doc := synthProps(t, contextProps(t, stage, nil))
		want := "Delete"
		if stage == "prod" {
			want = "Retain"
		}
		dlqs := 0
		for _, id := range logicalIDs(doc, "AWS::SQS::Queue") {
			q := doc.Resources[id]
			if _, work := q.Properties["RedrivePolicy"]; work {
				continue
			}
			dlqs++
			if q.DeletionPolicy != want || q.UpdateReplacePolicy != want {
				t.Errorf("%s: DLQ %s DeletionPolicy %q UpdateReplacePolicy %q, want %s", stage, id, q.DeletionPolicy, q.UpdateReplacePolicy, want)
			}
		}
		if dlqs != len(spec.Queues)+1 {
			t.Errorf("%s: %d DLQs, want %d work-queue DLQs and the stream failure queue", stage, dlqs, len(spec.Queues))
		}
		keys := logicalIDs(doc, "AWS::KMS::Key")
		if len(keys) != 1 {
			t.Fatalf("%s: %d KMS keys, want 1", stage, len(keys))
		}
		k := doc.Resources[keys[0]]
		if k.Properties["EnableKeyRotation"] != true {
			t.Errorf("%s: key rotation %v", stage, k.Properties["EnableKeyRotation"])
		}
		if k.DeletionPolicy != want {
			t.Errorf("%s: key DeletionPolicy %q, want %s", stage, k.DeletionPolicy, want)
		}
	}
}

func TestLogGroupsExpire(t *testing.T) {
	for _, c := range []struct {
		stage     string
		overrides map[string]any
		days      float64
	}{{"dev", nil, 30}, {"prod", nil, 365}, {"prod", map[string]any{"logRetentionDays": "90"}, 90}} {
		_, doc := synthProps(t, contextProps(t, c.stage, c.overrides))
		groups := logicalIDs(doc, "AWS::Logs::LogGroup")
		fns := functionsOf(t, doc)
		if len(groups) != len(fns)+1 {
			t.Errorf("%s: %d log groups for %d functions and the access log", c.stage, len(groups), len(fns))
		}
		for _, id := range groups {
			if d, _ := doc.Resources[id].Properties["RetentionInDays"].(float64); d != c.days {
				t.Errorf("%s: log group %s RetentionInDays %v, want %v", c.stage, id, doc.Resources[id].Properties["RetentionInDays"], c.days)
			}
		}
		for name, f := range fns {
			lc, _ := f.props["LoggingConfig"].(map[string]any)
			lg := jsonOf(lc["LogGroup"])
			if !slices.ContainsFunc(groups, func(id string) bool { return ref(id) == lg }) {
				t.Errorf("%s: function %s logs to %s, not a log group of the stack", c.stage, name, lg)
			}
		}
	}
	p := contextProps(t, "dev", map[string]any{"logRetentionDays": 42})
	if _, err := build(t, p); err == nil || !strings.Contains(err.Error(), "logRetentionDays") {
		t.Errorf("retention of 42 days: %v", err)
	}
}

func TestApiStageThrottlingAndAccessLog(t *testing.T) {
	p := contextProps(t, "prod", nil)
	if len(p.Throttling.Routes) == 0 {
		t.Fatal("cdk.json throttles no route")
	}
	_, doc := synthProps(t, p)
	stages := logicalIDs(doc, "AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages", len(stages))
	}
	stage := doc.Resources[stages[0]]

	drs, _ := stage.Properties["DefaultRouteSettings"].(map[string]any)
	if drs["ThrottlingRateLimit"] != p.Throttling.Default.Rate || drs["ThrottlingBurstLimit"] != p.Throttling.Default.Burst {
		t.Errorf("default route settings %v, want %+v", drs, p.Throttling.Default)
	}
	routeIDs := map[string]string{}
	for _, id := range logicalIDs(doc, "AWS::ApiGatewayV2::Route") {
		routeIDs[doc.Resources[id].Properties["RouteKey"].(string)] = id
	}
	rs, _ := stage.Properties["RouteSettings"].(map[string]any)
	if len(rs) != len(p.Throttling.Routes) {
		t.Errorf("route settings %v, want %v", rs, p.Throttling.Routes)
	}
	for key, want := range p.Throttling.Routes {
		got, _ := rs[key].(map[string]any)
		if got["ThrottlingRateLimit"] != want.Rate || got["ThrottlingBurstLimit"] != want.Burst {
			t.Errorf("route %q settings %v, want %+v", key, got, want)
		}
		id, ok := routeIDs[key]
		if !ok {
			t.Errorf("throttled route %q is not a route", key)
			continue
		}
		// The stage names the route in its settings: it must be created after it.
		if !slices.Contains(stage.DependsOn, id) {
			t.Errorf("stage does not depend on route %q (%s): %v", key, id, stage.DependsOn)
		}
	}

	als, _ := stage.Properties["AccessLogSettings"].(map[string]any)
	if als == nil {
		t.Fatal("no access log settings")
	}
	dest := jsonOf(als["DestinationArn"])
	if !slices.ContainsFunc(logicalIDs(doc, "AWS::Logs::LogGroup"), func(id string) bool { return arnOf(id) == dest }) {
		t.Errorf("access log destination %s is not a log group of the stack", dest)
	}
	format, _ := als["Format"].(string)
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatalf("access log format is not JSON: %v: %s", err, format)
	}
	want := map[string]string{
		"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "requestTime": "$context.requestTime",
		"httpMethod": "$context.httpMethod", "routeKey": "$context.routeKey", "status": "$context.status",
		"protocol": "$context.protocol", "responseLength": "$context.responseLength", "integrationLatency": "$context.integrationLatency",
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("access log format %v, want %v", fields, want)
	}
	if l := strings.ToLower(format); strings.Contains(l, "authorization") || strings.Contains(l, "header") {
		t.Errorf("access log format logs headers: %s", format)
	}

	// accessLogs=false: no access log, no log group for it.
	_, off := synthProps(t, contextProps(t, "prod", map[string]any{"accessLogs": "false"}))
	st := off.Resources[logicalIDs(off, "AWS::ApiGatewayV2::Stage")[0]]
	if _, ok := st.Properties["AccessLogSettings"]; ok {
		t.Error("accessLogs=false still logs")
	}
	if n, fns := len(logicalIDs(off, "AWS::Logs::LogGroup")), len(functionsOf(t, off)); n != fns {
		t.Errorf("accessLogs=false: %d log groups for %d functions", n, fns)
	}
}

func TestThrottlingNamesRoutesOfTheStage(t *testing.T) {
	for _, c := range []struct{ stage, key string }{{"prod", "POST /sandbox/{proxy+}"}, {"dev", "GET /l/{code}"}} {
		p := contextProps(t, c.stage, nil)
		p.Throttling.Routes = map[string]Throttle{c.key: {Rate: 10, Burst: 20}}
		if _, err := build(t, p); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: throttling unknown route %q: %v", c.stage, c.key, err)
		}
	}
}

var (
	wantLinkCode = []string{"api", "create", "import", "redirect"}
	wantSandbox  = []string{"sandbox", "redirect", "refund", "webhook"}
)

// stageSecrets is what one stage's template holds: the link code secret, the
// sandbox secret ("" in prod), the KMS key, and for each secret the functions
// that may read it.
type stageSecrets struct {
	stage, link, sandbox, key string
	users                     map[string][]string
}

func TestSecretsAndKeyGrants(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		_, doc := synthProps(t, contextProps(t, stage, nil))
		fns := functionsOf(t, doc)
		s := secretsOfStage(t, stage, doc, fns)
		for name, f := range fns {
			// Secrets: the env names exactly the secrets the function may read,
			// and it may only GetSecretValue them.
			envSecrets := checkSecretEnv(t, s, name, f)
			checkSecretGrants(t, s, name, f, envSecrets)
			checkKeyGrants(t, s, name, f)
		}
	}
}

// secretsOfStage checks the stage's secrets (64 characters without
// punctuation, the sandbox's in dev only) and its one KMS key.
func secretsOfStage(t *testing.T, stage string, doc stackDoc, fns map[string]*fnView) stageSecrets {
	t.Helper()
	secrets := logicalIDs(doc, "AWS::SecretsManager::Secret")
	for _, id := range secrets {
		g, _ := doc.Resources[id].Properties["GenerateSecretString"].(map[string]any)
		if g["PasswordLength"] != 64.0 || g["ExcludePunctuation"] != true {
			t.Errorf("%s: secret %s GenerateSecretString %v, want 64 characters without punctuation", stage, id, g)
		}
	}
	s := stageSecrets{stage: stage, link: secretByEnv(doc, fns, "LINK_CODE_SECRET_ARN"), sandbox: secretByEnv(doc, fns, "SANDBOX_SECRET_ARN")}
	if s.link == "" {
		t.Fatalf("%s: no function has LINK_CODE_SECRET_ARN", stage)
	}
	s.users = map[string][]string{s.link: wantLinkCode}
	if stage == "dev" {
		if s.sandbox == "" || s.sandbox == s.link {
			t.Fatalf("dev: sandbox secret %q (link code secret %q)", s.sandbox, s.link)
		}
		s.users[s.sandbox] = wantSandbox
	} else if s.sandbox != "" {
		t.Errorf("prod: sandbox secret %s", s.sandbox)
	}
	if len(secrets) != len(s.users) {
		t.Errorf("%s: secrets %v", stage, secrets)
	}
	keys := logicalIDs(doc, "AWS::KMS::Key")
	if len(keys) != 1 {
		t.Fatalf("%s: KMS keys %v", stage, keys)
	}
	s.key = keys[0]
	return s
}

// checkSecretEnv checks that function name has the env var of each secret
// exactly when it may read that secret, pointing at it, and returns the Refs
// of the secrets it is given.
func checkSecretEnv(t *testing.T, s stageSecrets, name string, f *fnView) map[string]bool {
	t.Helper()
	envSecrets := map[string]bool{}
	for _, e := range []struct{ env, secret string }{{"LINK_CODE_SECRET_ARN", s.link}, {"SANDBOX_SECRET_ARN", s.sandbox}} {
		_, has := f.env[e.env]
		if want := e.secret != "" && slices.Contains(s.users[e.secret], name); has != want {
			t.Errorf("%s: function %s has %s: %v, want %v", s.stage, name, e.env, has, want)
		}
		if !has {
			continue
		}
		if jsonOf(f.env[e.env]) != ref(e.secret) {
			t.Errorf("%s: function %s %s=%v", s.stage, name, e.env, f.env[e.env])
		}
		envSecrets[ref(e.secret)] = true
	}
	return envSecrets
}

// checkSecretGrants checks that function name may GetSecretValue exactly the
// secrets it is given (envSecrets) and nothing else of Secrets Manager.
func checkSecretGrants(t *testing.T, s stageSecrets, name string, f *fnView, envSecrets map[string]bool) {
	t.Helper()
	granted := map[string]bool{}
	for _, st := range f.statements {
		acts := list(st["Action"])
		for _, a := range acts {
			if !strings.HasPrefix(a, "secretsmanager:") {
				continue
			}
			if len(acts) != 1 || a != "secretsmanager:GetSecretValue" {
				t.Errorf("%s: function %s secrets actions %v, want GetSecretValue only", s.stage, name, acts)
			}
			for _, r := range resources(st["Resource"]) {
				if !envSecrets[r] {
					t.Errorf("%s: function %s may read secret %s it is not given", s.stage, name, r)
				}
				granted[r] = true
			}
		}
	}
	for r := range envSecrets {
		if !granted[r] {
			t.Errorf("%s: function %s is given secret %s but may not read it", s.stage, name, r)
		}
	}
}

// checkKeyGrants checks function name's KMS actions, all on the stage's key,
// and its KMS_KEY_ID: api seals merchant secrets, apply and sweep never load
// a merchant, every other function only decrypts.
func checkKeyGrants(t *testing.T, s stageSecrets, name string, f *fnView) {
	t.Helper()
	var kmsActions []string
	for _, st := range f.statements {
		for _, a := range list(st["Action"]) {
			if !strings.HasPrefix(a, "kms:") {
				continue
			}
			kmsActions = append(kmsActions, a)
			if rs := resources(st["Resource"]); len(rs) != 1 || rs[0] != arnOf(s.key) {
				t.Errorf("%s: function %s kms on %v", s.stage, name, rs)
			}
		}
	}
	sort.Strings(kmsActions)
	wantKMS := []string{"kms:Decrypt"}
	switch name {
	case "account", "admin": // the settings seal merchants' secrets
		wantKMS = []string{"kms:Decrypt", "kms:GenerateDataKey"}
	case "apply", "sweep", "dashboard", "reconcile": // they never load a merchant
		wantKMS = nil
	}
	if !slices.Equal(kmsActions, wantKMS) {
		t.Errorf("%s: function %s kms actions %v, want %v", s.stage, name, kmsActions, wantKMS)
	}
	if wantKMS == nil {
		if f.env["KMS_KEY_ID"] != nil {
			t.Errorf("%s: function %s has KMS_KEY_ID", s.stage, name)
		}
	} else if jsonOf(f.env["KMS_KEY_ID"]) != ref(s.key) {
		t.Errorf("%s: function %s KMS_KEY_ID=%v", s.stage, name, f.env["KMS_KEY_ID"])
	}
}

func TestRateLimitForTheAPIFunctionsOnly(t *testing.T) {
	p := contextProps(t, "prod", nil)
	if p.RateLimit != (RateLimit{PerSecond: 25, Burst: 50}) {
		t.Errorf("cdk.json rateLimit %+v", p.RateLimit)
	}
	_, doc := synthProps(t, p)
	for name, f := range functionsOf(t, doc) {
		rate, burst := f.env["RATE_LIMIT_PER_SECOND"], f.env["RATE_LIMIT_BURST"]
		if name == "api" || name == "create" || name == "people" || name == "account" || name == "customers" {
			if rate != "25" || burst != "50" {
				t.Errorf("%s rate limit %v/%v", name, rate, burst)
			}
		} else if rate != nil || burst != nil {
			t.Errorf("function %s has a rate limit", name)
		}
	}
}

func TestOutputs(t *testing.T) {
	for _, c := range []struct {
		stage string
		want  []string
	}{
		{"dev", []string{"AdminFunctionName", "ApiUrl", "KmsKeyId", "LinkCodeSecretArn", "SandboxSecretArn", "StatementsBucketName", "TableName", "UserPoolClientId", "UserPoolId"}},
		{"prod", []string{"AdminFunctionName", "ApiUrl", "KmsKeyId", "LinkCodeSecretArn", "StatementsBucketName", "TableName", "UserPoolClientId", "UserPoolId"}},
	} {
		_, doc := synthProps(t, contextProps(t, c.stage, nil))
		var got []string
		for k := range doc.Outputs {
			got = append(got, k)
		}
		sort.Strings(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s outputs %v, want %v", c.stage, got, c.want)
		}
		if c.stage == "prod" {
			key := logicalIDs(doc, "AWS::KMS::Key")
			if len(key) == 1 && jsonOf(doc.Outputs["KmsKeyId"]["Value"]) != ref(key[0]) {
				t.Errorf("KmsKeyId output %v", doc.Outputs["KmsKeyId"])
			}
		}
	}
}

func TestFromContext(t *testing.T) {
	ctx := map[string]any{
		"stage": "prod", "rateLimit": `{"perSecond": 5, "burst": 10}`, "accessLogs": "false", "logRetentionDays": "731",
		"throttling": map[string]any{"default": map[string]any{"rate": 50.0, "burst": 100.0}},
	}
	p, err := FromContext(func(k string) any { return ctx[k] })
	if err != nil {
		t.Fatal(err)
	}
	if p.RateLimit != (RateLimit{5, 10}) || p.AccessLogs || p.LogRetentionDays != 731 || p.Throttling.Default != (Throttle{50, 100}) || !p.Prod() {
		t.Errorf("props %+v", p)
	}
	for k, v := range map[string]any{"stage": "staging", "rateLimit": nil, "throttling": `{"default": {"rate": 1, "burst": 2}, "rutes": {}}`} {
		bad := map[string]any{}
		for kk, vv := range ctx {
			bad[kk] = vv
		}
		bad[k] = v
		if _, err := FromContext(func(k string) any { return bad[k] }); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("context %s=%v: %v", k, v, err)
		}
	}
}
