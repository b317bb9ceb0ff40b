// @ts-check
// The language picker in the header (the server draws it in the page's
// language): the member's choice is saved on them (PATCH
// /v1/members/me; none: their browser's) and the page is drawn again in it.
import { $ } from './dom.js';
import { api } from './api.js';
import { say } from './ui.js';

/** languagePicker makes the header's picker save the member's choice. */
export function languagePicker() {
  const form = /** @type {HTMLFormElement | null} */ ($('#language-form'));
  if (!form) return;
  const pick = /** @type {HTMLSelectElement} */ ($('#language-pick', form));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('PATCH', '/v1/members/me', { language: pick.value || null });
      location.reload();
    } catch (e) {
      say(e instanceof Error ? e.message : String(e));
    }
  });
}
