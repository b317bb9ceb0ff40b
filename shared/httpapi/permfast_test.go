package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithymw "github.com/aws/smithy-go/middleware"

	"github.com/paylinks/paylinks/shared/authcache"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/openapi"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/ddbcount"
)

// The permission rule without an emulator: every operation of the OpenAPI
// document refuses a key that lacks its x-permission (or one of its
// x-also-needs) with 403 naming it, refuses an unknown key with 401 and an
// API key on a members-only operation with 403, all decided from who calls
// before anything is read. The API's store is a DynamoDB client pointed at
// a closed port, its calls counted: a refusal makes none (one that read
// first would be seen, and answered 503). Who calls comes from a directory
// of keys in memory, behind authcache.Source (what the API's caches load
// from), which counts what it was asked.

// keyDirectory is the callers the API knows: keys by secret, one merchant.
type keyDirectory struct {
	mu       sync.Mutex
	merchant *merchant.Merchant
	keys     map[string]merchant.Key
	asked    map[string]int // UseKey, GetMerchant, Person
}

func (d *keyDirectory) UseKey(_ context.Context, secret string, _ time.Time) (merchant.Key, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked["UseKey"]++
	k, ok := d.keys[secret]
	if !ok {
		return merchant.Key{}, domain.ErrNotFound
	}
	return k, nil
}

func (d *keyDirectory) GetMerchant(_ context.Context, id string) (*merchant.Merchant, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked["GetMerchant"]++
	if id != d.merchant.ID {
		return nil, domain.ErrNotFound
	}
	return d.merchant, nil
}

func (d *keyDirectory) Person(context.Context, string) (domain.Person, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked["Person"]++
	return domain.Person{}, domain.ErrNotFound
}

// key adds a key holding perms (every permission for none) and returns
// its secret.
func (d *keyDirectory) key(t *testing.T, perms ...domain.Permission) string {
	t.Helper()
	secret, k, err := merchant.NewKey(d.merchant.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	k.Permissions = perms
	d.mu.Lock()
	d.keys[secret] = k
	d.mu.Unlock()
	return secret
}

// unreachableAPI is every /v1 route, as the api, account, people and
// customers functions serve them, over a store nothing answers; the
// counter counts its calls.
func unreachableAPI(t *testing.T) (http.Handler, *keyDirectory, *ddbcount.Counter) {
	t.Helper()
	dir := &keyDirectory{merchant: &merchant.Merchant{ID: "shop", Name: "Shop"}, keys: map[string]merchant.Key{}, asked: map[string]int{}}
	calls := ddbcount.New()
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""), APIOptions: []func(*smithymw.Stack) error{calls.Attach}})
	a := httpapi.New(store.New(db, "none"), "https://pay.shop.example", authcache.New(dir, time.Now))
	a.Limits = httpapi.NewLimits(1e6, 1e6) // hundreds of requests in a few milliseconds
	mux := http.NewServeMux()
	for _, g := range []struct {
		routes []httpapi.Route
		h      http.Handler
	}{{httpapi.Routes, a.Handler()}, {httpapi.AccountRoutes, a.AccountHandler()}, {httpapi.MemberRoutes, a.MembersHandler()}, {httpapi.CustomerRoutes, a.CustomersHandler()}} {
		for _, rt := range g.routes {
			mux.Handle(rt.Pattern, g.h)
		}
	}
	return mux, dir, calls
}

// documentedOperation is one operation of the OpenAPI document.
type documentedOperation struct {
	method, path string
	needs        []domain.Permission // x-permission, then x-also-needs
	memberOnly   bool
}

func documentedOperations(t *testing.T) []documentedOperation {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Permission domain.Permission   `json:"x-permission"`
			AlsoNeeds  []domain.Permission `json:"x-also-needs"`
			MemberOnly bool                `json:"x-member-only"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	var ops []documentedOperation
	for path, byMethod := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method, op := range byMethod {
			needs := append([]domain.Permission{op.Permission}, op.AlsoNeeds...)
			if op.MemberOnly {
				needs = nil
			}
			ops = append(ops, documentedOperation{method: strings.ToUpper(method), path: path, needs: needs, memberOnly: op.MemberOnly})
		}
	}
	slices.SortFunc(ops, func(a, b documentedOperation) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return ops
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// answer is what the API answered a request and the store calls it made;
// reached is an answer past the permission check (the endpoint's, or its
// panic on the parts this API is not given: queues, the send service).
type answer struct {
	status  int
	missing domain.Permission
	detail  string
	calls   int
	reached bool
}

func ask(t *testing.T, h http.Handler, calls *ddbcount.Counter, op documentedOperation, secret string, n int) (a answer) {
	t.Helper()
	req := httptest.NewRequest(op.method, pathParam.ReplaceAllString(op.path, "x1"), strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("fast-%d", n))
	req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4000", n/250%250, n%250+1) // the failed-key limit is per address
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	rec := httptest.NewRecorder()
	calls.Reset()
	defer func() {
		if recover() != nil {
			a = answer{reached: true, calls: calls.Total()}
		}
	}()
	h.ServeHTTP(rec, req)
	var p struct {
		Missing domain.Permission `json:"missing_permission"`
		Detail  string            `json:"detail"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	refused := rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden && (p.Missing != "" || strings.Contains(p.Detail, "only a member"))
	return answer{status: rec.Code, missing: p.Missing, detail: p.Detail, calls: calls.Total(), reached: !refused}
}

func without(all []domain.Permission, p domain.Permission) []domain.Permission {
	return slices.DeleteFunc(slices.Clone(all), func(q domain.Permission) bool { return q == p })
}

// wantRefused checks a refusal: its status, the permission it names (""
// for none) and that the store was not called.
func wantRefused(t *testing.T, what string, a answer, status int, missing domain.Permission) {
	t.Helper()
	if a.status != status || a.missing != missing || a.calls != 0 {
		t.Errorf("%s: %d missing_permission %q after %d store calls (%s), want %d missing_permission %q before any", what, a.status, a.missing, a.calls, a.detail, status, missing)
	}
}

func TestEveryOperationRefusesWhoLacksItsPermissionBeforeReading(t *testing.T) {
	h, dir, calls := unreachableAPI(t)
	ops := documentedOperations(t)
	if len(ops) < len(httpapi.AllRoutes()) {
		t.Fatalf("%d operations under /v1 in the document, %d routes", len(ops), len(httpapi.AllRoutes()))
	}
	full := dir.key(t)
	unknown, _, _ := merchant.NewKey("shop", false) // well formed, in no directory
	n, refused := 0, 0
	next := func() int { n++; return n }
	for _, op := range ops {
		name := op.method + " " + op.path
		wantRefused(t, name+" with an unknown key", ask(t, h, calls, op, unknown, next()), http.StatusUnauthorized, "")
		wantRefused(t, name+" without a credential", ask(t, h, calls, op, "", next()), http.StatusUnauthorized, "")
		refused += 2
		if op.memberOnly {
			a := ask(t, h, calls, op, full, next())
			wantRefused(t, name+" (members only) with a full API key", a, http.StatusForbidden, "")
			if !strings.Contains(a.detail, "only a member") {
				t.Errorf("%s (members only) with a full API key: %q", name, a.detail)
			}
			refused++
			continue
		}
		for i, need := range op.needs {
			// Every permission but this one.
			wantRefused(t, fmt.Sprintf("%s with every permission but %s", name, need), ask(t, h, calls, op, dir.key(t, without(domain.AllPermissions, need)...), next()), http.StatusForbidden, need)
			refused++
			if i > 0 {
				// Only the also-needed ones: refused for the first.
				wantRefused(t, fmt.Sprintf("%s with %v only", name, op.needs[1:]), ask(t, h, calls, op, dir.key(t, op.needs[1:]...), next()), http.StatusForbidden, op.needs[0])
				refused++
			}
		}
		for _, p := range domain.AllPermissions {
			if !slices.Contains(op.needs, p) {
				wantRefused(t, fmt.Sprintf("%s with only %s", name, p), ask(t, h, calls, op, dir.key(t, p), next()), http.StatusForbidden, op.needs[0])
				refused++
			}
		}
		// The control: a key holding exactly what the operation needs gets
		// past the check (the rule refuses for the permission, not always).
		if a := ask(t, h, calls, op, dir.key(t, op.needs...), next()); !a.reached {
			t.Errorf("%s with a key holding %v: refused %+v", name, op.needs, a)
		}
	}
	if dir.asked["Person"] != 0 {
		t.Errorf("API keys looked up people: %v", dir.asked)
	}
	t.Logf("%d operations, %d refusals, %d requests; the key directory was asked %v", len(ops), refused, n, dir.asked)
}
