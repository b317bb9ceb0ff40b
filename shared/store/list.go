package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/domain"
)

// ListQuery filters a merchant's links. CreatedFrom and CreatedTo are
// required (the API defaults the window).
type ListQuery struct {
	Merchant    string
	Status      domain.Status
	Customer    string
	Reference   string
	AmountMin   *decimal.Decimal
	AmountMax   *decimal.Decimal
	CreatedFrom time.Time
	CreatedTo   time.Time
	Archived    bool
	Limit       int
	Cursor      string
}

// maxPagesPerList bounds the reads of one listing call when filters are
// sparse; the caller gets a cursor to carry on.
const maxPagesPerList = 10

type cursorKey struct {
	PK, SK, G1PK, G1SK string
}

func encodeCursor(k cursorKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursorKey, error) {
	var k cursorKey
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 || json.Unmarshal(b, &k) != nil {
		return k, domain.ErrBadCursor
	}
	return k, nil
}

func ulidBound(t time.Time, max bool) string {
	var u ulid.ULID
	if t.Before(time.UnixMilli(0)) {
		t = time.UnixMilli(0)
	}
	if t.After(ulid.Time(ulid.MaxTime())) {
		t = ulid.Time(ulid.MaxTime())
	}
	_ = u.SetTime(ulid.Timestamp(t))
	if max {
		for i := 6; i < 16; i++ {
			u[i] = 0xff
		}
	}
	return u.String()
}

// List returns a page of links, newest first, and the cursor of the next
// page ("" at the end). It reads the merchant's partition (or the status
// index) between the creation bounds, never Scans.
func (s *Store) List(ctx context.Context, q ListQuery) ([]*domain.Link, string, error) {
	if q.CreatedFrom.After(q.CreatedTo) {
		return []*domain.Link{}, "", nil
	}
	if q.Reference != "" {
		return s.listByReference(ctx, q)
	}
	in, err := s.listInput(q)
	if err != nil {
		return nil, "", err
	}
	return s.listPages(ctx, q, in)
}

// listInput builds the Query of a listing: the merchant's partition (or the
// status index) between the creation bounds, the filters, and where the
// cursor says to start.
func (s *Store) listInput(q ListQuery) (*dynamodb.QueryInput, error) {
	in := &dynamodb.QueryInput{TableName: s.tbl(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(q.Limit + 1))}
	values := map[string]types.AttributeValue{}
	var wantPK string
	if q.Status != "" {
		wantPK = statusPK(q.Merchant, q.Status)
		in.IndexName = aws.String(IndexByStatus)
		in.KeyConditionExpression = aws.String("GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to")
		values[":pk"], values[":from"], values[":to"] = sv(wantPK), sv(ft(q.CreatedFrom)), sv(ft(q.CreatedTo)+"~")
	} else {
		wantPK = merchantPK(q.Merchant)
		in.KeyConditionExpression = aws.String("PK = :pk AND SK BETWEEN :from AND :to")
		in.ConsistentRead = aws.Bool(true)
		values[":pk"] = sv(wantPK)
		values[":from"] = sv(linkSK(domain.PrefixLink + ulidBound(q.CreatedFrom, false)))
		values[":to"] = sv(linkSK(domain.PrefixLink + ulidBound(q.CreatedTo, true)))
	}
	in.FilterExpression = aws.String(listFilter(q, values))
	in.ExpressionAttributeValues = values
	if q.Cursor != "" {
		start, err := listStart(q, wantPK)
		if err != nil {
			return nil, err
		}
		in.ExclusiveStartKey = start
	}
	return in, nil
}

// listFilter is the filter expression of a listing's optional filters; it
// adds their values.
func listFilter(q ListQuery, values map[string]types.AttributeValue) string {
	filter := []string{"archived = :archived"}
	values[":archived"] = bv(q.Archived)
	if q.Customer != "" {
		filter = append(filter, "contains(customer_search, :customer)")
		values[":customer"] = sv(strings.ToLower(q.Customer))
	}
	if q.AmountMin != nil {
		filter = append(filter, "amount_num >= :amin")
		values[":amin"] = &types.AttributeValueMemberN{Value: q.AmountMin.String()}
	}
	if q.AmountMax != nil {
		filter = append(filter, "amount_num <= :amax")
		values[":amax"] = &types.AttributeValueMemberN{Value: q.AmountMax.String()}
	}
	return strings.Join(filter, " AND ")
}

// listStart reads a listing's cursor into its start key: ErrBadCursor unless
// it points into the partition (or index key) being read.
func listStart(q ListQuery, wantPK string) (map[string]types.AttributeValue, error) {
	k, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, err
	}
	start := map[string]types.AttributeValue{"PK": sv(k.PK), "SK": sv(k.SK)}
	if q.Status != "" {
		if k.G1PK != wantPK || k.PK != merchantPK(q.Merchant) {
			return nil, domain.ErrBadCursor
		}
		start["GSI1PK"], start["GSI1SK"] = sv(k.G1PK), sv(k.G1SK)
	} else if k.PK != wantPK || !strings.HasPrefix(k.SK, linkSK("")) {
		return nil, domain.ErrBadCursor
	}
	return start, nil
}

// listPages reads pages of in until q.Limit links (and one more, to know
// there is a next page) or maxPagesPerList reads.
func (s *Store) listPages(ctx context.Context, q ListQuery, in *dynamodb.QueryInput) ([]*domain.Link, string, error) {
	var out []*domain.Link
	var lastItem linkItem
	for page := 0; page < maxPagesPerList; page++ {
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("list links of %s: %w", q.Merchant, err)
		}
		for _, av := range res.Items {
			var it linkItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, "", fmt.Errorf("unmarshal link: %w", err)
			}
			if len(out) == q.Limit {
				// One more than asked: there is a next page.
				return out, encodeCursor(cursorKey{lastItem.PK, lastItem.SK, lastItem.GSI1PK, lastItem.GSI1SK}), nil
			}
			l, err := fromItem(&it)
			if err != nil {
				return nil, "", err
			}
			out = append(out, l)
			lastItem = it
		}
		if res.LastEvaluatedKey == nil {
			return out, "", nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	// Read budget spent on sparse matches: carry on from where reading stopped.
	k := in.ExclusiveStartKey
	c := cursorKey{PK: avS(k["PK"]), SK: avS(k["SK"]), G1PK: avS(k["GSI1PK"]), G1SK: avS(k["GSI1SK"])}
	return out, encodeCursor(c), nil
}

func avS(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// listByReference finds the one link with the reference, through its marker.
func (s *Store) listByReference(ctx context.Context, q ListQuery) ([]*domain.Link, string, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(merchantPK(q.Merchant), refSK(q.Reference)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, "", fmt.Errorf("reference lookup: %w", err)
	}
	if out.Item == nil || q.Cursor != "" {
		return []*domain.Link{}, "", nil
	}
	l, err := s.Get(ctx, q.Merchant, avS(out.Item["link_id"]))
	if errors.Is(err, domain.ErrNotFound) {
		return []*domain.Link{}, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	match := l.Archived == q.Archived &&
		(q.Status == "" || l.Status == q.Status) &&
		(q.Customer == "" || strings.Contains(CustomerSearch(l.Customer), strings.ToLower(q.Customer))) &&
		(q.AmountMin == nil || !l.Amount.Value.LessThan(*q.AmountMin)) &&
		(q.AmountMax == nil || !l.Amount.Value.GreaterThan(*q.AmountMax)) &&
		!l.CreatedAt.Before(q.CreatedFrom.Truncate(time.Millisecond)) && !l.CreatedAt.After(q.CreatedTo)
	if !match {
		return []*domain.Link{}, "", nil
	}
	return []*domain.Link{l}, "", nil
}
