package outbound

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// rawServer accepts connections on loopback and hands each to serve.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// Real failures of the delivery client, each recorded as its category:
// one of a fixed set of words, whatever the failure.
func TestFailureCategories(t *testing.T) {
	loop := Guard{AllowLoopback: true}
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(time.Second) }))
	t.Cleanup(slow.Close)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake the client refuses
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	hangUp := rawServer(t, func(c net.Conn) { _ = c.Close() })
	reset := rawServer(t, func(c net.Conn) {
		_ = c.(*net.TCPConn).SetLinger(0)
		buf := make([]byte, 1)
		_, _ = c.Read(buf)
		_ = c.Close()
	})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		g    Guard
		ctx  context.Context
		url  string
		want []string
	}{
		{loop, nil, "http://127.0.0.1:" + closedLoopbackPort(t) + "/", []string{FailRefused}},
		{Guard{}, nil, plain.URL + "/", []string{FailRefusedAddress}},
		{loop, nil, "http://[::1%25lo]:" + closedLoopbackPort(t) + "/", []string{FailRefusedAddress}},
		{Guard{}, nil, "https://hooks.invalid/", []string{FailDNS}},
		{loop, nil, slow.URL + "/", []string{FailTimeout}},
		{loop, nil, tlsSrv.URL + "/", []string{FailTLS}},
		{loop, nil, strings.Replace(plain.URL, "http:", "https:", 1) + "/", []string{FailTLS}},
		{loop, nil, "http://" + hangUp + "/", []string{FailClosed, FailReset}},
		{loop, nil, "http://" + reset + "/", []string{FailReset, FailClosed}},
		{loop, canceled, plain.URL + "/", []string{FailCanceled}},
	}
	for _, c := range cases {
		client := c.g.Client()
		client.Timeout = 300 * time.Millisecond
		ctx := c.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader("{}"))
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: answered %d", c.url, resp.StatusCode)
			continue
		}
		got := failureCategory(err)
		if !contains(c.want, got) {
			t.Errorf("%s: %v recorded as %q, want one of %q", c.url, err, got, c.want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func closedLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr[strings.LastIndexByte(addr, ':')+1:]
}

// The operators' log keeps the failure's detail, but not the endpoint URL
// (its query may hold the merchant's token); the attempt keeps neither.
func TestAttemptLogsDetailWithoutTheURL(t *testing.T) {
	var logged bytes.Buffer
	port := closedLoopbackPort(t)
	w := &Deliverer{Client: Guard{AllowLoopback: true}.Client(), Log: slog.New(slog.NewJSONHandler(&logged, nil)),
		Merchants: func(context.Context, string) (*merchant.Merchant, error) {
			return &merchant.Merchant{ID: "acme", WebhookURL: "http://127.0.0.1:" + port + "/hook?token=s3cret",
				WebhookSecrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, nil
		}}
	a, code := w.attempt(context.Background(), &store.Delivery{ID: "msg_1", Merchant: "acme", Body: "{}"}, time.Now())
	if code != 0 || a.Error != FailRefused || a.StatusCode != 0 {
		t.Fatalf("attempt %+v, code %d", a, code)
	}
	line := logged.String()
	if !strings.Contains(line, "connection refused") || !strings.Contains(line, port) || strings.Contains(line, "s3cret") || strings.Contains(line, "whsec_") {
		t.Fatalf("log line %s", line)
	}
}
