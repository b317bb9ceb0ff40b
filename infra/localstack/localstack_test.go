// Package localstack drives the real stack deployed into LocalStack by
// infra/local/localstack.sh (start, deploy, drive). Test only: it is skipped
// unless PAYLINKS_LOCALSTACK_OUTPUTS names the stack's outputs file
// (cdklocal deploy --outputs-file) and AWS_ENDPOINT_URL points at LocalStack.
package localstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit"
)

// The deployed stack's e-mail sender (localstack.sh deploys with
// -c emailFrom=...); verified on moto, which stands in for SES v2.
const emailFrom = "paylinks@paylinks.example"

// stack is what the test reaches: the outputs and the clients.
type stack struct {
	out      map[string]string
	endpoint *url.URL
	cfg      aws.Config
	http     *http.Client
}

func deployed(t *testing.T) *stack {
	t.Helper()
	testkit.Needs(t, "LocalStack (make test-localstack)")
	path := os.Getenv("PAYLINKS_LOCALSTACK_OUTPUTS")
	if path == "" || os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("no LocalStack stack: run infra/local/localstack.sh start deploy drive (make test-localstack)")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("stack outputs: %v", err)
	}
	var all map[string]map[string]string
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatalf("stack outputs %s: %v", path, err)
	}
	out := all["paylinks-dev"]
	if out == nil {
		t.Fatalf("stack outputs %s: no paylinks-dev stack", path)
	}
	ep, err := url.Parse(os.Getenv("AWS_ENDPOINT_URL"))
	if err != nil {
		t.Fatalf("AWS_ENDPOINT_URL: %v", err)
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), config.LoadOptions()...)
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	// Function URLs are virtual hosts of LocalStack's gateway
	// (<id>.lambda-url.<region>.localhost.localstack.cloud), a name that does
	// not resolve here: every connection goes to the gateway on loopback and
	// the request keeps the URL's host.
	dial := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{
		Timeout: 90 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dial.DialContext(ctx, network, ep.Host)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &stack{out: out, endpoint: ep, cfg: cfg, http: client}
}

func (s *stack) output(t *testing.T, name string) string {
	t.Helper()
	v := s.out[name]
	if v == "" {
		t.Fatalf("stack output %s missing (deployed with -c localstack=true?)", name)
	}
	return v
}

// call sends a request to function fn's URL.
func (s *stack) call(t *testing.T, fn, method, path string, body []byte, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	base := strings.TrimRight(s.output(t, fn+"FunctionUrl"), "/")
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s through the %s function URL: %v", method, path, fn, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	if method != http.MethodGet || resp.StatusCode >= 300 {
		t.Logf("%s %s (%s function URL): %d in %v", method, path, fn, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	}
	return resp.StatusCode, resp.Header, b
}

// invoke calls function fn through Lambda's Invoke API (a signed request to
// LocalStack) and returns its payload; a function error fails the test.
func (s *stack) invoke(t *testing.T, fn string, payload []byte) []byte {
	t.Helper()
	name := s.output(t, fn+"FunctionName")
	u := s.endpoint.String() + "/2015-03-31/functions/" + url.PathEscape(name) + "/invocations"
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := s.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	sum := sha256.Sum256(payload)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", s.cfg.Region, time.Now()); err != nil {
		t.Fatalf("sign invoke: %v", err)
	}
	resp, err := (&http.Client{Timeout: 3 * time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v", fn, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("invoke %s: %d %s %s", fn, resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), b)
	}
	return b
}

// receiver is the merchant's webhook endpoint on loopback.
type receiver struct {
	mu   sync.Mutex
	got  []delivery
	addr string
}

type delivery struct {
	id, signature string
	body          map[string]any
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{addr: "http://" + ln.Addr().String() + "/paylinks"}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, delivery{req.Header.Get("webhook-id"), req.Header.Get("webhook-signature"), body})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *receiver) find(typ, linkID string) (delivery, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.got {
		data, _ := d.body["data"].(map[string]any)
		link, _ := data["link"].(map[string]any)
		if d.body["type"] == typ && link["id"] == linkID {
			return d, true
		}
	}
	return delivery{}, false
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, timeout)
	return 0
}

// operator runs `go run ./infra/admin -function fn args...` (the operators'
// command, with the environment's AWS credentials and endpoint) and decodes
// its JSON answer into v.
func operator(t *testing.T, v any, fn string, args ...string) {
	t.Helper()
	c := exec.Command("go", append([]string{"run", "./infra/admin", "-function", fn}, args...)...)
	c.Dir = filepath.Join("..", "..")
	out, err := c.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			out = append(out, ee.Stderr...)
		}
		t.Fatalf("go run ./infra/admin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("admin %s: %v\n%s", args[0], err, out)
	}
}

// merchant makes merchant id as an operator makes it: `go run ./infra/admin
// -function <AdminFunctionName>` invoking the deployed admin function with
// IAM credentials; then its settings as the merchant has them, written to
// the table (the API refuses a loopback webhook endpoint). It returns the
// merchant's API key.
func (s *stack) merchant(t *testing.T, ctx context.Context, id, webhookURL string) string {
	t.Helper()
	st := store.New(config.DynamoDB(s.cfg), s.output(t, "TableName"))
	st.Sealer = &seal.KMS{Client: kms.NewFromConfig(s.cfg), KeyID: s.output(t, "KmsKeyId")}
	var made struct {
		Merchant struct{ ID, Mode, PSP string }
	}
	operator(t, &made, s.output(t, "AdminFunctionName"), "create-merchant", "-merchant", id, "-name", "LocalStack Shop")
	if made.Merchant.ID != id || made.Merchant.Mode != "test" || made.Merchant.PSP != "sandbox" {
		t.Fatalf("admin create-merchant: %+v", made)
	}
	var issued struct{ Key struct{ Secret string } }
	operator(t, &issued, s.output(t, "AdminFunctionName"), "issue-key", "-merchant", id)
	cur, err := st.GetMerchant(ctx, id)
	if err != nil {
		t.Fatalf("the admin function's merchant %s in the stack's table: %v", id, err)
	}
	m := seed.Demo(id)
	m.WebhookURL, m.Version = webhookURL, cur.Version+1
	if err := st.UpdateMerchant(ctx, m); err != nil {
		t.Fatalf("settings of %s: %v", id, err)
	}
	return issued.Key.Secret
}

// TestDeployedStack drives the stack in LocalStack end to end: a merchant
// made by the deployed admin function through `go run ./infra/admin` (its
// secrets sealed under the stack's KMS key),
// a link created through the create function's URL with an e-mail send, the
// redirect function answering the link, the send queue's mapping running the
// send function (SES v2 on moto), the table stream's mapping running the
// stream function and the webhooks queue's the deliver function, which posts
// payment_link.created to a receiver on loopback, the sweep, and an owner
// invited by the admin function (its user pool on moto) listed by the people
// function.
func TestDeployedStack(t *testing.T) {
	s := deployed(t)
	ctx := context.Background()
	start := time.Now()

	rcv := newReceiver(t)
	id := fmt.Sprintf("ls%d", time.Now().UnixNano()%1_000_000_000)
	key := s.merchant(t, ctx, id, rcv.addr)
	// SES v2 is moto's (not in LocalStack's free edition): the stack's sender
	// identity is verified there.
	moto := os.Getenv("PAYLINKS_LOCALSTACK_MOTO")
	if moto == "" {
		t.Fatal("PAYLINKS_LOCALSTACK_MOTO: moto's endpoint (SES v2), as localstack.sh drive sets it")
	}
	ses := sesv2.NewFromConfig(s.cfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(moto) })
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(emailFrom)}); err != nil &&
		!strings.Contains(err.Error(), "AlreadyExists") {
		t.Fatalf("verify %s on moto: %v", emailFrom, err)
	}

	// Create, through the create function's URL.
	auth := map[string]string{"Authorization": "Bearer " + key}
	body := []byte(`{"amount":{"currency":"EUR","value":"120.98"},"description":"Invoice LS-1","reference":"LS-` + id + `",
	  "expires_in_days":14,"customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be","language":"nl"},
	  "send":{"channel":"email"}}`)
	code, _, b := s.call(t, "Create", http.MethodPost, "/v1/payment-links", body,
		map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json", "Idempotency-Key": "ls-" + id})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	var link struct{ ID, URL, Status string }
	if err := json.Unmarshal(b, &link); err != nil || link.ID == "" || link.Status != "created" {
		t.Fatalf("create answered %s (%v)", b, err)
	}
	i := strings.Index(link.URL, "/l/")
	if i < 0 {
		t.Fatalf("link url %q has no /l/", link.URL)
	}
	linkCode := link.URL[i+len("/l/"):]

	// Bad input through the same URL: problem+json naming the field.
	code, h, b := s.call(t, "Create", http.MethodPost, "/v1/payment-links",
		[]byte(`{"amount":{"currency":"EUR","value":"-1"},"description":"x"}`),
		map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json", "Idempotency-Key": "ls-bad-" + id})
	if code != http.StatusUnprocessableEntity || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || !bytes.Contains(b, []byte("amount")) {
		t.Errorf("bad amount: %d %s %s", code, h.Get("Content-Type"), b)
	}

	// The redirect answers the link.
	checkRedirect(t, s, linkCode)

	// The send: the send queue's mapping ran the send function, which sent
	// through SES v2 (moto) and wrote message.sent on the timeline.
	took := waitSent(t, s, link.ID, auth)
	t.Logf("send: message.sent %v after the click", took.Round(time.Millisecond))

	// The stream: the created link's stream record ran the stream function,
	// which queued the outbound event; the deliver function posted it here.
	took = eventually(t, 120*time.Second, "payment_link.created delivered to "+rcv.addr+" (stream -> stream function -> webhooks queue -> deliver)", func() bool {
		_, ok := rcv.find("payment_link.created", link.ID)
		return ok
	})
	d, _ := rcv.find("payment_link.created", link.ID)
	if d.id == "" || !strings.HasPrefix(d.signature, "v1,") {
		t.Errorf("delivery headers: webhook-id %q webhook-signature %q", d.id, d.signature)
	}
	t.Logf("stream: payment_link.created delivered %v after the send", took.Round(time.Millisecond))

	// The sweep: invoked as its schedule does (EventBridge's scheduled event).
	event := []byte(`{"version":"0","id":"ls-sweep","detail-type":"Scheduled Event","source":"aws.events","account":"000000000000",` +
		`"time":"` + time.Now().UTC().Format(time.RFC3339) + `","region":"us-east-1","resources":[],"detail":{}}`)
	out := s.invoke(t, "Sweep", event)
	t.Logf("sweep: invoked, answered %s", out)

	// People: an owner invited by the operator (the admin function calls the
	// user pool on moto) is a member, listed by the people function.
	checkInvitedOwner(t, s, id, auth)

	// The link is still open (the click made it clicked).
	code, _, b = s.call(t, "Api", http.MethodGet, "/v1/payment-links/"+link.ID, nil, auth)
	if code != http.StatusOK || !bytes.Contains(b, []byte(`"status":"clicked"`)) {
		t.Errorf("read after the drive: %d %s", code, b)
	}
	t.Logf("drive: %v", time.Since(start).Round(time.Millisecond))
}

// checkInvitedOwner invites an owner of merchant id through `go run
// ./infra/admin invite-owner` (the deployed admin function), then finds the
// person in the stack's user pool (on moto: LocalStack's free edition has no
// Cognito) and the member in GET /v1/members through the people function's
// URL, which checks the API key and reads the table.
func checkInvitedOwner(t *testing.T, s *stack, id string, auth map[string]string) {
	t.Helper()
	email := "owner-" + id + "@shop.example"
	var invited struct {
		Member struct{ ID, Email, Role, Status string }
	}
	operator(t, &invited, s.output(t, "AdminFunctionName"), "invite-owner", "-merchant", id, "-email", email)
	if invited.Member.Email != email || invited.Member.Role != "owner" || invited.Member.Status != "invited" || invited.Member.ID == "" {
		t.Fatalf("admin invite-owner: %+v", invited)
	}
	pools := cip.NewFromConfig(s.cfg, func(o *cip.Options) {
		if ep := os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	u, err := pools.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(s.output(t, "UserPoolId")), Username: aws.String(email)})
	if err != nil {
		t.Fatalf("the invited owner in the stack's user pool %s: %v", s.output(t, "UserPoolId"), err)
	}
	if u.UserStatus != "FORCE_CHANGE_PASSWORD" {
		t.Errorf("the invited owner's status in the pool: %s, want FORCE_CHANGE_PASSWORD", u.UserStatus)
	}
	code, _, b := s.call(t, "People", http.MethodGet, "/v1/members", nil, auth)
	var list struct {
		Data []struct{ ID, Email, Role, Status string }
	}
	if code != http.StatusOK || json.Unmarshal(b, &list) != nil {
		t.Fatalf("GET /v1/members through the people function: %d %s", code, b)
	}
	for _, m := range list.Data {
		if m.ID == invited.Member.ID && m.Email == email && m.Role == "owner" && m.Status == "invited" {
			t.Logf("people: owner %s invited by the admin function, in the pool and listed by the people function", m.ID)
			return
		}
	}
	t.Errorf("GET /v1/members: no invited owner %s in %s", email, b)
}

// waitSent waits for message.sent on the link's timeline (read through the
// api function's URL): the send queue's mapping ran the send function, which
// sent through SES v2 (moto).
func waitSent(t *testing.T, s *stack, linkID string, auth map[string]string) time.Duration {
	t.Helper()
	return eventually(t, 90*time.Second, "message.sent on the timeline (send queue -> send function -> SES v2 on moto)", func() bool {
		code, _, b := s.call(t, "Api", http.MethodGet, "/v1/payment-links/"+linkID+"/events", nil, auth)
		if code != http.StatusOK {
			t.Fatalf("timeline: %d %s", code, b)
		}
		var page struct{ Data []map[string]any }
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("timeline %s: %v", b, err)
		}
		for _, ev := range page.Data {
			if ev["type"] == "message.failed" {
				t.Fatalf("send failed: %v", ev)
			}
			if ev["type"] == "message.sent" {
				return true
			}
		}
		return false
	})
}

// checkRedirect: a person's click on the link goes to the sandbox checkout;
// a preview bot gets the Open Graph page.
func checkRedirect(t *testing.T, s *stack, linkCode string) {
	t.Helper()
	code, h, b := s.call(t, "Redirect", http.MethodGet, "/l/"+linkCode, nil, map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"})
	if code != http.StatusFound || !strings.Contains(h.Get("Location"), "/sandbox/checkout/") {
		t.Fatalf("click: %d Location %q %s", code, h.Get("Location"), b)
	}
	code, _, b = s.call(t, "Redirect", http.MethodGet, "/l/"+linkCode, nil, map[string]string{"User-Agent": "WhatsApp/2.23"})
	if code != http.StatusOK || !bytes.Contains(b, []byte("og:title")) {
		t.Errorf("preview: %d %s", code, b)
	}
}
