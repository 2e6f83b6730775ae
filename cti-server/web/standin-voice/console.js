/*
 * The Salesforce side of the Voice stand-in host beyond the connector: a service console (its
 * workspace tabs, record pages, search page, objects' lists and the new-record modal) over the
 * stand-in org both stand-ins share (/standin/org-model.js, the same records as the Open CTI
 * stand-in's), and Neotel's real Lightning components (lightning.js, built from
 * salesforce/voice-app/ by lightning-standin/) laid out as an admin places them: the bridge and
 * the campaigns in the utility bar, the rest in Omni-Channel's Voice Extension. The MESSAGE
 * bridge between them and the connector is worded in host-scripts.js (`bridge`).
 *
 * URL parameters: ?lightning=off (an org without Neotel's components: the console alone),
 * ?dataset=URL (default /standin/dataset.json: the simulator's scenario, whose
 * `salesforce.records` are the org), ?org=URL (default /standin/org.json: records only
 * Salesforce has), ?sim=URL (the simulator's control API for the demo panel, default /sim/).
 * Test hooks: window.standin.org, .shown(), .lightning… (README.md).
 */
(function () {
  'use strict';

  var S = window.StandinVoiceScripts;
  var standin = window.standin;
  var L = window.StandinLightning;
  var query = new URLSearchParams(location.search);
  var lightningOn = standin.lightningOn;
  var $ = function (id) { return document.getElementById(id); };

  var org = window.StandinOrg.create('neotel-standin-voice-org');
  /** The objects the console lists and searches. */
  var OBJECTS = ['Contact', 'Account', 'Lead', 'Opportunity'];
  /** The new-record modal's fields, by object (the page layout's required ones first). */
  var NEW_FIELDS = {
    Contact: ['FirstName', 'LastName', 'Phone', 'MobilePhone', 'Email'],
    Lead: ['FirstName', 'LastName', 'Company', 'Phone'],
    Account: ['Name', 'Phone'],
    Opportunity: ['Name', 'StageName', 'CloseDate']
  };
  var REQUIRED = { Contact: ['LastName'], Lead: ['LastName', 'Company'], Account: ['Name'], Opportunity: ['Name'] };
  var LABELS = { FirstName: 'First Name', LastName: 'Last Name', MobilePhone: 'Mobile', StageName: 'Stage', CloseDate: 'Close Date' };

  var tabs = [];        // {tabId, title, pageReference, recordId, page}
  var focused = null;   // the focused tab's id; null: a navigation item (Home)
  var modal = null;     // {objectType, fields, values, error}
  var nextTab = 1;
  var apexCalls = [];
  var bridgeLog = [];   // the MESSAGE bridge both ways
  var bridge = null;
  var mounted = {};     // component name → its element

  // ---------- navigation (what NavigationMixin.Navigate shows) ----------

  function pageOf(ref) {
    var a = (ref && ref.attributes) || {};
    var st = (ref && ref.state) || {};
    switch (ref && ref.type) {
      case 'standard__recordPage':
        return { kind: 'record', recordId: String(a.recordId || '') };
      case 'standard__objectPage':
        if (a.actionName === 'new') { return { kind: 'new', objectType: a.objectApiName, defaults: L.decodeDefaultFieldValues(st.defaultFieldValues) }; }
        return { kind: 'objectHome', objectType: a.objectApiName };
      case 'standard__search':
        return { kind: 'search', term: String(st.term || '') };
      default:
        return { kind: 'other', type: ref && ref.type };
    }
  }

  function samePage(a, b) {
    if (a.kind !== b.kind) { return false; }
    if (a.kind === 'record') { return a.recordId === b.recordId; }
    if (a.kind === 'objectHome') { return a.objectType === b.objectType; }
    if (a.kind === 'search') { return a.term === b.term; }
    return false;
  }

  /** Shows a page reference as Lightning does in a console: a workspace tab (the one already
   * open on that page, else a new one), or the new-record modal over the current tab. */
  function navigate(ref) {
    var page = pageOf(ref);
    if (page.kind === 'new') {
      if (!NEW_FIELDS[page.objectType]) { throw new Error('The stand-in creates ' + OBJECTS.join(', ') + ' records, not ' + page.objectType); }
      openModal(page.objectType, page.defaults);
      return null;
    }
    var open = tabs.find(function (t) { return samePage(t.page, page); });
    if (open) { focus(open.tabId); return open.tabId; }
    return openTab(ref, page, true);
  }

  function openTab(ref, page, focusIt) {
    var tab = { tabId: 'ctab' + nextTab++, page: page, pageReference: ref, recordId: null, title: '' };
    describeTab(tab);
    tabs.push(tab);
    if (focusIt) { focus(tab.tabId); } else { render(); }
    return tab.tabId;
  }

  /** A tab's title, record and full page reference, from its page and the org. */
  function describeTab(tab) {
    var p = tab.page;
    if (p.kind === 'record') {
      var r = org.records[p.recordId];
      tab.recordId = r ? r.Id : null;
      tab.title = r ? r.Name : 'Unknown record';
      tab.pageReference = { type: 'standard__recordPage', attributes: { recordId: p.recordId, objectApiName: r ? r.type : null, actionName: 'view' } };
    } else if (p.kind === 'objectHome') {
      tab.title = plural(p.objectType);
    } else if (p.kind === 'search') {
      tab.title = 'Search: ' + p.term;
    } else {
      tab.title = String(p.type || 'Page');
    }
  }

  /** Focuses a tab (null: Home) and tells the app, as the console's lightning__tabFocused. */
  function focus(tabId) {
    var previous = focused;
    focused = tabId;
    render();
    if (previous !== tabId && lightningOn) {
      L.publish('lightning__tabFocused', { previousTabId: previous, currentTabId: tabId });
    }
  }

  function closeTab(tabId) {
    var at = tabs.findIndex(function (t) { return t.tabId === tabId; });
    if (at < 0) { return; }
    tabs.splice(at, 1);
    if (focused === tabId) {
      var next = tabs[at] || tabs[at - 1];
      focus(next ? next.tabId : null);
    } else {
      render();
    }
  }

  function urlOf(ref) {
    var a = ref.attributes || {};
    var p = pageOf(ref);
    switch (p.kind) {
      case 'record': return '/lightning/r/' + (a.objectApiName || (org.records[p.recordId] || {}).type || 'Record') + '/' + p.recordId + '/view';
      case 'new': return '/lightning/o/' + p.objectType + '/new' + ((ref.state || {}).defaultFieldValues ? '?defaultFieldValues=' + encodeURIComponent(ref.state.defaultFieldValues) : '');
      case 'objectHome': return '/lightning/o/' + p.objectType + '/home';
      case 'search': return '/one/one.app#/search?term=' + encodeURIComponent(p.term);
      default: return '/lightning/page/home';
    }
  }

  /** A tab as the workspace API describes it (a copy). */
  function tabInfo(tab) {
    if (!tab) { return null; }
    return {
      tabId: tab.tabId, url: location.origin + urlOf(tab.pageReference), title: tab.title, customTitle: null,
      icon: null, iconAlt: null, focused: tab.tabId === focused, pinned: false, closeable: true, highlighted: false,
      isSubtab: false, parentTabId: null, subtabs: [], recordId: tab.recordId,
      pageReference: JSON.parse(JSON.stringify(tab.pageReference))
    };
  }

  function findTab(tabId) { return tabs.find(function (t) { return t.tabId === tabId; }); }

  var workspace = {
    focusedTab: function () { return tabInfo(findTab(focused)); },
    tab: function (tabId) { return tabInfo(findTab(tabId)); },
    tabs: function () { return tabs.map(tabInfo); },
    focus: focus,
    close: closeTab,
    open: function (options) {
      var ref = options.pageReference || (options.recordId ? { type: 'standard__recordPage', attributes: { recordId: options.recordId, actionName: 'view' } } : { type: 'standard__webPage', attributes: { url: options.url } });
      return openTab(ref, pageOf(ref), options.focus !== false);
    }
  };

  // ---------- the new-record modal ----------

  function openModal(objectType, defaults) {
    var fields = NEW_FIELDS[objectType].slice();
    Object.keys(defaults || {}).forEach(function (f) { if (fields.indexOf(f) < 0) { fields.push(f); } });
    var values = {};
    fields.forEach(function (f) { values[f] = defaults && defaults[f] !== undefined ? String(defaults[f]) : ''; });
    modal = { objectType: objectType, fields: fields, values: values, error: '' };
    renderModal();
    var first = $('modal').querySelector('input');
    if (first) { first.focus(); }
  }

  function modalValues() {
    var values = Object.assign({}, modal.values);
    $('modal').querySelectorAll('input[data-field]').forEach(function (i) { values[i.getAttribute('data-field')] = i.value; });
    return values;
  }

  /** Saves the modal's record (with `extra` fields typed in too): it gets an Id and opens in a
   * tab of its own, focused. Answers the Id, or null when Salesforce refused it (shown). */
  function saveModal(extra) {
    if (!modal) { return null; }
    var values = Object.assign(modalValues(), extra || {});
    modal.values = values;
    var missing = (REQUIRED[modal.objectType] || []).filter(function (f) { return !String(values[f] || '').trim(); });
    if (missing.length) {
      modal.error = 'These required fields must be completed: ' + missing.map(label).join(', ');
      renderModal();
      return null;
    }
    var typed = {};
    Object.keys(values).forEach(function (f) { if (String(values[f]).trim() !== '') { typed[f] = String(values[f]).trim(); } });
    // A person's name is its first and last names (Salesforce's compound Name).
    var name = typed.Name || [typed.FirstName, typed.LastName].filter(Boolean).join(' ');
    var fields = Object.assign({ entityApiName: modal.objectType, Name: name }, typed);
    var id;
    try {
      id = org.write(fields);
    } catch (e) {
      modal.error = e && e.orgError ? e.message : String(e);
      renderModal();
      return null;
    }
    closeModal();
    navigate({ type: 'standard__recordPage', attributes: { recordId: id, actionName: 'view' } });
    return id;
  }

  function closeModal() {
    modal = null;
    renderModal();
  }

  function label(field) { return LABELS[field] || field; }

  // ---------- what the console shows ----------

  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function plural(type) { return type === 'Opportunity' ? 'Opportunities' : type + 's'; }

  function render() {
    renderNav();
    renderTabs();
    var tab = findTab(focused);
    var page = $('page');
    if (!tab) { page.innerHTML = homePage(); return; }
    describeTab(tab);
    var p = tab.page;
    if (p.kind === 'record') { page.innerHTML = recordPage(org.records[p.recordId], p.recordId); }
    else if (p.kind === 'search') { page.innerHTML = searchPage(p.term); }
    else if (p.kind === 'objectHome') { page.innerHTML = objectHome(p.objectType); }
    else { page.innerHTML = '<div class="card"><h2>' + esc(tab.title) + '</h2><p class="weak">The stand-in does not show this page.</p></div>'; }
  }

  function renderNav() {
    $('app-nav').innerHTML = '<button type="button" data-home="1"' + (focused === null ? ' class="on" aria-current="page"' : '') + '>Home</button>' +
      OBJECTS.map(function (t) { return '<button type="button" data-object="' + t + '">' + plural(t) + '</button>'; }).join('');
  }

  function renderTabs() {
    $('workspace-tabs').innerHTML = tabs.map(function (t, i) {
      var on = t.tabId === focused;
      return '<span class="tab' + (on ? ' on' : '') + '"><button type="button" role="tab" aria-selected="' + on + '" data-tab="' + t.tabId + '" data-testid="workspace-tab-' + i + '">' + esc(t.title) + '</button>' +
        '<button type="button" class="close" data-close="' + t.tabId + '" aria-label="Close ' + esc(t.title) + '">×</button></span>';
    }).join('');
  }

  function homePage() {
    return '<div class="card" data-testid="home-page"><h2>Home</h2><p class="weak">Neotel’s service console (stand-in). A call’s record opens here in a tab of its own; the objects above list the org’s records.</p></div>';
  }

  function fieldRows(r) {
    return Object.keys(r).filter(function (k) { return k !== 'type' && k !== 'Id'; }).map(function (k) {
      return '<tr><th scope="row">' + esc(label(k)) + '</th><td data-field="' + esc(k) + '">' + esc(r[k] == null ? '' : r[k]) + '</td></tr>';
    }).join('');
  }

  function recordPage(r, id) {
    if (!r) {
      return '<div class="card error" data-testid="record-page" data-record-id="' + esc(id) + '"><h2>Record not found</h2><p>The record ' + esc(id) + ' was deleted or you don’t have access to it.</p></div>';
    }
    var tasks = org.tasks.filter(function (t) { return t.WhoId === r.Id || t.WhatId === r.Id; }).map(function (t) {
      return '<li data-testid="task-' + esc(t.Id) + '"><strong>' + esc(t.Subject) + '</strong> <span class="kind">' + esc(t.CallType || '') + '</span>' +
        '<div class="weak">' + esc(t.CallDisposition || '—') + ' · ' + esc(t.CallDurationInSeconds || 0) + ' s · ' + esc(t.ActivityDate || '') + '</div></li>';
    }).join('') || '<li class="weak">No activities</li>';
    return '<div class="card" data-testid="record-page" data-record-id="' + esc(r.Id) + '"><span class="kind">' + esc(r.type) + '</span><h2>' + esc(r.Name) + '</h2>' +
      '<table class="fields">' + fieldRows(r) + '</table></div>' +
      '<div class="card"><h2>Activity</h2><ul class="timeline" data-testid="timeline">' + tasks + '</ul></div>';
  }

  function recordRows(found) {
    return found.map(function (r) {
      return '<tr><td><span class="kind">' + esc(r.type) + '</span><a href="#" data-open="' + esc(r.Id) + '">' + esc(r.Name) + '</a></td><td>' + esc(r.Phone || '') + '</td></tr>';
    }).join('');
  }

  function searchPage(term) {
    var found = org.search(term, OBJECTS);
    return '<div class="card" data-testid="search-page" data-term="' + esc(term) + '"><h2>Search results: “' + esc(term) + '”</h2><table class="list"><tr><th scope="col">Name</th><th scope="col">Phone</th></tr>' +
      (recordRows(found) || '<tr><td colspan="2">No results</td></tr>') + '</table></div>';
  }

  function objectHome(type) {
    return '<div class="card" data-testid="object-home" data-object="' + esc(type) + '"><h2>' + esc(plural(type)) + '</h2><table class="list"><tr><th scope="col">Name</th><th scope="col">Phone</th></tr>' +
      (recordRows(org.recordsOf(type)) || '<tr><td colspan="2">No records</td></tr>') + '</table></div>';
  }

  function renderModal() {
    var m = $('modal');
    if (!modal) { m.hidden = true; m.innerHTML = ''; return; }
    var required = REQUIRED[modal.objectType] || [];
    var inputs = modal.fields.map(function (f) {
      var star = required.indexOf(f) >= 0 ? '<abbr title="required">*</abbr> ' : '';
      return '<label for="nf-' + esc(f) + '">' + star + esc(label(f)) + '</label><input id="nf-' + esc(f) + '" data-field="' + esc(f) + '" data-testid="new-record-' + esc(f) + '" value="' + esc(modal.values[f]) + '">';
    }).join('');
    m.innerHTML = '<div class="box" role="dialog" aria-modal="true" aria-labelledby="modal-title"><h2 id="modal-title">New ' + esc(modal.objectType) + '</h2>' +
      (modal.error ? '<p class="error" role="alert" data-testid="new-record-error">' + esc(modal.error) + '</p>' : '') + inputs +
      '<div class="actions"><button type="button" data-modal="cancel" data-testid="new-record-cancel">Cancel</button><button type="button" class="primary" data-modal="save" data-testid="new-record-save">Save</button></div></div>';
    m.hidden = false;
  }

  /** What the console shows now: the new-record modal when open, else the focused tab's page. */
  function shown() {
    if (modal) { return { kind: 'new', objectType: modal.objectType, values: modalValues(), error: modal.error || null }; }
    var tab = findTab(focused);
    if (!tab) { return { kind: 'home' }; }
    var p = tab.page;
    if (p.kind === 'record') {
      var r = org.records[p.recordId];
      return { kind: 'record', tabId: tab.tabId, recordId: p.recordId, objectType: r ? r.type : null, name: r ? r.Name : null };
    }
    if (p.kind === 'search') { return { kind: 'search', tabId: tab.tabId, term: p.term, results: org.search(p.term, OBJECTS).map(function (x) { return x.Id; }) }; }
    if (p.kind === 'objectHome') { return { kind: 'objectHome', tabId: tab.tabId, objectType: p.objectType }; }
    return { kind: 'other', tabId: tab.tabId, title: tab.title };
  }

  document.addEventListener('click', function (e) {
    var t = e.target.closest('[data-home],[data-object],[data-open],[data-tab],[data-close],[data-modal]');
    if (!t) { return; }
    if (t.dataset.open) { e.preventDefault(); }
    if (t.dataset.home) { focus(null); }
    else if (t.dataset.object) { navigate({ type: 'standard__objectPage', attributes: { objectApiName: t.dataset.object, actionName: 'home' } }); }
    else if (t.dataset.open) { navigate({ type: 'standard__recordPage', attributes: { recordId: t.dataset.open, actionName: 'view' } }); }
    else if (t.dataset.tab) { focus(t.dataset.tab); }
    else if (t.dataset.close) { closeTab(t.dataset.close); }
    else if (t.dataset.modal === 'save') { saveModal(); }
    else if (t.dataset.modal === 'cancel') { closeModal(); }
  });

  // Omni-Channel shows the connector's frame at the height it asks for while the agent logs in,
  // and only a strip of it once the connector is ready.
  standin.onMessage(function (m) {
    var frame = $('connector');
    if (m && m.type === 'CONNECTOR_READY') { frame.style.height = ''; }
    if (m && m.type === 'TELEPHONY_EVENT_DISPATCHED' && m.payload.telephonyEventType === 'SHOW_LOGIN') {
      frame.style.height = ((m.payload.telephonyEventPayload || {}).loginFrameHeight || 350) + 'px';
    }
  });

  // ---------- Neotel's components and the MESSAGE bridge ----------

  function logBridge(direction, payload) {
    var entry = { direction: direction, payload: payload, at: Date.now() };
    bridgeLog.push(entry);
    if (bridgeLog.length > 1000) { bridgeLog.splice(0, bridgeLog.length - 1000); }
    return entry;
  }

  /** The bridge's handleMessage: a component's hello or command, an answer, an event. */
  function toConnector(message) {
    var entry = logBridge('toConnector', message);
    var out = S.bridge.toConnector(message);
    try {
      standin.act(out[0], out[1]);
      entry.sent = true;
    } catch (err) {
      // No connector yet (its frame has not loaded): the server's roll asks again.
      entry.sent = false;
      entry.error = err.message;
    }
  }

  standin.onMessage(function (m) {
    if (!m || m.type !== 'TELEPHONY_EVENT_DISPATCHED' || m.payload.telephonyEventType !== 'MESSAGE') { return; }
    var payload = S.bridge.toComponents(m.payload.telephonyEventPayload);
    logBridge('toComponents', payload).delivered = !!bridge;
    if (bridge) { bridge.publishMessage(payload); }
  });

  function mountComponents() {
    if (!lightningOn) {
      $('voice-extension').innerHTML = $('utility-campaigns').innerHTML = '<p class="weak" data-testid="no-components">Neotel’s Lightning components are not in this org (?lightning=off).</p>';
      return;
    }
    L.start({
      org: org,
      isConsole: true,
      navigate: navigate,
      url: urlOf,
      workspace: workspace,
      changed: function () { render(); },
      apexCalled: function (name, params) { apexCalls.push({ name: name, params: params, at: Date.now() }); }
    });
    // The console app's own page: record pages are workspace tabs (lightning__tabFocused).
    L.pageChanged({ type: 'standard__navItemPage', attributes: { apiName: 'standard-home' } });
    // The bridge first: the others' hellos reach it.
    bridge = mounted.neotelBridge = L.mount(S.bridge.component, $('lightning-bridge'));
    bridge.handleMessage = toConnector;
    mounted.neotelCampaigns = L.mount('neotelCampaigns', $('utility-campaigns'));
    ['neotelInfo', 'neotelRecordPicker', 'neotelAfterCallWork', 'neotelSync', 'neotelTextMessage'].forEach(function (name) {
      mounted[name] = L.mount(name, $('voice-extension'));
    });
  }

  function element(name) { return mounted[name] || null; }

  /** An element of component `name` by its data-id (its own shadow tree). */
  function find(name, dataId) {
    var host = element(name);
    return host && host.shadowRoot ? host.shadowRoot.querySelector('[data-id="' + dataId + '"]') : null;
  }

  /** The native control inside a base component `find` names (its button, select, input…). */
  function control(name, dataId) {
    var base = find(name, dataId);
    return base && base.shadowRoot ? base.shadowRoot.querySelector('button, select, input, textarea') : null;
  }

  // ---------- hooks for tests ----------

  Object.assign(standin, {
    /** The stand-in org: its records and Tasks, the Apex calls the components made. */
    org: {
      records: function () { return Object.values(org.records); },
      record: function (id) { return org.records[id] || null; },
      tasks: function () { return org.tasks.slice(); },
      apexCalls: function () { return apexCalls.slice(); }
    },
    /** The records (the demo panel's callers). */
    records: function () { return Object.values(org.records); },
    /** What the console shows: {kind: 'record'|'new'|'search'|'objectHome'|'home', …}. */
    shown: shown,
    /** The workspace tabs, as the workspace API describes them. */
    tabs: function () { return tabs.map(tabInfo); },
    /** Shows a page reference, as a component's NavigationMixin.Navigate does. */
    navigate: navigate,
    /** The new-record modal's values, or null. */
    modal: function () { return modal ? { objectType: modal.objectType, values: modalValues() } : null; },
    /** Saves the new-record modal (with `extra` fields); answers the new Id or null. */
    saveModal: saveModal,
    lightning: {
      on: lightningOn,
      /** The element of component `name` (neotelCampaigns…), or null. */
      element: element,
      find: find,
      control: control,
      /** The text of `find(name, dataId)` ('' when absent). */
      text: function (name, dataId) { var e = find(name, dataId); return e ? e.textContent.trim() : ''; },
      /** The MESSAGE bridge both ways: {direction: 'toComponents'|'toConnector', payload, at, sent}. */
      bridgeLog: function () { return bridgeLog.slice(); },
      /** Every message published on a channel (the latest 1000). */
      published: function () { return L.published(); }
    },
    simBase: query.get('sim') || '/sim/'
  });

  // ---------- start ----------
  Promise.all([
    fetch(query.get('dataset') || '/standin/dataset.json').then(function (r) { return r.json(); }),
    fetch(query.get('org') || '/standin/org.json').then(function (r) { return r.ok ? r.json() : {}; }).catch(function () { return {}; })
  ]).then(function (loaded) {
    org.load(loaded[0], loaded[1]);
    render();
    mountComponents();
    standin.consoleReady = true;
  }).catch(function (e) {
    $('page').innerHTML = '<div class="card error">The stand-in org did not load: ' + esc(e) + '</div>';
  });
})();
