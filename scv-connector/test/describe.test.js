/*
 * The class builder (src/describe.js) with the real base's classes: what it makes, and what it
 * refuses.
 */
import { expect, test } from '@jest/globals';
import scv from '@salesforce/scv-connector-base';
import { scv362 } from '../src/adapters/scv362.js';
import { ALLOWED_CLASSES, DescriptionError, build, plain } from '../src/describe.js';
import { AT, callResult, inboundCall } from './fixtures.js';

const make = (d) => build(d, scv362.classes);

test('every allowed class is one of 3.6.2\'s exports', () => {
  for (const name of ALLOWED_CLASSES) { expect(typeof scv362.classes[name]).toBe('function'); }
  expect(scv362.classes.PhoneCall).toBe(scv.PhoneCall);
});

test('the protocol\'s example: a CallResult with its PhoneCall, Contact, CallInfo and Date, instances of the base\'s classes', () => {
  const r = make(callResult(inboundCall('ringing')));
  expect(r).toBeInstanceOf(scv.CallResult);
  expect(r.call).toBeInstanceOf(scv.PhoneCall);
  expect(r.call.contact).toBeInstanceOf(scv.Contact);
  expect(r.call.callInfo).toBeInstanceOf(scv.CallInfo);
  expect(r.call.callInfo.callStateTimestamp).toBeInstanceOf(Date);
  expect(r.call.callInfo.callStateTimestamp.toISOString()).toBe(AT);
  // Plain objects stay plain.
  expect(Object.getPrototypeOf(r.call.callAttributes)).toBe(Object.prototype);
  expect(r.call.callAttributes).toEqual({ participantType: 'Initial_Caller', voiceCallId: '0LQ000000000001' });
});

test('arrays, nulls and plain values pass through', () => {
  expect(make([{ $class: 'Phone', type: 'DESK_PHONE' }, null, 3, 'x', { a: [true] }])).toEqual([expect.any(scv.Phone), null, 3, 'x', { a: [true] }]);
  expect(make(null)).toBeNull();
});

test.each([
  ['a class outside the allowlist', { $class: 'VendorConnector' }],
  ['an export of the base that is not allowed', { $class: 'StateChangeResult' }],
  ['a name on Object.prototype', { $class: 'constructor' }],
  ['a name on Object.prototype (toString)', { $class: 'toString' }],
  ['__proto__ as a class', { $class: '__proto__' }],
  ['a class that is not a string', { $class: ['PhoneCall'] }],
  ['a nested forbidden class', { $class: 'CallResult', call: { $class: 'Function' } }],
  ['a forbidden class in an array', [{ $class: 'Phone', type: 'DESK_PHONE' }, { $class: 'eval' }]],
])('refused: %s', (_, description) => {
  expect(() => make(description)).toThrow(DescriptionError);
  expect(() => make(description)).toThrow(/class not allowed/);
});

test('refused: a __proto__ key (no prototype pollution), a bad date, nesting deeper than any payload', () => {
  expect(() => make(JSON.parse('{"__proto__": {"polluted": true}}'))).toThrow(/__proto__/);
  expect({}.polluted).toBeUndefined();
  expect(() => make({ $date: 'yesterday' })).toThrow(/not a date/);
  expect(() => make({ $date: 12 })).toThrow(/not a date/);
  let deep = {};
  for (let i = 0; i < 40; i++) { deep = { a: deep }; }
  expect(() => make(deep)).toThrow(/too deep/);
});

test('the base\'s own validation still applies (a wrong field type throws)', () => {
  expect(() => make({ $class: 'CallInfo', isSoftphoneCall: 'no' })).toThrow(/Expecting a boolean/);
  expect(() => make({ $class: 'Phone', type: 'CAR_PHONE' })).toThrow(/Expecting a value from/);
});

test('plain(): what Salesforce passed, as JSON (undefined is null, Dates ISO strings, instances their fields)', () => {
  expect(plain(undefined)).toBeNull();
  expect(plain({ at: new Date(AT), c: new scv.Contact({ phoneNumber: '1' }), u: undefined })).toEqual({ at: AT, c: { phoneNumber: '1', availability: null } });
});
