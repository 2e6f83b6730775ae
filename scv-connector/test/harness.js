/*
 * The connector page under test, between a fake Salesforce host and a fake cti-server:
 * - the host is what the base's own tests use (src/test/baseConnector.test.js in the package):
 *   the base's window `message` listener captured, SETUP_CONNECTOR handed to it with an origin
 *   of Salesforce's and a fake MessagePort, then host messages through `port.onmessage`;
 * - the server is a fake WebSocket class: the test opens, answers and closes it.
 * The base itself is the real, unmodified 3.6.2.
 */
import { jest, expect } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { startConnectorPage } from '../src/page.js';
import { CONNECTOR_CONFIG, voiceSetup } from './fixtures.js';

// The base tells the console of every error and info it dispatches ("SCV dispatched …"): the
// tests check what reached the port instead.
for (const level of ['error', 'info']) {
  const original = console[level].bind(console);
  console[level] = (first, ...rest) => { if (!(typeof first === 'string' && first.startsWith('SCV '))) { original(first, ...rest); } };
}

// Paths, not URLs: under jsdom `URL` is the window's, which Node's fs does not take.
const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const markup = fs.readFileSync(path.join(repo, 'cti-server', 'web', 'scv', 'index.html'), 'utf8');

/** The softphone's catalogs, as the page reads them from the server. */
export function catalogFromDisk(language) {
  return Promise.resolve(JSON.parse(fs.readFileSync(path.join(repo, 'cti-server', 'web', 'softphone', 'i18n', `${language}.json`), 'utf8')));
}

/** Waits until `predicate()` is truthy (polling, for at most 5 s: the page's reconnect backs
 * off 500 ms); returns it. */
export async function until(predicate, what = 'the condition') {
  for (let waited = 0; waited < 5000; waited += 5) {
    const v = predicate();
    if (v) { return v; }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets every pending task and microtask run (to show that nothing more happens). */
export async function settle(tasks = 20) {
  for (let i = 0; i < tasks; i++) { await new Promise((r) => setTimeout(r, 0)); }
}

/** A cti-server stand-in: every socket the page opens, what it sent, scripted answers. */
export class FakeCtiServer {
  constructor() {
    this.sockets = [];
    this.received = [];
    this.handlers = new Map();
    const server = this;
    this.WebSocket = class FakeWebSocket {
      static OPEN = 1;
      constructor(url) { this.url = url; this.readyState = 0; server.sockets.push(this); }
      send(text) {
        const m = JSON.parse(text);
        server.received.push(m);
        if (m.type === 'voiceCall' && server.handlers.has(m.method)) {
          const answer = server.handlers.get(m.method)(m.args, m);
          // Answered a task later, as a real server would.
          setTimeout(() => [].concat(answer || []).forEach((r) => server.say(r.type === 'voiceResult' ? { id: m.id, ...r } : r)), 0);
        }
      }
      close() { if (this.readyState !== 3) { this.readyState = 3; this.onclose && this.onclose({ code: 1000 }); } }
    };
  }

  get socket() { return this.sockets[this.sockets.length - 1]; }
  /** The latest socket opens (the page then attaches or asks for a login). */
  accept() { this.socket.readyState = 1; this.socket.onopen(); }
  /** One server message to the page. */
  say(m) { this.socket.onmessage({ data: JSON.stringify({ v: 1, ...m }) }); }
  /** The server closes the connection. */
  drop() { const s = this.socket; s.readyState = 3; s.onclose({ code: 1006 }); }
  /** Answers every voiceCall of `method` with what `fn(args, message)` returns: a voiceResult
   * (its id filled in) or any server messages, in order. */
  on(method, fn) { this.handlers.set(method, fn); }
  sent(type) { return this.received.filter((m) => m.type === type); }
  calls(method) { return this.sent('voiceCall').filter((m) => m.method === method); }
}

/** A voiceResult carrying `result` (a description). */
export const ok = (result) => ({ type: 'voiceResult', ok: true, result });
/** A voiceResult refusing with `error`. */
export const refused = (error) => ({ type: 'voiceResult', ok: false, error });

/** Salesforce's side: the port the base posts to, and what it sends. */
export class FakeHost {
  constructor() {
    this.seen = [];
    // postMessage clones (structured clone: class instances arrive as plain objects, Dates stay
    // Dates, a function would throw).
    this.port = { postMessage: (m) => { this.seen.push(v8.deserialize(v8.serialize(m))); }, onmessage: null };
  }
  send(type, fields = {}) { return this.port.onmessage({ data: { type, ...fields } }); }
  events() { return this.seen.filter((m) => m.type === 'TELEPHONY_EVENT_DISPATCHED').map((m) => m.payload); }
  eventTypes() { return this.events().map((e) => e.telephonyEventType); }
  /** The last event of `type`'s payload (undefined when none). */
  event(type) {
    const found = this.events().filter((e) => e.telephonyEventType === type);
    return found.length ? { payload: found[found.length - 1].telephonyEventPayload } : undefined;
  }
  readies() { return this.seen.filter((m) => m.type === 'CONNECTOR_READY'); }
  ready() { return this.readies()[0]; }
  /** Everything posted after mark(): what one action brought. */
  mark() { this.from = this.seen.length; }
  since() { return this.seen.slice(this.from || 0).filter((m) => m.type !== 'LOG'); }
  sinceTypes() { return this.since().map((m) => (m.type === 'TELEPHONY_EVENT_DISPATCHED' ? m.payload.telephonyEventType : m.type)); }
}

/** A recording console: the page's logs, checked by the tests that expect one. */
export function recordingLog() {
  const lines = [];
  const at = (level) => (...args) => { lines.push({ level, text: args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ') }); };
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), log: at('log'), debug: at('debug') };
}

/**
 * The page, started as the bundle does on `load`, with the base's listener captured.
 * @param {object} [o] `token`/`agent` (a session stored by an earlier page), `language`
 *   (navigator's), `catalog` (a loader), `resultTimeoutMs`, `startTimeoutMs`
 */
export function startPage(o = {}) {
  localStorage.clear();
  if (o.token) { localStorage.setItem('neotel-cti-token', o.token); localStorage.setItem('neotel-cti-agent', o.agent || '1001'); }
  document.body.innerHTML = new DOMParser().parseFromString(markup, 'text/html').body.innerHTML;
  const server = new FakeCtiServer();
  const host = new FakeHost();
  const log = recordingLog();
  const lifecycle = new EventTarget();
  const env = {
    window: lifecycle,
    document,
    navigator: { language: o.language || 'es-AR' },
    location: { href: 'https://cti.example.com/scv/' },
    storage: localStorage,
    WebSocket: server.WebSocket,
    // Read at call time, so jest's fake timers apply once installed.
    setTimeout: (...a) => setTimeout(...a),
    clearTimeout: (...a) => clearTimeout(...a),
    URL,
    Blob,
  };
  let windowListener = null;
  const spy = jest.spyOn(window, 'addEventListener').mockImplementation((type, fn) => { if (type === 'message') { windowListener = fn; } });
  const page = startConnectorPage(env, {
    log,
    loadCatalog: o.catalog || catalogFromDisk,
    resultTimeoutMs: o.resultTimeoutMs,
    startTimeoutMs: o.startTimeoutMs,
  });
  spy.mockRestore();
  return {
    ...page, server, host, log, lifecycle,
    /** Salesforce's one SETUP_CONNECTOR (not awaited: init waits for the server). */
    setup(connectorConfig = CONNECTOR_CONFIG, origin = 'https://x.lightning.force.com') {
      return windowListener({ data: { type: 'SETUP_CONNECTOR', connectorConfig }, origin, ports: [host.port] });
    },
    el: (testid) => document.querySelector(`[data-testid="${testid}"]`),
  };
}

/** A page whose agent had a session: SETUP_CONNECTOR, attach, voiceSetup, CONNECTOR_READY. */
export async function readyPage(o = {}) {
  const t = startPage({ token: 'token-1', ...o });
  t.setup();
  t.server.accept();
  t.server.say({ type: 'session', token: 'token-2', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'voiceSetup', ...(o.voiceSetup || voiceSetup()) });
  await until(() => t.host.ready(), 'CONNECTOR_READY');
  await settle(2);
  expect(t.core.phase).toBe('ready');
  t.host.mark();
  return t;
}
