// @ts-check
// What the server tells the script about the page: the #app element, its
// data (page, id, CSRF token, payment methods, templates) and the member's
// permissions.
import { $ } from './dom.js';

export const app = $('#app');
export const D = app.dataset;
const perms = new Set((D.perms || '').split(' '));
/**
 * can reports whether the member holds the permission (the server decides
 * all the same: this only leaves out what would be refused).
 * @param {import('./openapi').Permission} p
 * @returns {boolean}
 */
export const can = (p) => perms.has(p);
