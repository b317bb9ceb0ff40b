package httpapi

import (
	"net/http"
	"net/url"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/problem"
)

// listing answers a listing of one page: its query checked against its
// known parameters (pageParams) and, when check is given, the listing's
// own filters; 422 naming every bad one. Then fetch reads the page of the
// limit (and the query's cursor), which writePage answers with the cursor
// of the next.
func listing[V any](w http.ResponseWriter, r *http.Request, known map[string]bool, check func(url.Values, *domain.FieldErrors),
	fetch func(v url.Values, limit int) ([]V, string, error)) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	limit := pageParams(v, known, &errs)
	if check != nil {
		check(v, &errs)
	}
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	data, next, err := fetch(v, limit)
	if err != nil {
		return err
	}
	writePage(w, r, data, next)
	return nil
}

// views is each of items as view makes it (an empty list, not null, when
// there are none).
func views[T, V any](items []T, view func(*T) V) []V {
	out := make([]V, len(items))
	for i := range items {
		out[i] = view(&items[i])
	}
	return out
}
