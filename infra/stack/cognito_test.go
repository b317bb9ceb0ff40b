package stack

import (
	"slices"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/spec"
)

// userPoolArn is the ARN (GetAtt) of the stack's own user pool, "" when it
// brings none.
func userPoolArn(doc stackDoc) string {
	if ids := logicalIDs(doc, "AWS::Cognito::UserPool"); len(ids) == 1 {
		return arnOf(ids[0])
	}
	return ""
}

// checkPoolEnv checks that a function's COGNITO_* variables, when it has
// them, name the stack's pool and its dashboard client.
func checkPoolEnv(t *testing.T, doc stackDoc, stage string, f *fnView) {
	t.Helper()
	pools, clients := logicalIDs(doc, "AWS::Cognito::UserPool"), logicalIDs(doc, "AWS::Cognito::UserPoolClient")
	if v, ok := f.env["COGNITO_USER_POOL_ID"]; ok && (len(pools) != 1 || jsonOf(v) != ref(pools[0])) {
		t.Errorf("%s: function %s COGNITO_USER_POOL_ID=%v, want the pool %v", stage, f.name, jsonOf(v), pools)
	}
	if v, ok := f.env["COGNITO_CLIENT_ID"]; ok && (len(clients) != 1 || jsonOf(v) != ref(clients[0])) {
		t.Errorf("%s: function %s COGNITO_CLIENT_ID=%v, want the client %v", stage, f.name, jsonOf(v), clients)
	}
}

// minutes is a token validity of the client in minutes (its unit is in
// TokenValidityUnits; Cognito's defaults are hours for access and ID tokens,
// days for refresh tokens).
func minutes(t *testing.T, client map[string]any, prop, unitKey string) float64 {
	t.Helper()
	v, ok := client[prop].(float64)
	if !ok {
		t.Fatalf("client %s: %v", prop, client[prop])
	}
	unit := map[string]string{"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}[unitKey]
	if units, ok := client["TokenValidityUnits"].(map[string]any); ok {
		if u, ok := units[unitKey].(string); ok {
			unit = u
		}
	}
	return v * map[string]float64{"seconds": 1.0 / 60, "minutes": 1, "hours": 60, "days": 24 * 60}[unit]
}

// The user pool: invitation only, the e-mail as user name (verified,
// required), the password policy, optional TOTP (never SMS), recovery by
// e-mail only, an invitation naming paylinks and the dashboard's sign-in
// page; kept and protected in prod only. Its one client, "dashboard":
// password and refresh auth only, no secret, no user existence errors,
// revocable tokens valid 1 h (refresh 12 h), no OAuth.
func TestUserPool(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		_, doc := synthProps(t, contextProps(t, stage, map[string]any{"publicBaseUrl": "https://pay.shop.example"}))
		pool := onlyResource(t, doc, stage, "AWS::Cognito::UserPool", "user pools")
		checkPoolInvitation(t, stage, doc.Resources[pool].Properties)
		checkPoolSettings(t, stage, doc.Resources[pool].Properties)
		checkPoolRetention(t, stage, doc.Resources[pool], stage == "prod")
		client := onlyResource(t, doc, stage, "AWS::Cognito::UserPoolClient", "user pool clients")
		c := doc.Resources[client].Properties
		checkDashboardClient(t, stage, c, pool)
		checkTokenValidity(t, stage, c)
		if jsonOf(doc.Outputs["UserPoolId"]["Value"]) != ref(pool) || jsonOf(doc.Outputs["UserPoolClientId"]["Value"]) != ref(client) {
			t.Errorf("%s: outputs UserPoolId %v UserPoolClientId %v", stage, doc.Outputs["UserPoolId"], doc.Outputs["UserPoolClientId"])
		}
	}
}

// onlyResource is the logical id of the stack's one resource of type typ,
// failing the test now when there is not exactly one.
func onlyResource(t *testing.T, doc stackDoc, stage, typ, what string) string {
	t.Helper()
	ids := logicalIDs(doc, typ)
	if len(ids) != 1 {
		t.Fatalf("%s: %s %v, want one", stage, what, ids)
	}
	return ids[0]
}

// checkPoolInvitation checks that sign-up is by invitation only, and that
// the invitation names paylinks, the dashboard's sign-in page, the user
// name and the temporary password.
func checkPoolInvitation(t *testing.T, stage string, p map[string]any) {
	t.Helper()
	admin, _ := p["AdminCreateUserConfig"].(map[string]any)
	if admin["AllowAdminCreateUserOnly"] != true {
		t.Errorf("%s: self sign-up allowed: %v", stage, admin)
	}
	invite, _ := admin["InviteMessageTemplate"].(map[string]any)
	msg, _ := invite["EmailMessage"].(string)
	for _, want := range []string{"paylinks", "https://pay.shop.example/dashboard/sign-in", "{username}", "{####}"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%s: invitation e-mail %q lacks %q", stage, msg, want)
		}
	}
	if subj, _ := invite["EmailSubject"].(string); !strings.Contains(subj, "paylinks") {
		t.Errorf("%s: invitation subject %q", stage, subj)
	}
}

// checkPoolSettings checks the pool's user name, verification, MFA,
// recovery, password policy and schema, and that it never uses SMS.
func checkPoolSettings(t *testing.T, stage string, p map[string]any) {
	t.Helper()
	checks := map[string]string{
		"UsernameAttributes":     `["email"]`,
		"AutoVerifiedAttributes": `["email"]`,
		"MfaConfiguration":       `"OPTIONAL"`,
		"EnabledMfas":            `["SOFTWARE_TOKEN_MFA"]`,
		"AccountRecoverySetting": `{"RecoveryMechanisms":[{"Name":"verified_email","Priority":1}]}`,
		"Policies":               `{"PasswordPolicy":{"MinimumLength":12,"RequireLowercase":true,"RequireNumbers":true,"RequireSymbols":true,"RequireUppercase":true,"TemporaryPasswordValidityDays":7}}`,
	}
	for k, want := range checks {
		if got := jsonOf(p[k]); got != want {
			t.Errorf("%s: pool %s %s, want %s", stage, k, got, want)
		}
	}
	if got := jsonOf(p["Schema"]); !strings.Contains(got, `"Mutable":true,"Name":"email","Required":true`) {
		t.Errorf("%s: pool schema %s, want the e-mail required", stage, got)
	}
	if strings.Contains(jsonOf(p), "SmsConfiguration") || strings.Contains(jsonOf(p), "SMS_MFA") {
		t.Errorf("%s: the pool uses SMS: %s", stage, jsonOf(p))
	}
}

// checkPoolRetention checks that the pool is kept and protected from
// deletion in prod only.
func checkPoolRetention(t *testing.T, stage string, pool resource, prod bool) {
	t.Helper()
	p := pool.Properties
	wantProtection, wantPolicy := "INACTIVE", "Delete"
	if prod {
		wantProtection, wantPolicy = "ACTIVE", "Retain"
	}
	if p["DeletionProtection"] != wantProtection || pool.DeletionPolicy != wantPolicy || pool.UpdateReplacePolicy != wantPolicy {
		t.Errorf("%s: pool deletion protection %v, policies %s/%s, want %s and %s", stage, p["DeletionProtection"], pool.DeletionPolicy, pool.UpdateReplacePolicy, wantProtection, wantPolicy)
	}
}

// checkDashboardClient checks the client's name, auth flows, secret, user
// existence errors, token revocation and pool, and that it has no OAuth.
func checkDashboardClient(t *testing.T, stage string, c map[string]any, pool string) {
	t.Helper()
	flows := list(c["ExplicitAuthFlows"])
	slices.Sort(flows)
	// A password alone yields a token only through the dashboard function
	// (ADMIN_USER_PASSWORD_AUTH with its IAM role): no USER_PASSWORD_AUTH,
	// no SRP, no custom flow a script could use with a password.
	if !slices.Equal(flows, []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}) {
		t.Errorf("%s: client auth flows %v", stage, flows)
	}
	if c["ClientName"] != "dashboard" || c["GenerateSecret"] == true || c["PreventUserExistenceErrors"] != "ENABLED" || c["EnableTokenRevocation"] != true {
		t.Errorf("%s: client %s", stage, jsonOf(c))
	}
	if jsonOf(c["UserPoolId"]) != ref(pool) {
		t.Errorf("%s: client of pool %v", stage, c["UserPoolId"])
	}
	for _, k := range []string{"AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs"} {
		if _, ok := c[k]; ok {
			t.Errorf("%s: client has OAuth %s %v", stage, k, c[k])
		}
	}
}

// checkTokenValidity checks that the client's access and ID tokens are
// valid 1 h and its refresh tokens 12 h.
func checkTokenValidity(t *testing.T, stage string, c map[string]any) {
	t.Helper()
	if a, i, r := minutes(t, c, "AccessTokenValidity", "AccessToken"), minutes(t, c, "IdTokenValidity", "IdToken"), minutes(t, c, "RefreshTokenValidity", "RefreshToken"); a != 60 || i != 60 || r != 720 {
		t.Errorf("%s: token validity access %v min, id %v min, refresh %v min; want 60, 60, 720", stage, a, i, r)
	}
}

// An operator's own pool (context userPoolId + userPoolClientId): no pool is
// made, the functions that use identity are given its ids, and the admin
// grants name its ARN.
func TestBringYourOwnUserPool(t *testing.T) {
	const id, client = "eu-west-1_Abc123XYZ", "1example23456789abcdefghij"
	_, doc := synthProps(t, contextProps(t, "prod", map[string]any{"userPoolId": id, "userPoolClientId": client}))
	if got := append(logicalIDs(doc, "AWS::Cognito::UserPool"), logicalIDs(doc, "AWS::Cognito::UserPoolClient")...); len(got) != 0 {
		t.Errorf("a pool brought, yet the stack makes %v", got)
	}
	wantArn := ":cognito-idp:eu-west-1:123456789012:userpool/" + id + `"` // after arn:<partition>
	for _, f := range spec.For(true) {
		v := functionsOf(t, doc)[f.Name]
		identity := f.Uses(spec.NeedIdentity) || f.Uses(spec.NeedIdentityAdmin)
		if identity && (v.env["COGNITO_USER_POOL_ID"] != id || v.env["COGNITO_CLIENT_ID"] != client) {
			t.Errorf("function %s pool %v client %v, want %s %s", f.Name, v.env["COGNITO_USER_POOL_ID"], v.env["COGNITO_CLIENT_ID"], id, client)
		}
		var actions []string
		for _, s := range v.statements {
			for _, a := range list(s["Action"]) {
				if !strings.HasPrefix(a, "cognito-idp:") {
					continue
				}
				actions = append(actions, a)
				if rs := resources(s["Resource"]); len(rs) != 1 || !strings.Contains(rs[0], wantArn) {
					t.Errorf("function %s %s on %v, want %s", f.Name, a, rs, wantArn)
				}
			}
		}
		slices.Sort(actions)
		var want []string
		if f.Uses(spec.NeedIdentityAdmin) {
			want = []string{"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminInitiateAuth", "cognito-idp:AdminRespondToAuthChallenge", "cognito-idp:AdminUserGlobalSignOut"}
		}
		if !slices.Equal(actions, want) {
			t.Errorf("function %s cognito actions %v, want %v", f.Name, actions, want)
		}
	}
	if doc.Outputs["UserPoolId"]["Value"] != id || doc.Outputs["UserPoolClientId"]["Value"] != client {
		t.Errorf("outputs UserPoolId %v UserPoolClientId %v", doc.Outputs["UserPoolId"], doc.Outputs["UserPoolClientId"])
	}
}

// A pool id without its client (or the reverse), or ids that are not
// Cognito's, are refused naming the context key.
func TestUserPoolContextRefusals(t *testing.T) {
	base := map[string]any{"rateLimit": `{"perSecond": 5, "burst": 10}`, "throttling": `{"default": {"rate": 1, "burst": 2}}`}
	for _, c := range []struct {
		ctx  map[string]any
		want string
	}{
		{map[string]any{"userPoolId": "eu-west-1_Abc123XYZ"}, "userPoolClientId"},
		{map[string]any{"userPoolClientId": "1example23456789abcdefghij"}, "userPoolId"},
		{map[string]any{"userPoolId": "not a pool", "userPoolClientId": "1example23456789abcdefghij"}, "userPoolId"},
		{map[string]any{"userPoolId": "eu-west-1_Abc123XYZ", "userPoolClientId": "bad/client"}, "userPoolClientId"},
	} {
		ctx := map[string]any{}
		for k, v := range base {
			ctx[k] = v
		}
		for k, v := range c.ctx {
			ctx[k] = v
		}
		if _, err := FromContext(func(k string) any { return ctx[k] }); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("context %v: %v, want a refusal naming %s", c.ctx, err, c.want)
		}
	}
}
