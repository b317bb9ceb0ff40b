// @ts-check
// A customer and their payment links.
import { $, h, put } from '../dom.js';
import { D, app, can } from '../context.js';
import { alertBox, loading, table } from '../ui.js';
import { api } from '../api.js';
import { badge, customerName, day, money, when } from '../format.js';
import { t } from '../i18n.js';

export default async function pageCustomer() {
  loading(app);
  /** @type {import('../openapi').CustomerResource} */
  let c;
  try {
    c = await api('GET', '/v1/customers/' + encodeURIComponent(D.id));
  } catch (e) {
    put(app, alertBox(e));
    return;
  }
  $('h1').textContent = customerName(c) || c.id;
  const facts = [[t('customer_number'), c.customer_number || '—'], [t('email'), c.email || '—'], [t('phone'), c.phone || '—'],
    [t('language'), t('lang_' + (c.language || 'en'))], [t('country'), c.country || '—'], [t('created'), when(c.created_at)]];
  const plus = can('links:write') && !c.archived && !c.erased
    ? h('form', { method: 'get', action: '/dashboard/links/new', class: 'top-action' }, h('input', { type: 'hidden', name: 'customer', value: c.id }),
      h('button', { type: 'submit' }, h('span', { 'aria-hidden': 'true' }, '+ '), t('new_payment_link')))
    : null;
  const links = h('div', {});
  put(app, h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    c.archived ? h('p', { class: 'warning' }, t('customer_archived')) : null, h('h2', {}, t('payment_links')), plus, links);
  try {
    /** @type {import('../openapi').Operations['listCustomerLinks']['response']} */
    const r = await api('GET', '/v1/customers/' + c.id + '/payment-links?limit=100');
    put(links, table(t('payment_links'), [
      { label: t('description'), cell: (l) => h('a', { href: '/dashboard/links/' + l.id }, l.description) },
      { label: t('status'), cell: (l) => badge(l.status) }, { label: t('amount'), class: 'num', cell: (l) => money(l.amount) },
      { label: t('created'), cell: (l) => day(l.created_at) },
    ], r.data, t('no_links')));
  } catch (e) {
    put(links, alertBox(e));
  }
}
