/*
 * The connector page put together: the login form, the core, 3.6.2's adapter, handed to the
 * base. `env` is the page's world (the window's in the bundle, a fake one in the tests).
 */
import { Scv362Adapter, scv362 } from './adapters/scv362.js';
import { NeotelConnectorCore } from './core.js';
import { LoginForm, fetchCatalog } from './form.js';

/**
 * Starts the connector page: must run by the window's `load` (Salesforce posts SETUP_CONNECTOR
 * once the frame has loaded, and the base listens only from `initializeConnector` on).
 * @param {object} env `window, document, navigator, location, storage, WebSocket, fetch,
 *   setTimeout, clearTimeout, URL, Blob`
 * @param {object} [options] `log`, `loadCatalog`, `resultTimeoutMs`, `startTimeoutMs`
 */
export function startConnectorPage(env, options = {}) {
  const log = options.log || console;
  const form = new LoginForm(env.document, {
    navigatorLanguage: env.navigator && env.navigator.language,
    loadCatalog: options.loadCatalog || ((language) => fetchCatalog(env, language)),
    log,
  });
  const core = new NeotelConnectorCore({
    base: scv362, env, form, log,
    resultTimeoutMs: options.resultTimeoutMs, startTimeoutMs: options.startTimeoutMs,
  });
  const adapter = new Scv362Adapter(core);
  scv362.initializeConnector(adapter);
  return { core, adapter, form };
}

/** The page's world from a browser window. */
export function windowEnv(window) {
  let storage;
  // A third-party frame with storage blocked throws on the mere access.
  try { storage = window.localStorage; } catch (e) { storage = null; }
  return {
    window,
    document: window.document,
    navigator: window.navigator,
    location: window.location,
    storage: storage || memoryStorage(),
    WebSocket: window.WebSocket,
    fetch: window.fetch.bind(window),
    setTimeout: window.setTimeout.bind(window),
    clearTimeout: window.clearTimeout.bind(window),
    URL: window.URL,
    Blob: window.Blob,
  };
}

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => { items.set(k, String(v)); },
    removeItem: (k) => { items.delete(k); },
  };
}
