package domain

import (
	"slices"
	"testing"
)

// From hands out the table the store builds its conditions from: a caller
// that changes what it got must not change the status machine.
func TestFromIsACopy(t *testing.T) {
	for _, to := range Statuses {
		got := From(to)
		if len(got) == 0 {
			continue
		}
		want := slices.Clone(got)
		got[0] = Status("tampered")
		if again := From(to); !slices.Equal(again, want) {
			t.Fatalf("From(%s) changed by a caller: %v, want %v", to, again, want)
		}
	}
}

// From agrees with CanTransition for every pair, and nothing reaches created.
func TestFromIsTheTransitionTable(t *testing.T) {
	for _, to := range Statuses {
		for _, from := range Statuses {
			if got := slices.Contains(From(to), from); got != CanTransition(from, to) {
				t.Errorf("From(%s) contains %s = %v, CanTransition says %v", to, from, got, !got)
			}
		}
	}
	if len(From(StatusCreated)) != 0 {
		t.Fatalf("created is reached from %v", From(StatusCreated))
	}
}

// A move leaves an open status, or a closed one (paid after expiry); the two
// parts are From, in its order.
func TestFromOpenAndClosed(t *testing.T) {
	cases := map[Status][2][]Status{
		StatusPaid:     {{StatusCreated, StatusClicked, StatusDeclined}, {StatusExpired}},
		StatusDeclined: {{StatusCreated, StatusClicked}, nil},
		StatusExpired:  {{StatusCreated, StatusClicked, StatusDeclined}, nil},
		StatusClicked:  {{StatusCreated, StatusDeclined}, nil},
		StatusCreated:  {nil, nil},
	}
	for to, want := range cases {
		open, closed := FromOpen(to), FromClosed(to)
		if !slices.Equal(open, want[0]) || !slices.Equal(closed, want[1]) {
			t.Errorf("%s: open %v closed %v, want %v %v", to, open, closed, want[0], want[1])
		}
		if got := append(slices.Clone(open), closed...); len(got) != len(From(to)) {
			t.Errorf("%s: open and closed %v are not From %v", to, got, From(to))
		}
	}
}

func TestDeletableAndRefundable(t *testing.T) {
	for _, s := range Statuses {
		l := &Link{Status: s, Origin: OriginAPI}
		if got, want := CanDelete(l), s == StatusCreated; got != want {
			t.Errorf("CanDelete(%s) = %v", s, got)
		}
		l.Origin = OriginDunning
		if CanDelete(l) {
			t.Errorf("a dunning link in %s can be deleted", s)
		}
		if got, want := CanRefund(s), s == StatusPaid; got != want {
			t.Errorf("CanRefund(%s) = %v", s, got)
		}
	}
	if !slices.Equal(Deletable(), []Status{StatusCreated}) || !slices.Equal(Refundable(), []Status{StatusPaid}) {
		t.Fatalf("Deletable %v Refundable %v", Deletable(), Refundable())
	}
}
