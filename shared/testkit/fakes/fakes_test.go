package fakes_test

import (
	"errors"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/fakes"
)

func TestCopyHandsOutCopies(t *testing.T) {
	m := map[string]*domain.Link{"pl_1": {ID: "pl_1", Status: domain.StatusCreated}}
	got, err := fakes.Copy(m, "pl_1")
	if err != nil || got.ID != "pl_1" {
		t.Fatalf("%+v %v", got, err)
	}
	got.Status = domain.StatusPaid
	if m["pl_1"].Status != domain.StatusCreated {
		t.Fatal("a change to what was read reached the fake")
	}
	if _, err := fakes.Copy(m, "pl_2"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a missing id: %v, want domain.ErrNotFound", err)
	}
}
