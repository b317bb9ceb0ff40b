// Package imports is the CSV import: the file's format (ParseCSV, checked
// when the API accepts it) and the worker that makes each row's link once,
// with the same rules as the API (domain.NewLink), whatever the
// redeliveries.
package imports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports/columns"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/store"
)

// Import limits.
const (
	MaxRows = 10000
	Chunk   = 100 // rows per queue message
)

// Import kinds.
const (
	KindLinks     = "links"
	KindCustomers = "customers"
)

// Message carries a chunk of rows to the import worker.
type Message struct {
	// Kind is what the rows make: KindLinks ("" too) or KindCustomers.
	Kind     string     `json:"kind,omitempty"`
	Merchant string     `json:"merchant"`
	ImportID string     `json:"import_id"`
	Header   []string   `json:"header"`
	Rows     []Row      `json:"rows"`
	Now      *time.Time `json:"now,omitempty"`
	// By is who asked for the import (with IP and UserAgent, which the
	// actor's JSON leaves out): its rows' links are created in their name.
	By          *domain.Actor `json:"by,omitempty"`
	ByIP        string        `json:"by_ip,omitempty"`
	ByUserAgent string        `json:"by_user_agent,omitempty"`
}

// actorCtx is ctx acting as whoever asked for the import (unchanged for a
// message without one: paylinks acts).
func (msg *Message) actorCtx(ctx context.Context) context.Context {
	if msg.By == nil {
		return ctx
	}
	a := *msg.By
	a.IP, a.UserAgent = msg.ByIP, msg.ByUserAgent
	return domain.WithActor(ctx, a)
}

// Row is one data row and its number in the file (the header is row 1).
type Row struct {
	N     int      `json:"n"`
	Cells []string `json:"cells"`
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ParseCSV reads a file: its header (lower-cased, trimmed) and its rows, or
// the field errors that make it refused as a whole (file, header).
func ParseCSV(body []byte) ([]string, []Row, error) {
	return parse(body, checkHeader)
}

// parse reads a file whose header check checks (and normalises).
func parse(body []byte, check func(header []string) error) ([]string, []Row, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) {
		return nil, nil, domain.FieldErrors{{Field: "file", Message: "must be UTF-8 text"}}
	}
	cr := csv.NewReader(bytes.NewReader(body))
	header, err := cr.Read()
	if err != nil {
		return nil, nil, domain.FieldErrors{{Field: "file", Message: "needs a header row"}}
	}
	if err := check(header); err != nil {
		return nil, nil, err
	}
	var rows []Row
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, domain.FieldErrors{{Field: "file", Message: fmt.Sprintf("row %d: %v", n, err)}}
		}
		if len(rows) == MaxRows {
			return nil, nil, domain.FieldErrors{{Field: "file", Message: "has more than 10000 rows"}}
		}
		rows = append(rows, Row{N: n, Cells: rec})
	}
	if len(rows) == 0 {
		return nil, nil, domain.FieldErrors{{Field: "file", Message: "has no rows"}}
	}
	return header, rows, nil
}

// checkHeader normalises the header's names in place and checks them.
func checkHeader(header []string) error {
	var errs domain.FieldErrors
	seen := readHeader(header, columns.Links, columns.LinksExportOnly, &errs)
	for _, req := range []string{"amount", "currency", "description"} {
		if !seen[req] {
			errs.Add("header", "missing column "+req)
		}
	}
	if !seen["company_name"] && !(seen["first_name"] && seen["last_name"]) && !seen["customer_id"] {
		errs.Add("header", "needs first_name and last_name, or company_name, or customer_id")
	}
	return errs.Err()
}

// readHeader lower-cases and trims a file's column names in place, adds an
// error for a column given twice or not one of columns (or of the export's
// own extra ones, ignored), and returns the columns seen.
func readHeader(header, columns, extra []string, errs *domain.FieldErrors) map[string]bool {
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		header[i] = h
		switch {
		case seen[h]:
			errs.Add("header", fmt.Sprintf("column %q appears twice", h))
		case !contains(columns, h) && !contains(extra, h):
			errs.Add("header", fmt.Sprintf("unknown column %q (columns: %s)", h, strings.Join(columns, ", ")))
		}
		seen[h] = true
	}
	return seen
}

// unneutralize undoes the export's formula guard on a cell.
func unneutralize(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// cells are a row's values by column (trimmed, the export's formula guard
// undone).
func cells(header []string, row []string) map[string]string {
	v := map[string]string{}
	for i, h := range header {
		if i < len(row) {
			v[h] = strings.TrimSpace(unneutralize(row[i]))
		}
	}
	return v
}

// RowInput turns a row into a new link's input (domain.NewLink checks it as
// it checks the API's) and the row's customer_id ("" when none); a value
// that is not even the right type is a field error. A customer_id with the
// customer's own columns is one, as customer_id with customer in the API.
func RowInput(header []string, row []string) (*domain.LinkInput, string, *domain.FieldError) {
	v := cells(header, row)
	in := &domain.LinkInput{Customer: &domain.Customer{CustomerNumber: v["customer_number"], FirstName: v["first_name"], LastName: v["last_name"],
		CompanyName: v["company_name"], Email: v["email"], Phone: v["phone"], Language: v["language"], Country: v["country"]}}
	customerID := v["customer_id"]
	if c := in.Customer; customerID != "" && *c != (domain.Customer{}) {
		return nil, "", &domain.FieldError{Field: "customer_id", Message: "give customer_id or the customer's columns, not both"}
	}
	amt, err := json.Marshal(map[string]string{"currency": v["currency"], "value": v["amount"]})
	if err != nil {
		return nil, "", &domain.FieldError{Field: "amount", Message: "must be an amount and a currency"}
	}
	in.Amount = amt
	opt := func(k string) *string {
		if s := v[k]; s != "" {
			return &s
		}
		return nil
	}
	description := v["description"]
	in.Description = &description
	in.Reference, in.ExpiresAt, in.RedirectURL, in.Origin, in.SendChannel = opt("reference"), opt("expires_at"), opt("redirect_url"), opt("origin"), opt("send_channel")
	if s := v["expires_in_days"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, "", &domain.FieldError{Field: "expires_in_days", Message: "must be a whole number of days"}
		}
		in.ExpiresInDays = &n
	}
	return in, customerID, nil
}

// Store is what an import needs of the table: a row's link made by the
// link service (links.Store), a row's customer upserted, a row's error
// recorded (each row once), and the merchant. *store.Store is one.
type Store interface {
	links.Store
	ImportCustomer(ctx context.Context, in domain.CustomerInput, row store.ImportRow, now time.Time) (string, error)
	FailImportRow(ctx context.Context, r store.ImportRow, field, msg string) error
	GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error)
}

// Worker is the import queue's consumer.
type Worker struct {
	Store Store
	// Codes signs the links' public codes.
	Codes domain.CodeKey
	// Send queues the sends asked for in the file (send_channel).
	Send      *send.Service
	Merchants func(ctx context.Context, id string) (*merchant.Merchant, error)
	Log       *slog.Logger
	Now       func() time.Time
}

// New returns the worker over a store, signing codes with codes.
func New(st Store, codes domain.CodeKey, snd *send.Service) *Worker {
	return &Worker{Store: st, Codes: codes, Send: snd, Merchants: st.GetMerchant, Log: slog.Default(), Now: time.Now}
}

// Handle is the import queue's consumer: each row is created (or its error
// recorded) once, whatever the redeliveries.
func (w *Worker) Handle(ctx context.Context, sm events.SQSMessage) error {
	return queue.Typed(w.Process)(ctx, sm)
}

// Validate refuses an import message that names no import.
func (m *Message) Validate() error {
	if m.ImportID == "" || m.Merchant == "" {
		return errors.New("an import message names a merchant and an import")
	}
	if m.Kind != "" && m.Kind != KindLinks && m.Kind != KindCustomers {
		return fmt.Errorf("import %s: unknown kind %q", m.ImportID, m.Kind)
	}
	return nil
}

// Process creates one decoded batch's rows.
func (w *Worker) Process(ctx context.Context, qm queue.Message[Message]) error {
	msg := qm.Body
	ctx = msg.actorCtx(ctx)
	m, err := w.Merchants(ctx, msg.Merchant)
	if err != nil {
		return fmt.Errorf("import %s: merchant %s: %w", msg.ImportID, msg.Merchant, err)
	}
	counts := map[string]int{}
	for _, row := range msg.Rows {
		var outcome string
		if msg.Kind == KindCustomers {
			outcome, err = w.importCustomerRow(ctx, &msg, row)
		} else {
			outcome, err = w.importRow(ctx, m, &msg, row)
		}
		if err != nil {
			return fmt.Errorf("import %s row %d: %w", msg.ImportID, row.N, err)
		}
		counts[outcome]++
	}
	w.Log.LogAttrs(ctx, slog.LevelInfo, "import batch", slog.String("merchant", msg.Merchant), slog.String("import_id", msg.ImportID),
		slog.String("kind", msg.Kind), slog.Int("created", counts["created"]), slog.Int("updated", counts["updated"]),
		slog.Int("failed", counts["failed"]), slog.Int("already_done", counts["already_done"]), slog.String("outcome", "imported"))
	return nil
}

// importRow makes one row's link: "created", "failed" (its first field
// error recorded on the import) or "already_done".
func (w *Worker) importRow(ctx context.Context, m *merchant.Merchant, msg *Message, row Row) (string, error) {
	ir := store.ImportRow{Merchant: m.ID, ImportID: msg.ImportID, Row: row.N}
	in, customerID, fe := RowInput(msg.Header, row.Cells)
	if fe != nil {
		return "failed", w.Store.FailImportRow(ctx, ir, fe.Field, fe.Message)
	}
	fail := func(err error) (string, error) {
		var errs domain.FieldErrors
		if errors.As(err, &errs) && len(errs) > 0 {
			return "failed", w.Store.FailImportRow(ctx, ir, errs[0].Field, errs[0].Message)
		}
		return "", err
	}
	svc := links.Service{Store: w.Store, Codes: w.Codes, Send: w.Send, Now: w.Now}
	created, err := svc.Create(ctx, links.Create{Merchant: m, Input: in, CustomerID: customerID, Origin: domain.OriginImport, Row: &ir})
	switch {
	case errors.Is(err, store.ErrRowDone):
		return "already_done", nil
	case errors.Is(err, store.ErrCustomerNumberTaken):
		return "failed", w.Store.FailImportRow(ctx, ir, "customer_number", "belongs to another customer")
	case errors.Is(err, domain.ErrDuplicateReference):
		return "failed", w.Store.FailImportRow(ctx, ir, "reference", "is already used by another link")
	case errors.Is(err, domain.ErrCustomerArchived):
		return "failed", w.Store.FailImportRow(ctx, ir, archivedField(customerID, in.Customer), "the customer is archived or erased")
	case err != nil:
		return fail(err)
	}
	if created.SendDeferred != "" {
		w.Log.LogAttrs(ctx, slog.LevelWarn, "import send deferred", slog.String("link_id", created.Link.ID), slog.String("reason", created.SendDeferred))
	}
	return "created", nil
}

// archivedField is the row's field that named an archived or erased
// customer: customer_id, else its number, else its e-mail.
func archivedField(customerID string, c *domain.Customer) string {
	switch {
	case customerID != "":
		return "customer_id"
	case c != nil && strings.TrimSpace(c.CustomerNumber) != "":
		return "customer_number"
	}
	return "customer.email"
}
