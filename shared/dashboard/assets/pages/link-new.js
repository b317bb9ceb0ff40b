// @ts-check
// A new payment link.
import { Problem, api, attempt } from '../api.js';
import { afterCreate, missingAddress } from '../share.js';
import { app } from '../context.js';
import { clearErrors, field, input, languages, say, select, showError } from '../ui.js';
import { controls, h, inputs, put } from '../dom.js';
import { customerName, isoDay, methodName } from '../format.js';
import { t } from '../i18n.js';
import { typeahead } from '../typeahead.js';

export default async function pageLinkNew() {
  const p = new URLSearchParams(location.search);
  /** @type {import('../openapi').CustomerResource | null} */
  let customer = null; // the existing customer chosen
  const form = h('form', { class: 'card wide', novalidate: true });
  const who = h('fieldset', {}, h('legend', {}, t('customer')));
  /** @param {'existing' | 'new'} v */
  const mode = (v) => h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'who', value: v, checked: v === 'existing', onchange: drawWho }), ' ', t('who_' + v));
  const picked = h('p', { class: 'picked', 'aria-live': 'polite' });
  // reach: the chosen customer's missing phone or e-mail (those channels
  // are off), with a way to add it before the link is made.
  const reach = h('div', { class: 'reach' });
  /** @param {import('../openapi').CustomerResource} c */
  const choose = (c) => {
    customer = c;
    picked.textContent = t('customer_chosen', { name: customerName(c) });
    put(reach, missingAddress(c, 'phone', 'phone_added_now'), missingAddress(c, 'email', 'email_added_now'));
  };
  // The link speaks its customer's language unless the person picks
  // another (then the new link's language is changed to it).
  let langTouched = false;
  const search = typeahead((c) => {
    choose(c);
    if (c.language && !langTouched) controls(form).language.value = c.language;
  });
  const inline = h('div', { class: 'row' },
    field(t('first_name'), input('first_name', { autocomplete: 'off' }), 'customer.first_name'),
    field(t('last_name'), input('last_name', { autocomplete: 'off' }), 'customer.last_name'),
    field(t('company_name'), input('company_name', { autocomplete: 'off' }), 'customer.company_name'),
    field(t('email'), input('email', { type: 'email', autocomplete: 'off' }), 'customer.email'),
    field(t('phone'), input('phone', { type: 'tel', autocomplete: 'off' }), 'customer.phone', t('phone_hint')));
  const existing = h('div', {}, search.el, picked, reach);
  who.append(h('div', { class: 'modes' }, mode('existing'), mode('new')), existing, inline);
  function drawWho() {
    const isNew = inputs('input[name=who]:checked', form)[0].value === 'new';
    existing.hidden = isNew;
    inline.hidden = !isNew;
  }

  const methods = h('fieldset', {}, h('legend', {}, t('payment_methods')));
  const expiry = input('expires', { type: 'date', value: isoDay(30), min: isoDay(1), max: isoDay(90), required: true });
  const reminder = h('input', { type: 'checkbox', name: 'reminder', id: 'reminder' });
  form.append(who,
    h('div', { class: 'row' },
      field(t('amount'), input('amount', { inputmode: 'decimal', required: true, placeholder: '12.50' }), 'amount.value'),
      field(t('currency'), select('currency', ['EUR', 'USD', 'GBP', 'CHF', 'SEK', 'DKK', 'NOK', 'PLN', 'JPY'].map((c) => [c, c]), 'EUR'), 'amount.currency')),
    field(t('description'), input('description', { required: true, maxlength: 140 }), 'description', t('description_hint')),
    h('div', { class: 'row' },
      field(t('reference'), input('reference', { maxlength: 64 }), 'reference', t('reference_hint')),
      field(t('expires'), expiry, 'expires_in_days', t('expires_hint')),
      field(t('language'), select('language', languages(), 'en'), 'customer.language')),
    methods,
    field(t('redirect_url'), input('redirect_url', { type: 'url', placeholder: 'https://' }), 'redirect_url', t('redirect_hint')),
    h('div', { class: 'field check' }, reminder, h('label', { for: 'reminder' }, t('reminder_label'))),
    h('button', { type: 'submit' }, t('create_link')));
  put(app, form);
  drawWho();
  controls(form).language.addEventListener('change', () => { langTouched = true; });
  try {
    const s = await api('GET', '/v1/settings');
    for (const m of s.payment_methods || []) {
      const id = 'pm-' + m;
      methods.append(h('span', { class: 'inline' }, h('input', { type: 'checkbox', name: 'methods', value: m, id, checked: true }), h('label', { for: id }, methodName(m))));
    }
  } catch {
    methods.append(h('p', { class: 'muted' }, t('methods_default')));
  }
  if (p.get('from')) await fillFrom(p.get('from'));
  else if (p.get('customer')) {
    try {
      choose(await api('GET', '/v1/customers/' + encodeURIComponent(p.get('customer'))));
      if (customer.language) controls(form).language.value = customer.language;
    } catch (e) {
      showError(form, e);
    }
  }
  // fillFrom fills the form from the link duplicated (its customer,
  // amount, description, language, methods, redirect); the reference is
  // the person's to give (references are unique).
  /** @param {string} id */
  async function fillFrom(id) {
    try {
      /** @type {import('../openapi').PaymentLink} */
      const l = await api('GET', '/v1/payment-links/' + encodeURIComponent(id));
      const f = controls(form);
      f.amount.value = l.amount.value;
      f.currency.value = l.amount.currency;
      f.description.value = l.description;
      if (l.redirect_url) f.redirect_url.value = l.redirect_url;
      if (l.language) { f.language.value = l.language; langTouched = true; }
      if (l.payment_methods && l.payment_methods.length) inputs('input[name=methods]', form).forEach((c) => { c.checked = l.payment_methods.includes(c.value); });
      // The customer as they are now (the link holds them as they were).
      if (l.customer && l.customer.id) choose(await api('GET', '/v1/customers/' + encodeURIComponent(l.customer.id)));
    } catch (e) {
      showError(form, e);
    }
  }

  const idem = attempt();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = controls(form);
    const isNew = f.who.value === 'new';
    if (!isNew && !customer) {
      showError(form, new Problem(422, { detail: t('choose_customer'), errors: [{ field: 'customer_search', message: t('choose_customer') }] }));
      return;
    }
    const days = Math.round((Date.parse(f.expires.value + 'T00:00:00Z') - Date.parse(isoDay(0) + 'T00:00:00Z')) / 86400000);
    /** @type {import('../openapi').CreatePaymentLink} */
    const body = {
      amount: { currency: f.currency.value, value: f.amount.value.trim().replace(',', '.') },
      description: f.description.value.trim(), origin: 'dashboard', expires_in_days: days,
    };
    if (f.reference.value.trim()) body.reference = f.reference.value.trim();
    if (f.redirect_url.value.trim()) body.redirect_url = f.redirect_url.value.trim();
    const chosenMethods = inputs('input[name=methods]', form);
    if (chosenMethods.length && chosenMethods.some((c) => !c.checked)) body.payment_methods = chosenMethods.filter((c) => c.checked).map((c) => c.value);
    if (reminder.checked) body.reminder = { before_expiry_hours: 24 };
    if (isNew) {
      body.customer = { language: f.language.value };
      for (const k of /** @type {const} */ (['first_name', 'last_name', 'company_name', 'email', 'phone'])) if (f[k].value.trim()) body.customer[k] = f[k].value.trim();
    } else {
      body.customer_id = customer.id;
    }
    try {
      let link = await api('POST', '/v1/payment-links', body, { idem: idem.key });
      idem.answered();
      clearErrors(form);
      if (!isNew && langTouched && link.language !== f.language.value) {
        link = await api('PATCH', '/v1/payment-links/' + link.id, { language: f.language.value });
      }
      say(t('link_created'));
      // The send menu says now what the link can go by.
      reach.replaceChildren();
      await afterCreate(link);
      location.assign('/dashboard/links/' + link.id);
    } catch (e) {
      idem.answered(e);
      showError(form, e);
    }
  });
}
