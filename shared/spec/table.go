package spec

// Index is a global secondary index of the table (all attributes projected).
type Index struct {
	Name, PK, SK string
}

// TableDef is the single table's shape.
type TableDef struct {
	PK, SK      string
	Indexes     []Index
	TTLAttr     string
	StreamView  string // a DynamoDB StreamViewType
	Description string
}

// Index names.
const (
	IndexByStatus = "GSI1" // GSI1PK = M#<merchant>#S#<status>, GSI1SK = <created>#<id>
	IndexExpiry   = "GSI2" // sparse: only open links; GSI2PK = X#<minute bucket>#<shard>
)

// Table is the definition of paylinks' single table.
var Table = TableDef{
	PK: "PK", SK: "SK",
	Indexes: []Index{
		{IndexByStatus, "GSI1PK", "GSI1SK"},
		{IndexExpiry, "GSI2PK", "GSI2SK"},
	},
	TTLAttr:     "ttl",
	StreamView:  "NEW_AND_OLD_IMAGES",
	Description: "paylinks single table: links, markers, events, merchants, keys, idempotency records",
}

// AttributeNames lists every key attribute (all strings).
func (d TableDef) AttributeNames() []string {
	names := []string{d.PK, d.SK}
	for _, ix := range d.Indexes {
		names = append(names, ix.PK, ix.SK)
	}
	return names
}
