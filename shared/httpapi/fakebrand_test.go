package httpapi_test

import (
	"context"

	"github.com/paylinks/paylinks/shared/merchant"
)

func (f *fakeStore) PutLogo(context.Context, *merchant.Merchant, []byte) error {
	return errNotHeld("PutLogo")
}

func (f *fakeStore) DeleteLogo(context.Context, *merchant.Merchant) error {
	return errNotHeld("DeleteLogo")
}

func (f *fakeStore) GetLogo(context.Context, string) ([]byte, string, error) {
	return nil, "", errNotHeld("GetLogo")
}
