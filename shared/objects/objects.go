// Package objects keeps files in an S3 bucket: Put one (a bank statement
// uploaded through the API) and Open one to read it as a stream (the
// reconcile worker). Two calls of S3's REST API, signed with the SDK's own
// Signature Version 4 signer, rather than the S3 SDK module: the api
// function, which puts the uploads, stays under its size budget
// (docs/performance.md, Function sizes), and nothing else of S3 is used.
package objects

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/paylinks/paylinks/shared/backoff"
	"github.com/paylinks/paylinks/shared/domain"
)

// Bucket is one bucket's objects.
type Bucket struct {
	Name   string
	Region string
	// Endpoint is S3's endpoint when it is not AWS's (an emulator:
	// AWS_ENDPOINT_URL_S3), addressed path-style; "" is AWS's own,
	// addressed virtual-hosted.
	Endpoint    string
	Credentials aws.CredentialsProvider
	// HTTP makes the requests (Client when nil).
	HTTP *http.Client
	// Now is the signing time (time.Now when nil).
	Now func() time.Time
}

// Client is an HTTP client with deadlines on connecting and on the
// answer's headers, and none on reading a body: a statement is read as a
// stream for as long as its processing takes (its context bounds it).
func Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
		TLSHandshakeTimeout:   time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}}
}

// tries bounds the attempts of a call that failed in transit or with a 5xx.
const tries = 3

// emptySHA256 is the payload hash of a request without a body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Put writes body as the object key (replacing one there), encrypted at
// rest by the bucket's default encryption.
func (b *Bucket) Put(ctx context.Context, key string, body []byte, contentType string) error {
	sum := sha256.Sum256(body)
	resp, err := b.do(ctx, http.MethodPut, key, body, hex.EncodeToString(sum[:]), map[string]string{"Content-Type": contentType})
	if err != nil {
		return fmt.Errorf("put object %s: %w", key, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return nil
}

// CreateBucket makes the bucket (make dev and the tests, on the emulator;
// the stack makes the deployed one): nothing when it exists and is ours.
func (b *Bucket) CreateBucket(ctx context.Context) error {
	resp, err := b.do(ctx, http.MethodPut, "", nil, emptySHA256, nil)
	var owned *codeError
	if errors.As(err, &owned) && (owned.code == "BucketAlreadyOwnedByYou" || owned.code == "BucketAlreadyExists") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", b.Name, err)
	}
	resp.Body.Close()
	return nil
}

// Open reads the object key as a stream (the caller closes it);
// domain.ErrNotFound when there is none.
func (b *Bucket) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	resp, err := b.do(ctx, http.MethodGet, key, nil, emptySHA256, nil)
	if err != nil {
		return nil, fmt.Errorf("get object %s: %w", key, err)
	}
	return resp.Body, nil
}

// do sends one signed request, again (up to tries) when it failed in
// transit or S3 answered 5xx; the answer is 2xx or the error says why.
func (b *Bucket) do(ctx context.Context, method, key string, body []byte, payloadHash string, headers map[string]string) (*http.Response, error) {
	var err error
	for try := 0; try < tries; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return nil, errors.Join(err, ctx.Err())
			case <-time.After(backoff.Delay(try)):
			}
		}
		var resp *http.Response
		resp, err = b.once(ctx, method, key, body, payloadHash, headers)
		if err == nil {
			return resp, nil
		}
		if !errors.Is(err, domain.ErrUnavailable) {
			return nil, err
		}
	}
	return nil, err
}

func (b *Bucket) once(ctx context.Context, method, key string, body []byte, payloadHash string, headers map[string]string) (*http.Response, error) {
	u, err := b.objectURL(key)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.URL = u // keeps RawPath: the path as signed is the path as sent
	req.ContentLength = int64(len(body))
	if body == nil {
		req.Body, req.GetBody = http.NoBody, nil
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := b.sign(ctx, req, payloadHash); err != nil {
		return nil, err
	}
	client := b.HTTP
	if client == nil {
		client = Client()
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, responseError(resp)
}

func (b *Bucket) sign(ctx context.Context, req *http.Request, payloadHash string) error {
	if b.Credentials == nil {
		return errors.New("no credentials to sign with")
	}
	creds, err := b.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	return signer.SignHTTP(ctx, creds, req, payloadHash, "s3", b.Region, now())
}

// objectURL is the object's URL: virtual-hosted on AWS, path-style on an
// emulator's endpoint; the key escaped once (S3's canonical path is the
// path as sent).
func (b *Bucket) objectURL(key string) (*url.URL, error) {
	if b.Name == "" {
		return nil, errors.New("no bucket named")
	}
	base := "https://" + b.Name + ".s3." + b.Region + ".amazonaws.com"
	prefix := ""
	if b.Endpoint != "" {
		base, prefix = strings.TrimRight(b.Endpoint, "/"), "/"+b.Name
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint: %w", err)
	}
	u.Path, u.RawPath = prefix+"/"+key, escape(prefix)+"/"+escape(key)
	if key == "" && prefix != "" { // the bucket itself, path-style
		u.Path, u.RawPath = prefix, escape(prefix)
	}
	return u, nil
}

// escape is S3's URI encoding of a path: every byte but the unreserved
// characters and '/' as %XX.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// responseError is what a non-2xx answer means: domain.ErrNotFound for a
// missing object, domain.ErrUnavailable for a 5xx or throttling, else
// S3's code and message.
func responseError(resp *http.Response) error {
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	_ = xml.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&e)
	err := &codeError{status: resp.StatusCode, code: e.Code, msg: e.Message}
	switch {
	case resp.StatusCode == http.StatusNotFound && (e.Code == "NoSuchKey" || e.Code == ""):
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	case resp.StatusCode >= 500 || e.Code == "SlowDown" || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return err
}

// codeError is S3's answer to a request it refused.
type codeError struct {
	status    int
	code, msg string
}

func (e *codeError) Error() string {
	return fmt.Sprintf("S3 answered %d %s: %s", e.status, e.code, e.msg)
}
