// Small helpers shared by the page's modules: building elements (text only through
// textContent, never innerHTML), formatting times and sizes, and base64 for files.
import { icon } from './icons.js';

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = value;
    else if (key === 'testid') node.dataset.testid = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export const num = (v) => Number(v || 0);

export function timeOf(ms) {
  const d = new Date(num(ms));
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

export function dateTimeOf(ms) {
  return new Date(num(ms)).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

// "4 s", "3 min 20 s", "2 h 5 min", "3 days 4 h".
export function countdown(ms) {
  let s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d} day${d === 1 ? '' : 's'} ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

export function bytes(n) {
  n = num(n);
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

export function toBase64(buffer) {
  const view = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text) {
  const binary = atob(text || '');
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// A short line for an error from the daemon or the connection.
export function errorText(err) {
  if (!err) return 'something went wrong';
  return err.message || String(err);
}

export const NUDGES = [
  ['THINKING_OF_YOU', 'thinking of you', '💭'],
  ['HUG', 'hug', '🤗'],
  ['KISS', 'kiss', '😘'],
  ['LAUGH', 'laugh', '😄'],
  ['MISSING_YOU', 'missing you', '🥺'],
  ['GOODNIGHT', 'goodnight', '🌙'],
];

export function nudgeWords(kind) {
  const found = NUDGES.find(([k]) => k === kind);
  return found ? found : [kind, 'nudge', '💫'];
}

// A <dialog> with a title and a close button; returns { dialog, body }.
export function makeDialog(testid, title) {
  const body = el('div', { class: 'dialog-body' });
  const heading = el('h2', { text: title, id: `${testid}-title` });
  const close = el('button', { type: 'button', class: 'icon', 'aria-label': 'Close',
    testid: `${testid}-close`, dataset: { icon: 'close' } });
  close.append(icon('close'));
  const dialog = el('dialog', { testid, 'aria-labelledby': `${testid}-title` },
    el('header', { class: 'dialog-head' }, heading, close), body);
  close.addEventListener('click', () => dialog.close());
  document.body.append(dialog);
  return { dialog, body };
}
