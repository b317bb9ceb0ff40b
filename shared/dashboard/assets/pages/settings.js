// @ts-check
// Settings: general, webhooks, API keys, members, audit log.
import { $$, controls, h, inputs, put } from '../dom.js';
import { D, app, can } from '../context.js';
import { S, t } from '../i18n.js';
import { actorName, day, methodName, when } from '../format.js';
import { alertBox, button, dialog, field, input, loading, say, select, showError, table } from '../ui.js';
import { api, attempt, newKey, qs } from '../api.js';

// The settings' parts, each a page of its own under /dashboard/settings
// (the server opens each for the same permission): key and path.
const PARTS = [['merchant', ''], ['payments', '/payments'], ['webhooks', '/webhooks'], ['keys', '/keys'], ['team', '/team'], ['audit', '/audit']];

export default async function pageSettings() {
  const path = location.pathname.replace(/^\/dashboard\/settings/, '').replace(/\/$/, '');
  const [part] = PARTS.find(([, p]) => p === path) || PARTS[0];
  const nav = h('nav', { 'aria-label': t('settings_sections'), class: 'subnav' }, h('ul', {}, PARTS.map(([k, p]) =>
    h('li', {}, h('a', { href: '/dashboard/settings' + p, 'aria-current': k === part ? 'page' : null }, t('settings_' + k))))));
  const box = h('section', { id: part, 'aria-labelledby': part + '-h' }, h('h2', { id: part + '-h' }, t('settings_' + part)));
  put(app, nav, box);
  if (part === 'keys') return keys(box);
  if (part === 'team') return members(box);
  if (part === 'audit') return audit(box);
  loading(box);
  /** @type {import('../openapi').Settings} */
  let s;
  try {
    s = await api('GET', '/v1/settings');
  } catch (e) {
    put(box, alertBox(e));
    return;
  }
  put(box, h('h2', { id: part + '-h' }, t('settings_' + part)), generalForm(s, part));
  if (part === 'merchant') brand(box);
  if (part === 'webhooks') deliveries(box);
}

/**
 * generalForm is the settings' form of one part: the merchant (name,
 * two-step verification), payments (beneficiary, methods, provider,
 * redirect domains) or webhooks (endpoint, secret). It sends only its
 * part's fields.
 * @param {import('../openapi').Settings} s
 * @param {string} part
 * @returns {HTMLFormElement}
 */
function generalForm(s, part) {
  const b = s.default_beneficiary || {};
  const methods = (D.methods || '').split(' ').filter(Boolean);
  const parts = {
    merchant: () => [field(t('merchant_name'), input('name', { value: s.name || '' }), 'name'),
      field(t('time_zone'), select('time_zone', zones(s.time_zone), s.time_zone), 'time_zone', t('time_zone_hint')),
      h('div', { class: 'field check' }, h('input', { type: 'checkbox', name: 'require_mfa', id: 'require_mfa', checked: s.require_mfa }), h('label', { for: 'require_mfa' }, t('require_mfa')))],
    payments: () => [h('fieldset', {}, h('legend', {}, t('beneficiary')),
      h('div', { class: 'row' },
        field(t('beneficiary_name'), input('b_name', { value: b.name || '' }), 'default_beneficiary.name'),
        field(t('bank'), input('b_bank', { value: b.bank || '' }), 'default_beneficiary.bank'),
        field(t('iban'), input('b_iban', { value: b.iban || '', autocomplete: 'off' }), 'default_beneficiary.iban'),
        field(t('bic'), input('b_bic', { value: b.bic || '' }), 'default_beneficiary.bic', t('bic_hint')))),
    h('fieldset', {}, h('legend', {}, t('payment_methods')), methods.map((m) => h('span', { class: 'inline' },
      h('input', { type: 'checkbox', name: 'pm', value: m, id: 'pm-' + m, checked: (s.payment_methods || []).includes(m) }), h('label', { for: 'pm-' + m }, methodName(m))))),
    h('fieldset', {}, h('legend', {}, t('psp')),
      field(t('psp'), input('psp', { value: s.psp || '' }), 'psp'),
      field(t('psp_credentials'), h('textarea', { name: 'creds', rows: 2, autocomplete: 'off', placeholder: 'api_key=…' }), 'psp_credentials',
        t('psp_credentials_hint', { set: (s.psp_credentials_set || []).join(', ') || t('none') }))),
    field(t('redirect_domains'), h('textarea', { name: 'domains', rows: 3 }, (s.redirect_domains || []).join('\n')), 'redirect_domains', t('redirect_domains_hint'))],
    webhooks: () => [h('fieldset', {}, h('legend', {}, t('outbound_webhooks')),
      field(t('webhook_url'), input('webhook_url', { type: 'url', value: s.webhook_url || '' }), 'webhook_url'),
      field(t('webhook_secret'), input('webhook_secret', { type: 'password', autocomplete: 'new-password' }), 'webhook_secret', s.webhook_secret_set ? t('secret_set') : t('secret_unset')))],
  };
  const form = h('form', { class: 'card wide', novalidate: true }, (parts[/** @type {'merchant'} */ (part)] || parts.merchant)(),
    can('settings:write') ? h('button', { type: 'submit' }, t('save_settings')) : h('p', { class: 'muted' }, t('settings_read_only')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('PUT', '/v1/settings', settingsBody(s, controls(form), form));
      if (part === 'payments') controls(form).creds.value = '';
      if (part === 'webhooks') controls(form).webhook_secret.value = '';
      say(t('settings_saved'));
      clearMarks(form);
    } catch (e) {
      showError(form, e);
    }
  });
  return form;
}

/**
 * zones are the time zones the browser knows (IANA names, the API's
 * time_zone), with the merchant's own first when the browser lacks it.
 * @param {string} current
 * @returns {Array<[string, string]>}
 */
function zones(current) {
  /** @type {string[]} */
  let all;
  try {
    all = /** @type {any} */ (Intl).supportedValuesOf('timeZone');
  } catch {
    all = [];
  }
  if (current && !all.includes(current)) all = [current, ...all];
  return all.map((z) => [z, z.replace(/_/g, ' ')]);
}

/**
 * settingsBody is the PUT of the form's fields (those it has).
 * @param {import('../openapi').Settings} s
 * @param {Record<string, any>} f the form's controls
 * @param {HTMLFormElement} form
 * @returns {import('../openapi').SettingsUpdate}
 */
function settingsBody(s, f, form) {
  /** @type {import('../openapi').SettingsUpdate} */
  const body = {};
  if (f.name) Object.assign(body, { name: f.name.value.trim(), require_mfa: f.require_mfa.checked });
  if (f.time_zone && f.time_zone.value !== s.time_zone) body.time_zone = f.time_zone.value;
  if (f.domains) {
    body.redirect_domains = f.domains.value.split(/\s+/).map((/** @type {string} */ x) => x.trim()).filter(Boolean);
    body.payment_methods = inputs('input[name=pm]', form).filter((c) => c.checked).map((c) => c.value);
    if (f.b_name.value.trim() || f.b_iban.value.trim()) body.default_beneficiary = { name: f.b_name.value.trim(), iban: f.b_iban.value.replace(/\s+/g, ''), bic: f.b_bic.value.trim() || undefined, bank: f.b_bank.value.trim() || undefined };
    if (f.psp.value.trim() && f.psp.value.trim() !== s.psp) body.psp = f.psp.value.trim();
    const creds = f.creds.value.split('\n').map((/** @type {string} */ l) => l.trim()).filter(Boolean);
    if (creds.length) {
      if (!body.psp) body.psp = f.psp.value.trim();
      body.psp_credentials = Object.fromEntries(creds.map((/** @type {string} */ l) => { const i = l.indexOf('='); return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()]; }));
    }
  }
  if (f.webhook_url) {
    if (f.webhook_url.value.trim() !== (s.webhook_url || '')) body.webhook_url = f.webhook_url.value.trim();
    if (f.webhook_secret.value) body.webhook_secret = f.webhook_secret.value;
  }
  return body;
}

/**
 * clearMarks removes the errors of an earlier save, with their marks on
 * the fields.
 * @param {HTMLElement} form
 */
function clearMarks(form) {
  $$('.error, .field-error', form).forEach((el) => el.remove());
  $$('[aria-invalid]', form).forEach((el) => {
    el.removeAttribute('aria-invalid');
    const hint = document.getElementById(el.id + '-hint');
    if (hint) el.setAttribute('aria-describedby', hint.id);
    else el.removeAttribute('aria-describedby');
  });
}

/**
 * brand is the merchant's brand on the customer's side: logo (a PNG),
 * accent colour (the API says when white text on it is not readable),
 * support e-mail and phone.
 * @param {HTMLElement} box
 */
async function brand(box) {
  const out = h('section', { 'aria-labelledby': 'brand-h' }, h('h2', { id: 'brand-h' }, t('settings_brand')));
  box.append(out);
  /** @type {import('../openapi').Brand} */
  let br;
  try {
    br = await api('GET', '/v1/settings/brand');
  } catch (e) {
    out.append(alertBox(e));
    return;
  }
  const logoBox = h('div', { class: 'logo-box' });
  /** @param {import('../openapi').Brand} x */
  const showLogo = (x) => put(logoBox, x.logo
    ? h('img', { src: x.logo.url + '?v=' + encodeURIComponent(x.logo.etag), alt: t('brand_logo_alt'), width: Math.min(x.logo.width, 160), class: 'logo' })
    : h('p', { class: 'muted' }, t('brand_no_logo')));
  showLogo(br);
  const file = h('input', { type: 'file', name: 'logo', accept: 'image/png' });
  const logoForm = h('form', { class: 'card wide', novalidate: true }, logoBox, field(t('brand_logo'), file, 'logo', t('brand_logo_hint')),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('brand_upload')),
      button(t('brand_remove_logo'), async () => {
        try { showLogo(await api('DELETE', '/v1/settings/brand/logo')); say(t('brand_logo_removed')); } catch (e) { showError(logoForm, e); }
      }, { class: 'secondary' })));
  logoForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = /** @type {HTMLInputElement} */ (file).files?.[0];
    if (!f) return;
    try {
      showLogo(await api('PUT', '/v1/settings/brand/logo', f, { type: 'image/png' }));
      clearMarks(logoForm);
      say(t('brand_logo_saved'));
    } catch (e) {
      showError(logoForm, e);
    }
  });
  const form = h('form', { class: 'card wide', novalidate: true },
    field(t('brand_accent'), input('accent_color', { value: br.accent_color || '', placeholder: '#1d4ed8' }), 'accent_color', t('brand_accent_hint', { color: br.accent_color_in_effect })),
    h('div', { class: 'row' }, field(t('support_email'), input('support_email', { type: 'email', value: br.support_email || '' }), 'support_email'),
      field(t('support_phone'), input('support_phone', { type: 'tel', value: br.support_phone || '' }), 'support_phone')),
    h('button', { type: 'submit' }, t('brand_save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = controls(form);
    try {
      await api('PUT', '/v1/settings/brand', { accent_color: f.accent_color.value.trim(), support_email: f.support_email.value.trim(), support_phone: f.support_phone.value.trim() });
      clearMarks(form);
      say(t('brand_saved'));
    } catch (e) {
      showError(form, e);
    }
  });
  out.append(logoForm, form);
}

// DELIVERIES_PAGE is how many webhook deliveries a page shows.
const DELIVERIES_PAGE = 20;

/**
 * deliveries lists the webhook deliveries a page at a time (Next and
 * Previous follow the API's cursors).
 * @param {HTMLElement} box
 */
async function deliveries(box) {
  const out = h('section', { 'aria-labelledby': 'deliveries-h' }, h('h2', { id: 'deliveries-h' }, t('settings_deliveries')));
  const body = h('div', {});
  out.append(body);
  box.append(out);
  /** @type {string[]} the cursors of the pages shown so far */
  const cursors = [''];
  /** @param {number} n the page's number (0 for the first) */
  async function show(n) {
    try {
      /** @type {import('../openapi').Operations['listWebhookDeliveries']['response']} */
      const r = await api('GET', '/v1/webhook-deliveries?' + qs({ limit: DELIVERIES_PAGE, cursor: cursors[n] }));
      if (r.next_cursor) cursors[n + 1] = r.next_cursor;
      put(body, table(t('deliveries_table'), [
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
      ], r.data, t('no_deliveries')),
      n > 0 || r.next_cursor ? h('nav', { class: 'pager', 'aria-label': t('deliveries_pages') },
        h('span', {}, t('page_n', { n: n + 1 })),
        n > 0 ? button(t('previous_page'), () => show(n - 1), { class: 'secondary' }) : null,
        r.next_cursor ? button(t('next_page'), () => show(n + 1), { class: 'secondary' }) : null) : null);
    } catch (e) {
      put(body, alertBox(e));
    }
  }
  show(0);
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
      const secret = k.secret || '';
      const copied = h('span', { role: 'status' });
      const code = h('code', { class: 'secret' }, secret);
      await dialog(t('key_created'), h('div', {}, h('p', {}, t('key_once')), code,
        h('p', {}, button(t('copy_key'), async () => {
          try {
            await navigator.clipboard.writeText(secret);
          } catch {
            getSelection()?.selectAllChildren(code);
            document.execCommand('copy');
          }
          copied.textContent = t('copied');
        }, { class: 'secondary' }), ' ', copied)), [[t('close'), 'close']]);
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
  const about = h('dl', { class: 'roles', id: 'roles' }, roles.map((r) => h('div', {}, h('dt', {}, t('role_' + r)), h('dd', {}, t('role_' + r + '_may')))));
  box.append(h('section', { 'aria-labelledby': 'roles-h' }, h('h3', { id: 'roles-h' }, t('roles_what')), about), form, out);
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

/**
 * audit lists the audit log with names: the members' e-mails and the
 * keys' names for their ids (read from the members and keys the page
 * may list), as actors and as what changed.
 * @param {HTMLElement} box
 */
async function audit(box) {
  const out = h('div', {});
  box.append(out);
  /** @type {Record<string, string>} */
  const names = {};
  /** @type {{ data: any[] }} */
  const none = { data: [] };
  // Without the names the log still shows (with ids).
  const [ms, ks] = await Promise.all([
    can('members:write') || can('settings:write') ? api('GET', '/v1/members').catch(() => none) : none,
    can('keys:write') ? api('GET', '/v1/api-keys').catch(() => none) : none]);
  for (const m of /** @type {import('../openapi').Member[]} */ (ms.data)) if (m.email) names[m.id] = m.email;
  for (const k of /** @type {import('../openapi').ApiKey[]} */ (ks.data)) names[k.id] = t('key_named', { name: k.name || k.prefix + '…' + k.last4 });
  /** @param {import('../openapi').Actor} a */
  const who = (a) => (a && a.id && names[a.id] && !a.name ? names[a.id] : actorName(a));
  /** @param {string} id */
  const what = (id) => (names[id] ? h('span', { title: id }, names[id]) : /^pl_/.test(id) ? h('a', { href: '/dashboard/links/' + id }, id) : id);
  /** @type {import('../openapi').AuditEntry[]} */
  const all = [];
  /** @param {string} cursor */
  async function load(cursor) {
    try {
      const r = await api('GET', '/v1/audit-log?' + qs({ limit: 50, cursor }));
      all.push(...r.data);
      put(out, table(t('audit_table'), [
        { label: t('when'), cell: (a) => when(a.at) }, { label: t('who'), cell: (a) => who(a.actor) },
        { label: t('action'), cell: (a) => a.action }, { label: t('resource'), cell: (a) => what(a.resource) }, { label: t('ip'), cell: (a) => a.ip || '—' },
      ], all, t('no_audit')), r.next_cursor ? button(t('show_more'), () => load(r.next_cursor)) : null);
    } catch (e) {
      put(out, alertBox(e));
    }
  }
  load('');
}
