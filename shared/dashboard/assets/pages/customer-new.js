// @ts-check
// A new customer.
import { api, attempt } from '../api.js';
import { app } from '../context.js';
import { controls, h, put } from '../dom.js';
import { field, input, languages, select, showError } from '../ui.js';
import { t } from '../i18n.js';

export default function pageCustomerNew() {
  const form = h('form', { class: 'card wide', novalidate: true },
    h('div', { class: 'row' },
      field(t('first_name'), input('first_name'), 'first_name'), field(t('last_name'), input('last_name'), 'last_name'),
      field(t('company_name'), input('company_name'), 'company_name')),
    h('div', { class: 'row' },
      field(t('email'), input('email', { type: 'email' }), 'email'), field(t('phone'), input('phone', { type: 'tel' }), 'phone', t('phone_hint')),
      field(t('language'), select('language', languages(), 'en'), 'language'), field(t('country'), input('country', { maxlength: 2, placeholder: 'BE' }), 'country'),
      field(t('customer_number'), input('customer_number'), 'customer_number')),
    h('button', { type: 'submit' }, t('create_customer')));
  put(app, form);
  const idem = attempt();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    /** @type {Record<string, string>} */
    const body = {};
    for (const k of ['first_name', 'last_name', 'company_name', 'email', 'phone', 'language', 'country', 'customer_number']) {
      const v = controls(form)[k].value.trim();
      if (v) body[k] = k === 'country' ? v.toUpperCase() : v;
    }
    try {
      const c = await api('POST', '/v1/customers', body, { idem: idem.key });
      location.assign('/dashboard/customers/' + c.id);
    } catch (e) {
      idem.answered(e);
      showError(form, e);
    }
  });
}
