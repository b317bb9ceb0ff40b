// Package devenv is the local runtime behind `make dev`: it bootstraps the
// emulators (table, queues), seeds the demo merchant and serves every HTTP
// function on one port.
package devenv

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/objects"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// Queues creates every queue (and DLQ) with the prefix and returns their
// URLs by name.
func Queues(ctx context.Context, c *sqs.Client, prefix string) (map[string]string, error) {
	urls := map[string]string{}
	for _, d := range queue.Defs {
		u, err := queue.Create(ctx, c, prefix, d, 0)
		if err != nil {
			return nil, err
		}
		urls[d.Name] = u
	}
	return urls, nil
}

// Consume polls every queue into its consumer until ctx ends, as Lambda's
// event source mappings do.
func Consume(ctx context.Context, log *slog.Logger, c *sqs.Client, urls map[string]string, consumers map[string]queue.Handler) {
	for name, h := range consumers {
		go queue.Poll(ctx, log, c, name, urls[name], h)
	}
}

// Every runs f every interval until ctx ends, as an EventBridge schedule
// would, each run bounded by the interval.
func Every(ctx context.Context, interval time.Duration, f func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, interval)
			f(rctx)
			cancel()
		}
	}
}

// Bootstrap creates the table (when missing) and, at the first start only,
// the demo merchant with the state directory's secrets; later starts keep
// its settings. apiKey (sec.APIKey when empty) is added when the merchant
// lacks it. It returns the key.
func Bootstrap(ctx context.Context, db *dynamodb.Client, table, merchantID string, sec Secrets, apiKey string) (string, error) {
	if err := CheckKey(apiKey); err != nil {
		return "", err
	}
	if err := store.CreateTable(ctx, db, table); err != nil {
		return "", err
	}
	if apiKey == "" {
		apiKey = sec.APIKey
	}
	st := store.New(db, table)
	sealer, err := sec.Sealer()
	if err != nil {
		return "", err
	}
	st.Sealer = sealer
	if _, err := seed.MerchantOnce(ctx, st, seed.DemoWith(merchantID, sec.PSPWebhookSecret, sec.WebhookSecret), apiKey); err != nil {
		return "", fmt.Errorf("seed %s: %w", merchantID, err)
	}
	return apiKey, nil
}

// StatementsBucket makes the bank statements' bucket on the S3 emulator
// (moto, which keeps it in memory: made again at every start) and returns
// it.
func StatementsBucket(ctx context.Context, awsCfg aws.Config, name, endpoint string) (*objects.Bucket, error) {
	b := &objects.Bucket{Name: name, Region: awsCfg.Region, Endpoint: endpoint, Credentials: awsCfg.Credentials}
	if err := b.CreateBucket(ctx); err != nil {
		return nil, fmt.Errorf("statements bucket (is moto running? make emulators-start): %w", err)
	}
	return b, nil
}

// S3Client is an S3 client of the emulator at endpoint (path-style, as
// moto serves buckets), or of AWS when endpoint is "".
func S3Client(awsCfg aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true
		}
	})
}
