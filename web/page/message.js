// One message of the conversation as a card: text, reply quote, meta line (time,
// delivery, edited), reactions and the actions menu (react, reply, pin, edit, forget...).
import { el, timeOf, dateTimeOf, nudgeWords, num, makeDialog, clear } from './util.js';
import { renderEnvelope } from './envelopes.js';
import { renderQuestion } from './questions.js';
import { icon } from './icons.js';

const REACTIONS = ['❤️', '😊', '😂', '😮', '😢', '🙏'];

const STATE_WORDS = {
  PENDING: ['…', 'waiting to be delivered'],
  DELIVERED: ['✓', 'delivered'],
  READ: ['✓✓', 'read'],
  NOT_DELIVERED: ['✗', 'never delivered'],
  SCHEDULED: ['🕓', 'scheduled'],
  CANCELLED: ['⊘', 'cancelled'],
};

export function renderMessage(ctx, m, old) {
  const out = m.direction === 'OUTGOING';
  const node = el('li', {
    class: `msg ${out ? 'out' : 'in'} kind-${(m.kind || 'TEXT').toLowerCase()}`,
    testid: 'message',
    dataset: { id: String(m.id), kind: m.kind || 'TEXT', direction: m.direction || '' },
  });
  if (m.kind === 'ENVELOPE' && m.envelope && m.envelope.kind === 'ANSWER' &&
      ctx.conversation.get(m.envelope.question_id)) {
    node.hidden = true;  // shown inside its question
    return node;
  }
  if (m.kind === 'NUDGE') return nudgeLine(ctx, m, node);
  if (m.kind === 'MOMENT') {
    node.classList.add('centered');
    node.append(el('p', { class: 'moment', testid: 'moment',
      text: 'A same moment: you reached for each other at once' }),
    el('span', { class: 'meta', text: timeOf(m.sent_at_unix_ms || m.received_at_unix_ms) }));
    return node;
  }
  if (m.kind === 'NOTICE') {
    node.classList.add('centered');
    node.append(el('p', { class: 'notice', testid: 'message-text', text: m.text }));
    return node;
  }
  const bubble = el('div', { class: 'bubble' });
  node.append(bubble);
  const who = out ? 'You' : ctx.partnerName();
  node.setAttribute('aria-label', `${who}, ${timeOf(m.sent_at_unix_ms)}`);
  if (num(m.reply_to)) {
    bubble.append(el('blockquote', { class: 'quote', testid: 'message-quote', text: m.quoted || `#${m.reply_to}` }));
  }
  if (m.kind === 'ENVELOPE') renderEnvelope(ctx, m, bubble);
  else if (m.kind === 'QUESTION') renderQuestion(ctx, m, bubble);
  else if (m.view_once && m.view_once !== 'VIEW_ONCE_NONE') viewOnce(ctx, m, bubble);
  else if (m.forget && m.forget !== 'FORGET_NONE' && m.forget !== 'PARTNER_ASKS' && m.forget !== 'KEPT') {
    bubble.append(el('p', { class: 'faint', testid: 'message-text', text: forgetWords(m.forget) }));
  } else {
    if (m.file) bubble.append(ctx.files.renderFile(m));
    if (m.text) bubble.append(el('p', { class: 'text', testid: 'message-text', text: m.text }));
  }
  if (m.forget === 'PARTNER_ASKS') bubble.append(forgetAsk(ctx, m));
  bubble.append(meta(ctx, m));
  const reactions = reactionLine(m);
  if (reactions) bubble.append(reactions);
  node.append(actions(ctx, m));
  return node;
}

function nudgeLine(ctx, m, node) {
  const [, words, emoji] = nudgeWords(m.nudge && m.nudge.kind);
  const count = m.nudge && m.nudge.count > 1 ? ` ×${m.nudge.count}` : '';
  const text = m.direction === 'OUTGOING' ? `${emoji} You sent ${words}${count}`
    : `${emoji} ${ctx.partnerName()} sent ${words}${count}`;
  node.classList.add('centered');
  node.append(el('p', { class: 'nudge', testid: 'message-text', text }),
    el('span', { class: 'meta', text: timeOf(m.sent_at_unix_ms) }));
  return node;
}

function forgetWords(forget) {
  return {
    FORGOTTEN: 'Forgotten here.',
    ASKED: 'Forgotten here; your partner was asked to forget it too.',
    FORGOTTEN_BOTH: 'Forgotten by both of you.',
    PARTNER_KEPT: 'Forgotten here; your partner chose to keep theirs.',
  }[forget] || 'Forgotten.';
}

function forgetAsk(ctx, m) {
  return el('div', { class: 'ask-row' },
    el('span', { text: `${ctx.partnerName()} asks you to forget this.` }),
    el('button', { type: 'button', text: 'Forget it', onclick: () => ctx.act('forget', { id: m.id }) }),
    el('button', { type: 'button', class: 'quiet', text: 'Keep it', onclick: () => ctx.act('forget', { id: m.id, keep: true }) }));
}

// The text of a view-once message viewed here stays on the page a little while (in
// memory only), then it is gone as everywhere else.
const VIEW_ONCE_SHOWN_MS = 120000;

function viewOnce(ctx, m, bubble) {
  const viewed = m.view_once === 'VIEWED';
  if (m.direction === 'OUTGOING') {
    bubble.append(el('p', { class: 'faint', testid: 'message-text',
      text: viewed ? 'View-once message, viewed' : 'View-once message, not viewed yet' }));
    return;
  }
  const shown = ctx.viewOnceShown.get(String(m.id));
  if (shown !== undefined) {
    bubble.append(typeof shown === 'string' ? el('p', { class: 'text', testid: 'view-once-text', text: shown }) : shown,
      el('p', { class: 'faint small', text: 'Viewed once: it disappears from this page soon, and is gone everywhere else.' }));
    return;
  }
  if (viewed) {
    bubble.append(el('p', { class: 'faint', testid: 'message-text', text: 'Viewed; it is gone now' }));
    return;
  }
  const file = m.file && m.file.state === 'RECEIVED' ? m.file : null;
  if (m.file && !file) {
    bubble.append(el('p', { class: 'faint', testid: 'message-text', text: 'A view-once file, still arriving.' }));
    return;
  }
  if (file && !SHOWN_KINDS.includes((file.type || '').split('/')[0])) {
    bubble.append(el('p', { class: 'faint', testid: 'message-text',
      text: `A view-once file (${file.name || 'a file'}, ${file.type || 'of no known type'}): this page shows only pictures, sounds and videos once; view it with: inmost view ${m.id} | a program that shows it` }));
    return;
  }
  const button = el('button', { type: 'button', testid: 'view-once-button', text: 'View once' });
  button.addEventListener('click', async () => {
    if (!confirm('It can be seen only this once. View it now?')) return;
    button.disabled = true;
    const id = String(m.id);
    let release = () => {};
    try {
      let message;
      if (file) {
        const blob = await ctx.files.fetchBlob(m, (viewed) => { message = viewed; });
        const url = URL.createObjectURL(blob);
        release = () => URL.revokeObjectURL(url);
        ctx.viewOnceShown.set(id, viewOnceMedia(file, url));
      } else {
        const reply = await ctx.rpc.call('view', { id: m.id });
        message = reply.message;
        ctx.viewOnceShown.set(id, reply.text);
      }
      ctx.conversation.upsert(message || { ...m, view_once: 'VIEWED' });
      setTimeout(() => {
        release();
        ctx.viewOnceShown.delete(id);
        const now = ctx.conversation.get(id);
        if (now) ctx.conversation.upsert(now);
      }, VIEW_ONCE_SHOWN_MS);
    } catch (err) { release(); button.disabled = false; ctx.toast(err.message); }
  });
  const what = file ? `A view-once file (${file.name || 'a file'}): it can be seen one time.` : 'A view-once message: it can be seen one time.';
  bubble.append(el('p', { class: 'faint', text: what }), button);
}

// The kinds of view-once file the page shows (in memory, from an object URL).
const SHOWN_KINDS = ['image', 'audio', 'video'];

// A viewed view-once file, shown from memory: a picture, a sound or a video.
function viewOnceMedia(file, url) {
  const kind = (file.type || '').split('/')[0];
  if (kind === 'image') return el('img', { src: url, alt: file.name || 'a picture', class: 'inline-image', testid: 'view-once-image' });
  return el(kind, { src: url, controls: true, testid: `view-once-${kind}`, 'aria-label': file.name || kind });
}

function meta(ctx, m) {
  const line = el('div', { class: 'meta' });
  if (m.urgent) line.append(el('span', { class: 'tag urgent', text: 'urgent' }));
  if (m.pinned) line.append(el('span', { class: 'tag pin', role: 'img', 'aria-label': 'pinned as a memory' }, icon('bookmark')));
  if (m.state === 'SCHEDULED') line.append(el('span', { text: `leaves ${dateTimeOf(m.send_at_unix_ms)}` }));
  else line.append(el('time', { text: timeOf(m.sent_at_unix_ms || m.written_at_unix_ms) }));
  if (m.edited) {
    line.append(el('button', { type: 'button', class: 'link', testid: 'message-edited',
      text: 'edited', 'aria-label': 'edited: show every version', onclick: () => showVersions(ctx, m) }));
  }
  if (m.direction === 'OUTGOING' && STATE_WORDS[m.state]) {
    const [mark, words] = STATE_WORDS[m.state];
    line.append(el('span', { class: `state state-${m.state.toLowerCase()}`, testid: 'message-state', title: words, 'aria-label': words, text: mark }));
  }
  if (num(m.disappears_at_unix_ms)) line.append(el('span', { title: 'disappears', text: '⏳' }));
  return line;
}

function reactionLine(m) {
  if (!m.my_reaction && !m.their_reaction) return null;
  const line = el('div', { class: 'reactions', testid: 'reactions' });
  if (m.their_reaction) line.append(el('span', { 'aria-label': `their reaction ${m.their_reaction}`, text: m.their_reaction }));
  if (m.my_reaction) line.append(el('span', { class: 'mine', 'aria-label': `your reaction ${m.my_reaction}`, text: m.my_reaction }));
  return line;
}

function actions(ctx, m) {
  const out = m.direction === 'OUTGOING';
  const menu = el('div', { class: 'menu', role: 'menu' });
  const details = el('details', { class: 'actions' },
    el('summary', { 'aria-label': 'Actions for this message', testid: 'message-actions', text: '⋯' }), menu);
  details.addEventListener('toggle', () => {
    if (!details.open) return;
    // One menu open at a time, and all of it in sight.
    for (const other of document.querySelectorAll('details.actions[open]')) if (other !== details) other.open = false;
    menu.scrollIntoView({ block: 'nearest' });
  });
  const item = (label, testid, fn) => menu.append(el('button', {
    type: 'button', role: 'menuitem', testid, text: label,
    onclick: () => { details.open = false; fn(); },
  }));
  const reacts = el('div', { class: 'react-row', role: 'group', 'aria-label': 'React' });
  for (const emoji of REACTIONS) {
    reacts.append(el('button', { type: 'button', class: 'emoji', testid: 'react', 'aria-label': `react ${emoji}`, text: emoji,
      onclick: () => { details.open = false; ctx.act('react', { id: m.id, emoji: m.my_reaction === emoji ? '' : emoji }); } }));
  }
  menu.append(reacts);
  const canReply = m.kind === 'TEXT' || m.kind === 'FILE' || (m.kind === 'ENVELOPE' && m.envelope.state === 'OPENED') || m.kind === 'QUESTION';
  if (canReply && m.state !== 'SCHEDULED') item('Reply', 'action-reply', () => ctx.composer.replyTo(m));
  item(m.pinned ? 'Unpin' : 'Pin as a memory', 'action-pin', () => ctx.act('pin', { id: m.id, unpin: !!m.pinned }));
  if (out && (m.kind === 'TEXT' || m.kind === 'FILE' || (m.kind === 'ENVELOPE' && m.envelope.state === 'OPENED' && m.envelope.kind !== 'ANSWER'))
      && m.state !== 'SCHEDULED' && (!m.view_once || m.view_once === 'VIEW_ONCE_NONE') && (!m.forget || m.forget === 'FORGET_NONE')) {
    item('Edit', 'action-edit', () => ctx.composer.edit(m));
  }
  if (m.edited) item('Versions', 'action-versions', () => showVersions(ctx, m));
  if (out && m.state === 'SCHEDULED') item('Cancel sending', 'action-cancel', () => ctx.act('retract', { id: m.id, scheduled_only: true }));
  if (out && m.kind === 'ENVELOPE' && m.envelope.state === 'WITHHELD' && m.envelope.kind !== 'ANSWER') {
    item('Withdraw', 'action-retract', () => { if (confirm('Withdraw this envelope? It will never open.')) ctx.act('retract', { id: m.id }); });
  }
  if (m.file && (m.file.state === 'RECEIVED' || (out && m.file.state === 'SENDING'))) {
    item('Download', 'action-download', () => ctx.files.save(m));
  }
  if (!m.forget || m.forget === 'FORGET_NONE' || m.forget === 'KEPT') {
    item('Forget…', 'action-forget', () => {
      if (confirm('Forget this message here, and ask your partner to forget it too?')) ctx.act('forget', { id: m.id });
    });
  }
  menu.append(el('span', { class: 'faint small', text: `#${m.id}` }));
  return details;
}

let versionsDialog = null;
async function showVersions(ctx, m) {
  if (!versionsDialog) versionsDialog = makeDialog('versions-dialog', 'Every version');
  const { dialog, body } = versionsDialog;
  clear(body);
  try {
    const reply = await ctx.rpc.call('versions', { id: m.id });
    const list = el('ol', { class: 'versions', testid: 'versions' });
    for (const v of reply.versions || []) {
      list.append(el('li', {}, el('p', { class: 'text', text: v.text }), el('span', { class: 'meta', text: dateTimeOf(v.at_unix_ms) })));
    }
    body.append(el('p', { class: 'faint', text: 'Nothing said can be rewritten silently: both of you keep every version.' }), list);
  } catch (err) {
    body.append(el('p', { text: err.message }));
  }
  dialog.showModal();
}
