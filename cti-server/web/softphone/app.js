/*
 * The softphone page: draws the server's View, sends the agent's commands, runs Salesforce
 * effects through opencti.js. It decides nothing: every rule lives in the connector's core; the
 * page only shows one panel at a time, words messages from its language's catalog and counts
 * the seconds the view gives.
 */
(function () {
  'use strict';

  // The words: one catalog per language (i18n/{language}.json), the same the server words its
  // logs from; `ui.*` are the page's labels, `msg.*` the core's messages, `error.*` the
  // protocol's error codes.
  var catalog = {};
  var languages = ['es', 'en'];
  var LANG_KEY = 'neotel-cti-lang';
  var lang = 'es';
  try { lang = localStorage.getItem(LANG_KEY) || 'es'; } catch (e) { /* storage blocked */ }
  var view = null;
  var api = null;
  var releaseAt = null;
  var sinceAt = null;
  var draftTimer = null;
  var langSent = null;
  var panel = null;
  /** Whether the session was told a panel listing the users is open (it keeps their states
   * fresh only then). */
  var watchSent = false;
  var lastCallId = null;
  var calShown = null;
  var calPicked = null;
  /** Why the session refused the agent's last command: shown until the agent's next command
   * (the views that follow do not wipe it). */
  var refusal = '';
  /** A catalog on its way (a language change), until it is here. */
  var loading = null;

  var $ = function (id) { return document.getElementById(id); };
  function words(key, params) {
    var text = catalog[key];
    if (text == null) { return null; }
    Object.keys(params || {}).forEach(function (name) {
      var value = params[name] == null ? '' : String(params[name]);
      var slot = '{' + name + '}';
      // An empty value takes its separator with it ("En llamado · {phone}" of a private
      // number), and a value that ends a sentence ends it once ("…: {error}." of "Int32.").
      if (!value.trim()) { text = text.split(' · ' + slot).join('').split(slot + ' · ').join(''); }
      if (/[.!?…]$/.test(value)) { text = text.split(slot + '.').join(slot); }
      text = text.split(slot).join(value);
    });
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
    if (calShown) { renderCalendar(); }
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

  // The state's main action (the view's `primary`): its button, words and colour.
  var PRIMARY = {
    joinCampaign: { act: 'join', label: 'join', style: 'btn-brand' },
    endBreak: { act: 'endBreak', label: 'unpause', style: 'btn-brand' },
    hangup: { act: 'hangup', label: 'hangup', style: 'btn-destructive' },
    endTransfer: { act: 'endTransfer', label: 'endTransfer', style: 'btn-destructive' },
    categorize: { act: 'categorize', label: 'categorize', style: 'btn-brand' },
    release: { act: 'release', label: 'release', style: 'btn-brand' },
    schedule: { act: 'schedule', label: 'schedule', style: 'btn-brand' },
    play: { act: 'play', label: 'play', style: 'btn-success' }
  };

  function render(v) {
    var prev = view;
    view = v;
    // The agent's language is a setting the core keeps per user (a change the page just sent
    // wins until the view brings it).
    var l = v.settings && v.settings.language;
    if (langSent && l === langSent) { langSent = null; }
    if (l && l !== lang && !langSent && languages.indexOf(l) >= 0) { setLang(l); return; }
    $('login').hidden = true;
    $('agent').hidden = false;
    $('status').textContent = say(v.statusLabel);
    sinceAt = v.sinceSecs != null ? Date.now() - v.sinceSecs * 1000 : null;
    releaseAt = v.autoReleaseInSecs != null ? Date.now() + v.autoReleaseInSecs * 1000 : null;
    tick();

    var lists = v.lists || {};
    options($('campaign'), choices(lists.campaigns), v.campaign);
    options($('break'), choices(lists.breaks), v.breakId);
    options($('xfer-user'), users(lists.users, 'transfer'));
    options($('xfer-queue'), choices(lists.queues));
    options($('xfer-campaign'), choices(lists.campaigns));
    options($('conf-user'), users(lists.users, 'invite'));
    options($('monitor-user'), users(lists.users, 'monitor'));
    $('xfer-phones').innerHTML = (lists.transferPhones || []).map(function (p) {
      var number = p.group || p.name;
      var on = $('xfer-phone').value === number ? 'true' : 'false';
      return '<button type="button" class="chip" data-phone="' + esc(number) + '" aria-pressed="' + on + '">' + esc(p.name) + '</button>';
    }).join('');

    var a = v.actions || {};
    var enable = { join: canJoin(v), leave: a.leaveCampaign, takeBreak: a.takeBreak, endBreak: a.endBreak, dial: a.dial, hangup: a.hangup, dtmf: a.dtmf,
      categorize: a.categorize, release: a.release, schedule: a.schedule, play: a.play, logout: true,
      blindTransfer: a.transfer, attendedTransfer: a.transfer, endTransfer: a.endTransfer,
      startConference: a.startConference, endConference: a.endConference, invitePhone: a.invite, inviteUser: a.invite,
      listen: a.monitor, assist: a.monitor, endMonitor: a.endMonitor, sendText: a.sendText, sync: a.sync, saveSettings: true };
    renderPrimary(v.primary, !!v.sending);
    document.querySelectorAll('[data-act]').forEach(function (b) { b.disabled = !enable[b.getAttribute('data-act')]; });

    // Each tool opens its panel while what it does is possible.
    var tools = { dialer: a.dial, dtmf: a.dtmf, transfer: a.transfer || a.endTransfer, conference: a.startConference || a.invite || a.endConference,
      sms: a.sendText, monitor: a.monitor || a.endMonitor || !!v.monitoring, campaign: true, info: true, settings: true };
    // While an action is on its way to Neotel its panel stays open: the answer says what next.
    if (v.sending && panel) { tools[panel] = true; }
    document.querySelectorAll('[data-panel]').forEach(function (b) {
      var name = b.getAttribute('data-panel');
      b.disabled = !tools[name];
      b.hidden = name === 'monitor' && !tools.monitor;
    });
    if (panel && !tools[panel]) { show(null); }

    renderContact(v, prev);
    $('release').hidden = !(a.categorize || a.release || a.schedule);

    var x = v.transfer;
    $('xfer-state').textContent = x && x.consulting ? t('consulting') + x.value : '';
    var people = (v.call && v.call.participants) || [];
    $('participants').innerHTML = people.map(function (p) { return '<li>' + esc(p.name ? p.extension + ' - ' + p.name : p.extension) + '</li>'; }).join('');
    var m = v.monitoring;
    $('monitor-state').textContent = m ? t('monitoringNow') + m.user + ' (' + t(m.mode) + ')' : '';
    $('sms-phone').placeholder = v.call ? v.call.phone : '';
    renderSettings(v.settings);

    var info = v.info || {};
    $('panel-info').querySelector('dl').innerHTML = [['lastCall', info.lastCallId], ['contactId', info.contactId], ['baseId', info.baseId], ['crmId', info.crmId], ['searchKey', info.searchKey]]
      .map(function (p) { return '<dt>' + esc(t(p[0])) + '</dt><dd data-testid="info-' + p[0] + '">' + esc(p[1]) + '</dd>'; }).join('');
    var notes = (v.warnings || []);
    $('notice').innerHTML = notes.map(function (w) { return '<p>' + esc(say(w)) + '</p>'; }).join('');
    $('notice').hidden = notes.length === 0;
    showError(v.error ? say(v.error) : refusal);
    clearDone(v, prev);
  }

  /** The main action's button, right under the bar; while an action is on its way to Neotel
   * (a release, a Play…), the row says so, in place of the button the core took away. */
  function renderPrimary(primary, sending) {
    var p = PRIMARY[primary];
    var b = $('primary');
    $('primary-row').hidden = !p && !sending;
    $('primary-row').classList.toggle('only-sending', !p && sending);
    $('sending').hidden = !sending;
    b.hidden = !p;
    if (!p) { b.removeAttribute('data-act'); return; }
    b.setAttribute('data-act', p.act);
    b.className = 'btn btn-large ' + p.style;
    b.textContent = t(p.label);
  }

  /** What the agent typed for something done is not left for the next time. */
  function clearDone(v, prev) {
    var callId = v.call ? v.call.id : null;
    if (callId && callId !== lastCallId) { $('number').value = ''; $('digits').value = ''; }
    lastCallId = callId;
    // A confirmation is new when its words are (a second invitation's names another phone).
    var key = function (w) { return w.code + JSON.stringify(w.params || {}); };
    var before = {};
    ((prev && prev.warnings) || []).forEach(function (w) { before[key(w)] = true; });
    (v.warnings || []).forEach(function (w) {
      if (before[key(w)]) { return; }
      if (w.code === 'dtmfSent') { $('digits').value = ''; }
      if (w.code === 'inviteSent') { $('conf-phone').value = ''; }
      if (w.code === 'textSent') { $('sms-text').value = ''; }
      if (w.code === 'transferDone') { $('xfer-phone').value = ''; }
    });
    if (!v.call || v.call.conference == null) { if (prev && prev.call && prev.call.conference != null) { $('conf-phone').value = ''; } }
  }

  /** Opens one panel (or none): the tools are a row of icons, their panels one at a time. */
  function show(name) {
    panel = name;
    document.querySelectorAll('.panel').forEach(function (p) { p.hidden = p.id !== 'panel-' + name; });
    document.querySelectorAll('[data-panel]').forEach(function (b) {
      b.setAttribute('aria-expanded', b.getAttribute('data-panel') === name ? 'true' : 'false');
      b.setAttribute('aria-controls', 'panel-' + b.getAttribute('data-panel'));
    });
    var first = name && $('panel-' + name).querySelector('input:not([type=hidden]), select, textarea, button:not(:disabled)');
    if (first) { first.focus(); }
    watchUsers();
  }

  /** Tells the session whether a panel listing the users is open, when that changed. */
  function watchUsers() {
    var watching = panel === 'transfer' || panel === 'conference' || panel === 'monitor';
    if (view && watching !== watchSent && conn.send({ type: 'command', command: { command: 'watchUsers', watching: watching } })) {
      watchSent = watching;
    }
  }

  /** The release form shows the contact's draft as the core keeps it. */
  function renderDraft(v) {
    var c = v.contact;
    var d = (c && c.draft) || {};
    var category = $('category');
    var rows = [{ value: '', label: '—' }].concat(choices((v.lists || {}).categories));
    if (document.activeElement !== category) { options(category, rows, d.subcategory != null ? d.subcategory : ''); }
    setField($('notes'), d.notes || '');
    setField($('when'), d.scheduleAt ? d.scheduleAt.slice(0, 16) : '');
    setField($('when-phone'), d.schedulePhone || '');
    showWhen();
  }

  /** The chosen schedule, in the agent's language. */
  function showWhen() {
    var value = $('when').value;
    $('when-text').textContent = value ? new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(parseLocal(value)) : t('noDate');
  }
  function parseLocal(value) {
    var p = value.split(/[-T:]/).map(Number);
    return new Date(p[0], p[1] - 1, p[2], p[3] || 0, p[4] || 0);
  }
  function pad(n) { return String(n).padStart(2, '0'); }

  /** What the agent typed in the release form goes to the core (after a pause in typing). */
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

  // ----- CALENDARIO: a month of days and the time, words and weekdays in the agent's language.
  function openCalendar() {
    var value = $('when').value;
    var at = value ? parseLocal(value) : new Date(Date.now() + 3600000);
    calPicked = { y: at.getFullYear(), m: at.getMonth(), d: at.getDate() };
    calShown = { y: at.getFullYear(), m: at.getMonth() };
    var hours = [];
    for (var h = 0; h < 24; h++) { hours.push({ value: h, label: pad(h) }); }
    var minutes = [];
    for (var mi = 0; mi < 60; mi += 5) { minutes.push({ value: mi, label: pad(mi) }); }
    options($('cal-hour'), hours, at.getHours());
    options($('cal-minute'), minutes, Math.floor(at.getMinutes() / 5) * 5);
    $('calendar').hidden = false;
    $('calendar-open').setAttribute('aria-expanded', 'true');
    renderCalendar();
    var picked = $('cal-days').querySelector('[aria-pressed=true]');
    if (picked) { picked.focus(); }
  }
  function closeCalendar() {
    calShown = null;
    $('calendar').hidden = true;
    $('calendar-open').setAttribute('aria-expanded', 'false');
  }
  function renderCalendar() {
    var first = new Date(calShown.y, calShown.m, 1);
    $('cal-month').textContent = new Intl.DateTimeFormat(lang, { month: 'long', year: 'numeric' }).format(first);
    var dayName = new Intl.DateTimeFormat(lang, { weekday: 'narrow' });
    var longDay = new Intl.DateTimeFormat(lang, { dateStyle: 'full' });
    var html = '';
    for (var i = 0; i < 7; i++) { html += '<span class="dow" aria-hidden="true">' + esc(dayName.format(new Date(2024, 0, 1 + i))) + '</span>'; }
    var lead = (first.getDay() + 6) % 7; // weeks start on Monday
    for (var k = 0; k < lead; k++) { html += '<span></span>'; }
    var today = new Date(); today.setHours(0, 0, 0, 0);
    var days = new Date(calShown.y, calShown.m + 1, 0).getDate();
    for (var d = 1; d <= days; d++) {
      var date = new Date(calShown.y, calShown.m, d);
      var on = calPicked && calPicked.y === calShown.y && calPicked.m === calShown.m && calPicked.d === d;
      html += '<button type="button" data-day="' + d + '" aria-label="' + esc(longDay.format(date)) + '" aria-pressed="' + (on ? 'true' : 'false') + '"' +
        (date < today ? ' disabled' : '') + '>' + d + '</button>';
    }
    $('cal-days').innerHTML = html;
    $('cal-days').setAttribute('aria-label', $('cal-month').textContent);
  }
  $('calendar-open').addEventListener('click', function () { if (calShown) { closeCalendar(); } else { openCalendar(); } });
  $('cal-prev').addEventListener('click', function () { calShown = { y: calShown.m === 0 ? calShown.y - 1 : calShown.y, m: (calShown.m + 11) % 12 }; renderCalendar(); });
  $('cal-next').addEventListener('click', function () { calShown = { y: calShown.m === 11 ? calShown.y + 1 : calShown.y, m: (calShown.m + 1) % 12 }; renderCalendar(); });
  $('cal-days').addEventListener('click', function (e) {
    var b = e.target.closest('[data-day]');
    if (!b || b.disabled) { return; }
    calPicked = { y: calShown.y, m: calShown.m, d: Number(b.getAttribute('data-day')) };
    renderCalendar();
    var again = $('cal-days').querySelector('[data-day="' + calPicked.d + '"]');
    if (again) { again.focus(); }
  });
  $('cal-ok').addEventListener('click', function () {
    if (!calPicked) { return; }
    $('when').value = calPicked.y + '-' + pad(calPicked.m + 1) + '-' + pad(calPicked.d) + 'T' + pad($('cal-hour').value) + ':' + pad($('cal-minute').value);
    closeCalendar();
    showWhen();
    draftChanged();
    $('calendar-open').focus();
  });
  $('cal-clear').addEventListener('click', function () { $('when').value = ''; closeCalendar(); showWhen(); draftChanged(); $('calendar-open').focus(); });

  function renderContact(v, prev) {
    var c = v.contact;
    $('contact').hidden = !c;
    // A new contact: whatever was typed for the last one is not sent for this one.
    if (!c || (prev && prev.contact && prev.contact.handle !== c.handle)) { clearTimeout(draftTimer); if (calShown) { closeCalendar(); } }
    renderDraft(v);
    if (!c) { return; }
    var html = c.private ? '<p class="weak">' + esc(t('private')) + '</p>' : '';
    if (c.record) { html += '<p class="record" data-testid="record">' + esc(t('record')) + ': <strong>' + esc(c.record.name || c.record.id) + '</strong> (' + esc(c.record.objectType) + ')</p>'; }
    if (c.candidates && c.candidates.length) {
      // Several records matched: opening one in Salesforce links it, as picking it here does.
      html += '<p data-testid="candidates-text">' + esc(t('pick')) + '</p><ul class="candidates" data-testid="candidates">' + c.candidates.map(function (m) {
        return '<li><button type="button" class="btn" data-pick="' + esc(m.id) + '">' + esc(m.name || m.id) + '</button> <span class="weak">' + esc(m.objectType) + '</span></li>';
      }).join('') + '</ul>';
    }
    $('contact-body').innerHTML = html;
    var s = v.sync;
    $('sync-row').hidden = !s;
    $('sync-text').textContent = s ? (s.linked ? t('synced') : t('syncPending')) + ' (neoSyncId__c ' + s.syncId + ')' : '';
  }

  /** The clocks: the time in the state (the bar) and the automatic release's countdown. */
  function tick() {
    var timer = $('timer');
    timer.hidden = sinceAt == null;
    if (sinceAt != null) {
      var s = Math.max(0, Math.floor((Date.now() - sinceAt) / 1000));
      var h = Math.floor(s / 3600);
      timer.textContent = (h ? h + ':' + pad(Math.floor(s / 60) % 60) : pad(Math.floor(s / 60))) + ':' + pad(s % 60);
    }
    var el = $('countdown');
    el.hidden = releaseAt == null;
    if (releaseAt != null) { el.textContent = t('autoRelease') + Math.max(0, Math.ceil((releaseAt - Date.now()) / 1000)) + t('seconds'); }
  }
  setInterval(tick, 1000);

  function readSettings() {
    return { widthPx: Number($('set-width').value), heightPx: Number($('set-height').value),
      minimizeOnNoMatch: $('set-nomatch').checked, minimizeOnSeveral: $('set-several').checked };
  }
  function renderSettings(s) {
    if (!s || $('panel-settings').contains(document.activeElement)) { return; }
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
        case 'session': $('login').hidden = true; watchSent = false; refusal = ''; break;
        case 'view':
          // A tab's first view has every list; later ones only those that changed.
          m.view.lists = Object.assign({}, (view && view.lists) || {}, m.view.lists || {});
          render(m.view);
          watchUsers();
          break;
        case 'effect': {
          var effect = m.effect;
          var labelled = effect && effect.label && typeof effect.label === 'object';
          var go = function () {
            // A label the core sends is a message: worded here, in the agent's language.
            if (labelled) { effect.label = say(effect.label); }
            if (!api) { conn.send({ type: 'effectResult', id: effect.id, ok: false, error: { code: 'SOFTPHONE_CONTAINER_ERROR', description: 'Open CTI is not loaded' } }); return; }
            window.NeotelOpenCti.run(api, effect).then(function (r) { conn.send(Object.assign({ type: 'effectResult' }, r)); });
          };
          // The session's language is loading (its first view named another than this
          // browser's last): the label waits for its words, in order.
          if (labelled && loading) { loading.then(go, go); } else { go(); }
          break;
        }
        case 'error':
          // A refused command stays said until the agent's next one; other errors until the
          // next view.
          if (m.code === 'commandRefused') { refusal = errorText(m); }
          showError(errorText(m));
          break;
        case 'bye':
          // A server that stops resumes the session when it starts again, and a session that
          // moved to another server instance goes on there: the page keeps the agent's screen
          // and reattaches by itself.
          if (m.reason === 'shutdown' || m.reason === 'moved') { $('status').textContent = t('reconnecting'); break; }
          signedOut();
          // A tab at the login form only waited too long; any other tab lost its session, and
          // is signed out in every respect: its words, and its Salesforce side (no session
          // will tell that one now).
          if (m.reason === 'loginTimeout') { break; }
          $('notice').hidden = true;
          showError(m.reason === 'takenOver' ? t('takenOver') : '');
          if (api) { window.NeotelOpenCti.signedOut(api, say({ code: 'statusSignedOut' })); }
          break;
      }
    }
  });

  /** A command to the session; while the server cannot be reached, the agent is told it did
   * not go (nothing is queued behind the agent's back). */
  function command(c) {
    refusal = '';
    if (!conn.send({ type: 'command', command: c })) { refusal = t('notSent'); showError(refusal); }
  }

  /** No session: the login form (the core told Salesforce's side, with its last effects). */
  function signedOut() {
    view = null;
    sinceAt = null;
    releaseAt = null;
    tick();
    show(null);
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
    var tool = e.target.closest('[data-panel]');
    if (tool && !tool.disabled) { show(panel === tool.getAttribute('data-panel') ? null : tool.getAttribute('data-panel')); return; }
    var chip = e.target.closest('[data-phone]');
    if (chip) { $('xfer-phone').value = chip.getAttribute('data-phone'); if (view) { render(view); } return; }
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
        return command({ command: 'schedule', at: at, agentOffsetMinutes: at ? -parseLocal($('when').value).getTimezoneOffset() : 0,
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

  // Enter in a number field presses its button (data-enter names it), as on a phone; Escape
  // closes the calendar or the open panel.
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      if (calShown) { closeCalendar(); $('calendar-open').focus(); } else if (panel) { var was = panel; show(null); document.querySelector('[data-panel=' + was + ']').focus(); }
      return;
    }
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
    document.querySelectorAll('[data-act=join]').forEach(function (b) { b.disabled = !canJoin(view); });
  });

  $('xfer-to').addEventListener('change', function () {
    var to = $('xfer-to').value;
    $('xfer-phone-row').hidden = to !== 'phone';
    $('xfer-user').parentElement.hidden = to !== 'user';
    $('xfer-queue').parentElement.hidden = to !== 'queue';
    $('xfer-campaign').parentElement.hidden = to !== 'campaign';
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
    var done = fetch('i18n/' + encodeURIComponent(l) + '.json').then(function (r) {
      if (!r.ok) { throw new Error('no catalog for ' + l); }
      return r.json();
    }).then(function (c) {
      catalog = c;
      lang = l;
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* storage blocked */ }
      translate();
    });
    loading = done;
    var settled = function () { if (loading === done) { loading = null; } };
    done.then(settled, settled);
    return done;
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
