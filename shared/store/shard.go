package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// cursor is a position in one of a merchant's collections. The listing
// index's sort key is a total order (time, then id), so one position is the
// position in every shard, and survives a change of the shard count.
type cursor struct {
	V int    `json:"v"`
	M string `json:"m"` // the merchant
	C string `json:"c"` // the collection: links:<status>, hooks, review:<kind>
	P string `json:"p"` // the last position returned (exclusive start of the next page)
}

// cursorVersion is the version of the cursor's format (layout 2).
const cursorVersion = 2

func encodeCursor(m, collection, pos string) string {
	b, err := json.Marshal(cursor{V: cursorVersion, M: m, C: collection, P: pos})
	if err != nil { // a struct of strings always marshals
		panic(fmt.Sprintf("marshal cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor of merchant m's collection; ErrBadCursor when
// it is malformed, of another version, merchant or collection, or when
// valid rejects its position.
func decodeCursor(s, m, collection string, valid func(pos string) bool) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return "", domain.ErrBadCursor
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.V != cursorVersion || c.M != m || c.C != collection || c.P == "" || !valid(c.P) {
		return "", domain.ErrBadCursor
	}
	return c.P, nil
}

// shardRead is a read of a collection write-sharded over partitions of the
// listing index, newest first.
type shardRead struct {
	// base reads the table's own partitions (PK, SK) instead of the listing
	// index's (GSI1PK, GSI1SK): collections sharded by their items' keys.
	base     bool
	pks      []string // one partition per shard
	from, to string   // GSI1SK bounds, inclusive
	below    string   // a cursor's position: only entries before it ("" for none)
	filter   string   // FilterExpression ("" for none)
	names    map[string]string
	values   map[string]types.AttributeValue
	want     int // entries wanted
}

// shardEntry is an index entry: its position and its table key.
type shardEntry struct {
	pos  string
	key  map[string]types.AttributeValue
	item map[string]types.AttributeValue
}

// shardState is where the read of one shard is.
type shardState struct {
	buf     []shardEntry                    // read and not yet merged, newest first
	lek     map[string]types.AttributeValue // where the next read starts; nil when the shard is done
	lastPos string                          // the position of lek
}

// mergeShards reads every shard in parallel (Limit want each) and merges
// the entries newest first until it has want of them or every shard is
// done. A shard whose read entries are all merged while it has more is read
// again (all such shards in one parallel round) before anything older than
// its last position is merged. After maxPagesPerList rounds it stops and
// returns the frontier: everything newer is in the result, the next read
// starts below it. frontier is "" when the result is complete (want
// entries, or the end).
func (s *Store) mergeShards(ctx context.Context, r shardRead) (entries []shardEntry, frontier string, err error) {
	shards := make([]shardState, len(r.pks))
	all := make([]int, len(r.pks))
	for i := range all {
		all[i] = i
	}
	if err := s.readShards(ctx, r, shards, all); err != nil {
		return nil, "", err
	}
	for round := 1; len(entries) < r.want; {
		frontier, starved := "", []int(nil)
		for i := range shards {
			if len(shards[i].buf) == 0 && shards[i].lek != nil {
				starved = append(starved, i)
				frontier = max(frontier, shards[i].lastPos)
			}
		}
		best := -1
		for i := range shards {
			if len(shards[i].buf) > 0 && (best < 0 || shards[i].buf[0].pos > shards[best].buf[0].pos) {
				best = i
			}
		}
		switch {
		case best >= 0 && shards[best].buf[0].pos > frontier:
			entries = append(entries, shards[best].buf[0])
			shards[best].buf = shards[best].buf[1:]
			continue
		case len(starved) == 0:
			return entries, "", nil // every shard done
		case round >= maxPagesPerList:
			return entries, frontier, nil
		}
		round++
		if err := s.readShards(ctx, r, shards, starved); err != nil {
			return nil, "", err
		}
	}
	return entries, "", nil
}

// readShards reads the next page of each shard in which, in parallel.
func (s *Store) readShards(ctx context.Context, r shardRead, shards []shardState, which []int) error {
	to := r.to
	if r.below != "" && r.below < to {
		to = r.below
	}
	errs := make([]error, len(which))
	var wg sync.WaitGroup
	for n, i := range which {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[n] = s.readShard(ctx, r, to, &shards[i], r.pks[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) readShard(ctx context.Context, r shardRead, to string, st *shardState, pk string) error {
	values := maps.Clone(r.values)
	if values == nil {
		values = map[string]types.AttributeValue{}
	}
	values[":spk"], values[":sfrom"], values[":sto"] = sv(pk), sv(r.from), sv(to)
	pkAttr, posAttr := "GSI1PK", "GSI1SK"
	if r.base {
		pkAttr, posAttr = "PK", "SK"
	}
	in := &dynamodb.QueryInput{
		TableName:                 s.tbl(),
		KeyConditionExpression:    aws.String(pkAttr + " = :spk AND " + posAttr + " BETWEEN :sfrom AND :sto"),
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(r.want)),
		ExclusiveStartKey:         st.lek,
	}
	if !r.base {
		in.IndexName = aws.String(IndexList)
	}
	if r.filter != "" {
		in.FilterExpression = aws.String(r.filter)
	}
	if len(r.names) > 0 {
		in.ExpressionAttributeNames = r.names
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return fmt.Errorf("query %s: %w", pk, err)
	}
	for _, it := range out.Items {
		pos := avS(it[posAttr])
		if pos == r.below { // the cursor's own entry, returned by the last page
			continue
		}
		st.buf = append(st.buf, shardEntry{pos: pos, key: map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]}, item: it})
	}
	st.lek, st.lastPos = out.LastEvaluatedKey, avS(out.LastEvaluatedKey[posAttr])
	return nil
}

// pageOf cuts merged entries (want was limit+1) to a page of limit and
// returns the next page's cursor: below the page's last entry when there
// is one more, below the frontier when the read budget ran out on sparse
// matches, "" at the end.
func pageOf(entries []shardEntry, frontier string, limit int, m, collection string) ([]shardEntry, string) {
	switch {
	case len(entries) > limit:
		entries = entries[:limit]
		return entries, encodeCursor(m, collection, entries[limit-1].pos)
	case frontier != "":
		return entries, encodeCursor(m, collection, frontier)
	}
	return entries, ""
}

// keysOf are the table keys of entries, in order.
func keysOf(entries []shardEntry) []map[string]types.AttributeValue {
	keys := make([]map[string]types.AttributeValue, len(entries))
	for i, e := range entries {
		keys[i] = e.key
	}
	return keys
}

// batchGet reads the items of keys (eventually consistent, 100 per call,
// unprocessed keys again) and returns them in the order of keys; an item
// that is gone is nil.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	found := make(map[string]map[string]types.AttributeValue, len(keys))
	for i := 0; i < len(keys); i += 100 {
		req := map[string]types.KeysAndAttributes{s.Table: {Keys: keys[i:min(i+100, len(keys))]}}
		for tries := 0; len(req) > 0; tries++ {
			if tries > 0 {
				backoff(tries)
			}
			if tries == persistTries*2 {
				return nil, fmt.Errorf("batch get: unprocessed keys after %d tries", tries)
			}
			out, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("batch get: %w", err)
			}
			for _, it := range out.Responses[s.Table] {
				found[avS(it["PK"])+"\x00"+avS(it["SK"])] = it
			}
			req = out.UnprocessedKeys
		}
	}
	items := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		items[i] = found[avS(k["PK"])+"\x00"+avS(k["SK"])]
	}
	return items, nil
}
