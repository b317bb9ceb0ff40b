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

// barRows draws horizontal bars as page text and boxes (readable at any
// width: the text is not scaled with a drawing); the figure's text
// alternative names each value.
/**
 * @param {string} title
 * @param {Array<[string, number]>} rows label and value
 * @param {(v: number) => string} fmt
 * @returns {HTMLElement}
 */
export function barRows(title, rows, fmt) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const list = h('div', { role: 'img', class: 'bar-rows', 'aria-label': title + ': ' + rows.map(([k, v]) => k + ' ' + fmt(v)).join(', ') },
    rows.map(([k, v]) => {
      const fill = h('span', { class: 'fill' });
      fill.style.width = Math.max((v / max) * 100, v > 0 ? 0.5 : 0) + '%';
      return h('div', { class: 'bar-row', 'aria-hidden': 'true' }, h('span', { class: 'label' }, k), h('span', { class: 'track' }, fill), h('span', { class: 'value' }, fmt(v)));
    }));
  return h('figure', { class: 'chart-wrap' }, list);
}

// dayChart draws a column per day across the whole width (the drawing
// stretches; its first and last days, and its highest value, are page
// text below it, so they stay readable on a phone). The last day's column
// ends at the right edge.
/**
 * @param {string} title
 * @param {Array<[string, number]>} rows day (YYYY-MM-DD) and value, first to last
 * @param {(v: number) => string} fmt
 * @param {(d: string) => string} dayName
 * @returns {HTMLElement}
 */
export function dayChart(title, rows, fmt, dayName) {
  const max = Math.max(0, ...rows.map((r) => r[1]));
  const colW = 10;
  const svg = s('svg', { viewBox: '0 0 ' + Math.max(rows.length * colW, colW) + ' 200', preserveAspectRatio: 'none', role: 'img', class: 'chart days',
    'aria-label': title + ': ' + (rows.filter((r) => r[1] > 0).map(([d, v]) => d + ' ' + fmt(v)).join(', ') || t('nothing_paid')) });
  rows.forEach(([d, v], i) => {
    const hgt = max > 0 ? Math.round((v / max) * 196) : 0;
    svg.append(s('rect', { x: i * colW + 1, y: 200 - hgt, width: colW - 1, height: Math.max(hgt, v > 0 ? 2 : 0), class: 'bar', 'data-day': d }, s('title', {}, d + ': ' + fmt(v))));
  });
  const axis = h('div', { class: 'axis', 'aria-hidden': 'true' },
    h('span', {}, rows.length ? dayName(rows[0][0]) : ''), h('span', {}, t('chart_max', { value: fmt(max) })), h('span', {}, rows.length ? dayName(rows[rows.length - 1][0]) : ''));
  return h('figure', { class: 'chart-wrap' }, svg, axis);
}
