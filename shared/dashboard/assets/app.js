// @ts-check
// Paylinks dashboard: each page's content, drawn from the HTTP API (/v1)
// with the session cookie; the server decides every permission. No inline
// script, no string of HTML: every node is built with the DOM, text is
// text.
//
// This is the entry module: it loads the module of the page the server
// named (#app's data-page) and runs it. The shared modules beside it hold
// the API calls, formatting, the catalog and the DOM helpers; pages/ holds
// one module per page. The server serves each under a name carrying its
// hash and rewrites the imports to those names (modules.go).
import { app, D } from './context.js';
import { put } from './dom.js';
import { alertBox } from './ui.js';
import { languagePicker } from './language.js';

/** @type {Record<string, () => Promise<{ default: () => unknown }>>} */
const pages = {
  links: () => import('./pages/links.js'),
  'link-new': () => import('./pages/link-new.js'),
  link: () => import('./pages/link.js'),
  preview: () => import('./pages/preview.js'),
  customers: () => import('./pages/customers.js'),
  customer: () => import('./pages/customer.js'),
  'customer-new': () => import('./pages/customer-new.js'),
  import: () => import('./pages/import.js'),
  review: () => import('./pages/review.js'),
  settings: () => import('./pages/settings.js'),
  insights: () => import('./pages/insights.js'),
  statements: () => import('./pages/statements.js'),
  statement: () => import('./pages/statement.js'),
  'refund-files': () => import('./pages/refund-files.js'),
};

languagePicker();
const load = Object.hasOwn(pages, D.page) ? pages[D.page] : null;
if (load) {
  load().then((m) => m.default()).catch((e) => { put(app, alertBox(e)); });
}
