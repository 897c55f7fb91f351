// The inmost page: connects to the daemon through /ws, shows pairing or the conversation,
// and routes the daemon's events to the conversation, the header and notifications.
import { el, timeOf, nudgeWords } from './util.js';
import { Rpc, socketUrl } from './rpc.js';
import { Conversation } from './conversation.js';
import { Composer } from './composer.js';
import { startCountdowns } from './envelopes.js';
import { showToday } from './questions.js';
import { Files } from './files.js';
import { StatusView } from './status.js';
import { renderPairing } from './pairing.js';
import { Settings } from './settings.js';
import { Transfers } from './transfers.js';
import { showMemories } from './memories.js';
import { showSearch } from './search.js';
import { notifications } from './notify.js';
import { drawIcons } from './icons.js';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const ctx = {
  rpc: new Rpc(socketUrl()),
  status: null,
  mine: { choice: 'HERE', shareLastSeen: true },
  viewOnceShown: new Map(),  // id -> the text `view` gave, for a little while
  partnerName() {
    const p = this.status && this.status.partner;
    return (p && (p.name || p.chosen_name)) || 'Your partner';
  },
  toast(text) {
    const box = $('toasts');
    const item = el('p', { class: 'toast', role: 'status', text });
    box.append(item);
    setTimeout(() => item.remove(), 6000);
  },
  // A request whose reply is a message's new view (react, pin, forget, retract...).
  async act(method, params) {
    try {
      const reply = await this.rpc.call(method, params);
      if (reply.message) this.conversation.upsert(reply.message);
    } catch (err) {
      this.toast(err.message);
    }
  },
  async refreshStatus() {
    const wasPaired = this.status && this.status.paired;
    this.status = await this.rpc.call('status', {});
    this.mine.choice = this.status.presence || 'CHOICE_UNSPECIFIED';
    showView();
    if (this.status.paired && !wasPaired) await startConversation(true);
    this.statusView.update();
  },
  async refreshPresence() {
    const reply = await this.rpc.call('presence', {});
    this.mine.choice = reply.choice || 'CHOICE_UNSPECIFIED';
    this.mine.shareLastSeen = !!reply.share_last_seen;
    if (this.status) this.status.partner = reply.partner;
    this.statusView.update();
  },
  async setPresence(choice) {
    const reply = await this.rpc.call('presence', { choice });
    this.mine.choice = reply.choice;
    this.mine.shareLastSeen = !!reply.share_last_seen;
    if (this.status) this.status.partner = reply.partner;
    this.statusView.update();
  },
};

ctx.files = new Files(ctx);
ctx.statusView = new StatusView(ctx);
ctx.conversation = new Conversation(ctx, $('conversation'), $('load-older'));
ctx.composer = new Composer(ctx, $('composer'));
const settings = new Settings(ctx);
ctx.transfers = new Transfers(ctx, $('open-transfers'));

function showView() {
  const paired = !!(ctx.status && ctx.status.paired);
  $('pairing').hidden = paired;
  $('chat').hidden = !paired;
  $('open-status-pairing').hidden = paired;
  if (!paired) renderPairing(ctx, $('pairing'));
}

async function startConversation(fresh) {
  if (fresh) await ctx.conversation.loadLatest();
  else await ctx.conversation.catchUp();
  const draft = await ctx.rpc.call('draft', {});
  ctx.composer.takeDraft(draft.text || '');
  await ctx.refreshPresence();
  markRead();
}

let lastMarked = 0;
function markRead() {
  if (document.visibilityState !== 'visible' || !ctx.status || !ctx.status.paired) return;
  const last = Number(ctx.conversation.lastIncomingId());
  if (!last || last === lastMarked) return;
  lastMarked = last;
  ctx.rpc.call('mark_read', {}).catch(() => { lastMarked = 0; });
}

// Every (re)connect: subscribe as present, read where things stand, catch up by id.
ctx.rpc.onOpen(async (connects) => {
  await ctx.rpc.call('subscribe', { present: true });
  const wasPaired = ctx.status && ctx.status.paired;
  ctx.status = await ctx.rpc.call('status', {});
  ctx.mine.choice = ctx.status.presence || 'CHOICE_UNSPECIFIED';
  showView();
  if (ctx.status.paired) await startConversation(connects === 1 || !wasPaired);
  ctx.statusView.update();
  document.body.dataset.ready = 'true';
  document.body.dataset.connects = String(connects);
});
ctx.rpc.onState((state, detail) => ctx.statusView.connectionState(state, detail));

ctx.rpc.on('message_received', ({ message }) => {
  ctx.conversation.upsert(message);
  ctx.statusView.stopTyping();
  announce(message);
  markRead();
});
ctx.rpc.on('changed', ({ message }) => ctx.conversation.upsert(message));
ctx.rpc.on('same_moment', ({ message }) => {
  ctx.conversation.upsert(message);
  ctx.toast('✨ A same moment: you reached for each other at once');
  notifications.show('inmost', 'A same moment: you reached for each other at once', ctx.status && ctx.status.quiet);
});
// Something this daemon sent that the page has not seen was written by another client
// (the CLI, another tab): catch up.
let catchUpTimer = null;
function catchUpSoon() {
  clearTimeout(catchUpTimer);
  catchUpTimer = setTimeout(() => ctx.conversation.catchUp().catch(() => {}), 150);
}
ctx.rpc.on('delivered', ({ id }) => {
  if (ctx.conversation.get(id)) ctx.conversation.setState(id, 'DELIVERED');
  else catchUpSoon();
});
ctx.rpc.on('read', ({ up_to_id: upTo }) => ctx.conversation.markReadUpTo(upTo));
ctx.rpc.on('link_up', () => { if (ctx.status) ctx.status.link_up = true; ctx.statusView.update(); });
ctx.rpc.on('link_down', () => {
  if (ctx.status) { ctx.status.link_up = false; if (ctx.status.partner) ctx.status.partner.present = false; }
  ctx.statusView.update();
  ctx.statusView.stopTyping();
});
ctx.rpc.on('partner_presence', ({ present }) => {
  if (ctx.status && ctx.status.partner) ctx.status.partner.present = !!present;
  ctx.statusView.update();
});
ctx.rpc.on('partner_changed', ({ partner }) => {
  if (ctx.status) ctx.status.partner = partner;
  ctx.statusView.update();
});
ctx.rpc.on('paired', () => ctx.refreshStatus().catch(() => {}));
ctx.rpc.on('pairing_ended', () => ctx.refreshStatus().catch(() => {}));
ctx.rpc.on('partner_typing', (event) => ctx.statusView.partnerTyping(event));
ctx.rpc.on('draft', ({ text }) => ctx.composer.takeDraft(text || '', true));
ctx.rpc.on('quiet_summary', (s) => {
  ctx.toast(`While you were quiet: ${s.messages} messages, ${s.nudges} nudges, ${s.envelopes} envelopes.`);
  ctx.refreshStatus().catch(() => {});
});
ctx.rpc.on('transfer', ({ id, file }) => {
  const message = ctx.conversation.get(id);
  if (message) ctx.conversation.upsert({ ...message, file: { ...message.file, ...file } });
});

// A notification for what arrived (the daemon holds back what quiet should not announce;
// during quiet it says nothing of the content).
function announce(m) {
  const quiet = !!(ctx.status && ctx.status.quiet);
  const who = ctx.partnerName();
  let body = 'sent you something';
  if (m.kind === 'TEXT') body = m.view_once && m.view_once !== 'VIEW_ONCE_NONE' ? 'sent a view-once message' : m.text;
  else if (m.kind === 'ENVELOPE') body = 'sent you an envelope';
  else if (m.kind === 'QUESTION') body = `asks: ${m.text}`;
  else if (m.kind === 'NUDGE') body = `sent ${nudgeWords(m.nudge && m.nudge.kind)[1]}`;
  else if (m.kind === 'FILE') body = 'sent a file';
  notifications.show(who, body, quiet);
  $('announcer').textContent = `${who} at ${timeOf(m.received_at_unix_ms || Date.now())}: ${m.kind === 'TEXT' ? (m.text || 'a message') : body}`;
}

document.addEventListener('visibilitychange', markRead);
window.addEventListener('focus', markRead);
$('open-today').addEventListener('click', () => showToday(ctx));
$('open-memories').addEventListener('click', () => showMemories(ctx));
$('open-search').addEventListener('click', () => showSearch(ctx));
$('open-status').addEventListener('click', () => ctx.statusView.showDialog());
$('open-settings').addEventListener('click', () => settings.show());
$('open-status-pairing').addEventListener('click', () => ctx.statusView.showDialog());

drawIcons();
startCountdowns();
ctx.rpc.start();
window.inmost = ctx;  // for the browser's console (and the tests)

// The service worker (sw.js) keeps the page's own files for when `inmost web` is out
// of reach. A browser that allows none here (a plain-http address that is not this
// machine's) goes without: the page works the same while it is reachable.
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
