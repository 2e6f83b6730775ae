/*
 * The connector page's own screen (cti-server/web/scv/index.html): the Neotel login form
 * (DEVICE, USUARIO, PASSWORD) that Salesforce shows after SHOW_LOGIN, the connection's state and
 * the server's errors in words. The words are the Open CTI softphone's catalogs
 * (/softphone/i18n/{es,en}.json: `ui.*` labels, `error.{code}` for the protocol's error codes,
 * `msg.{code}` for the core's refusals), so each phrase lives in one place; the markup's own
 * text is the fallback when a catalog cannot be read.
 */

const LANGUAGES = ['es', 'en'];

/**
 * The agent's language: the contact center's `/neotelConfigOptions/language` item when
 * Salesforce passes it in connectorConfig, else the browser's; Spanish by default.
 */
export function pickLanguage(connectorConfig, navigatorLanguage) {
  for (const candidate of [connectorConfig && connectorConfig['/neotelConfigOptions/language'], navigatorLanguage]) {
    const code = String(candidate || '').trim().toLowerCase().slice(0, 2);
    if (LANGUAGES.includes(code)) { return code; }
  }
  return 'es';
}

/** Reads a catalog from the server that serves this page. */
export function fetchCatalog(env, language) {
  const url = new URL(`/softphone/i18n/${language}.json`, env.location.href);
  return env.fetch(url.href, { credentials: 'omit' }).then((r) => {
    if (!r.ok) { throw new Error(`no catalog for ${language}`); }
    return r.json();
  });
}

export class LoginForm {
  /**
   * @param {Document} document the page (index.html's markup)
   * @param {object} options `navigatorLanguage`, `loadCatalog(language) → Promise<object>`, `log`
   */
  constructor(document, { navigatorLanguage, loadCatalog, log = console }) {
    this.document = document;
    this.navigatorLanguage = navigatorLanguage;
    this.loadCatalog = loadCatalog;
    this.log = log;
    this.catalog = {};
    this.language = pickLanguage(null, navigatorLanguage);
    this.statusKey = null;
    this.shownError = null;
    this.submit = () => {};
    this.el('login').addEventListener('submit', (e) => {
      e.preventDefault();
      const fields = { device: this.el('device').value.trim(), user: this.el('user').value.trim(), password: this.el('password').value };
      this.el('password').value = '';
      this.submit(fields);
    });
    // The markup's words until a catalog comes.
    this.ready = this.useLanguage(this.language);
  }

  el(id) { return this.document.getElementById(id); }

  words(key) {
    const text = this.catalog[key];
    return typeof text === 'string' ? text : null;
  }

  /** Salesforce's contact center may name the language: worded again in it. */
  configure(connectorConfig) {
    const language = pickLanguage(connectorConfig, this.navigatorLanguage);
    if (language !== this.language) { this.ready = this.useLanguage(language); }
  }

  useLanguage(language) {
    this.language = language;
    this.document.documentElement.lang = language;
    return Promise.resolve()
      .then(() => this.loadCatalog(language))
      .then((catalog) => { if (this.language === language) { this.catalog = catalog || {}; this.translate(); } })
      .catch((e) => this.log.warn('scv-connector: no catalog, the page keeps its own words', e));
  }

  translate() {
    this.document.querySelectorAll('[data-t]').forEach((el) => {
      const text = this.words(`ui.${el.getAttribute('data-t')}`);
      if (text) { el.textContent = text; }
    });
    this.status(this.statusKey);
    if (this.shownError) { this.showError(this.shownError); }
  }

  onSubmit(fn) { this.submit = fn; }

  /** The form, for Salesforce to show. Nothing is focused from here: the frame may still be
   * hidden, and the agent may be typing in Salesforce. */
  showLogin() {
    this.el('agent').hidden = true;
    this.el('login').hidden = false;
  }

  /** Logged in: the form goes, the agent's name stays (Salesforce hides the frame anyway). */
  showAgent(user) {
    this.el('login').hidden = true;
    this.el('agent').hidden = false;
    this.el('agent-user').textContent = user || '';
    this.showError(null);
  }

  /** A server `error` (`{code, message, text?}`) in words, or none. */
  showError(m) {
    this.shownError = m;
    const box = this.el('error');
    if (!m) { box.textContent = ''; box.hidden = true; return; }
    const refusal = m.text && m.text.code ? this.words(`msg.${m.text.code}`) : null;
    box.textContent = refusal || this.words(`error.${m.code}`) || m.message || m.code || '';
    box.hidden = false;
  }

  /** A notice of the page's own (`ui.{key}`), as an error. */
  showNotice(key) {
    this.showError({ code: key, message: this.words(`ui.${key}`) || key });
  }

  /** The connection's state: 'connecting', 'disconnected', 'reconnecting', or null when connected. */
  status(key) {
    this.statusKey = key;
    const line = this.el('status');
    line.textContent = key ? (this.words(`ui.${key}`) || line.getAttribute(`data-${key}`) || '') : '';
  }
}
