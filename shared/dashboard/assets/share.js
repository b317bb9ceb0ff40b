// @ts-check
// A link's address, QR code and send menu.
import { api, newKey } from './api.js';
import { button, channels, dialog, field, input, showError } from './ui.js';
import { can } from './context.js';
import { h } from './dom.js';
import { t } from './i18n.js';

// afterCreate is the send menu of a new link: e-mail, SMS, WhatsApp, copy
// the link, its QR code; it can be closed.
/** @param {import('./openapi').PaymentLink} link */
export async function afterCreate(link) {
  const body = h('div', { class: 'share' }, shareBlock(link, true));
  await dialog(t('link_created_title'), body, [[t('close'), 'close']]);
}

// shareBlock: the link's address with Copy link, its QR code (PNG, SVG)
// and, while it is open, a send per channel.
/**
 * @param {import('./openapi').PaymentLink} link
 * @param {boolean} withSend
 * @returns {HTMLDivElement}
 */
export function shareBlock(link, withSend) {
  const url = h('input', { type: 'text', readonly: true, value: link.url, 'aria-label': t('link_address') });
  const copied = h('span', { role: 'status', class: 'muted' });
  const out = h('div', {},
    h('div', { class: 'copy' }, url, button(t('copy_link'), async () => {
      try {
        await navigator.clipboard.writeText(link.url);
      } catch {
        url.select();
        document.execCommand('copy');
      }
      copied.textContent = t('copied');
    }), copied),
    h('figure', { class: 'qr' }, h('img', { src: link.qr_url.replace(/\.svg$/, '.png'), alt: t('qr_alt', { description: link.description }), width: 160, height: 160 }),
      h('figcaption', {}, h('a', { href: link.qr_url.replace(/\.(png|svg)$/, '') + '.png', download: link.id + '.png' }, t('qr_png')), ' · ',
        h('a', { href: link.qr_url.replace(/\.(png|svg)$/, '') + '.svg', download: link.id + '.svg' }, t('qr_svg')))));
  const open = !['paid', 'expired'].includes(link.status) && !link.archived;
  if (withSend && open && can('links:send')) {
    const done = h('p', { role: 'status', class: 'muted' });
    const c = link.customer || {};
    /** @type {Record<string, 'email' | 'phone'>} */
    const needs = { email: 'email', sms: 'phone', whatsapp: 'phone' };
    const sends = channels().map(([ch, label]) => button(t('send_by', { channel: label }), async (ev) => {
        try {
          await api('POST', '/v1/payment-links/' + link.id + '/send', { channel: ch }, { idem: newKey() });
          done.textContent = t('send_queued', { channel: label });
        } catch (e) {
          done.textContent = e.message;
        }
        ev.target.focus();
      }, { disabled: !c[needs[ch]] }));
    out.append(h('div', { class: 'send-menu', role: 'group', 'aria-label': t('send') }, sends,
      missingAddress(c, 'phone', 'phone_added'), missingAddress(c, 'email', 'email_added'), done));
  }
  return out;
}

// missingAddress says why a channel is off (the customer has no phone or
// no e-mail) and, for a member who may change customers, adds the address
// inline (PATCH /v1/customers/{id}); c takes the address. A link keeps its
// customer as it was made: added in the send menu, the address serves the
// customer's next links (addedKey says which), added on the new-link form
// it serves the link made next. A group, not a form: it may sit in one.
/**
 * @param {Partial<import('./openapi').CustomerSnapshot>} c
 * @param {'email' | 'phone'} kind
 * @param {string} addedKey the catalog's words once added ({value})
 * @returns {HTMLElement | null}
 */
export function missingAddress(c, kind, addedKey) {
  if (c[kind]) return null;
  const reason = h('p', { class: 'reason' }, t(kind === 'phone' ? 'no_phone_reason' : 'no_email_reason'));
  if (!c.id || !can('customers:write')) return reason;
  // Its own name: on the new-link form the new customer's fields are
  // named email and phone.
  const ctl = input('add_' + kind, kind === 'phone' ? { type: 'tel', autocomplete: 'off' } : { type: 'email', autocomplete: 'off' });
  const group = h('div', { class: 'add-address', role: 'group', 'aria-label': t(kind === 'phone' ? 'add_phone' : 'add_email') },
    field(t(kind === 'phone' ? 'phone_number' : 'email_address'), ctl, kind, kind === 'phone' ? t('phone_hint') : undefined),
    button(t(kind === 'phone' ? 'add_phone' : 'add_email'), add, { class: 'secondary' }));
  const box = h('div', { class: 'missing-address' }, reason, group);
  ctl.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    add();
  });
  async function add() {
    try {
      const cus = await api('PATCH', '/v1/customers/' + encodeURIComponent(c.id), { [kind]: ctl.value.trim() });
      c[kind] = cus[kind];
      const added = h('p', { role: 'status', class: 'muted', tabindex: '-1' }, t(addedKey, { value: cus[kind] }));
      box.replaceChildren(added);
      added.focus();
    } catch (e) {
      showError(group, e);
    }
  }
  return box;
}
