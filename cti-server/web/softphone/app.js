/*
 * The softphone page: draws the server's View, sends the agent's commands, runs Salesforce
 * effects through opencti.js. It decides nothing; every rule lives in the connector's core.
 */
(function () {
  'use strict';

  var T = {
    es: { device: 'Dispositivo', user: 'Usuario', password: 'Contraseña', login: 'Ingresar', campaign: 'Campaña', join: 'Ingresar', leave: 'Salir',
      break: 'Descanso', pause: 'Pausar', unpause: 'Volver al trabajo', dial: 'Llamar', hangup: 'Cortar', category: 'Categoría', categorize: 'Categorizar y liberar',
      release: 'Liberar sin categoría', scheduleAt: 'Agendar para', schedule: 'Agendar', logout: 'Salir de Neotel', info: 'Información',
      lastCall: 'Identificador de última llamada', contactId: 'Identificador de contacto', baseId: 'Identificador de base de datos', crmId: 'Identificador de CRM',
      searchKey: 'Clave de búsqueda', record: 'Registro', pick: 'Varios registros: elija uno', connecting: 'Conectando…', disconnected: 'Sin conexión con el servidor; reintentando…',
      outside: 'Esta página es el softphone de Salesforce: ábrala desde la barra de utilidades de Salesforce (Open CTI) o desde el stand-in de demostración.',
      noOpenCti: 'No se pudo cargar Open CTI de Salesforce: ', autoRelease: 'Liberación automática en ', seconds: ' s', private: 'Número privado: sin búsqueda' },
    en: { device: 'Device', user: 'User', password: 'Password', login: 'Log in', campaign: 'Campaign', join: 'Join', leave: 'Leave',
      break: 'Break', pause: 'Pause', unpause: 'Back to work', dial: 'Call', hangup: 'Hang up', category: 'Category', categorize: 'Categorize and release',
      release: 'Release without category', scheduleAt: 'Schedule for', schedule: 'Schedule', logout: 'Log out of Neotel', info: 'Information',
      lastCall: 'Last call id', contactId: 'Contact id', baseId: 'Database id', crmId: 'CRM id', searchKey: 'Search key', record: 'Record',
      pick: 'Several records: pick one', connecting: 'Connecting…', disconnected: 'No connection to the server; retrying…',
      outside: 'This page is the Salesforce softphone: open it from Salesforce\u2019s utility bar (Open CTI) or from the demo stand-in.',
      noOpenCti: 'Salesforce Open CTI could not be loaded: ', autoRelease: 'Automatic release in ', seconds: ' s', private: 'Private number: no search' }
  };
  var lang = (localStorage.getItem('neotel-cti-lang') || 'es');
  var view = null;
  var api = null;
  var $ = function (id) { return document.getElementById(id); };
  var t = function (k) { return (T[lang] || T.es)[k] || k; };
  var say = function (m) { return m ? (m[lang] || m.es) : ''; };
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-t]').forEach(function (el) { el.textContent = t(el.getAttribute('data-t')); });
    $('lang').textContent = lang === 'es' ? 'EN' : 'ES';
    if (view) { render(view); }
  }

  function showError(text) { var e = $('error'); e.textContent = text || ''; e.hidden = !text; }

  function options(select, rows, selected) {
    var keep = select.value;
    select.innerHTML = rows.map(function (r) {
      var label = (r.group ? r.group + ' / ' : '') + r.name;
      return '<option value="' + esc(r.id) + '">' + esc(r.id + ' - ' + label) + '</option>';
    }).join('');
    select.value = selected != null ? String(selected) : keep;
  }

  function render(v) {
    view = v;
    $('login').hidden = true;
    $('agent').hidden = false;
    $('status').textContent = say(v.statusLabel) + (v.call ? ' · ' + v.call.phone : '');
    options($('campaign'), v.lists.campaigns, v.campaign);
    options($('break'), v.lists.breaks, v.breakId);
    options($('category'), v.lists.categories);
    var a = v.actions;
    var enable = { join: a.joinCampaign, leave: a.leaveCampaign, pause: a.pause, unpause: a.unpause, dial: a.dial, hangup: a.hangup, dtmf: a.dtmf,
      categorize: a.categorize, release: a.release, schedule: a.schedule, play: a.play, logout: true };
    document.querySelectorAll('[data-act]').forEach(function (b) { b.disabled = !enable[b.getAttribute('data-act')]; });
    var c = v.contact;
    $('contact').hidden = !c;
    if (c) {
      var html = c.private ? '<p>' + esc(t('private')) + '</p>' : '';
      if (c.record) { html += '<p>' + esc(t('record')) + ': <strong>' + esc(c.record.name || c.record.id) + '</strong> (' + esc(c.record.objectType) + ')</p>'; }
      if (c.candidates.length) {
        html += '<p>' + esc(t('pick')) + '</p>' + c.candidates.map(function (m) {
          return '<button type="button" data-pick="' + esc(m.id) + '">' + esc(m.objectType + ': ' + m.name) + '</button>';
        }).join(' ');
      }
      if (v.autoReleaseInSecs != null) { html += '<p>' + esc(t('autoRelease') + v.autoReleaseInSecs + t('seconds')) + '</p>'; }
      $('contact').innerHTML = html;
    }
    $('release').hidden = !(a.categorize || a.release || a.schedule);
    var info = v.info;
    $('info').querySelector('dl').innerHTML = [['lastCall', info.lastCallId], ['contactId', info.contactId], ['baseId', info.baseId], ['crmId', info.crmId], ['searchKey', info.searchKey]]
      .map(function (p) { return '<dt>' + esc(t(p[0])) + '</dt><dd data-testid="info-' + p[0] + '">' + esc(p[1]) + '</dd>'; }).join('');
    var notes = (v.warnings || []).map(say);
    $('notice').textContent = notes.join(' · ');
    $('notice').hidden = notes.length === 0;
    showError(v.error ? say(v.error) : '');
  }

  var conn = new window.NeotelConnection({
    onStatus: function (s) { if (s === 'disconnected') { $('status').textContent = t('disconnected'); } },
    onMessage: function (m) {
      switch (m.type) {
        case 'needLogin': $('login').hidden = false; $('agent').hidden = true; break;
        case 'session': $('login').hidden = true; break;
        case 'view': render(m.view); break;
        case 'effect':
          if (!api) { conn.send({ type: 'effectResult', id: m.effect.id, ok: false, error: { code: 'SOFTPHONE_CONTAINER_ERROR', description: 'Open CTI is not loaded' } }); break; }
          window.NeotelOpenCti.run(api, m.effect).then(function (r) { conn.send(Object.assign({ type: 'effectResult' }, r)); });
          break;
        case 'error': showError(m.message); break;
        case 'bye': $('login').hidden = false; $('agent').hidden = true; view = null; break;
      }
    }
  });

  function command(c) { conn.send({ type: 'command', command: c }); }

  document.addEventListener('click', function (e) {
    var pick = e.target.closest('[data-pick]');
    if (pick) { command({ command: 'pickRecord', id: pick.getAttribute('data-pick') }); return; }
    var b = e.target.closest('[data-act]');
    if (!b || b.disabled) { return; }
    var category = $('category').value ? Number($('category').value) : null;
    switch (b.getAttribute('data-act')) {
      case 'join': return command({ command: 'joinCampaign', campaign: Number($('campaign').value) });
      case 'leave': return command({ command: 'leaveCampaign' });
      case 'pause': return command({ command: 'pause', breakId: Number($('break').value) });
      case 'unpause': return command({ command: 'unpause' });
      case 'dial': return command({ command: 'dial', number: $('number').value });
      case 'hangup': return command({ command: 'hangup' });
      case 'dtmf': return command({ command: 'sendDtmf', digits: $('digits').value });
      case 'categorize': return command({ command: 'release', subcategory: category, notes: $('notes').value });
      case 'release': return command({ command: 'release', subcategory: null, notes: $('notes').value });
      case 'schedule':
        // The agent's local time, with its offset to UTC; the core converts to Neotel's zone.
        return command({ command: 'schedule', at: $('when').value + ':00', agentOffsetMinutes: -new Date().getTimezoneOffset(), subcategory: category, phone: '', notes: $('notes').value });
      case 'play': return command({ command: 'play' });
      case 'logout': return conn.send({ type: 'logout' });
    }
  });

  $('login').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = e.target;
    conn.send({ type: 'login', device: f.device.value, user: f.user.value, password: f.password.value });
    f.password.value = '';
  });
  $('lang').addEventListener('click', function () { lang = lang === 'es' ? 'en' : 'es'; localStorage.setItem('neotel-cti-lang', lang); translate(); });

  translate();
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
  conn.open();
})();
