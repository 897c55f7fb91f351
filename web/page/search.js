// Search the whole history for messages holding every word (withheld envelopes are
// not searched: their text is not here), newest first, a page at a time: "Older
// matches" asks for the next page, before the last one shown.
import { el, clear, makeDialog, dateTimeOf } from './util.js';

// Results per page: a screenful to read, and one word-index lookup each.
const PAGE = 20;

let parts = null;

function resultOf(ctx, m) {
  return el('li', { class: 'memory', testid: 'search-result', dataset: { id: m.id } },
    el('p', { class: 'text', text: m.text }),
    el('span', { class: 'meta', text: `${m.direction === 'OUTGOING' ? 'You' : ctx.partnerName()} · ${dateTimeOf(m.sent_at_unix_ms)} · #${m.id}` }));
}

// What was found so far; while the word index is being built, the history is read
// whole and only ASCII letters fold, which the reader should know.
function countText(shown, reply) {
  const found = `${shown}${reply.more ? '+' : ''} found`;
  if (reply.indexed) return found;
  return `${found} among ${reply.searched} messages read one by one (the word index is being built; accents and non-Latin case are not matched yet)`;
}

export function showSearch(ctx) {
  if (!parts) {
    parts = makeDialog('search-dialog', 'Search');
    const input = el('input', { type: 'search', testid: 'search-input', 'aria-label': 'Words to look for', placeholder: 'Words to look for' });
    const count = el('p', { class: 'faint small', testid: 'search-count' });
    const list = el('ul', { class: 'memories', testid: 'search-results' });
    const more = el('button', { type: 'button', class: 'quiet', testid: 'search-more', text: 'Older matches', hidden: true });
    const problem = el('p', { class: 'warn', testid: 'search-error', hidden: true });
    const results = el('div', { 'aria-live': 'polite' }, count, list, more, problem);
    const form = el('form', { class: 'answer-form', role: 'search' }, input, el('button', { type: 'submit', testid: 'search-button', text: 'Search' }));
    // The search being shown; a new one makes an older reply still on its way moot.
    let words = '';
    let asked = 0;
    const fetchPage = async (before) => {
      const mine = ++asked;
      more.hidden = true;
      problem.hidden = true;
      const params = { words, limit: PAGE };
      if (before) params.before_id = before;
      try {
        const reply = await ctx.rpc.call('search', params);
        if (mine !== asked) return;
        list.append(...(reply.messages || []).map((m) => resultOf(ctx, m)));
        const last = list.lastElementChild;
        count.textContent = countText(list.childElementCount, reply);
        more.hidden = !(reply.more && last);
        more.dataset.before = last ? last.dataset.id : '';
      } catch (err) {
        if (mine !== asked) return;
        problem.textContent = err.message;
        problem.hidden = false;
      }
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      clear(list);
      count.textContent = '';
      words = input.value;
      if (!words.trim()) {
        asked++;
        more.hidden = true;
        problem.hidden = true;
        return;
      }
      fetchPage(0);
    });
    more.addEventListener('click', () => fetchPage(more.dataset.before));
    parts.body.append(form, results);
    parts.input = input;
  }
  parts.dialog.showModal();
  parts.input.focus();
}
