/*
 * A development helper, not the server: serves the stand-in Salesforce Voice host and the
 * connector page over HTTPS on loopback (a throwaway self-signed certificate made with openssl),
 * with a fake cti-server at /ws that speaks the voice protocol (cti-server/docs/protocol.md) with
 * canned answers, so the page can be seen and driven in a browser without the Rust server.
 * cti-server's own demo is the real thing; this only stands in for it while the JS is built.
 *
 *   node dev/standin-server.mjs [--port 8443]
 *   chromium --host-resolver-rules="MAP standin.lightning.force.com 127.0.0.1" --ignore-certificate-errors \
 *     "https://standin.lightning.force.com:8443/standin-voice/?connector=https://localhost:8443/scv/"
 *
 * Log in with any DEVICE and USUARIO and a PASSWORD other than "wrong". Neotel's side, by hand:
 *   curl -k -X POST https://localhost:8443/dev/inbound   a call rings, then is answered 1 s later
 *   curl -k -X POST https://localhost:8443/dev/hangup    the customer hangs up (then after-call work)
 *   curl -k -X POST https://localhost:8443/dev/break     a break taken on Neotel's side
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.join(here, '..', '..', 'cti-server', 'web');
const port = Number(process.argv[process.argv.indexOf('--port') + 1]) || 8443;
const ORG = '00D000000000001';
const CALL_CENTER = 'NeotelContactCenter';
const AT = () => ({ $date: new Date().toISOString() });

// ---------- a throwaway certificate ----------
const dir = mkdtempSync(path.join(tmpdir(), 'standin-voice-'));
const cnf = path.join(dir, 'cert.cnf');
writeFileSync(cnf, `[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=standin.lightning.force.com\n[ext]\nsubjectAltName=DNS:standin.lightning.force.com,DNS:localhost,IP:127.0.0.1\n`);
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-config', cnf], { stdio: 'ignore' });
const tls = { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
rmSync(dir, { recursive: true, force: true });

// ---------- static files ----------
const MIME = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', json: 'application/json' };
const ROOTS = { '/standin-voice/': 'standin-voice', '/scv/': 'scv', '/softphone/i18n/': 'softphone/i18n' };

function serveFile(req, res) {
  const url = new URL(req.url, 'https://localhost');
  const root = Object.keys(ROOTS).find((r) => url.pathname.startsWith(r));
  if (!root) { return false; }
  let rel = url.pathname.slice(root.length) || 'index.html';
  if (rel.includes('..')) { res.writeHead(404).end(); return true; }
  if (rel.endsWith('/')) { rel += 'index.html'; }
  try {
    const bytes = readFileSync(path.join(web, ROOTS[root], rel));
    res.writeHead(200, {
      'content-type': MIME[rel.split('.').pop()] || 'application/octet-stream',
      'cache-control': 'no-cache',
      // As strict as the server's: no inline script or style anywhere.
      'content-security-policy': "default-src 'self'; connect-src 'self'; frame-src https:; frame-ancestors https://standin.lightning.force.com:* https://localhost:*",
    });
    res.end(bytes);
  } catch (e) { res.writeHead(404).end(); }
  return true;
}

// ---------- the fake cti-server ----------
const sessions = new Map(); // token → user
const pages = new Set();

const callInfo = () => ({ $class: 'CallInfo', isSoftphoneCall: false, acceptEnabled: false, declineEnabled: false, muteEnabled: false, holdEnabled: false, recordEnabled: false, swapEnabled: false, callStateTimestamp: AT() });
const phoneCall = (c) => ({ $class: 'PhoneCall', ...c, contact: { $class: 'Contact', phoneNumber: c.phoneNumber }, callInfo: callInfo() });
const callResult = (call) => ({ $class: 'CallResult', call });
let calls = []; // the agent's active calls, as descriptions
let next = 1159450;

function setup() {
  return {
    type: 'voiceSetup',
    agentConfig: { $class: 'AgentConfigResult', phones: ['DESK_PHONE'], selectedPhone: { $class: 'Phone', type: 'DESK_PHONE', number: 'SIP/1001' } },
    capabilities: { $class: 'CapabilitiesResult', hasMute: false, hasRecord: false, hasMerge: true, hasSwap: false, hasSupervisorListenIn: true, hasBlindTransfer: true, hasPhoneBook: true },
    activeCalls: calls,
  };
}

function say(ws, m) { ws.send(JSON.stringify({ v: 1, ...m })); }
function everyone(m) { for (const ws of pages) { if (ws.user) { say(ws, m); } } }
function publish(eventType, payload) { everyone({ type: 'voicePublish', eventType, payload }); }
function setCalls(list) { calls = list; everyone({ type: 'voiceCalls', activeCalls: calls }); }
const ended = (c) => ({ ...c, state: 'ended', reason: 'ended', callInfo: callInfo() });
const NOT_WITH_NEOTEL = { customError: { labelName: 'NotAvailableWithNeotel', namespace: 'neotel', message: 'Not available with Neotel' } };

const methods = {
  dial({ contact }) {
    const digits = String((contact && contact.phoneNumber) || '').replace(/\D/g, '');
    if (!digits) { return { error: { customError: { labelName: 'NoDigits', namespace: 'neotel', message: 'The number has no digits.' } } }; }
    const call = phoneCall({ callId: `neotel-${next++}`, callType: 'Outbound', phoneNumber: digits, state: 'ringing', callAttributes: { participantType: 'Initial_Caller' } });
    setCalls([call]);
    setTimeout(() => { const up = { ...call, state: 'connected', callInfo: callInfo() }; setCalls([up]); publish('CALL_CONNECTED', callResult(up)); }, 1000);
    return { result: callResult(call) };
  },
  endCall({ call }) {
    const third = (call && call.callAttributes && call.callAttributes.participantType) === 'Third_Party';
    const gone = calls.filter((c) => (c.callAttributes.participantType === 'Third_Party') === third || !third);
    setCalls(calls.filter((c) => !gone.includes(c)));
    if (!third && gone.length) { setTimeout(() => publish('AFTER_CALL_WORK_STARTED', { callId: gone[0].callId }), 0); }
    return { result: { $class: 'HangupResult', calls: gone.map(ended) } };
  },
  sendDigits: () => ({ result: null }),
  setAgentStatus: () => ({ result: { $class: 'GenericResult', success: true } }),
  getAgentStatus: () => ({ result: { $class: 'AgentVendorStatusInfo', statusId: '0N5000000000001', statusType: 'Available', statusName: 'Available' } }),
  getPhoneContacts: () => ({
    result: {
      $class: 'PhoneContactsResult', contactTypes: ['PhoneBook', 'Agent', 'Queue'],
      contacts: [
        { $class: 'Contact', id: 'phone-2', type: 'PhoneBook', name: 'Cobranzas', phoneNumber: '1140002000' },
        { $class: 'Contact', id: 'user-1002', type: 'Agent', name: 'Agente 1002', availability: 'AVAILABLE' },
        { $class: 'Contact', id: 'queue-200', type: 'Queue', name: 'Entrantes Salesforce' },
      ],
    },
  }),
  addParticipant({ contact, isBlindTransfer }) {
    const leg = phoneCall({ callId: `neotel-${next++}`, callType: 'AddParticipant', phoneNumber: (contact && contact.phoneNumber) || '1140002000', state: 'transferring', callAttributes: { participantType: 'Third_Party' } });
    const result = { $class: 'ParticipantResult', initialCallHasEnded: !!isBlindTransfer, callInfo: callInfo(), phoneNumber: leg.phoneNumber, callId: leg.callId };
    if (isBlindTransfer) { setCalls([]); return { result }; }
    setCalls([...calls, leg]);
    setTimeout(() => {
      const up = { ...leg, state: 'transferred', callInfo: callInfo() };
      setCalls(calls.map((c) => (c.callId === leg.callId ? up : c)));
      publish('PARTICIPANT_CONNECTED', { ...result, callInfo: callInfo() });
    }, 1000);
    return { result };
  },
  conference: () => ({ result: { $class: 'HoldToggleResult', isThirdPartyOnHold: false, isCustomerOnHold: false } }),
  wrapUpCall: () => ({ result: null }),
  handleMessage: () => ({ result: null }),
  setAgentConfig: () => ({ result: { $class: 'GenericResult', success: true } }),
  superviseCall: ({ supervisedCallInfo }) => ({ result: { $class: 'SuperviseCallResult', call: phoneCall({ callId: (supervisedCallInfo && supervisedCallInfo.callId) || 'neotel-1', callType: 'Inbound', phoneNumber: '1144445555', state: 'ringing', callAttributes: { participantType: 'Supervisor' } }) } }),
  supervisorDisconnect: ({ supervisedCallInfo }) => ({ result: { $class: 'SupervisorHangupResult', calls: [phoneCall({ callId: (supervisedCallInfo && supervisedCallInfo.callId) || 'neotel-1', callType: 'Inbound', phoneNumber: '1144445555', state: 'ended', callAttributes: { participantType: 'Supervisor' } })] } }),
};

function onMessage(ws, m) {
  const voiceOk = m.surface === 'voice' && m.voice && m.voice.organizationId === ORG && m.voice.callCenter === CALL_CENTER;
  switch (m.type) {
    case 'login':
      if (!voiceOk) { say(ws, { type: 'error', code: 'voiceMismatch', message: 'this server serves another Salesforce org or contact center' }); return; }
      if (!m.password || m.password === 'wrong') { say(ws, { type: 'error', code: 'loginFailed', message: 'wrong user or password' }); return; }
      ws.user = m.user;
      ws.token = randomBytes(32).toString('base64url');
      sessions.set(ws.token, m.user);
      say(ws, { type: 'session', token: ws.token, user: m.user, expiresAt: new Date(Date.now() + 8 * 3600e3).toISOString(), leader: true });
      say(ws, setup());
      return;
    case 'attach':
      if (!sessions.has(m.token)) { say(ws, { type: 'error', code: 'invalidToken', message: 'the session token is unknown or expired; log in again' }); return; }
      if (!voiceOk) { say(ws, { type: 'error', code: 'voiceMismatch', message: 'this server serves another Salesforce org or contact center' }); return; }
      ws.user = sessions.get(m.token);
      ws.token = m.token;
      say(ws, { type: 'session', token: m.token, user: ws.user, expiresAt: new Date(Date.now() + 8 * 3600e3).toISOString(), leader: true });
      say(ws, setup());
      return;
    case 'voiceCall': {
      if (!ws.user) { say(ws, { type: 'error', code: 'notLoggedIn', message: 'log in first' }); return; }
      if (m.method === 'logout') {
        sessions.delete(ws.token);
        say(ws, { type: 'voiceResult', id: m.id, ok: true, result: { $class: 'LogoutResult', success: true, loginFrameHeight: 350 } });
        say(ws, { type: 'bye', reason: 'logout' });
        ws.close(1000);
        return;
      }
      const answer = methods[m.method] ? methods[m.method](m.args || {}) : { error: NOT_WITH_NEOTEL };
      say(ws, answer.error ? { type: 'voiceResult', id: m.id, ok: false, error: answer.error } : { type: 'voiceResult', id: m.id, ok: true, result: answer.result });
      return;
    }
    default:
      say(ws, { type: 'error', code: 'badMessage', message: `unknown type ${m.type}` });
  }
}

// ---------- Neotel's side, by hand ----------
const neotel = {
  '/dev/inbound'() {
    const call = phoneCall({ callId: `neotel-${next++}`, callType: 'Inbound', phoneNumber: '1144445555', state: 'ringing', callAttributes: { participantType: 'Initial_Caller', voiceCallId: '0LQ000000000001' } });
    setCalls([call]);
    publish('CALL_STARTED', callResult(call));
    setTimeout(() => { const up = { ...call, state: 'connected', callInfo: callInfo() }; setCalls([up]); publish('CALL_CONNECTED', callResult(up)); }, 1000);
  },
  '/dev/hangup'() {
    const gone = calls;
    setCalls([]);
    if (gone.length) {
      publish('HANGUP', { $class: 'HangupResult', calls: gone.map(ended) });
      publish('AFTER_CALL_WORK_STARTED', { callId: gone[0].callId });
    }
  },
  '/dev/break'() { publish('SET_AGENT_STATUS', { $class: 'AgentStatusInfo', statusId: '0N5000000000002' }); },
};

const server = createServer(tls, (req, res) => {
  if (req.method === 'POST' && neotel[req.url]) { neotel[req.url](); res.writeHead(204).end(); return; }
  if (req.url === '/favicon.ico') { res.writeHead(204).end(); return; }
  if (!serveFile(req, res)) { res.writeHead(404).end(); }
});
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => {
  pages.add(ws);
  ws.on('message', (data) => { let m; try { m = JSON.parse(String(data)); } catch (e) { return; } onMessage(ws, m); });
  ws.on('close', () => pages.delete(ws));
});
server.listen(port, '127.0.0.1', () => {
  console.log(`stand-in: https://standin.lightning.force.com:${port}/standin-voice/?connector=https://localhost:${port}/scv/`);
});
for (const signal of ['SIGINT', 'SIGTERM']) { process.on(signal, () => { wss.close(); server.close(); process.exit(0); }); }
