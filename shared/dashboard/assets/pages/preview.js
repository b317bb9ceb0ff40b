// @ts-check
// What a link's customer receives, per channel.
import { D, app } from '../context.js';
import { alertBox, loading } from '../ui.js';
import { api } from '../api.js';
import { h, put } from '../dom.js';
import { t } from '../i18n.js';

export default async function pagePreview() {
  loading(app);
  try {
    /** @type {import('../openapi').PaymentLinkPreview} */
    const p = await api('GET', '/v1/payment-links/' + encodeURIComponent(D.id) + '/preview');
    // The e-mail's section is busy until its frame has loaded.
    const parts = p.messages.map((m) => h('section', { class: 'card wide', 'aria-labelledby': 'pv-' + m.channel, 'aria-busy': m.channel === 'email' ? 'true' : null },
      h('h2', { id: 'pv-' + m.channel }, t('channel_' + m.channel)),
      h('p', {}, m.to ? t('preview_to', { to: m.to }) : h('span', { class: 'warning' }, t('preview_no_address'))),
      m.subject ? h('p', {}, h('strong', {}, t('subject') + ': '), m.subject) : null,
      m.channel === 'email'
        ? h('iframe', { src: '/v1/payment-links/' + encodeURIComponent(D.id) + '/preview/email', title: t('preview_email_frame'), sandbox: '', class: 'mail',
          onload: (ev) => ev.target.closest('section').setAttribute('aria-busy', 'false') })
        : h('pre', { class: 'message' }, m.text)));
    put(app, h('p', {}, t('preview_intro', { merchant: p.merchant_name })),
      h('p', {}, h('a', { href: '/dashboard/links/' + p.link.id }, t('back_to_link'))), ...parts);
  } catch (e) {
    put(app, alertBox(e));
  }
}
