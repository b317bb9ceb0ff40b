// @ts-check
// Settings: general, webhooks, API keys, members, audit log.
import { $$, controls, h, inputs, put } from '../dom.js';
import { D, app, can } from '../context.js';
import { S, t } from '../i18n.js';
import { actorName, day, methodName, when } from '../format.js';
import { alertBox, button, dialog, field, input, loading, say, select, showError, table } from '../ui.js';
import { api, attempt, newKey, qs } from '../api.js';

export default async function pageSettings() {
  loading(app);
  /** @type {import('../openapi').Settings} */
  let s;
  try {
    s = await api('GET', '/v1/settings');
  } catch (e) {
    put(app, alertBox(e));
    return;
  }
  const sections = ['general', 'webhooks', 'keys', 'members', 'audit'];
  const nav = h('nav', { 'aria-label': t('settings_sections'), class: 'presets' }, h('ul', {}, sections.map((k) => h('li', {}, h('a', { href: '#' + k }, t('settings_' + k))))));
  const boxes = Object.fromEntries(sections.map((k) => [k, h('section', { id: k, 'aria-labelledby': k + '-h' }, h('h2', { id: k + '-h' }, t('settings_' + k)))]));
  put(app, nav, ...sections.map((k) => boxes[k]));
  boxes.general.append(generalForm(s));
  deliveries(boxes.webhooks);
  keys(boxes.keys);
  members(boxes.members);
  audit(boxes.audit);
}

/**
 * @param {import('../openapi').Settings} s
 * @returns {HTMLFormElement}
 */
function generalForm(s) {
  const b = s.default_beneficiary || {};
  const methods = (D.methods || '').split(' ').filter(Boolean);
  const form = h('form', { class: 'card wide', novalidate: true },
    field(t('merchant_name'), input('name', { value: s.name || '' }), 'name'),
    h('fieldset', {}, h('legend', {}, t('beneficiary')),
      h('div', { class: 'row' },
        field(t('beneficiary_name'), input('b_name', { value: b.name || '' }), 'default_beneficiary.name'),
        field(t('bank'), input('b_bank', { value: b.bank || '' }), 'default_beneficiary.bank'),
        field(t('iban'), input('b_iban', { value: b.iban || '', autocomplete: 'off' }), 'default_beneficiary.iban'),
        field(t('bic'), input('b_bic', { value: b.bic || '' }), 'default_beneficiary.bic', t('bic_hint')))),
    field(t('redirect_domains'), h('textarea', { name: 'domains', rows: 3 }, (s.redirect_domains || []).join('\n')), 'redirect_domains', t('redirect_domains_hint')),
    h('fieldset', {}, h('legend', {}, t('payment_methods')), methods.map((m) => h('span', { class: 'inline' },
      h('input', { type: 'checkbox', name: 'pm', value: m, id: 'pm-' + m, checked: (s.payment_methods || []).includes(m) }), h('label', { for: 'pm-' + m }, methodName(m))))),
    h('fieldset', {}, h('legend', {}, t('psp')),
      field(t('psp'), input('psp', { value: s.psp || '' }), 'psp'),
      field(t('psp_credentials'), h('textarea', { name: 'creds', rows: 2, autocomplete: 'off', placeholder: 'api_key=…' }), 'psp_credentials',
        t('psp_credentials_hint', { set: (s.psp_credentials_set || []).join(', ') || t('none') }))),
    h('fieldset', {}, h('legend', {}, t('outbound_webhooks')),
      field(t('webhook_url'), input('webhook_url', { type: 'url', value: s.webhook_url || '' }), 'webhook_url'),
      field(t('webhook_secret'), input('webhook_secret', { type: 'password', autocomplete: 'new-password' }), 'webhook_secret', s.webhook_secret_set ? t('secret_set') : t('secret_unset'))),
    h('div', { class: 'field check' }, h('input', { type: 'checkbox', name: 'require_mfa', id: 'require_mfa', checked: s.require_mfa }), h('label', { for: 'require_mfa' }, t('require_mfa'))),
    can('settings:write') ? h('button', { type: 'submit' }, t('save_settings')) : h('p', { class: 'muted' }, t('settings_read_only')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = controls(form);
    /** @type {import('../openapi').SettingsUpdate} */
    const body = {
      name: f.name.value.trim(),
      redirect_domains: f.domains.value.split(/\s+/).map((x) => x.trim()).filter(Boolean),
      payment_methods: inputs('input[name=pm]', form).filter((c) => c.checked).map((c) => c.value),
      require_mfa: f.require_mfa.checked,
    };
    if (f.b_name.value.trim() || f.b_iban.value.trim()) body.default_beneficiary = { name: f.b_name.value.trim(), iban: f.b_iban.value.replace(/\s+/g, ''), bic: f.b_bic.value.trim() || undefined, bank: f.b_bank.value.trim() || undefined };
    if (f.psp.value.trim() && f.psp.value.trim() !== s.psp) body.psp = f.psp.value.trim();
    const creds = f.creds.value.split('\n').map((l) => l.trim()).filter(Boolean);
    if (creds.length) {
      if (!body.psp) body.psp = f.psp.value.trim();
      body.psp_credentials = Object.fromEntries(creds.map((l) => { const i = l.indexOf('='); return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()]; }));
    }
    if (f.webhook_url.value.trim() !== (s.webhook_url || '')) body.webhook_url = f.webhook_url.value.trim();
    if (f.webhook_secret.value) body.webhook_secret = f.webhook_secret.value;
    try {
      await api('PUT', '/v1/settings', body);
      f.creds.value = '';
      f.webhook_secret.value = '';
      say(t('settings_saved'));
      // The errors of an earlier save go, with their marks on the fields.
      $$('.error, .field-error', form).forEach((el) => el.remove());
      $$('[aria-invalid]', form).forEach((el) => {
        el.removeAttribute('aria-invalid');
        const hint = document.getElementById(el.id + '-hint');
        if (hint) el.setAttribute('aria-describedby', hint.id);
        else el.removeAttribute('aria-describedby');
      });
    } catch (e) {
      showError(form, e);
    }
  });
  return form;
}

/** @param {HTMLElement} box */
async function deliveries(box) {
  const out = h('div', {});
  box.append(out);
  try {
    /** @type {import('../openapi').Operations['listWebhookDeliveries']['response']} */
    const r = await api('GET', '/v1/webhook-deliveries?limit=50');
    put(out, table(t('deliveries_table'), [
      { label: t('event'), cell: (d) => d.event_type }, { label: t('link'), cell: (d) => h('a', { href: '/dashboard/links/' + d.link_id }, d.link_id) },
      { label: t('state'), cell: (d) => (S['delivery_' + d.status] ? t('delivery_' + d.status) : d.status) }, { label: t('attempts'), class: 'num', cell: (d) => String(d.attempts) },
      { label: t('updated'), cell: (d) => when(d.updated_at) },
      { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (d) => (d.status !== 'succeeded' && can('settings:write')
        ? button(t('retry'), async () => {
          try {
            await api('POST', '/v1/webhook-deliveries/' + d.id + '/retry', undefined, { idem: newKey() });
            say(t('retry_queued'));
          } catch (e) { showError(box, e); }
        }, { 'aria-label': t('retry_delivery', { event: d.event_type }) }) : '') },
    ], r.data, t('no_deliveries')));
  } catch (e) {
    put(out, alertBox(e));
  }
}

/** @param {HTMLElement} box */
async function keys(box) {
  const out = h('div', {});
  const all = ['links:read', 'links:write', 'links:send', 'refunds:write', 'payments:review', 'exports:read', 'customers:read', 'customers:write',
    'customers:erase', 'settings:read', 'settings:write', 'keys:write', 'members:write', 'audit:read'];
  const form = h('form', { class: 'card wide' }, h('h3', {}, t('new_key')), field(t('key_name'), input('key_name', { maxlength: 64 }), 'name'),
    h('fieldset', {}, h('legend', {}, t('key_permissions')), h('p', { class: 'hint' }, t('key_permissions_hint')),
      all.map((p) => h('span', { class: 'inline' }, h('input', { type: 'checkbox', name: 'perm', value: p, id: 'perm-' + p }), h('label', { for: 'perm-' + p }, p)))),
    h('button', { type: 'submit' }, t('create_key')));
  box.append(form, out);
  const idem = attempt();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    /** @type {import('../openapi').ApiKeyRequest} */
    const body = { name: form.key_name.value.trim() };
    const chosen = inputs('input[name=perm]', form).filter((c) => c.checked).map((c) => c.value);
    if (chosen.length) body.permissions = /** @type {import('../openapi').Permission[]} */ (chosen);
    try {
      const k = await api('POST', '/v1/api-keys', body, { idem: idem.key });
      idem.answered();
      form.reset();
      $$('.error, .field-error', form).forEach((el) => el.remove());
      await dialog(t('key_created'), h('div', {}, h('p', {}, t('key_once')), h('code', { class: 'secret' }, k.secret)), [[t('close'), 'close']]);
      list();
    } catch (e) {
      idem.answered(e);
      showError(form, e);
    }
  });
  async function list() {
    try {
      /** @type {import('../openapi').Operations['listApiKeys']['response']} */
      const r = await api('GET', '/v1/api-keys');
      put(out, table(t('keys_table'), [
        { label: t('key_name'), cell: (k) => k.name || '—' }, { label: t('key'), cell: (k) => h('code', {}, k.prefix + '…' + k.last4) },
        { label: t('key_permissions'), cell: (k) => (k.restricted ? (k.permissions || []).join(', ') : t('all_permissions')) },
        { label: t('created'), cell: (k) => day(k.created_at) }, { label: t('last_used'), cell: (k) => when(k.last_used_at) },
        { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (k) => button(t('revoke'), async () => {
          if (await dialog(t('revoke_title'), h('p', {}, t('revoke_confirm', { key: k.prefix + '…' + k.last4 })), [[t('revoke'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
          try { await api('DELETE', '/v1/api-keys/' + k.id); say(t('key_revoked')); list(); } catch (e) { showError(box, e); }
        }, { class: 'danger', 'aria-label': t('revoke_key', { key: k.name || k.last4 }) }) },
      ], r.data, t('no_keys')));
    } catch (e) {
      put(out, alertBox(e));
    }
  }
  list();
}

/** @param {HTMLElement} box */
async function members(box) {
  const roles = ['owner', 'admin', 'finance', 'operator', 'viewer'];
  const out = h('div', {});
  const form = h('form', { class: 'card wide' }, h('h3', {}, t('invite')),
    h('div', { class: 'row' }, field(t('email'), input('email', { type: 'email' }), 'email'),
      field(t('role'), select('role', roles.map((r) => [r, t('role_' + r)]), 'viewer'), 'role')),
    h('button', { type: 'submit' }, t('invite')));
  box.append(form, out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/v1/members', { email: controls(form).email.value.trim(), role: controls(form).role.value }, { idem: newKey() });
      say(t('invited', { email: form.email.value.trim() }));
      form.email.value = '';
      list();
    } catch (e) {
      showError(form, e);
    }
  });
  async function list() {
    try {
      /** @type {import('../openapi').Operations['listMembers']['response']} */
      const r = await api('GET', '/v1/members');
      put(out, table(t('members_table'), [
        { label: t('email'), rowHeader: true, cell: (m) => m.email },
        { label: t('role'), cell: (m) => {
          // Browsing the options changes nothing: the button does.
          const sel = select('role', roles.map((x) => [x, t('role_' + x)]), m.role, { 'aria-label': t('role_of', { email: m.email }) });
          const change = button(t('change_role'), async () => {
            if (sel.value === m.role) return;
            try {
              await api('PATCH', '/v1/members/' + m.id, { role: sel.value });
              m.role = /** @type {import('../openapi').Role} */ (sel.value);
              say(t('role_changed', { email: m.email }));
            } catch (e) {
              sel.value = m.role;
              showError(box, e);
            }
          }, { class: 'secondary', 'aria-label': t('change_role_of', { email: m.email }) });
          return h('span', { class: 'inline' }, sel, change);
        } },
        { label: t('state'), cell: (m) => t('member_' + m.status) }, { label: t('last_sign_in'), cell: (m) => when(m.last_sign_in_at) },
        { label: h('span', { class: 'visually-hidden' }, t('actions')), cell: (m) => button(t('remove'), async () => {
          if (await dialog(t('remove_title'), h('p', {}, t('remove_confirm', { email: m.email })), [[t('remove'), 'yes', 'danger'], [t('cancel'), '']]) !== 'yes') return;
          try { await api('DELETE', '/v1/members/' + m.id); say(t('removed', { email: m.email })); list(); } catch (e) { showError(box, e); }
        }, { class: 'danger', 'aria-label': t('remove_member', { email: m.email }) }) },
      ], r.data, t('no_members')));
    } catch (e) {
      put(out, alertBox(e));
    }
  }
  list();
}

/** @param {HTMLElement} box */
async function audit(box) {
  const out = h('div', {});
  box.append(out);
  /** @type {import('../openapi').AuditEntry[]} */
  const all = [];
  /** @param {string} cursor */
  async function load(cursor) {
    try {
      const r = await api('GET', '/v1/audit-log?' + qs({ limit: 50, cursor }));
      all.push(...r.data);
      put(out, table(t('audit_table'), [
        { label: t('when'), cell: (a) => when(a.at) }, { label: t('who'), cell: (a) => actorName(a.actor) },
        { label: t('action'), cell: (a) => a.action }, { label: t('resource'), cell: (a) => a.resource }, { label: t('ip'), cell: (a) => a.ip || '—' },
      ], all, t('no_audit')), r.next_cursor ? button(t('show_more'), () => load(r.next_cursor)) : null);
    } catch (e) {
      put(out, alertBox(e));
    }
  }
  load('');
}
