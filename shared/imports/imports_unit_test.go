package imports_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/queue"
)

var unitNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// newUnitWorker is the import worker over a store in memory (no sends: the
// files here ask for none).
func newUnitWorker(st *fakeStore) *imports.Worker {
	w := imports.New(st, domain.CodeKey("0123456789abcdef0123456789abcdef"), nil)
	w.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	w.Now = func() time.Time { return unitNow }
	return w
}

func process(t *testing.T, w *imports.Worker, m imports.Message) {
	t.Helper()
	if err := w.Process(context.Background(), queue.Message[imports.Message]{Body: m}); err != nil {
		t.Fatal(err)
	}
}

var linkHeader = []string{"amount", "currency", "description", "reference", "first_name", "last_name", "email", "customer_number"}

func TestUnitRedeliveredBatchMakesEachRowOnce(t *testing.T) {
	st := newFakeStore()
	w := newUnitWorker(st)
	batch := imports.Message{Merchant: "shop", ImportID: "im_1", Header: linkHeader, Rows: []imports.Row{
		{N: 2, Cells: []string{"12.50", "EUR", "Invoice 1", "INV-1", "Ann", "Peeters", "ann@example.be", "C-1"}},
		{N: 3, Cells: []string{"abc", "EUR", "Invoice 2", "INV-2", "Bo", "Claes", "bo@example.be", "C-2"}},
		{N: 4, Cells: []string{"7.00", "EUR", "Invoice 3", "INV-1", "Cas", "Dirks", "cas@example.be", "C-3"}},
		{N: 5, Cells: []string{"8.00", "EUR", "Invoice 4", "INV-4", "Ann", "Peeters", "ann@example.be", "C-1"}},
	}}
	for range 3 {
		process(t, w, batch)
	}
	if len(st.links) != 2 {
		t.Fatalf("%d links from a batch delivered three times, want 2 (rows 2 and 5)", len(st.links))
	}
	byRef := map[string]*domain.Link{}
	for _, l := range st.links {
		byRef[l.Reference] = l
	}
	ann, again := byRef["INV-1"], byRef["INV-4"]
	if ann == nil || again == nil || ann.Origin != domain.OriginImport || ann.Customer.ID == "" || again.Customer.ID != ann.Customer.ID || ann.Code == "" {
		t.Fatalf("links %+v; want INV-1 and INV-4 imported for one customer, with codes", byRef)
	}
	if len(st.customers) != 1 {
		t.Fatalf("%d customers, want one (row 5 matches row 2's by number)", len(st.customers))
	}
	if len(st.failed) != 2 || !strings.HasPrefix(st.failed[3], "amount") || st.failed[4] != "reference: is already used by another link" {
		t.Fatalf("row errors %v; want row 3 on amount, row 4 on its reused reference", st.failed)
	}
}

func TestUnitCustomerRowsUpsertOnce(t *testing.T) {
	st := newFakeStore()
	st.erased["C-9"] = true
	w := newUnitWorker(st)
	batch := imports.Message{Kind: imports.KindCustomers, Merchant: "shop", ImportID: "im_2", Header: []string{"customer_number", "email"}, Rows: []imports.Row{
		{N: 2, Cells: []string{"C-1", "ann@example.be"}},
		{N: 3, Cells: []string{"C-1", "ann@work.example"}},
		{N: 4, Cells: []string{"", "nobody@example.be"}},
		{N: 5, Cells: []string{"C-9", "erased@example.be"}},
	}}
	for range 2 {
		process(t, w, batch)
	}
	if len(st.customers) != 1 {
		t.Fatalf("%d customers, want one (row 3 updates row 2's)", len(st.customers))
	}
	for _, c := range st.customers {
		if c.Email != "ann@work.example" {
			t.Fatalf("customer e-mail %q, want row 3's", c.Email)
		}
	}
	if st.failed[4] != "customer_number: is required here" || st.failed[5] != "customer_number: the customer is erased" || len(st.failed) != 2 {
		t.Fatalf("row errors %v", st.failed)
	}
}
