package httpapi

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/personal"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// rightsOf is what a caller holding grants may read of people.
func rightsOf(grants []domain.Permission) personal.Rights {
	return personal.Rights{
		Customers: domain.Allows(grants, domain.LinksRead) || domain.Allows(grants, domain.CustomersRead),
		Members:   domain.Allows(grants, domain.MembersWrite) || domain.Allows(grants, domain.SettingsWrite),
	}
}

// redacting keeps an answer until the endpoint is done, then writes it
// without the people's data the caller may not read (package personal).
type redacting struct {
	w      http.ResponseWriter
	header http.Header
	status int
	buf    bytes.Buffer
}

func (x *redacting) Header() http.Header { return x.header }

func (x *redacting) WriteHeader(code int) {
	if x.status == 0 {
		x.status = code
	}
}

func (x *redacting) Write(b []byte) (int, error) {
	x.WriteHeader(http.StatusOK)
	return x.buf.Write(b)
}

// finish writes the answer, redacted. Only JSON answers are redacted; any
// other answer with a body (an export, a preview) goes out only to a caller
// with the right to customers' data (they hold no member's e-mail); to any
// other it is refused rather than sent whole (no route gives one: exports
// need the read of what they export).
func (x *redacting) finish(r *http.Request, rights personal.Rights) {
	if x.status == 0 {
		x.status = http.StatusOK
	}
	body := x.buf.Bytes()
	if len(body) > 0 {
		mt, _, _ := mime.ParseMediaType(x.header.Get("Content-Type"))
		var err error
		// The merchant's logo, encoded again from its pixels alone, holds no
		// person's data: that route's PNG, and no other answer, passes.
		logo := mt == "image/png" && r.Pattern == "GET "+BrandLogoPath
		if mt == "application/json" || mt == "application/problem+json" {
			body, err = personal.Redact(body, rights)
		} else if !rights.Customers && !logo {
			err = errNotRedactable
		}
		if err != nil {
			reqlog.Set(r.Context(), "error", err.Error())
			problem.Write(x.w, problem.New(http.StatusInternalServerError, "internal error"))
			return
		}
	}
	for k, v := range x.header {
		x.w.Header()[k] = v
	}
	if x.w.Header().Get("Content-Length") != "" {
		x.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	x.w.WriteHeader(x.status)
	_, _ = x.w.Write(body)
}

var errNotRedactable = problem.New(http.StatusInternalServerError, "an answer that is not JSON for a caller without the right to people's data")
