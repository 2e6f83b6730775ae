/*
 * The connector page's core: a thin client of cti-server that decides nothing. The server's
 * Salesforce Voice adapter says what each method Salesforce calls resolves to (`voiceResult`),
 * what to publish (`voicePublish`, `voiceError`), the agent's phone and capabilities and the
 * active calls (`voiceSetup`, `voiceCalls`); the core builds the base's classes from those
 * descriptions, keeps the last of them to answer the base's own questions at once, and runs the
 * handshake with the login form. Its names are ours: an adapter maps one base version's
 * VendorConnector onto them (adapters/scv362.js). Protocol: cti-server/docs/protocol.md,
 * "Salesforce Voice connector page".
 */
import { Connection } from './connection.js';
import { build, plain } from './describe.js';
import { EventQueue } from './events.js';

/** How long a method Salesforce called waits for the server's `voiceResult`. */
export const RESULT_TIMEOUT_MS = 10000;
/** How long `init()` waits for the server (a session, or the need of a login) before the login
 * form is shown anyway, with the connection's state on it. */
export const START_TIMEOUT_MS = 10000;
/** The login form's height, asked of Salesforce with SHOW_LOGIN / LOGOUT_RESULT. */
export const LOGIN_FRAME_HEIGHT = 350;

// Neotel is a desk phone (audio on the agent's SIP phone). Only used if the base asked before
// the server's voiceSetup came, which the handshake never does.
const DESK_PHONE = { $class: 'AgentConfigResult', phones: ['DESK_PHONE'], selectedPhone: { $class: 'Phone', type: 'DESK_PHONE' } };
const NOTHING_BUT_CALLS = {
  $class: 'CapabilitiesResult', hasMute: false, hasRecord: false, hasMerge: false, hasSwap: false,
  hasSignedRecordingUrl: false, debugEnabled: false,
};

/** Who is asking, from Salesforce's connectorConfig: the server compares it with its own
 * configuration and refuses a mismatch (it never uses browser values for its own calls). */
export function voiceIdentity(config) {
  return {
    organizationId: config.organizationId ?? null,
    callCenter: config['/reqGeneralInfo/reqInternalName'] ?? null,
    userId: config.userId ?? null,
    userName: config.userName ?? null,
  };
}

export class NeotelConnectorCore {
  /**
   * @param {object} options
   * @param {object} options.base the base binding (adapters/scv362.js `scv362`)
   * @param {object} options.env the page's world: `WebSocket, location, storage, setTimeout,
   *   clearTimeout, window` (pagehide), and for downloadLogs `document, URL, Blob`
   * @param {object} options.form the login form (form.js `LoginForm`)
   * @param {object} [options.log] a console
   */
  constructor({ base, env, form, log = console, resultTimeoutMs = RESULT_TIMEOUT_MS, startTimeoutMs = START_TIMEOUT_MS }) {
    this.base = base;
    this.env = env;
    this.form = form;
    this.log = log;
    this.resultTimeoutMs = resultTimeoutMs;
    this.startTimeoutMs = startTimeoutMs;
    /** 'idle' (no SETUP_CONNECTOR yet), 'starting' (init() pending), 'login' (the form is
     * Salesforce's to show), 'ready' (CONNECTOR_READY sent, an agent logged in). */
    this.phase = 'idle';
    // Whether Salesforce believes an agent is logged in (a LOGOUT_RESULT not yet sent).
    this.loggedIn = false;
    this.identity = null;
    this.user = null;
    // init()'s answer, once asked.
    this.started = null;
    // The server's last descriptions (validated on arrival, built anew for every question: the
    // base writes into what it is given, e.g. `isReplayedCall`).
    this.setup = { agentConfig: DESK_PHONE, capabilities: NOTHING_BUT_CALLS, activeCalls: [] };
    this.pending = new Map();
    this.lastId = 0;
    this.events = new EventQueue(base, log);
    this.connection = new Connection(env, {
      onMessage: (m) => this.onMessage(m),
      onStatus: (s) => this.onStatus(s),
    }, () => ({ surface: 'voice', voice: this.identity }));
    form.onSubmit((fields) => this.login(fields));
  }

  // ---------- the base's questions, answered here ----------

  /** SETUP_CONNECTOR's init: connects, and answers once the server says whether the agent's
   * session is there (`voiceSetup`) or a login is needed. */
  start(connectorConfig) {
    // A second SETUP_CONNECTOR while the first init() runs (3.6.2 accepts it): the same answer.
    if (this.started) { return this.started; }
    const config = connectorConfig && typeof connectorConfig === 'object' ? connectorConfig : {};
    this.identity = voiceIdentity(config);
    this.form.configure(config);
    this.form.status('connecting');
    this.phase = 'starting';
    this.started = new Promise((resolve) => {
      this.answerStart = resolve;
      this.startTimer = this.env.setTimeout(() => this.finishStart(true), this.startTimeoutMs);
    });
    this.connection.followPageLifecycle(this.env.window);
    this.connection.open();
    return this.started;
  }

  finishStart(showLogin) {
    if (this.phase !== 'starting') { return; }
    this.env.clearTimeout(this.startTimer);
    this.phase = showLogin ? 'login' : 'ready';
    this.loggedIn = !showLogin;
    if (showLogin) { this.form.showLogin(); }
    this.answerStart({ showLogin, loginFrameHeight: LOGIN_FRAME_HEIGHT });
    // The base takes the answer in microtasks (SHOW_LOGIN, or CONNECTOR_READY after asking
    // getAgentConfig/getCapabilities/getActiveCalls): a task later, what waited goes after it.
    this.env.setTimeout(() => this.events.open(), 0);
  }

  agentConfig() { return build(this.setup.agentConfig, this.base.classes); }
  capabilities() { return build(this.setup.capabilities, this.base.classes); }

  /** The active calls, as PhoneCalls; never throws (P10: AGENT_AVAILABLE does not catch). */
  activeCalls() {
    try {
      return build(this.setup.activeCalls, this.base.classes);
    } catch (e) {
      this.log.error('scv-connector: active calls unreadable', e);
      return [];
    }
  }

  // ---------- the base's calls, forwarded ----------

  /** Forwards a method Salesforce called; settles with the server's `voiceResult`, or rejects
   * with GENERIC_ERROR when the server cannot be reached or does not answer in time. */
  request(method, args) {
    return new Promise((resolve, reject) => {
      const id = ++this.lastId;
      let copy;
      try { copy = plain(args); } catch (e) { reject({ type: 'GENERIC_ERROR', message: `${method}: arguments not JSON` }); return; }
      if (!this.connection.send({ type: 'voiceCall', id, method, args: copy })) {
        reject({ type: 'GENERIC_ERROR', message: `${method}: not connected to the Neotel server` });
        return;
      }
      const timer = this.env.setTimeout(() => {
        this.pending.delete(id);
        this.log.error(`scv-connector: no answer to ${method} (${id})`);
        reject({ type: 'GENERIC_ERROR', message: `${method}: no answer from the Neotel server` });
      }, this.resultTimeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
    });
  }

  /** Forwards a method whose result the base ignores (and never catches): only logged. */
  notify(method, args) {
    this.request(method, args).catch((e) => this.log.warn(`scv-connector: ${method} failed`, e));
  }

  settle(m) {
    const p = this.pending.get(m.id);
    if (!p) { this.log.warn('scv-connector: voiceResult for no pending call', m.id); return; }
    this.pending.delete(m.id);
    this.env.clearTimeout(p.timer);
    if (!m.ok) { p.reject(this.errorFrom(m.error)); return; }
    let result;
    try {
      result = m.result === undefined ? null : build(m.result, this.base.classes);
    } catch (e) {
      this.log.error(`scv-connector: unreadable result of ${p.method}`, e);
      p.reject({ type: 'GENERIC_ERROR', message: `${p.method}: unreadable result` });
      return;
    }
    // The base sends LOGOUT_RESULT from this answer.
    if (p.method === 'logout' && result && result.success) { this.loggedIn = false; }
    p.resolve(result);
  }

  /** A server error (`{type, message}` or `{customError}`) as the base reads rejections: an
   * object with `type` (its error code), or a CustomError (a label of the package). */
  errorFrom(error) {
    if (error && error.customError) {
      try { return new this.base.classes.CustomError(error.customError); } catch (e) { this.log.error('scv-connector: bad customError', e); }
    }
    const type = error && typeof error.type === 'string' ? error.type : 'GENERIC_ERROR';
    return { type, message: (error && error.message) || '' };
  }

  rejectPending(message) {
    for (const [id, p] of this.pending) {
      this.env.clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject({ type: 'GENERIC_ERROR', message: `${p.method}: ${message}` });
    }
  }

  // ---------- the server ----------

  onMessage(m) {
    switch (m.type) {
      case 'needLogin': this.signedOut(); break;
      case 'session': this.user = m.user || null; break;
      case 'voiceSetup': this.setupFrom(m); break;
      case 'voiceCalls': {
        const calls = this.validCalls(m.activeCalls);
        if (calls) { this.events.run(() => { this.setup.activeCalls = calls; }); }
        break;
      }
      case 'voicePublish': this.publishFrom(m); break;
      case 'voiceError': this.events.publishError(m.eventType, this.errorFrom(m.error)); break;
      case 'voiceResult': this.settle(m); break;
      case 'error': this.serverError(m); break;
      case 'bye': this.bye(m); break;
      // Open CTI's effects are not this surface's: the server never makes it the leader.
      case 'effect': this.log.warn('scv-connector: an Open CTI effect reached the voice page, ignored', m.effect && m.effect.kind); break;
      default: break; // `view` is for part 2 (the vendor UI over the MESSAGE bridge)
    }
  }

  onStatus(status) {
    if (status === 'connected') { this.form.status(null); return; }
    this.form.status('disconnected');
    // Answers come on the connection that asked: none will come now.
    this.rejectPending('the connection to the Neotel server closed');
  }

  setupFrom(m) {
    let setup;
    try {
      setup = {
        agentConfig: m.agentConfig,
        capabilities: m.capabilities,
        activeCalls: Array.isArray(m.activeCalls) ? m.activeCalls : [],
      };
      build(setup.agentConfig, this.base.classes);
      build(setup.capabilities, this.base.classes);
      build(setup.activeCalls, this.base.classes);
    } catch (e) {
      this.log.error('scv-connector: voiceSetup unreadable', e);
      return;
    }
    this.form.showAgent(this.user);
    if (this.phase === 'ready') {
      // A reattach (server restart, reconnect): the same agent, fresher answers, and what the
      // base did not hear meanwhile (a call that started or ended). A new page learns the
      // calls from activeCalls instead.
      this.events.run(() => { this.setup = setup; });
      for (const missed of Array.isArray(m.missed) ? m.missed : []) { this.publishFrom(missed); }
      return;
    }
    this.setup = setup;
    if (this.phase === 'starting') { this.finishStart(false); return; }
    if (this.phase === 'login') {
      this.phase = 'ready';
      this.loggedIn = true;
      this.events.run(async () => {
        await this.base.publishEvent({ eventType: 'LOGIN_RESULT', payload: new this.base.classes.GenericResult({ success: true }) });
        // LOGIN_RESULT makes the base send CONNECTOR_READY (in microtasks): before what follows.
        await new Promise((r) => this.env.setTimeout(r, 0));
      });
    }
  }

  validCalls(descriptions) {
    try {
      const calls = Array.isArray(descriptions) ? descriptions : [];
      build(calls, this.base.classes);
      return calls;
    } catch (e) {
      this.log.error('scv-connector: voiceCalls unreadable, kept the last ones', e);
      return null;
    }
  }

  publishFrom(m) {
    // The page publishes LOGIN_RESULT itself, from voiceSetup.
    if (m.eventType === 'LOGIN_RESULT') { this.log.error('scv-connector: LOGIN_RESULT comes from voiceSetup, dropped'); return; }
    let payload;
    try {
      payload = m.payload === undefined ? undefined : build(m.payload, this.base.classes);
    } catch (e) {
      this.log.error(`scv-connector: ${m.eventType} dropped, unreadable payload`, e);
      return;
    }
    if (this.events.publish(m.eventType, payload) && m.eventType === 'LOGOUT_RESULT') { this.loggedIn = false; }
  }

  serverError(m) {
    if (this.phase === 'ready' && m.code !== 'invalidToken') {
      this.log.warn('scv-connector: server error', m.code, m.message);
      return;
    }
    // A refused attach (another contact center or org than the server's, say) while starting:
    // the form, with the reason.
    if (this.phase === 'starting') { this.finishStart(true); }
    this.form.showError(m);
  }

  bye(m) {
    // A stopping server resumes the session when it starts again; a moved session goes on in
    // another instance: reattach. A login deadline: the connection reopens quietly.
    if (m.reason === 'shutdown' || m.reason === 'moved') { this.form.status('reconnecting'); return; }
    if (m.reason === 'loginTimeout') { return; }
    if (m.reason === 'logout') {
      // The server's goodbye is the answer to a logout() still waiting for its voiceResult.
      for (const [id, p] of this.pending) {
        if (p.method !== 'logout') { continue; }
        this.env.clearTimeout(p.timer);
        this.pending.delete(id);
        this.loggedIn = false;
        p.resolve(new this.base.classes.LogoutResult({ success: true, loginFrameHeight: LOGIN_FRAME_HEIGHT }));
      }
    }
    this.signedOut();
    if (m.reason === 'takenOver') { this.form.showNotice('takenOver'); }
  }

  /** The agent has no session: the form. Salesforce, if it still believes the agent logged
   * in (the session ended without a LOGOUT_RESULT: the server cannot send one any more), is
   * told so once. */
  signedOut() {
    if (this.phase === 'starting') { this.finishStart(true); return; }
    if (this.phase === 'ready') {
      this.phase = 'login';
      if (this.loggedIn) {
        this.loggedIn = false;
        this.events.publish('LOGOUT_RESULT', new this.base.classes.LogoutResult({ success: true, loginFrameHeight: LOGIN_FRAME_HEIGHT }));
      }
    }
    this.form.showLogin();
  }

  // ---------- the agent ----------

  login({ device, user, password }) {
    this.form.showError(null);
    this.connection.send({ type: 'login', device, user, password });
  }

  // ---------- the base's own needs ----------

  /** DOWNLOAD_VENDOR_LOGS: the base's log lines as a text file. */
  downloadLogs(logs) {
    const { document, URL, Blob } = this.env;
    const text = Array.isArray(logs) ? logs.join('') : String(logs ?? '');
    if (!document || !Blob || !URL || typeof URL.createObjectURL !== 'function') { this.log.info(text); return; }
    const href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = href;
    a.download = 'neotel-scv-connector.log';
    document.body.appendChild(a);
    a.click();
    a.remove();
    URL.revokeObjectURL(href);
  }

  /** LOG from Salesforce: to the console (Salesforce keeps its own copy). */
  vendorLog(logLevel, message, payload) {
    (logLevel === 'ERROR' ? this.log.error : this.log.info).call(this.log, 'salesforce:', message, payload ?? '');
  }
}
