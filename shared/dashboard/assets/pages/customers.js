// @ts-check
// The customers: search and list.
import { api, onePage, qs } from '../api.js';
import { app, can } from '../context.js';
import { button, field, input, loading, showError, table } from '../ui.js';
import { customerName, day } from '../format.js';
import { h, put } from '../dom.js';
import { t } from '../i18n.js';

export default async function pageCustomers() {
  const p = new URLSearchParams(location.search);
  const q = p.get('q') || '';
  const form = h('form', { method: 'get', role: 'search', class: 'filters', 'aria-label': t('customers') },
    h('div', { class: 'row' }, field(t('search'), input('q', { type: 'search', value: q }), 'q', t('customer_search_hint'))),
    h('button', { type: 'submit' }, t('search')));
  const top = can('customers:write') ? h('form', { method: 'get', action: '/dashboard/customers/new', class: 'top-action' }, h('button', { type: 'submit' }, t('new_customer'))) : null;
  const results = h('div', {});
  put(app, top, form, results);
  /** @type {import('../openapi').CustomerResource[]} */
  const all = [];
  /** @type {string | null} */
  let next = null;
  /** @param {string} cursor */
  async function load(cursor) {
    try {
      const r = q.startsWith('cus_') ? await onePage('/v1/customers/' + encodeURIComponent(q))
        : await api('GET', '/v1/customers?' + qs(Object.assign(q.includes('@') ? { email: q.toLowerCase() } : { q }, { limit: 100, cursor })));
      all.push(...r.data);
      next = r.next_cursor;
      put(results, table(t('customers'), [
        { label: t('name'), rowHeader: true, cell: (c) => h('a', { href: '/dashboard/customers/' + c.id }, customerName(c) || c.id) },
        { label: t('email'), cell: (c) => c.email || '—' }, { label: t('phone'), cell: (c) => c.phone || '—' },
        { label: t('customer_number'), cell: (c) => c.customer_number || '—' }, { label: t('created'), cell: (c) => day(c.created_at) },
      ], all, t('no_customers')), next ? button(t('show_more'), () => load(next)) : null);
    } catch (e) {
      showError(form, e);
    }
  }
  loading(results);
  await load('');
}
