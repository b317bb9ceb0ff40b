package config_test

import (
	"context"
	"errors"
	"testing"

	"github.com/paylinks/paylinks/shared/config"
)

// TestFunctionConfigFromEnvironment: a function's SDK configuration takes
// its region, keys, session token and endpoints from the environment, as
// Lambda gives them, and refuses to start without keys or region.
func TestFunctionConfigFromEnvironment(t *testing.T) {
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	cfg, err := config.Function()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:1" || cfg.RetryMaxAttempts != config.MaxAttempts || cfg.HTTPClient == nil {
		t.Fatalf("config: region %q, endpoint %v, attempts %d", cfg.Region, cfg.BaseEndpoint, cfg.RetryMaxAttempts)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
		t.Fatalf("credentials %+v, %v", creds, err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if _, err := config.Function(); !errors.Is(err, config.ErrNoEnvCredentials) {
		t.Fatalf("without keys: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_REGION", "")
	if _, err := config.Function(); err == nil {
		t.Fatal("a configuration without a region")
	}
}
