// Package paylinks is the Go client of the paylinks API.
//
// Package api (generated from the OpenAPI document with oapi-codegen) holds
// every operation and type; this package adds what a caller should not have
// to write: the API key on every request, an Idempotency-Key on every POST
// (kept on the client's own retries), retries of what can be retried,
// problem+json answers as *Error, cursor pagination as iterators and the
// verification of Standard Webhooks. Money is a decimal string
// (api.Money.Value, api.MoneyInput.Value), never a float.
package paylinks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/paylinks/paylinks/clients/go/api"
)

// Client calls one paylinks API with one API key.
type Client struct {
	// API is the generated client: every operation of the document, its
	// answer parsed. An answer 400 or above comes back as an *Error.
	API *api.ClientWithResponses
}

// Option changes a Client made by New.
type Option func(*transport)

// WithHTTPClient sends the requests with hc (default: a client with a 30 s
// timeout).
func WithHTTPClient(hc *http.Client) Option { return func(t *transport) { t.hc = hc } }

// WithRetries is how many times a request that failed in a way worth
// retrying (no answer, 429, 502, 503, 504) is sent again; default 2, 0
// turns retries off.
func WithRetries(n int) Option { return func(t *transport) { t.retries = n } }

// New returns a client of the API at baseURL (http://127.0.0.1:8080 for make
// dev) that authenticates with apiKey (sk_test_... or sk_live_...).
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		return nil, errors.New("paylinks: an API key is needed")
	}
	t := &transport{key: apiKey, hc: &http.Client{Timeout: 30 * time.Second}, retries: 2, sleep: sleepCtx}
	for _, o := range opts {
		o(t)
	}
	c, err := api.NewClientWithResponses(baseURL, api.WithHTTPClient(t))
	if err != nil {
		return nil, fmt.Errorf("paylinks: %w", err)
	}
	return &Client{API: c}, nil
}

// IdempotencyKey returns a new random Idempotency-Key.
func IdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "idem_" + hex.EncodeToString(b[:])
}

// transport is the generated client's HttpRequestDoer.
type transport struct {
	key     string
	hc      *http.Client
	retries int
	sleep   func(ctx context.Context, d time.Duration) error
}

// Do authenticates req, gives a POST its Idempotency-Key (unless the caller
// set one), sends it, retries it when that is safe and worth it, and turns
// an answer 400 or above into an *Error.
func (t *transport) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+t.key)
	if req.Method == http.MethodPost && req.Header.Get("Idempotency-Key") == "" {
		req.Header.Set("Idempotency-Key", IdempotencyKey())
	}
	retryable := req.Method != http.MethodPatch && (req.Body == nil || req.GetBody != nil)
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("paylinks: %s %s: %w", req.Method, req.URL.Path, err)
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := t.hc.Do(r)
		if !retryable || attempt >= t.retries || !worthRetrying(req.Context(), resp, err) {
			if err != nil {
				return nil, fmt.Errorf("paylinks: %s %s: %w", req.Method, req.URL.Path, err)
			}
			if resp.StatusCode >= 400 {
				return nil, readError(resp)
			}
			return resp, nil
		}
		wait := backoff(attempt, resp)
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, fmt.Errorf("paylinks: %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
}

func worthRetrying(ctx context.Context, resp *http.Response, err error) bool {
	if err != nil {
		return ctx.Err() == nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the wait before retry attempt+1: the answer's Retry-After
// (seconds, at most 30) or 0.5 s, 1 s, 2 s...
func backoff(attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, 30*time.Second)
		}
	}
	return (500 * time.Millisecond) << min(attempt, 5)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// readError reads an answer 400 or above (and closes it).
func readError(resp *http.Response) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("paylinks: %s %s: %d, reading the answer: %w", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, err)
	}
	return parseError(resp.StatusCode, bytes.TrimSpace(body))
}
