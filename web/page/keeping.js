// The settings' last sections: a backup (written by the daemon, on its own machine),
// how a backup is restored (only with the daemon stopped: words and the command, no
// button), and ending the pairing (`unpair`), asked twice in words that say what it does.
import { el, clear, bytes } from './util.js';

let sections = 0;
const MIN_PASSPHRASE_BYTES = 8;

function restoreCommand(path) {
  return `inmostd restore ${path || 'ARCHIVE'} --data-dir DIR`;
}

export function backupSection(ctx) {
  const k = ++sections;  // ids unique to this copy (settings, and the pairing screen)
  const path = el('input', { type: 'text', id: `backup-path-${k}`, testid: 'backup-path', autocomplete: 'off', spellcheck: 'false',
    placeholder: '/home/you/inmost.backup', 'aria-describedby': `backup-path-help-${k}` });
  const pass = el('input', { type: 'password', id: `backup-passphrase-${k}`, testid: 'backup-passphrase', autocomplete: 'new-password',
    'aria-describedby': `backup-passphrase-help-${k}` });
  const again = el('input', { type: 'password', id: `backup-passphrase-again-${k}`, testid: 'backup-passphrase-again', autocomplete: 'new-password' });
  const result = el('div', { testid: 'backup-result', 'aria-live': 'polite' });
  const button = el('button', { type: 'submit', testid: 'backup-button', text: 'Write the backup' });
  const command = el('code', { testid: 'restore-command', text: restoreCommand('') });
  const form = el('form', { class: 'keep-form', 'aria-labelledby': `backup-title-${k}` },
    el('div', { class: 'row' }, el('label', { for: `backup-path-${k}`, text: 'Archive' }), path),
    el('p', { class: 'faint small', id: `backup-path-help-${k}`, text: 'A full path on the daemon’s machine (it starts with /); the file must not exist yet.' }),
    el('div', { class: 'row' }, el('label', { for: `backup-passphrase-${k}`, text: 'Passphrase' }), pass),
    el('div', { class: 'row' }, el('label', { for: `backup-passphrase-again-${k}`, text: 'Once more' }), again),
    el('p', { class: 'faint small', id: `backup-passphrase-help-${k}`, text: `At least ${MIN_PASSPHRASE_BYTES} characters. Without it the archive cannot be opened: keep it safe, apart from the archive.` }),
    el('div', { class: 'button-row' }, button), result);
  const fail = (text, focus) => {
    clear(result);
    result.append(el('p', { class: 'warn', testid: 'backup-error', text }));
    if (focus) focus.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const where = path.value.trim();
    if (!where.startsWith('/')) { fail('Give the full path on the daemon’s machine, starting with /.', path); return; }
    if (new TextEncoder().encode(pass.value).length < MIN_PASSPHRASE_BYTES) { fail(`The passphrase needs at least ${MIN_PASSPHRASE_BYTES} characters.`, pass); return; }
    if (pass.value !== again.value) { fail('The two passphrases differ.', again); return; }
    button.disabled = true;
    clear(result);
    result.append(el('p', { class: 'faint', text: 'Writing the backup…' }));
    try {
      const reply = await ctx.rpc.call('backup', { path: where, passphrase: pass.value });
      pass.value = '';
      again.value = '';
      clear(result);
      const records = Number(reply.records || 0);
      result.append(el('p', { testid: 'backup-done',
        text: `Backup written to ${reply.path} on the daemon’s machine: ${records} record${records === 1 ? '' : 's'}, ${bytes(reply.bytes)}.` }));
      command.textContent = restoreCommand(reply.path);
    } catch (err) {
      fail(`No backup: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  return [
    el('section', { class: 'setting-group', testid: 'backup-section' },
      el('h3', { id: `backup-title-${k}`, text: 'Backup' }),
      el('p', { class: 'faint small', text: 'An encrypted archive of this daemon: its identity, your partner, the whole history and the files received, sealed under a passphrase you choose. The daemon writes it itself, on its own machine and as its own user; nothing comes to this browser.' }),
      form),
    el('section', { class: 'setting-group', testid: 'restore-section' },
      el('h3', { text: 'Restore' }),
      el('p', { class: 'small', testid: 'restore-words', text: 'A backup cannot be restored from this page: restoring makes a new data directory for a daemon that is not running, and this page talks to the one that runs. On the machine that is to run it, stop the daemon, then run:' }),
      el('pre', { class: 'command' }, command),
      el('p', { class: 'faint small', text: 'It reads the passphrase from the first line of standard input and makes DIR, which must not hold a store yet; then start the daemon on DIR (inmostd run --data-dir DIR). Stop the old daemon once you have made the backup: two daemons with one identity confuse your partner’s. Your partner’s daemon sends back what was said after the backup.' })),
  ];
}

// Ending the pairing: a first button opens the question, which says what happens; only
// its own button does it.
export function unpairSection(ctx, onDone) {
  const section = el('section', { class: 'setting-group danger', testid: 'unpair-section' }, el('h3', { id: 'unpair-title', text: 'End the pairing' }));
  const name = ctx.partnerName();
  const start = el('button', { type: 'button', class: 'quiet', testid: 'unpair-start', text: `End the pairing with ${name}…`, 'aria-expanded': 'false', 'aria-controls': 'unpair-confirm-box' });
  const result = el('div', { testid: 'unpair-result', 'aria-live': 'polite' });
  const forget = el('input', { type: 'checkbox', id: 'unpair-forget-history', testid: 'unpair-forget-history' });
  const confirm = el('button', { type: 'button', class: 'danger', testid: 'unpair-confirm' });
  const cancel = el('button', { type: 'button', class: 'quiet', testid: 'unpair-cancel', text: 'Keep the pairing' });
  const words = el('p', { id: 'unpair-words', testid: 'unpair-words' });
  const box = el('div', { id: 'unpair-confirm-box', class: 'confirm-box', role: 'group', 'aria-labelledby': 'unpair-title', 'aria-describedby': 'unpair-words', hidden: true },
    words,
    el('label', { class: 'check' }, forget,
      el('span', { text: `Also delete the whole history here, for good, and ask ${name}’s daemon to delete theirs (it can only be asked: what it does is up to ${name}).` })),
    el('div', { class: 'button-row' }, confirm, cancel));
  const describe = () => {
    words.textContent = forget.checked
      ? `This forgets ${name} (their key and the addresses to reach them) and deletes your whole history here. ${name}’s daemon is told and asked to delete theirs. To talk again you must pair anew with an invite.`
      : `This forgets ${name}: their key and the addresses to reach them. The history stays here. ${name}’s daemon is told, and from then on nothing more can be sent either way. To talk again you must pair anew with an invite.`;
    confirm.textContent = forget.checked ? `Yes: forget ${name} and delete our history` : `Yes: forget ${name}`;
  };
  describe();
  forget.addEventListener('change', describe);
  start.addEventListener('click', () => {
    box.hidden = false;
    start.setAttribute('aria-expanded', 'true');
    cancel.focus();
  });
  cancel.addEventListener('click', () => {
    box.hidden = true;
    forget.checked = false;
    describe();
    start.setAttribute('aria-expanded', 'false');
    start.focus();
  });
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    clear(result);
    try {
      const reply = await ctx.rpc.call('unpair', { confirm: true, forget_history: forget.checked });
      const said = [forget.checked ? 'Unpaired: the history here is deleted, and your partner’s daemon is asked to delete theirs.' : 'Unpaired; the history stays.'];
      said.push(reply.partner_told
        ? 'Your partner’s daemon knows, and their key and addresses are forgotten here.'
        : 'Your partner’s daemon is told as soon as it is reachable; until then nothing else is sent. End the pairing again to forget them now without telling them.');
      box.hidden = true;
      start.setAttribute('aria-expanded', 'false');
      result.append(el('p', { testid: 'unpair-done', text: said.join(' ') }));
      ctx.toast(said.join(' '));
      await onDone(reply);
    } catch (err) {
      result.append(el('p', { class: 'warn', testid: 'unpair-error', text: err.message }));
    } finally {
      confirm.disabled = false;
    }
  });
  section.append(el('p', { class: 'faint small', text: 'Ending the pairing cannot be undone: only a new invite pairs you again.' }), start, box, result);
  return section;
}
