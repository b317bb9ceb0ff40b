// Package statements takes merchants' bank statements in (camt.053,
// camt.054, CODA) and reconciles them: every booked credit whose structured
// reference names a link pays it through the same guarded apply as a PSP's
// payment (links.ApplyPayment, provider "bank"), anything else goes to
// review or is ignored, and the same entry read again (in this file or
// another) is a duplicate that changes nothing.
//
// A file is uploaded through the API (Upload: kept in the statements'
// bucket, its statement recorded, a message queued) or put in the bucket's
// drop/<merchant>/ prefix (S3's ObjectCreated event on the same queue). The
// reconcile worker (Handle) reads it twice as a stream: once whole to
// validate it (a file that fails is marked failed with the reader's error
// and nothing of it applies), then entry by entry, in chunks of entries
// processed concurrently, each chunk counted once at a checkpoint. Every
// step is idempotent on the entry's identity, so a worker that stops
// anywhere (a crash, its time budget spent: it queues its own
// continuation) and runs again changes nothing twice. Memory stays bounded
// by the chunk, whatever the file's size.
package statements

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// MaxUpload is the largest statement file the API takes (413 above).
const MaxUpload = 10 << 20

// Store is what reconciling statements needs of the table (*store.Store is
// one).
type Store interface {
	links.PaymentStore
	StatementStore
	PayoutStore
	// LinkIDByBankReference is the link whose bank transfer reference is
	// ref (domain.ErrNotFound when none).
	LinkIDByBankReference(ctx context.Context, merchant, ref string) (string, error)
	Get(ctx context.Context, merchant, id string) (*domain.Link, error)
	GetReviewPayment(ctx context.Context, merchant, id string) (*store.ReviewPayment, error)
	StartReviewMatch(ctx context.Context, merchant, id, linkID string, now time.Time) (*store.ReviewPayment, error)
	EndReviewMatch(ctx context.Context, merchant, id, linkID string, matched bool, now time.Time) (*store.ReviewPayment, bool, error)
}

var _ Store = (*store.Store)(nil)

// StatementStore is the statements' own part of the table (store.Statements).
type StatementStore interface {
	CreateStatement(ctx context.Context, st *store.Statement, now time.Time) error
	GetStatement(ctx context.Context, merchant, id string) (*store.Statement, error)
	ListStatements(ctx context.Context, merchant string, limit int, cursor string) (store.StatementPage, error)
	StartStatement(ctx context.Context, merchant, id, format, accountIBAN string, entries int, now time.Time) error
	FailStatement(ctx context.Context, merchant, id, why string, now time.Time) error
	CheckpointStatement(ctx context.Context, merchant, id string, from, to int, c store.StatementCounts, done bool, now time.Time) (bool, error)
	LeaseStatement(ctx context.Context, merchant, id, holder string, until, now time.Time) (bool, error)
	ReleaseStatement(ctx context.Context, merchant, id, holder string) error
	ClaimEntry(ctx context.Context, merchant, payID, id string, index int, now time.Time) (store.Claim, error)
	LookupEntries(ctx context.Context, merchant string, payIDs, refs []string) (store.EntryLookup, error)
	RecordEntries(ctx context.Context, merchant, id string, recs []store.StatementEntry, now time.Time) error
	ApplyPaymentRead(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time, read *store.EntryRead) (store.PaymentWrite, error)
	KeepForReviewRead(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time, read *store.EntryRead) (bool, error)
	StatementEntry(ctx context.Context, merchant, id string, index int) (*store.StatementEntry, error)
	RecordEntry(ctx context.Context, merchant, id string, e *store.StatementEntry, now time.Time) (*store.StatementEntry, bool, error)
	StatementEntries(ctx context.Context, merchant, id string, limit int, cursor string) (store.EntryPage, error)
	AppliedPaymentOf(ctx context.Context, merchant, provider, evID string) (store.AppliedPayment, error)
}

// Files is where statement files are kept (objects.Bucket: S3).
type Files interface {
	Put(ctx context.Context, key string, body []byte, contentType string) error
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Service reconciles statements.
type Service struct {
	Store Store
	Files Files
	// Queue is the statements queue: uploads and continuations.
	Queue queue.Enqueuer
	// MerchantExists tells a merchant from none (a file dropped for an
	// unknown one is refused); nil where nothing is dropped (the API).
	MerchantExists func(ctx context.Context, id string) (bool, error)
	// Bucket is the name of the bucket Files is: drops from any other are
	// refused.
	Bucket string
	Log    *slog.Logger
	Now    func() time.Time
	// Budget bounds one message's work (the function's timeout less a
	// margin; the context's deadline, when sooner, less Margin): the rest
	// goes on in a continuation message. Zero: no bound but the context's.
	Budget time.Duration
	// Chunk is the entries counted per checkpoint (256 when zero); Workers
	// the entries of a chunk processed at once (8 when zero).
	Chunk, Workers int
}

// Defaults of Service.
const (
	DefaultChunk   = 256
	DefaultWorkers = 8
	// Margin is kept free before a context's deadline to checkpoint and
	// queue the continuation.
	Margin = 20 * time.Second
)

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Errors of Upload, as the API answers them.
var (
	// ErrContentType: not application/xml or text/plain (415).
	ErrContentType = errors.New("a bank statement is application/xml (camt.053, camt.054) or text/plain (CODA)")
	// ErrTooLarge: above MaxUpload (413).
	ErrTooLarge = fmt.Errorf("a bank statement file is at most %d bytes", MaxUpload)
)

// Upload keeps a statement file the API received (its content type
// application/xml or text/plain, already read whole, at most MaxUpload
// bytes) and queues it for the reconcile worker: the statement is recorded
// (processing), then the file put, then the message sent. A body that is
// not of its type's format is domain.FieldErrors on "file"; when the file
// cannot be kept or queued the statement is marked failed and the error is
// domain.ErrUnavailable (the caller answers 503: nothing was applied, the
// upload may be sent again).
func (s *Service) Upload(ctx context.Context, merchantID, contentType string, body []byte) (*store.Statement, error) {
	want, err := formatOfType(contentType)
	if err != nil {
		return nil, err
	}
	if len(body) > MaxUpload {
		return nil, ErrTooLarge
	}
	format, err := Detect(body)
	if errors.Is(err, ErrNotUTF8) {
		return nil, domain.FieldErrors{{Field: "file", Message: err.Error()}}
	}
	if err != nil || !want[format] {
		return nil, domain.FieldErrors{{Field: "file", Message: notOfType(contentType)}}
	}
	now := s.now()
	st := &store.Statement{ID: domain.NewSeqID(domain.PrefixStatement, now), Merchant: merchantID, Source: SourceAPI, Format: format}
	st.File = UploadKey(merchantID, st.ID)
	if err := s.Store.CreateStatement(ctx, st, now); err != nil {
		return nil, err
	}
	keep := func() error {
		if err := s.Files.Put(ctx, st.File, body, contentType); err != nil {
			return err
		}
		return s.Queue.Send(ctx, Message{Merchant: merchantID, StatementID: st.ID}, 0)
	}
	if err := keep(); err != nil {
		ferr := s.Store.FailStatement(context.WithoutCancel(ctx), merchantID, st.ID, "the file could not be kept or queued: upload it again", s.now())
		return nil, errors.Join(fmt.Errorf("upload statement %s: %w: %w", st.ID, domain.ErrUnavailable, err), ferr)
	}
	return st, nil
}

// Sources of statements.
const (
	SourceAPI  = "api"
	SourceDrop = "drop"
)

// UploadKey is where an uploaded statement's file is kept.
func UploadKey(merchantID, id string) string { return "statements/" + merchantID + "/" + id }

// DropPrefix is where files are dropped: drop/<merchant>/<any name>.
const DropPrefix = "drop/"

// Statement reads one of a merchant's statements.
func (s *Service) Statement(ctx context.Context, merchantID, id string) (*store.Statement, error) {
	return s.Store.GetStatement(ctx, merchantID, id)
}

// Statements reads a page of a merchant's statements, newest first.
func (s *Service) Statements(ctx context.Context, merchantID string, limit int, cursor string) (store.StatementPage, error) {
	return s.Store.ListStatements(ctx, merchantID, limit, cursor)
}

// Entries reads a page of a statement's entries, in the file's order;
// domain.ErrNotFound for a statement the merchant does not have.
func (s *Service) Entries(ctx context.Context, merchantID, id string, limit int, cursor string) (store.EntryPage, error) {
	if _, err := s.Store.GetStatement(ctx, merchantID, id); err != nil {
		return store.EntryPage{}, err
	}
	return s.Store.StatementEntries(ctx, merchantID, id, limit, cursor)
}
