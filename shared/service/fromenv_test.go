package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/paylinks/paylinks/shared/boot"
	composecreate "github.com/paylinks/paylinks/shared/compose/create"
	composeredirect "github.com/paylinks/paylinks/shared/compose/redirect"
	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// Functions as deployed: the environment names the table, the Secrets
// Manager secrets (moto's) and the KMS key (moto's); boot reads them at
// cold start, the create function composed on it creates a link whose code
// verifies on the redirect composed the same way, and the merchant's
// secrets are sealed under KMS. The same environment less the link-code
// secret refuses to start.
// deployedEnvironment sets the environment a deployed function gets: the
// table, a KMS key and a Secrets Manager secret (moto's), no local secrets.
func deployedEnvironment(t *testing.T, ctx context.Context, cfg aws.Config, table string) {
	t.Helper()
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("moto KMS: %v", err)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	secret, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(fmt.Sprintf("paylinks-link-code-%d", time.Now().UnixNano())),
		SecretString: aws.String(strings.Repeat("q", 64))})
	if err != nil {
		t.Fatalf("moto Secrets Manager: %v", err)
	}
	for k, v := range map[string]string{"TABLE_NAME": table, "PUBLIC_BASE_URL": "https://pay.example", "KMS_KEY_ID": *key.KeyMetadata.KeyId,
		"LINK_CODE_SECRET_ARN": *secret.ARN, "SANDBOX_ENABLED": "", "LINK_CODE_SECRET": "", "LOCAL_SEAL_KEY": "",
		"COGNITO_USER_POOL_ID": "us-east-1_deployed", "COGNITO_CLIENT_ID": "deployed", "STATEMENTS_BUCKET": "paylinks-statements"} {
		t.Setenv(k, v)
	}
}

func TestFromEnvAsDeployed(t *testing.T) {
	env := testenv.New(t)
	cfg := testenv.AWSConfig(t)
	ctx := context.Background()
	deployedEnvironment(t, ctx, cfg, env.Table)
	create, err := boot.FromEnvironment(ctx, "create")
	if err != nil {
		t.Fatalf("create did not start: %v", err)
	}
	if _, ok := create.Store().Sealer.(*seal.KMS); !ok {
		t.Fatalf("sealer %T, want KMS", create.Store().Sealer)
	}
	m := seed.Demo("deployed")
	m.PSP = "stripe"
	apiKey, err := seed.Merchant(ctx, create.Store(), m, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(composecreate.Handler(composecreate.New(create)))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/payment-links", strings.NewReader(`{"amount":{"currency":"EUR","value":"9.00"},"description":"d","customer":{"company_name":"C"}}`))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create through the deployed api: %v %v", resp, err)
	}
	var link struct{ URL string }
	_ = json.NewDecoder(resp.Body).Decode(&link)
	resp.Body.Close()
	redirect, err := boot.FromEnvironment(ctx, "redirect")
	if err != nil {
		t.Fatalf("redirect did not start: %v", err)
	}
	// A link-preview bot gets the preview page: the code the api signed
	// verifies with the secret the redirect read.
	pub := httptest.NewServer(composeredirect.Handler(composeredirect.New(redirect)))
	t.Cleanup(pub.Close)
	preq, _ := http.NewRequest("GET", pub.URL+strings.TrimPrefix(link.URL, "https://pay.example"), nil)
	preq.Header.Set("User-Agent", "WhatsApp/2.23")
	presp, err := http.DefaultClient.Do(preq)
	if err != nil || presp.StatusCode != 200 {
		t.Fatalf("preview of %s: %v %v", link.URL, presp, err)
	}
	presp.Body.Close()
	// The merchant's secrets were sealed under KMS and open for another
	// function; the test store's local key cannot open them.
	got, err := redirect.Store().GetMerchant(ctx, "deployed")
	if err != nil || got.PSPWebhookSecret != m.PSPWebhookSecret {
		t.Fatalf("KMS-sealed secrets: %v", err)
	}
	if _, err := env.Store.GetMerchant(ctx, "deployed"); err == nil {
		t.Fatal("secrets sealed under KMS opened with another key")
	}
	t.Setenv("LINK_CODE_SECRET_ARN", "")
	for _, fn := range []string{"api", "create", "redirect", "import"} {
		if _, err := boot.FromEnvironment(ctx, fn); err == nil || !strings.Contains(err.Error(), "LINK_CODE_SECRET") {
			t.Fatalf("%s started without its link-code secret: %v", fn, err)
		}
	}
	for _, fn := range []string{"apply", "send", "stream", "deliver", "webhook", "refund", "reconcile"} {
		if _, err := boot.FromEnvironment(ctx, fn); err != nil {
			t.Fatalf("%s needs no link-code secret: %v", fn, err)
		}
	}
	// A table of another key layout: no function starts on it.
	if _, err := env.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(env.Table),
		Key:              map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "META"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "LAYOUT"}},
		UpdateExpression: aws.String("SET version = :v"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": &ddbtypes.AttributeValueMemberN{Value: "1"}}}); err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"apply", "stream"} {
		if _, err := boot.FromEnvironment(ctx, fn); !errors.Is(err, store.ErrLayout) {
			t.Fatalf("%s started on a v1 table: %v", fn, err)
		}
	}
}
