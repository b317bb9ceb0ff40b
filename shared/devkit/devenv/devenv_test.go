package devenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// freshTable names a table of its own on the DynamoDB emulator (make test
// starts it) and drops it when the test ends.
func freshTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	db := config.DynamoDB(testenv.AWSConfig(t))
	var b [6]byte
	_, _ = rand.Read(b[:])
	table := "devenv-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return db, table
}

// TestRestartKeepsTheDemoMerchant: a second start (make dev after a crash or
// a stop) keeps the settings changed through the API and the first key, and
// adds a newly chosen PAYLINKS_DEV_API_KEY beside it.
func TestRestartKeepsTheDemoMerchant(t *testing.T) {
	ctx := context.Background()
	db, table := freshTable(t)
	const first, second = "sk_test_devstatefirst00010000000000000003u7DHk", "sk_test_devstatesecond00200000000000000036Z3XV"
	sec, err := LoadSecrets(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Bootstrap(ctx, db, table, "demo", sec, first); err != nil {
		t.Fatal(err)
	}
	st := sealedStore(t, db, table, sec)
	m := changeDemoSettings(ctx, t, st)
	if _, err := Bootstrap(ctx, db, table, "demo", sec, second); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetMerchant(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if got.WebhookURL != m.WebhookURL || !slices.Equal(got.RedirectDomains, m.RedirectDomains) ||
		!slices.Equal(got.PaymentMethods, m.PaymentMethods) || got.Name != m.Name || got.Version != m.Version {
		t.Errorf("restart reset the demo merchant: got %+v, want the settings of %+v", got, m)
	}
	if got.PSPWebhookSecret != sec.PSPWebhookSecret || !slices.Equal(got.WebhookSecrets, []string{sec.WebhookSecret}) {
		t.Errorf("the demo merchant does not have the state directory's secrets")
	}
	for _, k := range []string{first, second} {
		if got, err := st.LookupKey(ctx, k); err != nil || got.Merchant != "demo" {
			t.Errorf("key ending %s after restart: merchant %q, %v", k[len(k)-4:], got.Merchant, err)
		}
	}
	// Without PAYLINKS_DEV_API_KEY the state directory's key is the one.
	key, err := Bootstrap(ctx, db, table, "demo", sec, "")
	if err != nil || key != sec.APIKey {
		t.Fatalf("no key chosen: got %v, want the state file's", err)
	}
	if got, err := st.LookupKey(ctx, key); err != nil || got.Merchant != "demo" {
		t.Errorf("state file's key: merchant %q, %v", got.Merchant, err)
	}
}

// sealedStore is a store of table that opens secrets sealed with sec's key.
func sealedStore(t *testing.T, db *dynamodb.Client, table string, sec Secrets) *store.Store {
	t.Helper()
	st := store.New(db, table)
	var err error
	if st.Sealer, err = sec.Sealer(); err != nil {
		t.Fatal(err)
	}
	return st
}

// changeDemoSettings changes the demo merchant's settings as the API would
// and returns the merchant as stored.
func changeDemoSettings(ctx context.Context, t *testing.T, st *store.Store) *merchant.Merchant {
	t.Helper()
	m, err := st.GetMerchant(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	m.WebhookURL = "http://127.0.0.1:9000/hooks"
	m.RedirectDomains = []string{"changed.example"}
	m.PaymentMethods = []string{"card"}
	m.Name = "Renamed Shop"
	m.Version++
	if err := st.UpdateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}
