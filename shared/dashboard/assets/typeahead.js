// @ts-check
// A combobox over the customers.
import { api, qs } from './api.js';
import { customerName } from './format.js';
import { field, input } from './ui.js';
import { h, nextId, put } from './dom.js';
import { t } from './i18n.js';

// typeahead is a combobox over the customers (q= prefix search).
/**
 * @param {(c: import('./openapi').CustomerResource) => void} onPick
 * @returns {{ el: HTMLDivElement }}
 */
export function typeahead(onPick) {
  const listId = nextId('cust-list-');
  const box = input('customer_search', { role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId, autocomplete: 'off' });
  const list = h('ul', { id: listId, role: 'listbox', class: 'listbox', hidden: true, 'aria-label': t('customers') });
  /** @type {import('./openapi').CustomerResource[]} */
  let items = [];
  let active = -1;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const show = () => {
    put(list, ...items.map((c, i) => h('li', { role: 'option', id: listId + '-' + i, 'aria-selected': i === active ? 'true' : 'false',
      onmousedown: (ev) => { ev.preventDefault(); pick(i); } }, customerName(c), c.email ? h('span', { class: 'muted' }, ' · ' + c.email) : null)));
    list.hidden = items.length === 0;
    box.setAttribute('aria-expanded', items.length ? 'true' : 'false');
    if (active >= 0) box.setAttribute('aria-activedescendant', listId + '-' + active);
    else box.removeAttribute('aria-activedescendant');
  };
  /** @param {number} i */
  const pick = (i) => {
    const c = items[i];
    box.value = customerName(c);
    items = [];
    active = -1;
    show();
    onPick(c);
  };
  box.addEventListener('input', () => {
    clearTimeout(timer);
    const q = box.value.trim();
    if (q.length < 1) { items = []; show(); return; }
    timer = setTimeout(async () => {
      try {
        const isEmail = q.includes('@');
        const r = await api('GET', '/v1/customers?' + qs(isEmail ? { email: q.toLowerCase(), limit: 8 } : { q, limit: 8 }));
        items = r.data;
        active = items.length ? 0 : -1;
        show();
      } catch {
        items = [];
        show();
      }
    }, 200);
  });
  box.addEventListener('keydown', (ev) => {
    if (!items.length) return;
    if (ev.key === 'ArrowDown') { active = (active + 1) % items.length; show(); ev.preventDefault(); }
    if (ev.key === 'ArrowUp') { active = (active - 1 + items.length) % items.length; show(); ev.preventDefault(); }
    if (ev.key === 'Enter' && active >= 0) { pick(active); ev.preventDefault(); }
    if (ev.key === 'Escape') { items = []; show(); }
  });
  return { el: h('div', { class: 'combo' }, field(t('find_customer'), box, 'customer_search', t('find_customer_hint')), list) };
}
