package httpapi_test

import (
	"context"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// EachLink is a link set the fast tier does not read: the summary and
// insights run on DynamoDB Local (figures_test.go).
func (f *fakeStore) EachLink(context.Context, store.ListQuery, int, func(*domain.Link)) (store.LinkSet, error) {
	return store.LinkSet{}, errNotHeld("link sets (summary, insights)")
}
