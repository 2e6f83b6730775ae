/*
 * The Salesforce side of the softphone: loads Salesforce's Open CTI library from the frame's
 * parent (pinned API version), runs the effects the server asks for, and forwards what
 * Salesforce reports (click-to-dial, navigation). It decides nothing: every effect comes from
 * the connector's core through the server.
 */
(function (global) {
  'use strict';

  var OPENCTI_VERSION = '62.0';
  var CALL_TIMEOUT_MS = 10000;

  // The only sforce.opencti methods an effect may call, and nothing else: a message from the
  // server cannot make the page call an arbitrary function.
  var EFFECTS = ['searchAndScreenPop', 'screenPop', 'saveLog', 'runApex', 'getCallCenterSettings',
    'getSoftphoneLayout', 'getAppViewInfo', 'setSoftphonePanelVisibility', 'setSoftphonePanelHeight',
    'setSoftphonePanelWidth', 'setSoftphoneItemLabel', 'setSoftphoneItemIcon', 'setSoftphonePanelLabel',
    'setSoftphonePanelIcon', 'enableClickToDial', 'disableClickToDial', 'refreshView', 'notifyInitializationComplete',
    'isSoftphonePanelVisible'];

  /** Where Salesforce framed us, or null when the page was opened outside Salesforce. */
  function salesforceOrigin() {
    var q = new URLSearchParams(global.location.search);
    var origin = q.get('sfdcIframeOrigin');
    if (!origin || !q.get('mode') || global.self === global.top) { return null; }
    try { return new URL(origin).origin; } catch (e) { return null; }
  }

  function load(origin) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = origin + '/support/api/' + OPENCTI_VERSION + '/lightning/opencti_min.js';
      s.onload = function () {
        if (global.sforce && global.sforce.opencti) { resolve(global.sforce.opencti); } else { reject(new Error('opencti_min.js loaded but sforce.opencti is missing')); }
      };
      s.onerror = function () { reject(new Error('could not load ' + s.src)); };
      document.head.appendChild(s);
    });
  }

  /** One sforce.opencti call as a promise that always settles: `{ok, value}` or `{ok:false, error}`. */
  function call(api, method, args) {
    return new Promise(function (resolve) {
      var done = false;
      var finish = function (result) { if (!done) { done = true; clearTimeout(timer); resolve(result); } };
      var timer = setTimeout(function () {
        finish({ ok: false, error: { code: 'TIMEOUT', description: 'Salesforce did not answer ' + method + ' within ' + CALL_TIMEOUT_MS / 1000 + ' s' } });
      }, CALL_TIMEOUT_MS);
      var full = Object.assign({}, args, {
        callback: function (r) {
          if (r && r.success) { finish({ ok: true, value: r.returnValue === undefined ? null : r.returnValue }); }
          else {
            var e = (r && r.errors && r.errors[0]) || {};
            // Older libraries report errors as strings.
            if (typeof e === 'string') { e = { code: 'GENERIC_ERROR', description: e }; }
            // saveLog puts the field errors in `details`: they say what was wrong.
            var details = (e.details || []).map(function (d) { return d && (d.message || d); }).filter(Boolean).join('; ');
            var description = (e.description || e.message || 'Salesforce reported an error') + (details ? ': ' + details : '');
            finish({ ok: false, error: { code: e.code || 'GENERIC_ERROR', description: description } });
          }
        }
      });
      try {
        api[method](full);
      } catch (e) {
        finish({ ok: false, error: { code: 'INVALID_PARAM', description: String(e && e.message || e) } });
      }
    });
  }

  /** Runs one effect (`{kind, id, ...args}`) and answers `{id, ok, value|error}`. */
  function run(api, effect) {
    var kind = effect && effect.kind;
    if (EFFECTS.indexOf(kind) < 0 || typeof api[kind] !== 'function') {
      return Promise.resolve({ id: effect && effect.id, ok: false, error: { code: 'INVALID_PARAM', description: 'unknown effect ' + kind } });
    }
    var args = {};
    Object.keys(effect).forEach(function (k) { if (k !== 'kind' && k !== 'id') { args[k] = effect[k]; } });
    return call(api, kind, args).then(function (result) {
      // A saved Task or record shows in Salesforce's timeline only after a refresh.
      if (kind === 'saveLog' && result.ok) { call(api, 'refreshView', {}); }
      return Object.assign({ id: effect.id }, result);
    });
  }

  /** This tab's session is gone and no session will tell its Salesforce side so (taken over,
   * ended, logged out elsewhere): the utility bar says signed out and phones stop dialing. */
  function signedOut(api, label) {
    return Promise.all([call(api, 'disableClickToDial', {}), call(api, 'setSoftphoneItemLabel', { label: label })]);
  }

  /** Registers the listeners that report Salesforce's events. */
  function listen(api, onEvent) {
    api.onClickToDial({ listener: function (p) {
      p = p || {};
      onEvent({ event: 'clickToDial', number: String(p.number == null ? '' : p.number), recordId: p.recordId || null, recordName: p.recordName || null, objectType: p.objectType || null });
    } });
    api.onNavigationChange({ listener: function (p) {
      p = p || {};
      onEvent({ event: 'navigationChange', url: p.url || null, recordId: p.recordId || null, recordName: p.recordName || null, objectType: p.objectType || null });
    } });
  }

  global.NeotelOpenCti = { salesforceOrigin: salesforceOrigin, load: load, run: run, call: call, listen: listen, signedOut: signedOut, VERSION: OPENCTI_VERSION };
})(window);
