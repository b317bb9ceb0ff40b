// Package devenv is the local runtime behind `make dev`: it bootstraps the
// emulators (table, queues), seeds the demo merchant and serves every HTTP
// function on one port.
package devenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/seed"
	"github.com/paylinks/paylinks/shared/store"
)

// Bootstrap creates the table (when missing) and seeds the demo merchant
// with apiKey (a new key when empty). It returns the key.
func Bootstrap(ctx context.Context, db *dynamodb.Client, table, merchantID, apiKey string) (string, error) {
	if err := store.CreateTable(ctx, db, table); err != nil {
		return "", err
	}
	st := store.New(db, table)
	key, err := seed.Merchant(ctx, st, seed.Demo(merchantID), apiKey)
	if err != nil {
		return "", fmt.Errorf("seed %s: %w", merchantID, err)
	}
	return key, nil
}
