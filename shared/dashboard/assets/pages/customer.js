// @ts-check
// A customer: their totals, details and payment links; edit, merge into
// another customer, erase their personal data.
import { $, h, nextId, put } from '../dom.js';
import { D, app, can } from '../context.js';
import { Problem, api, attempt, newKey } from '../api.js';
import { alertBox, button, dialog, input, field, loading, say, showError, table } from '../ui.js';
import { badge, customerName, day, money, when } from '../format.js';
import { customerChanges, customerForm } from './customer-new.js';
import { S, t } from '../i18n.js';
import { typeahead } from '../typeahead.js';

/** @typedef {import('../openapi').CustomerResource} Customer */
/** @typedef {{ n: number, more: boolean } | null} Listed how many links a customer has (the first 100 read), null unknown */

export default async function pageCustomer() {
  loading(app);
  /** @type {Customer} */
  let c;
  try {
    // A merged customer's address answers with the kept one (the API's
    // 301, followed): the page is the kept customer's.
    c = await api('GET', '/v1/customers/' + encodeURIComponent(D.id));
  } catch (e) {
    put(app, alertBox(e));
    return;
  }
  const moved = new URLSearchParams(location.search).get('merged');
  if (c.id !== D.id || moved !== null) history.replaceState(null, '', '/dashboard/customers/' + c.id);
  draw(c, moved === null ? '' : plural('customer_merged', Number(moved)));
}

/**
 * plural is the catalog's key_one for 1, else key_many with {n}.
 * @param {string} key
 * @param {number} n
 * @returns {string}
 */
const plural = (key, n) => (n === 1 ? t(key + '_one') : t(key + '_many', { n }));

/**
 * draw puts the customer's page (the totals, the details, what the member
 * may do, the links) and says message on the status line (after a merge,
 * an edit, an erasure).
 * @param {Customer} c
 * @param {string} message
 */
function draw(c, message) {
  $('h1').textContent = c.erased ? t('customer_erased_title') : customerName(c) || c.id;
  const facts = [[t('customer_number'), c.customer_number || '—'], [t('email'), c.email || '—'], [t('phone'), c.phone || '—'],
    [t('language'), t('lang_' + (c.language || 'en'))], [t('country'), c.country || '—'], [t('created'), when(c.created_at)]];
  const open = !c.archived && !c.erased;
  const plus = can('links:write') && open
    ? h('form', { method: 'get', action: '/dashboard/links/new', class: 'top-action' }, h('input', { type: 'hidden', name: 'customer', value: c.id }),
      h('button', { type: 'submit' }, h('span', { 'aria-hidden': 'true' }, '+ '), t('new_payment_link')))
    : null;
  const totals = h('div', { class: 'totals' });
  const links = h('div', {});
  const listed = drawLinks(links, c);
  // panel holds the edit form or the merge's choice, under the buttons.
  const panel = h('div', {});
  // Erase is offered to those who manage customers too: the server
  // decides, and says which permission a refusal lacks.
  const actions = c.erased ? null : h('div', { class: 'customer-actions', role: 'group', 'aria-label': t('customer_actions') },
    can('customers:write') ? button(t('edit'), () => edit(c, panel), { class: 'secondary' }) : null,
    can('customers:write') ? button(t('merge_customer'), () => merge(c, panel, listed), { class: 'secondary' }) : null,
    can('customers:erase') || can('customers:write') ? button(t('erase_customer'), () => erase(c, panel), { class: 'danger erase' }) : null);
  put(app, totals,
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    c.erased ? h('p', { class: 'warning' }, t('customer_erased')) : c.archived ? h('p', { class: 'warning' }, t('customer_archived')) : null,
    actions, panel, h('h2', {}, t('payment_links')), plus, links);
  if (message) say(message);
  drawTotals(totals, c);
}

/**
 * drawTotals puts the customer's totals per currency (open, paid,
 * refunded: the sum and how many links), as the API counts them.
 * @param {HTMLElement} box
 * @param {Customer} c
 */
async function drawTotals(box, c) {
  loading(box);
  try {
    /** @type {import('../openapi').CustomerTotals} */
    const r = await api('GET', '/v1/customers/' + c.id + '/totals');
    /** @param {import('../openapi').CustomerTally} x */
    const tally = (x) => [h('span', { class: 'sum' }, money(x.amount)), h('span', { class: 'muted count' }, plural('tally_links', x.count))];
    /** @typedef {import('../openapi').CustomerTotals['totals'][number]} Row */
    put(box, table(t('customer_totals'), /** @type {Array<import('../ui').Column<Row>>} */ ([
      { label: t('currency'), rowHeader: true, cell: (x) => x.currency },
      { label: t('totals_open'), class: 'num', cell: (x) => tally(x.open) },
      { label: t('totals_paid'), class: 'num', cell: (x) => tally(x.paid) },
      { label: t('totals_refunded'), class: 'num', cell: (x) => tally(x.refunded) },
    ]), r.totals, t('no_totals'), (x) => ({ 'data-currency': x.currency })),
    r.complete ? null : h('p', { class: 'muted' }, t('totals_partial', { n: r.links_counted })));
  } catch (e) {
    put(box, alertBox(e));
  }
}

/**
 * drawLinks puts the customer's payment links (the first 100) and
 * resolves with how many there are (the merge's confirmation says it).
 * @param {HTMLElement} box
 * @param {Customer} c
 * @returns {Promise<Listed>}
 */
async function drawLinks(box, c) {
  try {
    /** @type {import('../openapi').Operations['listCustomerLinks']['response']} */
    const r = await api('GET', '/v1/customers/' + c.id + '/payment-links?limit=100');
    put(box, table(t('payment_links'), [
      { label: t('description'), cell: (l) => h('a', { href: '/dashboard/links/' + l.id }, l.description) },
      { label: t('status'), cell: (l) => badge(l.status) }, { label: t('amount'), class: 'num', cell: (l) => money(l.amount) },
      { label: t('created'), cell: (l) => day(l.created_at) },
    ], r.data, t('no_links')));
    return { n: r.data.length, more: !!r.next_cursor };
  } catch (e) {
    put(box, alertBox(e));
    return null;
  }
}

/**
 * edit puts the customer's form in panel; saving sends what changed
 * (PATCH) and draws the page again with the customer as saved.
 * @param {Customer} c
 * @param {HTMLElement} panel
 */
function edit(c, panel) {
  const form = customerForm(c, t('save_changes'), button(t('cancel'), () => put(panel), { class: 'secondary' }));
  const id = nextId('h');
  put(panel, h('section', { 'aria-labelledby': id }, h('h2', { id }, t('edit_customer')), form));
  $('input', form).focus();
  const idem = attempt();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = customerChanges(form, c);
    if (!Object.keys(body).length) {
      put(panel);
      say(t('customer_unchanged'));
      return;
    }
    try {
      const saved = await api('PATCH', '/v1/customers/' + c.id, body, { idem: idem.key });
      draw(saved, t('customer_saved'));
    } catch (e) {
      idem.answered(e);
      showError(form, e);
    }
  });
}

/**
 * merge puts the choice of the customer to keep in panel (the customers'
 * type-ahead); after a confirmation that says what moves and that it
 * cannot be undone, c is merged into it and the kept customer's page
 * opens with how many links moved.
 * @param {Customer} c
 * @param {HTMLElement} panel
 * @param {Promise<Listed>} listed
 */
function merge(c, panel, listed) {
  /** @type {Customer | null} */
  let into = null;
  const picked = h('p', { class: 'picked', 'aria-live': 'polite' });
  const search = typeahead((k) => {
    into = k;
    picked.textContent = t('merge_keep', { name: named(k) });
  });
  // The API names the kept customer "into".
  $('input', search.el).dataset.field = 'into';
  const id = nextId('h');
  const box = h('section', { class: 'card wide', 'aria-labelledby': id }, h('h2', { id }, t('merge_title')),
    h('p', {}, t('merge_intro', { name: named(c) })), search.el, picked,
    h('div', { class: 'form-actions' }, button(t('merge'), go), button(t('cancel'), () => put(panel), { class: 'secondary' })));
  put(panel, box);
  $('input', box).focus();
  async function go() {
    if (!into) {
      showError(box, new Problem(422, { detail: t('merge_choose'), errors: [{ field: 'into', message: t('merge_choose') }] }));
      return;
    }
    const kept = into;
    const l = await listed;
    const n = !l ? '—' : l.more ? t('merge_links_more', { n: l.n }) : String(l.n);
    const body = h('div', {},
      h('p', {}, t('merge_confirm', { name: named(c), into: named(kept) })),
      h('ul', {}, h('li', {}, t('merge_moves_links', { n })), h('li', {}, t('merge_moves_history')), h('li', {}, t('merge_moves_details'))),
      h('p', {}, h('strong', {}, t('merge_final'))));
    if (await dialog(t('merge_confirm_title'), body, [[t('cancel'), ''], [t('merge'), 'merge', 'danger']]) !== 'merge') return;
    try {
      /** @type {import('../openapi').CustomerMerge} */
      const r = await api('POST', '/v1/customers/' + c.id + '/merge', { into: kept.id }, { idem: newKey() });
      location.assign('/dashboard/customers/' + r.customer.id + '?merged=' + r.links_moved);
    } catch (e) {
      showError(box, e);
    }
  }
}

/**
 * named is a customer as the merge names them: name and e-mail.
 * @param {Customer} c
 * @returns {string}
 */
const named = (c) => (c.email ? t('customer_and_email', { name: customerName(c) || c.id, email: c.email }) : customerName(c) || c.id);

/**
 * erase asks the API what the erasure would remove and says it in a
 * confirmation that holds off until the customer's name is typed; then
 * erases and draws the page with the customer as erased.
 * @param {Customer} c
 * @param {HTMLElement} panel
 */
async function erase(c, panel) {
  put(panel);
  /** @type {import('../openapi').ErasurePreview} */
  let pre;
  try {
    pre = await api('GET', '/v1/customers/' + c.id + '/erasure-preview');
  } catch (e) {
    put(panel, alertBox(e));
    return;
  }
  const name = customerName(c) || c.id;
  const typed = input('confirm_name', { autocomplete: 'off', spellcheck: 'false' });
  /** @param {string} f @returns {string} */
  const label = (f) => (S[f] ? t(f) : S['field_' + f] ? t('field_' + f) : f);
  const body = h('div', {},
    h('p', {}, t('erase_intro')),
    h('ul', { class: 'erase-list' },
      h('li', {}, t('erase_fields', { fields: pre.customer_fields.map(label).join(', ') || '—' })),
      h('li', {}, t('erase_links', { n: pre.links })), h('li', {}, t('erase_bank', { n: pre.bank_records })),
      h('li', {}, t('erase_deliveries', { n: pre.webhook_deliveries }))),
    h('p', {}, t('erase_keeps'), ' ', h('strong', {}, t('erase_final'))),
    field(t('erase_type_name', { name }), typed, 'confirm_name'));
  const same = (/** @type {string} */ s) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const answer = await dialog(t('erase_title', { name }), body, [[t('cancel'), ''], [t('erase'), 'erase', 'danger']],
    { value: 'erase', input: typed, ok: (v) => same(v) === same(name) });
  if (answer !== 'erase') return;
  try {
    const erased = await api('POST', '/v1/customers/' + c.id + '/erase', undefined, { idem: newKey() });
    draw(erased, t('customer_erased_done'));
  } catch (e) {
    // 503 once the erasure has begun: part of the data may be erased
    // already, and erasing again finishes it (not the generic "nothing
    // was changed").
    put(panel, e.status === 503 ? h('div', { class: 'error', role: 'alert' }, h('p', {}, t('erase_unfinished'))) : alertBox(e));
  }
}
