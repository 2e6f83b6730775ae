/*
 * A supervisor's side (F-MONITOR): SUPERVISE_CALL, SUPERVISOR_DISCONNECT, SUPERVISOR_BARGE_IN
 * from the host, and the SUPERVISOR_* events the server publishes. Apart from the other host
 * messages because 3.6.2 keeps "a supervisor is connected" in module state: each test ends
 * disconnected, in order.
 */
import { expect, test } from '@jest/globals';
import { ok, readyPage, refused, until } from './harness.js';
import { NOT_WITH_NEOTEL, callResult, inboundCall } from './fixtures.js';

// What Salesforce's Command Center sends for the call to supervise.
const SUPERVISED = { callId: 'neotel-1159450', voiceCallId: '0LQ000000000001', callType: 'Inbound', from: '1144445555' };
const supervisorCall = (state) => inboundCall(state, { callAttributes: { participantType: 'Supervisor', voiceCallId: '0LQ000000000001' } });

test('SUPERVISE_CALL: superviseCall(supervisedCallInfo) → SUPERVISOR_CALL_STARTED (a desk phone); SUPERVISOR_DISCONNECT → SUPERVISOR_HANGUP', async () => {
  const t = await readyPage();
  t.server.on('superviseCall', () => ok({ $class: 'SuperviseCallResult', call: supervisorCall('ringing') }));
  t.host.send('SUPERVISE_CALL', { call: SUPERVISED });
  await until(() => t.host.event('SUPERVISOR_CALL_STARTED'), 'SUPERVISOR_CALL_STARTED');
  expect(t.server.calls('superviseCall')[0].args).toEqual({ supervisedCallInfo: SUPERVISED });
  expect(t.host.event('SUPERVISOR_CALL_STARTED').payload).toMatchObject({ callId: 'neotel-1159450', callAttributes: { participantType: 'Supervisor' } });

  t.server.on('supervisorDisconnect', () => ok({ $class: 'SupervisorHangupResult', calls: [supervisorCall('ended')] }));
  t.host.send('SUPERVISOR_DISCONNECT', { call: SUPERVISED });
  await until(() => t.host.event('SUPERVISOR_HANGUP'), 'SUPERVISOR_HANGUP');
  expect(t.server.calls('supervisorDisconnect')[0].args).toEqual({ supervisedCallInfo: SUPERVISED });
  expect(t.host.sinceTypes()).toEqual(['SUPERVISOR_CALL_STARTED', 'SUPERVISOR_HANGUP']);
  expect(t.host.event('SUPERVISOR_HANGUP').payload).toEqual([expect.objectContaining({ callId: 'neotel-1159450', state: 'ended' })]);
});

test('SUPERVISOR_BARGE_IN refused (Neotel\'s assist is not a barge-in): the label', async () => {
  const t = await readyPage();
  t.server.on('supervisorBargeIn', () => refused(NOT_WITH_NEOTEL));
  t.host.send('SUPERVISOR_BARGE_IN', { call: SUPERVISED });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.server.calls('supervisorBargeIn')[0].args).toEqual({ supervisedCallInfo: SUPERVISED });
  expect(t.host.event('ERROR').payload).toEqual({ customError: NOT_WITH_NEOTEL.customError });
});

test('SUPERVISOR_BARGE_IN accepted: SUPERVISOR_BARGED_IN', async () => {
  const t = await readyPage();
  t.server.on('supervisorBargeIn', () => ok({ $class: 'SuperviseCallResult', call: supervisorCall('connected') }));
  t.host.send('SUPERVISOR_BARGE_IN', { call: SUPERVISED });
  await until(() => t.host.event('SUPERVISOR_BARGED_IN'), 'SUPERVISOR_BARGED_IN');
  expect(t.host.event('SUPERVISOR_BARGED_IN').payload).toMatchObject({ callId: 'neotel-1159450' });
});

test('SUPERVISOR_CALL_STARTED, SUPERVISOR_CALL_CONNECTED, SUPERVISOR_BARGED_IN, SUPERVISOR_HANGUP published by the server', async () => {
  const t = await readyPage();
  const say = (eventType, payload) => t.server.say({ type: 'voicePublish', eventType, payload });
  say('SUPERVISOR_CALL_STARTED', { $class: 'SuperviseCallResult', call: supervisorCall('ringing') });
  say('SUPERVISOR_CALL_CONNECTED', { $class: 'SuperviseCallResult', call: supervisorCall('connected') });
  say('SUPERVISOR_BARGED_IN', { $class: 'SuperviseCallResult', call: supervisorCall('connected') });
  say('SUPERVISOR_HANGUP', { $class: 'SupervisorHangupResult', calls: supervisorCall('ended') });
  await until(() => t.host.event('SUPERVISOR_HANGUP'), 'SUPERVISOR_HANGUP');
  expect(t.host.sinceTypes()).toEqual(['SUPERVISOR_CALL_STARTED', 'SUPERVISOR_CALL_CONNECTED', 'SUPERVISOR_BARGED_IN', 'SUPERVISOR_HANGUP']);
  expect(t.host.event('SUPERVISOR_CALL_CONNECTED').payload).toMatchObject({ state: 'connected', callAttributes: { participantType: 'Supervisor' } });
  expect(t.host.event('SUPERVISOR_HANGUP').payload).toEqual([expect.objectContaining({ state: 'ended' })]);
});

test('a supervisor whose own call connects is disconnected first (the base asks supervisorDisconnect())', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voicePublish', eventType: 'SUPERVISOR_CALL_CONNECTED', payload: { $class: 'SuperviseCallResult', call: supervisorCall('connected') } });
  t.server.on('supervisorDisconnect', () => ok({ $class: 'SupervisorHangupResult', calls: [supervisorCall('ended')] }));
  t.server.say({ type: 'voicePublish', eventType: 'CALL_CONNECTED', payload: callResult(inboundCall('connected', { callId: 'neotel-2000000' })) });
  await until(() => t.host.event('CALL_CONNECTED'), 'CALL_CONNECTED');
  // The base calls it with no call at all.
  expect(t.server.calls('supervisorDisconnect')[0].args).toEqual({});
  expect(t.host.sinceTypes()).toEqual(['SUPERVISOR_CALL_CONNECTED', 'SUPERVISOR_HANGUP', 'CALL_CONNECTED']);
  expect(t.host.event('CALL_CONNECTED').payload).toMatchObject({ callId: 'neotel-2000000' });
});
