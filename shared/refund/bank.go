package refund

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/backoff"
	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/pain001"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
)

// createByBank records a refund of a link paid by bank transfer: its payout
// pays the payer back (the account the statement named), pending until a
// bank refund file holds it and a statement shows its debit.
// domain.ErrNoPayee when the bank named no account to pay back.
func (s *Service) createByBank(ctx context.Context, m *merchant.Merchant, l *domain.Link, a money.Amount, reason string) (*store.Refund, error) {
	payer, err := s.Store.LinkPayer(ctx, m.ID, l.ID)
	if err != nil {
		return nil, err
	}
	payee, err := domain.PayeeOf(payer)
	if err != nil {
		return nil, err
	}
	r := &store.Refund{ID: domain.NewID(domain.PrefixRefund, s.Now()), Merchant: m.ID, Amount: a, Reason: reason, PSP: domain.ProviderBank}
	p, err := domain.LinkPayout(l, r.ID, a, payee)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateBankRefund(ctx, l, r, p, s.Now()); err != nil {
		return nil, err
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "refund", slog.String("merchant", m.ID), slog.String("link_id", l.ID), slog.String("refund_id", r.ID),
		slog.String("outcome", "waiting_for_bank_file"))
	return r, nil
}

// refundReviewByBank refunds open bank payment p (as read) by bank
// transfer to its debtor: refunding, with its payout waiting for a file.
func (s *Service) refundReviewByBank(ctx context.Context, m *merchant.Merchant, p *store.ReviewPayment) (*store.ReviewPayment, error) {
	if p.Amount == nil {
		return p, store.ErrReviewBankNoAmount
	}
	payee, err := domain.PayeeOf(p.Debtor)
	if err != nil {
		return p, err
	}
	payout, err := domain.ReviewPayout(p.ID, p.RefundAttempt+1, *p.Amount, payee)
	if err != nil {
		return p, err
	}
	out, err := s.Store.StartBankReviewRefund(ctx, m.ID, p, payout, s.Now())
	if err != nil {
		return out, err
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "refund", slog.String("merchant", m.ID), slog.String("review_id", p.ID),
		slog.String("outcome", "waiting_for_bank_file"))
	return out, nil
}

// fileTries bounds CreateBankFile's reads of the waiting list when other
// files take its payouts meanwhile.
const fileTries = 5

// CreateBankFile gathers the payouts waiting (at most
// domain.MaxFilePayouts, oldest first) into one pain.001.001.09 file paid
// from the merchant's default beneficiary's account, and records it
// claiming each: no two files hold the same payout, also when two are made
// at once. more: payouts are left for the next file.
// domain.ErrNothingToPayOut when none waits, domain.ErrNoPayoutAccount
// without a default beneficiary (name, IBAN, BIC).
func (s *Service) CreateBankFile(ctx context.Context, m *merchant.Merchant) (*store.BankFile, bool, error) {
	debtor, err := payoutAccount(m)
	if err != nil {
		return nil, false, err
	}
	for try := 0; try < fileTries; try++ {
		waiting, err := s.Store.WaitingPayouts(ctx, m.ID, domain.MaxFilePayouts+1)
		if err != nil {
			return nil, false, err
		}
		f, ps, more, err := s.buildFile(m, debtor, waiting)
		if err != nil {
			return nil, false, err
		}
		err = s.Store.FileBankRefunds(ctx, f, ps, s.Now())
		switch {
		case errors.Is(err, store.ErrPayoutsTaken):
			continue // another file took some: what is left, again
		case errors.Is(err, domain.ErrConflict):
			pause(try)
			continue
		case err != nil:
			return nil, false, err
		}
		s.Log.LogAttrs(ctx, slog.LevelInfo, "bank refund file", slog.String("merchant", m.ID), slog.String("bank_file_id", f.ID),
			slog.Int("refunds", f.Refunds), slog.String("total", f.Total.String()), slog.Bool("more", more))
		return f, more, nil
	}
	return nil, false, fmt.Errorf("bank refund file of %s: %w after %d tries", m.ID, domain.ErrConflict, fileTries)
}

// payoutAccount is the account refunds are paid from: the merchant's
// default beneficiary, complete.
func payoutAccount(m *merchant.Merchant) (bank.Party, error) {
	b := m.DefaultBeneficiary
	if b == nil || b.Name == "" || b.IBAN == "" || b.BIC == "" {
		return bank.Party{}, domain.ErrNoPayoutAccount
	}
	return bank.Party{Name: b.Name, IBAN: b.IBAN, BIC: b.BIC}, nil
}

// buildFile plans a file of the payouts waiting (domain.PlanBankFile) and
// writes its pain.001 document.
func (s *Service) buildFile(m *merchant.Merchant, debtor bank.Party, waiting []store.WaitingPayout) (*store.BankFile, []store.WaitingPayout, bool, error) {
	all := make([]domain.Payout, len(waiting))
	byE2E := make(map[string]store.WaitingPayout, len(waiting))
	for i, w := range waiting {
		all[i] = w.Payout
		byE2E[w.EndToEndID] = w
	}
	plan, err := domain.PlanBankFile(all, domain.MaxFilePayouts)
	if err != nil {
		return nil, nil, false, err
	}
	now := s.Now()
	f := &store.BankFile{ID: domain.NewID(domain.PrefixBankFile, now), Merchant: m.ID, Refunds: len(plan.Payouts), Total: plan.Total}
	doc := pain001.File{MessageID: strings.Replace(f.ID, "_", "-", 1), CreatedAt: now, InitiatingParty: initiator(m, debtor), Debtor: debtor,
		ExecutionDate: now.UTC()}
	ps := make([]store.WaitingPayout, len(plan.Payouts))
	for i, p := range plan.Payouts {
		ps[i] = byE2E[p.EndToEndID]
		doc.Payments = append(doc.Payments, pain001.Payment{EndToEndID: p.EndToEndID, Amount: p.Amount.Value,
			Creditor: bank.Party{Name: p.Payee.Name, IBAN: p.Payee.IBAN, BIC: p.Payee.BIC}, Remittance: p.Remittance})
	}
	var buf bytes.Buffer
	if err := pain001.Write(&buf, doc); err != nil {
		var fe *pain001.FieldError
		if errors.As(err, &fe) && strings.HasPrefix(fe.Field, "Debtor") {
			return nil, nil, false, fmt.Errorf("%w (%s)", domain.ErrNoPayoutAccount, fe.Msg)
		}
		return nil, nil, false, fmt.Errorf("bank refund file of %s: %w", m.ID, err)
	}
	f.XML = buf.String()
	return f, ps, plan.More, nil
}

// initiator is who sends the file: the merchant, by name (its SEPA
// text), else the account's holder.
func initiator(m *merchant.Merchant, debtor bank.Party) string {
	if n := pain001.Text(m.Name, 70); n != "" {
		return n
	}
	return debtor.Name
}

// BankFiles reads a page of the merchant's bank refund files, newest first.
func (s *Service) BankFiles(ctx context.Context, merchantID string, limit int, cursor string) (store.BankFilePage, error) {
	return s.Store.BankFiles(ctx, merchantID, limit, cursor)
}

// BankFile reads one of the merchant's bank refund files, with its XML.
func (s *Service) BankFile(ctx context.Context, merchantID, id string) (*store.BankFile, error) {
	return s.Store.GetBankFile(ctx, merchantID, id)
}

// pause sleeps before try again (backoff.Delay).
func pause(try int) { time.Sleep(backoff.Delay(try)) }

// NextFile is what a bank refund file made now would hold: its refunds,
// their total and whether more would be left waiting (none waiting: 0,
// EUR 0.00, false).
type NextFile struct {
	Refunds int
	Total   money.Amount
	More    bool
}

// NextBankFile previews the next bank refund file: the payouts
// CreateBankFile would gather now (domain.PlanBankFile over the same
// waiting list), without making it nor needing the default beneficiary.
func (s *Service) NextBankFile(ctx context.Context, merchantID string) (NextFile, error) {
	waiting, err := s.Store.WaitingPayouts(ctx, merchantID, domain.MaxFilePayouts+1)
	if err != nil {
		return NextFile{}, err
	}
	all := make([]domain.Payout, len(waiting))
	for i, w := range waiting {
		all[i] = w.Payout
	}
	plan, err := domain.PlanBankFile(all, domain.MaxFilePayouts)
	if errors.Is(err, domain.ErrNothingToPayOut) {
		return NextFile{Total: money.Zero(domain.BankCurrency)}, nil
	}
	if err != nil {
		return NextFile{}, err
	}
	return NextFile{Refunds: len(plan.Payouts), Total: plan.Total, More: plan.More}, nil
}
