/*
 * What the tests' Salesforce and cti-server say: the stand-in connectorConfig of scv.md §2.3
 * (the same as cti-server/web/standin-voice/host-scripts.js) and the class descriptions a
 * server sends (cti-server/docs/protocol.md).
 */

export const CONNECTOR_CONFIG = {
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
  userPresenceStatuses: '{"0N5000000000001":{"statusName":"Available","hasChannels":true,"isOffline":false,"statusId":"0N5000000000001"},"0N5000000000002":{"statusName":"Break - Lunch","hasChannels":false,"isOffline":false,"statusId":"0N5000000000002"},"0":{"statusName":"Offline","isOffline":true,"statusId":"0"}}',
};

/** What the page sends with login and attach. */
export const VOICE_IDENTITY = {
  organizationId: '00D000000000001',
  callCenter: 'NeotelContactCenter',
  userId: '005000000000001',
  userName: 'agent1@neotel.test',
};

export const AT = '2026-12-07T14:00:00.000Z';

/** A desk phone's call flags: Neotel cannot answer, mute, hold, record or swap. */
export function callInfo(extra = {}) {
  return {
    $class: 'CallInfo', isSoftphoneCall: false, acceptEnabled: false, declineEnabled: false,
    muteEnabled: false, holdEnabled: false, recordEnabled: false, swapEnabled: false,
    callStateTimestamp: { $date: AT }, ...extra,
  };
}

export function inboundCall(state = 'ringing', extra = {}) {
  return {
    $class: 'PhoneCall', callId: 'neotel-1159450', callType: 'Inbound', phoneNumber: '1144445555', state,
    contact: { $class: 'Contact', phoneNumber: '1144445555' },
    callAttributes: { participantType: 'Initial_Caller', voiceCallId: '0LQ000000000001' },
    callInfo: callInfo(), ...extra,
  };
}

export function outboundCall(state = 'ringing') {
  return {
    $class: 'PhoneCall', callId: 'neotel-1159451', callType: 'Outbound', phoneNumber: '5491144445555', state,
    contact: { $class: 'Contact', phoneNumber: '5491144445555' },
    callAttributes: { participantType: 'Initial_Caller' },
    callInfo: callInfo(),
  };
}

/** The consulted party of a transfer. */
export function thirdPartyCall(state = 'transferring') {
  return {
    $class: 'PhoneCall', callId: 'neotel-1159450-xfer', callType: 'AddParticipant', phoneNumber: '1140002000', state,
    contact: { $class: 'Contact', phoneNumber: '1140002000' },
    callAttributes: { participantType: 'Third_Party', voiceCallId: '0LQ000000000001' },
    callInfo: callInfo(),
  };
}

export const callResult = (call) => ({ $class: 'CallResult', call });
export const hangupResult = (calls) => ({ $class: 'HangupResult', calls });
export const participantResult = (extra = {}) => ({
  $class: 'ParticipantResult', initialCallHasEnded: false, callInfo: callInfo(), phoneNumber: '1140002000', callId: 'neotel-1159450-xfer', ...extra,
});

/** The server's refusal of what NeoApi cannot do. */
export const NOT_WITH_NEOTEL = { customError: { labelName: 'NotAvailableWithNeotel', namespace: 'neotel', message: 'Not available with Neotel' } };

export function voiceSetup({ activeCalls = [], capabilities = {} } = {}) {
  return {
    agentConfig: { $class: 'AgentConfigResult', phones: ['DESK_PHONE'], selectedPhone: { $class: 'Phone', type: 'DESK_PHONE', number: 'SIP/1001' } },
    capabilities: {
      $class: 'CapabilitiesResult', hasMute: false, hasRecord: false, hasMerge: true, hasSwap: false,
      hasSignedRecordingUrl: false, debugEnabled: true, hasContactSearch: false, hasAgentAvailability: false,
      hasQueueWaitTime: false, supportsMos: false, hasSupervisorListenIn: true, hasSupervisorBargeIn: false,
      hasBlindTransfer: true, hasTransferToOmniFlow: false, hasPendingStatusChange: false, hasPhoneBook: true,
      ...capabilities,
    },
    activeCalls,
  };
}
