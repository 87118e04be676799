// End-to-end test of the Portcullis customer portal in headless Chromium.
//
// Starts its own `portcullis serve` on a free port with a fresh SQLite database in a temp
// dir, creates an account (primary login) and a secondary login with the CLI, then walks the
// user story through the visible labels: sign in, My Profile, sessions, Create New Password,
// sign out. axe-core checks the sign-in, My Profile and Create New Password pages.
//
// Run: cd e2e && npm ci && node --test
// Env: PORTCULLIS_BIN (default ../target/debug/portcullis), KEEP_TMP=1 keeps the temp dir.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = require('axe-core').source;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const ARTIFACTS = path.join(HERE, 'artifacts');
const BIN = path.resolve(process.env.PORTCULLIS_BIN ?? path.join(REPO, 'target', 'debug', 'portcullis'));

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];

const PRODUCT = 'Customer Portal';
const INITIAL_PASSWORD = 'Initial#Pass1';
const NEW_PASSWORD = 'Changed#Pass2';
const JANE = { name: 'jane.doe', email: 'jane@acme.example', password: 'Jane#Secret7' };
const PRIMARY_EMAIL = 'it@acme.example';

const TEXT = {
  signInFailed: 'The login name or password is incorrect, or the login is temporarily locked. Check them and try again.',
  passwordChanged: 'Your password was changed and every session of your login has ended. Sign in again with your new password.',
  sessionEnded: 'Your session has ended. Please sign in again.',
  sessionRevoked: 'The session was revoked.',
  signedOut: 'You have signed out.',
  existingWrong: 'The existing password is not correct.',
  mismatch: 'The new password and its confirmation do not match.',
  tooShort: 'Use at least 8 characters.',
  primaryKind: 'Primary login (account administrator)',
  secondaryKind: 'Secondary login',
};

// ---------------------------------------------------------------------------------------------
// Shared state: one server, one browser, and the primary login's main browser context, which
// carries the story from test to test.

let tmp;
let baseUrl;
let server;
let serverExit;
let browser;
let primary; // the login name generated for the account, e.g. ABC1234
let primaryPassword = INITIAL_PASSWORD;
let mainPage; // the primary login's first browser (context A)
const browserErrors = [];

// ---------------------------------------------------------------------------------------------
// Helpers

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function portcullisEnv(port) {
  return {
    ...process.env,
    PORTCULLIS_DATABASE__URL: `sqlite://${tmp}/portal.db`,
    PORTCULLIS_HTTP__LISTEN: `127.0.0.1:${port}`,
    PORTCULLIS_HTTP__PUBLIC_URL: `http://127.0.0.1:${port}`,
  };
}

/** Runs a portcullis CLI command to completion, optionally writing `stdin`; returns stdout. */
async function cli(env, args, stdin) {
  const child = spawn(BIN, args, { cwd: tmp, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.end(stdin ?? '');
  const [code] = await once(child, 'exit');
  if (code !== 0) {
    throw new Error(`portcullis ${args.join(' ')} exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
  return stdout;
}

function jsonLine(stdout) {
  const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
  assert.ok(line, `expected a JSON line on stdout, got: ${stdout}`);
  return JSON.parse(line);
}

async function waitForHealthy(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (serverExit) throw new Error(`portcullis serve exited early (${serverExit}); see artifacts/server.log`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      lastError = new Error(`status ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${lastError}`);
}

/** Retries an assertion until it passes or `timeoutMs` runs out (for script-driven UI). */
async function eventually(check, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

/**
 * Declares a test whose body gets `open()` for new pages (each in a fresh browser context,
 * closed afterwards). On failure every page the test touched (and the shared main page) is
 * saved as artifacts/<test-name>[-N].png + .html before the error is rethrown.
 */
function story(name, body, { timeout = 30_000 } = {}) {
  test(name, { timeout }, async () => {
    const contexts = [];
    const pages = [];
    const open = async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      watch(page);
      pages.push(page);
      return page;
    };
    try {
      await body({ open, pages });
    } catch (error) {
      const all = [...pages];
      if (mainPage && !all.includes(mainPage)) all.unshift(mainPage);
      await saveFailure(slug(name), all);
      throw error;
    } finally {
      for (const context of contexts) await context.close().catch(() => {});
    }
  });
}

async function saveFailure(base, pages) {
  await mkdir(ARTIFACTS, { recursive: true });
  let n = 0;
  for (const page of pages) {
    if (page.isClosed()) continue;
    n += 1;
    const file = n === 1 ? base : `${base}-${n}`;
    try {
      await page.screenshot({ path: path.join(ARTIFACTS, `${file}.png`), fullPage: true, timeout: 5_000 });
      await writeFile(path.join(ARTIFACTS, `${file}.html`), `<!-- ${page.url()} -->\n${await page.content()}`);
      console.error(`# failure artifacts: e2e/artifacts/${file}.png, .html (${page.url()})`);
    } catch (error) {
      console.error(`# could not save failure artifacts for ${page.url()}: ${error.message}`);
    }
  }
}

/** Records console errors (CSP violations land here), uncaught exceptions, failed sub-resources. */
function watch(page) {
  page.setDefaultTimeout(10_000);
  page.on('console', (msg) => {
    // Documents answered 400/401 on purpose (failed sign-in, refused password) are logged by
    // Chromium as "Failed to load resource"; sub-resources are checked by status below.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      browserErrors.push(`console error on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'document' && response.status() >= 400) {
      browserErrors.push(`${response.status()} for ${response.request().resourceType()} ${response.url()} on ${page.url()}`);
    }
  });
  page.on('pageerror', (error) => browserErrors.push(`uncaught exception on ${page.url()}: ${error.message}`));
  page.on('requestfailed', (request) => {
    // ERR_ABORTED: the page navigated away before a sub-resource (e.g. the icon) finished.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    browserErrors.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
}

async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Runs axe-core in the page; fails on serious/critical violations, prints all of them. */
async function checkAccessibility(page, label) {
  // page.evaluate runs outside the page's CSP (script-src 'self'), which would block an
  // injected <script> tag.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const describe = (v) => `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes
    .map((node) => `      ${node.target.join(' ')}: ${node.failureSummary?.replace(/\n/g, ' ')}`).join('\n')}`;
  if (results.violations.length > 0) {
    console.log(`# axe on ${label} (${page.url()}):\n${results.violations.map(describe).join('\n')}`);
  }
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(blocking.map((v) => v.id), [],
    `serious/critical accessibility violations on ${label}:\n${blocking.map(describe).join('\n')}`);
}

function pathOf(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

async function textOf(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** Fills the sign-in form and submits it; returns the status of the POST /login response. */
async function submitSignIn(page, login, password) {
  await page.getByLabel('Login name', { exact: true }).fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const status = (await response).status();
  await page.waitForLoadState('load');
  return status;
}

async function signIn(page, login, password) {
  await page.goto(`${baseUrl}/login`);
  const status = await submitSignIn(page, login, password);
  assert.equal(status, 303, `sign-in of ${login} should redirect (303), got ${status}`);
  await page.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(page, login);
}

async function assertSignedInAs(page, login) {
  const nav = page.getByRole('navigation', { name: 'Account' });
  assert.equal(await textOf(nav.getByText('Signed in as')), `Signed in as ${login}`);
  assert.ok(await page.getByTestId('my-profile').isVisible(), 'header link My Profile is visible');
  assert.ok(await nav.getByRole('button', { name: 'Sign out', exact: true }).isVisible(), 'header button Sign out is visible');
}

async function assertNotice(page, text) {
  const notice = page.getByRole('status');
  assert.equal(await notice.count(), 1, `one role=status notice on ${page.url()}`);
  assert.equal(await textOf(notice), text);
}

async function errorTexts(page) {
  const box = page.getByTestId('errors');
  assert.equal(await box.getAttribute('role'), 'alert');
  const items = box.locator('li');
  if ((await items.count()) > 0) return (await items.allInnerTexts()).map((t) => t.trim());
  return [await textOf(box)];
}

async function sessionRows(page) {
  return page.getByTestId('sessions').locator('tbody tr');
}

async function openMyProfile(page) {
  await page.getByRole('link', { name: 'My Profile', exact: true }).click();
  await page.waitForURL(`${baseUrl}/profile`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'My Profile' }).isVisible());
}

/** Loads /profile in a browser that should have been signed out; expects the sign-in page. */
async function assertSignedOut(page, expectedNotice) {
  await page.goto(`${baseUrl}/profile`);
  assert.equal(new URL(page.url()).pathname, '/login', `/profile should redirect to /login, got ${page.url()}`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  if (expectedNotice) await assertNotice(page, expectedNotice);
}

async function ruleState(page, code) {
  const item = page.locator(`#policy-rules li[data-rule="${code}"]`);
  assert.equal(await item.count(), 1, `policy rule ${code} is listed`);
  return item.evaluate((li) => (li.classList.contains('met') ? 'met' : li.classList.contains('broken') ? 'broken' : 'unmet'));
}

async function assertRules(page, expected) {
  await eventually(async () => {
    const actual = {};
    for (const code of Object.keys(expected)) actual[code] = await ruleState(page, code);
    assert.deepEqual(actual, expected);
  });
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

before(async () => {
  if (!existsSync(BIN)) {
    throw new Error(`portcullis binary not found at ${BIN}: build it (cargo build) or set PORTCULLIS_BIN`);
  }
  await mkdir(ARTIFACTS, { recursive: true });
  for (const file of await readdir(ARTIFACTS)) {
    if (/\.(png|html|log)$/.test(file)) await rm(path.join(ARTIFACTS, file), { force: true });
  }
  tmp = await mkdtemp(path.join(os.tmpdir(), 'portcullis-e2e-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const env = portcullisEnv(port);

  const account = jsonLine(await cli(env,
    ['account', 'create', '--name', 'Acme Ltd', '--email', PRIMARY_EMAIL, '--password-stdin', '--json'],
    `${INITIAL_PASSWORD}\n`));
  primary = account.primary_login;
  assert.match(primary, /^[A-Z]{3}[0-9]{4}$/, `generated primary login name: ${primary}`);
  const secondary = jsonLine(await cli(env,
    ['login', 'create', '--account', primary, '--name', JANE.name, '--email', JANE.email,
      '--authorized-contact', '--password-stdin', '--json'],
    `${JANE.password}\n`));
  assert.equal(secondary.login, JANE.name);

  const log = createWriteStream(path.join(ARTIFACTS, 'server.log'));
  server = spawn(BIN, ['serve'], { cwd: tmp, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.pipe(log, { end: false });
  server.stderr.pipe(log, { end: false });
  server.on('exit', (code, signal) => { serverExit = signal ?? `code ${code}`; });
  await waitForHealthy(`${baseUrl}/healthz`);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  if (server && !serverExit) {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (tmp && !process.env.KEEP_TMP) await rm(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`# kept ${tmp}`);
});

// ---------------------------------------------------------------------------------------------
// The user story

story('1. sign in: a wrong password shows the generic error, the right one opens My Profile', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  mainPage = await context.newPage();
  watch(mainPage);
  const page = mainPage;

  await page.goto(`${baseUrl}/`);
  assert.equal(pathOf(page), '/login', '/ redirects to /login when signed out');
  assert.equal(await page.title(), `Sign in · ${PRODUCT}`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  assert.ok(await page.getByLabel('Login name', { exact: true }).isVisible());
  assert.ok(await page.getByLabel('Password', { exact: true }).isVisible());
  assert.equal(await page.getByRole('navigation', { name: 'Account' }).count(), 0, 'no account menu when signed out');
  await screenshot(page, 'sign-in');
  await checkAccessibility(page, 'sign-in page');

  const wrong = await submitSignIn(page, primary, 'Wrong#Pass9');
  assert.equal(wrong, 401);
  assert.equal(pathOf(page), '/login');
  assert.equal(await textOf(page.getByRole('alert')), TEXT.signInFailed);
  assert.equal(await page.getByLabel('Login name', { exact: true }).inputValue(), primary, 'login name kept');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'password not echoed back');
  await checkAccessibility(page, 'sign-in page with error');

  // An unknown login name gets exactly the same answer.
  assert.equal(await submitSignIn(page, 'NOB0000', 'Wrong#Pass9'), 401);
  assert.equal(await textOf(page.getByRole('alert')), TEXT.signInFailed);

  const status = await submitSignIn(page, primary, primaryPassword);
  assert.equal(status, 303);
  await page.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(page, primary);
});

story('2. My Profile shows the login and its sessions; revoking a session signs that browser out', async ({ open }) => {
  assert.ok(mainPage, 'test 1 signed in the main browser');
  const page = mainPage;
  await openMyProfile(page);
  assert.equal(await page.title(), `My Profile · ${PRODUCT}`);
  assert.equal(await textOf(page.getByTestId('login-name')), primary);
  assert.equal(await textOf(page.getByTestId('login-kind')), TEXT.primaryKind);
  assert.equal(await textOf(page.getByTestId('login-email')), PRIMARY_EMAIL);
  assert.ok(await page.getByRole('link', { name: 'Create New Password', exact: true }).isVisible());

  const table = page.getByRole('table', { name: 'Active sessions' });
  assert.equal(await table.count(), 1, 'sessions table named "Active sessions"');
  let rows = await sessionRows(page);
  assert.equal(await rows.count(), 1, 'one active session');
  assert.equal(await textOf(rows.first().locator('.badge')), 'This session');
  assert.equal(await rows.first().getByRole('button', { name: /^Revoke session/ }).count(), 1);
  assert.match(await textOf(rows.first()), /127\.0\.0\.1/);
  await screenshot(page, 'my-profile');
  await checkAccessibility(page, 'My Profile');

  // A second browser signs in as the same login.
  const second = await open();
  await signIn(second, primary, primaryPassword);

  await page.reload();
  rows = await sessionRows(page);
  assert.equal(await rows.count(), 2, 'the first browser now lists 2 sessions');
  assert.equal(await page.getByTestId('sessions').getByText('This session').count(), 1, 'exactly one row is this session');

  // Revoke the other one from the first browser.
  const other = rows.filter({ hasNot: page.getByText('This session') });
  assert.equal(await other.count(), 1);
  await other.getByRole('button', { name: /^Revoke session/ }).click();
  await page.waitForURL(`${baseUrl}/profile?notice=session-revoked`);
  await assertNotice(page, TEXT.sessionRevoked);
  rows = await sessionRows(page);
  assert.equal(await rows.count(), 1, 'one session left after revoking');
  assert.equal(await rows.first().getByText('This session').count(), 1, 'the remaining session is this one');

  await assertSignedOut(second, TEXT.sessionEnded);
});

story('3. Create New Password: live checklist, errors, then success signs out every session', async ({ open }) => {
  assert.ok(mainPage, 'test 1 signed in the main browser');
  const page = mainPage;

  // A second browser signed in as the same login, to be signed out by the change.
  const second = await open();
  await signIn(second, primary, primaryPassword);

  await openMyProfile(page);
  await page.getByRole('link', { name: 'Create New Password', exact: true }).click();
  await page.waitForURL(`${baseUrl}/profile/password`);
  assert.equal(await page.title(), `Create New Password · ${PRODUCT}`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Create New Password' }).isVisible());
  const existing = page.getByLabel('Enter existing password', { exact: true });
  const fresh = page.getByLabel('Enter new password', { exact: true });
  const confirm = page.getByLabel('Confirm new password', { exact: true });
  for (const field of [existing, fresh, confirm]) {
    assert.ok(await field.isVisible());
    assert.equal(await field.getAttribute('type'), 'password');
  }
  const codes = await page.locator('#policy-rules li[data-rule]').evaluateAll((items) => items.map((li) => li.dataset.rule));
  for (const code of ['too_short', 'missing_upper', 'missing_lower', 'missing_digit', 'missing_symbol', 'contains_login_name', 'in_history']) {
    assert.ok(codes.includes(code), `policy rule ${code} is listed (listed: ${codes.join(', ')})`);
  }
  await screenshot(page, 'create-new-password');
  await checkAccessibility(page, 'Create New Password');

  // The live checklist follows what is typed.
  await fresh.pressSequentially('abc');
  await assertRules(page, {
    too_short: 'unmet', missing_upper: 'unmet', missing_lower: 'met', missing_digit: 'unmet',
    missing_symbol: 'unmet', contains_login_name: 'met', in_history: 'unmet',
  });
  assert.match(await page.locator('#policy-rules li[data-rule="missing_lower"]').getAttribute('aria-label'), /: met$/);
  assert.match(await page.locator('#policy-rules li[data-rule="too_short"]').getAttribute('aria-label'), /: not yet met$/);
  await fresh.fill(`X1!${primary.toLowerCase()}`);
  await assertRules(page, {
    too_short: 'met', missing_upper: 'met', missing_lower: 'met', missing_digit: 'met',
    missing_symbol: 'met', contains_login_name: 'unmet',
  });
  await fresh.fill(NEW_PASSWORD);
  await assertRules(page, {
    too_short: 'met', missing_upper: 'met', missing_lower: 'met', missing_digit: 'met',
    missing_symbol: 'met', contains_login_name: 'met', in_history: 'unmet',
  });

  // Wrong existing password and a confirmation that does not match: both are reported.
  await existing.fill('Wrong#Pass9');
  await confirm.fill(`${NEW_PASSWORD}x`);
  let response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${baseUrl}/profile/password`);
  await page.getByRole('button', { name: 'Save and Exit', exact: true }).click();
  assert.equal((await response).status(), 400);
  await page.waitForLoadState('load');
  let errors = await errorTexts(page);
  assert.ok(errors.includes(TEXT.existingWrong), `errors include "${TEXT.existingWrong}": ${JSON.stringify(errors)}`);
  assert.ok(errors.includes(TEXT.mismatch), `errors include "${TEXT.mismatch}": ${JSON.stringify(errors)}`);
  await checkAccessibility(page, 'Create New Password with errors');

  // A weak new password is refused by the server with the rule's message.
  await existing.fill(primaryPassword);
  await fresh.fill('Ab1!');
  await confirm.fill('Ab1!');
  response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${baseUrl}/profile/password`);
  await page.getByRole('button', { name: 'Save and Exit', exact: true }).click();
  assert.equal((await response).status(), 400);
  await page.waitForLoadState('load');
  errors = await errorTexts(page);
  assert.deepEqual(errors, [TEXT.tooShort]);
  assert.equal(await ruleState(page, 'too_short'), 'broken', 'the broken rule is marked in the list');

  // The current password is in the history.
  await existing.fill(primaryPassword);
  await fresh.fill(primaryPassword);
  await confirm.fill(primaryPassword);
  response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${baseUrl}/profile/password`);
  await page.getByRole('button', { name: 'Save and Exit', exact: true }).click();
  assert.equal((await response).status(), 400);
  await page.waitForLoadState('load');
  errors = await errorTexts(page);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^Do not reuse/);
  assert.equal(await ruleState(page, 'in_history'), 'broken');

  // Now correctly.
  await existing.fill(primaryPassword);
  await fresh.fill(NEW_PASSWORD);
  await confirm.fill(NEW_PASSWORD);
  await eventually(async () => assert.equal(await textOf(page.locator('#confirm-status')), 'The passwords match.'));
  await page.getByRole('button', { name: 'Save and Exit', exact: true }).click();
  await page.waitForURL(`${baseUrl}/login?notice=password-changed`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  assert.equal(await page.getByTestId('notice').getAttribute('role'), 'status');
  await assertNotice(page, TEXT.passwordChanged);
  const old = primaryPassword;
  primaryPassword = NEW_PASSWORD;

  // The other browser was signed out too.
  await assertSignedOut(second, TEXT.sessionEnded);
  // And so was this one: its old cookie no longer opens My Profile.
  await page.goto(`${baseUrl}/profile`);
  assert.equal(new URL(page.url()).pathname, '/login');

  // The old password no longer works; the new one does.
  await page.goto(`${baseUrl}/login`);
  assert.equal(await submitSignIn(page, primary, old), 401);
  assert.equal(await textOf(page.getByRole('alert')), TEXT.signInFailed);
  assert.equal(await submitSignIn(page, primary, NEW_PASSWORD), 303);
  await page.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(page, primary);
  assert.equal(await (await sessionRows(page)).count(), 1, 'only the new session is active');
});

story('4. sign out ends the session', async () => {
  assert.ok(mainPage, 'test 1 signed in the main browser');
  const page = mainPage;
  await openMyProfile(page);
  await page.getByRole('navigation', { name: 'Account' }).getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(`${baseUrl}/login?notice=signed-out`);
  await assertNotice(page, TEXT.signedOut);
  assert.equal(await page.getByRole('navigation', { name: 'Account' }).count(), 0, 'no account menu after signing out');

  await page.goto(`${baseUrl}/profile`);
  assert.equal(new URL(page.url()).pathname, '/login', `/profile after sign-out redirects to /login (got ${page.url()})`);
  await page.goto(`${baseUrl}/`);
  assert.equal(pathOf(page), '/login');
});

story('5. a secondary login sees "Secondary login" on My Profile', async ({ open }) => {
  const page = await open();
  await signIn(page, JANE.name, JANE.password);
  await openMyProfile(page);
  assert.equal(await textOf(page.getByTestId('login-name')), JANE.name);
  assert.equal(await textOf(page.getByTestId('login-kind')), TEXT.secondaryKind);
  assert.equal(await textOf(page.getByTestId('login-email')), JANE.email);
  assert.equal(await (await sessionRows(page)).count(), 1);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(`${baseUrl}/login?notice=signed-out`);
  await assertNotice(page, TEXT.signedOut);
});

story('6. no console errors, uncaught exceptions or failed requests in any page', async () => {
  assert.deepEqual(browserErrors, []);
});
