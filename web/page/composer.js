// The composer: text with the ways a message can travel (sealed until a time or for N
// minutes, gentle, together, scheduled, urgent, view-once), reply/edit, files, voice notes.
import { el, bytes, NUDGES } from './util.js';
import { VoiceRecorder } from './files.js';
import { setIcon, icon } from './icons.js';

const TYPING_EVERY_MS = 1500;
const DRAFT_AFTER_MS = 800;

export class Composer {
  constructor(ctx, root) {
    this.ctx = ctx;
    this.root = root;
    this.reply = null;
    this.editing = null;
    this.lastTyping = 0;
    this.draftTimer = null;
    this.savedDraft = '';
    this.ownDrafts = new Map();  // texts this page set lately -> when (their events echo back)
    const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
    this.text = $('composer-text');
    this.sendButton = $('send-button');
    this.banner = $('composer-banner');
    this.options = $('composer-options');
    this.mode = $('composer-mode');
    this.minutes = $('composer-minutes');
    this.unit = $('composer-unit');
    this.at = $('composer-at');
    this.note = $('composer-note');
    this.urgent = $('composer-urgent');
    this.viewOnce = $('composer-view-once');
    this.fileInput = $('composer-file');
    this.uploads = $('uploads');
    this.voiceButton = $('voice-button');
    this.nudgeMenu = $('nudge-menu');
    root.addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
    this.text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.send(); }
      if (e.key === 'Escape') this.clearContext();
    });
    this.text.addEventListener('input', () => this.typed());
    this.mode.addEventListener('change', () => this.showMode());
    $('options-toggle').addEventListener('click', (e) => {
      this.options.hidden = !this.options.hidden;
      e.currentTarget.setAttribute('aria-expanded', String(!this.options.hidden));
    });
    $('attach-button').addEventListener('click', () => this.fileInput.click());
    this.fileInput.addEventListener('change', () => {
      for (const file of this.fileInput.files) this.sendFile(file, file.name);
      this.fileInput.value = '';
    });
    this.voiceButton.addEventListener('click', () => this.toggleVoice());
    for (const [kind, words, emoji] of NUDGES) {
      this.nudgeMenu.append(el('button', { type: 'button', role: 'menuitem', testid: `nudge-${kind}`,
        text: `${emoji} ${words}`, onclick: () => this.nudge(kind) }));
    }
    this.showMode();
  }

  showMode() {
    const mode = this.mode.value;
    for (const node of this.root.querySelectorAll('[data-for-mode]')) {
      node.hidden = !node.dataset.forMode.split(' ').includes(mode);
    }
  }

  // The send request's envelope or schedule fields for the chosen mode.
  modeParams() {
    const mode = this.mode.value;
    const note = this.note.value.trim();
    const envelope = (fields) => (note ? { ...fields, note } : fields);
    switch (mode) {
      case 'open-in': {
        const count = Number(this.minutes.value);
        if (!(count > 0)) throw new Error('Say how soon it opens.');
        const unitMs = Number(this.unit.value) || 60000;
        return envelope({ open_at_unix_ms: String(Date.now() + Math.round(count * unitMs)) });
      }
      case 'open-at': {
        const at = new Date(this.at.value).getTime();
        if (!at || at <= Date.now()) throw new Error('Choose a time in the future for it to open.');
        return envelope({ open_at_unix_ms: String(at) });
      }
      case 'gentle': return envelope({ gentle: true });
      case 'together': return envelope({ together: true });
      case 'scheduled': {
        const at = new Date(this.at.value).getTime();
        if (!at || at <= Date.now()) throw new Error('Choose a time in the future to send it.');
        return { send_at_unix_ms: String(at) };
      }
      default: {
        const params = {};
        if (this.urgent.checked) params.urgent = true;
        if (this.viewOnce.checked) params.view_once = true;
        return params;
      }
    }
  }

  resetMode() {
    this.mode.value = 'now';
    this.note.value = '';
    this.urgent.checked = false;
    this.viewOnce.checked = false;
    this.showMode();
  }

  async send() {
    const text = this.text.value.trim();
    if (!text) { this.text.focus(); return; }
    this.sendButton.disabled = true;
    try {
      if (this.editing) {
        const reply = await this.ctx.rpc.call('edit', { id: this.editing.id, text });
        if (reply.message) this.ctx.conversation.upsert(reply.message);
      } else {
        const params = { text, ...this.modeParams() };
        if (this.reply) params.reply_to = this.reply.id;
        await this.ctx.rpc.call('send', params);
        this.resetMode();
        await this.ctx.conversation.catchUp();
      }
      this.text.value = '';
      this.clearContext();
      this.stopTyping();
      this.saveDraftNow('');
    } catch (err) {
      this.ctx.toast(err.message);
    } finally {
      this.sendButton.disabled = false;
      this.text.focus();
    }
  }

  typed() {
    const now = Date.now();
    if (this.text.value && now - this.lastTyping > TYPING_EVERY_MS) {
      this.lastTyping = now;
      this.ctx.rpc.call('typing', {}).catch(() => {});
    }
    if (!this.text.value) this.stopTyping();
    if (this.editing) return;
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.saveDraftNow(this.text.value), DRAFT_AFTER_MS);
  }

  stopTyping() {
    if (!this.lastTyping) return;
    this.lastTyping = 0;
    this.ctx.rpc.call('typing', { stopped: true }).catch(() => {});
  }

  saveDraftNow(text) {
    clearTimeout(this.draftTimer);
    if (text === this.savedDraft) return;
    this.savedDraft = text;
    const now = Date.now();
    for (const [old, at] of this.ownDrafts) if (now - at > 10000) this.ownDrafts.delete(old);
    this.ownDrafts.set(text, now);
    this.ctx.rpc.call('draft', { set: true, text }).catch(() => {});
  }

  // A draft from the daemon (on connecting, or another client changed it): taken up
  // unless this composer holds unsaved changes of its own.
  takeDraft(text, fromEvent = false) {
    // The echo of this page's own change, perhaps overtaken by a newer one.
    if (fromEvent && this.ownDrafts.has(text)) return;
    const unsaved = this.text.value !== this.savedDraft;
    this.savedDraft = text;
    if (!unsaved && !this.editing) this.text.value = text;
  }

  replyTo(m) {
    this.editing = null;
    this.reply = m;
    this.showBanner(`Replying to: ${m.text || m.quoted || `#${m.id}`}`);
  }

  edit(m) {
    this.reply = null;
    this.editing = m;
    this.text.value = m.text;
    this.showBanner('Editing your message (both of you keep every version)');
  }

  showBanner(words) {
    this.banner.replaceChildren(el('span', { class: 'banner-text', testid: 'composer-banner-text', text: words }),
      el('button', { type: 'button', class: 'icon', 'aria-label': 'Cancel', onclick: () => this.clearContext() }, icon('close')));
    this.banner.hidden = false;
    this.text.focus();
  }

  clearContext() {
    if (this.editing) this.text.value = this.savedDraft;
    this.reply = null;
    this.editing = null;
    this.banner.hidden = true;
  }

  async nudge(kind) {
    this.nudgeMenu.closest('details').open = false;
    try {
      const reply = await this.ctx.rpc.call('nudge', { kind });
      if (reply.queued) this.ctx.toast('Your partner is away: the nudge waits and goes when they are back.');
      await this.ctx.conversation.catchUp();
    } catch (err) {
      this.ctx.toast(err.message);
    }
  }

  // A file (or a recorded voice note) with a progress bar and a cancel button.
  async sendFile(file, name) {
    let params;
    try {
      params = { text: this.text.value.trim(), ...this.modeParams() };
      delete params.urgent;
      // A view-once file has no caption: the words stay in the box for a message.
      if (params.view_once) delete params.text;
      if (params.send_at_unix_ms) throw new Error('A file cannot be scheduled.');
    } catch (err) { this.ctx.toast(err.message); return; }
    const signal = { cancelled: false };
    const bar = el('progress', { max: String(file.size || 1), value: '0', testid: 'upload-progress', 'aria-label': `sending ${name}` });
    const row = el('div', { class: 'upload', testid: 'upload' },
      el('span', { class: 'file-name', text: `${name} · ${bytes(file.size)}` }), bar,
      el('button', { type: 'button', class: 'quiet', testid: 'upload-cancel', text: 'Cancel',
        onclick: () => { signal.cancelled = true; } }));
    this.uploads.append(row);
    try {
      await this.ctx.files.upload(file, name, params, (done) => { bar.value = done; }, signal);
      if (params.text) { this.text.value = ''; this.saveDraftNow(''); }
      this.resetMode();
      await this.ctx.conversation.catchUp();
    } catch (err) {
      if (!signal.cancelled) {
        this.ctx.toast(err.codeName === 'method_not_found' ? 'This daemon cannot take files from the page yet.' : `Could not send ${name}: ${err.message}`);
      }
    } finally {
      row.remove();
    }
  }

  async toggleVoice() {
    if (this.recorder) {
      const recorder = this.recorder;
      this.recorder = null;
      setIcon(this.voiceButton, 'mic');
      this.voiceButton.setAttribute('aria-label', 'Record a voice note');
      this.voiceButton.classList.remove('recording');
      clearInterval(this.voiceTimer);
      delete this.voiceButton.dataset.seconds;
      const blob = await recorder.stop();
      const ext = blob.type.includes('ogg') ? 'ogg' : 'webm';
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      this.sendFile(blob, `voice-note-${stamp}.${ext}`);
      return;
    }
    try {
      const recorder = new VoiceRecorder();
      await recorder.start();
      this.recorder = recorder;
      setIcon(this.voiceButton, 'stop');
      this.voiceButton.setAttribute('aria-label', 'Stop and send the voice note');
      this.voiceButton.classList.add('recording');
      const started = Date.now();
      this.voiceButton.dataset.seconds = '0';
      this.voiceTimer = setInterval(() => {
        const seconds = Math.floor((Date.now() - started) / 1000);
        this.voiceButton.dataset.seconds = String(seconds);
        this.voiceButton.setAttribute('aria-label', `Recording, ${seconds} s: stop and send the voice note`);
      }, 250);
    } catch (err) {
      this.ctx.toast(`No microphone: ${err.message}`);
    }
  }
}
