package store

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key layout 2 (docs/data-model.md). Every item a merchant owns has a partition
// key that begins with M#<merchant>#, one partition per entity (a link with
// its events, refunds, sends and reminder; each marker on its own), so one
// merchant's traffic spreads over many partitions; only the merchant item
// and its API key references stay on M#<merchant>. The listing index is
// write-sharded per merchant, the expiry index per hour bucket. System
// items: APIKEY#<hash>, SWEEP/CURSOR, META/LAYOUT.

// Layout is the key layout this code reads and writes (spec.Table.Layout).
const Layout = 2

// Shard counts. Readers read every shard 0..n-1, so a count may grow later
// (old entries stay in the lower shards); it may never shrink.
const (
	LinkListShards     = 32 // a merchant's links in the listing index
	DeliveryListShards = 64 // a merchant's webhook deliveries in the listing index
	ExpiryShards       = 32 // an hour bucket of the expiry index (all merchants)
)

// tenant is the prefix of every key of merchant m.
func tenant(m string) string { return "M#" + m }

// merchantItemPK is the partition of the merchant item and its key refs.
func merchantItemPK(m string) string { return tenant(m) }

// A link's partition holds the link, its events, refunds, sends and reminder.
func linkPK(m, id string) string { return tenant(m) + "#L#" + id }
func linkSK(id string) string    { return "L#" + id } // the stream filter selects links by it

func linkKey(m, id string) map[string]types.AttributeValue { return key(linkPK(m, id), linkSK(id)) }

// LinkKey is the table key of a link (for tests and tools that read or
// write the item directly).
func LinkKey(m, id string) map[string]types.AttributeValue { return linkKey(m, id) }

func eventSK(evID string) string  { return "E#" + evID }
func refundSK(id string) string   { return "R#" + id }
func sendSK(sendID string) string { return "SEND#" + sendID }

const reminderSK = "REM"

// Markers, each its own partition.
func refPK(m, ref string) string { return tenant(m) + "#REF#" + ref }
func idemPK(m, k string) string  { return tenant(m) + "#IDEM#" + k }

// bankRefPK is the marker of a bank transfer's structured reference ref
// (its electronic form, reference.Normalize) among merchant m's links.
func bankRefPK(m, ref string) string { return tenant(m) + "#BREF#" + ref }

// bankRefSK is the sort key of a bank reference's marker.
const bankRefSK = "BREF"

// pspPK is a PSP event's partition: its ingest record (SK IN) and its
// applied marker (SK APPLIED).
func pspPK(m, provider, evID string) string { return tenant(m) + "#PSP#" + provider + "#" + evID }

const (
	refSK        = "REF"
	idemSK       = "IDEM"
	pspIngestSK  = "IN"
	pspAppliedSK = "APPLIED"
)

// Review payments share one partition per merchant (exceptions only).
func reviewPK(m string) string { return tenant(m) + "#PY" }
func reviewSK(id string) string {
	return "PY#" + id
}
func reviewRefPK(m, provider, ref string) string { return tenant(m) + "#PYREF#" + provider + "#" + ref }

const reviewRefSK = "PYREF"

func deliveryPK(m, id string) string { return tenant(m) + "#WHD#" + id }

const deliverySK = "WHD"

// An import's partition holds the import (SK IMP) and its row errors
// (ERR#<row>); each row's marker is its own partition.
func importPK(m, id string) string { return tenant(m) + "#IMP#" + id }
func importErrSK(row int) string   { return fmt.Sprintf("ERR#%06d", row) }
func importRowPK(m, id string, row int) string {
	return fmt.Sprintf("%s#IMPROW#%s#%06d", tenant(m), id, row)
}

const (
	importSK    = "IMP"
	importRowSK = "ROW"
)

// shard spreads ids over n write shards (fnv-1a).
func shard(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// LinkListShard is the listing shard (0 to LinkListShards-1) of link id.
func LinkListShard(id string) int { return shard(id, LinkListShards) }

// linkListPK is the listing partition of a link; deliveryListPK of a
// webhook delivery.
func linkListPK(m, id string) string { return linkListShardPK(m, shard(id, LinkListShards)) }
func linkListShardPK(m string, s int) string {
	return fmt.Sprintf("%s#LINKS#%02d", tenant(m), s)
}
func deliveryListPK(m, id string) string {
	return deliveryListShardPK(m, shard(id, DeliveryListShards))
}
func deliveryListShardPK(m string, s int) string {
	return fmt.Sprintf("%s#HOOKS#%02d", tenant(m), s)
}

// ExpiryBucketSize is the width of an expiry index bucket.
const ExpiryBucketSize = time.Hour

const bucketLayout = "2006-01-02T15"

// ExpiryBucket is the hour bucket of the expiry index for a time.
func ExpiryBucket(t time.Time) string { return t.UTC().Format(bucketLayout) }

// BucketStart parses a bucket back to its start.
func BucketStart(b string) (time.Time, error) { return time.Parse(bucketLayout, b) }

// ExpiryPK is the expiry index partition of a bucket and shard.
func ExpiryPK(bucket string, s int) string { return fmt.Sprintf("X#%s#%d", bucket, s) }

// ExpiryShard is the write shard of id's entry in the expiry index when it
// is written far ahead of its time (ExpiryNear false): one of all
// ExpiryShards.
func ExpiryShard(id string) int { return shard(id, ExpiryShards) }

// ExpiryNearShards are the shards (0 to ExpiryNearShards-1, a subset of
// every reader's 0 to ExpiryShards-1) that take the entries written near
// their time: the sweep reads them on every run, and the other shards of
// the current bucket only where they held entries when the bucket began
// (SweepState.Watch), since nothing is written there after.
const ExpiryNearShards = 4

// ExpiryNear reports whether an entry due at and written at written is
// near: its bucket is written's or the next one. A bucket's far entries
// are all written more than an hour before the bucket begins.
func ExpiryNear(at, written time.Time) bool {
	return at.UTC().Truncate(ExpiryBucketSize).Before(written.UTC().Truncate(ExpiryBucketSize).Add(2 * ExpiryBucketSize))
}

// ExpiryShardAt is the write shard of id's entry due at, written at
// written: a near shard for a near entry, else ExpiryShard.
func ExpiryShardAt(id string, at, written time.Time) int {
	if ExpiryNear(at, written) {
		return shard(id, ExpiryNearShards)
	}
	return ExpiryShard(id)
}

// expiryEntry is the expiry index key of a link or reminder due at,
// written at written.
func expiryEntry(m, id string, at, written time.Time) (pk, sk string) {
	return ExpiryPK(ExpiryBucket(at), ExpiryShardAt(id, at, written)), ft(at) + "#" + m + "#" + id
}

// The layout version item.
const (
	metaPK = "META"
	metaSK = "LAYOUT"
)

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}}
}
