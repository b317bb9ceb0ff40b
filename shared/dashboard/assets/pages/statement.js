// @ts-check
// A bank statement and its entries.
import { $, h, put } from '../dom.js';
import { D, app } from '../context.js';
import { S, t } from '../i18n.js';
import { alertBox, loading, more, table } from '../ui.js';
import { api, qs, sleep } from '../api.js';
import { bankNav, statementFacts, statementLine } from '../bank.js';
import { day, dayName, iban, money } from '../format.js';

// reviewKind is the kind of review item an entry's reason opened.
/**
 * @param {string} reason
 * @returns {string}
 */
const reviewKind = (reason) => ({ no_reference: 'unmatched', unknown_reference: 'unmatched', second: 'second', mismatched: 'mismatched', reversal: 'reversal' })[reason] || '';

/**
 * @param {import('../openapi').BankStatementEntry} e
 * @returns {string}
 */
function reasonText(e) {
  const key = 'reason_' + e.outcome + '_' + e.reason;
  return S[key] ? t(key) : e.reason;
}

export default async function pageStatement() {
  loading(app);
  /** @type {import('../openapi').BankStatement} */
  let st;
  try {
    st = await api('GET', '/v1/bank-statements/' + encodeURIComponent(D.id));
  } catch (e) {
    put(app, alertBox(e));
    return;
  }
  $('h1').textContent = t('statement_of', { date: day(st.created_at) });
  document.title = $('h1').textContent + ' · paylinks';
  const head = h('div', {});
  const out = h('div', {});
  put(app, bankNav('statements'), head, h('h2', {}, t('entries_table')), out);
  while (st.status === 'processing') {
    put(head, statementLine(st), statementFacts(st));
    put(out, h('p', { class: 'muted' }, t('statement_wait')));
    await sleep(1000);
    st = await api('GET', '/v1/bank-statements/' + encodeURIComponent(st.id));
  }
  put(head, statementLine(st), statementFacts(st));
  /** @type {import('../openapi').BankStatementEntry[]} */
  const all = [];
  /** @param {string} cursor */
  async function load(cursor) {
    try {
      const r = await api('GET', '/v1/bank-statements/' + encodeURIComponent(st.id) + '/entries?' + qs({ limit: 100, cursor }));
      all.push(...r.data);
      put(out, table(t('entries_table'), [
        { label: t('booked_on'), cell: (e) => dayName(e.booked_on) },
        { label: t('amount'), class: 'num', cell: (e) => (e.credit ? '+' : '−') + money(e.amount) },
        { label: t('party'), cell: (e) => (e.debtor ? [e.debtor.name || t('unknown_payer'), h('br'), iban(e.debtor.iban)] : '—') },
        { label: t('text'), cell: (e) => [e.reference ? h('span', { class: 'block' }, e.reference) : null, e.remittance ? h('span', { class: 'block muted' }, e.remittance) : null, !e.reference && !e.remittance ? '—' : null] },
        { label: t('outcome'), cell: (e) => [h('span', { class: 'badge o-' + e.outcome }, t('outcome_' + e.outcome)), h('span', { class: 'block' }, reasonText(e))] },
        { label: h('span', { class: 'visually-hidden' }, t('link')), cell: (e) => [
          e.review_id ? h('a', { href: '/dashboard/review?' + qs({ kind: reviewKind(e.reason) }) + '#' + e.review_id, class: 'block' }, t('open_review')) : null,
          e.link_id ? h('a', { href: '/dashboard/links/' + e.link_id, class: 'block' }, t('open_link')) : null] },
      ], all, st.status === 'failed' ? t('statement_failed', { error: String(st.error || '—').replace(/\.$/, '') }) : t('no_entries')), more(r.next_cursor, load));
    } catch (e) {
      put(out, alertBox(e));
    }
  }
  await load('');
}
