// Who is who and how things stand: the header's partner line (presence, typing, link)
// and the status dialog (fingerprints, safety number, link, addresses, Tor, invite + QR).
import { el, clear, dateTimeOf, makeDialog } from './util.js';

const CHOICE_WORDS = { HERE: 'here', AWAY: 'away', QUIET: 'quiet', HIDDEN: 'hidden' };

// "here, chat open", or why nothing can be seen.
export function partnerPresenceWords(view, mine) {
  if (!view) return 'not paired';
  if (mine.choice === 'HIDDEN') return 'you are hidden, so you see nothing of them';
  const choice = view.choice || 'CHOICE_UNSPECIFIED';
  let words = CHOICE_WORDS[choice] || 'presence not shared with you';
  if (view.present) words += choice === 'CHOICE_UNSPECIFIED' ? '' : ', chat open';
  if (view.quiet) words += ', quiet now';
  if (!view.present && view.last_seen_unix_ms && view.last_seen_unix_ms !== '0') {
    words += `, last seen ${dateTimeOf(view.last_seen_unix_ms)}`;
  }
  return words;
}

export function reciprocityWords(mine) {
  if (mine.choice === 'HIDDEN') return 'You are hidden: you share nothing, and see nothing of your partner in return.';
  if (!mine.shareLastSeen) return 'You do not share your last seen, so you do not see theirs: you see it only while you share yours.';
  return 'You see your partner’s presence and last seen only while you share yours; they see yours only while they share theirs.';
}

export class StatusView {
  constructor(ctx) {
    this.ctx = ctx;
    this.name = document.querySelector('[data-testid="partner-name"]');
    this.presence = document.querySelector('[data-testid="partner-presence"]');
    this.typing = document.querySelector('[data-testid="typing-indicator"]');
    this.link = document.querySelector('[data-testid="link-state"]');
    this.connection = document.querySelector('[data-testid="connection-state"]');
    this.typingTimer = null;
  }

  update() {
    const s = this.ctx.status || {};
    const view = s.partner;
    this.name.textContent = this.ctx.partnerName();
    this.presence.dataset.choice = (view && view.choice) || 'CHOICE_UNSPECIFIED';
    this.presence.dataset.present = String(!!(view && view.present));
    this.presence.textContent = partnerPresenceWords(view, this.ctx.mine);
    const up = !!s.link_up;
    this.link.dataset.state = up ? 'up' : 'down';
    this.link.title = up ? 'connected to your partner' : 'your partner is not reachable now: messages wait and go later';
    this.link.setAttribute('aria-label', this.link.title);
    document.title = `inmost · ${this.ctx.partnerName()}`;
  }

  connectionState(state, detail) {
    this.connection.dataset.state = state;
    this.connection.hidden = state === 'open';
    this.connection.textContent = state === 'open' ? '' : state === 'connecting'
      ? 'Connecting to inmost…' : `Not connected to inmost: ${detail || ''}`;
  }

  partnerTyping(event) {
    clearTimeout(this.typingTimer);
    if (!event.typing) { this.typing.hidden = true; return; }
    this.typing.textContent = `${this.ctx.partnerName()} is writing…`;
    this.typing.hidden = false;
    const left = Math.max(1000, Number(event.until_unix_ms) - Date.now());
    this.typingTimer = setTimeout(() => { this.typing.hidden = true; }, Math.min(left, 10000));
  }

  stopTyping() { clearTimeout(this.typingTimer); this.typing.hidden = true; }

  async showDialog() {
    if (!this.dialog) this.dialog = makeDialog('status-dialog', 'Status');
    const { dialog, body } = this.dialog;
    clear(body);
    let s;
    try {
      s = await this.ctx.rpc.call('status', {});
      this.ctx.status = s;
    } catch (err) {
      body.append(el('p', { text: err.message }));
      dialog.showModal();
      return;
    }
    const rows = el('dl', { class: 'fields' });
    const row = (label, value, testid) => rows.append(el('dt', { text: label }), el('dd', { testid, text: value }));
    row('Your fingerprint', s.fingerprint, 'status-fingerprint');
    if (s.paired) {
      row('Partner', this.ctx.partnerName());
      row('Partner fingerprint', s.partner_fingerprint, 'status-partner-fingerprint');
      row('Safety number', s.safety_number, 'status-safety-number');
      row('Link', s.link_up ? 'up: you are connected' : 'down: messages wait and go once you are connected', 'status-link');
      row('Not yet stored by your partner', s.unacknowledged);
    } else {
      row('Paired', 'not yet');
    }
    row('Listening at', s.listen_address || '');
    if (s.tor && s.tor.state) row('Tor', `${s.tor.state}${s.tor.onion_address ? ` · ${s.tor.onion_address}${s.tor.published ? ' (published)' : ''}` : ''}`);
    if (s.partner_refuses) row('Your partner’s daemon waits', s.partner_refuses);
    if (s.refusing_partner) row('This daemon waits', s.refusing_partner);
    body.append(rows);
    if (s.paired) body.append(partnerAddresses(this.ctx));
    if (s.paired) {
      body.append(el('p', { class: 'faint small', text: 'Compare the safety number with your partner over a channel you trust (in person, or a call). If it matches, nobody is in between.' }));
      body.append(el('h3', { text: 'Safety number as a QR code' }),
        el('img', { class: 'qr', testid: 'safety-qr', alt: 'QR code of the safety number',
          src: `/qr.svg?text=${encodeURIComponent(s.safety_number)}` }));
    } else {
      body.append(inviteBlock(this.ctx));
    }
    dialog.showModal();
  }
}

// Where this daemon dials the partner (`partner_addresses`), in the order it tries them,
// with a button to remove each and a field to add one (tried first).
export function partnerAddresses(ctx) {
  const list = el('ol', { class: 'addresses', testid: 'partner-addresses', 'aria-label': 'Partner addresses, in the order they are tried' });
  const result = el('p', { testid: 'partner-addresses-result', 'aria-live': 'polite' });
  const input = el('input', { type: 'text', id: 'partner-address-new', testid: 'partner-address-input', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'host:port', 'aria-describedby': 'partner-address-help' });
  const add = el('button', { type: 'submit', testid: 'partner-address-add', text: 'Add' });
  const form = el('form', { class: 'answer-form' }, el('label', { for: 'partner-address-new', class: 'visually-hidden', text: 'Another address for your partner' }), input, add);
  const show = (addresses) => {
    clear(list);
    list.dataset.count = String(addresses.length);
    if (!addresses.length) list.append(el('li', { class: 'faint', text: 'none known' }));
    for (const address of addresses) {
      list.append(el('li', { class: 'address', testid: 'partner-address', dataset: { address } },
        el('code', { text: address }),
        el('button', { type: 'button', class: 'quiet small-button', testid: 'partner-address-remove', text: 'Remove',
          'aria-label': `Remove ${address}`, onclick: () => change({ remove: [address] }, `${address} is no longer tried.`) })));
    }
  };
  const change = async (params, done) => {
    result.className = '';
    result.textContent = '';
    try {
      const reply = await ctx.rpc.call('partner_addresses', params);
      show(reply.addresses || []);
      result.textContent = done;
      return true;
    } catch (err) {
      result.className = 'warn';
      result.textContent = err.message;
      return false;
    }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const given = input.value.split(/[\s,]+/).filter(Boolean);
    if (!given.length) { input.focus(); return; }
    if (await change({ add: given }, `${given.join(', ')} added: tried first.`)) input.value = '';
  });
  change({}, '');
  return el('section', { class: 'partner-addresses', 'aria-labelledby': 'partner-addresses-title' },
    el('h3', { id: 'partner-addresses-title', text: 'Where your daemon reaches your partner' }),
    el('p', { class: 'faint small', text: 'Tried in this order; the one that worked last comes first. Your partner’s daemon also says where it listens each time you connect, and those join the list (at most 8).' }),
    list, form,
    el('p', { class: 'faint small', id: 'partner-address-help', text: 'host:port: an IP address ([::1]:7433 for IPv6), a name, or an onion service (xxxx.onion:7433, reached when the daemon runs with --proxy).' }),
    result);
}

// "Make an invite": the code as text and a QR code (/qr.svg), with optional addresses.
export function inviteBlock(ctx) {
  const addresses = el('input', { type: 'text', testid: 'invite-addresses', 'aria-label': 'Addresses your partner can reach you at (optional)',
    placeholder: 'host:port, … (optional)' });
  const result = el('div', { class: 'invite-result', 'aria-live': 'polite' });
  const button = el('button', { type: 'button', testid: 'invite-button', text: 'Make an invite' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    clear(result);
    const params = {};
    const given = addresses.value.split(/[\s,]+/).filter(Boolean);
    if (given.length) params.addresses = given;
    try {
      const reply = await ctx.rpc.call('invite', params);
      const code = el('textarea', { class: 'code', testid: 'invite-code', readonly: true, rows: '4', 'aria-label': 'Your invite code' });
      code.value = reply.code;
      result.append(el('p', { text: `Give this code to your partner (valid until ${dateTimeOf(Number(reply.expires_at_unix) * 1000)}). It works once.` }),
        code,
        el('button', { type: 'button', class: 'quiet', text: 'Copy', onclick: () => navigator.clipboard.writeText(reply.code).then(() => ctx.toast('Copied'), () => code.select()) }),
        el('img', { class: 'qr', testid: 'invite-qr', alt: 'QR code of the invite', src: `/qr.svg?text=${encodeURIComponent(reply.code)}` }));
      if (reply.note) result.append(el('p', { class: 'warn', text: reply.note }));
    } catch (err) {
      result.append(el('p', { class: 'warn', testid: 'invite-error', text: err.message }));
    } finally {
      button.disabled = false;
    }
  });
  return el('section', { class: 'invite', 'aria-label': 'Invite' },
    el('h3', { text: 'Invite your partner' }), addresses, button, result);
}
