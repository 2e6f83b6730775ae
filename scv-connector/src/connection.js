/*
 * The connection to cti-server: one WebSocket at /ws on the page's own origin, versioned JSON
 * messages (cti-server/docs/protocol.md), as the Open CTI page's connection.js does it. The
 * session token lives in this browser's storage under the same keys (one session per agent,
 * whatever surfaces are open), never in a cookie: inside Salesforce the page is a cross-site
 * iframe. Once the agent is known the URL names it (`/ws?agent=1001`) so a load balancer keeps
 * all of an agent's connections on the instance that runs the session (docs/failover.md).
 */

const TOKEN_KEY = 'neotel-cti-token';
const AGENT_KEY = 'neotel-cti-agent';
const VERSION = 1;
const OPEN = 1;

/** The agent's session token and user name, in `storage` (a blocked storage keeps nothing:
 * the session then lasts as long as the socket). */
export class TokenStore {
  constructor(storage) { this.storage = storage; }
  token() { return this.read(TOKEN_KEY); }
  agent() { return this.read(AGENT_KEY); }
  keep(token, agent) {
    try {
      if (token) { this.storage.setItem(TOKEN_KEY, token); } else { this.storage.removeItem(TOKEN_KEY); }
      if (token && agent) { this.storage.setItem(AGENT_KEY, agent); } else if (!token) { this.storage.removeItem(AGENT_KEY); }
    } catch (e) { /* storage blocked */ }
  }
  read(key) { try { return this.storage.getItem(key); } catch (e) { return null; } }
}

export class Connection {
  /**
   * @param {object} env `{WebSocket, location, storage, setTimeout}` (the window's, or a test's)
   * @param {object} handlers `onMessage(m)` for every server message (plus a synthetic
   *   `{type:'needLogin'}`), `onStatus('connected'|'disconnected')`
   * @param {() => object} hello fields added to `attach` and `login` (who is asking: the surface)
   */
  constructor(env, handlers, hello = () => ({})) {
    this.env = env;
    this.handlers = handlers;
    this.hello = hello;
    this.tokens = new TokenStore(env.storage);
    this.ws = null;
    this.retry = 0;
    this.closedByUs = false;
    // Closed by the server for want of a login (the agent is at the login form): reopened at
    // once and quietly.
    this.loginTimedOut = false;
    // A login typed while the socket was closed, sent when it opens.
    this.pending = null;
  }

  open() {
    const url = new URL('/ws', this.env.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const agent = this.tokens.token() && this.tokens.agent();
    if (agent) { url.searchParams.set('agent', agent); }
    const ws = new this.env.WebSocket(url.href);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.handlers.onStatus('connected');
      if (this.pending) { const p = this.pending; this.pending = null; this.send(p); return; }
      const token = this.tokens.token();
      if (token) { this.send({ type: 'attach', token }); } else { this.handlers.onMessage({ type: 'needLogin' }); }
    };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (!m || m.v !== VERSION) { return; }
      if (m.type === 'session') { this.tokens.keep(m.token, m.user); }
      if (m.type === 'error' && m.code === 'invalidToken') { this.tokens.keep(null); this.handlers.onMessage({ type: 'needLogin' }); }
      if (m.type === 'bye' && m.reason !== 'shutdown' && m.reason !== 'moved') { this.tokens.keep(null); }
      if (m.type === 'bye' && m.reason === 'loginTimeout') { this.loginTimedOut = true; }
      this.handlers.onMessage(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) { return; }
      if (this.loginTimedOut && !this.closedByUs) { this.loginTimedOut = false; this.open(); return; }
      this.handlers.onStatus('disconnected');
      if (this.closedByUs) { return; }
      // Back off up to 10 s; the session (and the call) keep running on the server meanwhile.
      const delay = Math.min(10000, 500 * 2 ** this.retry++);
      this.env.setTimeout(() => this.open(), delay);
    };
  }

  /** A page that unloads closes its socket at once, so the server never keeps a dead page as
   * one of the agent's connections; a page restored from the back-forward cache opens anew. */
  followPageLifecycle(target) {
    target.addEventListener('pagehide', () => {
      this.closedByUs = true;
      if (this.ws) { this.ws.close(1000, 'page closed'); }
    });
    target.addEventListener('pageshow', (e) => {
      if (e.persisted) { this.closedByUs = false; this.open(); }
    });
  }

  /** Sends `message` (the envelope's `v` added); false when the socket is not open, except for
   * a login: the agent's deliberate act is kept for the next socket, never dropped. */
  send(message) {
    const full = message.type === 'login' || message.type === 'attach' ? { ...message, ...this.hello() } : message;
    if (!this.ws || this.ws.readyState !== OPEN) {
      if (message.type === 'login') { this.pending = message; return true; }
      return false;
    }
    this.ws.send(JSON.stringify({ v: VERSION, ...full }));
    return true;
  }
}
