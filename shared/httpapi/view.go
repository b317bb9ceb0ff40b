package httpapi

import (
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/linkview"
)

// LinkView is a link as the API shows it.
type LinkView = linkview.View

func rfc(t time.Time) string { return linkview.RFC3339(t) }

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a *API) view(l *domain.Link) LinkView { return linkview.Of(l, a.PublicBaseURL) }
