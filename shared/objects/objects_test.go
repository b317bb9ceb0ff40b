package objects_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/objects"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var ctx = context.Background()

// Against the S3 emulator (moto): an object put is read back byte for
// byte, whatever its key's characters; a missing one is ErrNotFound; a
// bucket made twice is still one.
func TestPutOpen(t *testing.T) {
	b := testenv.NewBucket(t)
	if err := b.CreateBucket(ctx); err != nil {
		t.Fatalf("create twice: %v", err)
	}
	body := make([]byte, 3<<20)
	_, _ = rand.Read(body)
	for _, key := range []string{"statements/m1/bs_1", "drop/m1/relevé 2026-12 (1)+x.xml", "drop/m1/a%2Fb?c=d#e"} {
		if err := b.Put(ctx, key, body, "application/xml"); err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
		r, err := b.Open(ctx, key)
		if err != nil {
			t.Fatalf("open %q: %v", key, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("read %q: %d bytes, %v", key, len(got), err)
		}
	}
	if _, err := b.Open(ctx, "statements/m1/none"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a missing object: %v", err)
	}
}

// What S3 sends back decides the error: 404 is not found, 5xx and
// throttling are unavailable (tried three times), anything else is an error
// of its own; every request is signed for s3 with the payload's hash.
func TestAnswers(t *testing.T) {
	var calls int
	status, code := 0, ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		auth := r.Header.Get("Authorization")
		if !strings.Contains(auth, "/us-east-1/s3/aws4_request") || r.Header.Get("X-Amz-Content-Sha256") == "" {
			t.Errorf("unsigned request: %q", auth)
		}
		if r.URL.EscapedPath() != "/bkt/k%20y" {
			t.Errorf("path %q", r.URL.EscapedPath())
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<Error><Code>"+code+"</Code><Message>m</Message></Error>")
	}))
	defer srv.Close()
	b := &objects.Bucket{Name: "bkt", Region: "us-east-1", Endpoint: srv.URL, Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		Now: func() time.Time { return time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) }}
	for _, c := range []struct {
		status      int
		code        string
		want        error
		wantCalls   int
		unavailable bool
	}{
		{404, "NoSuchKey", domain.ErrNotFound, 1, false},
		{503, "SlowDown", domain.ErrUnavailable, 3, true},
		{500, "InternalError", domain.ErrUnavailable, 3, true},
		{403, "AccessDenied", nil, 1, false},
	} {
		status, code, calls = c.status, c.code, 0
		_, err := b.Open(ctx, "k y")
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) || calls != c.wantCalls || errors.Is(err, domain.ErrUnavailable) != c.unavailable {
			t.Errorf("%d %s: %v after %d calls", c.status, c.code, err, calls)
		}
	}
	if err := (&objects.Bucket{Name: "bkt", Region: "us-east-1", Endpoint: srv.URL}).Put(ctx, "k y", nil, ""); err == nil {
		t.Fatal("put without credentials")
	}
}
