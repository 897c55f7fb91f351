// Questions both partners answer (ask), and today's question: answers travel sealed
// and both show once both are in (a mutual reveal).
import { el, clear, num, makeDialog } from './util.js';

const STATE_WORDS = {
  UNANSWERED: 'Neither of you has answered yet.',
  WAITING_FOR_YOU: 'They has answered (sealed). Your turn.',
  WAITING_FOR_THEM: 'You have answered. Waiting for them.',
  REVEALED: 'You have both answered.',
};

export function renderQuestion(ctx, m, bubble) {
  const q = m.question || {};
  const card = el('div', { class: 'question', testid: 'question', dataset: { state: q.state || '' } });
  bubble.append(card);
  card.append(el('p', { class: 'env-title', text: q.of_the_day ? `Question of the day (${q.date})` : 'A question for you both' }),
    el('p', { class: 'text q-text', testid: 'message-text', text: m.text }));
  card.append(el('p', { class: 'faint small', testid: 'question-state',
    text: (STATE_WORDS[q.state] || '').replace('They', ctx.partnerName()) }));
  if (q.state === 'REVEALED' || num(q.my_answer_id) || num(q.their_answer_id)) {
    card.append(answers(ctx, q));
  }
  if (!num(q.my_answer_id)) card.append(answerForm(ctx, { question_id: m.id }));
}

function answerText(ctx, id) {
  const a = ctx.conversation.get(id);
  if (!a) return null;
  if (a.envelope && a.envelope.state !== 'OPENED' && a.envelope.state !== 'RELEASED' && !(a.direction === 'OUTGOING' && a.text)) return null;
  return a;
}

function answers(ctx, q) {
  const box = el('div', { class: 'answers', testid: 'question-answers' });
  const row = (who, id, testid) => {
    if (!num(id)) return;
    const a = answerText(ctx, id);
    const revealed = a && (q.state === 'REVEALED' || a.direction === 'OUTGOING');
    const line = el('div', { class: 'answer', testid });
    line.append(el('span', { class: 'who', text: `${who}: ` }));
    if (revealed) {
      if (a.file) line.append(ctx.files.renderFile(a));
      line.append(el('span', { class: 'text', testid: 'answer-text', text: a.text }));
    } else {
      line.append(el('span', { class: 'faint', text: a ? 'sealed until you have both answered' : 'sealed' }));
    }
    box.append(line);
  };
  row('You', q.my_answer_id, 'answer-mine');
  row(ctx.partnerName(), q.their_answer_id, 'answer-theirs');
  return box;
}

// Answers being written, by question, so that a card drawn again keeps them.
const writing = new Map();

function answerForm(ctx, target) {
  const key = target.today ? 'today' : String(target.question_id);
  const input = el('input', { type: 'text', testid: 'question-answer-input', 'aria-label': 'Your answer',
    placeholder: 'Your answer, sealed until you have both answered', maxlength: '4000' });
  input.value = writing.get(key) || '';
  input.addEventListener('input', () => writing.set(key, input.value));
  const button = el('button', { type: 'submit', testid: 'question-answer-button', text: 'Answer' });
  const form = el('form', { class: 'answer-form' }, input, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) { input.focus(); return; }
    button.disabled = true;
    try {
      await ctx.rpc.call('answer', { ...target, text });
      input.value = '';
      writing.delete(key);
      await ctx.conversation.catchUp();
      if (target.today) await showToday(ctx, false);
    } catch (err) {
      ctx.toast(err.message);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export function askForm(ctx) {
  const input = el('input', { type: 'text', testid: 'ask-input', 'aria-label': 'A question for you both',
    placeholder: 'Ask something you both answer…' });
  const form = el('form', { class: 'answer-form' }, input, el('button', { type: 'submit', testid: 'ask-button', text: 'Ask' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    try {
      await ctx.rpc.call('ask', { text });
      input.value = '';
      todayDialog && todayDialog.dialog.close();
      await ctx.conversation.catchUp();
    } catch (err) { ctx.toast(err.message); }
  });
  return form;
}

let todayDialog = null;
export async function showToday(ctx, open = true) {
  if (!todayDialog) todayDialog = makeDialog('today-dialog', 'Questions');
  const { dialog, body } = todayDialog;
  if (!open && !dialog.open) return;
  clear(body);
  try {
    const t = await ctx.rpc.call('today', {});
    const state = (t.state && t.state.state) || 'UNANSWERED';
    body.append(el('h3', { text: `Today's question (${t.date})` }),
      el('p', { class: 'text q-text', testid: 'today-question', text: t.question }),
      el('p', { class: 'faint small', testid: 'today-state', text: (STATE_WORDS[state] || '').replace('They', ctx.partnerName()) }));
    if (num(t.id) && ctx.conversation.get(t.id)) {
      if (state === 'REVEALED' || num(t.state.my_answer_id)) body.append(answers(ctx, t.state));
    } else if (num(t.state && t.state.my_answer_id)) {
      body.append(el('p', { class: 'faint', text: 'Your answer is in the conversation.' }));
    }
    if (!num(t.state && t.state.my_answer_id)) body.append(answerForm(ctx, { today: true }));
  } catch (err) {
    body.append(el('p', { text: `No question of the day: ${err.message}` }));
  }
  body.append(el('h3', { text: 'Ask your own' }), askForm(ctx),
    el('p', { class: 'faint small', text: 'Each of you answers; the answers stay sealed until both are in, then open for both at once.' }));
  if (open && !dialog.open) dialog.showModal();
}
