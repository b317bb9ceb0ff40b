package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	// AnyArchived reads archived links and the others (Archived is then
	// not looked at): insights (EachLink).
	AnyArchived bool
	// Origin and Channel (a channel the link was sent on) are applied to
	// the page's links as read: such a page may hold fewer than Limit
	// links, and its cursor carries on.
	Origin  domain.Origin
	Channel string
	Limit   int
	Cursor  string
}

// maxPagesPerList bounds the read rounds of one listing call when filters
// are sparse; the caller gets a cursor to carry on.
const maxPagesPerList = 10

// List returns a page of links, newest first, and the cursor of the next
// page ("" at the end). A reference is looked up through its marker;
// otherwise every listing shard of the merchant is read in parallel between
// the creation bounds (filters applied by the index's projection), the
// shards are merged by position, and the page's links are read with
// BatchGetItem. Never a Scan.
func (s *Links) List(ctx context.Context, q ListQuery) ([]*domain.Link, string, error) {
	collection := "links:" + string(q.Status)
	var below string
	var perRow float64
	if q.Cursor != "" {
		pos, per, err := decodeCursorRead(q.Cursor, q.Merchant, collection, validLinkPos)
		if err != nil {
			return nil, "", err
		}
		below, perRow = pos, per
	}
	if q.CreatedFrom.After(q.CreatedTo) {
		return []*domain.Link{}, "", nil
	}
	if q.Reference != "" {
		return s.listByReference(ctx, q)
	}
	r := shardRead{from: ft(q.CreatedFrom), to: ft(q.CreatedTo) + "~", below: below, want: q.Limit + 1, perRow: perRow,
		values: map[string]types.AttributeValue{}}
	r.filter, r.names = listFilter(q, r.values)
	for sh := 0; sh < LinkListShards; sh++ {
		r.pks = append(r.pks, linkListShardPK(q.Merchant, sh))
	}
	res, err := mergeWith(ctx, r, s.shardReader(r))
	if err != nil {
		return nil, "", fmt.Errorf("list links of %s: %w", q.Merchant, err)
	}
	entries, pos := cutPage(res.entries, res.frontier, q.Limit)
	next := ""
	if pos != "" {
		next = encodeCursorRead(q.Merchant, collection, pos, res.perRow())
	}
	links, err := s.linksOf(ctx, q, entries)
	if err != nil {
		return nil, "", err
	}
	return links, next, nil
}

// validLinkPos accepts a listing position: <created>#<link id>.
func validLinkPos(pos string) bool {
	t, id, ok := strings.Cut(pos, "#")
	if !ok || !domain.ValidID(domain.PrefixLink, id) {
		return false
	}
	_, err := pt(t)
	return err == nil
}

// linksOf reads the links of listing entries, in their order, dropping
// those gone or no longer matching the status and archived filters (the
// index lags the table by a moment on AWS).
func (s *Links) linksOf(ctx context.Context, q ListQuery, entries []shardEntry) ([]*domain.Link, error) {
	items, err := s.batchGet(ctx, keysOf(entries))
	if err != nil {
		return nil, fmt.Errorf("list links of %s: %w", q.Merchant, err)
	}
	links := make([]*domain.Link, 0, len(items))
	for _, av := range items {
		if av == nil {
			continue
		}
		l, err := unmarshalLink(av)
		if err != nil {
			return nil, err
		}
		if !q.archivedOK(l) || (q.Status != "" && l.Status != q.Status) || !q.wants(l) {
			continue
		}
		links = append(links, l)
	}
	return links, nil
}

// listFilter is the filter expression of a listing's filters (over the
// listing index's projected attributes); it adds their names and values.
func listFilter(q ListQuery, values map[string]types.AttributeValue) (string, map[string]string) {
	var filter []string
	if !q.AnyArchived {
		filter = append(filter, "archived = :archived")
		values[":archived"] = bv(q.Archived)
	}
	var names map[string]string
	if q.Status != "" {
		filter = append(filter, "#status = :status")
		names = map[string]string{"#status": "status"}
		values[":status"] = sv(string(q.Status))
	}
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
	return strings.Join(filter, " AND "), names
}

func avS(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// listByReference finds the one link with the reference, through its marker.
func (s *Links) listByReference(ctx context.Context, q ListQuery) ([]*domain.Link, string, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(refPK(q.Merchant, q.Reference), refSK), ConsistentRead: aws.Bool(true)})
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
	match := q.archivedOK(l) &&
		(q.Status == "" || l.Status == q.Status) &&
		(q.Customer == "" || strings.Contains(CustomerSearch(l.Customer), strings.ToLower(q.Customer))) &&
		(q.AmountMin == nil || !l.Amount.Value.LessThan(*q.AmountMin)) &&
		(q.AmountMax == nil || !l.Amount.Value.GreaterThan(*q.AmountMax)) &&
		!l.CreatedAt.Before(q.CreatedFrom.Truncate(time.Millisecond)) && !l.CreatedAt.After(q.CreatedTo) && q.wants(l)
	if !match {
		return []*domain.Link{}, "", nil
	}
	return []*domain.Link{l}, "", nil
}

// archivedOK applies the archived filter.
func (q ListQuery) archivedOK(l *domain.Link) bool { return q.AnyArchived || l.Archived == q.Archived }

// wants applies the filters the listing index does not hold.
func (q ListQuery) wants(l *domain.Link) bool {
	return (q.Origin == "" || l.Origin == q.Origin) && (q.Channel == "" || slices.Contains(l.SentChannels, q.Channel))
}
