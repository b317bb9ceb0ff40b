package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// Import limits.
const (
	MaxImportBody = 5 << 20
	MaxImportRows = 10000
	importChunk   = 100 // rows per queue message
)

// importColumns are the columns of API.md; exportOnly are what an export
// adds and an import accepts and ignores, so an export imports again.
var (
	importColumns = []string{"amount", "currency", "description", "reference", "expires_at", "expires_in_days", "first_name", "last_name",
		"company_name", "email", "phone", "language", "country", "redirect_url", "origin", "send_channel"}
	exportOnly = []string{"id", "status", "amount_refunded", "created_at", "paid_at", "url"}
)

// ImportMessage carries a chunk of rows to the import worker.
type ImportMessage struct {
	Merchant string     `json:"merchant"`
	ImportID string     `json:"import_id"`
	Header   []string   `json:"header"`
	Rows     []CSVRow   `json:"rows"`
	Now      *time.Time `json:"now,omitempty"`
}

// CSVRow is one data row and its number in the file (the header is row 1).
type CSVRow struct {
	N     int      `json:"n"`
	Cells []string `json:"cells"`
}

// importLinks: 202 with the import id; the rows are created by the worker.
func (a *API) importLinks(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		fail(w, r, problem.New(http.StatusUnsupportedMediaType, "send the file as text/csv"))
		return
	}
	body, err := readBodyMax(r, MaxImportBody)
	if err != nil {
		fail(w, r, err)
		return
	}
	header, rows, err := parseCSV(body)
	if err != nil {
		fail(w, r, err)
		return
	}
	imp := &store.Import{ID: domain.NewID(domain.PrefixImport, a.Now()), Merchant: m.ID, RowsTotal: len(rows), CreatedAt: rfc(a.Now())}
	if err := a.Store.CreateImport(r.Context(), imp); err != nil {
		fail(w, r, err)
		return
	}
	for i := 0; i < len(rows); i += importChunk {
		msg := ImportMessage{Merchant: m.ID, ImportID: imp.ID, Header: header, Rows: rows[i:min(i+importChunk, len(rows))]}
		if err := a.Imports.Send(r.Context(), msg, 0); err != nil {
			fail(w, r, err)
			return
		}
	}
	reqlog.Set(r.Context(), "outcome", "import_queued")
	writeJSON(w, http.StatusAccepted, map[string]any{"id": imp.ID, "object": "import", "status": "processing", "rows_total": len(rows)})
}

// parseCSV checks encoding, header and size; 422 with the reason otherwise.
func parseCSV(body []byte) ([]string, []CSVRow, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) {
		return nil, nil, problem.Invalid(domain.FieldError{Field: "file", Message: "must be UTF-8 text"})
	}
	cr := csv.NewReader(bytes.NewReader(body))
	header, err := cr.Read()
	if err != nil {
		return nil, nil, problem.Invalid(domain.FieldError{Field: "file", Message: "needs a header row"})
	}
	seen := map[string]bool{}
	var errs fieldErrs
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		header[i] = h
		switch {
		case seen[h]:
			errs.add("header", fmt.Sprintf("column %q appears twice", h))
		case !contains(importColumns, h) && !contains(exportOnly, h):
			errs.add("header", fmt.Sprintf("unknown column %q (columns: %s)", h, strings.Join(importColumns, ", ")))
		}
		seen[h] = true
	}
	for _, req := range []string{"amount", "currency", "description"} {
		if !seen[req] {
			errs.add("header", "missing column "+req)
		}
	}
	if !seen["company_name"] && !(seen["first_name"] && seen["last_name"]) {
		errs.add("header", "needs first_name and last_name, or company_name")
	}
	if len(errs) > 0 {
		return nil, nil, problem.Invalid(errs...)
	}
	var rows []CSVRow
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, problem.Invalid(domain.FieldError{Field: "file", Message: fmt.Sprintf("row %d: %v", n, err)})
		}
		if len(rows) == MaxImportRows {
			return nil, nil, problem.Invalid(domain.FieldError{Field: "file", Message: "has more than 10000 rows"})
		}
		rows = append(rows, CSVRow{N: n, Cells: rec})
	}
	if len(rows) == 0 {
		return nil, nil, problem.Invalid(domain.FieldError{Field: "file", Message: "has no rows"})
	}
	return header, rows, nil
}

// unneutralize undoes the export's formula guard on a cell.
func unneutralize(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// rowRequest turns a row into a create request (the API's own checks run
// on it); a value that is not even the right type is a field error.
func rowRequest(header []string, cells []string) (*createRequest, *domain.FieldError) {
	v := map[string]string{}
	for i, h := range header {
		if i < len(cells) {
			v[h] = strings.TrimSpace(unneutralize(cells[i]))
		}
	}
	req := &createRequest{Customer: &domain.Customer{FirstName: v["first_name"], LastName: v["last_name"], CompanyName: v["company_name"],
		Email: v["email"], Phone: v["phone"], Language: v["language"], Country: v["country"]}}
	amt, _ := json.Marshal(map[string]string{"currency": v["currency"], "value": v["amount"]})
	req.Amount = amt
	opt := func(k string) *string {
		if s := v[k]; s != "" {
			return &s
		}
		return nil
	}
	req.Description = opt("description")
	if req.Description == nil {
		empty := ""
		req.Description = &empty
	}
	req.Reference, req.ExpiresAt, req.RedirectURL, req.Origin = opt("reference"), opt("expires_at"), opt("redirect_url"), opt("origin")
	if s := v["expires_in_days"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, &domain.FieldError{Field: "expires_in_days", Message: "must be a whole number of days"}
		}
		req.ExpiresInDays = &n
	}
	if s := v["send_channel"]; s != "" {
		req.Send = &struct {
			Channel string `json:"channel"`
		}{Channel: s}
	}
	return req, nil
}

// HandleImport is the import queue's consumer: each row is created (or its
// error recorded) once, whatever the redeliveries.
func (a *API) HandleImport(ctx context.Context, sm events.SQSMessage) error {
	var msg ImportMessage
	if err := json.Unmarshal([]byte(sm.Body), &msg); err != nil || msg.ImportID == "" || msg.Merchant == "" {
		return fmt.Errorf("%w: malformed import message", queue.ErrPermanent)
	}
	m, err := a.merchants.Get(ctx, msg.Merchant)
	if err != nil {
		return err
	}
	created, failed, skipped := 0, 0, 0
	for _, row := range msg.Rows {
		outcome, err := a.importRow(ctx, m, &msg, row)
		if err != nil {
			return fmt.Errorf("import %s row %d: %w", msg.ImportID, row.N, err)
		}
		switch outcome {
		case "created":
			created++
		case "failed":
			failed++
		default:
			skipped++
		}
	}
	a.Log.LogAttrs(ctx, slog.LevelInfo, "import batch", slog.String("merchant", msg.Merchant), slog.String("import_id", msg.ImportID),
		slog.Int("created", created), slog.Int("failed", failed), slog.Int("already_done", skipped), slog.String("outcome", "imported"))
	return nil
}

func (a *API) importRow(ctx context.Context, m *merchant.Merchant, msg *ImportMessage, row CSVRow) (string, error) {
	ir := store.ImportRow{Merchant: m.ID, ImportID: msg.ImportID, Row: row.N}
	req, fe := rowRequest(msg.Header, row.Cells)
	if fe != nil {
		return "failed", a.Store.FailImportRow(ctx, ir, fe.Field, fe.Message)
	}
	l, ev, err := a.newSignedLink(req, m)
	var p *problem.Problem
	if errors.As(err, &p) && len(p.Errors) > 0 {
		return "failed", a.Store.FailImportRow(ctx, ir, p.Errors[0].Field, p.Errors[0].Message)
	}
	if err != nil {
		return "", err
	}
	l.Origin = domain.OriginImport
	if req.Origin != nil {
		l.Origin = domain.Origin(*req.Origin)
	}
	ev.Data = map[string]string{"origin": string(l.Origin), "import_id": msg.ImportID, "row": strconv.Itoa(row.N)}
	sendID := ""
	if req.Send != nil {
		sendID = derivedSendID("i", msg.ImportID, strconv.Itoa(row.N))
		requestSend(&ev, req.Send.Channel, sendID)
	}
	err = a.Store.CreateImported(ctx, l, ev, ir)
	switch {
	case errors.Is(err, store.ErrRowDone):
		return "already_done", nil
	case errors.Is(err, domain.ErrDuplicateReference):
		return "failed", a.Store.FailImportRow(ctx, ir, "reference", "is already used by another link")
	case err != nil:
		return "", err
	}
	if req.Send != nil {
		a.sendNow(ctx, l, req.Send.Channel, sendID)
	}
	return "created", nil
}

func (a *API) getImport(w http.ResponseWriter, r *http.Request) {
	imp, err := a.Store.GetImport(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": imp.ID, "object": "import", "status": imp.Status, "rows_total": imp.RowsTotal,
		"rows_done": imp.RowsDone, "rows_failed": imp.RowsFail, "errors": imp.Errors, "created_at": imp.CreatedAt})
}

// neutralize keeps spreadsheets from running a cell as a formula.
func neutralize(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportLinks streams the filtered links as CSV, page by page.
func (a *API) exportLinks(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	values, err := query(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	if values.Has("cursor") || values.Has("limit") {
		fail(w, r, problem.Invalid(domain.FieldError{Field: "cursor", Message: "the export takes the list filters without cursor and limit"}))
		return
	}
	q, err := parseListQuery(values, m.ID, a.Now())
	if err != nil {
		fail(w, r, err)
		return
	}
	q.Limit = maxLimit
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="payment-links.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cols := []string{"amount", "currency", "description", "reference", "expires_at", "first_name", "last_name", "company_name", "email", "phone",
		"language", "country", "redirect_url", "origin"}
	_ = cw.Write(append(append([]string{}, cols...), exportOnly...))
	n := 0
	for {
		links, next, err := a.Store.List(r.Context(), q)
		if err != nil {
			reqlog.Set(r.Context(), "error", err.Error())
			return // the status is sent; a cut stream is the signal
		}
		for _, l := range links {
			paid := ""
			if l.PaidAt != nil {
				paid = rfc(*l.PaidAt)
			}
			c := l.Customer
			rec := []string{l.Amount.String(), l.Amount.Currency, l.Description, l.Reference, rfc(l.ExpiresAt), c.FirstName, c.LastName,
				c.CompanyName, c.Email, c.Phone, c.Language, c.Country, l.RedirectURL, string(l.Origin),
				l.ID, string(l.Status), l.AmountRefunded.String(), rfc(l.CreatedAt), paid, a.PublicBaseURL + "/l/" + l.Code}
			for i := range rec {
				rec[i] = neutralize(rec[i])
			}
			_ = cw.Write(rec)
			n++
		}
		cw.Flush()
		if next == "" {
			break
		}
		q.Cursor = next
	}
	reqlog.Set(r.Context(), "outcome", fmt.Sprintf("exported_%d", n))
}
