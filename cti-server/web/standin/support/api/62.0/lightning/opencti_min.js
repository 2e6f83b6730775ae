/*
 * Clean-room Open CTI library for the local Lightning stand-in (API 62.0).
 *
 * Written from the public description of Salesforce's postMessage protocol (the project's
 * spec/opencti-evidence.md, sections 3 and 4, and Salesforce's method documentation), never
 * copied from Salesforce's file. The softphone page loads it exactly as it loads Salesforce's:
 * from {sfdcIframeOrigin}/support/api/62.0/lightning/opencti_min.js. Same URL parameters, same
 * message shapes, same synchronous argument checks; README.md tables every method.
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
  var callbacks = {}; // 'methodName_callId' -> one-shot callback
  var listeners = {}; // methodName (or 'subscribe:' + channel for LMS) -> listeners, never removed but by unsubscribe

  function listenerKey(methodName, eventName) {
    return methodName === 'subscribe' ? 'subscribe:' + eventName : methodName;
  }

  function post(methodName, args, callback, listener, eventName) {
    var callId = nextCallId++;
    if (callback) { callbacks[methodName + '_' + callId] = callback; }
    if (listener) {
      var key = listenerKey(methodName, eventName);
      (listeners[key] = listeners[key] || []).push(listener);
    }
    window.parent.postMessage({
      methodName: methodName,
      callId: callId,
      apiVersion: API_VERSION,
      apiType: 'opencti',
      isCallbackRegistered: !!callback,
      isListenerRegistered: !!listener,
      args: args
    }, origin);
    return callId;
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
      // One message per event: every listener registered for it runs once.
      (listeners[listenerKey(data.methodName, data.eventName)] || []).slice().forEach(function (l) { l(data.response); });
    }
  });

  function fail(name, what) {
    throw new Error('Invalid arguments for sforce.opencti.' + name + ': ' + what);
  }

  function isFunction(f) { return typeof f === 'function'; }
  function isObject(o) { return !!o && typeof o === 'object' && !Array.isArray(o); }

  // A Lightning message must survive JSON: no functions, symbols, big integers or cycles.
  function serializable(value, seen) {
    var t = typeof value;
    if (t === 'function' || t === 'symbol' || t === 'bigint') { return false; }
    if (value === null || t !== 'object') { return true; }
    if (seen.indexOf(value) >= 0) { return false; }
    seen.push(value);
    var ok = Object.keys(value).every(function (k) { return serializable(value[k], seen); });
    seen.pop();
    return ok;
  }

  function pick(names) {
    return function (a) {
      var args = {};
      names.forEach(function (k) { if (a[k] !== undefined) { args[k] = a[k]; } });
      return args;
    };
  }
  function none() { return {}; }

  var subscriptions = 0;

  /*
   * Every method, as section 3 describes it: whether its argument may be absent (`optional`),
   * which function it must carry (`needs`: 'callback' or 'listener'), its own check, and the
   * `args` it posts (`wire`; a method without one posts {}). `as` is the wire name when it
   * differs from the JavaScript one (the Sales Engagement methods under sforce.opencti.hvs).
   */
  var METHODS = {
    enableClickToDial: { optional: true },
    disableClickToDial: { optional: true },
    refreshView: { optional: true },
    notifyInitializationComplete: { optional: true },
    getCallCenterSettings: { needs: 'callback' },
    getSoftphoneLayout: { needs: 'callback' },
    getAppViewInfo: { needs: 'callback' },
    isSoftphonePanelVisible: { needs: 'callback' },
    onClickToDial: { needs: 'listener' },
    onNavigationChange: { needs: 'listener' },
    setSoftphonePanelVisibility: { wire: pick(['visible']) },
    // A top-level defaultFieldValues stays here: new-record values go inside params.
    screenPop: { wire: pick(['type', 'params']) },
    searchAndScreenPop: { wire: pick(['searchParams', 'callType', 'queryParams', 'defaultFieldValues', 'deferred', 'params']) },
    saveLog: {
      check: function (a) { if (!isObject(a.value)) { return 'value must be an object'; } },
      wire: function (a) { return { object: a.value }; }
    },
    setSoftphoneItemLabel: { wire: pick(['label']) },
    setSoftphonePanelLabel: { wire: pick(['label']) },
    setSoftphoneItemIcon: { wire: pick(['key']) },
    setSoftphonePanelIcon: { wire: pick(['key']) },
    setSoftphonePanelHeight: { wire: pick(['heightPX']) },
    setSoftphonePanelWidth: { wire: pick(['widthPX']) },
    runApex: { wire: pick(['apexClass', 'methodName', 'methodParams']) },
    subscribe: {
      needs: 'listener',
      check: function (a) { if (typeof a.channelName !== 'string' || !a.channelName) { return 'channelName must be a non-empty string'; } },
      channel: function (a) { return a.channelName; },
      // The handle the callback gets as `subscription` and unsubscribe takes back.
      wire: function (a) { subscriptions += 1; return { eventName: a.channelName, subscription: { eventName: a.channelName, subscriptionId: subscriptions } }; }
    },
    unsubscribe: {
      check: function (a) { if (!isObject(a.subscription) || typeof a.subscription.eventName !== 'string') { return 'subscription must be the handle subscribe returned'; } },
      wire: function (a) { return { eventName: a.subscription.eventName }; }
    },
    publish: {
      check: function (a) {
        if (typeof a.channelName !== 'string' || !a.channelName) { return 'channelName must be a non-empty string'; }
        if (!isObject(a.message) || !serializable(a.message, [])) { return 'message must be a serializable object'; }
      },
      wire: function (a) { return { eventName: a.channelName, message: a.message }; }
    },
    'hvs.onWorkStart': { as: 'onWorkStart', needs: 'listener' },
    'hvs.completeWork': { as: 'completeWork', wire: pick(['workId', 'attributes']) }
  };

  function method(name, spec) {
    return function (arg) {
      if (arguments.length > 1) { fail(name, 'pass exactly one object'); }
      if (spec.optional && arg == null) { arg = {}; }
      if (spec.optional ? !isObject(arg) : !isObject(arg) || Object.keys(arg).length === 0) {
        fail(name, 'pass exactly one non-empty object');
      }
      if (spec.needs && !isFunction(arg[spec.needs])) { fail(name, spec.needs + ' must be a function'); }
      if (arg.callback !== undefined && !isFunction(arg.callback)) { fail(name, 'callback must be a function'); }
      var problem = spec.check && spec.check(arg);
      if (problem) { fail(name, problem); }
      var args = (spec.wire || none)(arg);
      var wireName = spec.as || name;
      var callback = arg.callback;
      if (wireName === 'subscribe' && callback) {
        // Salesforce's sample reads the handle from the response: result.subscription.
        var handle = args.subscription;
        callback = function (response) {
          if (response && response.success) { response.subscription = handle; }
          arg.callback(response);
        };
      }
      if (wireName === 'unsubscribe') { delete listeners[listenerKey('subscribe', args.eventName)]; }
      post(wireName, args, callback, spec.needs === 'listener' ? arg.listener : null, spec.channel ? spec.channel(arg) : undefined);
    };
  }

  var api = {
    CALL_TYPE: { INBOUND: 'inbound', OUTBOUND: 'outbound', INTERNAL: 'internal' },
    SCREENPOP_TYPE: { URL: 'url', SOBJECT: 'sobject', OBJECTHOME: 'objecthome', LIST: 'list', SEARCH: 'search', NEW_RECORD_MODAL: 'newRecord', FLOW: 'flow' },
    hvs: {}
  };
  Object.keys(METHODS).forEach(function (name) {
    var path = name.split('.');
    var owner = path.length > 1 ? api[path[0]] : api;
    owner[path[path.length - 1]] = method(name, METHODS[name]);
  });

  window.sforce = window.sforce || {};
  window.sforce.opencti = api;
})();
