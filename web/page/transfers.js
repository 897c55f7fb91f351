// The transfers list (`inmost transfers`): files being sent or received, and those that
// finished or failed since the daemon started, each with its progress. Read with
// `transfers` when the dialog opens (and after a reconnect), then moved on by the
// daemon's `transfer` events, which carry the same progress as it happens.
import { el, clear, makeDialog, bytes, num } from './util.js';

const STATE_WORDS = { SENDING: 'sending', SENT: 'sent', RECEIVING: 'receiving', RECEIVED: 'received', FAILED: 'failed' };

const isMoving = (file) => file.state === 'SENDING' || file.state === 'RECEIVING';

function percent(done, total) {
  if (total === 0 || done >= total) return 100;
  return Math.floor((done * 100) / total);
}

export class Transfers {
  constructor(ctx, button) {
    this.ctx = ctx;
    this.button = button;
    this.byId = new Map();  // id -> Transfer (as `transfers` gives it)
    this.rows = new Map();  // id -> <li>
    this.loaded = false;
    ctx.rpc.on('transfer', (progress) => this.apply(progress));
    ctx.rpc.onOpen(() => { if (this.parts && this.parts.dialog.open) this.load(); });
    button.addEventListener('click', () => this.show());
  }

  async show() {
    if (!this.parts) {
      this.parts = makeDialog('transfers-dialog', 'Files on their way');
      this.summary = el('p', { testid: 'transfers-summary', role: 'status' });
      this.list = el('ul', { class: 'transfers', testid: 'transfers-list', 'aria-label': 'Files' });
      this.parts.body.append(
        el('p', { class: 'faint small', text: 'The files being sent or received, and those that finished or failed since the daemon started. A file interrupted by a lost link or a restart resumes where it stopped.' }),
        this.summary, this.list);
    }
    if (!this.parts.dialog.open) this.parts.dialog.showModal();
    await this.load();
  }

  async load() {
    try {
      const reply = await this.ctx.rpc.call('transfers', {});
      this.byId.clear();
      for (const t of reply.transfers || []) this.byId.set(String(t.id), t);
      this.loaded = true;
      this.renderAll();
    } catch (err) {
      if (this.summary) { this.summary.className = 'warn'; this.summary.textContent = `Could not read the transfers: ${err.message}`; }
    }
  }

  // A `transfer` event: the file's new attachment (a file not listed yet joins the list).
  apply(progress) {
    const id = String(progress.id);
    const known = this.byId.get(id);
    this.byId.set(id, { ...(known || {}), id, direction: progress.direction, file: progress.file || {} });
    this.markButton();
    if (!this.parts || !this.loaded) return;
    if (this.rows.has(id)) this.fillRow(this.rows.get(id), this.byId.get(id));
    else this.renderAll();
    this.summarize();
  }

  moving() { return [...this.byId.values()].filter((t) => isMoving(t.file || {})).length; }

  markButton() {
    const moving = this.moving();
    this.button.dataset.moving = String(moving);
    this.button.setAttribute('aria-label', moving
      ? `Files on their way: ${moving} moving now` : 'Files on their way: sent and received files, with their progress');
  }

  summarize() {
    const all = this.byId.size;
    const moving = this.moving();
    this.summary.className = '';
    this.summary.textContent = all === 0
      ? 'No file has moved since the daemon started.'
      : `${moving ? `${moving} moving now` : 'None moving now'}; ${all} file${all === 1 ? '' : 's'} in all.`;
  }

  renderAll() {
    if (!this.list) return;
    clear(this.list);
    this.rows.clear();
    // Newest (highest id) first: what is moving now is at the top more often than not.
    const transfers = [...this.byId.values()].sort((a, b) => num(b.id) - num(a.id));
    for (const t of transfers) {
      const row = el('li', { class: 'transfer', testid: 'transfer', dataset: { id: String(t.id) } });
      this.fillRow(row, t);
      this.rows.set(String(t.id), row);
      this.list.append(row);
    }
    this.summarize();
    this.markButton();
  }

  fillRow(row, t) {
    const file = t.file || {};
    const incoming = t.direction === 'INCOMING';
    const size = num(file.size);
    const done = num(file.bytes_done);
    const name = file.name || '(sealed)';
    const state = STATE_WORDS[file.state] || '';
    row.dataset.state = file.state || '';
    row.dataset.direction = t.direction || '';
    const who = this.ctx.partnerName();
    const label = `${name}, ${incoming ? `from ${who}` : `to ${who}`}: ${percent(done, size)}% ${state}`;
    const parts = [
      el('p', { class: 'transfer-name' },
        el('span', { 'aria-hidden': 'true', text: incoming ? '← ' : '→ ' }),
        el('span', { testid: 'transfer-name', text: name }),
        el('span', { class: 'faint small', text: ` · #${t.id} · ${incoming ? `from ${who}` : `to ${who}`}` })),
      el('progress', { max: String(size || 1), value: String(size ? Math.min(done, size) : 1), 'aria-label': label }),
      el('p', { class: 'faint small', testid: 'transfer-progress',
        text: `${percent(done, size)}% · ${bytes(done)} of ${file.name ? '' : 'up to '}${bytes(size)} · ${state}` }),
    ];
    if (file.state === 'FAILED' && file.error) parts.push(el('p', { class: 'warn small', testid: 'transfer-error', text: file.error }));
    row.replaceChildren(...parts);
  }
}
