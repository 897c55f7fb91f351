// Web Notifications while the page is open (permission asked on a click), honouring
// quiet: during quiet a notification says nothing of the content.
class Notifications {
  supported() { return typeof Notification !== 'undefined'; }

  describe() {
    if (!this.supported()) return 'This browser shows no notifications.';
    if (Notification.permission === 'granted') return 'Allowed: new messages are announced while this page is open and you are elsewhere.';
    if (Notification.permission === 'denied') return 'Blocked in this browser’s site settings.';
    return 'Not allowed yet.';
  }

  async ask() {
    if (this.supported() && Notification.permission === 'default') await Notification.requestPermission();
  }

  // `quiet`: only that something arrived, nothing of who said what.
  show(title, body, quiet) {
    if (!this.supported() || Notification.permission !== 'granted') return;
    if (document.visibilityState === 'visible' && document.hasFocus()) return;
    const options = quiet ? { body: 'Something arrived while you are quiet.', silent: true } : { body };
    try {
      const n = new Notification(quiet ? 'inmost' : title, { ...options, icon: 'icon.svg', tag: 'inmost' });
      n.addEventListener('click', () => { window.focus(); n.close(); });
    } catch {
      // Some browsers allow notifications only from a service worker.
    }
  }
}

export const notifications = new Notifications();
