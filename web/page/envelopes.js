// Envelope cards: sealed ones count down to their time and open live (`changed`),
// gentle ones ask "open now?" before asking for the key, together ones wait for both.
import { el, countdown, dateTimeOf, num } from './util.js';

const KIND_WORDS = {
  SEALED: 'Sealed envelope',
  GENTLE: 'Gentle envelope',
  TOGETHER: 'Together envelope',
  ANSWER: 'Sealed answer',
};

export function renderEnvelope(ctx, m, bubble) {
  const env = m.envelope || {};
  const out = m.direction === 'OUTGOING';
  const card = el('div', { class: `envelope env-${(env.state || '').toLowerCase()}`, testid: 'envelope',
    dataset: { envKind: env.kind || '', envState: env.state || '' } });
  bubble.append(card);
  card.append(el('p', { class: 'env-title', text: KIND_WORDS[env.kind] || 'Envelope' }));
  if (env.note) card.append(el('p', { class: 'env-note', testid: 'envelope-note', text: `“${env.note}”` }));
  const opened = env.state === 'OPENED' || (out && env.state === 'RELEASED');
  if (env.state === 'WITHDRAWN') {
    card.append(el('p', { class: 'faint', testid: 'envelope-state', text: 'Withdrawn before it opened.' }));
    return;
  }
  if (env.state === 'MISMATCH') {
    card.append(el('p', { class: 'warn', testid: 'envelope-state', text: 'It opened, but its content does not match what was sealed: do not trust it.' }));
    return;
  }
  if (opened || (out && m.text)) {
    if (m.file) card.append(ctx.files.renderFile(m));
    if (m.text) card.append(el('p', { class: 'text', testid: 'message-text', text: m.text }));
    let state = 'Opened';
    if (env.state === 'OPENED' && num(env.opened_at_unix_ms)) state = `Opened ${dateTimeOf(env.opened_at_unix_ms)}`;
    else if (out && env.state === 'WITHHELD') state = waitingWords(ctx, m, true);
    else if (out && env.state === 'RELEASED') state = 'Released: on its way to open';
    card.append(el('p', { class: 'faint small', testid: 'envelope-state', text: state }));
    return;
  }
  if (m.file) card.append(el('p', { class: 'faint', text: `Holds a file (about ${Math.round(num(m.file.size) / 1024)} KiB)` }));
  card.append(el('p', { class: 'env-wait', testid: 'envelope-state', text: waitingWords(ctx, m, out) }));
  if (env.kind === 'SEALED' && num(env.open_at_unix_ms)) {
    card.append(el('p', { class: 'countdown', testid: 'envelope-countdown', role: 'timer',
      dataset: { openAt: String(env.open_at_unix_ms) }, text: countdownWords(num(env.open_at_unix_ms)) }));
  }
  if (!out && env.kind === 'GENTLE') card.append(gentleOpener(ctx, m));
}

function waitingWords(ctx, m, out) {
  const env = m.envelope;
  const them = ctx.partnerName();
  switch (env.kind) {
    case 'SEALED': return `Opens ${dateTimeOf(env.open_at_unix_ms)}`;
    case 'GENTLE':
      if (out) return env.open_requested ? `${them} asked to open it` : `Opens when ${them} chooses`;
      return env.open_requested ? 'Opening…' : 'Opens whenever you are ready.';
    case 'TOGETHER': return `Opens while you are both here${env.partner_present ? ` (${them} is here now)` : ''}`;
    case 'ANSWER': return 'Opens once you have both answered';
    default: return 'Sealed';
  }
}

function countdownWords(openAt) {
  const left = openAt - Date.now();
  return left > 0 ? `opens in ${countdown(left)}` : 'opening…';
}

// Gentle envelopes at their "open now?" step (kept when a card is drawn again).
const confirming = new Set();

function gentleOpener(ctx, m) {
  const row = el('div', { class: 'env-actions' });
  const id = String(m.id);
  if (m.envelope.open_requested) { confirming.delete(id); return row; }
  const open = el('button', { type: 'button', testid: 'envelope-open', text: 'Open' });
  const ask = () => {
    confirming.add(id);
    row.replaceChildren(
      el('span', { class: 'confirm-q', text: 'Open now? It is yours to open whenever you are ready.' }),
      el('button', { type: 'button', testid: 'envelope-confirm-open', text: 'Yes, open it',
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            await ctx.rpc.call('open', { id: m.id });
            ctx.conversation.upsert({ ...m, envelope: { ...m.envelope, open_requested: true } });
          } catch (err) { ctx.toast(err.message); e.target.disabled = false; }
        } }),
      el('button', { type: 'button', class: 'quiet', testid: 'envelope-not-yet', text: 'Not yet',
        onclick: () => { confirming.delete(id); row.replaceChildren(open); open.focus(); } }));
  };
  open.addEventListener('click', () => { ask(); row.querySelector('button').focus(); });
  if (confirming.has(id)) ask();
  else row.append(open);
  return row;
}

// One timer for every countdown on the page.
export function startCountdowns() {
  setInterval(() => {
    for (const node of document.querySelectorAll('[data-open-at]')) {
      node.textContent = countdownWords(num(node.dataset.openAt));
    }
  }, 1000);
}
