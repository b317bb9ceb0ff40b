package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/seed"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testenv"
)

// A function as deployed: its environment names the table, the Secrets
// Manager secrets (moto's) and the KMS key (moto's); FromEnv reads them at
// cold start, and the API it builds creates a link whose code verifies on
// the redirect built the same way, and seals the merchant's secrets under
// KMS. The same environment less the link-code secret refuses to start.
func TestFromEnvAsDeployed(t *testing.T) {
	env := testenv.New(t)
	cfg := testenv.AWSConfig(t)
	ctx := context.Background()
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
	for k, v := range map[string]string{"TABLE_NAME": env.Table, "PUBLIC_BASE_URL": "https://pay.example", "KMS_KEY_ID": *key.KeyMetadata.KeyId,
		"LINK_CODE_SECRET_ARN": *secret.ARN, "SANDBOX_ENABLED": "", "LINK_CODE_SECRET": "", "LOCAL_SEAL_KEY": ""} {
		t.Setenv(k, v)
	}
	api, _, err := service.FromEnv(ctx, "api")
	if err != nil {
		t.Fatalf("api did not start: %v", err)
	}
	if _, ok := api.Store.Sealer.(*seal.KMS); !ok {
		t.Fatalf("sealer %T, want KMS", api.Store.Sealer)
	}
	m := seed.Demo("deployed")
	m.PSP = "stripe"
	apiKey, err := seed.Merchant(ctx, api.Store, m, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.APIFunctionHandler())
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
	redirect, _, err := service.FromEnv(ctx, "redirect")
	if err != nil {
		t.Fatalf("redirect did not start: %v", err)
	}
	// A link-preview bot gets the preview page: the code the api signed
	// verifies with the secret the redirect read.
	pub := httptest.NewServer(redirect.PublicHandler())
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
	got, err := redirect.Store.GetMerchant(ctx, "deployed")
	if err != nil || got.PSPWebhookSecret != m.PSPWebhookSecret {
		t.Fatalf("KMS-sealed secrets: %v", err)
	}
	if _, err := env.Store.GetMerchant(ctx, "deployed"); err == nil {
		t.Fatal("secrets sealed under KMS opened with another key")
	}
	t.Setenv("LINK_CODE_SECRET_ARN", "")
	if _, _, err := service.FromEnv(ctx, "api"); err == nil || !strings.Contains(err.Error(), "LINK_CODE_SECRET") {
		t.Fatalf("api started without its link-code secret: %v", err)
	}
	if _, _, err := service.FromEnv(ctx, "apply"); err != nil {
		t.Fatalf("apply needs no link-code secret: %v", err)
	}
}
