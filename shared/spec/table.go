package spec

// Index is a global secondary index of the table. Include lists the
// attributes projected besides the table's and the index's keys (INCLUDE);
// an index without it projects ALL.
type Index struct {
	Name, PK, SK string
	Include      []string
}

// TableDef is the single table's shape.
type TableDef struct {
	PK, SK      string
	Indexes     []Index
	TTLAttr     string
	StreamView  string // a DynamoDB StreamViewType
	Description string
	// Layout is the version of the key formats the code reads and writes;
	// the table carries it in its META/LAYOUT item and the stack in the
	// table's construct id (TableV<Layout>) and tag paylinks:layout.
	Layout int
}

// Index names.
const (
	// IndexList lists a merchant's links and webhook deliveries newest
	// first, write-sharded: GSI1PK = M#<merchant>#LINKS#<nn> (32 shards) or
	// M#<merchant>#HOOKS#<nn> (64), GSI1SK = <created>#<link id> or <msg id>.
	IndexList = "GSI1"
	// IndexExpiry is the sweep's work queue, sparse (open links, pending
	// reminders): GSI2PK = X#<hour bucket>#<shard>, GSI2SK = <at>#<merchant>#<id>.
	IndexExpiry = "GSI2"
)

// Table is the definition of paylinks' single table.
var Table = TableDef{
	PK: "PK", SK: "SK",
	Indexes: []Index{
		// What a listing filters on; nothing a click changes.
		{IndexList, "GSI1PK", "GSI1SK", []string{"status", "archived", "amount_num", "customer_search", "link_id"}},
		// What the sweep needs to act on an entry.
		{IndexExpiry, "GSI2PK", "GSI2SK", []string{"merchant", "id", "type", "channel"}},
	},
	TTLAttr:     "ttl",
	StreamView:  "NEW_AND_OLD_IMAGES",
	Description: "paylinks single table: links, markers, events, merchants, keys, idempotency records",
	Layout:      2,
}

// AttributeNames lists every key attribute (all strings).
func (d TableDef) AttributeNames() []string {
	names := []string{d.PK, d.SK}
	for _, ix := range d.Indexes {
		names = append(names, ix.PK, ix.SK)
	}
	return names
}
