// Package store keeps payment links and their timelines in the DynamoDB
// single table. The table's definition lives here once and is used by the
// local bootstrap and the CDK stack alike.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/spec"
)

// TableDef is the single table's shape (spec.TableDef: the CDK stack reads
// it without linking the store).
type TableDef = spec.TableDef

// Index names.
const (
	IndexByStatus = spec.IndexByStatus
	IndexExpiry   = spec.IndexExpiry
)

// Table is the definition of paylinks' single table.
var Table = spec.Table

// CreateTableInput is the SDK request that makes table d (on-demand).
func CreateTableInput(d TableDef, name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(d.PK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(d.SK), KeyType: types.KeyTypeRange},
		},
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(d.StreamView)},
	}
	for _, n := range d.AttributeNames() {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS})
	}
	for _, ix := range d.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	return in
}

// CreateTable makes the table, waits until it is active and turns TTL on.
// An existing table is left as it is.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) error {
	return createTable(ctx, db, CreateTableInput(Table, name), name)
}

// CreateTableNoStream is CreateTable without the stream, for tests that do
// not read it: DynamoDB Local keeps every stream record of a run in memory
// and slows down as they pile up.
func CreateTableNoStream(ctx context.Context, db *dynamodb.Client, name string) error {
	in := CreateTableInput(Table, name)
	in.StreamSpecification = nil
	return createTable(ctx, db, in, name)
}

func createTable(ctx context.Context, db *dynamodb.Client, in *dynamodb.CreateTableInput, name string) error {
	_, err := db.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(Table.TTLAttr), Enabled: aws.Bool(true)},
	})
	if err != nil && !isTTLAlreadyOn(err) {
		return fmt.Errorf("enable ttl on %s: %w", name, err)
	}
	return nil
}

func isTTLAlreadyOn(err error) bool {
	var ve interface{ ErrorMessage() string }
	return errors.As(err, &ve) && strings.Contains(strings.ToLower(ve.ErrorMessage()), "already enabled")
}
