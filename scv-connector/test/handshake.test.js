/*
 * SETUP_CONNECTOR and the agent's session: with a stored session (CONNECTOR_READY at once),
 * without one (SHOW_LOGIN, the form, LOGIN_RESULT, CONNECTOR_READY), refusals in words, and the
 * session's end while Salesforce believes the agent logged in.
 */
import { expect, test } from '@jest/globals';
import { readyPage, settle, startPage, until } from './harness.js';
import { VOICE_IDENTITY, hangupResult, inboundCall, voiceSetup } from './fixtures.js';

const CAPABILITIES = {
  MUTE: false, RECORD: false, MERGE: true, SWAP: false, SIGNED_RECORDING_URL: false, DEBUG_ENABLED: true,
  CONTACT_SEARCH: false, VENDOR_PROVIDED_AVAILABILITY: false, VENDOR_PROVIDED_QUEUE_WAIT_TIME: false,
  SUPERVISOR_LISTEN_IN: true, SUPERVISOR_BARGE_IN: false, MOS: false, BLIND_TRANSFER: true,
  TRANSFER_TO_OMNI_FLOW: false, PENDING_STATUS_CHANGE: false, PHONEBOOK: true,
};

test('SETUP_CONNECTOR with a stored session: attach as the voice surface, then CONNECTOR_READY with the desk phone', async () => {
  const t = startPage({ token: 'token-1', agent: '1001' });
  t.setup();
  // The base logs the exposed part of connectorConfig first.
  expect(t.host.seen[0]).toMatchObject({ type: 'LOG', payload: { eventType: 'SETUP_CONNECTOR', isError: false } });
  expect(t.server.socket.url).toBe('wss://cti.example.com/ws?agent=1001');
  t.server.accept();
  expect(t.server.sent('attach')).toEqual([{ v: 1, type: 'attach', token: 'token-1', surface: 'voice', voice: VOICE_IDENTITY }]);
  expect(t.host.ready()).toBeUndefined();

  t.server.say({ type: 'session', token: 'token-2', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'voiceSetup', ...voiceSetup() });
  await until(() => t.host.ready(), 'CONNECTOR_READY');

  expect(t.host.ready().payload).toEqual({
    agentConfig: { PHONES: ['DESK_PHONE'], SELECTED_PHONE: { type: 'DESK_PHONE', number: 'SIP/1001' } },
    capabilities: CAPABILITIES,
    callInProgress: null,
  });
  expect(t.host.eventTypes()).toEqual([]); // no SHOW_LOGIN
  expect(localStorage.getItem('neotel-cti-token')).toBe('token-2');
  expect(t.el('login').hidden).toBe(true);
  expect(t.el('agent-user').textContent).toBe('1001');
  await settle();
  expect(t.host.readies()).toHaveLength(1);
});

test('SETUP_CONNECTOR mid-call: CONNECTOR_READY carries the call in progress, nothing is published again', async () => {
  const t = await readyPage({ voiceSetup: voiceSetup({ activeCalls: [inboundCall('connected')] }) });
  expect(t.host.ready().payload.callInProgress).toMatchObject({
    callId: 'neotel-1159450', callType: 'Inbound', state: 'connected',
    callAttributes: { participantType: 'Initial_Caller', voiceCallId: '0LQ000000000001' },
    callInfo: { isSoftphoneCall: false, callStateTimestamp: new Date('2026-12-07T14:00:00Z') },
  });
  expect(t.host.eventTypes()).toEqual([]);
});

test('SETUP_CONNECTOR without a session: SHOW_LOGIN, the form, then LOGIN_RESULT and CONNECTOR_READY', async () => {
  const t = startPage({ language: 'es-AR' });
  t.setup();
  t.server.accept();
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  expect(t.host.event('SHOW_LOGIN').payload).toEqual({ loginFrameHeight: 350 });
  expect(t.server.sent('attach')).toEqual([]);

  // The form, worded in Spanish, each field with its label.
  await t.form.ready;
  expect(t.el('login').hidden).toBe(false);
  expect(document.documentElement.lang).toBe('es');
  const label = (id) => document.querySelector(`label[for="${id}"]`).textContent;
  expect([label('device'), label('user'), label('password')]).toEqual(['Dispositivo', 'Usuario', 'Contraseña']);
  expect(t.el('login-submit').textContent).toBe('Ingresar');

  t.el('login-device').value = 'SIP/1001';
  t.el('login-user').value = ' 1001 ';
  t.el('login-password').value = 'secret';
  t.el('login').dispatchEvent(new Event('submit', { cancelable: true }));
  expect(t.server.sent('login')).toEqual([{ v: 1, type: 'login', device: 'SIP/1001', user: '1001', password: 'secret', surface: 'voice', voice: VOICE_IDENTITY }]);
  expect(t.el('login-password').value).toBe('');

  t.host.mark();
  t.server.say({ type: 'session', token: 'token-9', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'view', view: {} });
  t.server.say({ type: 'voiceSetup', ...voiceSetup() });
  await until(() => t.host.ready(), 'CONNECTOR_READY');
  expect(t.host.sinceTypes()).toEqual(['LOGIN_RESULT', 'CONNECTOR_READY']);
  expect(t.host.event('LOGIN_RESULT').payload).toEqual({ success: true });
  expect(t.host.ready().payload.agentConfig.PHONES).toEqual(['DESK_PHONE']);
  expect(localStorage.getItem('neotel-cti-token')).toBe('token-9');
  expect(t.el('login').hidden).toBe(true);
});

test('a refused login is shown in words (English), the form stays, nothing reaches Salesforce', async () => {
  const t = startPage({ language: 'en-US' });
  t.setup();
  t.server.accept();
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  await t.form.ready;
  expect(t.el('login-submit').textContent).toBe('Log in');
  t.host.mark();
  t.core.login({ device: 'SIP/1001', user: '1001', password: 'wrong' });
  t.server.say({ type: 'error', code: 'loginFailed', message: 'wrong user or password' });
  expect(t.el('error').hidden).toBe(false);
  expect(t.el('error').textContent).toBe('Wrong user or password.');
  expect(t.el('error').getAttribute('role')).toBe('alert');
  // A contact center the server is not set up for: worded from the catalog.
  t.server.say({ type: 'error', code: 'voiceMismatch', message: 'this server serves another contact center' });
  expect(t.el('error').textContent).toBe('This Salesforce Voice contact center is not the one the connector server is set up for.');
  // A code the catalog does not know (a newer server): the server's own message.
  t.server.say({ type: 'error', code: 'someNewRefusal', message: 'refused for a reason this page predates' });
  expect(t.el('error').textContent).toBe('refused for a reason this page predates');
  await settle();
  expect(t.host.since()).toEqual([]);
  expect(t.el('login').hidden).toBe(false);
});

test('the contact center can name the language in connectorConfig', async () => {
  const t = startPage({ language: 'es-AR' });
  t.setup({ '/neotelConfigOptions/language': 'en', organizationId: '00D000000000001' });
  t.server.accept();
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  await t.form.ready;
  expect(document.documentElement.lang).toBe('en');
  expect(t.el('login-submit').textContent).toBe('Log in');
});

test('without a catalog the form keeps the words of its markup', async () => {
  const t = startPage({ catalog: () => Promise.reject(new Error('offline')) });
  t.setup();
  t.server.accept();
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  await t.form.ready;
  const label = (id) => document.querySelector(`label[for="${id}"]`).textContent;
  expect([label('device'), label('user'), label('password')]).toEqual(['DEVICE', 'USUARIO', 'PASSWORD']);
});

test('a stored session the server no longer knows: SHOW_LOGIN and the reason in words', async () => {
  const t = startPage({ token: 'stale' });
  t.setup();
  t.server.accept();
  t.server.say({ type: 'error', code: 'invalidToken', message: 'the session token is unknown or expired; log in again' });
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  await t.form.ready;
  expect(t.el('error').textContent).toBe('La sesión venció: ingrese de nuevo.');
  expect(localStorage.getItem('neotel-cti-token')).toBeNull();
});

test('an attach the server refuses (another org or contact center) shows the form with the reason', async () => {
  const t = startPage({ token: 'token-1' });
  t.setup();
  t.server.accept();
  t.server.say({ type: 'error', code: 'voiceMismatch', message: 'this server serves another Salesforce org' });
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  expect(t.el('error').textContent).toBe('Esta central de Salesforce Voice no es la configurada en el servidor del conector.');
  expect(t.host.ready()).toBeUndefined();
});

test('a login typed while the socket is closed is sent when it opens', async () => {
  const t = startPage();
  t.setup();
  t.server.accept();
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  t.server.drop();
  expect(t.el('status').textContent).toBe('Sin conexión con el servidor; reintentando…');
  t.core.login({ device: 'SIP/1001', user: '1001', password: 'secret' });
  expect(t.server.sent('login')).toEqual([]);
  await until(() => t.server.sockets.length === 2, 'a new socket');
  t.server.accept();
  expect(t.server.sent('login')).toEqual([expect.objectContaining({ type: 'login', user: '1001', surface: 'voice', voice: VOICE_IDENTITY })]);
  expect(t.el('status').textContent).toBe('');
});

test('the server restarts: the page reattaches, Salesforce sees no second CONNECTOR_READY', async () => {
  const t = await readyPage();
  t.server.say({ type: 'bye', reason: 'shutdown' });
  t.server.drop();
  expect(localStorage.getItem('neotel-cti-token')).toBe('token-2');
  await until(() => t.server.sockets.length === 2, 'a new socket');
  t.server.accept();
  expect(t.server.sent('attach').at(-1)).toEqual({ v: 1, type: 'attach', token: 'token-2', surface: 'voice', voice: VOICE_IDENTITY });
  t.server.say({ type: 'session', token: 'token-3', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'voiceSetup', ...voiceSetup({ activeCalls: [inboundCall('connected')] }) });
  await settle();
  expect(t.host.since()).toEqual([]);
  expect(t.core.activeCalls().map((c) => c.callId)).toEqual(['neotel-1159450']);
});

test('the server restarts mid-call and the customer hangs up meanwhile: the reattached page publishes what it missed', async () => {
  const t = await readyPage({ voiceSetup: voiceSetup({ activeCalls: [inboundCall('connected')] }) });
  t.server.say({ type: 'bye', reason: 'shutdown' });
  t.server.drop();
  await until(() => t.server.sockets.length === 2, 'a new socket');
  t.server.accept();
  t.server.say({ type: 'session', token: 'token-3', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  const ended = { ...inboundCall('ended'), reason: 'ended' };
  t.server.say({ type: 'voiceSetup', ...voiceSetup(), missed: [
    { eventType: 'HANGUP', payload: hangupResult([ended]) },
    { eventType: 'AFTER_CALL_WORK_STARTED', payload: { callId: 'neotel-1159450' } },
  ] });
  await until(() => t.host.event('AFTER_CALL_WORK_STARTED'), 'AFTER_CALL_WORK_STARTED');
  expect(t.host.sinceTypes()).toEqual(['HANGUP', 'AFTER_CALL_WORK_STARTED']);
  expect(t.core.activeCalls()).toEqual([]);
});

test('a new page ignores what an earlier one missed: it learns the calls from activeCalls', async () => {
  const t = await readyPage({ voiceSetup: { ...voiceSetup({ activeCalls: [inboundCall('connected')] }), missed: [
    { eventType: 'CALL_STARTED', payload: { $class: 'CallResult', call: inboundCall('ringing') } },
  ] } });
  await settle();
  expect(t.host.sinceTypes()).not.toContain('CALL_STARTED');
  expect(t.core.activeCalls().map((c) => c.callId)).toEqual(['neotel-1159450']);
});

test('the session ends on the server (Neotel logged the agent out): LOGOUT_RESULT once, then the form', async () => {
  const t = await readyPage();
  t.server.say({ type: 'bye', reason: 'sessionEnded' });
  t.server.drop();
  await until(() => t.host.event('LOGOUT_RESULT'), 'LOGOUT_RESULT');
  expect(t.host.event('LOGOUT_RESULT').payload).toEqual({ success: true, loginFrameHeight: 350 });
  expect(t.el('login').hidden).toBe(false);
  expect(localStorage.getItem('neotel-cti-token')).toBeNull();
  // Reconnected without a token: the form stays, nothing more for Salesforce.
  await until(() => t.server.sockets.length === 2, 'a new socket');
  t.server.accept();
  await settle();
  expect(t.host.sinceTypes()).toEqual(['LOGOUT_RESULT']);
  // And a new login brings Salesforce's agent back.
  t.core.login({ device: 'SIP/1001', user: '1001', password: 'secret' });
  t.server.say({ type: 'session', token: 'token-5', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'voiceSetup', ...voiceSetup() });
  await until(() => t.host.readies().length === 2, 'a second CONNECTOR_READY');
  expect(t.host.sinceTypes()).toEqual(['LOGOUT_RESULT', 'LOGIN_RESULT', 'CONNECTOR_READY']);
});

test('the session is taken over by a login elsewhere: LOGOUT_RESULT and the reason', async () => {
  const t = await readyPage();
  await t.form.ready;
  t.server.say({ type: 'bye', reason: 'takenOver' });
  await until(() => t.host.event('LOGOUT_RESULT'), 'LOGOUT_RESULT');
  expect(t.el('error').textContent).toBe('Inició sesión en otro navegador: esta pestaña ya no tiene la sesión.');
});

test('the server publishes LOGOUT_RESULT itself: the page does not repeat it at the goodbye', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voicePublish', eventType: 'LOGOUT_RESULT', payload: { $class: 'LogoutResult', success: true, loginFrameHeight: 350 } });
  t.server.say({ type: 'bye', reason: 'logout' });
  t.server.drop();
  await settle();
  expect(t.host.sinceTypes()).toEqual(['LOGOUT_RESULT']);
});

test('the page closes its socket when it unloads (pagehide), and does not reconnect', async () => {
  const t = await readyPage();
  t.lifecycle.dispatchEvent(new Event('pagehide'));
  expect(t.server.socket.readyState).toBe(3);
  await settle();
  expect(t.server.sockets).toHaveLength(1);
});
