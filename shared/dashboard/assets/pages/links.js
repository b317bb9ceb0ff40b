// @ts-check
// The payment links overview: presets, compact filters, the filtered set's
// count and sums (from the API's summary), the table, bulk archive, export
// and send. Days are the merchant's time zone's (format.js).
import { $, h, inputs, put } from '../dom.js';
import { api, download, newKey, onePage, qs } from '../api.js';
import { app, can } from '../context.js';
import { badge, customerName, day, dayName, deletedOnArchive, lastActivity, money, when, zoneDay } from '../format.js';
import { button, channels, dialog, field, input, loading, say, select, showError, table } from '../ui.js';
import { typeahead } from '../typeahead.js';
import { t } from '../i18n.js';

const PRESETS = ['all', 'created', 'clicked', 'paid', 'declined', 'expired', 'archived'];
const EXPORT_CHUNK = 200;
const ORIGINS = ['api', 'import', 'dashboard', 'dunning', 'invoice', 'first_payment', 'card_renewal'];

export default async function pageLinks() {
  const p = new URLSearchParams(location.search);
  const st = {
    preset: PRESETS.includes(p.get('preset')) ? p.get('preset') : 'all',
    from: p.get('from') || '', to: p.get('to') || '', q: p.get('q') || '',
    status: p.get('status') || '', customer: p.get('customer') || '', amount_min: p.get('amount_min') || '',
    amount_max: p.get('amount_max') || '', origin: p.get('origin') || '', channel: p.get('channel') || '',
  };
  /** @param {Record<string, string>} over */
  const here = (over) => '?' + qs(Object.assign({}, st, over));
  const presets = h('nav', { 'aria-label': t('presets'), class: 'presets' },
    h('ul', {}, PRESETS.map((k) => h('li', {}, h('a', { href: here({ preset: k, status: '' }), 'aria-current': k === st.preset ? 'page' : null }, t('preset_' + k))))));

  // The customer filter: a type-ahead over the customers; a pick filters
  // by the customer's e-mail (else name), typed text as it stands.
  const customer = h('input', { type: 'hidden', name: 'customer', value: st.customer });
  const ta = typeahead((c) => { customer.value = c.email || customerName(c); });
  const box = /** @type {HTMLInputElement} */ ($('input', ta.el));
  const boxLabel = $('label', ta.el);
  if (boxLabel) boxLabel.textContent = t('customer');
  box.removeAttribute('name');
  box.value = st.customer;
  box.addEventListener('input', () => { customer.value = box.value.trim(); });

  const advancedOpen = !!(st.status || st.amount_min || st.amount_max || st.origin || st.channel);
  const more = h('details', { class: 'more-filters', open: advancedOpen ? true : null },
    h('summary', {}, t('advanced_filters')),
    h('div', { class: 'row' },
      field(t('status'), select('status', [['', t('any')], ...['created', 'clicked', 'paid', 'declined', 'expired'].map((s) => [s, t('status_' + s)])], st.status), 'status'),
      field(t('amount_from'), input('amount_min', { value: st.amount_min, inputmode: 'decimal' }), 'amount_min'),
      field(t('amount_to'), input('amount_max', { value: st.amount_max, inputmode: 'decimal' }), 'amount_max'),
      field(t('origin'), select('origin', [['', t('any')], ...ORIGINS.map((o) => [o, t('origin_' + o)])], st.origin), 'origin'),
      field(t('channel'), select('channel', [['', t('any')], ...channels()], st.channel), 'channel')));
  const from = input('from', { type: 'date', value: st.from });
  const to = input('to', { type: 'date', value: st.to });
  const filters = h('form', { method: 'get', class: 'filters', role: 'search', 'aria-label': t('filters') },
    h('input', { type: 'hidden', name: 'preset', value: st.preset }), customer,
    h('div', { class: 'filter-row' },
      h('div', { class: 'grow' }, field(t('search'), input('q', { value: st.q, type: 'search' }), 'q', t('search_hint'))),
      h('div', { class: 'grow' }, ta.el),
      field(t('from'), from, 'created_from'),
      field(t('to'), to, 'created_to'),
      h('div', { class: 'filter-actions' }, h('button', { type: 'submit' }, t('apply'))),
      more));
  const range = h('p', { class: 'range' });
  const sums = h('div', { class: 'sums', 'aria-live': 'polite' });
  const results = h('div', { id: 'results' });
  put(app, h('div', { class: 'overview-top' }, presets, range), filters, sums, results);

  const filterQuery = {
    created_from: st.from, created_to: st.to,
    status: ['created', 'clicked', 'paid', 'declined', 'expired'].includes(st.preset) ? st.preset : st.status,
    archived: st.preset === 'archived' ? 'true' : '', customer: st.customer, amount_min: st.amount_min, amount_max: st.amount_max,
    origin: st.origin, channel: st.channel,
  };
  const query = Object.assign({ limit: 500 }, filterQuery);
  /** @type {import('../openapi').PaymentLinkSummary | null} */
  let summary = null;
  /** @type {import('../openapi').PaymentLink[]} */
  const links = [];
  const selected = new Set();
  /** @type {string | null} */
  let next = null;

  /**
   * @param {string} cursor
   * @returns {Promise<{ data: import('../openapi').PaymentLink[], next_cursor: string | null }>}
   */
  async function fetchPage(cursor) {
    if (st.q && /^pl_[0-9A-Za-z]{26}$/.test(st.q)) return onePage('/v1/payment-links/' + encodeURIComponent(st.q));
    if (st.q) {
      const [byRef, byCustomer] = await Promise.all([
        cursor ? { data: [] } : api('GET', '/v1/payment-links?' + qs(Object.assign({}, query, { reference: st.q }))),
        api('GET', '/v1/payment-links?' + qs(Object.assign({}, query, { customer: st.q, cursor }))),
      ]);
      const seen = new Set(links.map((l) => l.id));
      const data = [...byRef.data, ...byCustomer.data].filter((l) => !seen.has(l.id) && seen.add(l.id));
      return { data, next_cursor: byCustomer.next_cursor };
    }
    return api('GET', '/v1/payment-links?' + qs(Object.assign({}, query, { cursor })));
  }

  // showWindow fills the date filters and the range with the window the
  // summary says was applied, as days of the merchant's zone.
  /** @param {import('../openapi').PaymentLinkSummary} s */
  function showWindow(s) {
    const a = zoneDay(s.created_from);
    const b = zoneDay(s.created_to);
    if (!from.value) from.value = a;
    if (!to.value) to.value = b;
    put(range, t('range_shown', { from: dayName(a), to: dayName(b) }));
  }

  /**
   * @param {string} cursor
   * @param {boolean} [focusMore]
   */
  async function load(cursor, focusMore) {
    try {
      const [page, s] = await Promise.all([fetchPage(cursor),
        summary ? summary : api('GET', '/v1/payment-links/summary?' + qs(filterQuery))]);
      if (!summary) showWindow(s);
      summary = s;
      links.push(...page.data);
      next = page.next_cursor;
      draw(focusMore);
    } catch (e) {
      put(results);
      showError(filters, e);
    }
  }

  // drawSums says how many links are shown of how many the filters select,
  // and their sums per currency, from the summary (a search by text has
  // no summary: it says how many it found).
  function drawSums() {
    if (!summary || st.q) {
      put(sums, h('p', {}, t('links_found', { n: links.length })));
      return;
    }
    const s = summary;
    put(sums, h('p', {}, h('strong', {}, t('shown_of', { n: links.length, total: s.count }))),
      s.currencies.length ? h('ul', {}, s.currencies.map((c) => h('li', {},
        t('sum_currency', { currency: c.currency, count: c.count, total: money(c.total), paid: money(c.paid.amount), open: money(c.open.amount) })))) : null,
      s.partial ? h('p', { class: 'muted' }, t('sums_partial', { from: when(s.complete_from) })) : null);
  }

  // The bulk bar and its live count stay put; ticking a box updates them
  // in place (the focus stays on the box).
  const count = h('span', { 'aria-live': 'polite' }, t('selected_count', { n: 0 }));
  const bulk = h('div', { class: 'bulk', role: 'group', 'aria-label': t('bulk_actions'), hidden: true }, count,
    can('links:write') ? button(t('archive'), () => bulkArchive()) : null,
    can('exports:read') ? button(t('export'), () => bulkExport()) : null,
    can('links:send') ? button(t('send'), () => bulkSend()) : null);
  /** @type {HTMLInputElement | null} */
  let allBox = null;

  function sync() {
    count.textContent = t('selected_count', { n: selected.size });
    bulk.hidden = selected.size === 0;
    if (allBox) allBox.checked = links.length > 0 && selected.size === links.length;
  }

  /** @param {boolean} [focusMore] */
  function draw(focusMore) {
    allBox = h('input', { type: 'checkbox', 'aria-label': t('select_all'), checked: links.length > 0 && selected.size === links.length,
      onchange: (ev) => {
        links.forEach((l) => (ev.target.checked ? selected.add(l.id) : selected.delete(l.id)));
        inputs('input[data-row]', results).forEach((c) => { c.checked = ev.target.checked; });
        sync();
      } });
    /** @type {Array<import('../ui').Column<import('../openapi').PaymentLink>>} */
    const cols = [
      { label: allBox, class: 'check', cell: (l) => h('input', { type: 'checkbox', 'data-row': l.id, 'aria-label': t('select_link', { name: l.description }), checked: selected.has(l.id),
        onchange: (ev) => { ev.target.checked ? selected.add(l.id) : selected.delete(l.id); sync(); } }) },
      { label: t('description'), cell: (l) => h('a', { href: '/dashboard/links/' + encodeURIComponent(l.id) }, l.description) },
      { label: t('status'), cell: (l) => (l.archived ? h('span', { class: 'badge s-archived', title: t('status_' + l.status) }, t('link_archived')) : badge(l.status)) },
      { label: t('amount'), class: 'num', cell: (l) => money(l.amount) },
      { label: t('customer'), class: 'cust', cell: (l) => [customerName(l.customer), l.customer && l.customer.email ? h('span', { class: 'muted' }, ' ' + l.customer.email) : null] },
      { label: t('created'), class: 'nowrap', cell: (l) => day(l.created_at) },
      { label: t('expires'), class: 'nowrap', cell: (l) => day(l.expires_at) },
      { label: t('last_activity'), class: 'nowrap', cell: (l) => when(lastActivity(l)) },
      { label: [h('span', { 'aria-hidden': 'true', title: t('marks') }, '↺ ✉'), h('span', { class: 'visually-hidden' }, t('marks'))], class: 'nowrap', cell: (l) => marks(l) },
    ];
    const showMore = next ? button(t('show_more'), () => { load(next, true); }, { id: 'show-more' }) : null;
    drawSums();
    put(results, bulk, table(t('payment_links'), cols, links, t('no_links')), showMore);
    sync();
    if (focusMore) {
      // After "Show more": the focus goes on to the button again, or to
      // the table when everything is shown.
      const target = $('#show-more', results) || $('.table-wrap', results);
      if (target) target.focus();
    }
  }

  /** @param {import('../openapi').PaymentLink} l */
  function marks(l) {
    const out = [];
    if (l.refund_state && l.refund_state !== 'none') out.push(h('span', { class: 'mark', title: t('refunded'), role: 'img', 'aria-label': t('refunded') }, '↺'));
    if (l.sent_channels && l.sent_channels.length) {
      const label = t('sent_via', { channels: l.sent_channels.map((c) => t('channel_' + c)).join(', ') });
      out.push(h('span', { class: 'mark', title: label, role: 'img', 'aria-label': label }, '✉'));
    }
    return out;
  }

  const chosen = () => links.filter((l) => selected.has(l.id));
  const needOne = () => { if (!selected.size) { say(t('select_first')); return true; } return false; };

  // eachLink calls call for each link, one after the other, and says how
  // many went through (doneKey) and which were refused and why; it
  // returns the ids that went through.
  /**
   * @param {import('../openapi').PaymentLink[]} list
   * @param {(l: import('../openapi').PaymentLink) => Promise<unknown>} call
   * @param {string | ((n: number) => string)} doneKey a catalog key, or the words for n done
   * @returns {Promise<Set<string>>}
   */
  async function eachLink(list, call, doneKey) {
    const done = new Set();
    const refused = [];
    for (const l of list) {
      try {
        await call(l);
        done.add(l.id);
      } catch (e) {
        refused.push(l.description + ': ' + e.message);
      }
    }
    say((typeof doneKey === 'string' ? t(doneKey, { n: done.size }) : doneKey(done.size)) + (refused.length ? ' ' + t('refused_result', { n: refused.length }) + ' ' + refused.join('; ') : ''));
    return done;
  }

  async function bulkArchive() {
    if (needOne()) return;
    const list = chosen();
    const deleted = list.filter(deletedOnArchive).length;
    const body = h('div', {}, h('p', {}, t('archive_confirm', { n: list.length })),
      deleted ? h('p', { class: 'warning' }, t('archive_deletes', { n: deleted })) : null);
    // Every one never opened: each is deleted, and the button says so.
    const verb = deleted === list.length ? t('delete') : t('archive');
    if (await dialog(t('archive_title'), body, [[verb, 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
    // The server deletes a never-opened link (204) and archives the others
    // (200): the message counts each.
    let gone = 0;
    const archived = await eachLink(list, async (l) => {
      if (await api('POST', '/v1/payment-links/' + l.id + '/archive', undefined, { idem: newKey() }) === null) gone++;
    }, (n) => (gone === 0 ? t('archived_result', { n }) : gone === n ? t('deleted_result', { n }) : t('archived_deleted_result', { a: n - gone, d: gone })));
    links.splice(0, links.length, ...links.filter((l) => !archived.has(l.id)));
    archived.forEach((id) => selected.delete(id));
    draw(true);
  }

  async function bulkExport() {
    if (needOne()) return;
    try {
      // At most 200 ids a request: an address stays far below API
      // Gateway's 10 KB; the parts are one file (the header once).
      const ids = chosen().map((l) => l.id);
      let csvText = '';
      let name = 'payment-links.csv';
      for (let i = 0; i < ids.length; i += EXPORT_CHUNK) {
        const part = await api('GET', '/v1/payment-links/export?' + ids.slice(i, i + EXPORT_CHUNK).map((id) => 'id=' + encodeURIComponent(id)).join('&'), undefined, { blob: true });
        const text = await part.blob.text();
        name = part.name;
        csvText += i === 0 ? text : text.slice(text.indexOf('\n') + 1);
      }
      download(new Blob([csvText], { type: 'text/csv' }), name);
      say(t('exported', { n: selected.size }));
    } catch (e) {
      showError(results, e);
    }
  }

  async function bulkSend() {
    if (needOne()) return;
    const pick = select('channel', channels(), 'email');
    const v = await dialog(t('send_title', { n: selected.size }), h('div', {}, field(t('channel'), pick)), [[t('send'), 'yes'], [t('cancel'), '']]);
    if (v !== 'yes') return;
    const ch = pick.value;
    await eachLink(chosen(), (l) => api('POST', '/v1/payment-links/' + l.id + '/send', { channel: ch }, { idem: newKey() }), 'sent_result');
  }

  loading(results);
  await load('');
}
