// Package spec is what a paylinks deployment is made of, as plain data: the
// single table's layout, the work queues, and each function with its
// trigger and what it uses (the table, queues, secrets, the sealing key,
// the channels). The CDK stack derives every function's environment and
// IAM grants from it; at cold start a function loads exactly what its
// entry says and its composition can reach nothing else (shared/boot). It
// imports nothing but the standard library, so the CDK app links no runtime
// code.
package spec

import (
	"slices"
	"strings"
	"time"
)

// Need is one thing a function uses besides its queues.
type Need uint

// What a function may use.
const (
	// NeedTable reads the table (TABLE_NAME).
	NeedTable Need = 1 << iota
	// NeedTableWrite writes it too.
	NeedTableWrite
	// NeedPublicBaseURL builds public URLs (PUBLIC_BASE_URL).
	NeedPublicBaseURL
	// NeedLinkCodes signs links' public codes (LINK_CODE_SECRET(_ARN)).
	NeedLinkCodes
	// NeedSealer opens merchants' sealed secrets (KMS_KEY_ID: kms:Decrypt).
	NeedSealer
	// NeedSeal seals new ones (kms:GenerateDataKey).
	NeedSeal
	// NeedPSPs builds the PSP adapters; outside prod that includes the
	// sandbox (SANDBOX_ENABLED, SANDBOX_SECRET(_ARN)).
	NeedPSPs
	// NeedRateLimits reads the per-merchant API limits
	// (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST).
	NeedRateLimits
	// NeedChannels sends e-mail, SMS and WhatsApp (EMAIL_FROM,
	// SMS_ENABLED, WHATSAPP_PHONE_NUMBER_ID; SES, SNS grants).
	NeedChannels
	// NeedPSPNames knows which PSPs a merchant may pick without talking to
	// any (SANDBOX_ENABLED outside prod; no PSP adapter, no secret).
	NeedPSPNames
	// NeedIdentity verifies members' Cognito tokens in process against the
	// user pool's JWKS (COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID; no IAM).
	NeedIdentity
	// NeedIdentityAdmin calls the user pool: invitations, sign-in and
	// sign-out (cognito-idp:AdminCreateUser, AdminGetUser,
	// AdminInitiateAuth, AdminRespondToAuthChallenge, AdminUserGlobalSignOut
	// on the pool).
	NeedIdentityAdmin
	// NeedStatementFiles reads bank statements' files, uploaded and
	// dropped (STATEMENTS_BUCKET; s3:GetObject in the statements bucket).
	NeedStatementFiles
	// NeedStatementUpload keeps the bank statements uploaded through the
	// API (STATEMENTS_BUCKET; s3:PutObject under statements/ only).
	NeedStatementUpload
)

// PSP is a provider merchants may pick.
type PSP struct {
	Name string
	// TestOnly providers exist outside prod only, for test merchants only.
	TestOnly bool
}

// PSPs are the providers paylinks has adapters for (shared/psp/*; a test
// of the adapters holds them to this list).
var PSPs = []PSP{{Name: "stripe"}, {Name: "mollie"}, {Name: "sandbox", TestOnly: true}}

// Trigger is what invokes a function.
type Trigger string

// Triggers.
const (
	TriggerHTTP     Trigger = "http"     // API Gateway HTTP API routes
	TriggerQueue    Trigger = "queue"    // an SQS event source mapping
	TriggerStream   Trigger = "stream"   // the table's DynamoDB stream
	TriggerSchedule Trigger = "schedule" // an EventBridge schedule
	// TriggerInvoke functions have no event source and no route: only a
	// principal allowed lambda:InvokeFunction by IAM reaches them.
	TriggerInvoke Trigger = "invoke"
)

// Route is one HTTP API route (API Gateway path syntax) of a function.
type Route struct {
	Path    string
	Methods []string // GET, POST, ANY, ...
}

// Function is one Lambda: functions/<Name>.
type Function struct {
	Name     string
	Timeout  time.Duration
	Memory   int // MB
	Trigger  Trigger
	Routes   []Route // TriggerHTTP
	Consumes string  // TriggerQueue: the queue it consumes
	Sends    []string
	// DeadLetters are the queues whose DLQ the function writes itself.
	DeadLetters []string
	Needs       Need
	// TestOnly functions are not deployed in prod (the sandbox PSP).
	TestOnly bool
}

// Uses reports whether f uses all of n.
func (f Function) Uses(n Need) bool { return f.Needs&n == n }

// SendsTo reports whether f sends to queue q.
func (f Function) SendsTo(q string) bool { return slices.Contains(f.Sends, q) }

const http = TriggerHTTP

// Functions are paylinks' Lambdas, one per trigger.
var Functions = []Function{
	{Name: "api", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		Routes: []Route{{"/v1/{proxy+}", []string{"ANY"}}, {"/openapi.json", []string{"GET"}}, {"/healthz", []string{"GET"}}},
		Sends:  []string{Refunds, Send, Imports, Statements},
		Needs:  NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedLinkCodes | NeedSealer | NeedRateLimits | NeedIdentity | NeedStatementUpload},
	{Name: "create", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		Routes: []Route{{"/v1/payment-links", []string{"POST"}}},
		Sends:  []string{Send},
		Needs:  NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedLinkCodes | NeedSealer | NeedRateLimits | NeedIdentity},
	{Name: "account", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		Routes: []Route{{"/v1/settings", []string{"ANY"}}, {"/v1/api-keys", []string{"ANY"}}, {"/v1/api-keys/{proxy+}", []string{"ANY"}},
			{"/v1/webhook-deliveries", []string{"ANY"}}, {"/v1/webhook-deliveries/{proxy+}", []string{"ANY"}}, {"/v1/audit-log", []string{"ANY"}}},
		Sends: []string{Webhooks},
		Needs: NeedTable | NeedTableWrite | NeedSealer | NeedSeal | NeedPSPNames | NeedRateLimits | NeedIdentity},
	{Name: "people", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		Routes: []Route{{"/v1/members", []string{"ANY"}}, {"/v1/members/{proxy+}", []string{"ANY"}}},
		Needs:  NeedTable | NeedTableWrite | NeedSealer | NeedRateLimits | NeedIdentity | NeedIdentityAdmin},
	{Name: "customers", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		Routes: []Route{{"/v1/customers", []string{"ANY"}}, {"/v1/customers/{proxy+}", []string{"ANY"}}},
		Sends:  []string{Imports},
		Needs:  NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedSealer | NeedRateLimits | NeedIdentity},
	{Name: "dashboard", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		// The site's root (a redirect to /dashboard) and its favicon too.
		Routes: []Route{{"/dashboard", []string{"GET", "POST"}}, {"/dashboard/{proxy+}", []string{"GET", "POST"}}, {"/", []string{"GET"}}, {"/favicon.ico", []string{"GET"}}},
		Needs:  NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedIdentity | NeedIdentityAdmin},
	{Name: "redirect", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		Routes: []Route{{"/l/{proxy+}", []string{"GET", "HEAD"}}},
		Needs:  NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedLinkCodes | NeedSealer | NeedPSPs},
	{Name: "sandbox", Timeout: 10 * time.Second, Memory: 256, Trigger: http, TestOnly: true,
		Routes: []Route{{"/sandbox/{proxy+}", []string{"GET", "POST"}}},
		Needs:  NeedTable | NeedPublicBaseURL | NeedSealer | NeedPSPs},
	{Name: "webhook", Timeout: 10 * time.Second, Memory: 256, Trigger: http,
		Routes: []Route{{"/webhooks/psp/{provider}/{merchant}", []string{"POST"}}},
		Sends:  []string{PSPEvents},
		Needs:  NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedSealer | NeedPSPs},
	{Name: "apply", Timeout: 30 * time.Second, Memory: 256, Trigger: TriggerQueue, Consumes: PSPEvents,
		Needs: NeedTable | NeedTableWrite},
	{Name: "refund", Timeout: 30 * time.Second, Memory: 256, Trigger: TriggerQueue, Consumes: Refunds,
		Sends: []string{Refunds},
		Needs: NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedSealer | NeedPSPs},
	{Name: "send", Timeout: 30 * time.Second, Memory: 256, Trigger: TriggerQueue, Consumes: Send,
		Sends: []string{Send},
		Needs: NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedSealer | NeedChannels},
	{Name: "sweep", Timeout: 120 * time.Second, Memory: 512, Trigger: TriggerSchedule,
		Sends: []string{Send},
		Needs: NeedTable | NeedTableWrite},
	{Name: "import", Timeout: 120 * time.Second, Memory: 512, Trigger: TriggerQueue, Consumes: Imports,
		Sends: []string{Send},
		Needs: NeedTable | NeedTableWrite | NeedLinkCodes | NeedSealer},
	{Name: "stream", Timeout: 60 * time.Second, Memory: 256, Trigger: TriggerStream,
		Sends: []string{Webhooks, Send},
		Needs: NeedTable | NeedTableWrite | NeedPublicBaseURL | NeedSealer},
	{Name: "admin", Timeout: 30 * time.Second, Memory: 256, Trigger: TriggerInvoke,
		Needs: NeedTable | NeedTableWrite | NeedSealer | NeedSeal | NeedPSPNames | NeedIdentityAdmin},
	{Name: "deliver", Timeout: 30 * time.Second, Memory: 256, Trigger: TriggerQueue, Consumes: Webhooks,
		Sends: []string{Webhooks}, DeadLetters: []string{Webhooks},
		Needs: NeedTable | NeedTableWrite | NeedSealer},
	// Bank statements: uploads (the api) and files dropped in the bucket
	// (S3's notifications) on one queue; a long statement queues its own
	// continuation.
	{Name: "reconcile", Timeout: 300 * time.Second, Memory: 512, Trigger: TriggerQueue, Consumes: Statements,
		Sends: []string{Statements},
		Needs: NeedTable | NeedTableWrite | NeedStatementFiles},
}

// Lookup returns the function named name.
func Lookup(name string) (Function, bool) {
	i := slices.IndexFunc(Functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return Functions[i], true
}

// For are the functions deployed in a stage: all but the test-only ones in
// prod.
func For(prod bool) []Function {
	return slices.DeleteFunc(slices.Clone(Functions), func(f Function) bool { return prod && f.TestOnly })
}

// All is one function that uses everything every function uses: `make
// dev` and the tests run the whole system in one process.
func All() Function {
	all := Function{Name: "all", Needs: 0}
	for _, f := range Functions {
		all.Needs |= f.Needs
		for _, q := range f.Sends {
			if !all.SendsTo(q) {
				all.Sends = append(all.Sends, q)
			}
		}
		for _, q := range f.DeadLetters {
			if !slices.Contains(all.DeadLetters, q) {
				all.DeadLetters = append(all.DeadLetters, q)
			}
		}
	}
	return all
}

// QueueEnv is the environment variable holding a queue's URL
// ("QUEUE_URL_PSP_EVENTS"); a DLQ's is QueueEnv(name + "-dlq").
func QueueEnv(name string) string {
	return "QUEUE_URL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}
