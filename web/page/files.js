// Files: upload in chunks (base64) with progress and cancel, download into a Blob shown
// through object URLs that are revoked (never cached), inline images and audio, voice notes.
import { el, bytes, toBase64, fromBase64, num } from './util.js';

const urls = new WeakMap();  // element -> object URL it holds

function hold(node, url) { urls.set(node, url); node.dataset.objectUrl = '1'; }

export class Files {
  constructor(ctx) { this.ctx = ctx; }

  // Revokes every object URL held under `root` (a message being replaced or removed).
  release(root) {
    for (const node of [root, ...root.querySelectorAll('[data-object-url]')]) {
      const url = urls.get(node);
      if (url) { URL.revokeObjectURL(url); urls.delete(node); }
    }
  }

  // Sends `file` (a File or Blob with a name): upload, then `send` with its upload_id.
  // `progress` gets (done, total); `signal.cancelled` stops it. Resolves with the send reply.
  async upload(file, name, sendParams, progress, signal) {
    const rpc = this.ctx.rpc;
    const started = await rpc.call('upload', { name, size: file.size, type: file.type || '' });
    const id = started.upload_id;
    const chunk = started.chunk_bytes || 65536;
    try {
      let index = 0;
      for (let offset = 0; offset < file.size || (offset === 0 && index === 0); offset += chunk, index++) {
        if (signal.cancelled) throw new Error('cancelled');
        const data = toBase64(await file.slice(offset, offset + chunk).arrayBuffer());
        const reply = await rpc.call('upload_chunk', { upload_id: id, index, data });
        progress(Math.min(file.size, offset + chunk), file.size);
        if (reply.complete || file.size === 0) break;
      }
      if (signal.cancelled) throw new Error('cancelled');
      return await rpc.call('send', { ...sendParams, upload_id: id });
    } catch (err) {
      rpc.call('upload_cancel', { upload_id: id }).catch(() => {});
      throw err;
    }
  }

  // The whole file as a Blob, read in parts; a view-once file through `view`, whose
  // last part ends the view (then `onViewed` gets the message's new view).
  async fetchBlob(m, onViewed) {
    const parts = [];
    let offset = 0;
    let type = (m.file && m.file.type) || 'application/octet-stream';
    for (;;) {
      let reply;
      if (onViewed) {
        const viewed = await this.ctx.rpc.call('view', { id: m.id, offset });
        reply = viewed.file;
        if (reply.end && viewed.message) onViewed(viewed.message);
      } else {
        reply = await this.ctx.rpc.call('download', { id: m.id, offset });
      }
      const data = fromBase64(reply.data);
      parts.push(data);
      offset = num(reply.offset) + data.length;
      if (reply.type) type = reply.type;
      if (reply.end || data.length === 0) break;
    }
    return new Blob(parts, { type });
  }

  async save(m) {
    try {
      const blob = await this.fetchBlob(m);
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: (m.file && m.file.name) || `file-${m.id}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      this.ctx.toast(`Could not download: ${err.message}`);
    }
  }

  renderFile(m) {
    const f = m.file || {};
    const box = el('div', { class: 'file', testid: 'file', dataset: { state: f.state || '' } });
    const kind = (f.type || '').split('/')[0];
    const label = el('p', { class: 'file-name' }, el('span', { 'aria-hidden': 'true', text: kind === 'image' ? '🖼 ' : kind === 'audio' ? '🎙 ' : '📎 ' }),
      el('span', { text: f.name || 'a file' }), el('span', { class: 'faint small', text: ` · ${bytes(f.size)}` }));
    box.append(label);
    if (f.state === 'SENDING' || f.state === 'RECEIVING') {
      box.append(el('progress', { max: String(num(f.size) || 1), value: String(num(f.bytes_done)), testid: 'file-progress',
        'aria-label': f.state === 'SENDING' ? 'sent so far' : 'received so far' }));
    }
    if (f.state === 'FAILED') box.append(el('p', { class: 'warn', text: `Failed: ${f.error}` }));
    // The daemon gives back a received file once complete (and open), and one you sent
    // only while it still has it to send.
    const ready = f.state === 'RECEIVED' || (m.direction === 'OUTGOING' && f.state === 'SENDING');
    if (!ready) return box;
    const show = (what, make) => {
      const button = el('button', { type: 'button', class: 'quiet', testid: 'file-show', text: what });
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          const blob = await this.fetchBlob(m);
          const url = URL.createObjectURL(blob);
          const media = make(url);
          hold(media, url);
          button.replaceWith(media);
        } catch (err) {
          button.disabled = false;
          this.ctx.toast(`Could not open the file: ${err.message}`);
        }
      });
      box.append(button);
    };
    if (kind === 'image') {
      show('Show the picture', (url) => {
        const img = el('img', { src: url, alt: f.name || 'a picture', class: 'inline-image', testid: 'file-image' });
        // Once decoded, the picture needs its URL no more.
        img.addEventListener('load', () => { URL.revokeObjectURL(url); urls.delete(img); }, { once: true });
        return img;
      });
    } else if (kind === 'audio' || kind === 'video') {
      show(kind === 'audio' ? 'Listen' : 'Watch', (url) => el(kind, { src: url, controls: true, testid: `file-${kind}`, 'aria-label': f.name || kind }));
    }
    box.append(el('button', { type: 'button', class: 'quiet', testid: 'file-download', text: 'Download', onclick: () => this.save(m) }));
    return box;
  }
}

// Records a voice note with MediaRecorder: start() then stop() resolves with a Blob.
export class VoiceRecorder {
  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm']
      .find((t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t)) || '';
    this.recorder = new MediaRecorder(this.stream, type ? { mimeType: type } : {});
    this.parts = [];
    this.recorder.addEventListener('dataavailable', (e) => { if (e.data.size) this.parts.push(e.data); });
    this.recorder.start();
  }

  stop() {
    return new Promise((resolve) => {
      this.recorder.addEventListener('stop', () => {
        for (const track of this.stream.getTracks()) track.stop();
        const type = (this.recorder.mimeType || 'audio/webm').split(';')[0];
        resolve(new Blob(this.parts, { type }));
      }, { once: true });
      this.recorder.stop();
    });
  }

  cancel() {
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
  }
}
