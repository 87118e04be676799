// End-to-end test of the Portcullis customer portal in headless Chromium.
//
// Starts its own `portcullis serve` on a free port with a fresh SQLite database in a temp
// dir; each test creates its own account (and secondary login) with the CLI, then walks its
// part of the user story through the visible labels: sign in, My Profile, sessions, Create New
// Password, sign out. axe-core checks the sign-in, My Profile and Create New Password pages.
//
// Run: cd e2e && npm ci && node --test
// Env: PORTCULLIS_BIN (default ../target/debug/portcullis), KEEP_TMP=1 keeps the temp dir.

import assert from 'node:assert/strict';

import {
  PRODUCT, TEXT as SHARED_TEXT, assertNotice, assertSignedInAs, assertSignedOut, baseUrl, checkAccessibility,
  cli, createAccount, createSecondary, errorTexts, eventually, openMyProfile, pathOf, screenshot, sessionRows,
  signIn, story, submitSignIn, submitTo, textOf, usePortal,
} from './helpers.mjs';

const INITIAL_PASSWORD = 'Initial#Pass1';
const NEW_PASSWORD = 'Changed#Pass2';
const JANE = { name: 'jane.doe', email: 'jane@acme.example', password: 'Jane#Secret7' };
const PRIMARY_EMAIL = 'it@acme.example';

const TEXT = {
  ...SHARED_TEXT,
  sessionRevoked: 'The session was revoked.',
  signedOut: 'You have signed out.',
  mismatch: 'The new password and its confirmation do not match.',
  tooShort: 'Use at least 8 characters.',
  primaryKind: 'Primary login (account administrator)',
  secondaryKind: 'Secondary login',
};

// ---------------------------------------------------------------------------------------------
// Helpers

/** A new account (returns its generated primary login name, e.g. ABC1234). */
function newAccount() {
  return createAccount(cli, { email: PRIMARY_EMAIL, password: INITIAL_PASSWORD });
}

/** A new account and a browser signed in as its primary login. */
async function signedInPrimary(open) {
  const primary = await newAccount();
  const page = await open();
  await signIn(page, primary, INITIAL_PASSWORD);
  return { page, primary };
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

usePortal({
  serverLog: 'server.log',
  ownFiles: ['sign-in.png', 'my-profile.png', 'create-new-password.png'],
});

// ---------------------------------------------------------------------------------------------
// The user story

story('1. sign in: a wrong password shows the generic error, the right one opens My Profile', async ({ open }) => {
  const primary = await newAccount();
  const page = await open();

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

  const status = await submitSignIn(page, primary, INITIAL_PASSWORD);
  assert.equal(status, 303);
  await page.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(page, primary);
});

story('2. My Profile shows the login and its sessions; revoking a session signs that browser out', async ({ open }) => {
  const { page, primary } = await signedInPrimary(open);
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
  await signIn(second, primary, INITIAL_PASSWORD);

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
  const { page, primary } = await signedInPrimary(open);

  // A second browser signed in as the same login, to be signed out by the change.
  const second = await open();
  await signIn(second, primary, INITIAL_PASSWORD);

  await openMyProfile(page);
  await page.getByRole('link', { name: 'Create New Password', exact: true }).click();
  await page.waitForURL(`${baseUrl}/profile/password`);
  assert.equal(await page.title(), `Create New Password · ${PRODUCT}`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Create New Password' }).isVisible());
  const existing = page.getByLabel('Enter existing password', { exact: true });
  const fresh = page.getByLabel('Enter new password', { exact: true });
  const confirm = page.getByLabel('Confirm new password', { exact: true });
  const saveAndExit = page.getByRole('button', { name: 'Save and Exit', exact: true });
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
  assert.equal(await submitTo(page, '/profile/password', saveAndExit), 400);
  let errors = await errorTexts(page);
  assert.ok(errors.includes(TEXT.existingWrong), `errors include "${TEXT.existingWrong}": ${JSON.stringify(errors)}`);
  assert.ok(errors.includes(TEXT.mismatch), `errors include "${TEXT.mismatch}": ${JSON.stringify(errors)}`);
  await checkAccessibility(page, 'Create New Password with errors');

  // A weak new password is refused by the server with the rule's message.
  await existing.fill(INITIAL_PASSWORD);
  await fresh.fill('Ab1!');
  await confirm.fill('Ab1!');
  assert.equal(await submitTo(page, '/profile/password', saveAndExit), 400);
  errors = await errorTexts(page);
  assert.deepEqual(errors, [TEXT.tooShort]);
  assert.equal(await ruleState(page, 'too_short'), 'broken', 'the broken rule is marked in the list');

  // The current password is in the history.
  await existing.fill(INITIAL_PASSWORD);
  await fresh.fill(INITIAL_PASSWORD);
  await confirm.fill(INITIAL_PASSWORD);
  assert.equal(await submitTo(page, '/profile/password', saveAndExit), 400);
  errors = await errorTexts(page);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^Do not reuse/);
  assert.equal(await ruleState(page, 'in_history'), 'broken');

  // Now correctly.
  await existing.fill(INITIAL_PASSWORD);
  await fresh.fill(NEW_PASSWORD);
  await confirm.fill(NEW_PASSWORD);
  await eventually(async () => assert.equal(await textOf(page.locator('#confirm-status')), 'The passwords match.'));
  await saveAndExit.click();
  await page.waitForURL(`${baseUrl}/login?notice=password-changed`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  assert.equal(await page.getByTestId('notice').getAttribute('role'), 'status');
  await assertNotice(page, TEXT.passwordChanged);
  const old = INITIAL_PASSWORD;

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

story('4. sign out ends the session', async ({ open }) => {
  const { page } = await signedInPrimary(open);
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
  await createSecondary(cli, await newAccount(), JANE);
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
