// The WebSocket JSON-RPC 2.0 client of the daemon's control API (docs/api.md): ids and
// pending promises, event listeners, and reconnection with backoff (0.2 s doubling to 5 s).
export class RpcError extends Error {
  constructor(error, method) {
    super(error.message || 'error');
    this.code = error.code;
    this.codeName = (error.data && error.data.code_name) || error.codeName || '';
    this.method = method;
  }
}

const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 5000;

export class Rpc {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();  // event kind (or '*') -> Set of functions
    this.openHooks = [];         // run after every (re)connect, before anything else
    this.stateHooks = [];
    this.delay = FIRST_DELAY_MS;
    this.socket = null;
    this.state = 'connecting';
    this.connects = 0;
  }

  start() { this.connect(); }

  setState(state, detail) {
    this.state = state;
    for (const hook of this.stateHooks) hook(state, detail);
  }

  onState(fn) { this.stateHooks.push(fn); }
  onOpen(fn) { this.openHooks.push(fn); }

  on(kind, fn) {
    if (!this.listeners.has(kind)) this.listeners.set(kind, new Set());
    this.listeners.get(kind).add(fn);
    return () => this.listeners.get(kind).delete(fn);
  }

  connect() {
    this.setState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (err) {
      this.scheduleReconnect(String(err));
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', async () => {
      this.connects++;
      this.setState('open');
      for (const hook of this.openHooks) {
        try {
          await hook(this.connects);
        } catch (err) {
          console.warn('after connecting:', err);
        }
      }
      // Only a connection that got going resets the backoff.
      if (this.socket === socket && socket.readyState === WebSocket.OPEN) this.delay = FIRST_DELAY_MS;
    });
    socket.addEventListener('message', (e) => this.receive(e.data));
    socket.addEventListener('close', (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const err = new RpcError({ message: 'the connection to inmost closed', codeName: 'disconnected' });
      for (const { reject, method } of this.pending.values()) { err.method = method; reject(err); }
      this.pending.clear();
      this.scheduleReconnect(e.code === 1012 ? 'the daemon restarted' : `closed (${e.code})`);
    });
  }

  scheduleReconnect(reason) {
    const delay = this.delay;
    this.delay = Math.min(MAX_DELAY_MS, this.delay * 2);
    this.setState('closed', `${reason}; trying again in ${(delay / 1000).toFixed(1)} s`);
    setTimeout(() => this.connect(), delay);
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      console.warn('unreadable line from the bridge');
      return;
    }
    for (const one of Array.isArray(message) ? message : [message]) this.dispatch(one);
  }

  dispatch(message) {
    if (message.method === 'event' && message.id === undefined) {
      const event = message.params || {};
      const kind = Object.keys(event).find((k) => k !== 'at_unix_ms');
      if (!kind) return;
      for (const key of [kind, '*']) {
        for (const fn of this.listeners.get(key) || []) {
          try {
            fn(event[kind], event, kind);
          } catch (err) {
            console.error(`event ${kind}:`, err);
          }
        }
      }
      return;
    }
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    if (message.error) waiting.reject(new RpcError(message.error, waiting.method));
    else waiting.resolve(message.result || {});
  }

  call(method, params = {}) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new RpcError({ message: 'not connected to inmost right now', codeName: 'disconnected' }, method));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }
}

export function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
