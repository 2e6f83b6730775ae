/*
 * The stand-in Salesforce Voice host: frames the connector page, gives it exactly one
 * SETUP_CONNECTOR with a MessageChannel port per load of the frame (as Salesforce's Omni-Channel
 * does; 3.6.2 listens for one only), shows what the connector posts, and sends every host
 * message of scv.md §2.2 from its buttons or from window.standin. What each message carries and
 * the scripted sequences live in host-scripts.js; this file is the mechanism.
 *
 * URL parameters: ?connector=URL of the connector page (default /scv/); ?lightning=off leaves
 * Neotel's Lightning components out (an org without them: no MESSAGE bridge; console.js).
 * Test hooks: window.standin (README.md).
 */
(function () {
  'use strict';

  var S = window.StandinVoiceScripts;
  var query = new URLSearchParams(location.search);
  var connectorUrl = new URL(query.get('connector') || '/scv/', location.href);
  var lightning = query.get('lightning') !== 'off';
  // With Neotel's components the contact center names its bridge (scv.md §2.3).
  var connectorConfig = lightning ? Object.assign({}, S.connectorConfig, S.bridge.connectorConfig) : S.connectorConfig;
  var $ = function (id) { return document.getElementById(id); };
  var frame = $('connector');

  var seen = [];        // everything the connector posted, in order, across loads
  var loadOf = [];      // the frame load each message of `seen` came from
  var sent = [];        // every host message, in order
  var loads = 0;
  var port = null;
  var readyOfLoad = null;
  var calls = {};       // callId → the call as the host knows it
  var recent = [];      // callIds, most recent first
  var contacts = [];    // the last PHONE_CONTACTS
  var waiters = [];
  var listeners = [];   // what else on the page hears the connector (console.js: the MESSAGE bridge)
  var presence = S.presenceStatuses(S.connectorConfig);

  // ---------- the handshake ----------

  frame.addEventListener('load', function () {
    loads += 1;
    var load = loads;
    readyOfLoad = null;
    var channel = new MessageChannel();
    if (port) { port.onmessage = null; port.close(); }
    port = channel.port1;
    port.onmessage = function (e) { receive(e.data, load); };
    frame.contentWindow.postMessage({ type: 'SETUP_CONNECTOR', connectorConfig: connectorConfig }, connectorUrl.origin, [channel.port2]);
    sent.push({ type: 'SETUP_CONNECTOR', load: load });
    logLine('out', 'SETUP_CONNECTOR', 'load ' + load + ' · ' + connectorUrl.href);
    showState();
  });

  /** Loads the connector page again (setting `src`, even unchanged, navigates the frame). */
  function reload() {
    frame.src = connectorUrl.href;
  }

  // ---------- what the connector posts ----------

  function receive(m, load) {
    seen.push(m);
    loadOf.push(load);
    if (m && m.type === 'CONNECTOR_READY') {
      readyOfLoad = m;
      if (m.payload && m.payload.callInProgress) { remember(m.payload.callInProgress); }
      S.afterReady.forEach(function (step) { act(step.send, step.params); });
    }
    if (m && m.type === 'TELEPHONY_EVENT_DISPATCHED') { track(m.payload.telephonyEventType, m.payload.telephonyEventPayload); }
    if (!(m && m.type === 'LOG') || $('show-logs').checked) { logLine('in', label(m), describe(m)); }
    showState();
    showCalls();
    listeners.forEach(function (fn) { fn(m, load); });
    var due = waiters.filter(function (w) { return w.check(); });
    waiters = waiters.filter(function (w) { return due.indexOf(w) < 0; });
    due.forEach(function (w) { w.done(); });
  }

  function label(m) {
    if (!m) { return '?'; }
    return m.type === 'TELEPHONY_EVENT_DISPATCHED' ? m.payload.telephonyEventType : m.type;
  }

  function participantOf(call) {
    var type = call.callAttributes && call.callAttributes.participantType;
    if (type) { return type; }
    return call.callType === 'AddParticipant' ? 'Third_Party' : 'Initial_Caller';
  }

  function remember(call) {
    if (!call || !call.callId) { return; }
    calls[call.callId] = Object.assign({}, calls[call.callId] || {}, call);
    recent = [call.callId].concat(recent.filter(function (id) { return id !== call.callId; }));
  }

  function end(call) {
    if (call && call.callId && calls[call.callId]) { calls[call.callId].state = 'ended'; }
  }

  /** What Salesforce learns of calls from each event. */
  function track(type, p) {
    switch (type) {
      case 'CALL_STARTED': case 'CALL_CONNECTED': case 'QUEUED_CALL_STARTED':
      case 'SUPERVISOR_CALL_STARTED': case 'SUPERVISOR_CALL_CONNECTED': case 'SUPERVISOR_BARGED_IN':
        remember(p);
        break;
      case 'PARTICIPANT_ADDED': case 'PARTICIPANT_CONNECTED':
        if (p && p.callId) {
          remember({
            callId: p.callId, phoneNumber: p.phoneNumber, callInfo: p.callInfo, callType: 'AddParticipant',
            state: type === 'PARTICIPANT_ADDED' ? 'transferring' : 'transferred',
            callAttributes: { participantType: 'Third_Party' }
          });
        }
        break;
      case 'HANGUP': case 'SUPERVISOR_HANGUP':
        [].concat(p || []).forEach(end);
        break;
      case 'PARTICIPANT_REMOVED': {
        var leg = p && p.callId ? p : current('Third_Party');
        end(leg);
        break;
      }
      case 'PHONE_CONTACTS':
        contacts = (p && p.contacts) || [];
        showContacts();
        break;
      default: break;
    }
  }

  function current(participantType) {
    for (var i = 0; i < recent.length; i++) {
      var c = calls[recent[i]];
      if (c.state !== 'ended' && participantOf(c) === (participantType || 'Initial_Caller')) { return c; }
    }
    return undefined;
  }

  var ctx = {
    call: current,
    lastCall: function (participantType) {
      var ids = recent.filter(function (id) { return !participantType || participantOf(calls[id]) === participantType; });
      return ids.length ? calls[ids[0]] : undefined;
    },
    contacts: function () { return contacts; },
    presence: function (nameOrId) {
      return presence.filter(function (s) { return s.statusName === nameOrId || s.statusId === nameOrId; })[0];
    }
  };

  // ---------- what the host sends ----------

  /** Sends one host message as it is (`fields` beside `type`). */
  function send(type, fields) {
    if (!port) { throw new Error('no connector yet: wait for the frame to load'); }
    var m = Object.assign({ type: type }, fields || {});
    port.postMessage(m);
    sent.push(m);
    logLine('out', type, describe(m));
    return m;
  }

  /** Sends one host message worded by host-scripts.js from `params`. */
  function act(type, params) {
    var make = S.messages[type];
    if (!make) { throw new Error('host-scripts.js has no message ' + type); }
    return send(type, make(ctx, params || {}));
  }

  /** Waits for `type` (an event's telephonyEventType, or CONNECTOR_READY) at index `from` or
   * later of `seen`; resolves with {index, message, payload}. */
  function waitFor(type, from, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var found = null;
      var w = {
        check: function () {
          for (var i = from; i < seen.length; i++) {
            if (label(seen[i]) === type) { found = { index: i, message: seen[i], payload: seen[i].payload && (seen[i].type === 'TELEPHONY_EVENT_DISPATCHED' ? seen[i].payload.telephonyEventPayload : seen[i].payload) }; return true; }
          }
          return false;
        },
        done: function () { clearTimeout(w.timer); resolve(found); }
      };
      if (w.check()) { resolve(found); return; }
      w.timer = setTimeout(function () {
        waiters = waiters.filter(function (x) { return x !== w; });
        reject(new Error('no ' + type + ' within ' + (timeoutMs / 1000) + ' s'));
      }, timeoutMs);
      waiters.push(w);
    });
  }

  /** Runs a named sequence of host-scripts.js; resolves with the payloads it waited for.
   * `params.since`: an index of `seen` (standin.mark()) to look for expected events from. */
  function run(name, params) {
    var steps = S.sequences[name];
    if (!steps) { return Promise.reject(new Error('no sequence ' + name)); }
    params = params || {};
    var cursor = typeof params.since === 'number' ? params.since : seen.length;
    var results = [];
    var chain = Promise.resolve();
    steps.forEach(function (step) {
      chain = chain.then(function () {
        if (step.reload) { cursor = seen.length; reload(); return null; }
        if (step.send) { act(step.send, typeof step.params === 'function' ? step.params(params) : step.params); return null; }
        return waitFor(step.expect, cursor, params.timeoutMs || 10000).then(function (r) { cursor = r.index + 1; results.push(r.payload); });
      });
    });
    return chain.then(function () { return results; });
  }

  // ---------- the page ----------

  var SUMMARY = ['callId', 'callType', 'state', 'phoneNumber', 'participantType', 'voiceCallId', 'reason', 'agentStatus',
    'isReplayedCall', 'success', 'statusId', 'message', 'customError', 'isMuted', 'isThirdPartyOnHold', 'isCustomerOnHold',
    'initialCallHasEnded', 'loginFrameHeight', 'contacts', 'digits', 'contact', 'isBlindTransfer', 'isAvailable', 'url', 'call', 'calls',
    // The MESSAGE bridge's payloads (the Lightning protocol).
    'type', 'id', 'ask', 'key', 'recordId', 'objectType', 'ok', 'command', 'campaign', 'event', 'language'];

  function short(v) {
    if (v === null || v === undefined) { return ''; }
    if (Array.isArray(v)) { return '[' + v.map(short).join(' | ') + ']'; }
    if (typeof v !== 'object') { return String(v); }
    var parts = [];
    SUMMARY.forEach(function (k) {
      var x = k === 'participantType' || k === 'voiceCallId' ? (v.callAttributes || {})[k] : v[k];
      if (x === undefined || x === null || x === '') { return; }
      if (k === 'contacts') { x = x.length + ' (' + x.map(function (c) { return c.name || c.phoneNumber; }).join(', ') + ')'; }
      else if (k === 'customError') { x = x.labelName + ' "' + x.message + '"'; }
      else if (k === 'contact') { x = x.name || x.phoneNumber || x.id; }
      else if (typeof x === 'object') { x = '{' + short(x) + '}'; }
      parts.push(k + '=' + x);
    });
    return parts.join(' ');
  }

  function describe(m) {
    if (!m) { return ''; }
    if (m.type === 'TELEPHONY_EVENT_DISPATCHED') { return short(m.payload.telephonyEventPayload); }
    if (m.type === 'CONNECTOR_READY') {
      var p = m.payload || {};
      if (!p.agentConfig) { return '(empty: the connector could not answer)'; }
      var caps = Object.keys(p.capabilities || {}).filter(function (k) { return p.capabilities[k]; });
      var phone = p.agentConfig.SELECTED_PHONE || {};
      return 'phone=' + phone.type + (phone.number ? ' ' + phone.number : '') + ' capabilities=' + caps.join(',') +
        ' callInProgress=' + (p.callInProgress ? '{' + short(p.callInProgress) + '}' : 'none');
    }
    if (m.type === 'LOG') { return (m.payload.isError ? 'error ' : '') + m.payload.eventType; }
    var fields = Object.assign({}, m);
    delete fields.type;
    return short(fields);
  }

  function logLine(direction, type, text) {
    var li = document.createElement('li');
    li.className = direction;
    var time = document.createElement('time');
    time.textContent = new Date().toISOString().slice(11, 23);
    var arrow = document.createElement('span');
    arrow.className = 'arrow';
    arrow.textContent = direction === 'out' ? 'host →' : '← connector';
    var name = document.createElement('strong');
    name.textContent = type;
    var body = document.createElement('span');
    body.textContent = ' ' + text;
    li.append(time, ' ', arrow, ' ', name, body);
    li.setAttribute('data-type', type);
    // The log's own scroll follows the latest line (the page itself stays where the agent is).
    var box = $('log').parentElement;
    var following = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    $('log').appendChild(li);
    if (following) { box.scrollTop = box.scrollHeight; }
  }

  function showState() {
    var last = readyOfLoad ? 'CONNECTOR_READY ✓' : (events().some(function (e) { return e.telephonyEventType === 'SHOW_LOGIN'; }) ? 'SHOW_LOGIN: the agent logs in below' : 'waiting for the connector');
    $('state').textContent = 'load ' + loads + ' · ' + last;
  }

  function showCalls() {
    var list = $('calls');
    list.textContent = '';
    recent.forEach(function (id) {
      var li = document.createElement('li');
      li.textContent = participantOf(calls[id]) + ' · ' + short(calls[id]);
      if (calls[id].state === 'ended') { li.className = 'ended'; }
      list.appendChild(li);
    });
  }

  function showContacts() {
    var select = $('contact');
    select.textContent = '';
    contacts.forEach(function (c, i) {
      var o = document.createElement('option');
      o.value = String(i);
      o.textContent = c.type + ': ' + (c.name || c.phoneNumber || c.id);
      select.appendChild(o);
    });
  }

  function events() {
    return seen.filter(function (m) { return m && m.type === 'TELEPHONY_EVENT_DISPATCHED'; }).map(function (m) { return m.payload; });
  }

  /** A button's parameters, from the inputs beside it. */
  function paramsFor(type, button) {
    switch (type) {
      case 'DIAL': return { number: $('dial-number').value };
      case 'SEND_DIGITS': return { digits: $('digits').value };
      case 'END_CALL': return { participantType: button.getAttribute('data-participant') };
      case 'SET_AGENT_STATUS': return { status: $('presence').value };
      case 'GET_PHONE_CONTACTS': return { contains: $('contacts-filter').value };
      case 'ADD_PARTICIPANT': {
        var typed = $('xfer-number').value.trim();
        return { blind: button.getAttribute('data-blind') === 'true', number: typed || undefined, contact: typed ? undefined : contacts[Number($('contact').value)] };
      }
      case 'SET_AGENT_CONFIG': return { number: $('phone-number').value };
      case 'MESSAGE': return { message: JSON.parse($('message').value || '{}') };
      case 'SUPERVISE_CALL': case 'SUPERVISOR_DISCONNECT': case 'SUPERVISOR_BARGE_IN':
        return { callId: $('supervise-call').value.trim() || undefined };
      default: return {};
    }
  }

  document.addEventListener('click', function (e) {
    var b = e.target.closest('[data-send]');
    if (!b) { return; }
    var type = b.getAttribute('data-send');
    try { act(type, paramsFor(type, b)); } catch (err) { logLine('out', type, 'not sent: ' + err.message); }
  });
  $('reload').addEventListener('click', reload);
  $('run').addEventListener('click', function () {
    var name = $('sequence').value;
    $('run-state').textContent = name + ': running…';
    run(name, { number: $('dial-number').value, digits: $('digits').value }).then(function (r) {
      $('run-state').textContent = name + ': done (' + r.length + ' events)';
    }, function (err) { $('run-state').textContent = name + ': ' + err.message; });
  });
  presence.forEach(function (s) {
    var o = document.createElement('option');
    o.value = s.statusName;
    o.textContent = s.statusName + (s.isOffline ? ' (offline)' : '');
    $('presence').appendChild(o);
  });
  Object.keys(S.sequences).forEach(function (name) {
    var o = document.createElement('option');
    o.value = name;
    o.textContent = name;
    $('sequence').appendChild(o);
  });

  window.standin = {
    /** Sends a host message as given: send('DIAL', {contact: {phoneNumber: '1155551234'}}). */
    send: send,
    /** Sends a host message worded by host-scripts.js: act('END_CALL', {participantType: 'Third_Party'}). */
    act: act,
    /** Runs a named sequence of host-scripts.js: run('blind transfer'). */
    run: run,
    /** Everything the connector posted (CONNECTOR_READY, TELEPHONY_EVENT_DISPATCHED, LOG), in order. */
    seen: seen,
    /** Every host message sent (SETUP_CONNECTOR included). */
    sent: sent,
    /** The TELEPHONY_EVENT_DISPATCHED payloads ({telephonyEventType, telephonyEventPayload}). */
    events: events,
    /** This frame load's CONNECTOR_READY (undefined until then). */
    ready: function () { return readyOfLoad; },
    /** An index of `seen`, for run(…, {since}) and since(). */
    mark: function () { return seen.length; },
    /** The events posted from index `from` on. */
    since: function (from) { return seen.slice(from).filter(function (m) { return m.type !== 'LOG'; }).map(label); },
    /** Waits for an event (or CONNECTOR_READY) from index `from` of `seen`. */
    waitFor: function (type, from, timeoutMs) { return waitFor(type, from || 0, timeoutMs || 10000); },
    /** The calls the host was told of, most recent first. */
    calls: function () { return recent.map(function (id) { return calls[id]; }); },
    /** The contacts of the last PHONE_CONTACTS. */
    contacts: function () { return contacts; },
    /** How many times the connector frame loaded (one SETUP_CONNECTOR each). */
    loads: function () { return loads; },
    /** Loads the connector frame again (Salesforce refreshing it). */
    reload: reload,
    /** `fn(message, load)` hears everything the connector posts, after the host tracked it. */
    onMessage: function (fn) { listeners.push(fn); },
    /** Whether Neotel's Lightning components are on the page (not ?lightning=off). */
    lightningOn: lightning,
    scripts: S
  };

  frame.src = connectorUrl.href;
  showState();
})();
