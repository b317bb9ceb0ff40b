// Package config reads the functions' settings from the environment and
// builds the AWS clients once per cold start. Endpoints follow the SDK's own
// variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, ...).
package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// Config is what every function may need.
type Config struct {
	Table         string // TABLE_NAME
	PublicBaseURL string // PUBLIC_BASE_URL: base of links' url
	SandboxSecret string // SANDBOX_SECRET: signs sandbox sessions
}

// FromEnv reads the configuration.
func FromEnv() (Config, error) {
	c := Config{
		Table:         env("TABLE_NAME", "paylinks"),
		PublicBaseURL: strings.TrimRight(os.Getenv("PUBLIC_BASE_URL"), "/"),
		SandboxSecret: os.Getenv("SANDBOX_SECRET"),
	}
	if c.PublicBaseURL == "" {
		return c, fmt.Errorf("PUBLIC_BASE_URL is required")
	}
	return c, nil
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// AWS loads the SDK configuration (region, credentials, endpoints).
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, fmt.Errorf("load aws config: %w", err)
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

// Streams is the DynamoDB Streams client (the local stream reader). Locally
// the streams live on the DynamoDB emulator's endpoint.
func Streams(cfg aws.Config) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS") == "" && os.Getenv("AWS_ENDPOINT_URL") == "" {
			if u := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"); u != "" {
				o.BaseEndpoint = aws.String(u)
			}
		}
	})
}
