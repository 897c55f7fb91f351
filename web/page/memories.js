// Shared memories (pinned messages) and recall (what you said on this day in earlier
// years, and a month ago), in one dialog.
import { el, clear, makeDialog, dateTimeOf } from './util.js';

function line(ctx, m) {
  const who = m.direction === 'OUTGOING' ? 'You' : ctx.partnerName();
  return el('li', { class: 'memory', testid: 'memory', dataset: { id: String(m.id) } },
    el('p', { class: 'text', text: m.text || (m.file && m.file.name) || `(${(m.kind || '').toLowerCase()})` }),
    el('span', { class: 'meta', text: `${who} · ${dateTimeOf(m.sent_at_unix_ms)}` }));
}

let dialogParts = null;
export async function showMemories(ctx) {
  if (!dialogParts) dialogParts = makeDialog('memories-dialog', 'Memories');
  const { dialog, body } = dialogParts;
  clear(body);
  try {
    const [pinned, recall] = await Promise.all([ctx.rpc.call('memories', {}), ctx.rpc.call('recall', {})]);
    const days = recall.days || [];
    body.append(el('h3', { text: 'On this day' }));
    if (!days.length) body.append(el('p', { class: 'faint', text: 'Nothing from this day in earlier months or years, yet.' }));
    for (const day of days) {
      body.append(el('h4', { text: `${day.label} (${day.date})` }),
        el('ul', { class: 'memories', testid: 'recall-day' }, (day.messages || []).map((m) => line(ctx, m))));
    }
    const messages = pinned.messages || [];
    body.append(el('h3', { text: 'Pinned memories' }));
    if (!messages.length) body.append(el('p', { class: 'faint', text: 'Pin a message (its ⋯ menu) to keep it here, for both of you.' }));
    else body.append(el('ul', { class: 'memories', testid: 'memories' }, messages.map((m) => line(ctx, m))));
  } catch (err) {
    body.append(el('p', { class: 'warn', text: err.message }));
  }
  if (!dialog.open) dialog.showModal();
}
