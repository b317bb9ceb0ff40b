// @ts-check
// Payments to review: refund, match a bank payment to a link.
import { Problem, api, newKey, onePage, qs } from '../api.js';
import { S, t } from '../i18n.js';
import { alertBox, button, dialog, field, input, loading, more, say, showError, table } from '../ui.js';
import { app, can } from '../context.js';
import { customerName, day, iban, isoDay, money, when } from '../format.js';
import { h, inputs, nextId, put } from '../dom.js';

// A bank payment (psp bank) shows its payer and text; an open unmatched
// one can be matched to a link by hand. Refunds of bank payments go back
// by a refund file.
export default async function pageReview() {
  const kinds = ['unmatched', 'second', 'mismatched', 'reversal'];
  const p = new URLSearchParams(location.search);
  const kind = kinds.includes(p.get('kind')) ? p.get('kind') : 'unmatched';
  const nav = h('nav', { 'aria-label': t('review_kinds'), class: 'presets' }, h('ul', {}, kinds.map((k) =>
    h('li', {}, h('a', { href: '?kind=' + k, 'aria-current': k === kind ? 'page' : null }, t('review_' + k))))));
  const results = h('div', {});
  put(app, h('p', {}, t('review_intro')), nav, results);
  loading(results);
  /** @param {import('../openapi').ReviewPayment} x */
  const isBank = (x) => x.psp === 'bank';
  /** @param {import('../openapi').ReviewPayment} x @returns {string} */
  const payerName = (x) => (x.debtor && x.debtor.name) || t('unknown_payer');
  const target = location.hash.slice(1);
  /** @type {import('../openapi').ReviewPayment[]} */
  const all = [];
  /** @param {string} cursor @returns {Promise<void>} */
  async function load(cursor) {
    const r = await api('GET', '/v1/payments/review?' + qs({ kind, limit: 100, cursor }));
    all.push(...r.data);
    put(results, table(t('review_' + kind), [
      { label: t('received'), cell: (x) => when(x.received_at) },
      { label: t('psp'), cell: (x) => [S['psp_' + x.psp] ? t('psp_' + x.psp) : x.psp, h('span', { class: 'block muted ref' }, x.psp_reference)] },
      { label: t('payer'), cell: (x) => (isBank(x) ? [payerName(x), x.debtor && x.debtor.iban ? [h('br'), iban(x.debtor.iban)] : null,
        x.remittance ? h('span', { class: 'block muted' }, x.remittance) : null] : '—') },
      { label: t('amount'), class: 'num', cell: (x) => money(x.amount) },
      { label: t('expected'), class: 'num', cell: (x) => (x.expected ? money(x.expected) : '—') },
      { label: t('link'), cell: (x) => (x.link_id ? h('a', { href: '/dashboard/links/' + x.link_id, class: 'ref' }, x.link_id) : '—') },
      { label: t('state'), cell: (x) => t('review_state_' + x.state) },
      { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (x) => actions(x) },
    ], all, t('review_none'), (x) => ({ id: x.id, class: x.id === target ? 'target' : null, tabindex: x.id === target ? '-1' : null })),
    more(r.next_cursor, load));
    const row = target && document.getElementById(target);
    if (row) {
      row.scrollIntoView({ block: 'center' });
      row.focus();
    } else if (target && r.next_cursor && all.length < 1000) {
      await load(r.next_cursor);
    }
  }
  try {
    await load('');
  } catch (e) {
    put(results, alertBox(e));
  }

  /** @param {import('../openapi').ReviewPayment} x */
  function actions(x) {
    if (x.state !== 'open' || !can('payments:review') || x.kind === 'reversal') return '';
    const refund = isBank(x)
      ? button(t('refund'), () => refundReview(x), { class: 'secondary', 'aria-label': t('refund_payment_from', { name: payerName(x) }) })
      : button(t('refund'), () => refundReview(x), { 'aria-label': t('refund_payment', { ref: x.psp_reference }) });
    const match = isBank(x) && x.kind === 'unmatched'
      ? button(t('match'), () => matchDialog(x, payerName(x)), { 'aria-label': t('match_payment_from', { name: payerName(x) }) }) : null;
    return h('span', { class: 'inline' }, match, refund);
  }

  /** @param {import('../openapi').ReviewPayment} x */
  async function refundReview(x) {
    const text = isBank(x)
      ? t('refund_bank_confirm', { amount: money(x.amount), name: payerName(x), iban: x.debtor && x.debtor.iban ? '•••• ' + x.debtor.iban.replace(/\s+/g, '').slice(-4) : '—' })
      : t('refund_review_confirm', { amount: money(x.amount), psp: x.psp });
    if (await dialog(t('refund_confirm_title'), h('p', {}, text), [[t('refund'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
    try {
      await api('POST', '/v1/payments/review/' + x.id + '/refund', undefined, { idem: newKey() });
      say(t('refund_requested'));
      pageReview();
    } catch (e) {
      showError(app, e.status === 409 ? new Problem(409, { detail: t('refund_conflict') }) : e);
    }
  }
}

// matchDialog lets the person find an open payment link of exactly the
// payment's amount, choose it, confirm, and match.
/**
 * @param {import('../openapi').ReviewPayment} x
 * @param {string} name the payer's
 */
function matchDialog(x, name) {
  const amount = money(x.amount);
  const id = nextId('d');
  const d = h('dialog', { 'aria-labelledby': id, class: 'wide' });
  const close = () => d.close();
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  /** @type {import('../openapi').PaymentLink[]} */
  let links = [];
  const q = input('q', { type: 'search' });
  const chooser = h('div', {});
  const search = h('form', { role: 'search', 'aria-label': t('find_link') },
    h('div', { class: 'row' }, field(t('find_link'), q, 'q', t('find_link_hint'))), h('button', { type: 'submit', class: 'secondary' }, t('find')));
  const choose = h('form', {}, chooser, h('div', { class: 'actions' },
    h('button', { type: 'submit' }, t('continue')), h('button', { type: 'button', class: 'secondary', onclick: close }, t('cancel'))));
  search.addEventListener('submit', (ev) => { ev.preventDefault(); find(q.value.trim()); });
  choose.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const picked = inputs('input[name=link]:checked', choose)[0];
    if (!picked) {
      showError(choose, new Problem(422, { detail: t('choose_link_first') }));
      return;
    }
    confirmStep(links.find((l) => l.id === picked.value));
  });
  function chooseStep() {
    put(d, h('h2', { id }, t('match_title')),
      h('p', {}, t('match_intro', { amount, name, date: day(x.received_at) }), ' ', h('strong', {}, t('match_only_exact', { amount }))),
      x.remittance ? h('p', { class: 'muted' }, x.remittance) : null, search, choose);
    q.focus();
  }
  /** @param {import('../openapi').PaymentLink} l */
  const label = (l) => [l.description, l.reference, customerName(l.customer), t('created') + ' ' + day(l.created_at),
    l.status !== 'created' ? t('status_' + l.status) : null].filter(Boolean).join(' · ');
  /** @param {string} text */
  async function find(text) {
    loading(chooser);
    const base = { amount_min: x.amount.value, amount_max: x.amount.value, created_from: isoDay(-366) + 'T00:00:00Z', limit: 100 };
    try {
      /** @type {import('../openapi').PaymentLink[]} */
      let found;
      if (/^pl_[0-9A-Za-z]{26}$/.test(text)) found = (await onePage('/v1/payment-links/' + encodeURIComponent(text))).data;
      else if (text) {
        const [byRef, byCustomer] = await Promise.all([api('GET', '/v1/payment-links?' + qs(Object.assign({}, base, { reference: text }))),
          api('GET', '/v1/payment-links?' + qs(Object.assign({}, base, { customer: text })))]);
        found = [...byRef.data, ...byCustomer.data];
      } else found = (await api('GET', '/v1/payment-links?' + qs(base))).data;
      // Only a link of exactly the payment's money that can still be
      // paid: the API would refuse any other.
      const seen = new Set();
      links = found.filter((l) => !seen.has(l.id) && seen.add(l.id) && l.amount.currency === x.amount.currency &&
        Number(l.amount.value) === Number(x.amount.value) && l.status !== 'paid' && !l.archived);
    } catch (e) {
      put(chooser, alertBox(e));
      return;
    }
    if (!links.length) {
      put(chooser, h('p', { class: 'empty', role: 'status' }, t('match_none', { amount })));
      return;
    }
    put(chooser, h('fieldset', {}, h('legend', {}, t('match_links', { amount })),
      links.map((l) => h('div', { class: 'field check' }, h('input', { type: 'radio', name: 'link', value: l.id, id: 'm-' + l.id }),
        h('label', { for: 'm-' + l.id }, label(l))))));
  }
  /** @param {import('../openapi').PaymentLink} l */
  function confirmStep(l) {
    const go = h('button', { type: 'button' }, t('match_payment'));
    const box = h('div', {}, h('h2', { id }, t('match_title')),
      h('p', {}, t('match_confirm', { amount, name, link: l.description + (l.reference ? ' (' + l.reference + ')' : '') })),
      h('div', { class: 'actions' }, go, h('button', { type: 'button', class: 'secondary', onclick: () => { chooseStep(); } }, t('back'))));
    put(d, box);
    go.addEventListener('click', async () => {
      try {
        await api('POST', '/v1/payments/review/' + x.id + '/match', { link_id: l.id }, { idem: newKey() });
        d.close();
        say(t('matched_result', { link: l.description }));
        pageReview();
      } catch (e) {
        const plain = e.status === 409 ? t('match_conflict') : e.status === 422 ? t('match_invalid', { amount }) : null;
        showError(box, plain ? new Problem(e.status, { detail: plain }) : e);
      }
    });
    go.focus();
  }
  chooseStep();
  d.showModal();
  q.focus();
  find('');
}
