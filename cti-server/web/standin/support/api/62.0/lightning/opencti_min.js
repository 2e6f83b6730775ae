/*
 * Clean-room Open CTI library for the local Lightning stand-in (API 62.0).
 *
 * Written from the public description of Salesforce's postMessage protocol (the project's
 * spec/opencti-evidence.md, section 3), never copied from Salesforce's file. The softphone
 * page loads it exactly as it loads Salesforce's: from {sfdcIframeOrigin}/support/api/62.0/
 * lightning/opencti_min.js. Same URL parameters, same message shapes, same argument checks.
 */
(function () {
  'use strict';

  var API_VERSION = 62;
  var INIT_ERROR = 'Failed to initialize Open CTI. Ensure that it is loaded from the right frame with correct URL parameters';
  // Salesforce's host suffixes, and (stand-in only) loopback, where the demo and tests run.
  var SALESFORCE_ORIGIN = /^https:\/\/[a-z0-9.-]+\.(force\.com|visualforce\.com|my-visualforce\.com|my-lightning\.com|salesforce\.com|my-salesforce\.com|salesforce\.mil|salesforce\.ms|crmforce\.mil|crmforce\.ms)(:\d+)?$/i;
  var LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/;

  var query = new URLSearchParams(window.location.search);
  var origin = query.get('sfdcIframeOrigin');
  var mode = query.get('mode');
  if (!origin || !mode || !(SALESFORCE_ORIGIN.test(origin) || LOOPBACK_ORIGIN.test(origin)) ||
      origin.indexOf(window.location.protocol) !== 0) {
    throw new Error(INIT_ERROR);
  }

  var nextCallId = 0;
  var callbacks = {};
  var listeners = {};

  function send(methodName, args, callback, listener) {
    var callId = nextCallId++;
    if (callback) { callbacks[methodName + '_' + callId] = callback; }
    if (listener) { (listeners[methodName] = listeners[methodName] || []).push(listener); }
    window.parent.postMessage({
      methodName: methodName,
      callId: callId,
      apiVersion: API_VERSION,
      apiType: 'opencti',
      isCallbackRegistered: !!callback,
      isListenerRegistered: !!listener,
      args: args
    }, origin);
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (!data || event.origin !== origin || data.apiVersion !== API_VERSION || data.apiType !== 'opencti') { return; }
    if (data.shouldExecuteCallback === true) {
      var key = data.methodName + '_' + data.callId;
      var callback = callbacks[key];
      if (callback) { delete callbacks[key]; callback(data.response); }
    }
    if (data.shouldExecuteListener === true) {
      (listeners[data.methodName] || []).forEach(function (l) { l(data.response); });
    }
  });

  function fail(methodName, what) {
    throw new Error('Invalid arguments for sforce.opencti.' + methodName + ': ' + what);
  }

  var NO_ARGUMENT_NEEDED = ['enableClickToDial', 'disableClickToDial', 'refreshView', 'notifyInitializationComplete'];
  var CALLBACK_REQUIRED = ['getCallCenterSettings', 'getSoftphoneLayout', 'getAppViewInfo', 'isSoftphonePanelVisible'];
  var LISTENER_REQUIRED = ['onClickToDial', 'onNavigationChange'];

  // What each method forwards to Salesforce (the rest of its argument stays in the frame).
  var FORWARDED = {
    setSoftphonePanelVisibility: ['visible'],
    screenPop: ['type', 'params'],
    searchAndScreenPop: ['searchParams', 'callType', 'queryParams', 'defaultFieldValues', 'deferred', 'params'],
    saveLog: ['value'],
    setSoftphoneItemLabel: ['label'],
    setSoftphonePanelLabel: ['label'],
    setSoftphoneItemIcon: ['key'],
    setSoftphonePanelIcon: ['key'],
    setSoftphonePanelHeight: ['heightPX'],
    setSoftphonePanelWidth: ['widthPX'],
    runApex: ['apexClass', 'methodName', 'methodParams']
  };

  function method(name) {
    return function (arg) {
      if (arguments.length > 1) { fail(name, 'pass exactly one object'); }
      if (NO_ARGUMENT_NEEDED.indexOf(name) >= 0) {
        arg = arg || {};
        if (typeof arg !== 'object') { fail(name, 'the argument must be an object'); }
      } else if (!arg || typeof arg !== 'object' || Array.isArray(arg) || Object.keys(arg).length === 0) {
        fail(name, 'pass exactly one non-empty object');
      }
      if (CALLBACK_REQUIRED.indexOf(name) >= 0 && typeof arg.callback !== 'function') { fail(name, 'callback is required'); }
      if (LISTENER_REQUIRED.indexOf(name) >= 0 && typeof arg.listener !== 'function') { fail(name, 'listener is required'); }
      if (arg.callback !== undefined && typeof arg.callback !== 'function') { fail(name, 'callback must be a function'); }
      if (name === 'saveLog' && (!arg.value || typeof arg.value !== 'object')) { fail(name, 'value must be an object'); }
      if (name === 'searchAndScreenPop' && !arg.callType) { fail(name, 'callType is required'); }
      if (name === 'setSoftphonePanelVisibility' && typeof arg.visible !== 'boolean') { fail(name, 'visible must be a boolean'); }
      var args = {};
      (FORWARDED[name] || []).forEach(function (k) { if (arg[k] !== undefined) { args[k] = arg[k]; } });
      send(name, args, arg.callback, LISTENER_REQUIRED.indexOf(name) >= 0 ? arg.listener : null);
    };
  }

  var api = {
    CALL_TYPE: { INBOUND: 'inbound', OUTBOUND: 'outbound', INTERNAL: 'internal' },
    SCREENPOP_TYPE: { URL: 'url', SOBJECT: 'sobject', OBJECTHOME: 'objecthome', LIST: 'list', SEARCH: 'search', NEW_RECORD_MODAL: 'newRecord', FLOW: 'flow' }
  };
  ['enableClickToDial', 'disableClickToDial', 'getAppViewInfo', 'getCallCenterSettings', 'getSoftphoneLayout',
    'isSoftphonePanelVisible', 'notifyInitializationComplete', 'onClickToDial', 'onNavigationChange', 'refreshView',
    'runApex', 'saveLog', 'screenPop', 'searchAndScreenPop', 'setSoftphoneItemIcon', 'setSoftphoneItemLabel',
    'setSoftphonePanelHeight', 'setSoftphonePanelIcon', 'setSoftphonePanelLabel', 'setSoftphonePanelVisibility',
    'setSoftphonePanelWidth'].forEach(function (name) { api[name] = method(name); });

  window.sforce = window.sforce || {};
  window.sforce.opencti = api;
})();
