/*
 * The base's classes built from the server's plain JSON descriptions
 * (cti-server/docs/protocol.md, "Class descriptions"): `{"$class": "PhoneCall", …fields}`,
 * nested classes with their own `$class`, a Date as `{"$date": "<ISO-8601>"}`, plain objects
 * (no `$class`) kept plain. Only the classes of ALLOWED_CLASSES are ever constructed, by name
 * from the base's own exports (the base checks every payload with `instanceof`, so the one
 * bundled copy must make them): no `eval`, no lookup on a prototype.
 */

/** The classes a description may name. */
export const ALLOWED_CLASSES = Object.freeze([
  'ActiveCallsResult', 'AgentConfigResult', 'AgentConfig', 'CapabilitiesResult', 'ParticipantResult',
  'PhoneContactsResult', 'CallResult', 'HangupResult', 'HoldToggleResult', 'InitResult', 'GenericResult',
  'MuteToggleResult', 'LogoutResult', 'CallInfo', 'PhoneCall', 'PhoneCallAttributes', 'Contact', 'Phone',
  'AgentStatusInfo', 'SuperviseCallResult', 'SupervisorHangupResult', 'SupervisedCallInfo', 'CustomError',
  // Results of methods the page forwards (getAgentStatus, pause/resumeRecording,
  // getSignedRecordingUrl): the base checks them with instanceof too.
  'AgentVendorStatusInfo', 'RecordingToggleResult', 'SignedRecordingUrlResult',
]);

const ALLOWED = new Set(ALLOWED_CLASSES);
// Deeper than any payload the base knows (a HangupResult's PhoneCall's CallInfo's Date is 4).
const MAX_DEPTH = 16;

/** A description the page refuses (a protocol error on the server's side). */
export class DescriptionError extends Error {
  constructor(message) { super(message); this.name = 'DescriptionError'; }
}

/**
 * Builds `description` with `classes` (the base's exports, by name).
 * @throws {DescriptionError} a class outside the allowlist, a bad date, a key `__proto__`, too
 *   deep; or the base's own validation error from a constructor (wrong field type)
 */
export function build(description, classes) {
  return value(description, classes, 0);
}

function value(v, classes, depth) {
  if (depth > MAX_DEPTH) { throw new DescriptionError('description nested too deep'); }
  if (Array.isArray(v)) { return v.map((x) => value(x, classes, depth + 1)); }
  if (v === null || typeof v !== 'object') { return v; }
  if (Object.prototype.hasOwnProperty.call(v, '$date')) {
    const d = new Date(v.$date);
    if (typeof v.$date !== 'string' || Number.isNaN(d.getTime())) { throw new DescriptionError(`not a date: ${JSON.stringify(v.$date)}`); }
    return d;
  }
  const fields = {};
  for (const key of Object.keys(v)) {
    if (key === '$class') { continue; }
    if (key === '__proto__') { throw new DescriptionError('key __proto__ refused'); }
    fields[key] = value(v[key], classes, depth + 1);
  }
  if (!Object.prototype.hasOwnProperty.call(v, '$class')) { return fields; }
  const name = v.$class;
  if (typeof name !== 'string' || !ALLOWED.has(name) || !Object.prototype.hasOwnProperty.call(classes, name)) {
    throw new DescriptionError(`class not allowed: ${JSON.stringify(name)}`);
  }
  return new classes[name](fields);
}

/** A plain JSON copy of what Salesforce passed (class instances become their fields, Dates ISO
 * strings); `undefined` becomes null. */
export function plain(v) {
  return v === undefined ? null : JSON.parse(JSON.stringify(v));
}
