// Settings: what you show your partner (presence, with reciprocity in words), quiet for
// a while and quiet hours, your boundaries and names from `config`, notifications, and
// last what keeps or ends the conversation: export, backup and restore, unpair.
import { el, clear, makeDialog, dateTimeOf } from './util.js';
import { exportSection } from './export.js';
import { backupSection, unpairSection } from './keeping.js';
import { reciprocityWords } from './status.js';
import { notifications } from './notify.js';

const CHOICES = [
  ['HERE', 'Here', 'Your partner sees when you have the conversation open, and your last seen if you share it.'],
  ['AWAY', 'Away', 'You show as away.'],
  ['QUIET', 'Quiet', 'You show as quiet.'],
  ['HIDDEN', 'Hidden', 'You share nothing, not even last seen, and see nothing of them.'],
];
const QUIET_FOR = [['30 min', 1800], ['1 hour', 3600], ['2 hours', 7200], ['8 hours', 28800]];
// Settings shown as on/off switches; the rest as text.
const ON_OFF = new Set(['share-last-seen', 'read-receipts', 'honour-forget', 'share-typing']);

export class Settings {
  constructor(ctx) { this.ctx = ctx; }

  async show() {
    if (!this.dialog) this.dialog = makeDialog('settings-dialog', 'You and your boundaries');
    await this.fill();
    if (!this.dialog.dialog.open) this.dialog.dialog.showModal();
  }

  async fill() {
    const { body } = this.dialog;
    const ctx = this.ctx;
    clear(body);
    let config = [];
    try {
      await ctx.refreshPresence();
      config = (await ctx.rpc.call('config', {})).settings || [];
    } catch (err) {
      body.append(el('p', { class: 'warn', text: err.message }));
    }
    // Presence.
    const select = el('select', { testid: 'presence-select', 'aria-describedby': 'presence-help' });
    for (const [value, label] of CHOICES) select.append(el('option', { value, text: label }));
    select.value = ctx.mine.choice === 'CHOICE_UNSPECIFIED' ? 'HERE' : ctx.mine.choice;
    const help = el('p', { id: 'presence-help', class: 'faint small', testid: 'reciprocity', text: reciprocityWords(ctx.mine) });
    const explain = el('p', { class: 'faint small', text: (CHOICES.find(([v]) => v === select.value) || [])[2] || '' });
    select.addEventListener('change', async () => {
      try {
        await ctx.setPresence(select.value);
        help.textContent = reciprocityWords(ctx.mine);
        explain.textContent = (CHOICES.find(([v]) => v === select.value) || [])[2] || '';
      } catch (err) { ctx.toast(err.message); }
    });
    body.append(el('section', { class: 'setting-group' }, el('h3', { text: 'What your partner sees' }),
      el('label', { class: 'row' }, el('span', { text: 'Presence' }), select), explain, help));
    // Quiet.
    const s = ctx.status || {};
    const quietState = el('p', { testid: 'quiet-state', text: s.quiet ? `Quiet until ${dateTimeOf(s.quiet_until_unix_ms)}: only urgent messages are announced.` : 'Not quiet: everything is announced.' });
    const quietRow = el('div', { class: 'button-row' });
    for (const [label, seconds] of QUIET_FOR) {
      quietRow.append(el('button', { type: 'button', class: 'quiet', testid: `quiet-${seconds}`, text: label,
        onclick: () => this.quiet({ for_seconds: seconds }) }));
    }
    if (s.quiet) quietRow.append(el('button', { type: 'button', testid: 'quiet-end', text: 'End quiet now', onclick: () => this.quiet({ end: true }) }));
    body.append(el('section', { class: 'setting-group' }, el('h3', { text: 'Quiet' }), quietState,
      el('p', { class: 'faint small', text: 'While quiet, messages keep arriving but only urgent ones are announced; your partner sees that you are quiet.' }), quietRow));
    // Notifications.
    body.append(el('section', { class: 'setting-group' }, el('h3', { text: 'Notifications' }),
      el('p', { class: 'faint small', testid: 'notify-state', text: notifications.describe() }),
      el('button', { type: 'button', class: 'quiet', testid: 'notify-enable', text: 'Allow notifications while this page is open',
        onclick: async () => { await notifications.ask(); this.fill(); } })));
    // Boundaries and names.
    const group = el('section', { class: 'setting-group' }, el('h3', { text: 'Boundaries and names' }));
    for (const setting of config) group.append(this.settingRow(setting));
    body.append(group);
    // Export and backup are made once and kept, so a refill (after a quiet or a switch)
    // keeps what is typed there; unpair names the partner of the moment.
    if (!this.keeping) this.keeping = [exportSection(ctx), ...backupSection(ctx)];
    body.append(...this.keeping);
    if (ctx.status && ctx.status.paired) {
      body.append(unpairSection(ctx, async () => {
        await ctx.refreshStatus();
        if (!(ctx.status && ctx.status.paired)) this.dialog.dialog.close();
      }));
    }
  }

  settingRow(setting) {
    const id = `setting-${setting.key}`;
    const label = el('label', { for: id, text: setting.key });
    const describe = el('p', { class: 'faint small', id: `${id}-help`, text: setting.description });
    let input;
    if (ON_OFF.has(setting.key)) {
      input = el('input', { type: 'checkbox', id, testid: id, role: 'switch', 'aria-describedby': `${id}-help` });
      input.checked = setting.value === 'on';
      input.addEventListener('change', () => this.set(setting.key, input.checked ? 'on' : 'off', input));
    } else {
      input = el('input', { type: 'text', id, testid: id, 'aria-describedby': `${id}-help` });
      input.value = setting.value;
      input.addEventListener('change', () => this.set(setting.key, input.value.trim() || 'off', input));
    }
    return el('div', { class: 'setting' }, el('div', { class: 'row' }, label, input), describe);
  }

  async set(key, value, input) {
    try {
      await this.ctx.rpc.call('config', { key, value });
      this.ctx.toast(`${key} is now ${value}`);
      await this.ctx.refreshStatus();
      if (key === 'share-last-seen') await this.fill();
    } catch (err) {
      this.ctx.toast(err.message);
      input.classList.add('invalid');
    }
  }

  async quiet(params) {
    try {
      await this.ctx.rpc.call('quiet', params);
      await this.ctx.refreshStatus();
      await this.fill();
    } catch (err) { this.ctx.toast(err.message); }
  }
}
