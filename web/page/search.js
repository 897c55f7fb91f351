// Search the whole history for messages holding every word (withheld envelopes are
// not searched: their text is not here).
import { el, clear, makeDialog, dateTimeOf } from './util.js';

let parts = null;
export function showSearch(ctx) {
  if (!parts) {
    parts = makeDialog('search-dialog', 'Search');
    const input = el('input', { type: 'search', testid: 'search-input', 'aria-label': 'Words to look for', placeholder: 'Words to look for' });
    const results = el('div', { 'aria-live': 'polite' });
    const form = el('form', { class: 'answer-form', role: 'search' }, input, el('button', { type: 'submit', testid: 'search-button', text: 'Search' }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(results);
      if (!input.value.trim()) return;
      try {
        const reply = await ctx.rpc.call('search', { words: input.value, limit: 100 });
        const found = reply.messages || [];
        results.append(el('p', { class: 'faint small', testid: 'search-count',
          text: `${found.length}${reply.more ? '+' : ''} found in ${reply.searched} messages` }));
        results.append(el('ul', { class: 'memories', testid: 'search-results' }, found.map((m) => el('li', { class: 'memory', testid: 'search-result' },
          el('p', { class: 'text', text: m.text }),
          el('span', { class: 'meta', text: `${m.direction === 'OUTGOING' ? 'You' : ctx.partnerName()} · ${dateTimeOf(m.sent_at_unix_ms)} · #${m.id}` })))));
      } catch (err) {
        results.append(el('p', { class: 'warn', text: err.message }));
      }
    });
    parts.body.append(form, results);
    parts.input = input;
  }
  parts.dialog.showModal();
  parts.input.focus();
}
