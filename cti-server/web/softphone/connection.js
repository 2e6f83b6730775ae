/*
 * The connection to the connector server: one WebSocket at /ws on the page's own origin,
 * versioned JSON messages (docs/protocol.md). The session token lives in this browser's storage
 * (never a cookie: inside Salesforce the page is a cross-site iframe), so a reload or another
 * Salesforce tab reattaches to the running session. Once the agent is known, the URL names it
 * (`/ws?agent=1001`): a load balancer in front of several server instances hashes on it, so all
 * of an agent's tabs reach the instance that runs the session (docs/failover.md).
 */
(function (global) {
  'use strict';

  var TOKEN_KEY = 'neotel-cti-token';
  var AGENT_KEY = 'neotel-cti-agent';
  var VERSION = 1;

  function Connection(handlers) {
    this.handlers = handlers;
    this.ws = null;
    this.retry = 0;
    this.closedByUs = false;
    // Closed by the server for want of a login (the agent is at the login form): reopened at
    // once and quietly.
    this.loginTimedOut = false;
    // A login typed while the socket was closed, sent when it opens.
    this.pending = null;
  }

  Connection.prototype.token = function () { try { return global.localStorage.getItem(TOKEN_KEY); } catch (e) { return null; } };
  Connection.prototype.keepToken = function (t, agent) {
    try {
      if (t) { global.localStorage.setItem(TOKEN_KEY, t); } else { global.localStorage.removeItem(TOKEN_KEY); }
      if (t && agent) { global.localStorage.setItem(AGENT_KEY, agent); } else if (!t) { global.localStorage.removeItem(AGENT_KEY); }
    } catch (e) { /* storage blocked: the session lives as long as the socket */ }
  };
  Connection.prototype.agent = function () { try { return global.localStorage.getItem(AGENT_KEY); } catch (e) { return null; } };

  Connection.prototype.open = function () {
    var self = this;
    var url = new URL('/ws', global.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    var agent = this.token() && this.agent();
    if (agent) { url.searchParams.set('agent', agent); }
    var ws = new WebSocket(url.href);
    this.ws = ws;
    ws.onopen = function () {
      self.retry = 0;
      self.handlers.onStatus('connected');
      if (self.pending) { var p = self.pending; self.pending = null; self.send(p); return; }
      var token = self.token();
      if (token) { self.send({ type: 'attach', token: token }); } else { self.handlers.onMessage({ type: 'needLogin' }); }
    };
    ws.onmessage = function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (!m || m.v !== VERSION) { return; }
      if (m.type === 'session') { self.keepToken(m.token, m.user); }
      if (m.type === 'error' && m.code === 'invalidToken') { self.keepToken(null); self.handlers.onMessage({ type: 'needLogin' }); }
      if (m.type === 'bye' && m.reason !== 'shutdown' && m.reason !== 'moved') { self.keepToken(null); }
      if (m.type === 'bye' && m.reason === 'loginTimeout') { self.loginTimedOut = true; }
      self.handlers.onMessage(m);
    };
    ws.onclose = function () {
      if (self.loginTimedOut && !self.closedByUs) { self.loginTimedOut = false; self.open(); return; }
      self.handlers.onStatus('disconnected');
      if (self.closedByUs) { return; }
      // Back off up to 10 s; the session (and the call) keep running on the server meanwhile.
      var delay = Math.min(10000, 500 * Math.pow(2, self.retry++));
      setTimeout(function () { self.open(); }, delay);
    };
  };

  /** A page that unloads (reload, navigation, closed tab) closes its socket at once, so the
   * server never keeps a dead page as the one that runs Salesforce's effects; a page restored
   * from the back-forward cache opens a new one. */
  Connection.prototype.followPageLifecycle = function () {
    var self = this;
    global.addEventListener('pagehide', function () {
      self.closedByUs = true;
      if (self.ws) { self.ws.close(1000, 'page closed'); }
    });
    global.addEventListener('pageshow', function (e) {
      if (e.persisted) { self.closedByUs = false; self.open(); }
    });
  };

  Connection.prototype.send = function (message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      // A login is the agent's deliberate act: kept for the next socket, never dropped.
      if (message.type === 'login') { this.pending = message; return true; }
      return false;
    }
    this.ws.send(JSON.stringify(Object.assign({ v: VERSION }, message)));
    return true;
  };

  global.NeotelConnection = Connection;
})(window);
