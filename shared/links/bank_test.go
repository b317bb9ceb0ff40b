package links

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// bankStore is fakeStore holding bank references unique per merchant, as
// the table's markers do: a taken one refuses the whole link. Before each
// new link's first try, taken(link) may take some of its references first
// (another link of the merchant that drew them).
type bankStore struct {
	fakeStore
	refs  map[string]string // merchant + "/" + reference -> link id
	tries map[string]int    // link id -> CreateLink calls
	taken func(l *domain.Link) []string
}

func newBankStore() *bankStore {
	return &bankStore{refs: map[string]string{}, tries: map[string]int{}}
}

func (b *bankStore) CreateLink(ctx context.Context, n store.NewLink) error {
	l := n.Link
	if b.tries[l.ID] == 0 && b.taken != nil {
		for _, r := range b.taken(l) {
			b.refs[l.Merchant+"/"+r] = "pl_other"
		}
	}
	b.tries[l.ID]++
	if l.BankReference != "" {
		if _, ok := b.refs[l.Merchant+"/"+reference.Normalize(l.BankReference)]; ok {
			return store.ErrBankReferenceTaken
		}
		b.refs[l.Merchant+"/"+reference.Normalize(l.BankReference)] = l.ID
	}
	return b.fakeStore.CreateLink(ctx, n)
}

func bankMerchant(format string) *merchant.Merchant {
	m := &merchant.Merchant{ID: "m1", PaymentMethods: []string{"card", domain.MethodBankTransfer},
		DefaultBeneficiary: &domain.Beneficiary{Name: "Bakkerij Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}}
	if format != "" {
		m.BankTransfer = &domain.BankTransferSettings{ReferenceFormat: format}
	}
	return m
}

// TestCreateBankReferenceCollisions, over generated cases: when the first
// k references of a new link are other links' (k from 0 to 6), the link is
// written with its reference of try k after k refusals, its idempotent
// answer made of the link as written; from 5 taken on (maxBankTries),
// nothing is written, nothing sent, and the error says so.
func TestCreateBankReferenceCollisions(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 2))
	for i := 0; i < 300; i++ {
		k := rng.IntN(7)
		format := []string{"rf", "be_ogm", ""}[rng.IntN(3)]
		st := newBankStore()
		st.taken = func(l *domain.Link) []string {
			f := bankMerchant(format).ReferenceFormat()
			var out []string
			for try := 0; try < k; try++ {
				out = append(out, reference.ForLink(l.ID, try, f))
			}
			return out
		}
		svc, snd := newService(&st.fakeStore)
		svc.Store = st
		var answered []string
		answer := func(l *domain.Link) (*store.IdempotencyDone, error) {
			answered = append(answered, l.BankReference)
			return &store.IdempotencyDone{}, nil
		}
		c, err := svc.Create(t.Context(), Create{Merchant: bankMerchant(format), Input: input("ann@example.com", "email"), Answer: answer})
		if k >= maxBankTries {
			if !errors.Is(err, store.ErrBankReferenceTaken) || len(st.created) != 0 || len(snd.sent) != 0 {
				t.Fatalf("case %d (k=%d): %v, %d written, %v sent", i, k, err, len(st.created), snd.sent)
			}
			continue
		}
		if err != nil {
			t.Fatalf("case %d (k=%d): %v", i, k, err)
		}
		l := c.Link
		want := reference.ForLink(l.ID, k, bankMerchant(format).ReferenceFormat())
		if l.BankReference != want || st.tries[l.ID] != k+1 || len(st.created) != 1 || st.created[0].Link.BankReference != want {
			t.Fatalf("case %d (k=%d): %q after %d tries, want %q", i, k, l.BankReference, st.tries[l.ID], want)
		}
		if len(answered) != k+1 || answered[k] != want || st.created[0].Done == nil {
			t.Fatalf("case %d: the answer is not made of the link as written: %q", i, answered)
		}
		if _, _, err := reference.Check(l.BankReference); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

// TestCreateBankReferencesUnique: 2,000 links of one merchant, made while
// a third of them find their first reference (and some their second)
// taken, each get a reference that validates in the merchant's format,
// no two the same.
func TestCreateBankReferencesUnique(t *testing.T) {
	for _, format := range []string{"rf", "be_ogm"} {
		t.Run(format, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(31, 3))
			m := bankMerchant(format)
			st := newBankStore()
			st.taken = func(l *domain.Link) []string {
				switch rng.IntN(6) {
				case 0, 1:
					return []string{reference.ForLink(l.ID, 0, m.ReferenceFormat())}
				case 2:
					return []string{reference.ForLink(l.ID, 0, m.ReferenceFormat()), reference.ForLink(l.ID, 1, m.ReferenceFormat())}
				}
				return nil
			}
			svc, _ := newService(&st.fakeStore)
			svc.Store = st
			seen := map[string]string{}
			for i := 0; i < 2000; i++ {
				c, err := svc.Create(t.Context(), Create{Merchant: m, Input: input("ann@example.com", "")})
				if err != nil {
					t.Fatal(err)
				}
				r := c.Link.BankReference
				if _, f, err := reference.Check(r); err != nil || string(f) != format {
					t.Fatalf("link %s: %q %s %v", c.Link.ID, r, f, err)
				}
				if other, dup := seen[r]; dup {
					t.Fatalf("links %s and %s share %s", other, c.Link.ID, r)
				}
				seen[r] = c.Link.ID
			}
			if len(st.created) != 2000 {
				t.Fatalf("%d written", len(st.created))
			}
		})
	}
}

// TestCreateWithoutBankTransfer: a link that offers no bank transfer (a
// USD amount, with the merchant's methods) carries no reference and is one
// try.
func TestCreateWithoutBankTransfer(t *testing.T) {
	st := newBankStore()
	svc, _ := newService(&st.fakeStore)
	svc.Store = st
	in := input("ann@example.com", "")
	in.Amount = []byte(`{"currency":"USD","value":"12.50"}`)
	c, err := svc.Create(t.Context(), Create{Merchant: bankMerchant(""), Input: in})
	if err != nil || c.Link.BankReference != "" || st.tries[c.Link.ID] != 1 {
		t.Fatalf("%v %+v", err, c)
	}
}
