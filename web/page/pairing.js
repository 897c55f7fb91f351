// The first start, before a partner is paired: make an invite (text and QR) or join
// with your partner's code; the page turns into the conversation once paired.
import { el, clear } from './util.js';
import { inviteBlock } from './status.js';
import { exportSection } from './export.js';
import { backupSection } from './keeping.js';

export function renderPairing(ctx, root) {
  clear(root);
  const s = ctx.status || {};
  const intro = [el('h1', { text: 'inmost' }),
    el('p', { class: 'lede', text: 'A quiet place for the two of you. To begin, one of you makes an invite and the other joins with it.' })];
  if (s.pairing_ended) {
    const who = s.pairing_ended.name || 'your partner';
    intro.push(el('p', { class: 'faint', text: s.pairing_ended.by_partner ? `${who} ended the pairing.` : `You ended the pairing with ${who}.` }));
  }
  const code = el('textarea', { testid: 'join-code', rows: '4', 'aria-label': 'Your partner’s invite code', placeholder: 'inmost1-…' });
  const result = el('div', { testid: 'join-result', 'aria-live': 'polite' });
  const join = el('button', { type: 'submit', testid: 'join-button', text: 'Join' });
  const form = el('form', { class: 'join' }, el('h3', { text: 'Join your partner' }),
    el('p', { class: 'faint small', text: 'Paste the code your partner made.' }), code, join, result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = code.value.trim();
    if (!text) { code.focus(); return; }
    join.disabled = true;
    clear(result);
    result.append(el('p', { class: 'faint', text: 'Reaching your partner…' }));
    try {
      const reply = await ctx.rpc.call('join', { code: text });
      clear(result);
      result.append(el('p', { text: 'Paired. Compare this safety number with your partner’s:' }),
        el('p', { class: 'safety', testid: 'join-safety-number', text: reply.safety_number }));
      await ctx.refreshStatus();
    } catch (err) {
      clear(result);
      result.append(el('pre', { class: 'warn', testid: 'join-error', text: err.message }));
    } finally {
      join.disabled = false;
    }
  });
  const card = el('div', { class: 'pairing-card' }, ...intro, inviteBlock(ctx),
    el('div', { class: 'or', text: 'or' }), form);
  // After an unpair the history stays here: it can still be exported or backed up.
  if (s.pairing_ended) {
    card.append(el('details', { class: 'keep-after', testid: 'pairing-keep' },
      el('summary', { text: 'Export or back up the history you kept' }), exportSection(ctx), ...backupSection(ctx)));
  }
  root.append(card);
}
