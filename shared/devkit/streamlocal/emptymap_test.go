package streamlocal_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// DynamoDB Local's stream writes an empty map ({"M":{}}) as {} in a
// record's images, which the SDK reads as no value at all. The reader hands
// such a record over with the empty map the item holds (as DynamoDB Streams
// and Lambda do) rather than failing on it: it retried that record forever,
// and everything after it on the stream (every webhook and event of make
// dev) waited behind it. A customer saved with an empty address did that.
func TestReaderHandsOverEmptyMaps(t *testing.T) {
	testenv.NeedStream(t)
	env := testenv.New(t)
	empty := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	_, err := env.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(env.Table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "p"}, "SK": &types.AttributeValueMemberS{Value: "s"},
		"m": empty,
		"n": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": empty}},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{empty, &types.AttributeValueMemberS{Value: "x"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []outbound.Record
	n, err := env.StreamReader().Once(context.Background(), func(_ context.Context, recs []outbound.Record) string {
		for _, r := range recs {
			if pk, _ := r.New["PK"].(*types.AttributeValueMemberS); pk != nil && pk.Value == "p" {
				got = append(got, r)
			}
		}
		return ""
	})
	if err != nil || n == 0 || len(got) != 1 {
		t.Fatalf("Once: %d records, %v", n, err)
	}
	isEmptyMap := func(v types.AttributeValue) bool {
		m, ok := v.(*types.AttributeValueMemberM)
		return ok && len(m.Value) == 0
	}
	img := got[0].New
	if !isEmptyMap(img["m"]) {
		t.Errorf("m = %#v, want an empty map", img["m"])
	}
	if n, ok := img["n"].(*types.AttributeValueMemberM); !ok || !isEmptyMap(n.Value["a"]) {
		t.Errorf("n = %#v, want a map holding an empty map", img["n"])
	}
	if l, ok := img["l"].(*types.AttributeValueMemberL); !ok || len(l.Value) != 2 || !isEmptyMap(l.Value[0]) {
		t.Errorf("l = %#v, want a list of an empty map and a string", img["l"])
	}
}
