package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
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
	// E is the index entries the page read per row returned, times 100,
	// when over 100 (a filter the index holds dropped some): the next
	// page's first reads are sized by it.
	E int `json:"e,omitempty"`
}

// cursorVersion is the version of the cursor's format (layout 2).
const cursorVersion = 2

func encodeCursor(m, collection, pos string) string { return encodeCursorRead(m, collection, pos, 1) }

// encodeCursorRead is encodeCursor with the index entries read per row.
func encodeCursorRead(m, collection, pos string, perRow float64) string {
	c := cursor{V: cursorVersion, M: m, C: collection, P: pos}
	if e := int(math.Ceil(min(perRow, maxPerRow) * 100)); e > 100 {
		c.E = e
	}
	b, err := json.Marshal(c)
	if err != nil { // a struct of strings and an int always marshals
		panic(fmt.Sprintf("marshal cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor of merchant m's collection; ErrBadCursor when
// it is malformed, of another version, merchant or collection, or when
// valid rejects its position.
func decodeCursor(s, m, collection string, valid func(pos string) bool) (string, error) {
	pos, _, err := decodeCursorRead(s, m, collection, valid)
	return pos, err
}

// decodeCursorRead is decodeCursor with the index entries the cursor's page
// read per row (1 when it does not say).
func decodeCursorRead(s, m, collection string, valid func(pos string) bool) (pos string, perRow float64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return "", 0, domain.ErrBadCursor
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.V != cursorVersion || c.M != m || c.C != collection || c.P == "" || !valid(c.P) ||
		c.E != 0 && (c.E <= 100 || c.E > maxPerRow*100) {
		return "", 0, domain.ErrBadCursor
	}
	return c.P, max(float64(c.E)/100, 1), nil
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
	// perRow is the index entries read per entry that passed the filter on
	// the previous page (from its cursor; 0 when unknown, taken as 1): the
	// first reads of the shards are sized by it.
	perRow float64
}

// shardEntry is an index entry: its position and its table key.
type shardEntry struct {
	pos  string
	key  map[string]types.AttributeValue
	item map[string]types.AttributeValue
}

// shardPage is what one read of one shard returned: the entries that
// passed the filter (newest first), how many index entries it evaluated
// (what DynamoDB charges for), and the position of the last one evaluated
// when it stopped before the end of its range ("" when it read it all).
type shardPage struct {
	entries []shardEntry
	scanned int
	last    string
}

// shardReader reads shard i between lo and hi (inclusive, newest first),
// evaluating at most limit index entries.
type shardReader func(ctx context.Context, i int, lo, hi string, limit int) (shardPage, error)

// mergeShards reads the shards of r and merges them newest first (see
// mergeWith); frontier is "" when the result is complete (want entries,
// or the end), else where the next read starts.
func (s *Core) mergeShards(ctx context.Context, r shardRead) (entries []shardEntry, frontier string, err error) {
	res, err := mergeWith(ctx, r, s.shardReader(r))
	return res.entries, res.frontier, err
}

// shardReader queries the partitions of r.
func (s *Core) shardReader(r shardRead) shardReader {
	pkAttr, posAttr := "GSI1PK", "GSI1SK"
	if r.base {
		pkAttr, posAttr = "PK", "SK"
	}
	return func(ctx context.Context, i int, lo, hi string, limit int) (shardPage, error) {
		values := maps.Clone(r.values)
		if values == nil {
			values = map[string]types.AttributeValue{}
		}
		values[":spk"], values[":sfrom"], values[":sto"] = sv(r.pks[i]), sv(lo), sv(hi)
		in := &dynamodb.QueryInput{
			TableName:                 s.tbl(),
			KeyConditionExpression:    aws.String(pkAttr + " = :spk AND " + posAttr + " BETWEEN :sfrom AND :sto"),
			ExpressionAttributeValues: values,
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(int32(limit)),
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
			return shardPage{}, fmt.Errorf("query %s: %w", r.pks[i], err)
		}
		page := shardPage{scanned: int(out.ScannedCount), last: avS(out.LastEvaluatedKey[posAttr])}
		for _, it := range out.Items {
			page.entries = append(page.entries, shardEntry{pos: avS(it[posAttr]), key: map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]}, item: it})
		}
		return page, nil
	}
}

// pageOf cuts merged entries (want was limit+1) to a page of limit and
// returns the next page's cursor (see cutPage).
func pageOf(entries []shardEntry, frontier string, limit int, m, collection string) ([]shardEntry, string) {
	entries, pos := cutPage(entries, frontier, limit)
	if pos == "" {
		return entries, ""
	}
	return entries, encodeCursor(m, collection, pos)
}

// cutPage cuts merged entries (want was limit+1) to a page of limit and
// returns the position the next page starts below: the page's last entry
// when there is one more, the frontier when the read budget ran out on
// sparse matches, "" at the end.
func cutPage(entries []shardEntry, frontier string, limit int) ([]shardEntry, string) {
	switch {
	case len(entries) > limit:
		entries = entries[:limit]
		return entries, entries[limit-1].pos
	case frontier != "":
		return entries, frontier
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
func (s *Core) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	return s.batchRead(ctx, keys, false)
}

// batchGetConsistent is batchGet with strongly consistent reads (what was
// written before it began is read).
func (s *Core) batchGetConsistent(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	return s.batchRead(ctx, keys, true)
}

func (s *Core) batchRead(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool) ([]map[string]types.AttributeValue, error) {
	found := make(map[string]map[string]types.AttributeValue, len(keys))
	for i := 0; i < len(keys); i += 100 {
		req := map[string]types.KeysAndAttributes{s.Table: {Keys: keys[i:min(i+100, len(keys))], ConsistentRead: aws.Bool(consistent)}}
		for tries := 0; len(req) > 0; tries++ {
			if tries > 0 {
				pause(tries)
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

// The merge of a sharded read is a k-way merge with a cursor per shard.
// The first round asks every shard, in parallel, for its share of the
// page (want / shards, times the index entries a row took on the previous
// page: a sparse filter asks for more). The merged entries then give the
// page's cut: the want-th newest entry read. A shard is settled when
// nothing it has not returned can sort ahead of the cut (it was read past
// the cut, or to its end); the others are read again, in one parallel
// round, between the cut and where they stopped, so that what they return
// is the page's or ahead of the next cut: first one row's worth (most
// shards that hold more than their share hold one more), then all there
// is down to the cut, which has moved up meanwhile. While fewer than want
// entries are read at all, the shards left share what is missing. Every
// read starts where the shard's last one stopped, and no read asks for
// more than want entries, so a page never reads more than the former read
// of want entries per shard and round. Without a filter a page takes three
// rounds once the first has found its cut (a fourth when the first found
// fewer than want entries), and about 80 index entries and 60 queries for
// a page of 50 over 32 shards (TestMergeSteadyState).

// maxPerRow bounds the index entries per row a read is sized by.
const maxPerRow = 1000

// shardCursor is where the merge is in one shard.
type shardCursor struct {
	hi   string // the inclusive upper bound of the next read
	skip string // an entry at hi to drop (hi is then a position already read), or ""
	top  string // the position everything unread is below ("" before the first read)
	done bool   // nothing left to read
	// refilled is set by the first read bounded by a cut (one row's
	// worth); the next ones ask for all there is (want at most).
	refilled bool
}

// shardAsk is one read of a round.
type shardAsk struct {
	shard     int
	lo, hi    string
	limit     int
	nothingIn bool // the range is empty: settled without a read
}

// merger is the state of a merge: the shards' cursors and the entries
// read that passed the filter, newest first.
type merger struct {
	r                         shardRead
	shards                    []shardCursor
	known                     []shardEntry
	scanned, matched, queries int
}

// mergeResult is a merged read: the entries newest first, the frontier (""
// when they are complete: want of them, or the end; else the next read
// starts below it and they are everything before it), and what the read
// cost.
type mergeResult struct {
	entries                   []shardEntry
	frontier                  string
	scanned, matched, queries int
}

// perRow is the index entries read per entry that passed the filter: what
// the next page's first reads are sized by.
func (m mergeResult) perRow() float64 { return perRow(1, m.scanned, m.matched) }

// perRow estimates the index entries per matching entry from a prior and
// what was read, in [1, maxPerRow].
func perRow(prior float64, scanned, matched int) float64 {
	return min(max((float64(scanned)+max(prior, 1))/float64(matched+1), 1), maxPerRow)
}

// mergeWith merges the shards of r read by read: rounds of parallel reads
// until every shard is settled against the want-th entry (or is done), or
// for maxPagesPerList rounds, after which the result stops at the
// frontier.
func mergeWith(ctx context.Context, r shardRead, read shardReader) (mergeResult, error) {
	m := newMerger(r)
	asks := m.firstAsks()
	for round := 1; ; round++ {
		if err := m.run(ctx, read, asks); err != nil {
			return mergeResult{}, err
		}
		cut := m.cut()
		open := m.open(cut)
		switch {
		case len(open) == 0:
			return m.result(""), nil
		case round >= maxPagesPerList:
			return m.result(m.frontier(open)), nil
		}
		asks = m.refills(cut, open)
	}
}

func newMerger(r shardRead) *merger {
	m := &merger{r: r, shards: make([]shardCursor, len(r.pks))}
	for i := range m.shards {
		sh := &m.shards[i]
		sh.hi = r.to
		if r.below != "" && r.below <= r.to {
			sh.hi, sh.skip = before(r.below)
		}
		sh.done = sh.hi < r.from
	}
	return m
}

// firstAsks reads every shard for its share of want (scaled by the
// previous page's entries per row).
func (m *merger) firstAsks() []shardAsk {
	n := max(len(m.shards), 1)
	limit := int(math.Ceil(float64(m.r.want) * perRow(m.r.perRow, 0, 0) / float64(n)))
	asks := make([]shardAsk, 0, len(m.shards))
	for i, sh := range m.shards {
		if !sh.done {
			asks = append(asks, m.ask(i, m.r.from, limit))
		}
	}
	return asks
}

// ask is a read of shard i from lo up to where it stopped, of at most
// limit entries (1 to want).
func (m *merger) ask(i int, lo string, limit int) shardAsk {
	hi := m.shards[i].hi
	return shardAsk{shard: i, lo: lo, hi: hi, limit: min(max(limit, 1), max(m.r.want, 1)), nothingIn: hi < lo}
}

// cut is the want-th newest entry read, "" while fewer are.
func (m *merger) cut() string {
	if len(m.known) < m.r.want || m.r.want < 1 {
		return ""
	}
	return m.known[m.r.want-1].pos
}

// open are the shards that may hold unread entries ahead of cut (every
// shard not done when there is no cut yet).
func (m *merger) open(cut string) []int {
	var open []int
	for i, sh := range m.shards {
		if !sh.done && (cut == "" || sh.hi > cut) {
			open = append(open, i)
		}
	}
	return open
}

// refills are the next round's reads of the open shards: with a cut,
// between the cut and where each stopped (what they find is ahead of the
// cut), one row's worth the first time, then want; without one, the
// missing rows shared among them, and one more each.
func (m *merger) refills(cut string, open []int) []shardAsk {
	per := perRow(m.r.perRow, m.scanned, m.matched)
	asks := make([]shardAsk, 0, len(open))
	for _, i := range open {
		sh := &m.shards[i]
		if cut == "" {
			missing := float64(m.r.want-len(m.known)) * per / float64(len(open))
			asks = append(asks, m.ask(i, m.r.from, int(math.Ceil(missing))+1))
			continue
		}
		limit := m.r.want
		if !sh.refilled {
			limit = int(math.Ceil(per))
		}
		asks = append(asks, m.ask(i, cut, limit))
		sh.refilled = true
	}
	return asks
}

// run makes a round's reads in parallel and takes in what they returned.
func (m *merger) run(ctx context.Context, read shardReader, asks []shardAsk) error {
	pages := make([]shardPage, len(asks))
	errs := make([]error, len(asks))
	var wg sync.WaitGroup
	for n, a := range asks {
		if a.nothingIn {
			continue
		}
		m.queries++
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[n], errs[n] = read(ctx, a.shard, a.lo, a.hi, a.limit)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for n, a := range asks {
		m.take(a, pages[n])
	}
	slices.SortFunc(m.known, func(a, b shardEntry) int { return strings.Compare(b.pos, a.pos) })
	return nil
}

// take records what a read of a shard returned and moves its cursor: below
// the last entry evaluated when it stopped early, else below its range
// (done when that was the rest of the collection). An empty range leaves
// the cursor where it was.
func (m *merger) take(a shardAsk, p shardPage) {
	sh := &m.shards[a.shard]
	if a.nothingIn {
		sh.done = sh.done || a.lo <= m.r.from
		return
	}
	m.scanned += p.scanned
	for _, e := range p.entries {
		if e.pos != sh.skip && e.pos <= a.hi && e.pos >= a.lo {
			m.known = append(m.known, e)
			m.matched++
		}
	}
	switch {
	case p.last != "":
		sh.top = p.last
	case a.lo <= m.r.from:
		sh.done = true
		return
	default:
		sh.top = a.lo
	}
	sh.hi, sh.skip = before(sh.top)
	sh.done = sh.hi < m.r.from
}

// frontier is where a merge stopped early: the newest position an open
// shard may still hold entries below. Everything read at or after it is
// complete.
func (m *merger) frontier(open []int) string {
	f := ""
	for _, i := range open {
		f = max(f, m.shards[i].top)
	}
	return f
}

// result is the merge's entries: the want newest, or with a frontier those
// at or after it.
func (m *merger) result(frontier string) mergeResult {
	n := min(len(m.known), max(m.r.want, 0))
	if frontier != "" {
		n = 0
		for n < len(m.known) && m.known[n].pos >= frontier {
			n++
		}
	}
	return mergeResult{entries: m.known[:n], frontier: frontier, scanned: m.scanned, matched: m.matched, queries: m.queries}
}

// before is the inclusive upper bound that reads exactly the positions
// before p. Positions are ASCII strings without DEL, so p with its last
// byte lowered and DEL appended sorts after every position before p and
// before p. A p that is not such a string (a made-up cursor) is its own
// bound, with skip set: an entry at p is dropped as already read.
func before(p string) (hi, skip string) {
	if p == "" {
		return "", ""
	}
	for i := 0; i < len(p); i++ {
		if p[i] == 0 || p[i] >= 0x7f {
			return p, p
		}
	}
	return p[:len(p)-1] + string([]byte{p[len(p)-1] - 1, 0x7f}), ""
}
