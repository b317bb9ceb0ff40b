// Package store keeps payment links and their timelines in the DynamoDB
// single table. The table's definition lives here once and is used by the
// local bootstrap and the CDK stack alike.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/spec"
)

// TableDef is the single table's shape (spec.TableDef: the CDK stack reads
// it without linking the store).
type TableDef = spec.TableDef

// Index names.
const (
	IndexList   = spec.IndexList
	IndexExpiry = spec.IndexExpiry
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
		proj := &types.Projection{ProjectionType: types.ProjectionTypeAll}
		if len(ix.Include) > 0 {
			proj = &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: append([]string(nil), ix.Include...)}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SK), KeyType: types.KeyTypeRange},
			},
			Projection: proj,
		})
	}
	return in
}

// CreateTable makes the table, waits until it is active, turns TTL on and
// stamps it with the layout (META/LAYOUT). An existing table is left as it
// is, and refused when it has another layout.
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
	return New(db, name).EnsureLayout(ctx)
}

// ErrLayout is a table whose keys follow another layout than the code's.
var ErrLayout = errors.New("table layout mismatch")

// EnsureLayout checks, at a function's cold start, that the table's keys
// follow this code's layout: it reads META/LAYOUT and writes it (version
// Layout) when the table has none yet (a new table); a table stamped with
// another version is refused (ErrLayout), so no function writes keys the
// rest of the table does not follow.
func (s *Core) EnsureLayout(ctx context.Context) error { return s.layout(ctx, true) }

// CheckLayout is EnsureLayout for a function that only reads the table: it
// refuses another layout and leaves an unstamped table to the writers.
func (s *Core) CheckLayout(ctx context.Context) error { return s.layout(ctx, false) }

func (s *Core) layout(ctx context.Context, stamp bool) error {
	for try := 0; try < 2; try++ {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(metaPK, metaSK), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("read table layout of %s: %w", s.Table, err)
		}
		if out.Item != nil {
			v, err := strconv.Atoi(avN(out.Item["version"]))
			if err != nil || v != Layout {
				return fmt.Errorf("%w: table %s has layout v%s, code expects v%d", ErrLayout, s.Table, avN(out.Item["version"]), Layout)
			}
			return nil
		}
		if !stamp {
			return nil
		}
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: map[string]types.AttributeValue{
			"PK": sv(metaPK), "SK": sv(metaSK), "type": sv("layout"), "version": nv(Layout), "since": sv(ft(time.Now())),
		}, ConditionExpression: aws.String("attribute_not_exists(PK)")})
		if _, ok := isConditionFailed(err); ok {
			continue // stamped meanwhile by another cold start: read it
		}
		if err != nil {
			return fmt.Errorf("stamp table layout of %s: %w", s.Table, err)
		}
		return nil
	}
	return fmt.Errorf("stamp table layout of %s: %w", s.Table, domain.ErrConflict)
}

func isTTLAlreadyOn(err error) bool {
	var ve interface{ ErrorMessage() string }
	return errors.As(err, &ve) && strings.Contains(strings.ToLower(ve.ErrorMessage()), "already enabled")
}
