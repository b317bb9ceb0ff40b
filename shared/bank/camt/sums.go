package camt

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// batchXML is a NtryDtls's Btch: the total of its transactions, when the
// bank gives one, in its direction (the entry's when not given).
type batchXML struct {
	TtlAmt    *amtXML `xml:"TtlAmt"`
	CdtDbtInd string  `xml:"CdtDbtInd"`
}

// detailSums adds up the transactions of one NtryDtls.
type detailSums struct {
	batch      *batchXML
	net        decimal.Decimal // amounts in the entry's currency, net in its direction
	txs        int             // transactions
	amounts    int             // of them, those with an amount in the entry's currency
	foreign    int             // the first transaction (by its index in the entry) of another currency, 0 when none
	foreignCcy string
}

// add adds the amount of transaction t, the index-th of the entry base,
// when it carries one.
func (d *detailSums) add(base bank.Entry, t *txXML, index int) error {
	d.txs++
	a := t.amount()
	if a == nil {
		return nil
	}
	amount, ccy, err := parseAmount(a)
	if err != nil {
		return inElement("Amt", err)
	}
	credit := base.Credit
	if strings.TrimSpace(t.CdtDbtInd) != "" {
		if credit, err = parseDirection(t.CdtDbtInd); err != nil {
			return inElement("CdtDbtInd", err)
		}
	}
	if ccy != base.Currency {
		if d.foreign == 0 {
			d.foreign, d.foreignCcy = index, ccy
		}
		return nil
	}
	d.amounts++
	d.net = d.net.Add(signed(amount, credit == base.Credit))
	return nil
}

func signed(v decimal.Decimal, positive bool) decimal.Decimal {
	if positive {
		return v
	}
	return v.Neg()
}

// sums adds up the transactions of all of an entry's NtryDtls.
type sums struct {
	net        decimal.Decimal // as detailSums.net, over every NtryDtls
	amounts    int
	foreign    int
	foreignCcy string
	ttl        decimal.Decimal // the Btch/TtlAmts, net in the entry's direction
	ttls       int             // NtryDtls that give a TtlAmt
	details    int             // NtryDtls
}

// addDetails adds a NtryDtls's sums d, checking its Btch/TtlAmt, when
// given, against its transactions' amounts when they all carry one in
// the entry's currency.
func (s *sums) addDetails(base bank.Entry, d detailSums) error {
	s.details++
	s.net = s.net.Add(d.net)
	s.amounts += d.amounts
	if s.foreign == 0 && d.foreign > 0 {
		s.foreign, s.foreignCcy = d.foreign, d.foreignCcy
	}
	if d.batch == nil || d.batch.TtlAmt == nil {
		return nil
	}
	ttl, ccy, err := parseAmount(d.batch.TtlAmt)
	if err != nil {
		return inElement("Btch", inElement("TtlAmt", err))
	}
	if ccy != base.Currency {
		return inElement("Btch", inElement("TtlAmt", fmt.Errorf("in %s, not the entry's currency %s", ccy, base.Currency)))
	}
	credit := base.Credit
	if strings.TrimSpace(d.batch.CdtDbtInd) != "" {
		if credit, err = parseDirection(d.batch.CdtDbtInd); err != nil {
			return inElement("Btch", inElement("CdtDbtInd", err))
		}
	}
	total := signed(ttl, credit == base.Credit)
	s.ttls++
	s.ttl = s.ttl.Add(total)
	if d.txs > 0 && d.amounts == d.txs && !total.Equal(d.net) {
		return inElement("Btch", inElement("TtlAmt", fmt.Errorf("%s %s, but its transactions' amounts sum to %s %s", total, ccy, d.net, ccy)))
	}
	return nil
}

// checkEntry checks the sums of an entry of txs transactions against its
// amount: a batch's transactions are in its currency; the amounts they
// carry in it (a single transaction's too) sum to it, net of their
// directions; so do the TtlAmts when every NtryDtls gives one.
func (s sums) checkEntry(base bank.Entry, txs int) error {
	if txs > 1 && s.foreign > 0 {
		return inElement(fmt.Sprintf("TxDtls %d", s.foreign), inElement("Amt",
			fmt.Errorf("in %s, not the batch entry's currency %s", s.foreignCcy, base.Currency)))
	}
	if s.amounts > 0 && !s.net.Equal(base.Amount) {
		return inElement("NtryDtls", fmt.Errorf("the transactions' amounts (TxDtls Amt) sum to %s %s, but the entry's Amt is %s %s",
			s.net, base.Currency, base.Amount, base.Currency))
	}
	if s.details > 0 && s.ttls == s.details && !s.ttl.Equal(base.Amount) {
		return inElement("NtryDtls", inElement("Btch", inElement("TtlAmt", fmt.Errorf("the batches' totals sum to %s %s, but the entry's Amt is %s %s",
			s.ttl, base.Currency, base.Amount, base.Currency))))
	}
	return nil
}
