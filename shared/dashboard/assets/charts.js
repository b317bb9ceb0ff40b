// @ts-check
// SVG charts with a text alternative.
import { h } from './dom.js';
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
/**
 * s builds an SVG element.
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} kids
 * @returns {SVGElement}
 */
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of kids) el.append(c instanceof Node ? c : String(c));
  return el;
}

// barChart draws horizontal bars; its text alternative names each value.
/**
 * @param {string} title
 * @param {Array<[string, number]>} rows label and value
 * @param {(v: number) => string} fmt
 * @returns {HTMLElement}
 */
export function barChart(title, rows, fmt) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const rowH = 34;
  const svg = s('svg', { viewBox: '0 0 600 ' + (rows.length * rowH + 8), role: 'img', 'aria-label': title + ': ' + rows.map(([k, v]) => k + ' ' + fmt(v)).join(', '), class: 'chart' });
  rows.forEach(([k, v], i) => {
    const y = i * rowH + 4;
    const w = Math.round((v / max) * 360);
    svg.append(s('text', { x: 0, y: y + 20, class: 'label' }, k), s('rect', { x: 130, y, width: Math.max(w, 1), height: 24, rx: 3, class: 'bar' }),
      s('text', { x: 140 + w, y: y + 18, class: 'value' }, fmt(v)));
  });
  return h('figure', { class: 'chart-wrap' }, svg);
}

// columnChart draws a column per day.
/**
 * @param {string} title
 * @param {Array<[string, number]>} rows day and value
 * @param {(v: number) => string} fmt
 * @returns {HTMLElement}
 */
export function columnChart(title, rows, fmt) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const w = Math.max(4, Math.floor(560 / Math.max(rows.length, 1)));
  const svg = s('svg', { viewBox: '0 0 ' + (rows.length * w + 40) + ' 220', role: 'img', class: 'chart',
    'aria-label': title + ': ' + (rows.filter((r) => r[1] > 0).map(([d, v]) => d + ' ' + fmt(v)).join(', ') || t('nothing_paid')) });
  rows.forEach(([d, v], i) => {
    const hgt = Math.round((v / max) * 180);
    svg.append(s('rect', { x: 20 + i * w, y: 190 - hgt, width: Math.max(w - 2, 1), height: Math.max(hgt, v > 0 ? 1 : 0), class: 'bar' }, s('title', {}, d + ': ' + fmt(v))));
  });
  svg.append(s('text', { x: 20, y: 212, class: 'label' }, rows.length ? rows[0][0] : ''), s('text', { x: rows.length * w - 60, y: 212, class: 'label' }, rows.length ? rows[rows.length - 1][0] : ''));
  return h('figure', { class: 'chart-wrap' }, svg);
}
