package config_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

const all = spec.NeedTable | spec.NeedPublicBaseURL | spec.NeedLinkCodes | spec.NeedSealer | spec.NeedPSPs | spec.NeedRateLimits | spec.NeedStatementFiles

// clean empties every variable Load reads.
func clean(t *testing.T) {
	for _, k := range []string{"TABLE_NAME", "PUBLIC_BASE_URL", "SANDBOX_ENABLED", "SANDBOX_SECRET", "SANDBOX_SECRET_ARN",
		"LINK_CODE_SECRET", "LINK_CODE_SECRET_ARN", "KMS_KEY_ID", "LOCAL_SEAL_KEY", "RATE_LIMIT_PER_SECOND", "RATE_LIMIT_BURST", "STATEMENTS_BUCKET"} {
		t.Setenv(k, "")
	}
}

// A function started without what it needs refuses, naming all of it: no
// empty signing key (the sandbox's was empty when deployed), no secrets
// written unsealed.
func TestLoadRefusesWhatIsMissing(t *testing.T) {
	clean(t)
	t.Setenv("SANDBOX_ENABLED", "1")
	t.Setenv("SANDBOX_SECRET", "short")
	_, err := config.Load(context.Background(), all, nil)
	if !errors.Is(err, config.ErrMissing) {
		t.Fatalf("started without configuration: %v", err)
	}
	for _, name := range []string{"TABLE_NAME", "PUBLIC_BASE_URL", "LINK_CODE_SECRET", "SANDBOX_SECRET", "KMS_KEY_ID", "STATEMENTS_BUCKET"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s not named in %v", name, err)
		}
	}
	// The same with everything given; the sandbox secret is not needed
	// where the sandbox is off (prod).
	t.Setenv("TABLE_NAME", "t")
	t.Setenv("PUBLIC_BASE_URL", "https://pay.example/")
	t.Setenv("LINK_CODE_SECRET", strings.Repeat("c", 32))
	t.Setenv("LOCAL_SEAL_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32)))
	t.Setenv("SANDBOX_ENABLED", "")
	t.Setenv("STATEMENTS_BUCKET", "paylinks-statements")
	c, err := config.Load(context.Background(), all, nil)
	if err != nil || c.SandboxEnabled || c.PublicBaseURL != "https://pay.example" || len(c.LinkCodeSecret) != 32 || c.StatementsBucket != "paylinks-statements" {
		t.Fatalf("%+v %v", c, err)
	}
	t.Setenv("RATE_LIMIT_BURST", "many")
	if _, err := config.Load(context.Background(), all, nil); err == nil || !strings.Contains(err.Error(), "RATE_LIMIT_BURST") {
		t.Fatalf("bad rate limit accepted: %v", err)
	}
}

// Deployed, secrets come from Secrets Manager (moto's here) by ARN.
func TestLoadReadsSecretsManager(t *testing.T) {
	cfg := testenv.AWSConfig(t)
	sm := secretsmanager.NewFromConfig(cfg)
	value := strings.Repeat("s", 64)
	out, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(fmt.Sprintf("paylinks-test-%d", time.Now().UnixNano())), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("create secret on moto: %v", err)
	}
	clean(t)
	t.Setenv("LINK_CODE_SECRET_ARN", *out.ARN)
	c, err := config.Load(context.Background(), spec.NeedLinkCodes, config.SecretsManager(cfg))
	if err != nil || string(c.LinkCodeSecret) != value {
		t.Fatalf("%q %v", c.LinkCodeSecret, err)
	}
	t.Setenv("LINK_CODE_SECRET_ARN", *out.ARN+"-gone")
	if _, err := config.Load(context.Background(), spec.NeedLinkCodes, config.SecretsManager(cfg)); !errors.Is(err, config.ErrMissing) {
		t.Fatalf("an unreadable secret was accepted: %v", err)
	}
}
