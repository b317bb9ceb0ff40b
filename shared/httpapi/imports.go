package httpapi

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/imports/columns"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// ImportStore is what queueing a CSV import and reading its progress use.
type ImportStore interface {
	CreateImport(ctx context.Context, imp *store.Import) error
	GetImport(ctx context.Context, merchant, id string) (*store.Import, error)
}

// MaxImportBody is the largest CSV file an import takes.
const MaxImportBody = 5 << 20

// importLinks: 202 with the import id; the rows are created by the worker.
func (a *API) importLinks(w http.ResponseWriter, r *http.Request) error {
	return a.queueImport(w, r, imports.KindLinks, imports.ParseCSV)
}

// queueImport checks a CSV file with parse, records the import and queues
// its rows (kind) in chunks for the import worker: 202 with the import id.
func (a *API) queueImport(w http.ResponseWriter, r *http.Request, kind string, parse func([]byte) ([]string, []imports.Row, error)) error {
	m := merchantOf(r.Context())
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		return problem.New(http.StatusUnsupportedMediaType, "send the file as text/csv")
	}
	body, err := readBodyMax(r, MaxImportBody)
	if err != nil {
		return err
	}
	header, rows, err := parse(body)
	if err != nil {
		return err
	}
	imp := &store.Import{ID: domain.NewID(domain.PrefixImport, a.Now()), Merchant: m.ID, RowsTotal: len(rows), CreatedAt: rfc(a.Now())}
	actor := domain.ActorOf(r.Context())
	by := actor.Public()
	if err := a.Store.CreateImport(r.Context(), imp); err != nil {
		return err
	}
	for i := 0; i < len(rows); i += imports.Chunk {
		msg := imports.Message{Kind: kind, Merchant: m.ID, ImportID: imp.ID, Header: header, Rows: rows[i:min(i+imports.Chunk, len(rows))],
			By: &by, ByIP: actor.IP, ByUserAgent: actor.UserAgent}
		if err := a.Imports.Send(r.Context(), msg, 0); err != nil {
			return err
		}
	}
	reqlog.Set(r.Context(), "outcome", "import_queued")
	writeJSON(w, http.StatusAccepted, map[string]any{"id": imp.ID, "object": "import", "status": "processing", "rows_total": len(rows)})
	return nil
}

func (a *API) getImport(w http.ResponseWriter, r *http.Request) error {
	imp, err := a.Store.GetImport(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": imp.ID, "object": "import", "status": imp.Status, "rows_total": imp.RowsTotal,
		"rows_done": imp.RowsDone, "rows_failed": imp.RowsFail, "errors": imp.Errors, "created_at": imp.CreatedAt})
	return nil
}

// neutralize keeps spreadsheets from running a cell as a formula.
func neutralize(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// maxExportIDs bounds the links an export names one by one (id=).
const maxExportIDs = maxLimit

// exportLinks streams the filtered links as CSV, page by page; or, with
// id= (repeated, at most 500), exactly those links (the dashboard's
// selection), those of another merchant or gone left out.
func (a *API) exportLinks(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	values, err := query(r)
	if err != nil {
		return err
	}
	if values.Has("cursor") || values.Has("limit") {
		return problem.Invalid(domain.FieldError{Field: "cursor", Message: "the export takes the list filters without cursor and limit"})
	}
	ids := values["id"]
	values.Del("id")
	q, err := parseListQuery(values, m, a.Now())
	if err != nil {
		return err
	}
	if err := checkExportIDs(ids); err != nil {
		return err
	}
	q.Limit = maxLimit
	cols := []string{"amount", "currency", "description", "reference", "expires_at", "customer_number", "first_name", "last_name", "company_name",
		"email", "phone", "language", "country", "redirect_url", "origin"}
	return streamCSV(w, r, "payment-links.csv", append(cols, columns.LinksExportOnly...), func(cursor string) ([][]string, string, error) {
		if len(ids) > 0 {
			rows, err := a.linkRowsOf(r, m.ID, ids)
			return rows, "", err
		}
		q.Cursor = cursor
		links, next, err := a.Store.List(r.Context(), q)
		rows := make([][]string, len(links))
		for i, l := range links {
			rows[i] = a.exportRow(l)
		}
		return rows, next, err
	})
}

func checkExportIDs(ids []string) error {
	if len(ids) > maxExportIDs {
		return problem.Invalid(domain.FieldError{Field: "id", Message: fmt.Sprintf("names at most %d links", maxExportIDs)})
	}
	for _, id := range ids {
		if !domain.ValidID(domain.PrefixLink, id) {
			return problem.Invalid(domain.FieldError{Field: "id", Message: "must be payment link ids (pl_...)"})
		}
	}
	return nil
}

// linkRowsOf is the export rows of the links named, in their order.
func (a *API) linkRowsOf(r *http.Request, merchantID string, ids []string) ([][]string, error) {
	rows := make([][]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		l, err := a.Store.Get(r.Context(), merchantID, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, a.exportRow(l))
	}
	return rows, nil
}

// exportRow is a link's row in the export: the import's columns, then the
// export-only ones.
func (a *API) exportRow(l *domain.Link) []string {
	paid := ""
	if l.PaidAt != nil {
		paid = rfc(*l.PaidAt)
	}
	c := l.Customer
	return []string{l.Amount.String(), l.Amount.Currency, l.Description, l.Reference, rfc(l.ExpiresAt), c.CustomerNumber, c.FirstName, c.LastName,
		c.CompanyName, c.Email, c.Phone, c.Language, c.Country, l.RedirectURL, string(l.Origin),
		l.ID, string(l.Status), l.AmountRefunded.String(), rfc(l.CreatedAt), paid, a.PublicBaseURL + "/l/" + l.Code}
}

// streamCSV answers a CSV attachment: the header, then each page's rows,
// every cell guarded against spreadsheet formulas (neutralize), until page
// has no next cursor. Once the status is sent a failure can only cut the
// stream: it is logged.
func streamCSV(w http.ResponseWriter, r *http.Request, filename string, header []string, page func(cursor string) ([][]string, string, error)) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	n, cursor := 0, ""
	for {
		rows, next, err := page(cursor)
		if err != nil {
			reqlog.Set(r.Context(), "error", err.Error())
			return nil // the status is sent; a cut stream is the signal
		}
		for _, rec := range rows {
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
		cursor = next
	}
	reqlog.Set(r.Context(), "outcome", fmt.Sprintf("exported_%d", n))
	return nil
}
