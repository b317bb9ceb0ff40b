package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// MaxLinkSet is the most links EachLink reads of one set (what a summary
// or insights answer covers at most).
const MaxLinkSet = 100_000

// linkSetChunk is how many links EachLink reads (BatchGetItem, 100 a call)
// before it hands them over, so that a large set is never held at once.
const linkSetChunk = 1000

// LinkSet is what EachLink read: how many links it handed over, and
// whether that is the whole set. A partial set holds the newest links, all
// of those created at or after CompleteFrom.
type LinkSet struct {
	Read         int
	Partial      bool
	CompleteFrom time.Time
}

// EachLink hands fn every link of the set a listing's filters select (q's
// Limit and Cursor are not looked at), newest first, at most limit of
// them (MaxLinkSet when limit is 0 or above it). It reads as List does:
// the listing index's shards in parallel, merged by position (a merge's
// rounds, maxPagesPerList, and the merges, maxSetMerges, bound the index
// reads of a sparse filter), then the links by BatchGetItem, linkSetChunk
// at a time. Never a Scan. When the set holds more than limit links, or
// the merges ran out, the set is partial: what was handed over is
// complete from CompleteFrom on.
func (s *Links) EachLink(ctx context.Context, q ListQuery, limit int, fn func(*domain.Link)) (LinkSet, error) {
	if limit <= 0 || limit > MaxLinkSet {
		limit = MaxLinkSet
	}
	q.Cursor = ""
	if q.CreatedFrom.After(q.CreatedTo) {
		return LinkSet{}, nil
	}
	if q.Reference != "" {
		links, _, err := s.listByReference(ctx, q)
		if err != nil {
			return LinkSet{}, err
		}
		for _, l := range links {
			fn(l)
		}
		return LinkSet{Read: len(links)}, nil
	}
	res, err := s.setEntries(ctx, q, limit)
	if err != nil {
		return LinkSet{}, err
	}
	set, entries := linkSetOf(res, limit)
	for i := 0; i < len(entries); i += linkSetChunk {
		links, err := s.linksOf(ctx, q, entries[i:min(i+linkSetChunk, len(entries))])
		if err != nil {
			return LinkSet{}, err
		}
		for _, l := range links {
			fn(l)
		}
		set.Read += len(links)
	}
	return set, nil
}

// maxSetMerges bounds the merges of one set: each reads below where the
// one before stopped (its rounds ran out on a sparse filter), as the pages
// of a listing do.
const maxSetMerges = 10

// setEntries are the index entries of q's set, newest first: limit+1 of
// them, or all there are, or those at or after the frontier where the
// merges ran out.
func (s *Links) setEntries(ctx context.Context, q ListQuery, limit int) (mergeResult, error) {
	var all mergeResult
	for range maxSetMerges {
		r := shardRead{from: ft(q.CreatedFrom), to: ft(q.CreatedTo) + "~", below: all.frontier, want: limit + 1 - len(all.entries),
			values: map[string]types.AttributeValue{}}
		r.filter, r.names = listFilter(q, r.values)
		for sh := 0; sh < LinkListShards; sh++ {
			r.pks = append(r.pks, linkListShardPK(q.Merchant, sh))
		}
		res, err := mergeWith(ctx, r, s.shardReader(r))
		if err != nil {
			return mergeResult{}, fmt.Errorf("read the link set of %s: %w", q.Merchant, err)
		}
		all.entries, all.frontier = append(all.entries, res.entries...), res.frontier
		if all.frontier == "" || len(all.entries) > limit {
			break
		}
	}
	return all, nil
}

// linkSetOf cuts a merge of limit+1 entries to limit and says whether the
// set is partial, and from when it is complete.
func linkSetOf(res mergeResult, limit int) (LinkSet, []shardEntry) {
	entries := res.entries
	var set LinkSet
	switch {
	case len(entries) > limit:
		entries = entries[:limit]
		set.Partial = true
		set.CompleteFrom = posTime(entries[limit-1].pos)
	case res.frontier != "":
		set.Partial = true
		set.CompleteFrom = posTime(res.frontier)
	}
	return set, entries
}

// posTime is the creation time of a listing position (<created>#<id>).
func posTime(pos string) time.Time {
	s, _, _ := strings.Cut(pos, "#")
	t, err := pt(s)
	if err != nil {
		return time.Time{}
	}
	return t
}
