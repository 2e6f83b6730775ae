/*
 * A development helper: walks the stand-in host and the bundled connector page in Debian's
 * headless Chromium (through its DevTools protocol), against dev/standin-server.mjs, checks
 * what the host received, and takes the README's screenshot. The project's browser tests (Rust,
 * chromedriver) do the same against the real cti-server; this is for working on the JS alone.
 *
 *   node dev/check-standin.mjs [--screenshots ../docs/screenshots]
 *
 * With --screenshots: voice-standin-login.png (SHOW_LOGIN, the login form in the connector's
 * frame) and voice-standin.png (a call's life in the event log). With --axe PATH (axe.min.js,
 * e.g. target/npm/node_modules/axe-core/axe.min.js from scripts/install-test-deps): the
 * connector's login form, with an error shown, and the stand-in host are checked by axe-core
 * (WCAG 2 A/AA).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const port = 18443;
const axePath = process.argv.includes('--axe') ? path.resolve(process.argv[process.argv.indexOf('--axe') + 1]) : null;
const shots = process.argv.includes('--screenshots') ? path.resolve(process.argv[process.argv.indexOf('--screenshots') + 1]) : null;
const host = `https://standin.lightning.force.com:${port}/standin-voice/?connector=https://localhost:${port}/scv/`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = [];
/** Ends what this script started (by its own handles) and waits for them to exit. */
async function stop() {
  await Promise.all(children.map((c) => new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
    c.once('exit', resolve);
    c.kill('SIGTERM');
  })));
}

// The fake server, then Chromium.
const server = spawn(process.execPath, [path.join(here, 'standin-server.mjs'), '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
children.push(server);
await new Promise((resolve) => server.stdout.once('data', resolve));

const profile = mkdtempSync(path.join(tmpdir(), 'standin-chromium-'));
const chromium = spawn('/usr/bin/chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
  '--host-resolver-rules=MAP standin.lightning.force.com 127.0.0.1', '--ignore-certificate-errors',
  // One renderer for both origins, so DevTools reaches the connector frame's context directly.
  '--disable-site-isolation-trials', '--window-size=1500,1000', '--remote-debugging-port=0', 'about:blank',
], { stdio: 'ignore' });
children.push(chromium);

const portFile = path.join(profile, 'DevToolsActivePort');
for (let i = 0; i < 100 && !existsSync(portFile); i++) { await sleep(100); }
const devtools = readFileSync(portFile, 'utf8').split('\n')[0];
const targets = await (await fetch(`http://127.0.0.1:${devtools}/json/list`)).json();
const ws = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
await new Promise((r) => ws.once('open', r));

let lastId = 0;
const pending = new Map();
const contexts = new Map(); // origin → execution context id
ws.on('message', (data) => {
  const m = JSON.parse(String(data));
  if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
  if (m.method === 'Runtime.executionContextCreated') { contexts.set(m.params.context.origin, m.params.context.id); }
  // The pages' own errors (a CSP refusal, an exception); the base's expected "SCV dispatched
  // error …" lines are its way of reporting the refusals this walk provokes.
  if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error') { problems.push(`${m.params.entry.text} ${m.params.entry.url || ''}`.trim()); }
  if (m.method === 'Runtime.exceptionThrown') { problems.push(m.params.exceptionDetails.exception ? m.params.exceptionDetails.exception.description : m.params.exceptionDetails.text); }
  if (m.method === 'Runtime.consoleAPICalled' && m.params.type === 'error') {
    const text = m.params.args.map((a) => a.value ?? a.description ?? '').join(' ');
    if (!text.startsWith('SCV dispatched')) { problems.push(text); }
  }
});
const problems = [];
function cdp(method, params = {}) {
  const id = ++lastId;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((resolve, reject) => pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result))));
}
async function evaluate(expression, origin) {
  const params = { expression, awaitPromise: true, returnByValue: true };
  if (origin) { params.contextId = contexts.get(origin); }
  const r = await cdp('Runtime.evaluate', params);
  if (r.exceptionDetails) { throw new Error(`${expression}: ${r.exceptionDetails.exception ? r.exceptionDetails.exception.description : r.exceptionDetails.text}`); }
  return r.result.value;
}
async function screenshot(name) {
  if (!shots) { return; }
  const shot = await cdp('Page.captureScreenshot', { format: 'png' });
  writeFileSync(path.join(shots, name), Buffer.from(shot.data, 'base64'));
  console.log(`screenshot: ${path.join(shots, name)}`);
}
async function until(expression, what) {
  for (let i = 0; i < 100; i++) {
    if (await evaluate(expression).catch(() => false)) { return; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
function neotel(pathname) {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: pathname, method: 'POST', rejectUnauthorized: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
  });
}

const checks = [];
function check(name, actual, expected) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  checks.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `\n     expected ${JSON.stringify(expected)}\n     got      ${JSON.stringify(actual)}`}`);
}
const types = (from) => evaluate(`standin.since(${from})`);

try {
  await cdp('Runtime.enable');
  await cdp('Log.enable');
  await cdp('Page.enable');
  await cdp('Page.navigate', { url: host });
  const connector = `https://localhost:${port}`;

  // 1. No session yet: SHOW_LOGIN, the agent logs in in the connector's frame.
  await until(`window.standin && standin.events().some(e => e.telephonyEventType === 'SHOW_LOGIN')`, 'SHOW_LOGIN');
  for (let i = 0; i < 50 && !contexts.has(connector); i++) { await sleep(100); }
  await until(`document.querySelector('#run-state') !== null`, 'the host page');
  await sleep(300); // the catalog's words
  await screenshot('voice-standin-login.png');
  if (axePath) {
    // The form as the agent sees it after a refused login too.
    await evaluate(`document.getElementById('error').textContent = 'Usuario o contraseña incorrectos.'; document.getElementById('error').hidden = false; true`, connector);
    await evaluate(readFileSync(axePath, 'utf8'), connector);
    const violations = await evaluate(`axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}).then(r => r.violations.map(v => v.id + ': ' + v.nodes.length))`, connector);
    check('axe-core on the login form', violations, []);
    await evaluate(readFileSync(axePath, 'utf8'));
    check('axe-core on the stand-in host', await evaluate(`axe.run(document, {runOnly: ['wcag2a', 'wcag2aa'], exclude: [['iframe']]}).then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))`), []);
    await evaluate(`document.getElementById('error').hidden = true; true`, connector);
  }
  await evaluate(`document.getElementById('device').value = 'SIP/1001'; document.getElementById('user').value = '1001';
    document.getElementById('password').value = '1001'; document.getElementById('login').requestSubmit(); true`, connector);
  await until(`!!standin.ready()`, 'CONNECTOR_READY');
  check('handshake', await types(0), ['SHOW_LOGIN', 'LOGIN_RESULT', 'CONNECTOR_READY']);
  check('one SETUP_CONNECTOR', await evaluate(`standin.sent.filter(m => m.type === 'SETUP_CONNECTOR').length`), 1);
  check('desk phone', await evaluate(`standin.ready().payload.agentConfig`), { PHONES: ['DESK_PHONE'], SELECTED_PHONE: { type: 'DESK_PHONE', number: 'SIP/1001' } });

  // 2. Neotel rings the agent; the SIP phone answers.
  let from = await evaluate('standin.mark()');
  await neotel('/dev/inbound');
  await evaluate(`standin.run('inbound answered', {since: ${from}}).then(() => true)`);
  check('inbound answered', await types(from), ['CALL_STARTED', 'CALL_CONNECTED']);

  // 3. DTMF, an attended transfer, its end, a refused MUTE, the end of the call, after-call work.
  from = await evaluate('standin.mark()');
  await evaluate(`standin.act('SEND_DIGITS', {digits: '5'}); true`);
  await evaluate(`standin.run('attended transfer', {contact: {id: 'phone-2', type: 'PhoneBook', name: 'Cobranzas', phoneNumber: '1140002000'}}).then(() => true)`);
  await evaluate(`standin.waitFor('PARTICIPANT_CONNECTED', ${from}).then(() => true)`);
  await evaluate(`standin.run('end of transfer').then(() => true)`);
  await evaluate(`standin.act('MUTE'); standin.waitFor('ERROR', ${from}).then(() => true)`);
  const before = await evaluate('standin.mark()');
  await evaluate(`standin.run('end call').then(() => standin.waitFor('AFTER_CALL_WORK_STARTED', ${before})).then(() => true)`);
  await evaluate(`standin.run('agent goes available after ACW').then(() => true)`);
  check('a call\'s life', await types(from), ['PHONE_CONTACTS', 'PARTICIPANT_ADDED', 'PARTICIPANT_CONNECTED', 'PARTICIPANT_REMOVED', 'ERROR',
    'HANGUP', 'AFTER_CALL_WORK_STARTED', 'SET_AGENT_STATUS_RESULT']);
  check('MUTE refused in words', await evaluate(`standin.events().filter(e => e.telephonyEventType === 'ERROR').pop().telephonyEventPayload`),
    { customError: { labelName: 'NotAvailableWithNeotel', namespace: 'neotel', message: 'Not available with Neotel' } });

  // 4. A DIAL with no digits, refused with a label.
  from = await evaluate('standin.mark()');
  await evaluate(`standin.act('DIAL', {number: 'abc'}); standin.waitFor('ERROR', ${from}).then(() => true)`);
  check('DIAL refused', await types(from), ['CALL_FAILED', 'ERROR']);

  await evaluate(`document.getElementById('log').lastElementChild.scrollIntoView(); true`);
  await screenshot('voice-standin.png');

  // 5. Salesforce refreshes the frame: the stored session, CONNECTOR_READY at once, no login.
  from = await evaluate('standin.mark()');
  await evaluate(`standin.run('refresh').then(() => true)`);
  check('refresh', await types(from), ['CONNECTOR_READY']);
  check('two loads', await evaluate('standin.loads()'), 2);

  // 6. Logout.
  from = await evaluate('standin.mark()');
  await evaluate(`standin.run('logout').then(() => true)`);
  check('logout', await types(from), ['LOGOUT_RESULT']);
  check('no page errors', problems, []);
} catch (e) {
  console.error(e);
  checks.push(false);
}
ws.close();
await stop();
rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
const failed = checks.filter((c) => !c).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
