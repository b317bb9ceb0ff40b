package statements_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/fakes"
)

// fakeStore is the table in memory, as statements.Store sees it: each
// method does what the DynamoDB one does, under one lock, conditions
// included. fail, when set, is asked before (after false) and after (after
// true) each write: an error it returns is the call's, with the write done
// when after (a worker that died before hearing the answer).
type fakeStore struct {
	mu         sync.Mutex
	links      map[string]*domain.Link
	bankRefs   map[string]string
	applied    map[string]store.AppliedPayment
	payRefs    map[string]string
	reviews    map[string]*store.ReviewPayment
	statements map[string]*store.Statement
	list       map[string][]string
	claims     map[string]string
	records    map[string]store.StatementEntry
	// lean keeps no entry records, only how many were written (the memory
	// test's 100,000 entries).
	lean     bool
	recorded int
	// paid counts the payments written on each link (at most one).
	paid map[string]int
	fail func(op string, after bool) error
	po   payoutFake
}

func newFakeStore() *fakeStore {
	return &fakeStore{links: map[string]*domain.Link{}, bankRefs: map[string]string{}, applied: map[string]store.AppliedPayment{},
		payRefs: map[string]string{}, reviews: map[string]*store.ReviewPayment{}, statements: map[string]*store.Statement{},
		list: map[string][]string{}, claims: map[string]string{}, records: map[string]store.StatementEntry{}, paid: map[string]int{}}
}

var _ statements.Store = (*fakeStore)(nil)

func k(parts ...string) string { return strings.Join(parts, "/") }

// write runs op's write with the fault hook around it.
func (f *fakeStore) write(op string, w func() error) error {
	if f.fail != nil {
		if err := f.fail(op, false); err != nil {
			return err
		}
	}
	if err := w(); err != nil {
		return err
	}
	if f.fail != nil {
		return f.fail(op, true)
	}
	return nil
}

// addLink stores a link whose bank transfer reference is ref.
func (f *fakeStore) addLink(l *domain.Link, ref string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *l
	f.links[k(l.Merchant, l.ID)] = &c
	f.bankRefs[k(l.Merchant, ref)] = l.ID
}

func (f *fakeStore) LinkIDByBankReference(_ context.Context, m, ref string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.bankRefs[k(m, ref)]
	if !ok {
		return "", domain.ErrNotFound
	}
	return id, nil
}

func (f *fakeStore) Get(_ context.Context, m, id string) (*domain.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.links, k(m, id))
}

func (f *fakeStore) ApplyPayment(ctx context.Context, m, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time) (store.PaymentWrite, error) {
	return f.ApplyPaymentRead(ctx, m, provider, ev, d, now, nil)
}

// readTaken reports an entry read claimed or recorded already (the
// transaction's conditions on its two items); nil reads nothing.
func (f *fakeStore) readTaken(m string, read *store.EntryRead) bool {
	if read == nil {
		return false
	}
	_, claimed := f.claims[k(m, read.PaymentID)]
	_, recorded := f.records[k(m, read.Statement, fmt.Sprint(read.Record.Index))]
	return claimed || recorded
}

// keepRead writes an entry read's claim and record (with the payment's
// write).
func (f *fakeStore) keepRead(m string, read *store.EntryRead) {
	if read == nil {
		return
	}
	f.recorded++
	if f.lean {
		return
	}
	f.claims[k(m, read.PaymentID)] = fmt.Sprintf("%s#%d", read.Statement, read.Record.Index)
	f.records[k(m, read.Statement, fmt.Sprint(read.Record.Index))] = *read.Record
}

func (f *fakeStore) ApplyPaymentRead(_ context.Context, m, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, _ time.Time, read *store.EntryRead) (store.PaymentWrite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var w store.PaymentWrite
	err := f.write("apply", func() error {
		if _, ok := f.applied[k(m, provider, ev.ID)]; ok || f.readTaken(m, read) {
			w = store.PaymentWrite{Duplicate: true}
			return nil
		}
		l, ok := f.links[k(m, ev.LinkID)]
		if !ok {
			w = store.PaymentWrite{}
			return nil
		}
		if !slices.Contains(d.From, l.Status) || (d.To == domain.StatusPaid && !domain.SameMoney(ev.Amount, l.Amount)) ||
			(!d.Booked.IsZero() && l.ExpiresAt.Before(d.Booked) != d.AfterExpiry) { // the store's guards
			c := *l
			w = store.PaymentWrite{Found: &c}
			return nil
		}
		if d.To == domain.StatusPaid {
			at := ev.At
			l.PaidAt = &at
		}
		l.Status, l.PSP, l.PSPReference, l.PaidAfterExpiry = d.To, provider, ev.PaymentRef, d.AfterExpiry
		l.Version++
		f.paid[k(m, l.ID)]++
		f.applied[k(m, provider, ev.ID)] = store.AppliedPayment{LinkID: ev.LinkID, Kind: string(ev.Kind)}
		f.keepRead(m, read)
		w = store.PaymentWrite{Written: true}
		return nil
	})
	return w, err
}

func (f *fakeStore) KeepForReview(ctx context.Context, m, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time) (bool, error) {
	return f.KeepForReviewRead(ctx, m, provider, ev, kind, link, now, nil)
}

func (f *fakeStore) KeepForReviewRead(_ context.Context, m, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time, read *store.EntryRead) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := ev.PaymentRef
	if ref == "" {
		ref = "event:" + ev.ID
	}
	kept := false
	err := f.write("review", func() error {
		_, seen := f.applied[k(m, provider, ev.ID)]
		if _, kept := f.payRefs[k(m, provider, ref)]; seen || kept || f.readTaken(m, read) {
			return nil
		}
		p := &store.ReviewPayment{ID: domain.NewSeqID(domain.PrefixReview, now), Merchant: m, Kind: kind, PSP: provider, PSPReference: ref,
			PSPEventID: ev.ID, Amount: ev.Amount, ReceivedAt: now, State: store.ReviewOpen, Debtor: ev.Debtor, Remittance: ev.Remittance,
			BookedOn: ev.BookedOn}
		if link != nil {
			p.LinkID, p.Expected = link.ID, &link.Amount
		}
		f.reviews[k(m, p.ID)] = p
		f.payRefs[k(m, provider, ref)] = p.ID
		f.applied[k(m, provider, ev.ID)] = store.AppliedPayment{LinkID: ev.LinkID, Kind: kind, ReviewID: p.ID}
		if kind == domain.ReviewReversal && link != nil {
			f.hold(m, link.ID, p.ID)
		}
		if read != nil {
			read.Record.ReviewID = p.ID
		}
		f.keepRead(m, read)
		kept = true
		return nil
	})
	return kept, err
}

func (f *fakeStore) GetReviewPayment(_ context.Context, m, id string) (*store.ReviewPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.reviews, k(m, id))
}

func (f *fakeStore) StartReviewMatch(_ context.Context, m, id, linkID string, _ time.Time) (*store.ReviewPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.reviews[k(m, id)]
	if !ok {
		return nil, domain.ErrNotFound
	}
	if p.PSP != domain.ProviderBank || p.Kind != store.ReviewUnmatched || !(p.State == store.ReviewOpen || (p.State == store.ReviewMatching && p.LinkID == linkID)) {
		c := *p
		return &c, store.ErrReviewNotMatchable
	}
	err := f.write("match", func() error { p.State, p.LinkID = store.ReviewMatching, linkID; return nil })
	c := *p
	return &c, err
}

func (f *fakeStore) EndReviewMatch(_ context.Context, m, id, linkID string, matched bool, _ time.Time) (*store.ReviewPayment, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.reviews[k(m, id)]
	if !ok {
		return nil, false, domain.ErrNotFound
	}
	if p.State != store.ReviewMatching || p.LinkID != linkID {
		c := *p
		return &c, false, nil
	}
	err := f.write("end_match", func() error {
		p.State = store.ReviewMatched
		if !matched {
			p.State, p.LinkID = store.ReviewOpen, ""
		}
		return nil
	})
	c := *p
	return &c, err == nil, err
}

func (f *fakeStore) CreateStatement(_ context.Context, st *store.Statement, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.statements[k(st.Merchant, st.ID)]; ok {
		return store.ErrStatementExists
	}
	return f.write("create", func() error {
		st.Status, st.CreatedAt = store.StatementProcessing, now.UTC().Format(time.RFC3339)
		c := *st
		f.statements[k(st.Merchant, st.ID)] = &c
		f.list[st.Merchant] = append(f.list[st.Merchant], st.ID)
		return nil
	})
}

func (f *fakeStore) GetStatement(_ context.Context, m, id string) (*store.Statement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.statements, k(m, id))
}

func (f *fakeStore) ListStatements(_ context.Context, m string, limit int, cursor string) (store.StatementPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := slices.Clone(f.list[m])
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	page := store.StatementPage{Items: []store.Statement{}}
	for _, id := range ids {
		if cursor != "" && id >= cursor {
			continue
		}
		if len(page.Items) == limit {
			page.Next = page.Items[limit-1].ID
			break
		}
		page.Items = append(page.Items, *f.statements[k(m, id)])
	}
	return page, nil
}

// statement is the statement to update, or the error the store gives.
func (f *fakeStore) statement(m, id string) (*store.Statement, error) {
	st, ok := f.statements[k(m, id)]
	if !ok {
		return nil, domain.ErrNotFound
	}
	return st, nil
}

func (f *fakeStore) StartStatement(_ context.Context, m, id, format, acct string, n int, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.statement(m, id)
	if err != nil {
		return err
	}
	if st.Status != store.StatementProcessing || st.Validated {
		return domain.ErrConflict
	}
	return f.write("start", func() error {
		st.Validated, st.Format, st.AccountIBAN, st.Entries = true, format, acct, n
		return nil
	})
}

func (f *fakeStore) FailStatement(_ context.Context, m, id, why string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.statement(m, id)
	if err != nil {
		return err
	}
	if st.Status != store.StatementProcessing {
		return domain.ErrConflict
	}
	return f.write("fail", func() error { st.Status, st.Error = store.StatementFailed, why; return nil })
}

func (f *fakeStore) CheckpointStatement(_ context.Context, m, id string, from, to int, c store.StatementCounts, done bool, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.statement(m, id)
	if err != nil {
		return false, err
	}
	if st.Status != store.StatementProcessing || !st.Validated || st.Next != from {
		return false, nil
	}
	err = f.write("checkpoint", func() error {
		st.Next = to
		st.Matched, st.Review, st.Ignored, st.Duplicates = st.Matched+c.Matched, st.Review+c.Review, st.Ignored+c.Ignored, st.Duplicates+c.Duplicates
		if done {
			st.Status = store.StatementDone
		}
		return nil
	})
	return err == nil, err
}

func (f *fakeStore) ClaimEntry(_ context.Context, m, payID, id string, index int, _ time.Time) (store.Claim, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	me := fmt.Sprintf("%s#%d", id, index)
	got, ok := f.claims[k(m, payID)]
	switch {
	case ok && got != me:
		return store.ClaimTaken, nil
	case f.lean: // the memory test: no entry twice, nothing kept
		return store.ClaimNew, nil
	}
	err := f.write("claim", func() error { f.claims[k(m, payID)] = me; return nil })
	if ok {
		return store.ClaimAgain, err
	}
	return store.ClaimNew, err
}

func (f *fakeStore) LookupEntries(_ context.Context, m string, payIDs, refs []string) (store.EntryLookup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	look := store.EntryLookup{Claims: map[string]store.EntryClaim{}, Links: map[string]string{}}
	for _, id := range payIDs {
		if c, ok := f.claims[k(m, id)]; ok {
			st, idx, _ := strings.Cut(c, "#")
			var i int
			fmt.Sscan(idx, &i)
			look.Claims[id] = store.EntryClaim{Statement: st, Index: i}
		}
	}
	for _, ref := range refs {
		if id, ok := f.bankRefs[k(m, ref)]; ok {
			look.Links[ref] = id
		}
	}
	return look, nil
}

// RecordEntries puts the records whole, as a batch does (no condition:
// the same record again writes the same).
func (f *fakeStore) RecordEntries(_ context.Context, m, id string, recs []store.StatementEntry, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.write("records", func() error {
		for _, e := range recs {
			key := k(m, id, fmt.Sprint(e.Index))
			if _, ok := f.records[key]; !ok {
				f.recorded++
			}
			if !f.lean {
				f.records[key] = e
			}
		}
		return nil
	})
}

func (f *fakeStore) StatementEntry(_ context.Context, m, id string, index int) (*store.StatementEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.records[k(m, id, fmt.Sprint(index))]
	if !ok {
		return nil, domain.ErrNotFound
	}
	return &e, nil
}

func (f *fakeStore) LeaseStatement(_ context.Context, m, id, holder string, until, now time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.statement(m, id)
	if err != nil {
		return false, err
	}
	held := st.LeaseUntil != "" && st.LeaseUntil >= now.UTC().Format("2006-01-02T15:04:05.000000000Z") && st.LeaseHolder != holder
	if st.Status != store.StatementProcessing || held {
		return false, nil
	}
	err = f.write("lease", func() error {
		st.LeaseHolder, st.LeaseUntil = holder, until.UTC().Format("2006-01-02T15:04:05.000000000Z")
		return nil
	})
	return err == nil, err
}

func (f *fakeStore) ReleaseStatement(_ context.Context, m, id, holder string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.statement(m, id)
	if err != nil || st.LeaseHolder != holder {
		return err
	}
	return f.write("release", func() error { st.LeaseHolder, st.LeaseUntil = "", ""; return nil })
}

func (f *fakeStore) RecordEntry(_ context.Context, m, id string, e *store.StatementEntry, _ time.Time) (*store.StatementEntry, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := k(m, id, fmt.Sprint(e.Index))
	if old, ok := f.records[key]; ok {
		return &old, false, nil
	}
	err := f.write("record", func() error {
		f.recorded++
		if !f.lean {
			f.records[key] = *e
		}
		return nil
	})
	return e, err == nil, err
}

func (f *fakeStore) StatementEntries(_ context.Context, m, id string, limit int, cursor string) (store.EntryPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []store.StatementEntry
	for key, e := range f.records {
		if strings.HasPrefix(key, k(m, id)+"/") {
			all = append(all, e)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Index < all[j].Index })
	from := 0
	if cursor != "" {
		fmt.Sscan(cursor, &from)
	}
	page := store.EntryPage{Items: all[min(from, len(all)):min(from+limit, len(all))]}
	if from+limit < len(all) {
		page.Next = fmt.Sprint(from + limit)
	}
	return page, nil
}

func (f *fakeStore) AppliedPaymentOf(_ context.Context, m, provider, evID string) (store.AppliedPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.applied[k(m, provider, evID)]
	if !ok {
		return a, domain.ErrNotFound
	}
	return a, nil
}

// fakeFiles is the bucket in memory; gen, when set, makes an object's
// content afresh at each Open (the memory test's generated file).
type fakeFiles struct {
	mu    sync.Mutex
	files map[string][]byte
	gen   map[string]func() io.ReadCloser
	opens int
	fail  error
}

func newFakeFiles() *fakeFiles {
	return &fakeFiles{files: map[string][]byte{}, gen: map[string]func() io.ReadCloser{}}
}

func (f *fakeFiles) Put(_ context.Context, key string, body []byte, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.files[key] = bytes.Clone(body)
	return nil
}

func (f *fakeFiles) Open(_ context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	if g, ok := f.gen[key]; ok {
		return g(), nil
	}
	b, ok := f.files[key]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", key, domain.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// fakeQueue keeps what is sent.
type fakeQueue struct {
	mu   sync.Mutex
	sent []statements.Message
	fail error
}

func (q *fakeQueue) Send(_ context.Context, v any, _ time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.sent = append(q.sent, v.(statements.Message))
	return nil
}

func (q *fakeQueue) take() []statements.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.sent
	q.sent = nil
	return out
}

var errCrash = errors.New("the worker died")
