/*
 * One test per event of scv.md §5.3 the server may publish (`voicePublish`, `voiceError`): what
 * reaches Salesforce's port. And the 3.6.2 pitfalls the page works around: an unknown event type
 * never reaches the base (P1), publishes wait for init (P2), getActiveCalls never throws (P10).
 */
import { expect, test } from '@jest/globals';
import { readyPage, settle, startPage, until } from './harness.js';
import { AT, callResult, hangupResult, inboundCall, participantResult, thirdPartyCall, voiceSetup } from './fixtures.js';

const publish = (t, eventType, payload) => t.server.say({ type: 'voicePublish', eventType, payload });

test('CALL_STARTED: an inbound call rings (the VoiceCall id from SCRT, a desk phone\'s flags)', async () => {
  const t = await readyPage();
  publish(t, 'CALL_STARTED', callResult(inboundCall('ringing')));
  await until(() => t.host.event('CALL_STARTED'), 'CALL_STARTED');
  expect(t.host.sinceTypes()).toEqual(['CALL_STARTED']);
  expect(t.host.event('CALL_STARTED').payload).toEqual({
    callId: 'neotel-1159450', callType: 'Inbound', phoneNumber: '1144445555', state: 'ringing',
    contact: expect.objectContaining({ phoneNumber: '1144445555' }),
    callAttributes: { participantType: 'Initial_Caller', voiceCallId: '0LQ000000000001' },
    callInfo: expect.objectContaining({
      isSoftphoneCall: false, acceptEnabled: false, declineEnabled: false, muteEnabled: false,
      holdEnabled: false, recordEnabled: false, swapEnabled: false, callStateTimestamp: new Date(AT),
    }),
  });
});

test('a predictive call: CALL_STARTED, CALL_CONNECTED, HANGUP, AFTER_CALL_WORK_STARTED, in the server\'s order', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voiceCalls', activeCalls: [inboundCall('ringing')] });
  publish(t, 'CALL_STARTED', callResult(inboundCall('ringing')));
  t.server.say({ type: 'voiceCalls', activeCalls: [inboundCall('connected')] });
  publish(t, 'CALL_CONNECTED', callResult(inboundCall('connected')));
  t.server.say({ type: 'voiceCalls', activeCalls: [] });
  publish(t, 'HANGUP', hangupResult([{ ...inboundCall('ended'), reason: 'ended' }]));
  publish(t, 'AFTER_CALL_WORK_STARTED', { callId: 'neotel-1159450' });
  await until(() => t.host.event('AFTER_CALL_WORK_STARTED'), 'AFTER_CALL_WORK_STARTED');
  expect(t.host.sinceTypes()).toEqual(['CALL_STARTED', 'CALL_CONNECTED', 'HANGUP', 'AFTER_CALL_WORK_STARTED']);
  expect(t.host.event('CALL_CONNECTED').payload).toMatchObject({ callId: 'neotel-1159450', state: 'connected' });
  expect(t.host.event('HANGUP').payload).toEqual([expect.objectContaining({ callId: 'neotel-1159450', state: 'ended', reason: 'ended' })]);
  expect(t.host.event('AFTER_CALL_WORK_STARTED').payload).toEqual({ callId: 'neotel-1159450' });
});

test('HANGUP of a missed call: reason error, the call kept open, the agent status', async () => {
  const t = await readyPage();
  publish(t, 'HANGUP', hangupResult({ ...inboundCall('ended'), reason: 'error', closeCallOnError: false, agentStatus: 'MissedCallAgent' }));
  await until(() => t.host.event('HANGUP'), 'HANGUP');
  // closeCallOnError false is dropped by PhoneCall (it keeps only a truthy one).
  expect(t.host.event('HANGUP').payload).toEqual([expect.objectContaining({ reason: 'error', agentStatus: 'MissedCallAgent' })]);
});

test('PARTICIPANT_ADDED and PARTICIPANT_CONNECTED: the consulted party dials, then answers', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voiceCalls', activeCalls: [inboundCall('connected'), thirdPartyCall('transferring')] });
  publish(t, 'PARTICIPANT_ADDED', participantResult());
  t.server.say({ type: 'voiceCalls', activeCalls: [inboundCall('connected'), thirdPartyCall('transferred')] });
  publish(t, 'PARTICIPANT_CONNECTED', participantResult());
  await until(() => t.host.event('PARTICIPANT_CONNECTED'), 'PARTICIPANT_CONNECTED');
  expect(t.host.sinceTypes()).toEqual(['PARTICIPANT_ADDED', 'PARTICIPANT_CONNECTED']);
  for (const type of ['PARTICIPANT_ADDED', 'PARTICIPANT_CONNECTED']) {
    expect(t.host.event(type).payload).toEqual({
      initialCallHasEnded: false, phoneNumber: '1140002000', callId: 'neotel-1159450-xfer',
      callInfo: expect.objectContaining({ isSoftphoneCall: false }),
    });
  }
});

test('PARTICIPANT_REMOVED of the consulted party, the customer still on: PARTICIPANT_REMOVED {reason}', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voiceCalls', activeCalls: [inboundCall('connected')] });
  publish(t, 'PARTICIPANT_REMOVED', callResult({ ...thirdPartyCall('ended'), reason: 'ended' }));
  await until(() => t.host.event('PARTICIPANT_REMOVED'), 'PARTICIPANT_REMOVED');
  expect(t.host.event('PARTICIPANT_REMOVED').payload).toEqual({ reason: 'ended' });
});

test('PARTICIPANT_REMOVED of the last party: the base makes it a HANGUP (it reads the calls the server sent before)', async () => {
  const t = await readyPage({ voiceSetup: voiceSetup({ activeCalls: [inboundCall('connected')] }) });
  t.server.say({ type: 'voiceCalls', activeCalls: [] });
  publish(t, 'PARTICIPANT_REMOVED', callResult({ ...inboundCall('ended'), reason: 'ended' }));
  await until(() => t.host.event('HANGUP'), 'HANGUP');
  expect(t.host.sinceTypes()).toEqual(['HANGUP']);
  expect(t.host.event('HANGUP').payload).toMatchObject({ callId: 'neotel-1159450', reason: 'ended' });
});

test('PARTICIPANT_REMOVED of the customer during a transfer: the consulted party goes on (initialCallHasEnded)', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voiceCalls', activeCalls: [thirdPartyCall('transferred')] });
  publish(t, 'PARTICIPANT_REMOVED', callResult({ ...inboundCall('ended'), reason: 'ended' }));
  await until(() => t.host.event('PARTICIPANT_CONNECTED'), 'PARTICIPANT_CONNECTED');
  expect(t.host.event('PARTICIPANT_CONNECTED').payload).toEqual({ initialCallHasEnded: true });
});

test('PARTICIPANTS_CONFERENCED: Salesforce gets HOLD_TOGGLE with nobody on hold', async () => {
  const t = await readyPage();
  publish(t, 'PARTICIPANTS_CONFERENCED', { $class: 'HoldToggleResult', isThirdPartyOnHold: false, isCustomerOnHold: false });
  await until(() => t.host.event('HOLD_TOGGLE'), 'HOLD_TOGGLE');
  expect(t.host.event('HOLD_TOGGLE').payload).toEqual({ isThirdPartyOnHold: false, isCustomerOnHold: false });
});

test('WRAP_UP_ENDED: Neotel ended the wrap-up itself (automatic release)', async () => {
  const t = await readyPage();
  publish(t, 'WRAP_UP_ENDED', { callId: 'neotel-1159450' });
  await until(() => t.host.event('WRAP_UP_ENDED'), 'WRAP_UP_ENDED');
  expect(t.host.event('WRAP_UP_ENDED').payload).toEqual({ callId: 'neotel-1159450' });
});

test('SET_AGENT_STATUS: a break taken on Neotel\'s side becomes the Omni status', async () => {
  const t = await readyPage();
  publish(t, 'SET_AGENT_STATUS', { $class: 'AgentStatusInfo', statusId: '0N5000000000002', statusApiName: 'Break_Lunch', statusName: 'Break - Lunch' });
  await until(() => t.host.event('SET_AGENT_STATUS'), 'SET_AGENT_STATUS');
  expect(t.host.event('SET_AGENT_STATUS').payload).toEqual({ statusId: '0N5000000000002' });
});

test('LOGOUT_RESULT: Neotel logged the agent out', async () => {
  const t = await readyPage();
  publish(t, 'LOGOUT_RESULT', { $class: 'LogoutResult', success: true, loginFrameHeight: 350 });
  await until(() => t.host.event('LOGOUT_RESULT'), 'LOGOUT_RESULT');
  expect(t.host.event('LOGOUT_RESULT').payload).toEqual({ success: true, loginFrameHeight: 350 });
});

test('MESSAGE: anything for Salesforce\'s components, passed as it is (dates made Dates)', async () => {
  const t = await readyPage();
  publish(t, 'MESSAGE', { kind: 'view', view: { status: 'available', since: { $date: AT } } });
  await until(() => t.host.event('MESSAGE'), 'MESSAGE');
  expect(t.host.event('MESSAGE').payload).toEqual({ kind: 'view', view: { status: 'available', since: new Date(AT) } });
});

test('CALL_BARGED_IN: the agent is told a supervisor barged in', async () => {
  const t = await readyPage();
  publish(t, 'CALL_BARGED_IN', { $class: 'SupervisedCallInfo', callId: 'neotel-1159450', voiceCallId: '0LQ000000000001', supervisorName: 'Supervisora', isBargedIn: true });
  await until(() => t.host.event('CALL_BARGED_IN'), 'CALL_BARGED_IN');
  expect(t.host.event('CALL_BARGED_IN').payload).toMatchObject({ callId: 'neotel-1159450', supervisorName: 'Supervisora', isBargedIn: true });
});

test('voiceError: an error of Neotel\'s side for an event type (AGENT_ERROR), or a CustomError label', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voiceError', eventType: 'AGENT_ERROR', error: { type: 'AGENT_ERROR', message: 'Neotel does not answer' } });
  t.server.say({ type: 'voiceError', eventType: 'CALL_STARTED', error: { customError: { labelName: 'NeotelDown', namespace: 'neotel', message: 'Neotel does not answer' } } });
  t.server.say({ type: 'voiceError', eventType: 'NOT_A_TYPE', error: { type: 'GENERIC_ERROR' } });
  await until(() => t.host.since().length === 2, 'two errors');
  await settle();
  expect(t.host.since().map((m) => m.payload.telephonyEventPayload)).toEqual([
    { message: 'AGENT_ERROR' },
    { customError: { labelName: 'NeotelDown', namespace: 'neotel', message: 'Neotel does not answer' } },
  ]);
  expect(t.log.lines.some((l) => l.level === 'error' && l.text.includes('NOT_A_TYPE'))).toBe(true);
});

test('P1: an unknown event type is dropped and logged, never fed to the base', async () => {
  const t = await readyPage();
  t.server.on('logout', () => { throw new Error('the base must not run a host message from a publish'); });
  // No eventType (the base's `case undefined` would run the payload as a host message), a type
  // 3.6.2 removed, a 4.x type, one Salesforce keeps for itself, LOGIN_RESULT (the page's own).
  t.server.say({ type: 'voicePublish', payload: { data: { type: 'LOGOUT' } } });
  publish(t, 'PREVIEW_CALL_STARTED', callResult(inboundCall('ringing')));
  publish(t, 'CALL_UPDATED', callResult(inboundCall('ringing')));
  publish(t, 'STATE_CHANGE', {});
  publish(t, 'LOGIN_RESULT', { $class: 'GenericResult', success: true });
  await settle();
  expect(t.host.since()).toEqual([]);
  expect(t.server.sent('voiceCall')).toEqual([]);
  const dropped = t.log.lines.filter((l) => l.level === 'error').map((l) => l.text);
  expect(dropped).toHaveLength(5);
  expect(dropped.join('\n')).toMatch(/PREVIEW_CALL_STARTED[\s\S]*CALL_UPDATED[\s\S]*STATE_CHANGE[\s\S]*LOGIN_RESULT/);
});

test('a payload naming a class outside the allowlist is dropped and logged', async () => {
  const t = await readyPage();
  publish(t, 'CALL_STARTED', { $class: 'CallResult', call: { $class: 'Function', callId: 'x' } });
  publish(t, 'CALL_STARTED', { $class: 'constructor' });
  publish(t, 'CALL_STARTED', callResult(inboundCall('ringing')));
  await until(() => t.host.event('CALL_STARTED'), 'CALL_STARTED');
  await settle();
  expect(t.host.sinceTypes()).toEqual(['CALL_STARTED']);
  expect(t.log.lines.filter((l) => l.text.includes('class not allowed'))).toHaveLength(2);
});

test('a payload of the wrong class reaches the base, which tells Salesforce its error (no event)', async () => {
  const t = await readyPage();
  publish(t, 'CALL_CONNECTED', { $class: 'GenericResult', success: true });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['ERROR']);
  expect(t.host.event('ERROR').payload).toEqual({ message: 'CAN_NOT_START_THE_CALL' });
});

test('P2: what the server publishes before the base took init()\'s answer waits, and comes after CONNECTOR_READY', async () => {
  const t = startPage({ token: 'token-1' });
  t.setup();
  t.server.accept();
  t.server.say({ type: 'session', token: 'token-2', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  // All in one go, before any of the base's microtasks ran.
  t.server.say({ type: 'voiceSetup', ...voiceSetup() });
  t.server.say({ type: 'voiceCalls', activeCalls: [inboundCall('ringing')] });
  publish(t, 'CALL_STARTED', callResult(inboundCall('ringing')));
  await until(() => t.host.event('CALL_STARTED'), 'CALL_STARTED');
  const types = t.host.seen.filter((m) => m.type !== 'LOG').map((m) => m.type === 'TELEPHONY_EVENT_DISPATCHED' ? m.payload.telephonyEventType : m.type);
  expect(types).toEqual(['CONNECTOR_READY', 'CALL_STARTED']);
  // CONNECTOR_READY had the calls of voiceSetup; the ringing call came after it.
  expect(t.host.ready().payload.callInProgress).toBeNull();
});

test('P2 after the login form: LOGIN_RESULT, CONNECTOR_READY, then what the server published', async () => {
  const t = startPage();
  t.setup();
  t.server.accept();
  await until(() => t.host.event('SHOW_LOGIN'), 'SHOW_LOGIN');
  t.host.mark();
  t.core.login({ device: 'SIP/1001', user: '1001', password: 'secret' });
  t.server.say({ type: 'session', token: 'token-2', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'voiceSetup', ...voiceSetup() });
  publish(t, 'SET_AGENT_STATUS', { $class: 'AgentStatusInfo', statusId: '0N5000000000001' });
  await until(() => t.host.event('SET_AGENT_STATUS'), 'SET_AGENT_STATUS');
  expect(t.host.sinceTypes()).toEqual(['LOGIN_RESULT', 'CONNECTOR_READY', 'SET_AGENT_STATUS']);
});

test('P10: unreadable active calls from the server are refused and the last ones kept; AGENT_AVAILABLE still replays', async () => {
  const t = await readyPage({ voiceSetup: voiceSetup({ activeCalls: [inboundCall('connected')] }) });
  t.server.say({ type: 'voiceCalls', activeCalls: [{ $class: 'PhoneCall', callId: 7 }] });
  t.server.say({ type: 'voiceCalls', activeCalls: [{ $class: 'Window' }] });
  await settle(2);
  expect(t.log.lines.filter((l) => l.text.includes('voiceCalls unreadable'))).toHaveLength(2);
  t.host.send('AGENT_AVAILABLE', { isAvailable: true });
  await until(() => t.host.event('CALL_CONNECTED'), 'CALL_CONNECTED');
  expect(t.host.event('CALL_CONNECTED').payload).toMatchObject({ callId: 'neotel-1159450', isReplayedCall: true });
});

test('P10: AGENT_AVAILABLE with no calls replays nothing', async () => {
  const t = await readyPage();
  t.host.send('AGENT_AVAILABLE', { isAvailable: true });
  await settle();
  expect(t.host.since()).toEqual([]);
  expect(t.core.activeCalls()).toEqual([]);
});
