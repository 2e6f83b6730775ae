/*
 * The one file that knows @salesforce/scv-connector-base 3.6.2: its classes and functions (the
 * "binding" the core is given) and `Scv362Adapter`, its `VendorConnector`, whose every method
 * maps onto the core's own names. The base stays unmodified (its terms allow only unmodified
 * use); its pitfalls are worked around in the core (docs: ../../README.md, "Layers").
 *
 * A 4.x base is a mechanical addition beside this file (`scv4.js`): a binding of the 4.x exports
 * (the same class names plus its new ones, its event types) and two classes instead of one,
 * `Scv4Adapter extends VendorConnector` (init, getTelephonyConnector, setAgentStatus,
 * getAgentStatus, logout, handleMessage, getSharedCapabilities…) and
 * `Scv4TelephonyAdapter extends TelephonyConnector` (dial(contact, dialOptions), mute(call),
 * getVoiceCapabilities…), each method one line onto the same core; page.js picks the
 * adapter. Nothing in the core changes.
 */
import scv from '@salesforce/scv-connector-base';
import { ALLOWED_CLASSES } from '../describe.js';

/**
 * The event types 3.6.2's `publishEvent` knows (its switch), less those Salesforce keeps for
 * itself (GET_AGENT_STATUS, STATE_CHANGE: "SALESFORCE INTERNAL USE ONLY") and the MOS one the
 * connector never sends (UPDATE_AUDIO_STATS). Anything else (a typo, `undefined`, a 4.x name)
 * would reach the base's `case undefined` (pitfall P1) or vanish silently.
 */
const EVENT_TYPES = [
  'LOGIN_RESULT', 'LOGOUT_RESULT', 'CALL_STARTED', 'QUEUED_CALL_STARTED', 'CALL_CONNECTED', 'HANGUP',
  'PARTICIPANT_ADDED', 'PARTICIPANT_CONNECTED', 'PARTICIPANT_REMOVED', 'MESSAGE', 'AFTER_CALL_WORK_STARTED',
  'WRAP_UP_ENDED', 'MUTE_TOGGLE', 'HOLD_TOGGLE', 'RECORDING_TOGGLE', 'PARTICIPANTS_SWAPPED',
  'PARTICIPANTS_CONFERENCED', 'SUPERVISOR_BARGED_IN', 'CALL_BARGED_IN', 'SUPERVISOR_CALL_STARTED',
  'SUPERVISOR_CALL_CONNECTED', 'SUPERVISOR_HANGUP', 'SET_AGENT_STATUS',
];

/** The event types 3.6.2's `publishError` maps to an error code (others only reach the console). */
const ERROR_EVENT_TYPES = [
  'LOGIN_RESULT', 'LOGOUT_RESULT', 'CALL_STARTED', 'QUEUED_CALL_STARTED', 'CALL_CONNECTED', 'HANGUP',
  'PARTICIPANT_ADDED', 'PARTICIPANT_CONNECTED', 'PARTICIPANT_REMOVED', 'MUTE_TOGGLE', 'HOLD_TOGGLE',
  'RECORDING_TOGGLE', 'PARTICIPANTS_SWAPPED', 'PARTICIPANTS_CONFERENCED', 'AGENT_ERROR', 'SOFTPHONE_ERROR',
];

/** What the core needs of the base, 3.6.2's. */
export const scv362 = Object.freeze({
  version: '3.6.2',
  classes: Object.freeze(Object.fromEntries(ALLOWED_CLASSES.map((name) => [name, scv[name]]))),
  eventTypes: new Set(EVENT_TYPES),
  errorEventTypes: new Set(ERROR_EVENT_TYPES),
  publishEvent: (event) => scv.publishEvent(event),
  publishError: (event) => scv.publishError(event),
  initializeConnector: (connector) => scv.initializeConnector(connector),
});

/** 3.6.2's VendorConnector: each method is the core's, under 3.6.2's name and arguments. */
export class Scv362Adapter extends scv.VendorConnector {
  /** @param {import('../core.js').NeotelConnectorCore} core */
  constructor(core) {
    super();
    this.core = core;
  }

  // Answered by the page itself.
  async init(connectorConfig) { return new scv.InitResult(await this.core.start(connectorConfig)); }
  async getAgentConfig() { return this.core.agentConfig(); }
  async getCapabilities() { return this.core.capabilities(); }
  async getActiveCalls() { return new scv.ActiveCallsResult({ activeCalls: this.core.activeCalls() }); }
  downloadLogs(logs) { this.core.downloadLogs(logs); }
  logMessageToVendor(logLevel, message, payload) { this.core.vendorLog(logLevel, message, payload); }

  // Forwarded to cti-server: `args` by the names of 3.6.2's signatures.
  acceptCall(call) { return this.core.request('acceptCall', { call }); }
  declineCall(call) { return this.core.request('declineCall', { call }); }
  endCall(call, agentStatus) { return this.core.request('endCall', { call, agentStatus }); }
  mute() { return this.core.request('mute', {}); }
  unmute() { return this.core.request('unmute', {}); }
  hold(call) { return this.core.request('hold', { call }); }
  resume(call) { return this.core.request('resume', { call }); }
  setAgentStatus(agentStatus, statusInfo, enqueueNextState) { return this.core.request('setAgentStatus', { agentStatus, statusInfo, enqueueNextState }); }
  getAgentStatus() { return this.core.request('getAgentStatus', {}); }
  dial(contact) { return this.core.request('dial', { contact }); }
  sendDigits(digits) { return this.core.request('sendDigits', { digits }); }
  // 3.6.2 declares getPhoneContacts() but passes the host's `filter`.
  getPhoneContacts(filter) { return this.core.request('getPhoneContacts', { filter }); }
  swap(call1, call2) { return this.core.request('swap', { call1, call2 }); }
  conference(calls) { return this.core.request('conference', { calls }); }
  addParticipant(contact, call, isBlindTransfer) { return this.core.request('addParticipant', { contact, call, isBlindTransfer }); }
  pauseRecording(call) { return this.core.request('pauseRecording', { call }); }
  resumeRecording(call) { return this.core.request('resumeRecording', { call }); }
  setAgentConfig(config) { return this.core.request('setAgentConfig', { config }); }
  logout() { return this.core.request('logout', {}); }
  handleMessage(message) { this.core.notify('handleMessage', { message }); }
  wrapUpCall(call) { this.core.notify('wrapUpCall', { call }); }
  getSignedRecordingUrl(recordingUrl, vendorCallKey, callId) { return this.core.request('getSignedRecordingUrl', { recordingUrl, vendorCallKey, callId }); }
  superviseCall(supervisedCallInfo) { return this.core.request('superviseCall', { supervisedCallInfo }); }
  supervisorDisconnect(supervisedCallInfo) { return this.core.request('supervisorDisconnect', { supervisedCallInfo }); }
  supervisorBargeIn(supervisedCallInfo) { return this.core.request('supervisorBargeIn', { supervisedCallInfo }); }
}
