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
)

// Index is a global secondary index of the table (all attributes projected).
type Index struct {
	Name, PK, SK string
}

// TableDef is the single table's shape.
type TableDef struct {
	PK, SK      string
	Indexes     []Index
	TTLAttr     string
	StreamView  types.StreamViewType
	Description string
}

// Index names.
const (
	IndexByStatus = "GSI1" // GSI1PK = M#<merchant>#S#<status>, GSI1SK = <created>#<id>
	IndexExpiry   = "GSI2" // sparse: only open links; GSI2PK = X#<minute bucket>#<shard>
)

// Table is the definition of paylinks' single table.
var Table = TableDef{
	PK: "PK", SK: "SK",
	Indexes: []Index{
		{IndexByStatus, "GSI1PK", "GSI1SK"},
		{IndexExpiry, "GSI2PK", "GSI2SK"},
	},
	TTLAttr:     "ttl",
	StreamView:  types.StreamViewTypeNewAndOldImages,
	Description: "paylinks single table: links, markers, events, merchants, keys, idempotency records",
}

// AttributeNames lists every key attribute (all strings).
func (d TableDef) AttributeNames() []string {
	names := []string{d.PK, d.SK}
	for _, ix := range d.Indexes {
		names = append(names, ix.PK, ix.SK)
	}
	return names
}

// CreateTableInput is the SDK request that makes the table (on-demand).
func (d TableDef) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(d.PK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(d.SK), KeyType: types.KeyTypeRange},
		},
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: d.StreamView},
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
	return createTable(ctx, db, Table.CreateTableInput(name), name)
}

// CreateTableNoStream is CreateTable without the stream, for tests that do
// not read it: DynamoDB Local keeps every stream record of a run in memory
// and slows down as they pile up.
func CreateTableNoStream(ctx context.Context, db *dynamodb.Client, name string) error {
	in := Table.CreateTableInput(name)
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
