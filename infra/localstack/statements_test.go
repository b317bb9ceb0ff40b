package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/camtgen"
)

// TestDroppedStatementPaysItsLink: a camt.053 put in the deployed
// statements bucket's drop/<merchant>/ is announced by S3's ObjectCreated
// notification (the bucket's own NotificationConfiguration) on the
// statements queue, whose event source mapping runs the deployed reconcile
// function: the bank_transfer link the entry names, created through the
// create function's URL, is paid, and the statement (source drop) is done
// with its one entry matched.
func TestDroppedStatementPaysItsLink(t *testing.T) {
	s := deployed(t)
	ctx := context.Background()
	id := fmt.Sprintf("lsd%d", time.Now().UnixNano()%1_000_000_000)
	key := s.merchant(t, ctx, id, "")
	s.enableBankTransfer(t, ctx, id)
	auth := map[string]string{"Authorization": "Bearer " + key}

	body := []byte(`{"amount":{"currency":"EUR","value":"63.10"},"description":"Invoice LS-BANK","payment_methods":["bank_transfer"],
	  "customer":{"first_name":"Ana","last_name":"Peeters"}}`)
	code, _, b := s.call(t, "Create", http.MethodPost, "/v1/payment-links", body,
		map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json", "Idempotency-Key": "lsd-" + id})
	var link struct {
		ID           string
		BankTransfer struct{ Reference string } `json:"bank_transfer"`
	}
	if code != http.StatusCreated || json.Unmarshal(b, &link) != nil || link.BankTransfer.Reference == "" {
		t.Fatalf("create a bank_transfer link: %d %s", code, b)
	}

	bucket := s.output(t, "StatementsBucketName")
	objKey := "drop/" + id + "/statement 1.xml"
	file := camtgen.OneCredit("BE71096123456769", "63.10", "LS-"+id, strings.ReplaceAll(link.BankTransfer.Reference, " ", ""))
	c := s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(s.endpoint.String()), true })
	start := time.Now()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(objKey), Body: bytes.NewReader(file),
		ContentType: aws.String("application/xml")}); err != nil {
		t.Fatalf("put %s in %s: %v", objKey, bucket, err)
	}
	took := eventually(t, 120*time.Second, "the dropped statement pays "+link.ID+" (S3 notification -> statements queue -> reconcile)", func() bool {
		code, _, b := s.call(t, "Api", http.MethodGet, "/v1/payment-links/"+link.ID, nil, auth)
		return code == http.StatusOK && bytes.Contains(b, []byte(`"status":"paid"`))
	})
	t.Logf("statements: a drop paid its link %v after the put", took.Round(time.Millisecond))

	// The link is paid before the statement's checkpoint counts it.
	eventually(t, 30*time.Second, "one statement, dropped, done, its entry matched", func() bool {
		code, _, b := s.call(t, "Api", http.MethodGet, "/v1/bank-statements", nil, auth)
		var page struct {
			Data []struct {
				Source, Status   string
				Entries, Matched int
			}
		}
		if code != http.StatusOK || json.Unmarshal(b, &page) != nil {
			t.Fatalf("GET /v1/bank-statements: %d %s", code, b)
		}
		return len(page.Data) == 1 && page.Data[0].Source == "drop" && page.Data[0].Status == "done" && page.Data[0].Entries == 1 && page.Data[0].Matched == 1
	})
	t.Logf("statements: %v from the put to the statement done", time.Since(start).Round(time.Millisecond))
}

// enableBankTransfer turns bank_transfer on in merchant id's settings,
// with a default beneficiary (written to the stack's table, as merchant
// writes the others).
func (s *stack) enableBankTransfer(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	st := store.New(config.DynamoDB(s.cfg), s.output(t, "TableName"))
	st.Sealer = &seal.KMS{Client: kms.NewFromConfig(s.cfg), KeyID: s.output(t, "KmsKeyId")}
	m, err := st.GetMerchant(ctx, id)
	if err != nil {
		t.Fatalf("merchant %s: %v", id, err)
	}
	m.PaymentMethods = append(m.PaymentMethods, domain.MethodBankTransfer)
	m.DefaultBeneficiary = &domain.Beneficiary{Name: "LocalStack Shop BV", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}
	m.Version++
	if err := st.UpdateMerchant(ctx, m); err != nil {
		t.Fatalf("settings of %s: %v", id, err)
	}
}
