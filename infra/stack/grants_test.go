package stack

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/spec"
)

// What each function's role may do, by kind: "table:read", "table:write",
// "table:stream", "send:<queue>", "consume:<queue>", "kms:decrypt",
// "kms:seal", "secret:<env var naming it>", "ses", "sns", "s3:<action> <the
// statements bucket's objects it applies to>",
// "cognito:<action>" (on the stack's user pool; "cognito:<action> on <r>"
// on anything else).
func grantsOf(t *testing.T, doc stackDoc, f *fnView) []string {
	t.Helper()
	pool := userPoolArn(doc)
	queueOf := map[string]string{} // the queues' ARNs (GetAtt) -> name
	for _, q := range spec.Queues {
		queueOf[arnOf(logicalID(doc, "AWS::SQS::Queue", cdkName(q.Name)+"Queue"))] = q.Name
		queueOf[arnOf(logicalID(doc, "AWS::SQS::Queue", cdkName(q.Name)+"Dlq"))] = q.Name + "-dlq"
	}
	queueOf[arnOf(logicalID(doc, "AWS::SQS::Queue", "StreamFailuresDlq"))] = "stream-failures"
	secretOf := map[string]string{}
	for k, v := range f.env {
		if strings.HasSuffix(k, "_SECRET_ARN") {
			secretOf[jsonOf(v)] = k
		}
	}
	set := map[string]bool{}
	for _, s := range f.statements {
		for _, a := range list(s["Action"]) {
			for _, g := range grantKinds(a, resources(s["Resource"]), queueOf, secretOf, pool) {
				set[g] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for g := range set {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// tableWrites are the DynamoDB actions that write; any other dynamodb:
// action reads (the stream, when on a stream's ARN).
var tableWrites = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}

// singleKinds are the actions that grant one kind whatever their resources.
var singleKinds = map[string]string{
	"kms:Decrypt":         "kms:decrypt",
	"kms:GenerateDataKey": "kms:seal",
	"ses:SendEmail":       "ses",
	"sns:Publish":         "sns",
}

// perResourceKinds are the actions that grant one kind per resource: the
// kind's prefix, and whether the resource is named by the secrets (else by
// the queues).
var perResourceKinds = map[string]struct {
	prefix string
	secret bool
}{
	"sqs:SendMessage":               {"send:", false},
	"sqs:ReceiveMessage":            {"consume:", false},
	"sqs:DeleteMessage":             {"consume:", false},
	"sqs:ChangeMessageVisibility":   {"consume:", false},
	"secretsmanager:GetSecretValue": {"secret:", true},
}

// bundledActions are the actions the CDK's grants bundle with the ones
// above (with any sqs:Get* action); they grant no kind of their own.
var bundledActions = []string{"kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}

// grantKinds is what action on res grants, by kind (see grantsOf);
// "other:<action>" for any action not classified.
func grantKinds(action string, res []string, queueOf, secretOf map[string]string, pool string) []string {
	if strings.HasPrefix(action, "dynamodb:") {
		return []string{tableKind(action, res)}
	}
	if k, ok := singleKinds[action]; ok {
		return []string{k}
	}
	if k, ok := perResourceKinds[action]; ok {
		names := queueOf
		if k.secret {
			names = secretOf
		}
		return namedKinds(k.prefix, res, names)
	}
	if strings.HasPrefix(action, "cognito-idp:") {
		return cognitoKinds(action, res, pool)
	}
	if strings.HasPrefix(action, "s3:") {
		return s3Kinds(action, res)
	}
	if strings.HasPrefix(action, "sqs:Get") || slices.Contains(bundledActions, action) {
		return nil
	}
	return []string{"other:" + action}
}

// tableKind is what a dynamodb: action grants: "table:stream" on a
// stream's ARN, else "table:write" or "table:read".
func tableKind(action string, res []string) string {
	switch {
	case strings.Contains(strings.Join(res, " "), "StreamArn"):
		return "table:stream"
	case slices.Contains(tableWrites, action):
		return "table:write"
	default:
		return "table:read"
	}
}

// namedKinds is prefix followed by each resource's name in names
// ("unknown <resource>" when it has none).
func namedKinds(prefix string, res []string, names map[string]string) []string {
	var out []string
	for _, r := range res {
		n, ok := names[r]
		if !ok {
			n = "unknown " + r
		}
		out = append(out, prefix+n)
	}
	return out
}

// s3Kinds is "s3:<action> <objects>" for each resource in the statements
// bucket ("s3:<action> on <resource>" for any other).
func s3Kinds(action string, res []string) []string {
	var out []string
	for _, r := range res {
		if objects, ok := strings.CutPrefix(r, `{"Fn::Join":["",[{"Fn::GetAtt":["StatementsBucket`); ok {
			// ...<hash>","Arn"]},"/<objects>"]]}
			if i := strings.Index(objects, `"/`); i >= 0 {
				out = append(out, action+" "+strings.TrimSuffix(objects[i+2:], `"]]}`))
				continue
			}
		}
		out = append(out, action+" on "+r)
	}
	return out
}

// cognitoKinds is "cognito:<action>" for each resource, followed by
// " on <resource>" when it is not the stack's pool.
func cognitoKinds(action string, res []string, pool string) []string {
	var out []string
	for _, r := range res {
		g := "cognito:" + strings.TrimPrefix(action, "cognito-idp:")
		if r != pool {
			g += " on " + r
		}
		out = append(out, g)
	}
	return out
}

func logicalID(doc stackDoc, typ, prefix string) string {
	for _, id := range logicalIDs(doc, typ) {
		if strings.HasPrefix(id, prefix) {
			return id
		}
	}
	return "none:" + prefix
}

// wantGrants is what a function's spec entry says it uses, read
// independently of the stack's code.
func wantGrants(f spec.Function, prod bool) (grants, env []string) {
	add := func(cond bool, g []string, e ...string) {
		if cond {
			grants, env = append(grants, g...), append(env, e...)
		}
	}
	add(f.Uses(spec.NeedTable), []string{"table:read"}, "TABLE_NAME")
	add(f.Uses(spec.NeedTableWrite), []string{"table:write"})
	add(f.Trigger == spec.TriggerStream, []string{"table:stream", "send:stream-failures"})
	add(f.Uses(spec.NeedPublicBaseURL), nil, "PUBLIC_BASE_URL")
	add(f.Uses(spec.NeedLinkCodes), []string{"secret:LINK_CODE_SECRET_ARN"}, "LINK_CODE_SECRET_ARN")
	add(f.Uses(spec.NeedSealer) || f.Uses(spec.NeedSeal), []string{"kms:decrypt"}, "KMS_KEY_ID")
	add(f.Uses(spec.NeedSeal), []string{"kms:seal"})
	add(f.Uses(spec.NeedPSPs) && !prod, []string{"secret:SANDBOX_SECRET_ARN"}, "SANDBOX_SECRET_ARN", "SANDBOX_ENABLED")
	add(f.Uses(spec.NeedPSPNames) && !f.Uses(spec.NeedPSPs) && !prod, nil, "SANDBOX_ENABLED")
	add(f.Uses(spec.NeedRateLimits), nil, "RATE_LIMIT_PER_SECOND", "RATE_LIMIT_BURST")
	add(f.Uses(spec.NeedChannels), []string{"ses", "sns"}, "EMAIL_FROM", "SMS_ENABLED")
	add(f.Uses(spec.NeedIdentity) || f.Uses(spec.NeedIdentityAdmin), nil, "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID")
	add(f.Uses(spec.NeedIdentityAdmin), []string{"cognito:AdminCreateUser", "cognito:AdminGetUser", "cognito:AdminInitiateAuth", "cognito:AdminRespondToAuthChallenge", "cognito:AdminUserGlobalSignOut"})
	add(f.Uses(spec.NeedStatementUpload), []string{"s3:PutObject statements/*"}, "STATEMENTS_BUCKET")
	add(f.Uses(spec.NeedStatementFiles), []string{"s3:GetObject *"}, "STATEMENTS_BUCKET")
	add(f.Consumes != "", []string{"consume:" + f.Consumes})
	for _, q := range f.Sends {
		add(true, []string{"send:" + q}, spec.QueueEnv(q))
	}
	for _, q := range f.DeadLetters {
		add(true, []string{"send:" + q + "-dlq"}, spec.QueueEnv(q+"-dlq"))
	}
	slices.Sort(grants)
	slices.Sort(env)
	return slices.Compact(grants), slices.Compact(env)
}

// Every function's role and environment are exactly what its spec entry
// uses (and each function's own test proves its composition uses exactly
// its spec entry): no function can do or knows what it does not need.
func TestEachFunctionGetsExactlyWhatItUses(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		_, doc := synthProps(t, contextProps(t, stage, nil))
		fns := functionsOf(t, doc)
		deployed := spec.For(stage == "prod")
		if len(fns) != len(deployed) {
			t.Errorf("%s: %d functions, want %d", stage, len(fns), len(deployed))
		}
		for _, f := range deployed {
			v, ok := fns[f.Name]
			if !ok {
				t.Errorf("%s: no function %s", stage, f.Name)
				continue
			}
			want, wantEnv := wantGrants(f, stage == "prod")
			if got := grantsOf(t, doc, v); !slices.Equal(got, want) {
				t.Errorf("%s: function %s may %v,\n want %v", stage, f.Name, got, want)
			}
			var env []string
			for k := range v.env {
				env = append(env, k)
			}
			slices.Sort(env)
			if !slices.Equal(env, wantEnv) {
				t.Errorf("%s: function %s environment %v,\n want %v", stage, f.Name, env, wantEnv)
			}
			checkPoolEnv(t, doc, stage, v)
		}
	}
}

// What must hold whatever spec says: the hot paths that face the public
// send nothing and seal nothing, the sandbox only reads, only the send
// worker reaches the channels, only the API seals.
func TestLeastPrivilegeOfTheExposedFunctions(t *testing.T) {
	_, doc := synthProps(t, contextProps(t, "dev", nil))
	fns := functionsOf(t, doc)
	for name, f := range fns {
		got := fmt.Sprint(grantsOf(t, doc, f))
		has := func(g string) bool { return strings.Contains(got, g) }
		switch {
		case (name == "redirect" || name == "apply") && has("send:"):
			t.Errorf("%s may send to queues: %s", name, got)
		case name == "sandbox" && has("table:write"):
			t.Errorf("the sandbox may write the table: %s", got)
		case name != "send" && (has("ses") || has("sns")):
			t.Errorf("%s may send e-mail or SMS: %s", name, got)
		case has("cognito:") && !slices.Contains([]string{"people", "admin", "dashboard"}, name):
			t.Errorf("%s may call the user pool: %s", name, got)
		case name != "account" && name != "admin" && has("kms:seal"):
			t.Errorf("%s may seal merchants' secrets: %s", name, got)
		case name == "apply" && (has("secret:") || has("kms:")):
			t.Errorf("apply may read secrets: %s", got)
		case has("other:"):
			t.Errorf("%s has an unexpected grant: %s", name, got)
		}
	}
}

// Each route reaches its function: the create has its own, more specific
// than the API's /v1/{proxy+} (API Gateway picks the most specific route).
func TestRoutesReachTheirFunctions(t *testing.T) {
	_, doc := synthProps(t, contextProps(t, "dev", nil))
	fnOf := map[string]string{} // function logical id -> name
	for id, r := range doc.Resources {
		if r.Type == "AWS::Lambda::Function" {
			fnOf[id] = strings.TrimPrefix(r.Properties["Description"].(string), "paylinks ")
		}
	}
	integration := map[string]string{} // integration logical id -> function name
	for id, r := range doc.Resources {
		if r.Type == "AWS::ApiGatewayV2::Integration" {
			uri := jsonOf(r.Properties["IntegrationUri"])
			for fid, name := range fnOf {
				if strings.Contains(uri, `"`+fid+`"`) {
					integration[id] = name
				}
			}
		}
	}
	got := map[string]string{}
	for _, id := range logicalIDs(doc, "AWS::ApiGatewayV2::Route") {
		r := doc.Resources[id].Properties
		target := jsonOf(r["Target"])
		for iid, name := range integration {
			if strings.Contains(target, `"`+iid+`"`) {
				got[r["RouteKey"].(string)] = name
			}
		}
	}
	want := map[string]string{
		"POST /v1/payment-links": "create", "ANY /v1/{proxy+}": "api", "GET /openapi.json": "api", "GET /healthz": "api",
		"GET /l/{proxy+}": "redirect", "HEAD /l/{proxy+}": "redirect", "POST /webhooks/psp/{provider}/{merchant}": "webhook",
		"GET /sandbox/{proxy+}": "sandbox", "POST /sandbox/{proxy+}": "sandbox",
		"ANY /v1/members": "people", "ANY /v1/members/{proxy+}": "people",
		"ANY /v1/settings": "account", "ANY /v1/api-keys": "account", "ANY /v1/api-keys/{proxy+}": "account",
		"ANY /v1/webhook-deliveries": "account", "ANY /v1/webhook-deliveries/{proxy+}": "account", "ANY /v1/audit-log": "account",
		"ANY /v1/customers": "customers", "ANY /v1/customers/{proxy+}": "customers",
		"GET /dashboard": "dashboard", "GET /dashboard/{proxy+}": "dashboard", "POST /dashboard": "dashboard", "POST /dashboard/{proxy+}": "dashboard",
		"GET /": "dashboard", "GET /favicon.ico": "dashboard",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("routes %v,\n want %v", got, want)
	}
}

// The admin function is reachable by IAM only: no route, no function URL,
// no event source, and no resource policy letting a service invoke it.
func TestAdminIsReachableByIAMOnly(t *testing.T) {
	_, doc := synthProps(t, contextProps(t, "prod", nil))
	admin := ""
	for id, r := range doc.Resources {
		if r.Type == "AWS::Lambda::Function" && r.Properties["Description"] == "paylinks admin" {
			admin = id
		}
	}
	if admin == "" {
		t.Fatal("no admin function")
	}
	for id, r := range doc.Resources {
		switch r.Type {
		case "AWS::Lambda::Permission", "AWS::Lambda::Url", "AWS::Lambda::EventSourceMapping", "AWS::ApiGatewayV2::Integration", "AWS::Events::Rule":
			if strings.Contains(jsonOf(r.Properties), `"`+admin+`"`) {
				t.Errorf("%s %s reaches the admin function: %s", r.Type, id, jsonOf(r.Properties))
			}
		}
	}
	if jsonOf(doc.Outputs["AdminFunctionName"]["Value"]) != ref(admin) {
		t.Errorf("AdminFunctionName output %v", doc.Outputs["AdminFunctionName"])
	}
}
