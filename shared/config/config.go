// Package config reads the functions' settings from the environment and
// builds the AWS clients once per cold start. Endpoints follow the SDK's own
// variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, ...).
package config

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/paylinks/paylinks/shared/spec"
)

// Config is a function's settings, read once at cold start.
type Config struct {
	Table         string // TABLE_NAME
	PublicBaseURL string // PUBLIC_BASE_URL: base of links' url
	// SandboxEnabled is SANDBOX_ENABLED=1: the sandbox PSP exists (test
	// stages and make dev only; a prod stack sets nothing).
	SandboxEnabled bool
	// SandboxSecret signs sandbox checkout sessions (SANDBOX_SECRET, or the
	// Secrets Manager secret SANDBOX_SECRET_ARN names).
	SandboxSecret []byte
	// LinkCodeSecret signs links' public codes (LINK_CODE_SECRET or
	// LINK_CODE_SECRET_ARN).
	LinkCodeSecret []byte
	// KMSKeyID seals merchants' secrets (KMS_KEY_ID); LocalSealKey (base64 of
	// 32 bytes in LOCAL_SEAL_KEY) stands in for it in make dev.
	KMSKeyID     string
	LocalSealKey []byte
	// RateLimit and RateBurst are the per-merchant API limit
	// (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST; zero when unset: the API's
	// defaults, httpapi.NewLimits).
	RateLimit float64
	RateBurst int
	// UserPoolID and UserPoolClientID are the members' Cognito user pool
	// and the dashboard's app client (COGNITO_USER_POOL_ID,
	// COGNITO_CLIENT_ID); CognitoEndpoint is cognito-idp's endpoint when it
	// is not AWS's (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER or
	// AWS_ENDPOINT_URL: moto).
	UserPoolID, UserPoolClientID, CognitoEndpoint string
	// StatementsBucket keeps bank statements' files (STATEMENTS_BUCKET);
	// S3Endpoint is S3's endpoint when it is not AWS's
	// (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: moto).
	StatementsBucket, S3Endpoint string
}

// MinSecret is the shortest signing secret accepted (256 bits).
const MinSecret = 32

// SecretReader fetches a Secrets Manager secret's value.
type SecretReader func(ctx context.Context, id string) (string, error)

// Load reads the configuration a function needs and refuses (one error
// naming everything missing) when any of it is absent, so a function never
// starts half-configured: no empty signing key, no unsealed secrets.
func Load(ctx context.Context, need spec.Need, secrets SecretReader) (Config, error) {
	c := Config{
		Table:          os.Getenv("TABLE_NAME"),
		PublicBaseURL:  strings.TrimRight(os.Getenv("PUBLIC_BASE_URL"), "/"),
		SandboxEnabled: os.Getenv("SANDBOX_ENABLED") == "1",
		KMSKeyID:       os.Getenv("KMS_KEY_ID"),
	}
	var missing []string
	if need&spec.NeedTable != 0 && c.Table == "" {
		missing = append(missing, "TABLE_NAME")
	}
	if need&spec.NeedPublicBaseURL != 0 && c.PublicBaseURL == "" {
		missing = append(missing, "PUBLIC_BASE_URL")
	}
	secret := func(name string) []byte {
		v, err := secretValue(ctx, name, secrets)
		if err != nil {
			missing = append(missing, err.Error())
			return nil
		}
		return v
	}
	if need&spec.NeedLinkCodes != 0 {
		c.LinkCodeSecret = secret("LINK_CODE_SECRET")
	}
	if need&spec.NeedPSPs != 0 && c.SandboxEnabled {
		c.SandboxSecret = secret("SANDBOX_SECRET")
	}
	if need&(spec.NeedSealer|spec.NeedSeal) != 0 && c.KMSKeyID == "" {
		k, err := base64.StdEncoding.DecodeString(os.Getenv("LOCAL_SEAL_KEY"))
		if err != nil || len(k) != 32 {
			missing = append(missing, "KMS_KEY_ID (or LOCAL_SEAL_KEY, 32 bytes in base64, for make dev)")
		}
		c.LocalSealKey = k
	}
	if need&(spec.NeedIdentity|spec.NeedIdentityAdmin) != 0 {
		c.UserPoolID, c.UserPoolClientID = os.Getenv("COGNITO_USER_POOL_ID"), os.Getenv("COGNITO_CLIENT_ID")
		c.CognitoEndpoint = os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
		if c.CognitoEndpoint == "" {
			c.CognitoEndpoint = os.Getenv("AWS_ENDPOINT_URL")
		}
		if c.UserPoolID == "" || c.UserPoolClientID == "" {
			missing = append(missing, "COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID")
		}
	}
	if need&spec.NeedRateLimits != 0 {
		c.RateLimit, c.RateBurst = rateLimits(&missing)
	}
	if need&(spec.NeedStatementFiles|spec.NeedStatementUpload) != 0 {
		c.StatementsBucket, c.S3Endpoint = statementsBucket(&missing)
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("%w: %s", ErrMissing, strings.Join(missing, "; "))
	}
	return c, nil
}

// statementsBucket reads STATEMENTS_BUCKET and S3's endpoint.
func statementsBucket(missing *[]string) (bucket, endpoint string) {
	bucket, endpoint = os.Getenv("STATEMENTS_BUCKET"), os.Getenv("AWS_ENDPOINT_URL_S3")
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if bucket == "" {
		*missing = append(*missing, "STATEMENTS_BUCKET")
	}
	return bucket, endpoint
}

// rateLimits reads RATE_LIMIT_PER_SECOND and RATE_LIMIT_BURST (zero when
// unset: the API's defaults).
func rateLimits(missing *[]string) (perSecond float64, burst int) {
	if v := os.Getenv("RATE_LIMIT_PER_SECOND"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			*missing = append(*missing, "RATE_LIMIT_PER_SECOND (a positive number)")
		}
		perSecond = f
	}
	if v := os.Getenv("RATE_LIMIT_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			*missing = append(*missing, "RATE_LIMIT_BURST (a positive integer)")
		}
		burst = n
	}
	return perSecond, burst
}

// ErrMissing is a function started without what it needs.
var ErrMissing = errors.New("configuration missing or invalid")

// secretValue reads NAME (the value itself: make dev, tests) or NAME_ARN
// (a Secrets Manager secret: deployed); either way at least MinSecret bytes.
func secretValue(ctx context.Context, name string, read SecretReader) ([]byte, error) {
	v := os.Getenv(name)
	if v == "" {
		if arn := os.Getenv(name + "_ARN"); arn != "" {
			if read == nil {
				return nil, fmt.Errorf("%s_ARN set but no Secrets Manager client", name)
			}
			got, err := read(ctx, arn)
			if err != nil {
				return nil, fmt.Errorf("%s_ARN: %v", name, err)
			}
			v = got
		}
	}
	if len(v) < MinSecret {
		return nil, fmt.Errorf("%s or %s_ARN (a secret of at least %d bytes)", name, name, MinSecret)
	}
	return []byte(v), nil
}

// SecretsManager reads secrets with the Secrets Manager client.
func SecretsManager(cfg aws.Config) SecretReader {
	c := secretsmanager.NewFromConfig(cfg)
	return func(ctx context.Context, id string) (string, error) {
		out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return "", fmt.Errorf("get secret: %w", err)
		}
		if out.SecretString == nil {
			return "", errors.New("secret has no string value")
		}
		return *out.SecretString, nil
	}
}

// Deadlines of the calls to AWS: an attempt that has not answered in
// AttemptTimeout is abandoned (and retried by the SDK, MaxAttempts in all),
// so a frozen dependency costs a request seconds, not minutes.
const (
	AttemptTimeout = 5 * time.Second
	MaxAttempts    = 3
)

// HTTPClient is the SDK's HTTP client with deadlines on connecting, on the
// answer's headers and on the whole attempt.
func HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTimeout(AttemptTimeout).WithDialerOptions(func(d *net.Dialer) {
		d.Timeout = time.Second
	}).WithTransportOptions(func(t *http.Transport) {
		t.ResponseHeaderTimeout = AttemptTimeout
		t.TLSHandshakeTimeout = time.Second
	})
}

// LoadOptions are the SDK options every client of paylinks is made with.
func LoadOptions() []func(*awsconfig.LoadOptions) error {
	return []func(*awsconfig.LoadOptions) error{
		awsconfig.WithHTTPClient(HTTPClient()),
		awsconfig.WithRetryMaxAttempts(MaxAttempts),
	}
}

// AWS loads the SDK configuration (region, credentials, endpoints).
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, LoadOptions()...)
	if err != nil {
		return cfg, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}

// ErrNoEnvCredentials: a function found no credentials in its environment
// (Lambda always sets them; make dev and the tests set their own).
var ErrNoEnvCredentials = errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")

// Function is the SDK configuration of a function: region, credentials and
// endpoints from the environment only, as Lambda gives them (the role's
// keys and session token in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN). Unlike AWS, it does not link the shared-file, SSO,
// STS and container credential providers a function never calls (about
// 450 KB of each binary: docs/performance.md, Function sizes); the
// endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) are
// read as LoadDefaultConfig reads them, through the environment as a
// configuration source.
func Function() (aws.Config, error) {
	env, err := awsconfig.NewEnvConfig()
	if err != nil {
		return aws.Config{}, fmt.Errorf("read aws environment: %w", err)
	}
	if !env.Credentials.HasKeys() {
		return aws.Config{}, ErrNoEnvCredentials
	}
	if env.Region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set")
	}
	cfg := aws.Config{
		Region:           env.Region,
		Credentials:      aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: env.Credentials}),
		HTTPClient:       HTTPClient(),
		RetryMaxAttempts: MaxAttempts,
		ConfigSources:    []any{env},
	}
	if env.BaseEndpoint != "" {
		cfg.BaseEndpoint = aws.String(env.BaseEndpoint)
	}
	return cfg, nil
}

// DynamoDB builds the client.
func DynamoDB(cfg aws.Config, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){LocalDynamoDB}, opts...)...)
}

// LocalDynamoDB turns off CRC32 response validation when an emulator
// endpoint is set: DynamoDB Local's error responses carry none that match.
func LocalDynamoDB(o *dynamodb.Options) {
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
		o.DisableValidateResponseChecksum = true
	}
}

// Logger is the JSON logger every function writes with (Lambda's JSON log
// format: one object per line on stdout).
func Logger() *slog.Logger {
	level := slog.LevelInfo
	if strings.EqualFold(os.Getenv("LOG_LEVEL"), "debug") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}
