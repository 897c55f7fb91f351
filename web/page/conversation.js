// The conversation: messages kept by id in history order, live updates from events,
// paging back (load older), and catching up after a reconnect by merging by id.
import { el, clear, num } from './util.js';
import { renderMessage } from './message.js';

const PAGE = 50;
const CATCH_UP_PAGES = 20;

export class Conversation {
  constructor(ctx, list, olderButton) {
    this.ctx = ctx;
    this.list = list;
    this.olderButton = olderButton;
    this.order = [];          // ids, oldest first
    this.byId = new Map();    // id -> Message
    this.nodes = new Map();   // id -> element
    this.more = false;
    olderButton.addEventListener('click', () => this.loadOlder());
  }

  get(id) { return this.byId.get(String(id)); }
  messages() { return this.order.map((id) => this.byId.get(id)); }

  // A message from an event or a reply: replaced where it is, or added at the end.
  upsert(message) {
    const id = String(message.id);
    if (message.forget === 'DISAPPEARED') { this.remove(id); return; }
    const known = this.byId.has(id);
    this.byId.set(id, message);
    if (!known) this.order.push(id);
    this.render(id, !known);
    this.renderRelated(message);
  }

  remove(id) {
    id = String(id);
    if (!this.byId.has(id)) return;
    this.byId.delete(id);
    this.order = this.order.filter((x) => x !== id);
    const node = this.nodes.get(id);
    if (node) { this.ctx.files.release(node); node.remove(); }
    this.nodes.delete(id);
  }

  // An answer shows inside its question, and a reply's quote may change with its target.
  renderRelated(message) {
    const questionId = message.envelope && message.envelope.kind === 'ANSWER' && message.envelope.question_id;
    if (questionId && this.byId.has(String(questionId))) this.render(String(questionId));
    if (message.kind === 'QUESTION') {
      for (const id of [message.question.my_answer_id, message.question.their_answer_id]) {
        if (num(id) && this.byId.has(String(id))) this.render(String(id));
      }
    }
    if (this.ctx.onMessageChanged) this.ctx.onMessageChanged(message);
  }

  render(id, isNew = false) {
    const message = this.byId.get(id);
    if (!message) return;
    const old = this.nodes.get(id);
    const node = renderMessage(this.ctx, message, old);
    if (node === old) return;
    this.nodes.set(id, node);
    if (old) {
      this.ctx.files.release(old);
      const focused = old.contains(document.activeElement) && document.activeElement.dataset.testid;
      old.replaceWith(node);
      // Drawn again while someone was typing or choosing in it: keep their place.
      const again = focused && node.querySelector(`[data-testid="${focused}"]`);
      if (again) again.focus();
    } else if (isNew) {
      const nearBottom = this.isNearBottom();
      this.list.append(node);
      if (nearBottom || message.direction === 'OUTGOING') this.scrollToEnd();
    } else {
      this.layout();
    }
  }

  isNearBottom() {
    const box = this.list.parentElement;
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  scrollToEnd() {
    const box = this.list.parentElement;
    box.scrollTop = box.scrollHeight;
  }

  // The DOM in this.order; nodes are built for messages that have none yet.
  layout() {
    let previous = null;
    for (const id of this.order) {
      let node = this.nodes.get(id);
      if (!node) {
        node = renderMessage(this.ctx, this.byId.get(id), null);
        this.nodes.set(id, node);
      }
      const expected = previous ? previous.nextSibling : this.list.firstChild;
      if (expected !== node) this.list.insertBefore(node, expected);
      previous = node;
    }
    for (const [id, node] of this.nodes) {
      if (!this.byId.has(id)) { node.remove(); this.nodes.delete(id); }
    }
    this.olderButton.hidden = !this.more;
  }

  // Replaces everything with the newest page (first load, or a new pairing).
  async loadLatest() {
    const reply = await this.ctx.rpc.call('history', { limit: PAGE });
    for (const node of this.nodes.values()) { this.ctx.files.release(node); }
    clear(this.list);
    this.order = [];
    this.byId.clear();
    this.nodes.clear();
    for (const m of reply.messages || []) this.byId.set(String(m.id), m), this.order.push(String(m.id));
    this.more = !!reply.more;
    this.layout();
    for (const m of reply.messages || []) this.renderRelated(m);
    this.scrollToEnd();
  }

  // Pages back from the newest until a page holds a message already shown, then merges:
  // what was shown and is not in those pages stays before them; the pages replace the
  // rest, by id, so nothing is lost or doubled.
  async catchUp() {
    if (this.order.length === 0) return this.loadLatest();
    const fetched = [];
    let before = 0;
    let more = false;
    for (let i = 0; i < CATCH_UP_PAGES; i++) {
      const params = { limit: PAGE };
      if (before) params.before_id = before;
      const reply = await this.ctx.rpc.call('history', params);
      const page = reply.messages || [];
      fetched.unshift(...page);
      more = !!reply.more;
      if (!more || page.length === 0 || page.some((m) => this.byId.has(String(m.id)))) break;
      before = page[0].id;
    }
    const fetchedIds = new Set(fetched.map((m) => String(m.id)));
    const keep = this.order.filter((id) => !fetchedIds.has(id));
    const nearBottom = this.isNearBottom();
    const changed = [];
    for (const m of fetched) {
      const id = String(m.id);
      const old = this.byId.get(id);
      if (!old || JSON.stringify(old) !== JSON.stringify(m)) changed.push(m);
      this.byId.set(id, m);
    }
    this.order = keep.concat(fetched.map((m) => String(m.id)));
    if (keep.length === 0) this.more = more;
    for (const m of changed) {
      const old = this.nodes.get(String(m.id));
      if (old) { this.ctx.files.release(old); old.remove(); this.nodes.delete(String(m.id)); }
    }
    this.layout();
    for (const m of changed) this.renderRelated(m);
    if (nearBottom) this.scrollToEnd();
    return changed;
  }

  async loadOlder() {
    if (!this.order.length) return;
    this.olderButton.disabled = true;
    try {
      const box = this.list.parentElement;
      const fromBottom = box.scrollHeight - box.scrollTop;
      const reply = await this.ctx.rpc.call('history', { limit: PAGE, before_id: this.order[0] });
      const older = (reply.messages || []).filter((m) => !this.byId.has(String(m.id)));
      for (const m of older) this.byId.set(String(m.id), m);
      this.order = older.map((m) => String(m.id)).concat(this.order);
      this.more = !!reply.more;
      this.layout();
      for (const m of older) this.renderRelated(m);
      box.scrollTop = box.scrollHeight - fromBottom;
    } catch (err) {
      this.ctx.toast(`Could not load older messages: ${err.message}`);
    } finally {
      this.olderButton.disabled = false;
    }
  }

  // Delivery and read receipts.
  setState(id, state) {
    const message = this.get(id);
    if (!message || message.direction !== 'OUTGOING') return;
    if (message.state === 'READ' && state === 'DELIVERED') return;
    if (message.state === 'SCHEDULED' || message.state === 'CANCELLED') return;
    this.upsert({ ...message, state });
  }

  markReadUpTo(upTo) {
    for (const message of this.messages()) {
      if (message.direction === 'OUTGOING' && num(message.id) <= num(upTo) &&
          (message.state === 'DELIVERED' || message.state === 'PENDING')) {
        this.upsert({ ...message, state: 'READ' });
      }
    }
  }

  lastIncomingId() {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const m = this.byId.get(this.order[i]);
      if (m.direction === 'INCOMING') return m.id;
    }
    return 0;
  }
}

export function emptyNote() {
  return el('p', { class: 'empty', text: 'Nothing here yet. Say something gentle.' });
}
