package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/paylinks/paylinks/shared/devkit/devenv"
	"github.com/paylinks/paylinks/shared/testkit/camtgen"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestDroppedStatementPaysItsLink: in make dev a camt.053 put in the
// statements bucket's drop/demo/ with the S3 SDK (moto's S3 cannot notify
// ElasticMQ: the dev server's drop watcher announces it on the statements
// queue as S3 would) pays the bank_transfer link its entry names. After a
// restart of make dev (the same state directory) the file is not
// announced again, and a second file dropped then pays its own link.
func TestDroppedStatementPaysItsLink(t *testing.T) {
	s := newStack(t)
	const key = "sk_test_devstatekill000010000000000000004QQQXi"
	dev := []string{"PAYLINKS_DEV_API_KEY=" + key, "DROP_INTERVAL=1s"}
	d := s.makeDev(t, dev...)
	client := s.s3(t)
	bucket := s.table + "-statements"

	s.enableBankTransfer(t, key)
	first := s.bankLink(t, key, "41.20")
	s.drop(t, client, bucket, "drop/demo/day 1.xml", first.ref, "41.20", "DROP-1")
	if !waitFor(45*time.Second, func() bool { return s.linkStatus(t, key, first.id) == "paid" }) {
		t.Fatalf("the dropped statement did not pay %s in 45 s (%s):\n%s", first.id, s.linkStatus(t, key, first.id), d.out)
	}
	// The link is paid before its statement's checkpoint counts it: stopped
	// between the two, make dev would leave the statement to its lease's
	// end and the queue's redelivery, later than this test waits.
	var page map[string]any
	if !waitFor(20*time.Second, func() bool { page = s.droppedDone(t, key, 1); return page == nil }) {
		t.Fatalf("the first drop's statement (want done, from drop/, its entry matched): %v", page)
	}
	s.stopDev(t, d)
	if n := announced(d, "drop/demo/day 1.xml"); n != 1 {
		t.Errorf("day 1.xml announced %d times before the restart", n)
	}

	d = s.makeDev(t, dev...)
	second := s.bankLink(t, key, "7.05")
	s.drop(t, client, bucket, "drop/demo/day-2.xml", second.ref, "7.05", "DROP-2")
	if !waitFor(45*time.Second, func() bool { return s.linkStatus(t, key, second.id) == "paid" }) {
		t.Fatalf("after the restart the second drop did not pay %s in 45 s:\n%s", second.id, d.out)
	}
	time.Sleep(3 * time.Second) // three more passes of the watcher
	if n1, n2 := announced(d, "drop/demo/day 1.xml"), announced(d, "drop/demo/day-2.xml"); n1 != 0 || n2 != 1 {
		t.Errorf("after the restart day 1.xml was announced %d times (want 0), day-2.xml %d (want 1)", n1, n2)
	}
	// The link is paid before its statement's checkpoint counts it.
	if !waitFor(20*time.Second, func() bool { page = s.droppedDone(t, key, 2); return page == nil }) {
		t.Errorf("statements after two drops (want 2, done, from drop/, each its entry matched): %v", page)
	}
}

// droppedDone is nil when the merchant has n statements, all dropped,
// done and of one matched entry; else the page it read.
func (s *stack) droppedDone(t *testing.T, key string, n int) map[string]any {
	t.Helper()
	code, page := s.api(t, key, "GET", "/v1/bank-statements?limit=10", nil)
	data, _ := page["data"].([]any)
	if code != 200 || len(data) != n {
		return page
	}
	for _, x := range data {
		st := x.(map[string]any)
		if st["source"] != "drop" || st["status"] != "done" || st["matched"] != 1.0 || st["entries"] != 1.0 {
			return page
		}
	}
	return nil
}

// enableBankTransfer turns bank_transfer on in the demo merchant's
// settings, with a default beneficiary, through the API.
func (s *stack) enableBankTransfer(t *testing.T, key string) {
	t.Helper()
	code, set := s.api(t, key, "GET", "/v1/settings", nil)
	if code != 200 {
		t.Fatalf("settings: %d %v", code, set)
	}
	methods, _ := set["payment_methods"].([]any)
	set["payment_methods"] = append(methods, "bank_transfer")
	set["default_beneficiary"] = map[string]string{"name": "Demo Shop BV", "iban": "BE71 0961 2345 6769", "bic": "GKCCBEBB"}
	for _, readOnly := range []string{"live", "merchant", "psp_credentials_set", "webhook_disabled_at", "webhook_disabled_reason", "webhook_secret_set"} {
		delete(set, readOnly)
	}
	if code, out := s.api(t, key, "PUT", "/v1/settings", set); code != 200 {
		t.Fatalf("enable bank_transfer: %d %v", code, out)
	}
}

// announced counts the watcher's announcements of key in the dev
// server's log.
func announced(d *devServer, key string) int {
	n := 0
	for _, line := range strings.Split(d.log.String(), "\n") {
		var l struct{ Msg, Key string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "statement drop announced" && l.Key == key {
			n++
		}
	}
	return n
}

type bankLinkRef struct{ id, ref string }

// bankLink creates a link paid by bank transfer and returns its id and its structured
// reference as a bank carries it (no spaces).
func (s *stack) bankLink(t *testing.T, key, amount string) bankLinkRef {
	t.Helper()
	code, l := s.api(t, key, "POST", "/v1/payment-links", map[string]any{
		"amount": map[string]string{"currency": "EUR", "value": amount}, "description": "drop test " + amount,
		"payment_methods": []string{"bank_transfer"}, "customer": map[string]string{"first_name": "Jan", "last_name": "Peeters"}})
	if code != 201 {
		t.Fatalf("create a bank_transfer link: %d %v", code, l)
	}
	bt, _ := l["bank_transfer"].(map[string]any)
	ref, _ := bt["reference"].(string)
	if ref == "" {
		t.Fatalf("the link has no bank transfer reference: %v", l)
	}
	return bankLinkRef{id: l["id"].(string), ref: strings.ReplaceAll(ref, " ", "")}
}

func (s *stack) linkStatus(t *testing.T, key, id string) string {
	t.Helper()
	_, l := s.api(t, key, "GET", "/v1/payment-links/"+id, nil)
	st, _ := l["status"].(string)
	return st
}

// s3 is an S3 client of the stack's moto (make test's, or its own).
func (s *stack) s3(t *testing.T) *s3.Client {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL_S3")
	if s.ownMoto {
		endpoint = fmt.Sprintf("http://127.0.0.1:%d", s.motoPt)
	}
	if endpoint == "" {
		t.Fatal("AWS_ENDPOINT_URL_S3: the S3 emulator's endpoint")
	}
	return devenv.S3Client(testenv.AWSConfig(t), endpoint)
}

// drop puts a camt.053 of one booked credit of amount naming ref at key.
func (s *stack) drop(t *testing.T, c *s3.Client, bucket, key, ref, amount, entryRef string) {
	t.Helper()
	body := camtgen.OneCredit(flowAccount, amount, entryRef, ref)
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("application/xml")})
	if err != nil {
		t.Fatalf("put %s in %s: %v", key, bucket, err)
	}
}

// stopDev stops make dev as Ctrl-C does and waits for it.
func (s *stack) stopDev(t *testing.T, d *devServer) {
	t.Helper()
	if err := syscall.Kill(-d.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("make dev still running 20 s after Ctrl-C:\n%s", d.out)
	}
}
