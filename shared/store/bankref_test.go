package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestBankReferenceMarker: a link offering a bank transfer is written in
// the one transaction with its bank reference's marker, found again by the
// reference in any written form; a second link of the merchant with the
// same reference is refused with ErrBankReferenceTaken and writes nothing;
// another merchant may hold the same reference; a click keeps the
// reference; a deleted link leaves its marker (a late transfer pays no
// other link).
func TestBankReferenceMarker(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now)
	l.BankReference = reference.ForLink(l.ID, 0, reference.BEOGM)
	env.Count.Reset()
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	if got := env.Count.Snapshot(); got["TransactWriteItems"] != 1 || env.Count.Total() != 1 {
		t.Fatalf("a create with a bank reference must be one TransactWriteItems, got %v", got)
	}
	printed, err := reference.Print(l.BankReference)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{l.BankReference, printed, "  " + printed + " "} {
		id, err := env.Store.LinkIDByBankReference(ctx, "m1", form)
		if err != nil || id != l.ID {
			t.Fatalf("by %q: %q %v", form, id, err)
		}
	}
	if _, err := env.Store.LinkIDByBankReference(ctx, "m2", l.BankReference); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another merchant's reference: %v", err)
	}
	if _, err := env.Store.LinkIDByBankReference(ctx, "m1", reference.ForLink(l.ID, 1, reference.BEOGM)); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an unknown reference: %v", err)
	}
	if _, err := env.Store.LinkIDByBankReference(ctx, "m1", " +/ "); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an empty reference: %v", err)
	}
	got, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil || got.BankReference != l.BankReference {
		t.Fatalf("read back %q: %v", got.BankReference, err)
	}
	same := takenReference(t, env, l, now)
	clickKeeps(t, env, got, now)
	deleteKeepsMarker(t, env, same)
}

// takenReference: l's reference on another link of its merchant is
// refused and writes nothing; its next reference goes through; another
// merchant may hold the same reference. It returns the second link.
func takenReference(t *testing.T, env *testenv.Env, l *domain.Link, now time.Time) *domain.Link {
	t.Helper()
	same, sameEv := newLink(t, "m1", "ORDER-2", now)
	same.BankReference = l.BankReference
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: same, Event: sameEv}); !errors.Is(err, store.ErrBankReferenceTaken) {
		t.Fatalf("a taken reference: %v", err)
	}
	if _, err := env.Store.Get(ctx, "m1", same.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the refused link was written: %v", err)
	}
	if n := countLinks(t, env, "m1"); n != 1 {
		t.Fatalf("%d links", n)
	}
	// Its next reference goes through, and its order reference with it.
	same.BankReference = reference.ForLink(same.ID, 1, reference.BEOGM)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: same, Event: sameEv}); err != nil {
		t.Fatal(err)
	}
	// Another merchant holds the same reference freely.
	other, otherEv := newLink(t, "m2", "", now)
	other.BankReference = l.BankReference
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: other, Event: otherEv}); err != nil {
		t.Fatal(err)
	}
	return same
}

// clickKeeps: a click rewrites the link and keeps the reference.
func clickKeeps(t *testing.T, env *testenv.Env, got *domain.Link, now time.Time) {
	t.Helper()
	l := got
	next := domain.Open(got, now)
	if err := env.Store.Transition(ctx, got, next, domain.NewEvent(l.ID, domain.EventClicked, got.Status, next.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	clicked, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil || clicked.BankReference != l.BankReference || clicked.Status != domain.StatusClicked {
		t.Fatalf("after a click: %q %s %v", clicked.BankReference, clicked.Status, err)
	}
}

// deleteKeepsMarker: a never-opened link deleted, its marker stays.
func deleteKeepsMarker(t *testing.T, env *testenv.Env, same *domain.Link) {
	t.Helper()
	del, err := env.Store.Get(ctx, "m1", same.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.Delete(ctx, del); err != nil {
		t.Fatal(err)
	}
	if id, err := env.Store.LinkIDByBankReference(ctx, "m1", same.BankReference); err != nil || id != same.ID {
		t.Fatalf("the deleted link's marker: %q %v", id, err)
	}
	out, err := env.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env.Table), Key: store.LinkKey("m1", same.ID)})
	if err != nil || out.Item != nil {
		t.Fatalf("the link was not deleted: %v", err)
	}
}
