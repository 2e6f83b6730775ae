/*
 * The Salesforce side of Open CTI, stood in locally: the parent window that frames the
 * softphone, answers its postMessage calls from an in-memory org, and shows what Lightning
 * would show (records, search page, new-record modal, activity timeline, utility bar).
 *
 * URL parameters: ?adapter=URL of the softphone page (default /softphone/),
 * ?dataset=URL (default /standin/dataset.json), ?org=URL (records only Salesforce has, default
 * /standin/org.json), ?callcenter=URL (default /standin/callcenter.xml),
 * ?sim=base of the simulator control API (default /sim/).
 * Test hooks live on window.standin (see README.md).
 */
(function () {
  'use strict';

  var API_VERSION = 62;
  var query = new URLSearchParams(location.search);
  var adapterUrl = new URL(query.get('adapter') || '/softphone/', location.href);
  var adapterOrigin = adapterUrl.origin;
  // The org's records, Tasks and rules are the ones both stand-ins share (org-model.js).
  var org = window.StandinOrg.create('neotel-standin-org');
  var PREFIX = org.PREFIX;
  var PHONE_FIELDS = org.PHONE_FIELDS;
  var settings = {};
  var layout = defaultLayout();
  var view = { kind: 'home', objectType: 'Contact' };
  var clickToDial = false;
  var panel = { visible: false, width: 620, height: 420, label: 'Neotel CTI', icon: 'call' };
  var received = [];
  var ignored = 0;
  var registered = []; // {source, key, callId}: one per frame and event, however many listeners it holds
  var works = [];      // Sales Engagement work items started by the startWork hook
  var lmsLog = [];     // every message published on a Lightning message channel
  var lastPop = null;
  var modalState = null;

  // ---------- the org ----------
  function recordsOf(type) { return org.recordsOf(type); }

  function defaultLayout() {
    // The seed's recommendation: new Contact on no match, detail page on one, search page on several.
    var pop = {
      NoMatch: { screenPopType: 'PopToEntity', screenPopData: 'Contact' },
      SingleMatch: { screenPopType: 'PopToEntity' },
      MultipleMatches: { screenPopType: 'PopToSearch' }
    };
    var fields = { Contact: [{ displayName: 'Name', apiName: 'Name' }, { displayName: 'Phone', apiName: 'Phone' }], Account: [{ displayName: 'Name', apiName: 'Name' }], Lead: [{ displayName: 'Name', apiName: 'Name' }], Opportunity: [{ displayName: 'Name', apiName: 'Name' }] };
    return {
      Inbound: { callRelatedFields: ['ANI', 'DNIS', 'QUEUE'], objects: fields, screenPopSettings: JSON.parse(JSON.stringify(pop)) },
      Outbound: { callRelatedFields: [], objects: fields, screenPopSettings: JSON.parse(JSON.stringify(pop)) },
      Internal: { callRelatedFields: [], objects: fields, screenPopSettings: {} }
    };
  }

  function settingsFromXml(text) {
    var doc = new DOMParser().parseFromString(text, 'application/xml');
    var map = { '/displayNameLabel': 'Display Name', '/internalNameLabel': 'Internal Name' };
    doc.querySelectorAll('callCenter > section').forEach(function (s) {
      var sec = s.getAttribute('name');
      map['/' + sec + '/label'] = s.getAttribute('label') || '';
      map['/' + sec + '/sortOrder'] = (s.getAttribute('sortOrder') || '0') + '.0';
      s.querySelectorAll('item').forEach(function (i) {
        var key = '/' + sec + '/' + i.getAttribute('name');
        map[key] = i.textContent;
        if (i.getAttribute('name') !== 'reqInternalName' && i.getAttribute('name') !== 'reqDisplayName') {
          map[key + '/label'] = i.getAttribute('label') || '';
          map[key + '/sortOrder'] = (i.getAttribute('sortOrder') || '0') + '.0';
        }
      });
    });
    return map;
  }

  // The layout's objects for that call type are the ones searched.
  function search(text, callType) {
    return org.search(text, Object.keys((layout[cap(callType)] || layout.Inbound).objects || PREFIX));
  }
  function cap(s) { s = String(s || 'inbound'); return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(); }

  // ---------- the methods Salesforce answers ----------
  // Salesforce's wording for a bad argument (Open CTI's "Common Error Messages" page).
  function invalid(param, expected, found) {
    return { code: 'INVALID_PARAM', description: 'An invalid value was passed to the parameter ' + param + '. ' + expected + ' was expected, but ' + JSON.stringify(found === undefined ? null : found) + ' was found instead.' };
  }
  function text(a, param) {
    if (typeof a[param] !== 'string') { throw invalid(param, 'A string value', a[param]); }
    return a[param];
  }

  // Each handler gets the posted `args` and the frame's window; it returns the returnValue or
  // throws {code, description[, details]}.
  var handlers = {
    enableClickToDial: function () { clickToDial = true; return null; },
    disableClickToDial: function () { clickToDial = false; return null; },
    getCallCenterSettings: function () { return settings; },
    getSoftphoneLayout: function () { return layout; },
    getAppViewInfo: function () { return appView(); },
    isSoftphonePanelVisible: function () { return { visible: panel.visible }; },
    notifyInitializationComplete: function () { return null; },
    onClickToDial: function () { return null; },
    onNavigationChange: function () { return null; },
    onWorkStart: function () { return null; },
    refreshView: function () { render(); return null; },
    setSoftphonePanelVisibility: function (a) {
      if (typeof a.visible !== 'boolean') { throw invalid('visible', 'A boolean value', a.visible); }
      panel.visible = a.visible; renderPanel(); return null;
    },
    setSoftphonePanelHeight: function (a) { return size('height', 'heightPX', a.heightPX, 240, 2560); },
    setSoftphonePanelWidth: function (a) { return size('width', 'widthPX', a.widthPX, 200, 1920); },
    setSoftphoneItemLabel: function (a) { panel.label = text(a, 'label'); renderPanel(); return null; },
    setSoftphonePanelLabel: function (a) { panel.label = text(a, 'label'); renderPanel(); return null; },
    setSoftphoneItemIcon: function (a) { panel.icon = text(a, 'key'); renderPanel(); return null; },
    setSoftphonePanelIcon: function (a) { panel.icon = text(a, 'key'); renderPanel(); return null; },
    searchAndScreenPop: function (a) {
      var callType = String(a.callType || '').toLowerCase();
      if (['inbound', 'outbound', 'internal'].indexOf(callType) < 0) { throw invalid('callType', 'One of inbound, outbound, internal', a.callType); }
      if (typeof a.searchParams !== 'string') { throw invalid('searchParams', 'A string value', a.searchParams); }
      var found = search(a.searchParams, callType);
      var fields = (layout[cap(callType)] || {}).objects || {};
      var out = {};
      found.forEach(function (r) { out[r.Id] = searchEntry(r, fields[r.type] || []); });
      var rules = ((layout[cap(callType)] || {}).screenPopSettings) || {};
      var popData = popFor(found, rules, a.searchParams, a.defaultFieldValues);
      if (a.deferred) { out.SCREEN_POP_DATA = popData; } else if (popData) { doScreenPop(popData.type, popData.params); }
      return out;
    },
    screenPop: function (a) { doScreenPop(a.type, a.params || {}); return null; },
    saveLog: function (a) { return saveLog(a.object); },
    runApex: function (a) { return runApex(a); },
    // Lightning Message Service: the frame's listener is registered with the message itself.
    subscribe: function (a) { text(a, 'eventName'); return null; },
    unsubscribe: function (a, source) {
      var key = 'subscribe:' + text(a, 'eventName');
      registered = registered.filter(function (r) { return !(r.source === source && r.key === key); });
      return null;
    },
    publish: function (a) {
      if (!a.message || typeof a.message !== 'object') { throw invalid('message', 'A serializable object', a.message); }
      publish(text(a, 'eventName'), a.message); return null;
    },
    // Sales Engagement: work items come from the startWork hook (no Sales Engagement here).
    completeWork: function (a) {
      var work = works.find(function (w) { return w.workId === a.workId; });
      if (!work) { throw invalid('workId', 'The workId of a started work item', a.workId); }
      if (work.completed) { throw { code: 'GENERIC_ERROR', description: 'Work item ' + a.workId + ' is already complete.' }; }
      work.completed = a.attributes || {};
      return null;
    }
  };

  function searchEntry(r, fields) {
    var entry = { Id: r.Id, Name: r.Name, RecordType: r.type, LastModifiedDate: org.modified[r.Id] || null };
    fields.forEach(function (f) { if (f.apiName && r[f.apiName] !== undefined && !(f.apiName in entry)) { entry[f.apiName] = r[f.apiName]; } });
    return entry;
  }

  function publish(eventName, message) {
    lmsLog.push({ eventName: eventName, message: message, at: Date.now() });
    fire('subscribe', message, eventName);
  }

  function size(which, param, px, lo, hi) {
    if (typeof px !== 'number' || !(px >= lo && px <= hi)) { throw invalid(param, 'A number from ' + lo + ' to ' + hi, px); }
    panel[which] = px; renderPanel(); return null;
  }

  function popFor(found, rules, searchText, defaults) {
    var rule = found.length === 0 ? rules.NoMatch : found.length === 1 ? rules.SingleMatch : rules.MultipleMatches;
    var t = rule && rule.screenPopType;
    if (!t || t === 'DoNotPop') { return null; }
    if (found.length === 0 && t === 'PopToEntity') { return { type: 'newRecord', params: { entityName: rule.screenPopData, defaultFieldValues: defaults || {} } }; }
    if (found.length === 1) { return { type: 'sobject', params: { recordId: found[0].Id } }; }
    if (t === 'PopToSearch') { return { type: 'search', params: { searchString: String(searchText || '') } }; }
    return null;
  }

  function doScreenPop(type, params) {
    if (!params || typeof params !== 'object') { throw invalid('params', 'An object', params); }
    if (type === 'sobject') {
      if (!org.records[params.recordId]) { throw invalid('recordId', 'The Id of an existing record', params.recordId); }
      lastPop = { type: type, params: params };
      navigate({ kind: 'record', id: params.recordId });
    } else if (type === 'newRecord') {
      if (!PREFIX[params.entityName] && !/__c$/.test(params.entityName || '')) { throw invalid('entityName', 'An object API name', params.entityName); }
      lastPop = { type: type, params: params };
      openModal(params.entityName, params.defaultFieldValues || {});
    } else if (type === 'search') {
      if (typeof params.searchString !== 'string' || params.searchString.trim().length < 3) { throw invalid('searchString', 'A string of 3 characters or more', params.searchString); }
      lastPop = { type: type, params: params };
      navigate({ kind: 'search', text: params.searchString });
    } else if (type === 'objecthome' || type === 'list') {
      if (!PREFIX[params.scope] && !/__c$/.test(params.scope || '')) { throw invalid('scope', 'An object API name', params.scope); }
      lastPop = { type: type, params: params };
      navigate({ kind: 'home', objectType: params.scope });
    } else if (type === 'url') {
      if (typeof params.url !== 'string' || !params.url) { throw invalid('url', 'A URL', params.url); }
      lastPop = { type: type, params: params };
      navigate({ kind: 'url', url: params.url });
    } else if (type === 'flow') {
      if (typeof params.flowDevName !== 'string' || !params.flowDevName) { throw invalid('flowDevName', 'The API name of an active screen flow', params.flowDevName); }
      lastPop = { type: type, params: params };
      navigate({ kind: 'flow', name: params.flowDevName, args: params.flowArgs || [] });
    } else {
      throw invalid('type', 'A sforce.opencti.SCREENPOP_TYPE value', type);
    }
  }

  // saveLog's field errors, as Salesforce gives them: one GENERIC_ERROR whose details say why.
  function saveError(message, fields) {
    var detail = { message: message };
    if (fields) { detail.fields = fields; }
    return { code: 'GENERIC_ERROR', description: 'An error occurred while calling the saveLog() API method. Review the Details field in the error section.', details: [detail] };
  }

  /** A write to the org (a Task, a record), kept across reloads as a real org keeps it. */
  function saveLog(value) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) { throw invalid('value', 'An object', value); }
    var id;
    try {
      id = org.write(value);
    } catch (e) {
      throw e && e.orgError ? saveError(e.message, e.fields) : e;
    }
    render();
    return id;
  }

  // The org's only Apex class; any failure of the call reads as Salesforce words it.
  function runApex(a) {
    var params = new URLSearchParams(String(a.methodParams || ''));
    // The package's Task look-up (one Task per call): the Tasks created for a call, newest first.
    if (a.apexClass === 'NeotelDataRetrieval' && a.methodName === 'getTaskByCallObject' && script.apexTaskLookup) {
      var found = org.tasksOfCall(params.get('CallObject'));
      return { runApex: JSON.stringify(found.map(function (t) { return { Id: t.Id, WhoId: t.WhoId || null, WhatId: t.WhatId || null, CallObject: t.CallObject }; })) };
    }
    // X-CAMPAIGN-ENTITY: the records of an object whose Neotel campaign id is the call's campaign.
    if (a.apexClass === 'NeotelDataRetrieval' && a.methodName === 'getRecordByNeotelCampaign') {
      var object = String(params.get('objectName') || '');
      var campaign = String(params.get('campaignId') || '').trim();
      var records = campaign ? recordsOf(object).filter(function (r) { return String(r.neoCampaignId__c) === campaign; }) : [];
      return { runApex: JSON.stringify(records.map(org.json)) };
    }
    var m = a.apexClass === 'NeotelDataRetrieval' && /^get(Lead|Contact|Account|Opportunity)ById$/.exec(a.methodName || '');
    if (!m) { throw { code: 'SERVER_ERROR', description: 'Could not load Apex class: ' + a.apexClass + '.' }; }
    var r = org.records[params.get('Id') || ''];
    var list = r && r.type === m[1] ? [org.json(r)] : [];
    return { runApex: JSON.stringify(list) };
  }

  function appView() {
    if (view.kind === 'record' && org.records[view.id]) {
      var r = org.records[view.id];
      return { url: location.origin + '/lightning/r/' + r.type + '/' + r.Id + '/view', recordId: r.Id, recordName: r.Name, objectType: r.type };
    }
    var path = view.kind === 'search' ? '/lightning/search?searchInput=' + encodeURIComponent(view.text || '')
      : view.kind === 'url' ? new URL(view.url, location.origin + '/').href.slice(location.origin.length)
        : view.kind === 'flow' ? '/lightning/flow/' + encodeURIComponent(view.name)
          : '/lightning/o/' + (view.objectType || 'Contact') + '/home';
    return { url: location.origin + path, recordId: null, recordName: null, objectType: null };
  }

  // ---------- scripted host behaviour ----------
  // Everything the stand-in does that an org would not do on its own, in one place: answers
  // that fail, come late or wait, an org without the package's Task look-up. Tests script it
  // through window.standin; the wire below asks here when to answer each call.
  var script = {
    errors: {},             // methodName -> {code, description}: answered as that error
    delays: {},             // methodName -> ms before the answer
    held: {},               // methodName -> answers waiting for release(methodName)
    // The org has the package's NeotelDataRetrieval (with getTaskByCallObject), not only the seed's.
    apexTaskLookup: true,
    // A Task's creation is answered only after a look-up of its call (getTaskByCallObject) was
    // answered, or LOOKUP_WAIT_MS after it came when none comes: a saveLog slower than the
    // look-up, which nothing orders in a real org (issue 24, item 5).
    saveLogAfterLookup: false,
    awaitingLookup: [],     // {callObject, answer} of the Task creations waiting for a look-up
    unanswered: 0           // calls received and not answered yet, whatever made them wait
  };
  var LOOKUP_WAIT_MS = 3000;

  /** Answers one call now, later or once released, as the script says. */
  function whenToAnswer(methodName, args, answer) {
    var once = function () { script.unanswered -= 1; answer(); };
    script.unanswered += 1;
    var value = args.object;
    var createsTask = methodName === 'saveLog' && value && value.entityApiName === 'Task' && !value.Id;
    if (script.held[methodName]) { script.held[methodName].push(once); return; }
    if (script.saveLogAfterLookup && createsTask) {
      var waiting = { callObject: String(value.CallObject || ''), answer: once };
      script.awaitingLookup.push(waiting);
      setTimeout(function () { answerAwaiting(function (w) { return w === waiting; }); }, LOOKUP_WAIT_MS);
      return;
    }
    var delay = script.delays[methodName];
    if (delay) { setTimeout(once, delay); return; }
    once();
    if (methodName === 'runApex' && args.methodName === 'getTaskByCallObject') {
      var call = String(new URLSearchParams(String(args.methodParams || '')).get('CallObject') || '').trim();
      answerAwaiting(function (w) { return w.callObject === call; });
    }
  }

  /** The Task creations `which` picks, answered now (each once). */
  function answerAwaiting(which) {
    var now = script.awaitingLookup.filter(which);
    script.awaitingLookup = script.awaitingLookup.filter(function (w) { return now.indexOf(w) < 0; });
    now.forEach(function (w) { w.answer(); });
  }

  // ---------- the wire ----------
  function frames() { return Array.prototype.slice.call(document.querySelectorAll('#frames iframe')); }
  function frameIndex(source) { return frames().findIndex(function (f) { return f.contentWindow === source; }); }

  // Salesforce answers only its own softphone frames, and only Open CTI messages of its version.
  window.addEventListener('message', function (event) {
    var data = event.data;
    var frame = frameIndex(event.source);
    if (event.origin !== adapterOrigin || frame < 0 || !data || data.apiType !== 'opencti' ||
        data.apiVersion !== API_VERSION || typeof data.methodName !== 'string') { ignored += 1; return; }
    var args = data.args && typeof data.args === 'object' ? data.args : {};
    received.push({ methodName: data.methodName, args: args, at: Date.now(), frame: frame, message: data });
    var reply = function (response) {
      event.source.postMessage({ methodName: data.methodName, callId: data.callId, apiVersion: API_VERSION, apiType: 'opencti',
        shouldExecuteCallback: data.isCallbackRegistered === true, shouldExecuteListener: false, response: response }, adapterOrigin);
    };
    var answer = function () {
      var injected = script.errors[data.methodName];
      if (injected) { reply({ success: false, returnValue: null, errors: [injected] }); return; }
      if (!Object.prototype.hasOwnProperty.call(handlers, data.methodName)) {
        reply({ success: false, returnValue: null, errors: [{ code: 'GENERIC_ERROR', description: 'An error occurred while calling the API method: there is no method ' + data.methodName + '.' }] });
        return;
      }
      var returnValue;
      try {
        returnValue = handlers[data.methodName](args, event.source);
      } catch (e) {
        var error = e && e.code ? e : { code: 'GENERIC_ERROR', description: 'An error occurred while calling the API method: ' + String(e && e.message || e) };
        reply({ success: false, returnValue: null, errors: [error] });
        return;
      }
      if (data.isListenerRegistered === true) { register(event.source, listenerKey(data.methodName, args.eventName), data.callId); }
      reply({ success: true, returnValue: returnValue === undefined ? null : returnValue, errors: null });
    };
    whenToAnswer(data.methodName, args, answer);
  });

  // LMS listeners are per channel; the others per method.
  function listenerKey(methodName, eventName) { return methodName === 'subscribe' ? 'subscribe:' + eventName : methodName; }

  // One registration per frame and event: the library runs all of a frame's listeners for one
  // message, so a second listener (or a reloaded frame registering again) must not double it.
  function register(source, key, callId) {
    var existing = registered.find(function (r) { return r.source === source && r.key === key; });
    if (existing) { existing.callId = callId; } else { registered.push({ source: source, key: key, callId: callId }); }
  }

  // An event to every frame listening: the payload itself is the response.
  function fire(methodName, payload, eventName) {
    var key = listenerKey(methodName, eventName);
    registered.filter(function (r) { return r.key === key; }).forEach(function (r) {
      var message = { methodName: methodName, callId: r.callId, apiVersion: API_VERSION, apiType: 'opencti',
        shouldExecuteCallback: false, shouldExecuteListener: true, response: payload };
      if (methodName === 'subscribe') { message.eventName = eventName; }
      r.source.postMessage(message, adapterOrigin);
    });
  }

  // ---------- what Lightning shows ----------
  var main = document.getElementById('main');
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }

  function navigate(next) {
    view = next;
    render();
    fire('onNavigationChange', appView());
  }

  function render() {
    renderTabs();
    if (view.kind === 'record' && org.records[view.id]) { main.innerHTML = recordPage(org.records[view.id]); }
    else if (view.kind === 'search') { main.innerHTML = searchPage(view.text); }
    else if (view.kind === 'url') { main.innerHTML = '<div class="card"><h2>URL</h2><p>' + esc(view.url) + '</p></div>'; }
    else if (view.kind === 'flow') { main.innerHTML = flowPage(view); }
    else { main.innerHTML = homePage(view.objectType || 'Contact'); }
  }

  function renderTabs() {
    var tabs = document.getElementById('tabs');
    tabs.innerHTML = Object.keys(PREFIX).filter(function (t) { return t !== 'Task'; }).map(function (t) {
      var on = view.kind === 'home' && view.objectType === t ? ' class="on"' : '';
      return '<button type="button" data-object="' + t + '"' + on + '>' + plural(t) + '</button>';
    }).join('');
  }

  function phoneLink(r, field) {
    if (!r[field]) { return ''; }
    return '<a class="phone" data-testid="phone-' + r.Id + '-' + field + '" data-record="' + r.Id + '" data-phone="' + esc(r[field]) + '">' + esc(r[field]) + '</a>';
  }

  function plural(type) { return type === 'Opportunity' ? 'Opportunities' : type + 's'; }

  function homePage(type) {
    var rows = recordsOf(type).map(function (r) {
      return '<tr><td><a data-open="' + r.Id + '">' + esc(r.Name) + '</a></td><td>' + phoneLink(r, 'Phone') + '</td><td>' + phoneLink(r, 'MobilePhone') + '</td></tr>';
    }).join('');
    return '<div class="card"><h2>' + plural(type) + '</h2><table><tr><th>Name</th><th>Phone</th><th>Mobile</th></tr>' + rows + '</table></div>';
  }

  function recordPage(r) {
    var fields = Object.keys(r).filter(function (k) { return k !== 'type' && k !== 'Id'; }).map(function (k) {
      var v = PHONE_FIELDS.indexOf(k) >= 0 ? phoneLink(r, k) : esc(r[k] == null ? '' : r[k]);
      return '<tr><th>' + esc(k) + '</th><td data-field="' + esc(k) + '">' + v + '</td></tr>';
    }).join('');
    var tasks = org.tasks.filter(function (t) { return t.WhoId === r.Id || t.WhatId === r.Id; }).map(function (t) {
      return '<li data-testid="task-' + t.Id + '"><strong>' + esc(t.Subject) + '</strong> <span class="kind">' + esc(t.CallType || '') + '</span>' +
        '<div class="meta">Resultado: <span data-testid="task-disposition">' + esc(t.CallDisposition || '—') + '</span> · ' +
        esc(t.CallDurationInSeconds || 0) + ' s · ' + esc(t.ActivityDate || '') + '</div>' +
        (t.Description ? '<div>' + esc(t.Description) + '</div>' : '') + '</li>';
    }).join('') || '<li class="meta">Sin actividades</li>';
    return '<div class="card" data-testid="record-page" data-record-id="' + r.Id + '"><span class="kind">' + r.type + '</span><h2>' + esc(r.Name) + '</h2>' +
      '<table>' + fields + '</table></div><div class="card"><h2>Actividad</h2><ul class="timeline" data-testid="timeline">' + tasks + '</ul></div>';
  }

  function flowPage(v) {
    var rows = (Array.isArray(v.args) ? v.args : []).map(function (a) { return '<tr><th>' + esc(a && a.name) + '</th><td>' + esc(a && a.value) + '</td></tr>'; }).join('');
    return '<div class="card" data-testid="flow-page"><span class="kind">Flow</span><h2>' + esc(v.name) + '</h2><table>' + rows + '</table></div>';
  }

  function searchPage(text) {
    var found = search(text, 'inbound');
    var rows = found.map(function (r) { return '<tr><td><span class="kind">' + r.type + '</span><a data-open="' + r.Id + '">' + esc(r.Name) + '</a></td><td>' + phoneLink(r, 'Phone') + '</td></tr>'; }).join('');
    return '<div class="card" data-testid="search-page"><h2>Resultados de búsqueda: "' + esc(text) + '"</h2><table>' + (rows || '<tr><td>Sin resultados</td></tr>') + '</table></div>';
  }

  function openModal(type, values) {
    modalState = { type: type, values: Object.assign({ Name: '' }, values) };
    var m = document.getElementById('modal');
    var inputs = Object.keys(modalState.values).map(function (k) {
      return '<label for="nf-' + esc(k) + '">' + esc(k) + '</label><input id="nf-' + esc(k) + '" data-field="' + esc(k) + '" value="' + esc(modalState.values[k]) + '">';
    }).join('');
    m.innerHTML = '<div class="box" role="dialog" aria-label="Nuevo ' + esc(type) + '"><h2>Nuevo ' + esc(type) + '</h2>' + inputs +
      '<div class="actions"><button type="button" data-modal="cancel">Cancelar</button><button type="button" class="primary" data-modal="save">Guardar</button></div></div>';
    m.hidden = false;
  }

  function saveModal(extra) {
    if (!modalState) { return null; }
    var values = {};
    document.querySelectorAll('#modal input').forEach(function (i) { values[i.getAttribute('data-field')] = i.value; });
    Object.assign(values, extra || {});
    if (!values.Name) { values.Name = [values.FirstName, values.LastName].filter(Boolean).join(' ') || 'Nuevo ' + modalState.type; }
    var id = saveLog(Object.assign({ entityApiName: modalState.type }, values));
    closeModal();
    navigate({ kind: 'record', id: id });
    return id;
  }
  function closeModal() { modalState = null; var m = document.getElementById('modal'); m.hidden = true; m.innerHTML = ''; }

  function renderPanel() {
    var p = document.getElementById('panel');
    p.hidden = !panel.visible;
    p.style.width = panel.width + 'px';
    p.style.height = panel.height + 'px';
    document.getElementById('panel-label').textContent = panel.label;
    document.getElementById('utility-label').textContent = panel.label;
    var icon = document.getElementById('utility-icon');
    // Glyphs every system font has: the icon's name is in data-icon for tests.
    icon.textContent = { call: '☎', end_call: '☎', user: '☎', away: '‖', clock: '…', offline: '○', warning: '!' }[panel.icon] || '☎';
    icon.setAttribute('data-icon', panel.icon);
  }

  function addFrame() {
    var f = document.createElement('iframe');
    var src = new URL(adapterUrl.href);
    src.searchParams.set('sfdcIframeOrigin', location.origin);
    src.searchParams.set('mode', 'Lightning');
    f.src = src.href;
    f.title = 'Open CTI Softphone';
    f.setAttribute('data-testid', 'softphone-frame-' + frames().length);
    document.getElementById('frames').appendChild(f);
    return f;
  }

  /** Every softphone frame goes, as when the agent closes the Salesforce tabs; its listeners
   * go with it. */
  function closeTabs() {
    frames().forEach(function (f) { f.remove(); });
    registered = [];
    return frames().length;
  }

  document.addEventListener('click', function (e) {
    var t = e.target.closest('[data-object],[data-open],[data-phone],[data-modal],#utility-item,#panel-min');
    if (!t) { return; }
    if (t.dataset.object) { navigate({ kind: 'home', objectType: t.dataset.object }); }
    else if (t.dataset.open) { navigate({ kind: 'record', id: t.dataset.open }); }
    else if (t.dataset.phone) { if (clickToDial) { clickPhone(t.dataset.phone, t.dataset.record); } }
    else if (t.dataset.modal === 'save') { saveModal(); }
    else if (t.dataset.modal === 'cancel') { closeModal(); fire('onNavigationChange', appView()); }
    else if (t.id === 'utility-item') { panel.visible = !panel.visible; renderPanel(); }
    else if (t.id === 'panel-min') { panel.visible = false; renderPanel(); }
  });

  function clickPhone(number, recordId) {
    var r = org.records[recordId] || {};
    panel.visible = true; renderPanel();
    fire('onClickToDial', { number: number, recordId: recordId, recordName: r.Name || '', objectType: r.type || '' });
  }

  // ---------- hooks for tests ----------
  window.standin = {
    fireClickToDial: function (number, recordId) { clickPhone(number, recordId); },
    navigateTo: function (recordId) { navigate({ kind: 'record', id: recordId }); },
    injectError: function (methodName, error) { if (error) { script.errors[methodName] = error; } else { delete script.errors[methodName]; } },
    injectDelay: function (methodName, ms) { if (ms) { script.delays[methodName] = ms; } else { delete script.delays[methodName]; } },
    hold: function (methodName) { script.held[methodName] = script.held[methodName] || []; },
    release: function (methodName) { var waiting = script.held[methodName] || []; delete script.held[methodName]; waiting.forEach(function (a) { a(); }); return waiting.length; },
    saveLogAfterLookup: function (on) { script.saveLogAfterLookup = !!on; },
    unanswered: function () { return script.unanswered; },
    openSecondTab: function () { addFrame(); return frames().length; },
    openTab: function () { addFrame(); return frames().length; },
    closeTabs: closeTabs,
    calls: function () { return received.slice(); },
    ignored: function () { return ignored; },
    startWork: function (to) {
      var workId = '0Zs' + 'SI' + String(org.next()).padStart(10, '0') + 'AAA';
      works.push({ workId: workId, to: String(to), completed: null });
      fire('onWorkStart', { workId: workId, completeWorkWhen: 'TaskSaved', attributes: { to: String(to) } });
      return workId;
    },
    works: function () { return works.map(function (w) { return Object.assign({}, w); }); },
    publish: function (channelName, message) { publish(String(channelName), message); },
    published: function () { return lmsLog.slice(); },
    tasks: function () { return org.tasks.slice(); },
    records: function () { return Object.values(org.records); },
    lastPop: function () { return lastPop; },
    modal: function () { return modalState ? { type: modalState.type, values: Object.assign({}, modalState.values) } : null; },
    saveModal: saveModal,
    setLayout: function (l) { layout = l; },
    setApexTaskLookup: function (on) { script.apexTaskLookup = !!on; },
    layout: function () { return layout; },
    settings: function () { return settings; },
    setSetting: function (path, value) { settings[path] = String(value); },
    clickToDialEnabled: function () { return clickToDial; },
    panel: function () { return Object.assign({}, panel); },
    view: appView,
    simBase: query.get('sim') || '/sim/'
  };

  // ---------- start ----------
  Promise.all([
    fetch(query.get('dataset') || '/standin/dataset.json').then(function (r) { return r.json(); }),
    fetch(query.get('callcenter') || '/standin/callcenter.xml').then(function (r) { return r.text(); }),
    fetch(query.get('org') || '/standin/org.json').then(function (r) { return r.ok ? r.json() : {}; }).catch(function () { return {}; })
  ]).then(function (loaded) {
    org.load(loaded[0], loaded[2]);
    settings = settingsFromXml(loaded[1]);
    var w = Number(settings['/reqGeneralInfo/reqSoftphoneWidth']); var h = Number(settings['/reqGeneralInfo/reqSoftphoneHeight']);
    if (w) { panel.width = w; } if (h) { panel.height = h; }
    panel.visible = true;
    render(); renderPanel(); addFrame();
    window.standin.ready = true;
  }).catch(function (e) {
    main.innerHTML = '<div class="card error">No se pudo cargar el org de demostración: ' + esc(e) + '</div>';
  });
})();
