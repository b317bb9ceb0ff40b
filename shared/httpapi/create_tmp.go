package httpapi

import "net/http"

// CreateHandler serves POST /v1/payment-links only. TEMPORARY (comp18): replaced by domain18's.
func (a *API) CreateHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(Routes[0].Pattern, Routes[0].handler(a))
	return mux
}
