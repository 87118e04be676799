// Shared machinery of the Portcullis end-to-end tests: one `portcullis serve` per test file
// (its own port, temp dir and SQLite database), one headless Chromium, the `story` test
// wrapper that saves screenshots on failure and fails a test whose pages logged errors,
// axe-core, and page helpers that work through the visible labels.
//
// Each test file runs in its own process (node --test), so the live bindings below (baseUrl,
// browser, tmp, cli) belong to that file alone. Test files run in parallel: each one removes
// only its own artifacts and writes its own server log. Every test sets up what it needs (its
// own account and logins, through the CLI or the pages) and opens its own browsers, so any
// test runs alone (`--test-name-pattern`) and no test depends on another's outcome.

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
export const ARTIFACTS = path.join(HERE, 'artifacts');
export const BIN = path.resolve(process.env.PORTCULLIS_BIN ?? path.join(REPO, 'target', 'debug', 'portcullis'));

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];
const VIEWPORT = { width: 1280, height: 800 };

export const PRODUCT = 'Customer Portal';

export const TEXT = {
  signInFailed: 'The login name or password is incorrect, or the login is temporarily locked. Check them and try again.',
  passwordChanged: 'Your password was changed and every session of your login has ended. Sign in again with your new password.',
  sessionEnded: 'Your session has ended. Please sign in again.',
  existingWrong: 'The existing password is not correct.',
};

// ---------------------------------------------------------------------------------------------
// Shared state (live bindings, read-only to importers)

export let tmp;
export let baseUrl;
export let browser;
/** The `portcullis` CLI against the test file's database (see cliFor). */
export let cli;
let server;
let serverExit;
const storySlugs = new Set();

// ---------------------------------------------------------------------------------------------
// Server, CLI, setup and teardown

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

/** Runs a command to completion, optionally writing `stdin`; returns stdout, throws on failure. */
export async function run(command, args, { stdin, env, cwd } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.on('error', () => {}); // the command may exit without reading its input
  child.stdin.end(stdin ?? '');
  const [code, signal] = await once(child, 'exit');
  if (code !== 0) {
    const name = command === BIN ? 'portcullis' : path.basename(command);
    throw new Error(`${name} ${args.join(' ')} exited with ${signal ?? code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
  return stdout;
}

/** Creates a secondary login with the CLI (`password` optional: none yet without it). */
export async function createSecondary(cli, primary, { name, email, phone, password, authorizedContact = true }) {
  const args = ['login', 'create', '--account', primary, '--name', name, '--email', email, '--json'];
  if (phone) args.push('--phone', phone);
  if (authorizedContact) args.push('--authorized-contact');
  if (password) args.push('--password-stdin');
  const created = await cli.json(args, password ? `${password}\n` : undefined);
  assert.equal(created.login, name);
}

function jsonLine(stdout) {
  const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
  assert.ok(line, `expected a JSON line on stdout, got: ${stdout}`);
  return JSON.parse(line);
}

/**
 * The `portcullis` CLI against the test file's database: `cli.run(args, stdin)` returns
 * stdout, `cli.json(args, stdin)` the JSON line a `--json` command prints.
 */
function cliFor(env) {
  const runCli = (args, stdin) => run(BIN, args, { stdin, env, cwd: tmp });
  return { run: runCli, json: async (args, stdin) => jsonLine(await runCli(args, stdin)) };
}

/** Creates an account with the CLI; returns its generated primary login name, e.g. ABC1234. */
export async function createAccount(cli, { name = 'Acme Ltd', email, password }) {
  const account = await cli.json(
    ['account', 'create', '--name', name, '--email', email, '--password-stdin', '--json'], `${password}\n`);
  const primary = account.primary_login;
  assert.match(primary, /^[A-Z]{3}[0-9]{4}$/, `generated primary login name: ${primary}`);
  return primary;
}

async function waitForHealthy(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (serverExit) throw new Error(`portcullis serve exited early (${serverExit}); see the server log in artifacts/`);
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

/**
 * Registers the test file's before/after hooks: removes the file's own old artifacts (`ownFiles`
 * plus the failure artifacts of its stories), creates the temp dir, runs `prepare(cli)` (what
 * every test of the file shares and none changes, e.g. a staff member or gpg keys), starts `portcullis serve` with its output in artifacts/`serverLog`, and
 * launches Chromium. `serverEnv` adds settings (PORTCULLIS_SECTION__KEY variables) for the
 * server only. `cleanup()` runs at the end, before the temp dir is removed.
 */
export function usePortal({ serverLog, ownFiles = [], serverEnv = {}, prepare, cleanup }) {
  before(async () => {
    if (!existsSync(BIN)) {
      throw new Error(`portcullis binary not found at ${BIN}: build it (cargo build) or set PORTCULLIS_BIN`);
    }
    await mkdir(ARTIFACTS, { recursive: true });
    const own = new Set([serverLog, ...ownFiles]);
    for (const file of await readdir(ARTIFACTS)) {
      const failure = file.match(/^(.*?)(?:-\d+)?\.(?:png|html)$/);
      if (own.has(file) || (failure && storySlugs.has(failure[1]))) {
        await rm(path.join(ARTIFACTS, file), { force: true });
      }
    }
    tmp = await mkdtemp(path.join(os.tmpdir(), 'portcullis-e2e-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = portcullisEnv(port);

    cli = cliFor(env);
    await prepare?.(cli);

    const log = createWriteStream(path.join(ARTIFACTS, serverLog));
    server = spawn(BIN, ['serve'], { cwd: tmp, env: { ...env, ...serverEnv, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    await cleanup?.();
    if (tmp && !process.env.KEEP_TMP) await rm(tmp, { recursive: true, force: true });
    else if (tmp) console.log(`# kept ${tmp}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Tests, pages and failure artifacts

/** Retries an assertion until it passes or `timeoutMs` runs out (for script-driven UI). */
export async function eventually(check, timeoutMs = 5_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

async function newPage(errors) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  watch(page, errors);
  return page;
}

/**
 * Declares a test whose body gets `open()` for new pages (each in a fresh browser context,
 * closed afterwards). The test fails when any of its pages logged a console error, an uncaught
 * exception or a failed request. On failure every page the test opened is saved as
 * artifacts/<test-name>[-N].png + .html before the error is rethrown.
 */
export function story(name, body, { timeout = 30_000 } = {}) {
  storySlugs.add(slug(name));
  test(name, { timeout }, async () => {
    const pages = [];
    const errors = [];
    const open = async () => {
      const page = await newPage(errors);
      pages.push(page);
      return page;
    };
    try {
      await body({ open, pages });
      assert.deepEqual(errors, [], 'no console errors, uncaught exceptions or failed requests in any page');
    } catch (error) {
      await saveFailure(slug(name), pages);
      throw error;
    } finally {
      for (const page of pages) await page.context().close().catch(() => {});
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
function watch(page, browserErrors) {
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

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Runs axe-core in the page; fails on serious/critical violations, prints all of them. */
export async function checkAccessibility(page, label) {
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

export function pathOf(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

export async function textOf(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** Clicks `button` and returns the status of the POST to `pathname` it sends, once loaded. */
export async function submitTo(page, pathname, button) {
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === pathname);
  await button.click();
  const status = (await response).status();
  await page.waitForLoadState('load');
  return status;
}

/** Fills the sign-in form and submits it; returns the status of the POST /login response. */
export async function submitSignIn(page, login, password) {
  await page.getByLabel('Login name', { exact: true }).fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  return submitTo(page, '/login', page.getByRole('button', { name: 'Sign in', exact: true }));
}

export async function signIn(page, login, password) {
  await page.goto(`${baseUrl}/login`);
  const status = await submitSignIn(page, login, password);
  assert.equal(status, 303, `sign-in of ${login} should redirect (303), got ${status}`);
  await page.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(page, login);
}

export async function assertSignedInAs(page, login) {
  const nav = page.getByRole('navigation', { name: 'Account' });
  assert.equal(await textOf(nav.getByText('Signed in as')), `Signed in as ${login}`);
  assert.ok(await page.getByTestId('my-profile').isVisible(), 'header link My Profile is visible');
  assert.ok(await nav.getByRole('button', { name: 'Sign out', exact: true }).isVisible(), 'header button Sign out is visible');
}

export async function assertNotice(page, text) {
  const notice = page.getByRole('status');
  assert.equal(await notice.count(), 1, `one role=status notice on ${page.url()}`);
  assert.equal(await textOf(notice), text);
}

export async function errorTexts(page) {
  const box = page.getByTestId('errors');
  assert.equal(await box.getAttribute('role'), 'alert');
  const items = box.locator('li');
  if ((await items.count()) > 0) return (await items.allInnerTexts()).map((t) => t.trim());
  return [await textOf(box)];
}

export async function sessionRows(page) {
  return page.getByTestId('sessions').locator('tbody tr');
}

export async function openMyProfile(page) {
  await page.getByRole('link', { name: 'My Profile', exact: true }).click();
  await page.waitForURL(`${baseUrl}/profile`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'My Profile' }).isVisible());
}

/** Loads /profile in a browser that should have been signed out; expects the sign-in page. */
export async function assertSignedOut(page, expectedNotice) {
  await page.goto(`${baseUrl}/profile`);
  assert.equal(new URL(page.url()).pathname, '/login', `/profile should redirect to /login, got ${page.url()}`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  if (expectedNotice) await assertNotice(page, expectedNotice);
}

// ---------------------------------------------------------------------------------------------
// The dev mailbox and gpg

/** How long mail may take: a background worker polls the outbox about every 0.5 s. */
export const MAIL_TIMEOUT_MS = 15_000;

/** The dev mailbox's rows as { date, to, subject, encryption, href }, newest first. */
export async function mailboxRows(page) {
  const table = page.getByTestId('mailbox');
  if ((await table.count()) === 0) return [];
  const headers = (await table.locator('thead th').allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(headers, ['Date', 'To', 'Subject', 'Encryption']);
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => {
    const cells = [...row.querySelectorAll('td')].map((td) => td.textContent.replace(/\s+/g, ' ').trim());
    return {
      date: cells[0], to: cells[1], subject: cells[2], encryption: cells[3],
      href: row.querySelector('td:nth-child(3) a')?.getAttribute('href'),
    };
  }));
}

/**
 * Reloads the dev mailbox until exactly `count` messages with `subject` (and, if given, to `to`)
 * are listed; returns them, newest first.
 */
export async function waitForMail(page, { subject, to, count = 1 }) {
  await page.goto(`${baseUrl}/dev/mailbox`);
  return eventually(async () => {
    await page.reload();
    const found = (await mailboxRows(page)).filter((r) => r.subject === subject && (to === undefined || r.to === to));
    assert.equal(found.length, count,
      `${count} "${subject}" message(s)${to ? ` to ${to}` : ''} in the dev mailbox: ${JSON.stringify(found)}`);
    return found;
  }, MAIL_TIMEOUT_MS, 250);
}

/** Opens a message listed in the dev mailbox by its subject link. */
export async function openMailboxMessage(page, row) {
  assert.match(row.href, /^\/dev\/mailbox\/[A-Za-z0-9_.-]+\.eml$/, `subject links to /dev/mailbox/<file>: ${row.href}`);
  await page.locator(`a[href="${row.href}"]`).click();
  await page.waitForURL(`${baseUrl}${row.href}`);
  assert.ok(await page.getByRole('heading', { level: 1, name: row.subject }).isVisible());
}

/**
 * A throwaway GnuPG home: `gpg(args, stdin)` runs gpg in it, `makeKey(name, email)` makes a key
 * (no passphrase, valid 1 year) and returns { armored, fingerprint }, `remove()` cleans up
 * (KEEP_TMP=1 keeps it).
 */
export async function gnupgHome() {
  const home = await mkdtemp(path.join(os.tmpdir(), 'portcullis-gpg-'));
  const env = { ...process.env, GNUPGHOME: home };
  const gpg = (args, stdin) => run('gpg', ['--batch', '--no-tty', ...args], { stdin, env });
  return {
    gpg,
    async makeKey(name, email) {
      await gpg(['--passphrase', '', '--quick-gen-key', `${name} <${email}>`, 'future-default', 'default', '1y']);
      const armored = await gpg(['--armor', '--export', `<${email}>`]);
      assert.match(armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
      const colons = await gpg(['--with-colons', '--fingerprint', `<${email}>`]);
      // The first fpr line is the primary key's; field 10 holds the fingerprint.
      const fpr = colons.split('\n').find((line) => line.startsWith('fpr:'));
      assert.ok(fpr, `gpg lists a fingerprint for ${email}:\n${colons}`);
      const fingerprint = fpr.split(':')[9];
      assert.match(fingerprint, /^[0-9A-F]{40}$/);
      return { armored, fingerprint };
    },
    async remove() {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => {});
      if (!process.env.KEEP_TMP) await rm(home, { recursive: true, force: true });
      else console.log(`# kept ${home}`);
    },
  };
}
