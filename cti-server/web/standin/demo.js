/*
 * The demo panel: plays the Neotel side (dialer, inbound callers, the customer, the agent's
 * SIP phone) through the simulator's /sim/ control API, and switches the softphone layout,
 * so a newcomer can walk every flow alone. The Salesforce Voice stand-in host loads it too
 * (it has no softphone layout).
 */
(function () {
  'use strict';

  var base = (window.standin && window.standin.simBase) || '/sim/';
  var panel = document.getElementById('demo');
  var lastCall = '';

  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

  function sim(method, path, body) {
    return fetch(base + path, { method: method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json().then(function (v) { if (!r.ok) { throw new Error(v.error || r.statusText); } return v; }); });
  }

  function say(text, error) {
    var out = document.getElementById('demo-out');
    out.textContent = text;
    out.className = error ? 'error' : '';
  }

  function act(promise) {
    return promise.then(function (v) {
      if (v && v.call_id) { lastCall = String(v.call_id); document.getElementById('demo-call').value = lastCall; }
      say(JSON.stringify(v));
      journal();
    }).catch(function (e) { say(String(e.message || e), true); });
  }

  // The connector's NeoApi calls as they happen; the Position polls (several a second) would
  // bury them, so they are counted, not listed.
  function journal() {
    sim('GET', 'journal').then(function (all) {
      var entries = all.filter(function (e) { return e.method !== 'Position'; });
      var polls = all.length - entries.length;
      document.getElementById('demo-journal').textContent = polls + ' × Position\n' + entries.slice(-10).map(function (e) {
        var p = Object.keys(e.params).map(function (k) { return k + '=' + e.params[k]; }).join(' ');
        return e.status + ' ' + e.method + ' ' + p + (e.reply && e.status !== 200 ? ' → ' + e.reply : '');
      }).join('\n');
    }).catch(function () {});
  }

  function records() { return (window.standin && window.standin.records ? window.standin.records() : []); }

  function layoutForm() {
    var rules = { NoMatch: ['DoNotPop', 'PopToEntity:Contact', 'PopToEntity:Account', 'PopToEntity:Lead', 'PopToSearch'], SingleMatch: ['PopToEntity', 'DoNotPop'], MultipleMatches: ['PopToSearch', 'DoNotPop'] };
    return Object.keys(rules).map(function (k) {
      return '<label>' + k + ' <select data-rule="' + k + '">' + rules[k].map(function (o) { return '<option>' + o + '</option>'; }).join('') + '</select></label>';
    }).join('');
  }

  function applyLayout() {
    var settings = {};
    panel.querySelectorAll('[data-rule]').forEach(function (s) {
      var parts = s.value.split(':');
      settings[s.getAttribute('data-rule')] = parts[1] ? { screenPopType: parts[0], screenPopData: parts[1] } : { screenPopType: parts[0] };
    });
    var l = window.standin.layout();
    l.Inbound.screenPopSettings = JSON.parse(JSON.stringify(settings));
    l.Outbound.screenPopSettings = JSON.parse(JSON.stringify(settings));
    window.standin.setLayout(l);
    say('Formato de softphone aplicado (entrantes y salientes)');
  }

  function build() {
    // Callers are the records with a phone (a Campaign has none).
    var options = records().filter(function (r) { return r.Phone; }).map(function (r) { return '<option value="' + esc(r.Id) + '">' + esc(r.type + ' · ' + r.Name) + '</option>'; }).join('');
    panel.innerHTML =
      '<h3>Discador</h3>' +
      '<button type="button" data-act="predictive">Contacto predictivo (97)</button>' +
      '<button type="button" data-act="preview">Contacto preview (98)</button>' +
      '<h3>Llamada entrante (cola 200)</h3>' +
      '<label>Cliente <select id="demo-caller"><option value="">Número privado (sin dato)</option>' + options + '</select></label>' +
      '<label>ANI <input id="demo-ani" value="1144445555"></label>' +
      '<button type="button" data-act="inbound">Llamar</button>' +
      '<h3>El cliente / el teléfono</h3>' +
      '<label>Llamada <input id="demo-call" placeholder="IDLLAMADA"></label>' +
      '<button type="button" data-act="answer">Cliente atiende</button>' +
      '<button type="button" data-act="hangup">Cliente corta</button>' +
      '<label>Agente <input id="demo-user" value="1001"></label>' +
      '<button type="button" data-act="agent-answer">Atender en el softphone SIP</button>' +
      // The softphone layout is Open CTI's (the Voice stand-in host has none).
      (window.standin.setLayout ? '<h3>Formato de softphone</h3>' + layoutForm() + '<button type="button" data-act="layout">Aplicar</button>' : '') +
      '<h3>Resultado</h3><div id="demo-out" data-testid="demo-out"></div>' +
      '<h3>Journal NeoApi</h3><pre id="demo-journal" data-testid="demo-journal"></pre>';
  }

  panel.addEventListener('change', function (e) {
    if (e.target.id === 'demo-caller') {
      var r = records().find(function (x) { return x.Id === e.target.value; });
      document.getElementById('demo-ani').value = r ? String(r.Phone || '').replace(/\D/g, '') : '';
    }
  });

  panel.addEventListener('click', function (e) {
    var b = e.target.closest('[data-act]');
    if (!b) { return; }
    var call = document.getElementById('demo-call').value || lastCall;
    var user = document.getElementById('demo-user').value;
    switch (b.getAttribute('data-act')) {
      case 'predictive': return act(sim('POST', 'dialer/deliver', { campaign: 97 }));
      case 'preview': return act(sim('POST', 'dialer/deliver', { campaign: 98 }));
      case 'inbound':
        var data = document.getElementById('demo-caller').value;
        return act(sim('POST', 'inbound', { queue: 200, ani: document.getElementById('demo-ani').value, data: data || null }));
      case 'answer': return act(sim('POST', 'calls/' + encodeURIComponent(call) + '/answer'));
      case 'hangup': return act(sim('POST', 'calls/' + encodeURIComponent(call) + '/hangup'));
      case 'agent-answer': return act(sim('POST', 'agents/' + encodeURIComponent(user) + '/answer'));
      case 'layout': return applyLayout();
    }
  });

  var refresh = null;
  document.getElementById('demo-toggle').addEventListener('click', function () {
    if (panel.hidden) { build(); journal(); refresh = setInterval(journal, 1000); }
    else { clearInterval(refresh); }
    panel.hidden = !panel.hidden;
  });
})();
