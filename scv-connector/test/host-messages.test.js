/*
 * One test per host message of scv.md §2.2 (after the handshake): what the page sends the
 * server (`voiceCall`: the method and its arguments by 3.6.2's names, as plain JSON) and what
 * reaches Salesforce's port once the server answered (the base's TELEPHONY_EVENT_DISPATCHED).
 * Supervisor messages: supervisor.test.js (the base keeps a supervising flag per page).
 */
import { expect, test } from '@jest/globals';
import { ok, readyPage, refused, settle, until } from './harness.js';
import {
  NOT_WITH_NEOTEL, callResult, hangupResult, inboundCall, outboundCall, participantResult, thirdPartyCall, voiceSetup,
} from './fixtures.js';

const NOT_WITH_NEOTEL_EVENT = { customError: NOT_WITH_NEOTEL.customError };
// What Salesforce has of a call: the PhoneCall it was given (plain, after postMessage).
const SF_CALL = { callId: 'neotel-1159450', callType: 'Inbound', phoneNumber: '1144445555', state: 'connected', callAttributes: { participantType: 'Initial_Caller', voiceCallId: '0LQ000000000001' } };

test('ACCEPT_CALL: acceptCall(call) → CALL_CONNECTED with the server\'s call', async () => {
  const t = await readyPage();
  t.server.on('acceptCall', () => ok(callResult(inboundCall('connected'))));
  t.host.send('ACCEPT_CALL', { call: { ...SF_CALL, state: 'ringing' } });
  await until(() => t.host.event('CALL_CONNECTED'), 'CALL_CONNECTED');
  expect(t.server.calls('acceptCall')[0].args).toEqual({ call: { ...SF_CALL, state: 'ringing' } });
  expect(t.host.sinceTypes()).toEqual(['CALL_CONNECTED']);
  expect(t.host.event('CALL_CONNECTED').payload).toMatchObject({ callId: 'neotel-1159450', state: 'connected', callInfo: { isSoftphoneCall: false, acceptEnabled: false } });
});

test('ACCEPT_CALL refused (a desk phone answers on the SIP phone): INFO CAN_NOT_ACCEPT_THE_CALL', async () => {
  const t = await readyPage();
  t.server.on('acceptCall', () => refused(NOT_WITH_NEOTEL));
  t.host.send('ACCEPT_CALL', { call: SF_CALL });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.event('ERROR').payload).toEqual(NOT_WITH_NEOTEL_EVENT);
});

test('DECLINE_CALL: declineCall(call) → HANGUP of that call', async () => {
  const t = await readyPage();
  t.server.on('declineCall', () => [
    { type: 'voiceCalls', activeCalls: [] },
    ok(callResult({ ...inboundCall('ended'), reason: 'ended' })),
  ]);
  t.host.send('DECLINE_CALL', { call: { ...SF_CALL, state: 'ringing' } });
  await until(() => t.host.event('HANGUP'), 'HANGUP');
  expect(t.server.calls('declineCall')[0].args).toEqual({ call: { ...SF_CALL, state: 'ringing' } });
  expect(t.host.event('HANGUP').payload).toMatchObject({ callId: 'neotel-1159450', state: 'ended', reason: 'ended' });
});

test('END_CALL as Initial_Caller: endCall(call, agentStatus), the server\'s calls first, then HANGUP of every call', async () => {
  const t = await readyPage({ voiceSetup: voiceSetup({ activeCalls: [inboundCall('connected')] }) });
  t.server.on('endCall', () => [
    { type: 'voiceCalls', activeCalls: [] },
    ok(hangupResult([{ ...inboundCall('ended'), reason: 'ended' }])),
  ]);
  // Salesforce's END_CALL carries only what it has (often a partial call, P5).
  t.host.send('END_CALL', { call: { callAttributes: { participantType: 'Initial_Caller' } }, agentStatus: 'AfterCallWork' });
  await until(() => t.host.event('HANGUP'), 'HANGUP');
  expect(t.server.calls('endCall')[0].args).toEqual({ call: { callAttributes: { participantType: 'Initial_Caller' } }, agentStatus: 'AfterCallWork' });
  expect(t.host.sinceTypes()).toEqual(['HANGUP']);
  expect(t.host.event('HANGUP').payload).toEqual([expect.objectContaining({ callId: 'neotel-1159450', state: 'ended', reason: 'ended' })]);
  expect(t.core.activeCalls()).toEqual([]);
});

test('END_CALL as Third_Party (end of an attended transfer): PARTICIPANT_REMOVED while the customer stays', async () => {
  const t = await readyPage({ voiceSetup: voiceSetup({ activeCalls: [inboundCall('connected'), thirdPartyCall('transferred')] }) });
  t.server.on('endCall', () => [
    { type: 'voiceCalls', activeCalls: [inboundCall('connected')] },
    ok(hangupResult([{ ...thirdPartyCall('ended'), reason: 'ended' }])),
  ]);
  t.host.send('END_CALL', { call: { callId: 'neotel-1159450-xfer', callAttributes: { participantType: 'Third_Party' } } });
  await until(() => t.host.event('PARTICIPANT_REMOVED'), 'PARTICIPANT_REMOVED');
  expect(t.server.calls('endCall')[0].args).toEqual({ call: { callId: 'neotel-1159450-xfer', callAttributes: { participantType: 'Third_Party' } } });
  expect(t.host.sinceTypes()).toEqual(['PARTICIPANT_REMOVED']);
  expect(t.host.event('PARTICIPANT_REMOVED').payload).toMatchObject({ callId: 'neotel-1159450-xfer', callType: 'AddParticipant' });
});

test('END_CALL refused: ERROR CAN_NOT_END_THE_CALL', async () => {
  const t = await readyPage();
  t.server.on('endCall', () => refused({ type: 'GENERIC_ERROR', message: 'Neotel did not hang up' }));
  t.host.send('END_CALL', { call: SF_CALL, agentStatus: 'AfterCallWork' });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.event('ERROR').payload).toEqual({ message: 'CAN_NOT_END_THE_CALL' });
});

test.each([
  ['MUTE', 'mute', {}, {}],
  ['UNMUTE', 'unmute', {}, {}],
  ['HOLD', 'hold', { call: SF_CALL }, { call: SF_CALL }],
  ['RESUME', 'resume', { call: SF_CALL }, { call: SF_CALL }],
])('%s: refused by the server with a CustomError (NeoApi cannot), shown as that label', async (type, method, fields, args) => {
  const t = await readyPage();
  t.server.on(method, () => refused(NOT_WITH_NEOTEL));
  t.host.send(type, fields);
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.server.calls(method)[0].args).toEqual(args);
  expect(t.host.sinceTypes()).toEqual(['ERROR']);
  expect(t.host.event('ERROR').payload).toEqual(NOT_WITH_NEOTEL_EVENT);
});

test('SET_AGENT_STATUS: setAgentStatus(agentStatus, statusInfo, enqueueNextState) → SET_AGENT_STATUS_RESULT', async () => {
  const t = await readyPage();
  t.server.on('setAgentStatus', () => ok({ $class: 'GenericResult', success: true }));
  const statusInfo = { statusId: '0N5000000000002', statusApiName: 'Break_Lunch', statusName: 'Break - Lunch' };
  t.host.send('SET_AGENT_STATUS', { agentStatus: 'Online', statusInfo });
  await until(() => t.host.event('SET_AGENT_STATUS_RESULT'), 'SET_AGENT_STATUS_RESULT');
  expect(t.server.calls('setAgentStatus')[0].args).toEqual({ agentStatus: 'Online', statusInfo, enqueueNextState: false });
  expect(t.host.event('SET_AGENT_STATUS_RESULT').payload).toEqual({ success: true });
});

test('SET_AGENT_STATUS refused (a break while a contact is on screen): SET_AGENT_STATUS_RESULT false and the label', async () => {
  const t = await readyPage();
  t.server.on('setAgentStatus', () => refused({ type: 'CAN_NOT_SET_AGENT_STATUS', message: 'Release or categorize the contact first.' }));
  t.host.send('SET_AGENT_STATUS', { agentStatus: 'Online', statusInfo: { statusId: '0N5000000000002' } });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['SET_AGENT_STATUS_RESULT', 'ERROR']);
  expect(t.host.event('SET_AGENT_STATUS_RESULT').payload).toEqual({ success: false });
  expect(t.host.event('ERROR').payload).toEqual({ message: 'CAN_NOT_SET_AGENT_STATUS' });
});

test('GET_AGENT_STATUS: getAgentStatus() → GET_AGENT_STATUS_RESULT', async () => {
  const t = await readyPage();
  t.server.on('getAgentStatus', () => ok({ $class: 'AgentVendorStatusInfo', statusId: '0N5000000000001', statusType: 'Available', statusName: 'Available' }));
  t.host.send('GET_AGENT_STATUS');
  await until(() => t.host.event('GET_AGENT_STATUS_RESULT'), 'GET_AGENT_STATUS_RESULT');
  expect(t.host.event('GET_AGENT_STATUS_RESULT').payload).toEqual({ statusId: '0N5000000000001', statusType: 'Available', statusName: 'Available' });
});

test('DIAL: dial(contact) → CALL_STARTED with the server\'s outbound call', async () => {
  const t = await readyPage();
  t.server.on('dial', () => ok(callResult(outboundCall('ringing'))));
  t.host.send('DIAL', { contact: { phoneNumber: '+54 9 11 4444-5555' } });
  await until(() => t.host.event('CALL_STARTED'), 'CALL_STARTED');
  // The base made a Contact of it: its JSON copy (availability null for a non-agent).
  expect(t.server.calls('dial')[0].args).toEqual({ contact: { phoneNumber: '+54 9 11 4444-5555', availability: null } });
  expect(t.host.sinceTypes()).toEqual(['CALL_STARTED']);
  expect(t.host.event('CALL_STARTED').payload).toMatchObject({ callId: 'neotel-1159451', callType: 'Outbound', state: 'ringing', callInfo: { isSoftphoneCall: false } });
});

test('DIAL refused as an invalid destination: CALL_FAILED, then ERROR INVALID_DESTINATION', async () => {
  const t = await readyPage();
  t.server.on('dial', () => refused({ type: 'INVALID_DESTINATION', message: 'no digits to dial' }));
  t.host.send('DIAL', { contact: { phoneNumber: 'abc' } });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['CALL_FAILED', 'ERROR']);
  expect(t.host.event('ERROR').payload).toEqual({ message: 'INVALID_DESTINATION' });
});

test('DIAL refused with a CustomError (no digits in the number): CALL_FAILED, then the label', async () => {
  const t = await readyPage();
  const noDigits = { customError: { labelName: 'NoDigits', namespace: 'neotel', message: 'The number has no digits.' } };
  t.server.on('dial', () => refused(noDigits));
  t.host.send('DIAL', { contact: { phoneNumber: '---' } });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['CALL_FAILED', 'ERROR']);
  expect(t.host.event('ERROR').payload).toEqual(noDigits);
});

test('SEND_DIGITS: sendDigits(digits), nothing back to Salesforce', async () => {
  const t = await readyPage();
  t.server.on('sendDigits', () => ok(null));
  t.host.send('SEND_DIGITS', { digits: '5' });
  await until(() => t.server.calls('sendDigits').length, 'sendDigits');
  await settle();
  expect(t.server.calls('sendDigits')[0].args).toEqual({ digits: '5' });
  expect(t.host.since()).toEqual([]);
});

test('GET_PHONE_CONTACTS: getPhoneContacts(filter) → PHONE_CONTACTS with the transfer lists', async () => {
  const t = await readyPage();
  t.server.on('getPhoneContacts', () => ok({
    $class: 'PhoneContactsResult',
    contactTypes: ['PhoneBook', 'Agent', 'Queue'],
    contacts: [
      { $class: 'Contact', id: 'phone-2', type: 'PhoneBook', name: 'Cobranzas', phoneNumber: '1140002000' },
      { $class: 'Contact', id: 'user-1002', type: 'Agent', name: 'Agente 1002', availability: 'AVAILABLE' },
      { $class: 'Contact', id: 'queue-200', type: 'Queue', name: 'Entrantes Salesforce' },
    ],
  }));
  t.host.send('GET_PHONE_CONTACTS', { filter: { contains: 'co' } });
  await until(() => t.host.event('PHONE_CONTACTS'), 'PHONE_CONTACTS');
  expect(t.server.calls('getPhoneContacts')[0].args).toEqual({ filter: { contains: 'co' } });
  const { contacts, contactTypes } = t.host.event('PHONE_CONTACTS').payload;
  expect(contactTypes).toEqual(['PhoneBook', 'Agent', 'Queue']);
  expect(contacts.map((c) => [c.id, c.type, c.name, c.phoneNumber, c.availability])).toEqual([
    ['phone-2', 'PhoneBook', 'Cobranzas', '1140002000', null],
    ['user-1002', 'Agent', 'Agente 1002', undefined, 'AVAILABLE'],
    ['queue-200', 'Queue', 'Entrantes Salesforce', undefined, null],
  ]);
});

test('SWAP_PARTICIPANTS: swap(call1, call2) refused (hasSwap is false) → the label', async () => {
  const t = await readyPage();
  t.server.on('swap', () => refused(NOT_WITH_NEOTEL));
  t.host.send('SWAP_PARTICIPANTS', { callToHold: SF_CALL, callToResume: { callId: 'neotel-1159450-xfer' } });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.server.calls('swap')[0].args).toEqual({ call1: SF_CALL, call2: { callId: 'neotel-1159450-xfer' } });
  expect(t.host.event('ERROR').payload).toEqual(NOT_WITH_NEOTEL_EVENT);
});

test('CONFERENCE: conference(calls) → HOLD_TOGGLE with nobody on hold', async () => {
  const t = await readyPage();
  t.server.on('conference', () => ok({ $class: 'HoldToggleResult', isThirdPartyOnHold: false, isCustomerOnHold: false }));
  const calls = [SF_CALL, { callId: 'neotel-1159450-xfer' }];
  t.host.send('CONFERENCE', { calls });
  await until(() => t.host.event('HOLD_TOGGLE'), 'HOLD_TOGGLE');
  expect(t.server.calls('conference')[0].args).toEqual({ calls });
  expect(t.host.event('HOLD_TOGGLE').payload).toEqual({ isThirdPartyOnHold: false, isCustomerOnHold: false });
});

test('ADD_PARTICIPANT blind: addParticipant(contact, call, true) → PARTICIPANT_ADDED, then the base hangs up the first leg', async () => {
  const t = await readyPage();
  t.server.on('addParticipant', () => ok(participantResult({ initialCallHasEnded: true })));
  const contact = { id: 'queue-200', type: 'Queue', name: 'Entrantes Salesforce' };
  t.host.send('ADD_PARTICIPANT', { contact, call: SF_CALL, isBlindTransfer: true });
  await until(() => t.host.event('HANGUP'), 'HANGUP');
  expect(t.server.calls('addParticipant')[0].args).toEqual({ contact: { ...contact, availability: null }, call: SF_CALL, isBlindTransfer: true });
  expect(t.host.sinceTypes()).toEqual(['PARTICIPANT_ADDED', 'HANGUP']);
  expect(t.host.event('PARTICIPANT_ADDED').payload).toMatchObject({ initialCallHasEnded: true, callId: 'neotel-1159450-xfer', phoneNumber: '1140002000' });
  expect(t.host.event('HANGUP').payload).toEqual(SF_CALL); // Salesforce's own call, sent back
});

test('ADD_PARTICIPANT attended: addParticipant(contact, call, false) → PARTICIPANT_ADDED only', async () => {
  const t = await readyPage();
  t.server.on('addParticipant', () => ok(participantResult()));
  const contact = { id: 'phone-2', type: 'PhoneBook', phoneNumber: '1140002000' };
  t.host.send('ADD_PARTICIPANT', { contact, call: SF_CALL, isBlindTransfer: false });
  await until(() => t.host.event('PARTICIPANT_ADDED'), 'PARTICIPANT_ADDED');
  await settle();
  expect(t.server.calls('addParticipant')[0].args.isBlindTransfer).toBe(false);
  expect(t.host.sinceTypes()).toEqual(['PARTICIPANT_ADDED']);
  expect(t.host.event('PARTICIPANT_ADDED').payload).toMatchObject({ initialCallHasEnded: false, callInfo: { isSoftphoneCall: false } });
});

test('ADD_PARTICIPANT refused: PARTICIPANT_REMOVED {reason: error}, then the error', async () => {
  const t = await readyPage();
  t.server.on('addParticipant', () => refused({ type: 'INVALID_DESTINATION', message: 'the user cannot take a transfer now' }));
  t.host.send('ADD_PARTICIPANT', { contact: { id: 'user-1003', type: 'Agent' }, call: SF_CALL, isBlindTransfer: false });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['PARTICIPANT_REMOVED', 'ERROR']);
  expect(t.host.event('PARTICIPANT_REMOVED').payload).toEqual({ reason: 'error' });
  expect(t.host.event('ERROR').payload).toEqual({ message: 'INVALID_DESTINATION' });
});

test.each([['PAUSE_RECORDING', 'pauseRecording'], ['RESUME_RECORDING', 'resumeRecording']])(
  '%s: refused by the server with a CustomError → the label', async (type, method) => {
    const t = await readyPage();
    t.server.on(method, () => refused(NOT_WITH_NEOTEL));
    t.host.send(type, { call: SF_CALL });
    await until(() => t.host.event('ERROR'), 'ERROR');
    expect(t.server.calls(method)[0].args).toEqual({ call: SF_CALL });
    expect(t.host.event('ERROR').payload).toEqual(NOT_WITH_NEOTEL_EVENT);
  },
);

test('LOGOUT: logout() → LOGOUT_RESULT; the goodbye that follows shows the form and is not told twice', async () => {
  const t = await readyPage();
  t.server.on('logout', () => [
    ok({ $class: 'LogoutResult', success: true, loginFrameHeight: 350 }),
    { type: 'bye', reason: 'logout' },
  ]);
  t.host.send('LOGOUT');
  await until(() => t.host.event('LOGOUT_RESULT'), 'LOGOUT_RESULT');
  await until(() => !t.el('login').hidden, 'the login form');
  t.server.drop();
  await settle();
  expect(t.server.calls('logout')[0].args).toEqual({});
  expect(t.host.sinceTypes()).toEqual(['LOGOUT_RESULT']);
  expect(t.host.event('LOGOUT_RESULT').payload).toEqual({ success: true, loginFrameHeight: 350 });
  expect(localStorage.getItem('neotel-cti-token')).toBeNull();
});

test('LOGOUT answered by the goodbye alone: LOGOUT_RESULT once', async () => {
  const t = await readyPage();
  t.server.on('logout', () => [{ type: 'bye', reason: 'logout' }]);
  t.host.send('LOGOUT');
  await until(() => t.host.event('LOGOUT_RESULT'), 'LOGOUT_RESULT');
  t.server.drop();
  await settle();
  expect(t.host.sinceTypes()).toEqual(['LOGOUT_RESULT']);
});

test('MESSAGE: handleMessage(message) reaches the server, nothing back', async () => {
  const t = await readyPage();
  t.server.on('handleMessage', () => ok(null));
  const message = { kind: 'command', command: { command: 'joinCampaign', campaign: 97 } };
  t.host.send('MESSAGE', { message });
  await until(() => t.server.calls('handleMessage').length, 'handleMessage');
  await settle();
  expect(t.server.calls('handleMessage')[0].args).toEqual({ message });
  expect(t.host.since()).toEqual([]);
});

test('WRAP_UP_CALL: wrapUpCall(call) reaches the server (Play), nothing back; a refusal is only logged', async () => {
  const t = await readyPage();
  t.server.on('wrapUpCall', () => refused({ type: 'GENERIC_ERROR', message: 'release the contact first' }));
  t.host.send('WRAP_UP_CALL', { call: SF_CALL });
  await until(() => t.log.lines.some((l) => l.text.includes('wrapUpCall failed')), 'the log line');
  expect(t.server.calls('wrapUpCall')[0].args).toEqual({ call: SF_CALL });
  expect(t.host.since()).toEqual([]);
});

test('AGENT_AVAILABLE: the base replays the active calls the server last sent', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voiceCalls', activeCalls: [inboundCall('connected'), thirdPartyCall('transferring')] });
  await settle(2);
  t.host.send('AGENT_AVAILABLE', { isAvailable: true });
  await until(() => t.host.since().length === 2, 'two replayed events');
  expect(t.host.sinceTypes()).toEqual(['CALL_CONNECTED', 'PARTICIPANT_ADDED']);
  expect(t.host.event('CALL_CONNECTED').payload).toMatchObject({ callId: 'neotel-1159450', isReplayedCall: true });
  expect(t.host.event('PARTICIPANT_ADDED').payload).toMatchObject({ callId: 'neotel-1159450-xfer', phoneNumber: '1140002000' });
  // Asked again: the same answer, not one marked by the base's last replay.
  expect(t.core.activeCalls()[0].isReplayedCall).toBeUndefined();
  expect(t.server.sent('voiceCall')).toEqual([]);
});

test('SET_AGENT_CONFIG: setAgentConfig(config) → AGENT_CONFIG_UPDATED', async () => {
  const t = await readyPage();
  t.server.on('setAgentConfig', () => ok({ $class: 'GenericResult', success: true }));
  t.host.send('SET_AGENT_CONFIG', { config: { selectedPhone: { type: 'DESK_PHONE', number: 'SIP/1002' } } });
  await until(() => t.host.event('AGENT_CONFIG_UPDATED'), 'AGENT_CONFIG_UPDATED');
  expect(t.server.calls('setAgentConfig')[0].args).toEqual({ config: { selectedPhone: { type: 'DESK_PHONE', number: 'SIP/1002' } } });
  expect(t.host.event('AGENT_CONFIG_UPDATED').payload).toEqual({ success: true });
});

test('GET_SIGNED_RECORDING_URL refused: SIGNED_RECORDING_URL {success: false}', async () => {
  const t = await readyPage();
  t.server.on('getSignedRecordingUrl', () => refused(NOT_WITH_NEOTEL));
  t.host.send('GET_SIGNED_RECORDING_URL', { recordingUrl: 'https://rec/1', vendorCallKey: 'neotel-1159450', callId: '0LQ000000000001' });
  await until(() => t.host.event('SIGNED_RECORDING_URL'), 'SIGNED_RECORDING_URL');
  expect(t.server.calls('getSignedRecordingUrl')[0].args).toEqual({ recordingUrl: 'https://rec/1', vendorCallKey: 'neotel-1159450', callId: '0LQ000000000001' });
  expect(t.host.event('SIGNED_RECORDING_URL').payload).toMatchObject({ success: false });
});

test('DOWNLOAD_VENDOR_LOGS and LOG are answered by the page itself, nothing to the server', async () => {
  const t = await readyPage();
  t.host.send('DOWNLOAD_VENDOR_LOGS');
  t.host.send('LOG', { logLevel: 'INFO', logMessage: 'hello from Salesforce', payload: { a: 1 } });
  await settle();
  expect(t.server.sent('voiceCall')).toEqual([]);
  expect(t.log.lines.some((l) => l.text.includes('hello from Salesforce'))).toBe(true);
  expect(t.host.since()).toEqual([]);
});

test('a method while the server cannot be reached: refused at once (GENERIC_ERROR), nothing queued behind the agent\'s back', async () => {
  const t = await readyPage();
  t.server.drop();
  t.host.send('DIAL', { contact: { phoneNumber: '1144445555' } });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['CALL_FAILED', 'ERROR']);
  expect(t.host.event('ERROR').payload).toEqual({ message: 'GENERIC_ERROR' });
  expect(t.server.sent('voiceCall')).toEqual([]);
});

test('a call in flight when the connection drops is refused (its answer cannot come on a new socket)', async () => {
  const t = await readyPage();
  t.host.send('DIAL', { contact: { phoneNumber: '1144445555' } });
  await until(() => t.server.calls('dial').length, 'dial');
  t.server.drop();
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['CALL_FAILED', 'ERROR']);
});

test('a result that names a class outside the allowlist is refused (GENERIC_ERROR), never constructed', async () => {
  const t = await readyPage();
  t.server.on('dial', () => ok({ $class: 'VendorConnector' }));
  t.host.send('DIAL', { contact: { phoneNumber: '1144445555' } });
  await until(() => t.host.event('ERROR'), 'ERROR');
  expect(t.host.sinceTypes()).toEqual(['CALL_FAILED', 'ERROR']);
  expect(t.host.event('ERROR').payload).toEqual({ message: 'GENERIC_ERROR' });
  expect(t.log.lines.some((l) => l.level === 'error' && l.text.includes('class not allowed'))).toBe(true);
});

test('a voiceResult nobody waits for is logged and dropped', async () => {
  const t = await readyPage();
  t.server.say({ type: 'voiceResult', id: 99, ok: true, result: { $class: 'GenericResult', success: true } });
  await settle();
  expect(t.host.since()).toEqual([]);
  expect(t.log.lines.some((l) => l.text.includes('no pending call'))).toBe(true);
});
