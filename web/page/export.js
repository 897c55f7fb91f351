// Export: the whole conversation, paged from `history`, as the Markdown or JSON that
// `inmost export` writes (cli/export_format.cc, followed line by line), made in this
// browser and handed to it as a download. Nothing is written by the daemon.
// Where it differs from the CLI: times are in this browser's time zone (the CLI uses
// its own machine's), and the file is saved where the browser saves downloads, under a
// name of the page's choosing (inmost-export-DATE.md or .json).
import { el, clear } from './util.js';

let sections = 0;
const HISTORY_PAGE = 1000;  // The daemon's largest page.

// Every page of the history, oldest first (as the CLI's FetchHistory).
export async function fetchHistory(rpc) {
  const pages = [];  // Newest page first.
  let beforeId = 0;
  for (;;) {
    const page = await rpc.call('history', { limit: HISTORY_PAGE, before_id: beforeId });
    const messages = page.messages || [];
    pages.push(messages);
    if (!page.more || messages.length === 0) break;
    const oldest = Number(messages[0].id);
    // A page that does not reach further back would repeat for ever.
    if (beforeId !== 0 && oldest >= beforeId) break;
    beforeId = oldest;
  }
  return pages.reverse().flat();
}

// ---- what the CLI's text helpers do (text_format.cc, file_format.cc, ...) -------------

const n = (v) => Number(v || 0);
const pad = (v, width = 2) => String(v).padStart(width, '0');

// Controls (but tab and line feed) and the C1 controls become '?'.
function terminalSafe(text) {
  let safe = '';
  for (const c of String(text || '')) {
    const code = c.codePointAt(0);
    safe += (code < 0x20 && c !== '\t' && c !== '\n') || code === 0x7f || (code >= 0x80 && code <= 0x9f) ? '?' : c;
  }
  return safe;
}

const oneLine = (text) => terminalSafe(text).replace(/[\n\t]/g, ' ');

// strftime's %Y-%m-%d %H:%M, %H:%M and %Y-%m-%d, in local time.
function localTime(ms, format) {
  const d = new Date(n(ms));
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (format === 'date') return date;
  if (format === 'time') return time;
  return `${date} ${time}`;
}

function utcTimestamp(ms) {
  return new Date(n(ms)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// "1d 2h", "3m 20s", "0s".
function formatCountdown(ms) {
  if (ms <= 0) return '0s';
  const seconds = Math.floor(ms / 1000) + (ms % 1000 !== 0 ? 1 : 0);
  const units = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
  for (let i = 0; i < units.length; i++) {
    if (seconds < units[i][0]) continue;
    let text = `${Math.floor(seconds / units[i][0])}${units[i][1]}`;
    if (i + 1 < units.length) {
      const next = Math.floor((seconds % units[i][0]) / units[i + 1][0]);
      if (next !== 0) text += ` ${next}${units[i + 1][1]}`;
    }
    return text;
  }
  return '0s';
}

const count = (k, noun) => `${k} ${noun}${k === 1 ? '' : 's'}`;

// "2.4 MiB", "812 B".
function formatBytes(bytes) {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} B`;
  let unit = 0;
  let scale = 1024;
  while (unit + 1 < units.length && Math.floor(bytes / scale) >= 1024) { unit++; scale *= 1024; }
  let whole = Math.floor(bytes / scale);
  let tenths = Math.floor(((bytes % scale) * 10 + scale / 2) / scale);
  if (tenths === 10) { whole++; tenths = 0; }
  if (whole === 1024 && unit + 1 < units.length) { unit++; whole = 1; }
  return `${whole}.${tenths} ${units[unit]}`;
}

function percentDone(done, total) {
  if (total === 0 || done >= total) return 100;
  return Math.floor((done * 100) / total);
}

// The name on one line, cut to 64 bytes of UTF-8 with "…"; "(sealed)" while withheld.
function fileName(file, maxBytes = 64) {
  if (!file.name) return '(sealed)';
  const name = oneLine(file.name);
  const encoder = new TextEncoder();
  if (encoder.encode(name).length <= maxBytes) return name;
  let kept = '';
  let used = 0;
  for (const c of name) {
    const size = encoder.encode(c).length;
    if (used + size > maxBytes - 3) break;  // "…" is three bytes.
    kept += c;
    used += size;
  }
  return `${kept}…`;
}

const moving = (file) => file.state === 'SENDING' || file.state === 'RECEIVING';

function formatAttachment(file) {
  let text = `📎 ${fileName(file)} (${file.name ? '' : 'up to '}${formatBytes(n(file.size))}`;
  if (file.type) text += `, ${oneLine(file.type)}`;
  if (moving(file)) text += `, ${percentDone(n(file.bytes_done), n(file.size))}%`;
  else if (file.state === 'FAILED') text += file.error ? `, failed: ${oneLine(file.error)}` : ', failed';
  return `${text})`;
}

const NUDGE_WORDS = { THINKING_OF_YOU: 'thinking of you', HUG: 'hug', KISS: 'kiss', LAUGH: 'laugh', MISSING_YOU: 'missing you', GOODNIGHT: 'goodnight' };

function nudgeLabel(nudge = {}) {
  let label = `(${NUDGE_WORDS[nudge.kind || 'THINKING_OF_YOU'] || 'nudge'}`;
  if (n(nudge.count) > 1) label += ` ×${n(nudge.count)}`;
  return `${label})`;
}

const MOMENT_TEXT = '✨ same moment: you both reached out';

function envelopeKindWords(kind) {
  return { SEALED: 'sealed message', GENTLE: 'gentle message', TOGETHER: 'together message', ANSWER: 'sealed answer' }[kind] || 'envelope';
}

function formatReactions(m) {
  const mine = oneLine(m.my_reaction);
  const theirs = oneLine(m.their_reaction);
  if (!mine && !theirs) return '';
  if (!theirs) return `[you: ${mine}]`;
  if (!mine) return `[them: ${theirs}]`;
  return `[you: ${mine} · them: ${theirs}]`;
}

const GONE = new Set(['FORGOTTEN', 'ASKED', 'FORGOTTEN_BOTH', 'PARTNER_KEPT', 'DISAPPEARED']);
const isForgotten = (m) => GONE.has(m.forget);
const goneText = (m) => (m.forget === 'DISAPPEARED' ? '(disappeared)' : '(forgotten)');
const isViewOnce = (m) => !!m.view_once && m.view_once !== 'VIEW_ONCE_NONE';
const unopened = (m) => m.kind === 'ENVELOPE' && (m.envelope || {}).state !== 'OPENED';

const STAND_INS = new Set(['a sealed envelope', 'a view-once message', 'a message you no longer have']);

function quotedLine(m) {
  if (!n(m.reply_to)) return '';
  const line = `↪ #${m.reply_to}`;
  const quoted = m.quoted || '';
  if (!quoted) return line;
  if (STAND_INS.has(quoted)) return `${line} (${quoted})`;
  const chars = Array.from(oneLine(quoted));
  return `${line} "${chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : chars.join('')}"`;
}

export function messageTimeUnixMs(m) {
  const outgoing = m.direction === 'OUTGOING';
  const at = outgoing || !n(m.received_at_unix_ms) ? n(m.sent_at_unix_ms) : n(m.received_at_unix_ms);
  if (at) return at;
  if (m.state === 'CANCELLED' && n(m.written_at_unix_ms)) return n(m.written_at_unix_ms);
  return n(m.send_at_unix_ms);
}

// ---- the export itself (export_format.cc) -------------------------------------------

// The message as it may leave the store: no body nobody has read, nothing forgotten,
// never a view-once text.
function exportable(m) {
  if (unopened(m) || isForgotten(m) || isViewOnce(m)) return { ...m, text: '' };
  return m;
}

// Text that renders as itself in Markdown: no markup, no HTML, no block markers.
function markdownText(text) {
  let escaped = '';
  let lineStart = true;
  for (const c of terminalSafe(text)) {
    if (c === '\n') { escaped += '  \n'; lineStart = true; continue; }
    const blockMarker = lineStart && '#+-=|'.includes(c);
    if (blockMarker || '\\`*_[]<>~&'.includes(c)) escaped += '\\';
    escaped += c;
    lineStart = false;
  }
  return escaped;
}

function unopenedReason(envelope) {
  if (envelope.state === 'WITHDRAWN') return '(withdrawn)';
  if (envelope.state === 'MISMATCH') return '(not opened: it did not match what was committed)';
  return '(not opened)';
}

function markdownFile(m) {
  let body = markdownText(formatAttachment(m.file || {}));
  if (m.text) body += ` — ${markdownText(m.text)}`;
  return body;
}

function markdownContent(m) {
  if (isViewOnce(m)) return m.view_once === 'VIEWED' ? '👁 view-once message (viewed)' : '👁 view-once message (not viewed)';
  const envelope = m.envelope || {};
  const note = envelope.note ? `: "${markdownText(oneLine(envelope.note))}"` : '';
  switch (m.kind) {
    case 'NUDGE': return `_${nudgeLabel(m.nudge)}_`;
    case 'MOMENT': return MOMENT_TEXT;
    case 'QUESTION': return `❓ ${markdownText(m.text)}`;
    case 'FILE': return markdownFile(m);
    case 'ENVELOPE':
      if (unopened(m)) return `✉ ${envelopeKindWords(envelope.kind)}${note} ${unopenedReason(envelope)}`;
      return `${m.file ? markdownFile(m) : markdownText(m.text)} _(✉ ${envelopeKindWords(envelope.kind)}${note}, opened)_`;
    default: return markdownText(m.text);
  }
}

function markdownBody(m) {
  if (isForgotten(m)) return goneText(m);
  let body = markdownContent(m);
  const quoted = quotedLine(m);
  if (quoted) body = `_${markdownText(quoted)}_  \n${body}`;
  return body;
}

function markdownNotes(m) {
  const notes = [];
  if (m.state === 'SCHEDULED') notes.push(`scheduled for ${localTime(m.send_at_unix_ms)}`);
  else if (m.state === 'CANCELLED') notes.push(`cancelled: never sent; it was for ${localTime(m.send_at_unix_ms)}`);
  else if (m.state === 'NOT_DELIVERED') notes.push('never delivered');
  if (m.urgent) notes.push('urgent');
  if (m.edited) notes.push('edited');
  if (n(m.disappears_at_unix_ms)) notes.push(`disappears ${localTime(m.disappears_at_unix_ms)}`);
  else if (n(m.disappear_after_ms) > 0) notes.push(`disappears ${formatCountdown(n(m.disappear_after_ms))} after it is read`);
  return notes.length ? ` (${notes.join(', ')})` : '';
}

function markdownLine(m, speakers) {
  let speaker = '';
  if (m.kind === 'QUESTION' && m.question && m.question.of_the_day) {
    speaker = '**Question of the day** ';
  } else if (m.kind !== 'MOMENT') {
    const you = speakers.yourName || 'You';
    const partner = speakers.partner || 'Partner';
    speaker = `**${markdownText(m.direction === 'OUTGOING' ? you : partner)}** `;
  }
  let line = `${speaker}${localTime(messageTimeUnixMs(m), 'time')} — ${markdownBody(m)}`;
  if (m.pinned) line += ' 📌';
  const reactions = formatReactions(m);
  if (reactions) line += ` ${markdownText(reactions)}`;
  return line + markdownNotes(m);
}

function markdown(messages, options) {
  const { speakers } = options;
  let title = '# Our conversation';
  if (speakers.yourName && speakers.partner) title = `# ${markdownText(speakers.yourName)} and ${markdownText(speakers.partner)}`;
  let out = `${title}\n\nExported from inmost on ${localTime(options.exportedAt)} (local time)`;
  if (options.since) out += `, from ${localTime(options.since, 'date')} on`;
  out += `: ${count(messages.length, 'message')}.\n`;
  let day = '';
  for (const m of messages) {
    const messageDay = localTime(messageTimeUnixMs(m), 'date');
    if (messageDay !== day) { day = messageDay; out += `\n## ${day}\n`; }
    out += `\n${markdownLine(m, speakers)}\n`;
  }
  return out;
}

// What protobuf's JSON printer (which writes the CLI's lines) escapes beyond what
// JSON.stringify does: < and > (for HTML), DEL and the C1 controls, and the invisible
// format characters (soft hyphen, bidi marks, zero-width spaces, line separators...).
const PROTOBUF_ESCAPES = /[<>\u007f-\u009f\u00ad\u0600-\u0603\u06dd\u070f\u17b4\u17b5\u200b-\u200f\u2028-\u202e\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb]|\u{110bd}|[\u{1d173}-\u{1d17a}]|\u{e0001}|[\u{e0020}-\u{e007f}]/gu;

function jsonLine(m) {
  // Each UTF-16 unit as \uXXXX (a surrogate pair for a character past U+FFFF).
  const escape = (c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
  return JSON.stringify(m).replace(PROTOBUF_ESCAPES, escape);
}

function json(messages, options) {
  let out = `{"exported_at":"${utcTimestamp(options.exportedAt)}","messages":[`;
  messages.forEach((m, i) => { out += (i === 0 ? '\n' : ',\n') + jsonLine(m); });
  return `${out}\n]}\n`;
}

// options: { format: 'markdown' | 'json', since (ms, 0: all), exportedAt (ms),
// speakers: { yourName, partner } (empty when not known) }.
export function renderExport(messages, options) {
  const kept = messages.filter((m) => messageTimeUnixMs(m) >= (options.since || 0)).map(exportable);
  return { text: options.format === 'json' ? json(kept, options) : markdown(kept, options), count: kept.length };
}

// Hands `text` to the browser as a file to save, through an object URL revoked after.
export function download(text, name, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click is handled; a moment later the URL
  // (and the copy it holds in memory) goes.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return url;
}

// The settings' "Export" section.
export function exportSection(ctx) {
  const k = ++sections;  // ids unique to this copy (settings, and the pairing screen)
  const format = el('select', { id: `export-format-${k}`, testid: 'export-format' },
    el('option', { value: 'markdown', text: 'Markdown (a readable document)' }),
    el('option', { value: 'json', text: 'JSON (every message, every field)' }));
  const since = el('input', { type: 'date', id: `export-since-${k}`, testid: 'export-since', 'aria-describedby': `export-since-help-${k}` });
  const result = el('p', { testid: 'export-result', 'aria-live': 'polite' });
  const button = el('button', { type: 'submit', testid: 'export-button', text: 'Export and download' });
  const form = el('form', { class: 'keep-form', 'aria-labelledby': `export-title-${k}` },
    el('div', { class: 'row' }, el('label', { for: `export-format-${k}`, text: 'Format' }), format),
    el('div', { class: 'row' }, el('label', { for: `export-since-${k}`, text: 'From' }), since),
    el('p', { class: 'faint small', id: `export-since-help-${k}`, text: 'Only messages from this day on (your local time); leave it empty for the whole conversation.' }),
    el('div', { class: 'button-row' }, button), result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    clear(result);
    result.className = '';
    result.textContent = 'Reading the whole history…';
    try {
      const messages = await fetchHistory(ctx.rpc);
      const status = await ctx.rpc.call('status', {});
      const exportedAt = Date.now();
      const sinceMs = since.value ? new Date(`${since.value}T00:00:00`).getTime() : 0;
      const { text, count: exported } = renderExport(messages, {
        format: format.value, since: sinceMs, exportedAt,
        speakers: { yourName: status.name || '', partner: (status.partner && status.partner.name) || '' },
      });
      const json = format.value === 'json';
      const name = `inmost-export-${localTime(exportedAt, 'date')}.${json ? 'json' : 'md'}`;
      download(text, name, json ? 'application/json' : 'text/markdown;charset=utf-8');
      result.textContent = `Exported ${count(exported, 'message')} to ${name}, saved where this browser saves downloads. Keep it safe: it is not encrypted.`;
    } catch (err) {
      result.className = 'warn';
      result.textContent = `Could not export: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return el('section', { class: 'setting-group', testid: 'export-section' },
    el('h3', { id: `export-title-${k}`, text: 'Export the conversation' }),
    el('p', { class: 'warn small', testid: 'export-warning', text: 'An export is a plaintext copy outside the encrypted store: anyone who gets the file can read it. Keep it safe, or delete it when you are done.' }),
    el('p', { class: 'faint small', text: 'It holds only what has been read: a sealed message never opened appears without its text (even one of yours), a forgotten one only as “(forgotten)”, and a view-once message never, only that there was one. Disappearing messages are in it, with when they disappear from the store: the export keeps them. The file is made here, in this browser, and saved by it; the same as “inmost export” writes, with times in this browser’s time zone.' }),
    form);
}
