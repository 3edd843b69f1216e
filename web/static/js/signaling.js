// The page's WebSocket to the meeting service: one JSON object per text
// frame, dispatched by `type` (docs/meeting-protocol.md).

export class Signaling extends EventTarget {
  /** @param {string} url ws:// or wss:// URL of the service's /ws */
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
  }

  /** Opens the socket; resolves once it is open. */
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot reach ${this.url}`)), { once: true });
      ws.addEventListener('message', (ev) => {
        let msg;
        try {
          msg = JSON.parse(ev.data);
        } catch {
          console.warn('signaling: not JSON', ev.data);
          return;
        }
        if (!msg || typeof msg.type !== 'string') return;
        this.dispatchEvent(new CustomEvent(msg.type, { detail: msg }));
        this.dispatchEvent(new CustomEvent('message', { detail: msg }));
      });
      ws.addEventListener('close', (ev) => {
        this.dispatchEvent(new CustomEvent('close', { detail: { code: ev.code, reason: ev.reason } }));
      });
    });
  }

  /** Sends one message; false when the socket is not open. */
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Registers fn for messages of one type; returns an unsubscribe function. */
  on(type, fn) {
    const h = (ev) => fn(ev.detail);
    this.addEventListener(type, h);
    return () => this.removeEventListener(type, h);
  }

  close() {
    this.ws?.close(1000, 'bye');
  }
}

/** The /ws URL of the service that served this page. */
export function serviceURL(loc = location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}
