// @ts-check
// A new customer, and the customer's form (the customer's page edits with
// it).
import { api, attempt } from '../api.js';
import { app } from '../context.js';
import { controls, h, put } from '../dom.js';
import { field, input, languages, select, showError } from '../ui.js';
import { t } from '../i18n.js';

/** The fields the form holds, as the API names them. */
const FIELDS = /** @type {const} */ (['first_name', 'last_name', 'company_name', 'email', 'phone', 'language', 'country', 'customer_number']);

/**
 * customerForm is the customer's fields filled with c's values (empty for
 * a new customer) and a submit button labelled submit, then more (a
 * Cancel); the API's errors name the fields.
 * @param {Partial<import('../openapi').CustomerResource>} c
 * @param {string} submit
 * @param {import('../dom').Kid} [more]
 * @returns {HTMLFormElement}
 */
export function customerForm(c, submit, more) {
  /** @param {typeof FIELDS[number]} k @returns {string} */
  const v = (k) => String(c[k] || '');
  return h('form', { class: 'card wide', novalidate: true },
    h('div', { class: 'row' },
      field(t('first_name'), input('first_name', { value: v('first_name') }), 'first_name'), field(t('last_name'), input('last_name', { value: v('last_name') }), 'last_name'),
      field(t('company_name'), input('company_name', { value: v('company_name') }), 'company_name')),
    h('div', { class: 'row' },
      field(t('email'), input('email', { type: 'email', value: v('email') }), 'email'),
      field(t('phone'), input('phone', { type: 'tel', value: v('phone') }), 'phone', t('phone_hint')),
      field(t('language'), select('language', languages(), v('language') || 'en'), 'language'),
      field(t('country'), input('country', { maxlength: 2, placeholder: 'BE', value: v('country') }), 'country'),
      field(t('customer_number'), input('customer_number', { value: v('customer_number') }), 'customer_number')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, submit), more));
}

/**
 * customerChanges is what the form holds that differs from c: each field
 * changed, '' for one emptied (the API then clears it). An existing
 * customer left with only a company name becomes a company, one left with
 * only a first and last name a person (the API decides a new one's type).
 * @param {HTMLFormElement} form
 * @param {Partial<import('../openapi').CustomerResource>} c
 * @returns {Record<string, string>}
 */
export function customerChanges(form, c) {
  /** @type {Record<string, string>} */
  const body = {};
  /** @type {Record<string, string>} */
  const now = {};
  for (const k of FIELDS) {
    const v = controls(form)[k].value.trim();
    now[k] = k === 'country' ? v.toUpperCase() : v;
    if (now[k] !== String(c[k] || '')) body[k] = now[k];
  }
  const person = now.first_name !== '' || now.last_name !== '';
  const type = now.company_name && !person ? 'company' : !now.company_name && person ? 'person' : c.type;
  if (c.type && type !== c.type) body.type = type;
  return body;
}

export default function pageCustomerNew() {
  const form = customerForm({}, t('create_customer'));
  put(app, form);
  const idem = attempt();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const c = await api('POST', '/v1/customers', customerChanges(form, {}), { idem: idem.key });
      location.assign('/dashboard/customers/' + c.id);
    } catch (e) {
      idem.answered(e);
      showError(form, e);
    }
  });
}
