package devenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/paylinks/paylinks/shared/statements"
)

// bucket is an S3 bucket in memory: its objects by key, listed in key
// order a page of pageSize at a time (as S3 pages ListObjectsV2).
type bucket struct {
	objs     map[string]dropped
	pageSize int
	fail     bool
}

func (b *bucket) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if b.fail {
		return nil, errors.New("connection refused")
	}
	var keys []string
	for k := range b.objs {
		if strings.HasPrefix(k, aws.ToString(in.Prefix)) && k > aws.ToString(in.ContinuationToken) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := &s3.ListObjectsV2Output{}
	for i, k := range keys {
		if i == b.pageSize {
			out.IsTruncated, out.NextContinuationToken = aws.Bool(true), aws.String(keys[i-1])
			break
		}
		o := b.objs[k]
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(o.Key), ETag: aws.String(`"` + o.ETag + `"`), Size: aws.Int64(o.Size),
			LastModified: aws.Time(o.LastModified)})
	}
	return out, nil
}

// sink is the statements queue: what was sent, and a failure to come.
type sink struct {
	got  []statements.Message
	fail int // the next fail sends fail
}

func (s *sink) Send(_ context.Context, v any, _ time.Duration) error {
	if s.fail > 0 {
		s.fail--
		return errors.New("queue away")
	}
	// Through JSON, as the queue carries it.
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m statements.Message
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	s.got = append(s.got, m)
	return nil
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// keyChars are what generated file names are made of: letters, a space,
// URL-special characters and a letter beyond ASCII.
var keyChars = []rune("abcXYZ019 +%&=?#é._-")

func genKey(r *rand.Rand) string {
	if r.IntN(10) == 0 {
		return "statements/demo/upload" // not a drop: never announced
	}
	name := make([]rune, 1+r.IntN(12))
	for i := range name {
		name[i] = keyChars[r.IntN(len(keyChars))]
	}
	return statements.DropPrefix + []string{"demo", "m1", "shop-2"}[r.IntN(3)] + "/" + string(name)
}

// TestDropWatchAnnouncesEachObjectOnce: over generated histories of a
// bucket (files dropped, dropped again under the same key with other
// content, the emulator restarted and its objects gone, the queue or S3
// away for a pass, the dev server restarted with its state directory) the
// watcher sends each object under drop/ exactly once, a record S3 would
// send for it (its key URL-encoded, the bucket, ObjectCreated), every
// object that is there at a pass that succeeds is announced by then, and
// the record holds only objects still in the bucket.
func TestDropWatchAnnouncesEachObjectOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 2026))
	for c := 0; c < 300; c++ {
		checkDropHistory(t, r, c)
		if t.Failed() {
			return
		}
	}
}

func checkDropHistory(t *testing.T, r *rand.Rand, c int) {
	dir := t.TempDir()
	b := &bucket{objs: map[string]dropped{}, pageSize: 1 + r.IntN(4)}
	q := &sink{}
	w := &DropWatch{S3: b, Bucket: "paylinks-dev-statements", Region: "us-east-1", Queue: q, Dir: dir, Log: discard}
	clock := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	sent := map[string]int{} // object id -> announcements
	for step := 0; step < 40; step++ {
		clock = clock.Add(time.Duration(1+r.IntN(3000)) * time.Millisecond)
		switch op := r.IntN(10); {
		case op < 4: // a file dropped (perhaps over another)
			k := genKey(r)
			b.objs[k] = dropped{Key: k, ETag: fmt.Sprintf("%032x", r.Uint64()), Size: int64(r.IntN(1 << 20)), LastModified: clock.Truncate(time.Millisecond)}
		case op == 4: // moto restarted: its objects gone
			b.objs = map[string]dropped{}
		case op == 5: // the dev server restarted: a new watcher, the same state directory
			w = &DropWatch{S3: b, Bucket: w.Bucket, Region: w.Region, Queue: q, Dir: dir, Log: discard}
		case op == 6:
			q.fail = 1 + r.IntN(2)
		case op == 7:
			b.fail = true
		}
		before := len(q.got)
		_, err := w.Once(context.Background())
		b.fail = false
		for _, m := range q.got[before:] {
			id := checkRecord(t, c, w, b, m)
			sent[id]++
			if sent[id] > 1 {
				t.Errorf("case %d step %d: %s announced %d times", c, step, id, sent[id])
			}
		}
		if err == nil {
			checkAllAnnounced(t, c, step, b, sent, dir)
		}
	}
}

// checkRecord checks m is S3's notification of one object of the bucket
// under drop/, and returns that object's id.
func checkRecord(t *testing.T, c int, w *DropWatch, b *bucket, m statements.Message) string {
	t.Helper()
	if err := m.Validate(); err != nil || len(m.Records) != 1 {
		t.Fatalf("case %d: not one S3 record: %+v %v", c, m, err)
	}
	rec := m.Records[0]
	key, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		t.Fatalf("case %d: key %q does not unescape: %v", c, rec.S3.Object.Key, err)
	}
	o, ok := b.objs[key]
	switch {
	case !ok:
		t.Fatalf("case %d: announced %q, not in the bucket", c, key)
	case !strings.HasPrefix(key, statements.DropPrefix):
		t.Errorf("case %d: announced %q, not a drop", c, key)
	case rec.EventName != "ObjectCreated:Put" || rec.EventSource != "aws:s3" || rec.S3.Bucket.Name != w.Bucket || rec.AWSRegion != w.Region:
		t.Errorf("case %d: record %+v", c, rec)
	case rec.S3.Object.ETag != o.ETag || rec.S3.Object.Size != o.Size || !rec.EventTime.Equal(o.LastModified) || rec.S3.Object.Sequencer == "":
		t.Errorf("case %d: record %+v of object %+v", c, rec.S3.Object, o)
	}
	return o.id()
}

// checkAllAnnounced: after a pass that succeeded every drop in the bucket
// was announced, and the record names exactly those.
func checkAllAnnounced(t *testing.T, c, step int, b *bucket, sent map[string]int, dir string) {
	t.Helper()
	var want []string
	for k, o := range b.objs {
		if !strings.HasPrefix(k, statements.DropPrefix) {
			continue
		}
		want = append(want, o.id())
		if sent[o.id()] != 1 {
			t.Errorf("case %d step %d: %q in the bucket, announced %d times", c, step, k, sent[o.id()])
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, DropsFile))
	if err != nil && len(want) > 0 {
		t.Fatalf("case %d step %d: %v", c, step, err)
	}
	var got []string
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("case %d step %d: record %q, bucket's drops %q", c, step, got, want)
	}
}

// A record the watcher cannot read is an error, never a silent re-run of
// every drop.
func TestDropWatchRefusesABrokenRecord(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DropsFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &bucket{objs: map[string]dropped{"drop/demo/a.xml": {Key: "drop/demo/a.xml", ETag: "e", LastModified: time.Now()}}, pageSize: 10}
	q := &sink{}
	w := &DropWatch{S3: b, Bucket: "b", Region: "us-east-1", Queue: q, Dir: dir, Log: discard}
	if n, err := w.Once(context.Background()); err == nil || n != 0 || len(q.got) != 0 {
		t.Errorf("a broken record: %d announced, %v", n, err)
	}
}
