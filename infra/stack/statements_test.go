package stack

import (
	"slices"
	"strings"
	"testing"
)

// The bank statements' bucket, in both stages: one bucket, every public
// access blocked, encrypted, TLS only (its policy denies any request
// without it), its files expiring after 30 days; a file put under drop/
// is announced on the statements queue (no other prefix, no custom
// resource), the queue taking S3's messages of this account only, and the
// bucket made after that permission; kept in prod, removed with a dev
// stack.
func TestStatementsBucket(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		_, doc := synthProps(t, contextProps(t, stage, nil))
		buckets := logicalIDs(doc, "AWS::S3::Bucket")
		if len(buckets) != 1 || !strings.HasPrefix(buckets[0], "StatementsBucket") {
			t.Fatalf("%s: buckets %v", stage, buckets)
		}
		b := doc.Resources[buckets[0]]
		props := jsonOf(b.Properties)
		for _, want := range []string{`"BlockPublicAcls":true`, `"BlockPublicPolicy":true`, `"IgnorePublicAcls":true`, `"RestrictPublicBuckets":true`,
			`"SSEAlgorithm":"AES256"`, `"ExpirationInDays":30`, `"ObjectOwnership":"BucketOwnerEnforced"`,
			`"Event":"s3:ObjectCreated:*"`, `"Rules":[{"Name":"prefix","Value":"drop/"}]`} {
			if !strings.Contains(props, want) {
				t.Errorf("%s: the bucket lacks %s: %s", stage, want, props)
			}
		}
		queue := logicalID(doc, "AWS::SQS::Queue", "StatementsQueue")
		if !strings.Contains(props, `"Queue":`+arnOf(queue)) {
			t.Errorf("%s: the drop notification goes elsewhere: %s", stage, props)
		}
		if want := map[string]string{"dev": "Delete", "prod": "Retain"}[stage]; b.DeletionPolicy != want {
			t.Errorf("%s: deletion policy %q, want %q", stage, b.DeletionPolicy, want)
		}
		checkStatementsPolicies(t, stage, doc, buckets[0], queue)
		for _, id := range logicalIDs(doc, "AWS::CloudFormation::CustomResource") {
			t.Errorf("%s: a custom resource %s", stage, id)
		}
	}
}

func checkStatementsPolicies(t *testing.T, stage string, doc stackDoc, bucket, queue string) {
	t.Helper()
	tls := false
	for _, id := range logicalIDs(doc, "AWS::S3::BucketPolicy") {
		p := jsonOf(doc.Resources[id].Properties)
		tls = tls || (strings.Contains(p, ref(bucket)) && strings.Contains(p, `"aws:SecureTransport":"false"`) && strings.Contains(p, `"Effect":"Deny"`))
	}
	if !tls {
		t.Errorf("%s: no bucket policy denies requests without TLS", stage)
	}
	found := ""
	for _, id := range logicalIDs(doc, "AWS::SQS::QueuePolicy") {
		p := jsonOf(doc.Resources[id].Properties)
		if strings.Contains(p, `"Service":"s3.amazonaws.com"`) {
			found = id
			if !strings.Contains(p, ref(queue)) || !strings.Contains(p, `"StringEquals":{"aws:SourceAccount":`) || !strings.Contains(p, `"Action":"sqs:SendMessage"`) {
				t.Errorf("%s: S3's permission on the queue %s", stage, p)
			}
		}
	}
	if found == "" || !slices.Contains(doc.Resources[bucket].DependsOn, found) {
		t.Errorf("%s: the bucket (depends on %v) is not made after S3's permission on the queue (%q)", stage, doc.Resources[bucket].DependsOn, found)
	}
}
