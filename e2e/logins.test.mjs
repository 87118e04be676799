// End-to-end test of Portcullis' Logins page (the account administrator's secondary logins) in
// headless Chromium.
//
// Starts its own `portcullis serve` (file mail transport, so the dev mailbox at /dev/mailbox
// exists) with a fresh SQLite database in a temp dir. Each test creates its own account (primary
// login) with the CLI, and the secondary login it needs (other than the one test 1 creates
// through the page); login names are unique, so each test's "sam" has a name of its own. The story: the primary opens Logins from the header and creates sam.lee, an authorized
// contact (a wrong "Your password" first: refused, nothing created); Reset password shows a
// passcode to give by voice, since sam.lee has no encryption key, and emails sam.lee a link to a
// secure message; in a fresh, signed-out browser the link and the passcode (one wrong passcode
// first) open the message with the temporary password. Signing in with it leads only to Set a new
// password; the new password (one containing the login name is refused) ends the session and
// then signs in. sam.lee has no Logins link and gets "Not available to you" (403) at /logins. The
// primary disables sam.lee (its open browser is signed out on the next navigation, and it cannot
// sign in), enables it (it signs in again), then deletes it (the login name must be typed). axe-core
// checks Logins, the login's page and the passcode page.
//
// Run: cd e2e && npm ci && node --test logins.test.mjs
// Env: PORTCULLIS_BIN (default ../target/debug/portcullis), KEEP_TMP=1 keeps the temp dir.

import assert from 'node:assert/strict';

import {
  TEXT as SHARED_TEXT, assertNotice, assertSignedInAs, assertSignedOut, baseUrl, checkAccessibility, createAccount,
  cli, createSecondary, errorTexts, openMailboxMessage, pathOf, screenshot, signIn, story, submitSignIn, submitTo,
  textOf, usePortal, waitForMail,
} from './helpers.mjs';

const PRIMARY_PASSWORD = 'Initial#Pass1';
const PRIMARY_EMAIL = 'it@acme.example';
/** The secondary login a test works with. */
const samNamed = (name) => ({ name, email: `${name}@acme.example`, phone: '+44 20 7946 0960', password: 'Chosen#Pass2' });

const TEXT = {
  ...SHARED_TEXT,
  wrongPassword: 'your password is not correct',
  created: 'The login was created. Send its first password with Reset password.',
  disabled: 'The login was disabled: its sessions ended and its links and temporary passwords no longer work.',
  enabled: 'The login was enabled.',
  deleted: 'The login was deleted.',
  passcodeHeading: 'Give this passcode by voice',
  subject: 'Customer Portal: a secure message is waiting for you',
  wrongPasscode: 'The passcode is not correct.',
  containsName: 'Do not include your login name.',
  passwordSet: 'Your new password is set and every session of your login has ended. Sign in with your new password.',
  notAvailable: 'Not available to you',
  administratorOnly: 'Only the account administrator',
  confirmDeletion: (name) => `Type the login name ${name} to confirm the deletion.`,
  disabledRefused: (name) => `${name} is disabled; enable it first.`,
};

// The passcode: two groups of five from a readable alphabet (no 0/O, 1/I/L).
const PASSCODE = /^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/;
// Four groups of four from the readable alphabet (no 0/O, 1/I/l), joined by hyphens.
const TEMPORARY = /(?<![A-Za-z0-9-])[A-HJ-NP-Za-km-np-z2-9]{4}(?:-[A-HJ-NP-Za-km-np-z2-9]{4}){3}(?![A-Za-z0-9-])/g;


// ---------------------------------------------------------------------------------------------
// Helpers

/** Clicks a header link of the customer portal and waits for its page. */
async function followNav(page, name, pathname) {
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name, exact: true }).click();
  await page.waitForURL(`${baseUrl}${pathname}`);
}

/** The Logins table's rows as { login, email, phone, contact, key, status }. */
async function loginRows(page) {
  const table = page.getByTestId('logins-table');
  if ((await table.count()) === 0) return [];
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => {
    const cells = [...row.querySelectorAll('td')].map((td) => td.textContent.replace(/\s+/g, ' ').trim());
    const [login, email, phone, contact, key, status] = cells;
    return { login, email, phone, contact, key, status, attribute: row.dataset.login };
  }));
}

async function samStatus(page, SAM) {
  return textOf(page.locator(`tr[data-login="${SAM.name}"]`).getByTestId('status'));
}

/** Opens Logins → Manage `SAM` in the primary's browser. */
async function openSam(page, SAM) {
  await page.goto(`${baseUrl}/logins`);
  await page.getByRole('link', { name: `Manage ${SAM.name}`, exact: true }).click();
  await page.waitForURL(`${baseUrl}/logins/${SAM.name}`);
  assert.ok(await page.getByRole('heading', { level: 1, name: `Login ${SAM.name}` }).isVisible());
}

/** The region of the login's page headed `name`. */
function section(page, name) {
  return page.getByRole('region', { name, exact: true });
}

/** Fills "Your password" of the Disable/Enable form and clicks `button`; returns the POST's status. */
async function setStatus(page, SAM, action, button) {
  const form = section(page, action);
  await form.getByLabel('Your password', { exact: true }).fill(PRIMARY_PASSWORD);
  return submitTo(page, `/logins/${SAM.name}/${action.toLowerCase()}`,
    form.getByRole('button', { name: button, exact: true }));
}

/**
 * Reloads the dev mailbox until the secure-message email to `SAM` is listed; expects exactly
 * one, not encrypted and without the temporary password, and returns its /secure-message link.
 */
async function secureMessageLink(page, SAM) {
  const [row] = await waitForMail(page, { subject: TEXT.subject, to: SAM.email });
  assert.equal(row.to, SAM.email, 'the link goes to the login\'s own address');
  assert.equal(row.encryption, 'not encrypted');

  await openMailboxMessage(page, row);
  const text = await page.getByTestId('text-part').innerText();
  assert.ok(text.includes(SAM.name), `the text names the login ${SAM.name}:\n${text}`);
  assert.deepEqual(text.match(TEMPORARY), null, `the email does not carry a temporary password:\n${text}`);
  const links = text.match(/https?:\/\/\S+\/secure-message\/\S+/g) ?? [];
  assert.equal(links.length, 1, `the text part holds one secure-message link:\n${text}`);
  const [link] = links;
  assert.ok(link.startsWith(`${baseUrl}/secure-message/`), `the link is on the server's public URL ${baseUrl}: ${link}`);
  assert.match(link.slice(`${baseUrl}/secure-message/`.length), /^[A-Za-z0-9-]{8,}$/, `the link ends in an id: ${link}`);
  return link;
}

/**
 * Logins → Manage `SAM` → Reset password in the primary's browser: the passcode shown, the
 * emailed link, and a signed-out browser that opens the secure message (a wrong passcode first;
 * it opens once). Returns the temporary password. `check` takes the screenshot and runs axe.
 */
async function readTemporaryPassword(page, open, SAM, { check = false } = {}) {
  await openSam(page, SAM);

  const reset = section(page, 'Reset password');
  await reset.getByLabel('Your password', { exact: true }).fill(PRIMARY_PASSWORD);
  assert.equal(await submitTo(page, `/logins/${SAM.name}/reset`,
    reset.getByRole('button', { name: 'Reset password', exact: true })), 200);
  assert.ok(await page.getByRole('heading', { level: 1, name: TEXT.passcodeHeading }).isVisible());
  const passcode = await textOf(page.getByTestId('passcode'));
  assert.match(passcode, PASSCODE);
  const shown = await textOf(page.locator('main'));
  assert.ok(shown.includes(SAM.name), `the page names ${SAM.name}`);
  assert.deepEqual(shown.match(TEMPORARY), null, 'the administrator never sees the temporary password');
  if (check) {
    await screenshot(page, 'logins-passcode');
    await checkAccessibility(page, 'Give this passcode by voice');
  }

  await page.getByRole('link', { name: 'Done', exact: true }).click();
  await page.waitForURL(`${baseUrl}/logins/${SAM.name}`);
  await page.goto(`${baseUrl}/logins`);
  assert.equal(await samStatus(page, SAM), 'Temporary password sent');

  // The email carries only a link; the message opens, signed out, with the passcode.
  const link = await secureMessageLink(page, SAM);
  const reader = await open();
  assert.equal((await reader.goto(link)).status(), 200);
  assert.ok(await reader.getByRole('heading', { level: 1, name: 'Secure message' }).isVisible());
  assert.equal(await reader.getByRole('navigation', { name: 'Account' }).count(), 0, 'the reader is signed out');
  const field = reader.getByLabel('Passcode', { exact: true });
  const openButton = reader.getByRole('button', { name: 'Open message', exact: true });
  const pickupPath = new URL(link).pathname;

  await field.fill('ABCDE-FGHJK');
  assert.equal(await submitTo(reader, pickupPath, openButton), 400);
  const [wrong, ...moreErrors] = await errorTexts(reader);
  assert.deepEqual(moreErrors, []);
  assert.ok(wrong.startsWith(TEXT.wrongPasscode), `the refusal says "${TEXT.wrongPasscode}": ${wrong}`);
  assert.equal(await reader.getByTestId('secure-message-content').count(), 0);

  await field.fill(passcode);
  assert.equal(await submitTo(reader, pickupPath, openButton), 200);
  const content = await reader.getByTestId('secure-message-content').innerText();
  assert.ok(content.includes(SAM.name), `the message names ${SAM.name}:\n${content}`);
  const found = [...new Set(content.match(TEMPORARY) ?? [])];
  assert.equal(found.length, 1, `the message holds one temporary password:\n${content}`);
  const [temporary] = found;

  // It opens once.
  await reader.goto(link);
  await reader.getByLabel('Passcode', { exact: true }).fill(passcode);
  assert.equal(await submitTo(reader, pickupPath, reader.getByRole('button', { name: 'Open message', exact: true })), 404);
  assert.equal(await reader.getByTestId('secure-message-content').count(), 0, 'the message is gone');
  return temporary;
}

/** A new account (returns its primary login name), with `SAM` (`withPassword`: a password set). */
async function accountWithSam(SAM, { withPassword = false } = {}) {
  const primary = await createAccount(cli, { email: PRIMARY_EMAIL, password: PRIMARY_PASSWORD });
  await createSecondary(cli, primary, { ...SAM, password: withPassword ? SAM.password : undefined });
  return primary;
}

/** A browser signed in as `primary`. */
async function signedIn(open, primary) {
  const page = await open();
  await signIn(page, primary, PRIMARY_PASSWORD);
  return page;
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

usePortal({
  serverLog: 'logins-server.log',
  ownFiles: ['logins.png', 'login-edit.png', 'logins-passcode.png'],
});

// ---------------------------------------------------------------------------------------------
// The user story

story('1. Logins → Create a login: a wrong password creates nothing; sam.lee is created', async ({ open }) => {
  const SAM = samNamed('sam.lee');
  const page = await signedIn(open, await createAccount(cli, { email: PRIMARY_EMAIL, password: PRIMARY_PASSWORD }));
  await followNav(page, 'Logins', '/logins');
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Logins' }).isVisible());
  assert.equal(await page.getByTestId('no-logins').count(), 1, 'no secondary logins yet');
  assert.equal(await page.getByTestId('logins-table').count(), 0);

  const create = section(page, 'Create a login');
  const fill = async (password) => {
    await create.locator('#login_name').fill(SAM.name);
    await create.locator('#email').fill(SAM.email);
    await create.locator('#phone').fill(SAM.phone);
    await create.locator('input[name="authorized_contact"]').check();
    await create.locator('#admin_password').fill(password);
  };
  assert.equal(await create.getByLabel('Your password', { exact: true }).getAttribute('id'), 'admin_password');
  const createButton = create.getByRole('button', { name: 'Create login', exact: true });

  // A wrong "Your password": refused, the typed details are kept, nothing is created.
  await fill('Wrong#Pass9');
  assert.equal(await submitTo(page, '/logins', createButton), 400);
  assert.equal(pathOf(page), '/logins');
  const [refusal, ...more] = await errorTexts(page);
  assert.deepEqual(more, []);
  assert.ok(refusal.includes(TEXT.wrongPassword), `the refusal says "${TEXT.wrongPassword}": ${refusal}`);
  assert.equal(await create.locator('#login_name').inputValue(), SAM.name, 'the login name is kept');
  assert.equal(await create.locator('#email').inputValue(), SAM.email, 'the email is kept');
  assert.equal(await create.locator('#phone').inputValue(), SAM.phone, 'the phone is kept');
  assert.ok(await create.locator('input[name="authorized_contact"]').isChecked(), 'authorized contact stays ticked');
  assert.equal(await create.locator('#admin_password').inputValue(), '', 'the password is not echoed back');
  assert.equal(await page.getByTestId('no-logins').count(), 1, 'nothing was created');
  await page.goto(`${baseUrl}/logins`);
  assert.equal(await page.getByTestId('no-logins').count(), 1, 'nothing was created (after a reload)');
  assert.equal((await page.goto(`${baseUrl}/logins/${SAM.name}`)).status(), 404, `/logins/${SAM.name} does not exist`);
  await page.goto(`${baseUrl}/logins`);

  // The right password.
  await fill(PRIMARY_PASSWORD);
  await screenshot(page, 'logins');
  await checkAccessibility(page, 'Logins');
  assert.equal(await submitTo(page, '/logins', createButton), 303);
  await page.waitForURL(`${baseUrl}/logins/${SAM.name}?notice=login-created`);
  await assertNotice(page, TEXT.created);
  assert.ok(await page.getByRole('heading', { level: 1, name: `Login ${SAM.name}` }).isVisible());
  assert.equal(await textOf(page.getByTestId('login-status')), 'Enabled');
  const details = section(page, 'Details');
  assert.equal(await details.locator('#email').inputValue(), SAM.email);
  assert.equal(await details.locator('#phone').inputValue(), SAM.phone);
  assert.ok(await details.locator('input[name="authorized_contact"]').isChecked(), 'authorized contact is saved');
  for (const [name, id] of [['Details', 'save_password'], ['Reset password', 'reset_password'],
    ['Disable', 'status_password'], ['Delete', 'delete_password']]) {
    assert.equal(await section(page, name).getByLabel('Your password', { exact: true }).getAttribute('id'), id,
      `"Your password" of ${name}`);
  }
  assert.equal(await section(page, 'Delete').getByLabel(`Type ${SAM.name} to confirm`, { exact: true }).getAttribute('id'),
    'confirm_name');
  await screenshot(page, 'login-edit');
  await checkAccessibility(page, `the page of ${SAM.name}`);

  // The list shows the new login, without a password yet.
  await page.getByRole('link', { name: '← Logins', exact: true }).click();
  await page.waitForURL(`${baseUrl}/logins`);
  assert.deepEqual(await loginRows(page), [{
    login: SAM.name, email: SAM.email, phone: SAM.phone, contact: 'Yes', key: 'None (secure pickup)',
    status: 'No password yet', attribute: SAM.name,
  }]);
  await checkAccessibility(page, 'Logins (with a login)');
});

story('2. Reset password shows a passcode; the emailed link and the passcode open the temporary password', async ({ open }) => {
  const SAM = samNamed('sam.ray');
  const page = await signedIn(open, await accountWithSam(SAM));
  const temporary = await readTemporaryPassword(page, open, SAM, { check: true });
  assert.equal(temporary.length, 19, 'four groups of four');
});

story('3. the temporary password leads only to Set a new password; no Logins for a secondary', async ({ open }) => {
  const SAM = samNamed('sam.fox');
  const page = await signedIn(open, await accountWithSam(SAM));
  const temporary = await readTemporaryPassword(page, open, SAM);
  const sam = await open();
  await sam.goto(`${baseUrl}/login`);
  assert.equal(await submitSignIn(sam, SAM.name, temporary), 303);
  await sam.waitForURL(`${baseUrl}/password/new`);
  assert.ok(await sam.getByRole('heading', { level: 1, name: 'Set a new password' }).isVisible());
  const nav = sam.getByRole('navigation', { name: 'Account' });
  assert.equal(await textOf(nav.getByText('Signed in as')), `Signed in as ${SAM.name}`);
  assert.equal(await nav.getByRole('link', { name: 'Logins', exact: true }).count(), 0);
  for (const elsewhere of ['/profile', '/cases', '/logins']) {
    await sam.goto(`${baseUrl}${elsewhere}`);
    assert.equal(pathOf(sam), '/password/new', `${elsewhere} redirects to /password/new (got ${sam.url()})`);
  }
  const newPassword = sam.getByLabel('Enter new password', { exact: true });
  const confirm = sam.getByLabel('Confirm new password', { exact: true });
  const saveAndExit = sam.getByRole('button', { name: 'Save and Exit', exact: true });

  // A password holding the login name is refused.
  const holdingTheName = `${SAM.name.replace(/^s/, 'S')}#Pass3`;
  await newPassword.fill(holdingTheName);
  await confirm.fill(holdingTheName);
  assert.equal(await submitTo(sam, '/password/new', saveAndExit), 400);
  assert.deepEqual(await errorTexts(sam), [TEXT.containsName]);

  await newPassword.fill(SAM.password);
  await confirm.fill(SAM.password);
  assert.equal(await submitTo(sam, '/password/new', saveAndExit), 303);
  await sam.waitForURL(`${baseUrl}/login?notice=password-set`);
  assert.ok(await sam.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  await assertNotice(sam, TEXT.passwordSet);

  // The temporary password is spent; the new one signs in.
  assert.equal(await submitSignIn(sam, SAM.name, temporary), 401);
  assert.equal(await textOf(sam.getByRole('alert')), TEXT.signInFailed);
  assert.equal(await submitSignIn(sam, SAM.name, SAM.password), 303);
  await sam.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(sam, SAM.name);

  // A secondary login: no Logins link, and the pages answer 403.
  assert.equal(await nav.getByRole('link', { name: 'Logins', exact: true }).count(), 0, 'no Logins link');
  assert.equal(await sam.getByTestId('logins').count(), 0);
  for (const where of ['/logins', `/logins/${SAM.name}`]) {
    assert.equal((await sam.goto(`${baseUrl}${where}`)).status(), 403, `${where} answers 403`);
    assert.ok(await sam.getByRole('heading', { level: 1, name: TEXT.notAvailable }).isVisible());
    const reason = await textOf(sam.getByRole('alert'));
    assert.ok(reason.includes(TEXT.administratorOnly), `the page says "${TEXT.administratorOnly}": ${reason}`);
  }

  // The primary sees it active.
  await page.goto(`${baseUrl}/logins`);
  assert.equal(await samStatus(page, SAM), 'Active');
}, { timeout: 45_000 });

story('4. disabling signs the login out and keeps it out; enabling lets it in; deleting needs its name', async ({ open }) => {
  const SAM = samNamed('sam.kim');
  const page = await signedIn(open, await accountWithSam(SAM, { withPassword: true }));
  const sam = await open();
  await signIn(sam, SAM.name, SAM.password);

  // Disable: sam's open browser is signed out on its next navigation.
  await openSam(page, SAM);
  assert.equal(await setStatus(page, SAM, 'Disable', 'Disable login'), 303);
  await page.waitForURL(`${baseUrl}/logins/${SAM.name}?notice=login-disabled`);
  await assertNotice(page, TEXT.disabled);
  assert.equal(await textOf(page.getByTestId('login-status')), 'Disabled');
  await assertSignedOut(sam, TEXT.sessionEnded);
  assert.equal(await submitSignIn(sam, SAM.name, SAM.password), 401, 'a disabled login cannot sign in');
  assert.equal(await textOf(sam.getByRole('alert')), TEXT.signInFailed);

  // A disabled login gets no temporary password.
  const reset = section(page, 'Reset password');
  await reset.getByLabel('Your password', { exact: true }).fill(PRIMARY_PASSWORD);
  assert.equal(await submitTo(page, `/logins/${SAM.name}/reset`,
    reset.getByRole('button', { name: 'Reset password', exact: true })), 400);
  assert.deepEqual(await errorTexts(page), [TEXT.disabledRefused(SAM.name)]);
  await page.goto(`${baseUrl}/logins`);
  assert.equal(await samStatus(page, SAM), 'Disabled');

  // Enable: sam signs in again.
  await openSam(page, SAM);
  assert.equal(await setStatus(page, SAM, 'Enable', 'Enable login'), 303);
  await page.waitForURL(`${baseUrl}/logins/${SAM.name}?notice=login-enabled`);
  await assertNotice(page, TEXT.enabled);
  assert.equal(await textOf(page.getByTestId('login-status')), 'Enabled');
  await signIn(sam, SAM.name, SAM.password);

  // Delete: the login name must be typed.
  const remove = section(page, 'Delete');
  const deleteButton = remove.getByRole('button', { name: 'Delete login', exact: true });
  await remove.locator('#confirm_name').fill('sam');
  await remove.locator('#delete_password').fill(PRIMARY_PASSWORD);
  assert.equal(await submitTo(page, `/logins/${SAM.name}/delete`, deleteButton), 400);
  assert.deepEqual(await errorTexts(page), [TEXT.confirmDeletion(SAM.name)]);
  await page.goto(`${baseUrl}/logins`);
  assert.equal((await loginRows(page)).length, 1, `${SAM.name} is still listed`);

  await openSam(page, SAM);
  await remove.locator('#confirm_name').fill(SAM.name);
  await remove.locator('#delete_password').fill(PRIMARY_PASSWORD);
  assert.equal(await submitTo(page, `/logins/${SAM.name}/delete`, deleteButton), 303);
  await page.waitForURL(`${baseUrl}/logins?notice=login-deleted`);
  await assertNotice(page, TEXT.deleted);
  assert.deepEqual(await loginRows(page), []);
  assert.equal(await page.locator(`tr[data-login="${SAM.name}"]`).count(), 0);
  assert.equal(await page.getByTestId('no-logins').count(), 1);
  assert.equal((await page.goto(`${baseUrl}/logins/${SAM.name}`)).status(), 404, `/logins/${SAM.name} is gone`);

  // sam.lee's session ended with it, and the login no longer signs in.
  await sam.goto(`${baseUrl}/profile`);
  assert.equal(new URL(sam.url()).pathname, '/login', `the deleted login's browser was signed out (got ${sam.url()})`);
  await sam.goto(`${baseUrl}/login`);
  assert.equal(await submitSignIn(sam, SAM.name, SAM.password), 401);
  assert.equal(await textOf(sam.getByRole('alert')), TEXT.signInFailed);
}, { timeout: 45_000 });
