/*
 * Everything the stand-in Salesforce Voice host says, in one place: the connectorConfig of its
 * handshake, how it words each host message, and the named sequences it drives. All of it is
 * written from the base's source and Salesforce's documentation (scv.md §2.2–§2.5), not from a
 * trace of a real org: when a real org's LOG stream says otherwise (what a `call` carries in
 * END_CALL, which agentStatus, whether AGENT_AVAILABLE follows CONNECTOR_READY…), correct it
 * here, and the stand-in and every browser test that uses it follow.
 *
 * `ctx` (given by host.js) is what the host knows at that moment:
 *   ctx.call(participantType)      the latest call still up with that participant type
 *                                  ('Initial_Caller' by default; undefined when none)
 *   ctx.lastCall(participantType)  the latest with that participant type, ended ones included
 *                                  (of any type when none is named)
 *   ctx.contacts()                 the contacts of the last PHONE_CONTACTS
 *   ctx.presence(name)             a status of the fixture's presence list, by name or id
 */
window.StandinVoiceScripts = (function () {
  'use strict';

  /** What `init` receives (scv.md §2.3): every value a string, as Salesforce sends them. */
  var connectorConfig = {
    '/reqGeneralInfo/reqInternalName': 'NeotelContactCenter',
    '/reqGeneralInfo/reqDisplayName': 'Neotel',
    '/reqGeneralInfo/reqVendorInfoApiName': 'neotel__NeotelVendor',
    '/reqHvcc/reqLongDistPrefix': '0',
    callCenterId: '04v000000000001',
    organizationId: '00D000000000001',
    scrtUrl: 'https://standin.my.salesforce-scrt.com',
    orgDomainName: 'standin',
    userName: 'agent1@neotel.test',
    userId: '005000000000001',
    userFullName: 'Agent One',
    isACWAllowed: 'true',
    callCenterType: 'SCVBYOT',
    phoneServiceChannelId: '0N9000000000001',
    phoneServiceChannelName: 'sfdc_phone',
    userPresenceStatuses: '{"0N5000000000001":{"statusName":"Available","hasChannels":true,"isOffline":false,"statusId":"0N5000000000001"},"0N5000000000002":{"statusName":"Break - Lunch","hasChannels":false,"isOffline":false,"statusId":"0N5000000000002"},"0":{"statusName":"Offline","isOffline":true,"statusId":"0"}}'
  };

  /** The Omni presence statuses of the fixture, offline last; the API name is inferred from
   * the label. */
  function presenceStatuses(config) {
    var map = {};
    try { map = JSON.parse(config.userPresenceStatuses || '{}'); } catch (e) { map = {}; }
    return Object.keys(map).map(function (id) {
      var s = map[id];
      return { statusId: s.statusId || id, statusName: s.statusName, statusApiName: String(s.statusName || '').replace(/\W+/g, '_'), isOffline: !!s.isOffline };
    }).sort(function (a, b) { return Number(a.isOffline) - Number(b.isOffline); });
  }

  /** A call as Salesforce holds it, for one of its participants. */
  function callOf(ctx, participantType) {
    var call = ctx.call(participantType);
    // Salesforce often sends only what it has (P5): a partial call naming the participant.
    return call || { callAttributes: { participantType: participantType } };
  }

  /** The fields of each host message (scv.md §2.2); `p` are the host's parameters. */
  var messages = {
    ACCEPT_CALL: function (ctx) { return { call: callOf(ctx, 'Initial_Caller') }; },
    DECLINE_CALL: function (ctx) { return { call: callOf(ctx, 'Initial_Caller') }; },
    // ✱ Which agentStatus Salesforce sends is unknown (scv.md §1.9b); §2.5 uses 'Online'.
    END_CALL: function (ctx, p) {
      var type = (p && p.participantType) || 'Initial_Caller';
      return { call: callOf(ctx, type), agentStatus: 'Online' };
    },
    MUTE: function () { return {}; },
    UNMUTE: function () { return {}; },
    HOLD: function (ctx) { return { call: callOf(ctx, 'Initial_Caller') }; },
    RESUME: function (ctx) { return { call: callOf(ctx, 'Initial_Caller') }; },
    SET_AGENT_STATUS: function (ctx, p) {
      var s = ctx.presence(p && p.status) || ctx.presence('Available');
      return {
        agentStatus: s.isOffline ? 'Offline' : 'Online',
        statusInfo: { statusId: s.statusId, statusApiName: s.statusApiName, statusName: s.statusName },
        enqueueNextState: false
      };
    },
    GET_AGENT_STATUS: function () { return {}; },
    DIAL: function (ctx, p) { return { contact: { phoneNumber: String((p && p.number) || '') } }; },
    SEND_DIGITS: function (ctx, p) { return { digits: String((p && p.digits) || '') }; },
    // ✱ The filter's shape is inferred (CONTACTS_FILTER_TYPES; the demo reads `contains`).
    GET_PHONE_CONTACTS: function (ctx, p) { return { filter: p && p.contains ? { contains: p.contains } : {} }; },
    SWAP_PARTICIPANTS: function (ctx) { return { callToHold: callOf(ctx, 'Initial_Caller'), callToResume: callOf(ctx, 'Third_Party') }; },
    CONFERENCE: function (ctx) { return { calls: [callOf(ctx, 'Initial_Caller'), callOf(ctx, 'Third_Party')] }; },
    ADD_PARTICIPANT: function (ctx, p) {
      var contact = (p && p.contact) || (p && p.number ? { phoneNumber: p.number, type: 'PhoneNumber' } : ctx.contacts()[0]);
      return { contact: contact, call: callOf(ctx, 'Initial_Caller'), isBlindTransfer: !!(p && p.blind) };
    },
    PAUSE_RECORDING: function (ctx) { return { call: callOf(ctx, 'Initial_Caller') }; },
    RESUME_RECORDING: function (ctx) { return { call: callOf(ctx, 'Initial_Caller') }; },
    LOGOUT: function () { return {}; },
    MESSAGE: function (ctx, p) { return { message: (p && p.message) || { kind: 'ping' } }; },
    // The customer's call, the one in after-call work.
    WRAP_UP_CALL: function (ctx) { return { call: ctx.lastCall('Initial_Caller') || callOf(ctx, 'Initial_Caller') }; },
    AGENT_AVAILABLE: function () { return { isAvailable: true }; },
    SET_AGENT_CONFIG: function (ctx, p) { return { config: { selectedPhone: { type: 'DESK_PHONE', number: (p && p.number) || '' } } }; },
    GET_SIGNED_RECORDING_URL: function (ctx) {
      var call = ctx.lastCall('Initial_Caller') || {};
      return { recordingUrl: 'https://standin.example/recording/1', vendorCallKey: call.callId, callId: (call.callAttributes || {}).voiceCallId };
    },
    DOWNLOAD_VENDOR_LOGS: function () { return {}; },
    LOG: function (ctx, p) { return { logLevel: 'INFO', logMessage: (p && p.text) || 'stand-in host', payload: {} }; },
    // A supervisor's Command Center names another agent's call (its vendor call key).
    SUPERVISE_CALL: function (ctx, p) { return { call: supervised(ctx, p) }; },
    SUPERVISOR_DISCONNECT: function (ctx, p) { return { call: supervised(ctx, p) }; },
    SUPERVISOR_BARGE_IN: function (ctx, p) { return { call: supervised(ctx, p) }; }
  };

  function supervised(ctx, p) {
    var call = ctx.lastCall('Initial_Caller') || {};
    return { callId: (p && p.callId) || call.callId, voiceCallId: (p && p.voiceCallId) || (call.callAttributes || {}).voiceCallId, callType: call.callType };
  }

  /** Host messages sent after every CONNECTOR_READY. ✱ Salesforce's real order is inferred
   * (scv.md §2.4.8): AGENT_AVAILABLE when the rep is online makes the base replay the calls, so
   * it is left to the 'refresh' sequence rather than sent on every start. */
  var afterReady = [];

  /*
   * Named sequences (scv.md §2.4). A step is one of:
   *   {send: TYPE, params: {…}}           a host message (fields from `messages`)
   *   {expect: EVENT_TYPE}                 wait for that telephony event (after the last step's)
   *   {expect: 'CONNECTOR_READY'}          wait for the connector to be ready again
   *   {reload: true}                       load the connector frame again (a new SETUP_CONNECTOR)
   * `params` may be a function of the run's parameters.
   */
  var sequences = {
    // §2.4.3: Neotel rings the SIP phone (the server publishes), the agent answers on it.
    'inbound answered': [{ expect: 'CALL_STARTED' }, { expect: 'CALL_CONNECTED' }],
    // §2.4.4
    'dial': [{ send: 'DIAL', params: function (p) { return { number: p.number }; } }, { expect: 'CALL_STARTED' }],
    // §2.4.5: one SEND_DIGITS per key.
    'send digits': [{ send: 'SEND_DIGITS', params: function (p) { return { digits: p.digits }; } }],
    // §2.4.6: the agent ends the call in Omni.
    'end call': [{ send: 'END_CALL', params: { participantType: 'Initial_Caller' } }, { expect: 'HANGUP' }],
    // §2.4.6: the customer hangs up (the server publishes), then §2.4.7 after-call work.
    'customer hangs up': [{ expect: 'HANGUP' }, { expect: 'AFTER_CALL_WORK_STARTED' }],
    // §2.4.7: the rep closes the VoiceCall tab and goes available.
    'agent goes available after ACW': [
      { send: 'WRAP_UP_CALL' },
      { send: 'SET_AGENT_STATUS', params: { status: 'Available' } },
      { expect: 'SET_AGENT_STATUS_RESULT' }
    ],
    // §2.4.9: a break chosen in Omni.
    'take a break': [{ send: 'SET_AGENT_STATUS', params: function (p) { return { status: p.status || 'Break - Lunch' }; } }, { expect: 'SET_AGENT_STATUS_RESULT' }],
    // §2.4.10
    'blind transfer': [
      { send: 'GET_PHONE_CONTACTS' }, { expect: 'PHONE_CONTACTS' },
      { send: 'ADD_PARTICIPANT', params: function (p) { return { blind: true, contact: p.contact, number: p.number }; } },
      { expect: 'PARTICIPANT_ADDED' }, { expect: 'HANGUP' }
    ],
    'attended transfer': [
      { send: 'GET_PHONE_CONTACTS' }, { expect: 'PHONE_CONTACTS' },
      { send: 'ADD_PARTICIPANT', params: function (p) { return { blind: false, contact: p.contact, number: p.number }; } },
      { expect: 'PARTICIPANT_ADDED' }
    ],
    // F-XFER "end of transfer": the agent hangs up the consulted party.
    'end of transfer': [{ send: 'END_CALL', params: { participantType: 'Third_Party' } }, { expect: 'PARTICIPANT_REMOVED' }],
    'conference': [{ send: 'CONFERENCE' }, { expect: 'HOLD_TOGGLE' }],
    // §2.4.8: the connector frame reloads; the rep is online.
    'refresh': [{ reload: true }, { expect: 'CONNECTOR_READY' }, { send: 'AGENT_AVAILABLE' }],
    // F-MONITOR
    'supervise': [{ send: 'SUPERVISE_CALL', params: function (p) { return { callId: p.callId, voiceCallId: p.voiceCallId }; } }, { expect: 'SUPERVISOR_CALL_STARTED' }],
    'supervisor disconnect': [{ send: 'SUPERVISOR_DISCONNECT', params: function (p) { return { callId: p.callId }; } }, { expect: 'SUPERVISOR_HANGUP' }],
    // §2.4.11
    'logout': [{ send: 'LOGOUT' }, { expect: 'LOGOUT_RESULT' }]
  };

  /*
   * The MESSAGE bridge (scv.md §4.6), when Neotel's Lightning components are on the page (not
   * ?lightning=off): the contact center names its bridge component (ConversationVendorInfo's
   * bridgeComponent, c:neotelBridge, which console.js places); Salesforce hands the payload of
   * every MESSAGE event the connector publishes to the bridge's `publishMessage`, and what the
   * bridge gives its `handleMessage` reaches the connector as the host message MESSAGE
   * {message}. The bridge relays on ServiceCloudVoiceMessageChannel__c to the other components
   * ({source: 'CONNECTOR', payload} one way, {source: 'NEOTEL', payload} the other).
   * ✱ Inferred: the connectorConfig key (the PTG's LMS page names it); that Salesforce delivers
   * both ways as soon as the connector has its port (before CONNECTOR_READY, before the agent's
   * login): a component's hello sent before then is dropped, and the server's `roll` on attach
   * asks again; that MESSAGE events published while no bridge is rendered are lost.
   */
  var bridge = {
    component: 'neotelBridge',
    connectorConfig: { messageBridgeComponentFqn: 'c:neotelBridge' },
    /** What the bridge's publishMessage gets from a MESSAGE event (its telephonyEventPayload). */
    toComponents: function (eventPayload) { return eventPayload; },
    /** The host message for what the bridge hands to handleMessage: [type, params for `messages`]. */
    toConnector: function (message) { return ['MESSAGE', { message: message }]; }
  };

  return {
    connectorConfig: connectorConfig,
    bridge: bridge,
    presenceStatuses: presenceStatuses,
    messages: messages,
    afterReady: afterReady,
    sequences: sequences
  };
})();
