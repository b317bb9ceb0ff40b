package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/jsonstrict"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// IdempotencyStore is what the Idempotency-Key of a POST reserves,
// completes with the answer, or releases (a create stores its answer in
// the link's own transaction: LinkStore).
type IdempotencyStore interface {
	ReserveIdempotency(ctx context.Context, merchant, k, hash string, now time.Time) (*store.Stored, error)
	CompleteIdempotency(ctx context.Context, d *store.IdempotencyDone) error
	ReleaseIdempotency(ctx context.Context, merchant, k string) error
}

type idemKey struct{}

// idemSlot is a reserved Idempotency-Key. A handler that stores its answer
// in its own transaction (create) sets done; otherwise the middleware stores
// the answer once the handler returns.
type idemSlot struct {
	merchant, key string
	done          bool
	// instead is what to keep in place of the answer's body (a new API
	// key without its secret); nil keeps the body as answered.
	instead any
}

// storeInstead keeps v (as JSON) in place of the answer's body: what a
// replay answers. No-op without an Idempotency-Key.
func (s *idemSlot) storeInstead(v any) {
	if s != nil {
		s.instead = v
	}
}

// scopedKey is an Idempotency-Key as stored: the principal's own (a member
// or a key of the merchant), so one principal never gets another's answer.
func scopedKey(a domain.Actor, k string) string {
	return string(a.Type) + ":" + a.ID + ":" + k
}

func slotOf(ctx context.Context) *idemSlot {
	s, _ := ctx.Value(idemKey{}).(*idemSlot)
	return s
}

// answer is the stored form of a response about to be written, for handlers
// that store it in their own transaction.
func (s *idemSlot) answer(status int, body []byte, contentType string) *store.IdempotencyDone {
	if s == nil {
		return nil
	}
	return &store.IdempotencyDone{Merchant: s.merchant, Key: s.key, Answer: store.Stored{Status: status, Body: body, Type: contentType}}
}

type capture struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

func validIdemKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// fingerprintOf identifies a request for its Idempotency-Key: method, path,
// media type and body. A JSON body counts by its JSON value (canonical form:
// members sorted, no insignificant whitespace), so key order and spacing do
// not make another request; a body that is not strict JSON (duplicates,
// invalid UTF-8, malformed) and any other type (CSV) count by their bytes.
func fingerprintOf(r *http.Request, body []byte) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = r.Header.Get("Content-Type")
	}
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n" + mt + "\n"))
	if isJSON(r.Header.Get("Content-Type")) {
		if canon, err := jsonstrict.Canonical(body); err == nil {
			h.Write([]byte("json\n"))
			h.Write(canon)
			return hex.EncodeToString(h.Sum(nil))
		}
	}
	h.Write([]byte("bytes\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent makes a POST replayable under an Idempotency-Key: the key is
// reserved in DynamoDB before the work; the answer is stored and replayed for
// 24 h to the same request; another request with the key is 422, and the
// same one while the first still runs is 409. Answers to requests refused
// before any work (400, 413, 415, 422) and failures (5xx) are not stored: the key
// is released so a corrected or retried request runs.
func (a *API) idempotent(next http.HandlerFunc) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		k := r.Header.Get("Idempotency-Key")
		if k == "" {
			next(w, r)
			return nil
		}
		if !validIdemKey(k) {
			p := problem.New(http.StatusBadRequest, "Idempotency-Key must be 1 to 255 printable ASCII characters")
			p.Errors = []domain.FieldError{{Field: "Idempotency-Key", Message: "must be 1 to 255 printable ASCII characters"}}
			return p
		}
		limit := int64(MaxBody)
		switch {
		case strings.HasSuffix(r.URL.Path, "/import"):
			limit = MaxImportBody
		case r.URL.Path == "/v1/bank-statements":
			limit = MaxStatementBody
		}
		body, err := readBodyMax(r, limit)
		if err != nil {
			return err
		}
		m := merchantOf(r.Context())
		k = scopedKey(principalOf(r.Context()).actor, k)
		fingerprint := fingerprintOf(r, body)
		stored, err := a.Store.ReserveIdempotency(r.Context(), m.ID, k, fingerprint, a.Now())
		switch {
		case errors.Is(err, store.ErrIdempotencyMismatch):
			return problem.New(http.StatusUnprocessableEntity, "this Idempotency-Key was already used with another request body")
		case errors.Is(err, store.ErrIdempotencyInFlight):
			return problem.New(http.StatusConflict, "a request with this Idempotency-Key is still being processed; retry later")
		case err != nil:
			return err
		case stored != nil:
			reqlog.Set(r.Context(), "outcome", "idempotent_replay")
			w.Header().Set("Content-Type", stored.Type)
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Length", strconv.Itoa(len(stored.Body)))
			w.WriteHeader(stored.Status)
			_, _ = w.Write(stored.Body)
			return nil
		}
		slot := &idemSlot{merchant: m.ID, key: k}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := &capture{ResponseWriter: w}
		next(c, r.WithContext(context.WithValue(r.Context(), idemKey{}, slot)))
		if slot.done {
			return nil
		}
		ctx := context.WithoutCancel(r.Context())
		switch {
		case c.status >= 500 || c.status == 400 || c.status == 413 || c.status == 415 || c.status == 422 || c.status == 0:
			err = a.Store.ReleaseIdempotency(ctx, m.ID, k)
		default:
			body := c.buf.Bytes()
			if slot.instead != nil {
				body, err = json.Marshal(slot.instead)
				if err != nil {
					body = nil
				}
			}
			err = a.Store.CompleteIdempotency(ctx, &store.IdempotencyDone{Merchant: m.ID, Key: k,
				Answer: store.Stored{Status: c.status, Body: body, Type: c.Header().Get("Content-Type")}})
		}
		if err != nil {
			reqlog.Set(r.Context(), "idempotency_error", err.Error())
		}
		return nil
	})
}
