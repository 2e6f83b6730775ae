/*
 * The softphone page: draws the server's View, sends the agent's commands, runs Salesforce
 * effects through opencti.js. It decides nothing; every rule lives in the connector's core.
 */
(function () {
  'use strict';

  // The words: one catalog per language (i18n/{language}.json), the same the server words its
  // logs from; `ui.*` are the page's labels, `msg.*` the core's messages, `error.*` the
  // protocol's error codes.
  var catalog = {};
  var languages = ['es', 'en'];
  // The language before login (the last one used here); once logged in, the view's.
  var LANG_KEY = 'neotel-cti-lang';
  var lang = 'es';
  try { lang = localStorage.getItem(LANG_KEY) || 'es'; } catch (e) { /* storage blocked */ }
  var view = null;
  var api = null;
  var releaseAt = null;
  var draftTimer = null;
  var langSent = null;
  var $ = function (id) { return document.getElementById(id); };
  function words(key, params) {
    var text = catalog[key];
    if (text == null) { return null; }
    Object.keys(params || {}).forEach(function (name) { text = text.split('{' + name + '}').join(params[name]); });
    return text;
  }
  var t = function (k) { return words('ui.' + k) || k; };
  /** A message of the core (`{code, params}`) in the agent's language. */
  var say = function (m) { return m ? (words('msg.' + m.code, m.params) || m.code) : ''; };
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-t]').forEach(function (el) { el.textContent = t(el.getAttribute('data-t')); });
    document.querySelectorAll('[data-t-label]').forEach(function (el) { el.setAttribute('aria-label', t(el.getAttribute('data-t-label'))); el.title = t(el.getAttribute('data-t-label')); });
    $('lang').textContent = nextLanguage().toUpperCase();
    if (view) { render(view); }
  }

  function showError(text) { var e = $('error'); e.textContent = text || ''; e.hidden = !text; }

  /** A server `error` in the agent's language: the core's message, else the code's words. */
  function errorText(m) {
    if (m.text) { return say(m.text); }
    return words('error.' + m.code) || m.message;
  }

  /** Fills a select, keeping the agent's choice across views. */
  function options(select, rows, selected) {
    var keep = select.value;
    var html = '';
    var group = null;
    rows.forEach(function (r) {
      if ((r.group || null) !== group) {
        if (group !== null) { html += '</optgroup>'; }
        group = r.group || null;
        if (group !== null) { html += '<optgroup label="' + esc(group) + '">'; }
      }
      html += '<option value="' + esc(r.value) + '">' + esc(r.label) + '</option>';
    });
    if (group !== null) { html += '</optgroup>'; }
    if (select.innerHTML !== html) { select.innerHTML = html; }
    select.value = selected != null ? String(selected) : keep;
    if (select.selectedIndex < 0 && rows.length) { select.selectedIndex = 0; }
  }
  function choices(list) { return (list || []).map(function (r) { return { value: r.id, label: r.id + ' - ' + r.name, group: r.group }; }); }
  /** The users the core says can take `action` (transfer, invite, monitor), with their state. */
  function users(list, action) {
    return (list || []).filter(function (u) { return u[action]; })
      .map(function (u) { var st = say(u.state); return { value: u.user, label: u.user + ' - ' + u.name + (st ? ' (' + st + ')' : '') }; });
  }
  /** Sets a field from the view unless the agent is typing in it. */
  function setField(el, value) {
    if (document.activeElement !== el && el.value !== value) { el.value = value; }
  }

  function render(v) {
    var prev = view;
    view = v;
    // The agent's language is a setting the core keeps per user (a change the page just sent
    // wins until the view brings it).
    var l = v.settings && v.settings.language;
    if (langSent && l === langSent) { langSent = null; }
    if (l && l !== lang && !langSent) { setLang(l); return; }
    $('login').hidden = true;
    $('agent').hidden = false;
    $('status').textContent = say(v.statusLabel) + (v.call ? ' · ' + v.call.phone : '');
    var lists = v.lists || {};
    options($('campaign'), choices(lists.campaigns), v.campaign);
    options($('break'), choices(lists.breaks), v.breakId);
    options($('xfer-user'), users(lists.users, 'transfer'));
    options($('xfer-queue'), choices(lists.queues));
    options($('xfer-campaign'), choices(lists.campaigns));
    options($('conf-user'), users(lists.users, 'invite'));
    options($('monitor-user'), users(lists.users, 'monitor'));
    $('xfer-phones').innerHTML = (lists.transferPhones || []).map(function (p) {
      return '<option value="' + esc(p.group || p.name) + '">' + esc(p.name) + '</option>';
    }).join('');

    var a = v.actions || {};
    var enable = { join: canJoin(v), leave: a.leaveCampaign, takeBreak: a.takeBreak, endBreak: a.endBreak, dial: a.dial, hangup: a.hangup, dtmf: a.dtmf,
      categorize: a.categorize, release: a.release, schedule: a.schedule, play: a.play, logout: true,
      blindTransfer: a.transfer, attendedTransfer: a.transfer, endTransfer: a.endTransfer,
      startConference: a.startConference, endConference: a.endConference, invitePhone: a.invite, inviteUser: a.invite,
      listen: a.monitor, assist: a.monitor, endMonitor: a.endMonitor, sendText: a.sendText, sync: a.sync, saveSettings: true };
    document.querySelectorAll('[data-act]').forEach(function (b) { b.disabled = !enable[b.getAttribute('data-act')]; });

    renderContact(v, prev);
    $('release').hidden = !(a.categorize || a.release || a.schedule);

    var x = v.transfer;
    $('xfer-state').textContent = x && x.consulting ? t('consulting') + x.value : '';
    $('conference').open = $('conference').open || !!(v.call && v.call.conference);
    var m = v.monitoring;
    $('monitor').hidden = !(a.monitor || a.endMonitor || m);
    $('monitor-state').textContent = m ? t('monitoringNow') + m.user + ' (' + t(m.mode) + ')' : '';
    $('sms').hidden = !a.sendText;
    $('sms-phone').placeholder = v.call ? v.call.phone : '';
    renderSettings(v.settings);

    var info = v.info || {};
    $('info').querySelector('dl').innerHTML = [['lastCall', info.lastCallId], ['contactId', info.contactId], ['baseId', info.baseId], ['crmId', info.crmId], ['searchKey', info.searchKey]]
      .map(function (p) { return '<dt>' + esc(t(p[0])) + '</dt><dd data-testid="info-' + p[0] + '">' + esc(p[1]) + '</dd>'; }).join('');
    var notes = (v.warnings || []).map(say);
    $('notice').textContent = notes.join(' · ');
    $('notice').hidden = notes.length === 0;
    showError(v.error ? say(v.error) : '');
  }

  /** The wrap-up form shows the contact's draft as the core keeps it. */
  function renderDraft(v) {
    var c = v.contact;
    var d = (c && c.draft) || {};
    var category = $('category');
    var rows = [{ value: '', label: '—' }].concat(choices((v.lists || {}).categories));
    if (document.activeElement !== category) { options(category, rows, d.subcategory != null ? d.subcategory : ''); }
    setField($('notes'), d.notes || '');
    setField($('when'), d.scheduleAt ? d.scheduleAt.slice(0, 16) : '');
    setField($('when-phone'), d.schedulePhone || '');
  }

  /** What the agent typed in the wrap-up form goes to the core (after a pause in typing). */
  function draftChanged() {
    var c = view && view.contact;
    if (!c) { return; }
    var handle = c.handle;
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () {
      if (!view || !view.contact || view.contact.handle !== handle) { return; }
      command({ command: 'draft', contact: handle, subcategory: selectedCategory(), notes: $('notes').value,
        at: whenValue(), phone: $('when-phone').value });
    }, 300);
  }
  ['category', 'notes', 'when', 'when-phone'].forEach(function (id) {
    $(id).addEventListener('input', draftChanged);
    $(id).addEventListener('change', draftChanged);
  });
  function selectedCategory() { return $('category').value ? Number($('category').value) : null; }
  function whenValue() { return $('when').value ? $('when').value + ':00' : null; }

  function renderContact(v, prev) {
    var c = v.contact;
    $('contact').hidden = !c;
    // A new contact: whatever was typed for the last one is not sent for this one.
    if (!c || (prev && prev.contact && prev.contact.handle !== c.handle)) { clearTimeout(draftTimer); }
    renderDraft(v);
    if (!c) { releaseAt = null; tick(); return; }
    var html = c.private ? '<p>' + esc(t('private')) + '</p>' : '';
    if (c.record) { html += '<p data-testid="record">' + esc(t('record')) + ': <strong>' + esc(c.record.name || c.record.id) + '</strong> (' + esc(c.record.objectType) + ')</p>'; }
    if (c.candidates && c.candidates.length) {
      html += '<p>' + esc(t('pick')) + '</p>' + c.candidates.map(function (m) {
        return '<button type="button" data-pick="' + esc(m.id) + '">' + esc(m.objectType + ': ' + m.name) + '</button>';
      }).join(' ');
    }
    $('contact-body').innerHTML = html;
    var s = v.sync;
    $('sync-row').hidden = !s;
    $('sync-text').textContent = s ? (s.linked ? t('synced') : t('syncPending')) + ' (neoSyncId__c ' + s.syncId + ')' : '';
    // The core says how many seconds are left when it draws; the page only counts them down.
    releaseAt = v.autoReleaseInSecs != null ? Date.now() + v.autoReleaseInSecs * 1000 : null;
    tick();
  }

  function tick() {
    var el = $('countdown');
    if (releaseAt == null) { el.hidden = true; return; }
    el.hidden = false;
    el.textContent = t('autoRelease') + Math.max(0, Math.ceil((releaseAt - Date.now()) / 1000)) + t('seconds');
  }
  setInterval(tick, 1000);

  function readSettings() {
    return { widthPx: Number($('set-width').value), heightPx: Number($('set-height').value),
      minimizeOnNoMatch: $('set-nomatch').checked, minimizeOnSeveral: $('set-several').checked };
  }
  function renderSettings(s) {
    if (!s || $('settings').contains(document.activeElement)) { return; }
    $('set-width').value = s.widthPx;
    $('set-height').value = s.heightPx;
    $('set-nomatch').checked = !!s.minimizeOnNoMatch;
    $('set-several').checked = !!s.minimizeOnSeveral;
  }

  var conn = new window.NeotelConnection({
    onStatus: function (s) { if (s === 'disconnected') { $('status').textContent = t('disconnected'); } },
    onMessage: function (m) {
      switch (m.type) {
        case 'needLogin': signedOut(); break;
        case 'session': $('login').hidden = true; break;
        case 'view':
          // A tab's first view has every list; later ones only those that changed.
          m.view.lists = Object.assign({}, (view && view.lists) || {}, m.view.lists || {});
          render(m.view);
          break;
        case 'effect':
          // A label the core sends is a message: worded here, in the agent's language.
          if (m.effect && m.effect.label && typeof m.effect.label === 'object') { m.effect.label = say(m.effect.label); }
          if (!api) { conn.send({ type: 'effectResult', id: m.effect.id, ok: false, error: { code: 'SOFTPHONE_CONTAINER_ERROR', description: 'Open CTI is not loaded' } }); break; }
          window.NeotelOpenCti.run(api, m.effect).then(function (r) { conn.send(Object.assign({ type: 'effectResult' }, r)); });
          break;
        case 'error': showError(errorText(m)); break;
        case 'bye': signedOut(); break;
      }
    }
  });

  function command(c) { conn.send({ type: 'command', command: c }); }

  /** No session: the login form (the core told Salesforce's side, with its last effects). */
  function signedOut() {
    view = null;
    $('login').hidden = false;
    $('agent').hidden = true;
    $('status').textContent = '';
  }

  function transferTarget() {
    var to = $('xfer-to').value;
    var value = { phone: $('xfer-phone').value, user: $('xfer-user').value, queue: Number($('xfer-queue').value), campaign: Number($('xfer-campaign').value) }[to];
    return { to: to, value: value };
  }

  document.addEventListener('click', function (e) {
    var pick = e.target.closest('[data-pick]');
    if (pick) { command({ command: 'pickRecord', id: pick.getAttribute('data-pick') }); return; }
    var b = e.target.closest('[data-act]');
    if (!b || b.disabled) { return; }
    var category = selectedCategory();
    var handle = view && view.contact ? view.contact.handle : null;
    switch (b.getAttribute('data-act')) {
      case 'join': return command({ command: 'joinCampaign', campaign: Number($('campaign').value) });
      case 'leave': return command({ command: 'leaveCampaign' });
      case 'takeBreak': return command({ command: 'takeBreak', breakId: Number($('break').value) });
      case 'endBreak': return command({ command: 'endBreak' });
      case 'dial': return command({ command: 'dial', number: $('number').value });
      case 'hangup': return command({ command: 'hangup' });
      case 'dtmf': return command({ command: 'sendDtmf', digits: $('digits').value });
      case 'categorize': clearTimeout(draftTimer); return command({ command: 'release', subcategory: category, notes: $('notes').value, contact: handle });
      case 'release': clearTimeout(draftTimer); return command({ command: 'release', subcategory: null, notes: $('notes').value, contact: handle });
      case 'schedule': {
        clearTimeout(draftTimer);
        // The agent's wall time and its offset east of UTC; the core converts to Neotel's zone
        // (and says so when no date was picked).
        var at = whenValue();
        return command({ command: 'schedule', at: at, agentOffsetMinutes: at ? -new Date($('when').value).getTimezoneOffset() : 0,
          subcategory: category, phone: $('when-phone').value, notes: $('notes').value, contact: handle });
      }
      case 'play': return command({ command: 'play' });
      case 'blindTransfer': return command({ command: 'transfer', target: transferTarget(), attended: false });
      case 'attendedTransfer': return command({ command: 'transfer', target: transferTarget(), attended: true });
      case 'endTransfer': return command({ command: 'endTransfer' });
      case 'startConference': return command({ command: 'startConference' });
      case 'endConference': return command({ command: 'endConference' });
      case 'invitePhone': return command({ command: 'invite', extension: $('conf-phone').value });
      case 'inviteUser': return command({ command: 'invite', extension: $('conf-user').value });
      case 'listen': return command({ command: 'monitor', user: $('monitor-user').value, mode: 'listen' });
      case 'assist': return command({ command: 'monitor', user: $('monitor-user').value, mode: 'assist' });
      case 'endMonitor': return command({ command: 'endMonitor' });
      case 'sendText': return command({ command: 'sendText', channel: $('sms-channel').value, phone: $('sms-phone').value, text: $('sms-text').value });
      case 'sync': return command({ command: 'syncRecord' });
      case 'saveSettings': return command(Object.assign({ command: 'saveSettings' }, readSettings()));
      case 'logout': return conn.send({ type: 'logout' });
    }
  });

  // Enter in a number field presses its button (data-enter names it), as on a phone.
  document.addEventListener('keydown', function (e) {
    var act = e.key === 'Enter' && e.target.getAttribute && e.target.getAttribute('data-enter');
    if (!act) { return; }
    e.preventDefault();
    var b = document.querySelector('[data-act="' + act + '"]');
    if (b && !b.disabled) { b.click(); }
  });

  /** The selected campaign is one the core says may be joined now. */
  function canJoin(v) {
    return !!(v && v.actions && v.actions.joinCampaign) && (v.joinTargets || []).indexOf(Number($('campaign').value)) >= 0;
  }
  $('campaign').addEventListener('change', function () {
    document.querySelector('[data-act=join]').disabled = !canJoin(view);
  });

  $('xfer-to').addEventListener('change', function () {
    var to = $('xfer-to').value;
    $('xfer-phone').hidden = to !== 'phone';
    $('xfer-user').hidden = to !== 'user';
    $('xfer-queue').hidden = to !== 'queue';
    $('xfer-campaign').hidden = to !== 'campaign';
  });

  $('login').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = e.target;
    conn.send({ type: 'login', device: f.device.value, user: f.user.value, password: f.password.value });
    f.password.value = '';
  });
  /** The language after this one, in the order the server lists its catalogs. */
  function nextLanguage() {
    var i = languages.indexOf(lang);
    return languages[(i + 1) % languages.length] || 'es';
  }
  /** Loads `l`'s catalog, then words the page in it. */
  function setLang(l) {
    return fetch('i18n/' + encodeURIComponent(l) + '.json').then(function (r) {
      if (!r.ok) { throw new Error('no catalog for ' + l); }
      return r.json();
    }).then(function (c) {
      catalog = c;
      lang = l;
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* storage blocked */ }
      translate();
    });
  }
  $('lang').addEventListener('click', function () {
    var next = nextLanguage();
    // Logged in: the core keeps it, and sends the utility bar's label again, worded with the
    // catalog once it is here; the view brings the language back.
    if (view) { langSent = next; }
    setLang(next).then(function () { if (view) { command({ command: 'setLanguage', language: next }); } });
  });

  // The words first (the catalog of the last language used here), then Salesforce and the server.
  fetch('i18n/languages.json').then(function (r) { return r.json(); }).then(function (list) {
    languages = list.map(function (l) { return l.code; });
  }).catch(function () { /* the two shipped languages */ }).then(function () {
    return setLang(languages.indexOf(lang) >= 0 ? lang : languages[0]);
  }).catch(function () { translate(); }).then(start);

  function start() {
    $('status').textContent = t('connecting');
    var origin = window.NeotelOpenCti.salesforceOrigin();
    if (!origin) {
      $('notice').textContent = t('outside');
      $('notice').hidden = false;
    } else {
      window.NeotelOpenCti.load(origin).then(function (loaded) {
        api = loaded;
        window.NeotelOpenCti.listen(api, function (event) { conn.send({ type: 'event', event: event }); });
      }).catch(function (e) { showError(t('noOpenCti') + e.message); });
    }
    conn.followPageLifecycle();
    conn.open();
  }
})();
