/*
 * What the page does when the server stays silent, with jest's fake timers (no test waits for
 * real seconds): a method's answer that never comes, a server that never answers the start, the
 * reconnect's back-off.
 */
import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { startPage } from './harness.js';
import { voiceSetup } from './fixtures.js';
import { RESULT_TIMEOUT_MS, START_TIMEOUT_MS } from '../src/core.js';

beforeEach(() => { jest.useFakeTimers(); });
afterEach(() => { jest.useRealTimers(); });

/** Runs what is due now (tasks and their microtasks), a few rounds; `ms` moves the clock on
 * too (a 0 ms timer set inside a timer's callback is clamped to 1 ms by the fake clock). */
async function flush(ms = 0) {
  for (let i = 0; i < 10; i++) { await jest.advanceTimersByTimeAsync(ms); }
}

async function readyWithFakeTimers() {
  const t = startPage({ token: 'token-1' });
  t.setup();
  t.server.accept();
  t.server.say({ type: 'session', token: 'token-2', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'voiceSetup', ...voiceSetup() });
  await flush();
  expect(t.host.ready()).toBeDefined();
  t.host.mark();
  return t;
}

test('a voiceResult that never comes: the method is refused (GENERIC_ERROR) after 10 s, not before', async () => {
  const t = await readyWithFakeTimers();
  t.host.send('DIAL', { contact: { phoneNumber: '1144445555' } });
  await flush();
  expect(t.server.calls('dial')).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(RESULT_TIMEOUT_MS - 1);
  expect(t.host.since()).toEqual([]);
  await jest.advanceTimersByTimeAsync(1);
  await flush();
  expect(t.host.sinceTypes()).toEqual(['CALL_FAILED', 'ERROR']);
  expect(t.host.event('ERROR').payload).toEqual({ message: 'GENERIC_ERROR' });
  expect(t.log.lines.some((l) => l.text.includes('no answer to dial'))).toBe(true);
  // A late answer is dropped.
  t.server.say({ type: 'voiceResult', id: t.server.calls('dial')[0].id, ok: true, result: null });
  await flush();
  expect(t.host.sinceTypes()).toEqual(['CALL_FAILED', 'ERROR']);
});

test('a server that never answers the start: after 10 s Salesforce gets SHOW_LOGIN, the form says why', async () => {
  const t = startPage({ token: 'token-1' });
  t.setup();
  // The socket never opens.
  await jest.advanceTimersByTimeAsync(START_TIMEOUT_MS - 1);
  expect(t.host.event('SHOW_LOGIN')).toBeUndefined();
  await jest.advanceTimersByTimeAsync(1);
  await flush(1);
  expect(t.host.event('SHOW_LOGIN').payload).toEqual({ loginFrameHeight: 350 });
  await t.form.ready;
  expect(t.el('status').textContent).toBe('Conectando…');
  // Then the server comes: the stored session is attached, Salesforce gets LOGIN_RESULT.
  t.server.accept();
  t.server.say({ type: 'session', token: 'token-2', user: '1001', expiresAt: '2026-12-07T20:00:00Z', leader: true });
  t.server.say({ type: 'voiceSetup', ...voiceSetup() });
  await flush(1);
  expect(t.host.event('LOGIN_RESULT').payload).toEqual({ success: true });
  expect(t.host.ready()).toBeDefined();
});

test('reconnect backs off: 0.5 s, 1 s, 2 s … up to 10 s', async () => {
  const t = await readyWithFakeTimers();
  const delays = [500, 1000, 2000, 4000, 8000, 10000, 10000];
  for (const delay of delays) {
    const before = t.server.sockets.length;
    t.server.drop();
    await jest.advanceTimersByTimeAsync(delay - 1);
    expect(t.server.sockets.length).toBe(before);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.server.sockets.length).toBe(before + 1);
  }
  // Once open, the back-off starts again from 0.5 s.
  t.server.accept();
  expect(t.server.sent('attach').at(-1)).toMatchObject({ token: 'token-2', surface: 'voice' });
  const before = t.server.sockets.length;
  t.server.drop();
  await jest.advanceTimersByTimeAsync(500);
  expect(t.server.sockets.length).toBe(before + 1);
});
