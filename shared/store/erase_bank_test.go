package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/camtgen"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// A person's bank data leaves with them (docs/security.md, Personal
// data). Over generated histories of several customers whose links are
// paid by bank transfer (paid by a statement, paid a second time and kept
// for review, refunded by bank and paid out, refunded and still waiting):
// after one customer is erased, no item of the table holds the name or
// the IBAN of anyone who paid that customer's links, but for the payout of
// a refund still owed to them (the account the money goes back to); the
// other customers' payers are all still there; a second erasure changes
// nothing.
func TestEraseReachesBankData(t *testing.T) {
	env := testenv.New(t)
	bkt := testenv.NewBucket(t)
	svc := &statements.Service{Store: env.Store, Files: bkt, Queue: nopQueue{}, Bucket: bkt.Name, Log: slog.New(slog.DiscardHandler),
		MerchantExists: env.Store.MerchantExists}
	rng := rand.New(rand.NewPCG(7, 31))
	for round := 0; round < 6; round++ {
		m := fmt.Sprintf("er%d", round)
		env.Merchant(t, m)
		h := newBankHistory(t, env, svc, rng, m, 2+rng.IntN(2))
		target := h.customers[rng.IntN(len(h.customers))]
		previewIsErasure(t, env, m, target)
		items := scanMerchant(t, env, m)
		for _, p := range h.payers {
			where := holding(items, p.name, p.iban)
			switch {
			case p.customer == target && p.owed:
				for _, k := range where {
					if !strings.Contains(k, "#BPO#") && !strings.Contains(k, "#BPW") {
						t.Errorf("round %d: %s's payer %s (owed a refund) is still in %s", round, target, p.name, k)
					}
				}
				if len(where) == 0 {
					t.Errorf("round %d: the payout owed to %s was erased: the refund can no longer be paid", round, p.name)
				}
			case p.customer == target:
				if len(where) > 0 {
					t.Errorf("round %d: %s's payer %s is still in %v", round, target, p.name, where)
				}
			case len(where) == 0:
				t.Errorf("round %d: %s's payer %s (not erased) is gone", round, p.customer, p.name)
			}
		}
		if _, _, err := env.Store.EraseCustomerLinks(ctx, m, target); err != nil {
			t.Fatal(err)
		}
		if again := scanMerchant(t, env, m); fmt.Sprint(again) != fmt.Sprint(items) {
			t.Errorf("round %d: a second erasure changed the table", round)
		}
	}
}

type nopQueue struct{}

func (nopQueue) Send(context.Context, any, time.Duration) error { return nil }

// payer is who paid one of a customer's links, and whether a refund to
// them is still owed (its payout not settled).
type payer struct {
	customer, name, iban string
	owed                 bool
}

type bankHistory struct {
	customers []string
	payers    []*payer
}

// newBankHistory makes customers with bank_transfer links of merchant m
// and a statement in which some are paid (some twice), an overlapping
// statement that reads some of them again, then refunds by
// bank some paid links, pays some of those out by a second statement
// (a debit naming the payout), and leaves the rest owed.
func newBankHistory(t *testing.T, env *testenv.Env, svc *statements.Service, rng *rand.Rand, m string, n int) *bankHistory {
	t.Helper()
	h := &bankHistory{}
	var credits, debits []bank.Entry
	type paid struct {
		l *domain.Link
		p *payer
	}
	var paidLinks []paid
	for c := 0; c < n; c++ {
		cus := fmt.Sprintf("cus_%s%02d%s", strings.ToUpper(m), c, strings.Repeat("A", 22-len(m)))
		h.customers = append(h.customers, cus)
		for k := 0; k < 1+rng.IntN(3); k++ {
			l := customerBankLink(t, env, m, cus, fmt.Sprintf("%d.%02d", 5+rng.IntN(90), rng.IntN(100)))
			p := &payer{customer: cus, name: fmt.Sprintf("Payer %s %d %d", m, c, k), iban: genIBAN(rng)}
			h.payers = append(h.payers, p)
			e := credit(l.Amount.String(), l.BankReference, p, fmt.Sprintf("%s-C%d-%d", m, c, k))
			credits = append(credits, e)
			paidLinks = append(paidLinks, paid{l, p})
			if rng.IntN(3) == 0 { // paid again by another person: kept for review on the link
				q := &payer{customer: cus, name: fmt.Sprintf("Second %s %d %d", m, c, k), iban: genIBAN(rng)}
				h.payers = append(h.payers, q)
				credits = append(credits, credit(l.Amount.String(), l.BankReference, q, e.EntryRef+"-2"))
			}
		}
	}
	process(t, svc, m, camtgen.Of("BE68539007547034", credits))
	// An overlapping file: the entries read before are duplicates in it.
	process(t, svc, m, camtgen.Of("BE68539007547034", credits[rng.IntN(len(credits)):]))
	now := time.Now().UTC()
	for i, pl := range paidLinks {
		if rng.IntN(2) == 0 {
			continue
		}
		l, err := env.Store.Get(ctx, m, pl.l.ID)
		if err != nil || l.Status != domain.StatusPaid {
			t.Fatalf("link %s after the statement: %+v %v", pl.l.ID, l, err)
		}
		payee, err := domain.PayeeOf(&domain.Debtor{Name: pl.p.name, IBAN: pl.p.iban})
		if err != nil {
			t.Fatal(err)
		}
		r := &store.Refund{ID: domain.NewID(domain.PrefixRefund, now), Merchant: m, Amount: l.Amount, PSP: domain.ProviderBank}
		po, err := domain.LinkPayout(l, r.ID, l.Amount, payee)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Store.CreateBankRefund(ctx, l, r, po, now); err != nil {
			t.Fatal(err)
		}
		pl.p.owed = rng.IntN(2) == 0
		if !pl.p.owed {
			d := credit(l.Amount.String(), "", pl.p, fmt.Sprintf("%s-D%d", m, i))
			d.Credit, d.EndToEndID = false, po.EndToEndID
			debits = append(debits, d)
		}
	}
	if len(debits) > 0 {
		process(t, svc, m, camtgen.Of("BE68539007547034", debits))
	}
	return h
}

// customerBankLink is an open bank_transfer link of customer cus.
func customerBankLink(t *testing.T, env *testenv.Env, m, cus, amount string) *domain.Link {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := domain.NewID(domain.PrefixLink, now)
	code, err := testenv.CodeKey.NewCode(m, id)
	if err != nil {
		t.Fatal(err)
	}
	l := &domain.Link{ID: id, Merchant: m, Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", amount), AmountRefunded: money.Zero("EUR"),
		Description: "Invoice", Language: "en", Origin: domain.OriginAPI, ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now, UpdatedAt: now,
		Customer:       domain.Customer{ID: cus, FirstName: "Ana", LastName: "Peeters"},
		PaymentMethods: []string{domain.MethodBankTransfer}, BankReference: reference.ForLink(id, 0, reference.RF)}
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: domain.NewEvent(id, domain.EventCreated, "", domain.StatusCreated, now, nil)}); err != nil {
		t.Fatal(err)
	}
	return l
}

func credit(amount, ref string, p *payer, entryRef string) bank.Entry {
	return bank.Entry{Account: "BE68539007547034", Currency: "EUR", Amount: decimal.RequireFromString(amount), Credit: true, Booked: true,
		BookedOn: "2026-12-01", EntryRef: entryRef, Reference: ref, Remittance: "paid by " + p.name, Party: bank.Party{Name: p.name, IBAN: p.iban}}
}

// process uploads a statement of merchant m and processes it to the end.
func process(t *testing.T, svc *statements.Service, m string, file []byte) {
	t.Helper()
	st, err := svc.Upload(ctx, m, "application/xml", file)
	if err != nil {
		t.Fatal(err)
	}
	for tries := 0; tries < 50; tries++ {
		if err := svc.Process(ctx, m, st.ID); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Statement(ctx, m, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == store.StatementDone {
			return
		}
		if got.Status == store.StatementFailed {
			t.Fatalf("statement failed: %s", got.Error)
		}
	}
	t.Fatal("the statement is never done")
}

// genIBAN is a Belgian IBAN with valid check digits (BBAN: a bank code,
// an account number, and its mod-97 check).
func genIBAN(rng *rand.Rand) string {
	acct := rng.Int64N(1e10)
	chk := acct % 97
	if chk == 0 {
		chk = 97
	}
	bban := fmt.Sprintf("%010d%02d", acct, chk)
	// ISO 13616: move "BE00" to the end, letters as numbers (B=11, E=14).
	n := new(decimal.Decimal)
	*n = decimal.RequireFromString(bban + "111400")
	cd := 98 - n.Mod(decimal.NewFromInt(97)).IntPart()
	return fmt.Sprintf("BE%02d%s", cd, bban)
}

// scanMerchant is every item of merchant m's partitions, each as its key
// and its attributes printed.
func scanMerchant(t *testing.T, env *testenv.Env, m string) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := dynamodb.NewScanPaginator(env.Store.DB, &dynamodb.ScanInput{TableName: aws.String(env.Store.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			pk := it["PK"].(*types.AttributeValueMemberS).Value
			if !strings.HasPrefix(pk, "M#"+m+"#") {
				continue
			}
			vs := flatten(it)
			sort.Strings(vs)
			out[pk+" "+it["SK"].(*types.AttributeValueMemberS).Value] = fmt.Sprint(vs)
		}
	}
	return out
}

// flatten is an item's string values, nested ones too.
func flatten(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]types.AttributeValue:
		for _, c := range x {
			out = append(out, flatten(c)...)
		}
	case *types.AttributeValueMemberS:
		out = append(out, x.Value)
	case *types.AttributeValueMemberM:
		out = append(out, flatten(x.Value)...)
	case *types.AttributeValueMemberL:
		for _, c := range x.Value {
			out = append(out, flatten(c)...)
		}
	}
	return out
}

// holding is the keys of the items that hold name or iban.
func holding(items map[string]string, name, iban string) []string {
	var keys []string
	for k, v := range items {
		if strings.Contains(v, name) || strings.Contains(v, iban) {
			keys = append(keys, k)
		}
	}
	return keys
}

// previewIsErasure erases customer id of m after previewing it: the
// preview writes nothing and counts what the erasure then changes.
func previewIsErasure(t *testing.T, env *testenv.Env, m, id string) {
	t.Helper()
	before := scanMerchant(t, env, m)
	preview, err := env.Store.ErasurePreview(ctx, m, id)
	if err != nil {
		t.Fatal(err)
	}
	if after := scanMerchant(t, env, m); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("the erasure preview wrote to the table")
	}
	done, err := env.Store.EraseCustomerData(ctx, m, id)
	if err != nil {
		t.Fatal(err)
	}
	if done != preview || done.Links == 0 {
		t.Fatalf("the erasure changed %+v, its preview said %+v", done, preview)
	}
	if again, err := env.Store.ErasurePreview(ctx, m, id); err != nil || again != (store.ErasureCounts{}) {
		t.Fatalf("the preview after the erasure: %+v %v", again, err)
	}
}
