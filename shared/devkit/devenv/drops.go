package devenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/statements"
)

// DropsFile is the drop watcher's record in the state directory: the
// dropped objects it announced (kept across restarts of the dev server).
const DropsFile = "drops.json"

// DefaultDropInterval is how often make dev looks at the bucket's drop/
// prefix (DROP_INTERVAL changes it).
const DefaultDropInterval = 3 * time.Second

// Lister lists a bucket's objects (*s3.Client is one).
type Lister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// DropWatch stands in for S3's ObjectCreated notification in make dev:
// moto's S3 cannot notify ElasticMQ, so the dev server lists the
// statements bucket's drop/ prefix every few seconds and puts each new
// object on the statements queue as S3 would announce it (one record of
// S3's event, ObjectCreated:Put), once per object. An object is its key,
// ETag and time: a file put again under the same key is a new object, as
// S3 announces it again.
//
// What was announced is recorded in the state directory (DropsFile) after
// each message sent, so a restart announces nothing twice; a crash between
// the send and the record announces that object again at the next start,
// and the statement it makes is the same one (its id follows from the
// record's key, sequencer and ETag), which the worker leaves as it is.
type DropWatch struct {
	S3     Lister
	Bucket string
	Region string
	// Queue is the statements queue.
	Queue queue.Enqueuer
	// Dir is the state directory (its DropsFile).
	Dir string
	Log *slog.Logger
}

// dropped is one object under drop/ as listed.
type dropped struct {
	Key          string    `json:"key"`
	ETag         string    `json:"etag"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"last_modified"`
}

// id is the object's identity: its key, content and time.
func (d dropped) id() string {
	return d.Key + "\x00" + d.ETag + "\x00" + d.LastModified.UTC().Format(time.RFC3339Nano)
}

// Run announces new drops every interval until ctx ends; a pass that fails
// (the emulator away) is logged and tried again at the next tick.
func (w *DropWatch) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.Once(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("statement drops not announced", "bucket", w.Bucket, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once lists drop/ and announces every object not announced before, oldest
// first; it returns how many it announced. The record keeps only objects
// still in the bucket (moto forgets its objects when it stops).
func (w *DropWatch) Once(ctx context.Context) (int, error) {
	seen, err := w.load()
	if err != nil {
		return 0, err
	}
	objs, err := w.list(ctx)
	if err != nil {
		return 0, err
	}
	kept := map[string]bool{}
	var fresh []dropped
	for _, o := range objs {
		if seen[o.id()] {
			kept[o.id()] = true
			continue
		}
		fresh = append(fresh, o)
	}
	sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].LastModified.Before(fresh[j].LastModified) })
	n := 0
	for _, o := range fresh {
		if err := w.Queue.Send(ctx, statements.Message{Records: []events.S3EventRecord{w.record(o)}}, 0); err != nil {
			return n, errors.Join(fmt.Errorf("announce drop %s: %w", o.Key, err), w.save(kept))
		}
		kept[o.id()] = true
		n++
		if err := w.save(kept); err != nil {
			return n, err
		}
		w.Log.Info("statement drop announced", "bucket", w.Bucket, "key", o.Key, "size", o.Size)
	}
	if len(kept) != len(seen) {
		return n, w.save(kept)
	}
	return n, nil
}

// list is every object under drop/.
func (w *DropWatch) list(ctx context.Context) ([]dropped, error) {
	var out []dropped
	in := &s3.ListObjectsV2Input{Bucket: aws.String(w.Bucket), Prefix: aws.String(statements.DropPrefix)}
	for {
		page, err := w.S3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", w.Bucket, statements.DropPrefix, err)
		}
		for _, o := range page.Contents {
			if strings.HasSuffix(aws.ToString(o.Key), "/") {
				continue // a "folder" a console made: no file
			}
			out = append(out, dropped{Key: aws.ToString(o.Key), ETag: strings.Trim(aws.ToString(o.ETag), `"`), Size: aws.ToInt64(o.Size),
				LastModified: aws.ToTime(o.LastModified)})
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return out, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// record is S3's event record of the object's creation, as its
// notification carries it: the key URL-encoded (a space as +), the ETag
// unquoted, a sequencer that grows with the object's time.
func (w *DropWatch) record(o dropped) events.S3EventRecord {
	parts := strings.Split(o.Key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return events.S3EventRecord{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: w.Region, EventTime: o.LastModified.UTC(), EventName: "ObjectCreated:Put",
		S3: events.S3Entity{SchemaVersion: "1.0", ConfigurationID: "make-dev-drops",
			Bucket: events.S3Bucket{Name: w.Bucket, Arn: "arn:aws:s3:::" + w.Bucket},
			Object: events.S3Object{Key: strings.Join(parts, "/"), Size: o.Size, ETag: o.ETag, Sequencer: fmt.Sprintf("%016X", o.LastModified.UnixNano())}},
	}
}

// load reads the record (empty when there is none yet).
func (w *DropWatch) load() (map[string]bool, error) {
	b, err := os.ReadFile(filepath.Join(w.Dir, DropsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the drops record: %w", err)
	}
	var ids []string
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(w.Dir, DropsFile), err)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		seen[id] = true
	}
	return seen, nil
}

// save replaces the record at once (a reader sees the old or the new one).
func (w *DropWatch) save(seen map[string]bool) error {
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	b, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("record the drops: %w", err)
	}
	tmp, err := os.CreateTemp(w.Dir, ".drops-*.json")
	if err != nil {
		return fmt.Errorf("record the drops: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("record the drops in %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("record the drops in %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(w.Dir, DropsFile)); err != nil {
		return fmt.Errorf("record the drops: %w", err)
	}
	return nil
}
