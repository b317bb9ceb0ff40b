package streamlocal

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit"
)

// The lookups DynamoDB Local makes in its stream records' SQLite table (us):
// every request that reads a table's description looks up the oldest record
// of the table's stream; GetRecords reads a shard from a sequence number.
var streamLookups = map[string]string{
	"SELECT MIN(SequenceNumber) FROM us WHERE StreamID = 'x'":                                                    "paylinks_us_stream",
	"SELECT StreamRecord FROM us WHERE ShardID = 'x' AND SequenceNumber >= 1 ORDER BY SequenceNumber LIMIT 1000": "paylinks_us_shard",
}

// TestDynamoDBLocalFindsStreamRecordsByIndex checks the database of the
// running DynamoDB Local (under PAYLINKS_RUN_DIR, as emulators.sh starts it)
// answers those lookups from an index rather than a scan of every table's
// stream records: the jar keeps them 24 hours, also for deleted tables, and
// without the index (emulators.sh's index_streams) every call of the suite's
// later tests was 5 to 10 times slower, enough to push a page of the event
// feed past its deadline.
func TestDynamoDBLocalFindsStreamRecordsByIndex(t *testing.T) {
	testkit.Needs(t, testkit.Emulators)
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		t.Skip("LocalStack's run: its DynamoDB is not started by emulators.sh")
	}
	dir := os.Getenv("PAYLINKS_RUN_DIR")
	if dir == "" {
		root, err := filepath.Abs("../../..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, ".tools", "run")
	}
	db := filepath.Join(dir, "ddb", "local_us-east-1.db")
	if _, err := os.Stat(db); err != nil {
		t.Skipf("no DynamoDB Local database of emulators.sh here (%v)", err)
	}
	for q, index := range streamLookups {
		out, err := exec.Command("python3", "-c", `
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
for row in c.execute("EXPLAIN QUERY PLAN " + sys.argv[2]):
    print(row[-1])
`, db, q).CombinedOutput()
		if err != nil {
			t.Fatalf("query plan of %q: %v\n%s", q, err, out)
		}
		if plan := string(out); !strings.Contains(plan, "INDEX "+index) {
			t.Errorf("DynamoDB Local's %q is planned as\n%s\nwant a search of index %s", q, plan, index)
		}
	}
}
