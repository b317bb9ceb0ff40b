package statements

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/oklog/ulid/v2"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// Message is one message of the statements queue: a statement to process
// (an upload, or the continuation of one), or S3's notification of files
// dropped in the bucket (its Records; Event is S3's test event, sent when
// the notification is set up).
type Message struct {
	Merchant    string                 `json:"merchant,omitempty"`
	StatementID string                 `json:"statement_id,omitempty"`
	Records     []events.S3EventRecord `json:"Records,omitempty"`
	Event       string                 `json:"Event,omitempty"`
}

// s3TestEvent is what S3 sends a queue when a notification is set up.
const s3TestEvent = "s3:TestEvent"

// Validate refuses a message that is none of those.
func (m *Message) Validate() error {
	switch {
	case m.Event == s3TestEvent, len(m.Records) > 0:
		return nil
	case !domain.ValidMerchantID(m.Merchant) || !domain.ValidID(domain.PrefixStatement, m.StatementID):
		return errors.New("neither a statement (merchant, statement_id) nor S3's notification")
	}
	return nil
}

// Handle is the statements queue's consumer (queue.Typed): it processes
// the statement named, or makes the statements of the files dropped, each
// once whatever the redeliveries.
func (s *Service) Handle(ctx context.Context, msg queue.Message[Message]) error {
	m := msg.Body
	if m.Event == s3TestEvent {
		return nil
	}
	if len(m.Records) == 0 {
		return s.Process(ctx, m.Merchant, m.StatementID)
	}
	for _, r := range m.Records {
		st, err := s.dropped(ctx, r)
		if err != nil {
			return err
		}
		if st == nil {
			continue
		}
		if err := s.Process(ctx, st.Merchant, st.ID); err != nil {
			return err
		}
	}
	return nil
}

// dropped is the statement of a file dropped in the bucket
// (drop/<merchant>/<name>), made at its first notification: its id follows
// from the object's key and version (its sequencer), so a notification
// delivered twice makes one statement. nil (and a log line) for what is no
// drop of a known merchant.
func (s *Service) dropped(ctx context.Context, r events.S3EventRecord) (*store.Statement, error) {
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		key = r.S3.Object.Key
	}
	merchantID, name, _ := strings.Cut(strings.TrimPrefix(key, DropPrefix), "/")
	switch {
	case !strings.HasPrefix(r.EventName, "ObjectCreated:"):
		return nil, nil
	case r.S3.Bucket.Name != s.Bucket || !strings.HasPrefix(key, DropPrefix) || name == "" || !domain.ValidMerchantID(merchantID):
		s.log().Warn("statement drop refused", "bucket", r.S3.Bucket.Name, "key", clip(key), "why", "not drop/<merchant>/<file> in the statements bucket")
		return nil, nil
	}
	if ok, err := s.MerchantExists(ctx, merchantID); err != nil {
		return nil, err
	} else if !ok {
		s.log().Warn("statement drop refused", "key", clip(key), "why", "no such merchant")
		return nil, nil
	}
	at := r.EventTime
	if at.IsZero() {
		at = s.now()
	}
	sum := sha256.Sum256([]byte(r.S3.Bucket.Name + "\x00" + key + "\x00" + r.S3.Object.Sequencer + "\x00" + r.S3.Object.ETag))
	var entropy [10]byte
	copy(entropy[:], sum[:])
	var u ulid.ULID
	if err := u.SetTime(ulid.Timestamp(at)); err != nil {
		return nil, fmt.Errorf("%w: drop %s at %v: %v", queue.ErrPermanent, clip(key), at, err)
	}
	_ = u.SetEntropy(entropy[:]) // always 10 bytes
	st := &store.Statement{ID: domain.PrefixStatement + u.String(), Merchant: merchantID, Source: SourceDrop, File: key}
	if err := s.Store.CreateStatement(ctx, st, s.now()); err != nil && !errors.Is(err, store.ErrStatementExists) {
		return nil, err
	}
	return st, nil
}

// errPaused stops reading a file when the message's time is spent; errOvertaken
// when another worker checkpointed the chunk first (it carries on).
var (
	errPaused    = errors.New("time budget spent")
	errOvertaken = errors.New("another worker is ahead")
)

// Process reconciles one statement from where it stands: validated first
// (a file that does not read is failed), then its entries from the last
// checkpoint on. It stops when its time is spent and queues its own
// continuation. Done and failed statements are left as they are.
func (s *Service) Process(ctx context.Context, merchantID, id string) error {
	st, err := s.Store.GetStatement(ctx, merchantID, id)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: statement %s of %s not found", queue.ErrPermanent, id, merchantID)
	}
	if err != nil || st.Status != store.StatementProcessing {
		return err
	}
	holder := domain.NewID("w_", s.now())
	if ok, err := s.Store.LeaseStatement(ctx, merchantID, id, holder, s.now().Add(s.lease()), s.now()); err != nil || !ok {
		// Another worker holds it: it finishes, queues its continuation,
		// or its message comes back after the lease.
		return err
	}
	err = s.work(ctx, st)
	if rerr := s.Store.ReleaseStatement(context.WithoutCancel(ctx), merchantID, id, holder); rerr != nil && err == nil {
		err = rerr
	}
	if errors.Is(err, errPaused) {
		s.log().Info("statement continues", "merchant", merchantID, "statement", id)
		return s.Queue.Send(context.WithoutCancel(ctx), Message{Merchant: merchantID, StatementID: id}, 0)
	}
	return err
}

// lease is how long a worker holds a statement: its time budget and the
// margin (15 minutes, Lambda's longest run, without a budget).
func (s *Service) lease() time.Duration {
	if s.Budget <= 0 {
		return 15 * time.Minute
	}
	return s.Budget + Margin
}

// work validates the statement when it is not yet, then processes its
// entries; errPaused when its time is spent.
func (s *Service) work(ctx context.Context, st *store.Statement) error {
	var err error
	if !st.Validated {
		if st, err = s.validate(ctx, st); err != nil || st == nil {
			return err
		}
	}
	err = s.entries(ctx, st, s.until(ctx))
	if errors.Is(err, errOvertaken) {
		return nil
	}
	return err
}

// until is when this message's work stops (between chunks): Budget from
// now, or Margin before ctx's deadline, whichever is sooner; zero for no
// bound.
func (s *Service) until(ctx context.Context) time.Time {
	end := time.Time{}
	if s.Budget > 0 {
		end = time.Now().Add(s.Budget)
	}
	if d, ok := ctx.Deadline(); ok && (end.IsZero() || d.Add(-Margin).Before(end)) {
		end = d.Add(-Margin)
	}
	return end
}

// validate reads the whole file once: its format, account and entries, or
// the statement failed with the reader's error (nil, nil).
func (s *Service) validate(ctx context.Context, st *store.Statement) (*store.Statement, error) {
	n := 0
	file, err := s.read(ctx, st, func(bank.Entry) error { n++; return nil })
	var bad *badFile
	if errors.As(err, &bad) {
		s.log().Info("statement failed", "merchant", st.Merchant, "statement", st.ID, "error", clip(bad.Error()))
		return nil, s.Store.FailStatement(ctx, st.Merchant, st.ID, clip(bad.Error()), s.now())
	}
	if err != nil {
		return nil, err
	}
	account := ""
	if len(file.Accounts) > 0 {
		account = file.Accounts[0]
	}
	if err := s.Store.StartStatement(ctx, st.Merchant, st.ID, file.Format, account, n, s.now()); err != nil && !errors.Is(err, domain.ErrConflict) {
		return nil, err
	}
	return s.Store.GetStatement(ctx, st.Merchant, st.ID)
}

// badFile is a file that is not a statement paylinks reads: the statement
// fails with it, nothing is applied.
type badFile struct{ err error }

func (e *badFile) Error() string { return e.err.Error() }

// read streams the statement's file through its format's reader; a fault
// of the file is a *badFile, visit's own errors come back as they are.
func (s *Service) read(ctx context.Context, st *store.Statement, visit func(bank.Entry) error) (bank.File, error) {
	rc, err := s.Files.Open(ctx, st.File)
	if errors.Is(err, domain.ErrNotFound) {
		return bank.File{}, &badFile{errors.New("the file is gone (kept 30 days): upload it again")}
	}
	if err != nil {
		return bank.File{}, err
	}
	defer rc.Close()
	format, r, err := DetectStream(rc)
	if errors.Is(err, ErrUnknownFormat) || errors.Is(err, ErrNotUTF8) {
		return bank.File{}, &badFile{err}
	}
	if err != nil {
		return bank.File{}, err
	}
	var visitErr error
	file, err := reader(format)(r, func(e bank.Entry) error {
		if visitErr = visit(e); visitErr != nil {
			return visitErr
		}
		return nil
	})
	switch {
	case visitErr != nil:
		return file, visitErr
	case err != nil && ctx.Err() != nil:
		return file, errors.Join(err, ctx.Err())
	case err != nil:
		return file, &badFile{err}
	}
	return file, nil
}

// item is one entry of the file at its position.
type item struct {
	i int
	e bank.Entry
}

// entries processes the statement's entries from st.Next on, a chunk at a
// time, checkpointing each; the last one marks the statement done. Past
// until (not zero) it stops after a chunk: errPaused.
func (s *Service) entries(ctx context.Context, st *store.Statement, until time.Time) error {
	size := s.Chunk
	if size <= 0 {
		size = DefaultChunk
	}
	chunk := make([]item, 0, size)
	pos := 0
	_, err := s.read(ctx, st, func(e bank.Entry) error {
		i := pos
		pos++
		if i < st.Next {
			return nil // counted at an earlier checkpoint
		}
		chunk = append(chunk, item{i, e})
		if len(chunk) < size {
			return nil
		}
		if err := s.chunk(ctx, st, chunk, false); err != nil {
			return err
		}
		chunk = chunk[:0]
		if !until.IsZero() && time.Now().After(until) {
			return errPaused
		}
		return nil
	})
	var bad *badFile
	if errors.As(err, &bad) {
		return fmt.Errorf("statement %s no longer reads as it did: %w", st.ID, err)
	}
	if err != nil {
		return err
	}
	if pos != st.Entries {
		return fmt.Errorf("statement %s: %d entries read, %d when validated", st.ID, pos, st.Entries)
	}
	return s.chunk(ctx, st, chunk, true)
}

// chunk processes a chunk's entries and counts them at one checkpoint;
// last marks the statement done. The entries go in lanes (Workers of them,
// run at once), each lane in the file's order: entries naming the same
// reference (a payment and its reversal, a second payment of a link) or
// the same entry twice share a lane, so what each does follows the file.
func (s *Service) chunk(ctx context.Context, st *store.Statement, chunk []item, last bool) error {
	from := st.Next
	if len(chunk) > 0 {
		from = chunk[0].i
	}
	to := from + len(chunk)
	outcomes := make([]domain.EntryOutcome, len(chunk))
	workers := s.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	lanes := make([][]int, workers)
	for k := range chunk {
		l := lane(chunk[k].e, workers)
		lanes[l] = append(lanes[l], k)
	}
	look, err := s.lookup(ctx, st.Merchant, chunk)
	if err != nil {
		return err
	}
	batch := &records{}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, ks := range lanes {
		if len(ks) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, k := range ks {
				o, err := s.entry(ctx, st, chunk[k].i, chunk[k].e, look, batch)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("entry %d: %w", chunk[k].i+1, err))
					mu.Unlock()
					return // the rest of the lane waits for the retry, in order
				}
				outcomes[k] = o
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := s.Store.RecordEntries(ctx, st.Merchant, st.ID, batch.recs, s.now()); err != nil {
		return err
	}
	var c store.StatementCounts
	for _, o := range outcomes {
		c.Add(o)
	}
	ok, err := s.Store.CheckpointStatement(ctx, st.Merchant, st.ID, from, to, c, last, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return errOvertaken
	}
	st.Next = to
	if last {
		s.log().LogAttrs(ctx, slog.LevelInfo, "statement done", slog.String("merchant", st.Merchant), slog.String("statement", st.ID),
			slog.Int("entries", st.Entries))
	}
	return nil
}

// lookup reads what the table holds of a chunk's entries in one batch: the
// claims of the identities of those that claim one, and the links of the
// references of credits.
func (s *Service) lookup(ctx context.Context, merchantID string, chunk []item) (store.EntryLookup, error) {
	var payIDs, refs []string
	for _, it := range chunk {
		if !domain.EntryClaimsIdentity(it.e) {
			continue
		}
		payIDs = append(payIDs, domain.BankPaymentID(it.e))
		if plan := domain.PlanEntry(it.e); plan.Step == domain.StepPay && plan.Payout == "" {
			refs = append(refs, plan.References...)
		}
	}
	if len(payIDs) == 0 {
		return store.EntryLookup{}, nil
	}
	return s.Store.LookupEntries(ctx, merchantID, payIDs, refs)
}

// lane is the lane of an entry among n: by the payout its end-to-end id
// names (a refund's debit and its return), else by the first reference it
// names, else by its identity.
func lane(e bank.Entry, n int) int {
	h := fnv.New32a()
	if domain.IsPayoutEndToEndID(e.EndToEndID) {
		h.Write([]byte(e.EndToEndID))
	} else if refs := domain.EntryReferences(e); len(refs) > 0 {
		h.Write([]byte(refs[0]))
	} else {
		h.Write([]byte(e.Key()))
	}
	return int(h.Sum32() % uint32(n))
}

// clip bounds a text kept or logged (a reader's error quotes the file).
func clip(s string) string {
	const most = 500
	if len(s) <= most {
		return s
	}
	return s[:most] + "..."
}
