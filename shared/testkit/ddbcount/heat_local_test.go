package ddbcount_test

import (
	"context"
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/testkit/ddbcount"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// The middleware on DynamoDB Local: it asks for per-index capacity (which
// DynamoDB Local reports), reads the images through its own client (not
// counted), and its keys sum to the counter's totals.
func TestHeatOnDynamoDBLocal(t *testing.T) {
	testenv.NeedHeat(t)
	env := testenv.New(t)
	if env.Heat == nil {
		t.Fatal("no heat recorder on the env")
	}
	ctx := context.Background()
	ix := spec.Table.Indexes[0]
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{spec.Table.PK: s("K#1"), spec.Table.SK: s("A"), ix.PK: s("G#old"), ix.SK: s("1"), "n": &types.AttributeValueMemberN{Value: "1"}}
	env.Heat.Phase("write", 2)
	if _, err := env.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(env.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(env.Table),
		Key:              map[string]types.AttributeValue{spec.Table.PK: s("K#1"), spec.Table.SK: s("A")},
		UpdateExpression: aws.String("SET #g = :g"), ExpressionAttributeNames: map[string]string{"#g": ix.PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("G#new")}}); err != nil {
		t.Fatal(err)
	}
	env.Heat.Phase("read", 1)
	if _, err := env.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(env.Table), IndexName: aws.String(ix.Name),
		KeyConditionExpression:    aws.String("#p = :p"),
		ExpressionAttributeNames:  map[string]string{"#p": ix.PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("G#new")}}); err != nil {
		t.Fatal(err)
	}
	env.Heat.End()
	if _, err := env.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env.Table), Key: map[string]types.AttributeValue{spec.Table.PK: s("K#1"), spec.Table.SK: s("A")}}); err != nil {
		t.Fatal(err)
	}
	rep, err := env.Heat.Report()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Split != ddbcount.SplitReported {
		t.Fatalf("split %q: DynamoDB Local reported no per-index units", rep.Split)
	}
	if n := env.Count.Snapshot(); n["PutItem"] != 1 || n["UpdateItem"] != 1 || n["Query"] != 1 || n["BatchGetItem"] != 0 {
		t.Fatalf("counted %v (the images must not be counted)", n)
	}
	rcu, wcu := env.Count.Capacity()
	if math.Abs(rep.Run.WCU-wcu) > 1e-9 || math.Abs(rep.Run.RCU+0.5-rcu) > 1e-9 { // the GetItem after End is not recorded
		t.Fatalf("heat %v WCU %v RCU, counter %v / %v", rep.Run.WCU, rep.Run.RCU, wcu, rcu)
	}
	got := map[[2]string][2]float64{}
	for _, p := range rep.Phases {
		for _, k := range p.Keys {
			v := got[[2]string{k.Where, k.PK}]
			got[[2]string{k.Where, k.PK}] = [2]float64{v[0] + k.WCU, v[1] + k.RCU}
		}
	}
	// Put: table 1, GSI1 G#old 1; update: table 1, GSI1 move (delete G#old,
	// put G#new); query: GSI1 G#new.
	for k, want := range map[[2]string][2]float64{{"table", "K#1"}: {2, 0}, {ix.Name, "G#old"}: {2, 0}, {ix.Name, "G#new"}: {1, 0.5}} {
		if g := got[k]; g != want {
			t.Errorf("%v: %v, want %v (all: %v)", k, g, want, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("keys %v", got)
	}
}
