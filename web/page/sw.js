// The page's service worker: it keeps a copy of the page's own files (never a message,
// a file, a QR code or anything else from the daemon: those travel over the WebSocket,
// which a service worker never sees, or are not in SHELL) so the page opens from a
// phone's home screen even when `inmost web` cannot be reached, and then says so.
// Network first: a page served by a newer `inmost web` replaces the copy at once.
const CACHE = 'inmost-page';
// Every file of web/page/ but this one (test_web.py checks the list).
const SHELL = ['/', '/app.js', '/composer.js', '/conversation.js', '/envelopes.js', '/export.js', '/files.js',
  '/icon.svg', '/icons.js', '/index.html', '/keeping.js', '/manifest.webmanifest', '/memories.js', '/message.js',
  '/notify.js', '/pairing.js', '/questions.js', '/rpc.js', '/search.js', '/settings.js',
  '/status.js', '/style.css', '/transfers.js', '/util.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.search !== '' ||
      !SHELL.includes(url.pathname)) {
    return;  // The browser fetches it as if there were no service worker.
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(event.request, response.clone());
      return response;
    } catch (err) {
      const kept = await cache.match(event.request);
      if (kept) return kept;
      throw err;
    }
  })());
});
