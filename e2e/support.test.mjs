// End-to-end test of Portcullis' support-assisted reset of a primary login in headless Chromium.
//
// Starts its own `portcullis serve` (file mail transport, so the dev mailbox at /dev/mailbox
// exists) with a fresh SQLite database in a temp dir, and creates the support agent (alice) with
// the CLI; gpg, in a throwaway GNUPGHOME, makes an OpenPGP key for the primary logins' address.
// Each test creates its own account (primary login) and a secondary login that is an authorized
// contact with the CLI, and opens its own case. The story: the primary uploads its key and sets the contacts on record; jane.doe opens
// a "Primary account password reset request" case; in the staff console (its own sign-in, which
// a customer's session does not open) alice finds the case in the queue, records a verified
// call-back to the primary contact, is refused when she picks the secondary login, then sends
// the primary login a temporary password. It arrives PGP/MIME-encrypted in the dev mailbox and
// gpg decrypts it; signing in with it leads to Set a new password, the only page such a session
// reaches; the new password ends every session and then signs in. axe-core checks Support cases,
// the staff case page and Set a new password.
//
// Run: cd e2e && npm ci && node --test support.test.mjs   (needs gpg on the PATH)
// Env: PORTCULLIS_BIN (default ../target/debug/portcullis), KEEP_TMP=1 keeps the temp dir.

import assert from 'node:assert/strict';

import {
  TEXT as SHARED_TEXT, assertNotice, assertSignedInAs, baseUrl, checkAccessibility, createAccount, errorTexts,
  cli, createSecondary, gnupgHome, openMailboxMessage, pathOf, screenshot, signIn, story, submitSignIn, submitTo,
  textOf, usePortal, waitForMail,
} from './helpers.mjs';

const PRIMARY_PASSWORD = 'Initial#Pass1';
const CHOSEN_PASSWORD = 'Chosen#Pass2';
const PRIMARY_EMAIL = 'it@acme.example';
// The authorized contact who opens each test's case (login names are unique in the portal).
const JANES = [
  { name: 'jane.doe', email: 'jane@acme.example', password: 'Jane#Pass1' },
  { name: 'jane.roe', email: 'jane.roe@acme.example', password: 'Jane#Pass1' },
];
const ALICE = { username: 'alice', password: 'Console#Agent7' };
const CONTACTS = {
  primary: { name: 'Pat Primary', phone: '+44 20 7946 0958', email: 'pat@acme.example' },
  secondary: { name: 'Sam Second', phone: '+44 20 7946 0959', email: 'sam@acme.example' },
};
const DESCRIPTION = 'Our administrator left and nobody knows the password of the primary login.';
const CALL_NOTES = 'Called Pat back on the number on record; Pat confirmed the request.';

const TEXT = {
  ...SHARED_TEXT,
  keySaved: 'Your encryption key was saved. Sensitive email to you will be encrypted with it.',
  contactsSaved: 'The contacts on record were saved.',
  resetTitle: 'Primary account password reset request',
  caseOpened: 'Your case was opened. Support will contact you; updates also arrive by email.',
  verificationRecorded: 'The call-back was recorded.',
  secondaryRefused: 'Support cannot reset passwords for secondary logins',
  temporarySent: 'A temporary password was sent in an encrypted email. Nobody else has seen it.',
  passwordSet: 'Your new password is set and every session of your login has ended. Sign in with your new password.',
  subject: 'Customer Portal: sign-in information',
  openpgp: 'OpenPGP (PGP/MIME, RFC 3156)',
};

// Four groups of four from the readable alphabet (no 0/O, 1/I/l), joined by hyphens.
const TEMPORARY = /(?<![A-Za-z0-9-])[A-HJ-NP-Za-km-np-z2-9]{4}(?:-[A-HJ-NP-Za-km-np-z2-9]{4}){3}(?![A-Za-z0-9-])/g;


// ---------------------------------------------------------------------------------------------
// Shared by the file's tests, changed by none

let gnupg; // the throwaway GnuPG home (helpers' gnupgHome)
let primaryKey; // armoured public key for PRIMARY_EMAIL

// ---------------------------------------------------------------------------------------------
// Helpers

/** Clicks a header link of the customer portal and waits for its page. */
async function followNav(page, name, pathname) {
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name, exact: true }).click();
  await page.waitForURL(`${baseUrl}${pathname}`);
}

async function caseStatus(page) {
  return textOf(page.getByTestId('case-status'));
}

/** A table's body rows as arrays of their cells' texts. */
async function tableRows(table) {
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((row) =>
    [...row.querySelectorAll('td')].map((td) => td.textContent.replace(/\s+/g, ' ').trim())));
}

async function staffSignIn(page) {
  await page.goto(`${baseUrl}/staff/login`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Staff sign in' }).isVisible());
  await page.getByLabel('Staff user name', { exact: true }).fill(ALICE.username);
  await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
  const status = await submitTo(page, '/staff/login', page.getByRole('button', { name: 'Sign in', exact: true }));
  assert.equal(status, 303, `staff sign-in of ${ALICE.username} should redirect (303), got ${status}`);
  await page.waitForURL(`${baseUrl}/staff`);
  const nav = page.getByRole('navigation', { name: 'Staff console' });
  assert.equal(await textOf(nav.getByText('Staff:')), `Staff: ${ALICE.username}`);
}

/** Fills and submits "Send temporary password" for `login`; returns the POST's status. */
async function sendTemporaryPassword(page, caseNumber, login) {
  await page.getByLabel('Login', { exact: true }).selectOption(login);
  await page.getByLabel('Your password', { exact: true }).fill(ALICE.password);
  return submitTo(page, `/staff/cases/${caseNumber}/send`,
    page.getByRole('button', { name: 'Send temporary password', exact: true }));
}

/**
 * Reloads the dev mailbox until the sign-in information message is listed; expects exactly one,
 * to the primary login's address, and returns the plaintext gpg decrypts from it.
 */
async function decryptedSignInMail(page, primary) {
  const [row] = await waitForMail(page, { subject: TEXT.subject });
  assert.equal(row.to, PRIMARY_EMAIL, 'the temporary password goes to the primary login\'s address');
  assert.equal(row.encryption, TEXT.openpgp);

  await openMailboxMessage(page, row);
  assert.equal(await textOf(page.getByTestId('encryption')), TEXT.openpgp);
  assert.equal(await page.getByTestId('text-part').count(), 0, 'no text part is shown for an encrypted message');
  const ciphertext = (await page.getByTestId('ciphertext').innerText()).trim();
  assert.match(ciphertext, /^-----BEGIN PGP MESSAGE-----\n[\s\S]+\n-----END PGP MESSAGE-----$/);
  const raw = await page.locator('details pre').textContent();

  const plaintext = await gnupg.gpg(['--decrypt'], `${ciphertext}\n`);
  assert.ok(plaintext.includes(primary), `decrypted text names the login ${primary}:\n${plaintext}`);
  const found = [...new Set(plaintext.match(TEMPORARY) ?? [])];
  assert.equal(found.length, 1, `the decrypted text holds one temporary password:\n${plaintext}`);
  const [temporary] = found;
  assert.ok(!raw.includes(temporary), 'the raw message does not carry the temporary password in clear');
  return temporary;
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

usePortal({
  serverLog: 'support-server.log',
  ownFiles: ['support-cases.png', 'staff-case.png', 'forced-change.png'],
  prepare: async (cli) => {
    await cli.run(['staff', 'create', '--username', ALICE.username, '--role', 'support', '--password-stdin'],
      `${ALICE.password}\n`);
    gnupg = await gnupgHome();
    primaryKey = (await gnupg.makeKey('Acme IT', PRIMARY_EMAIL)).armored;
  },
  cleanup: async () => {
    await gnupg?.remove();
  },
});

/** A new account with `jane` as its authorized contact, and a browser signed in as its primary. */
async function signedInAccount(open, jane) {
  const primary = await createAccount(cli, { email: PRIMARY_EMAIL, password: PRIMARY_PASSWORD });
  await createSecondary(cli, primary, jane);
  const page = await open();
  await signIn(page, primary, PRIMARY_PASSWORD);
  return { page, primary };
}

/** My Profile → Email encryption: the primary login's own key; then the contacts on record. */
async function saveKeyAndContacts(page) {
  const encryption = page.getByRole('region', { name: 'Email encryption' });
  await encryption.locator('#key_material').fill(primaryKey);
  await encryption.getByLabel('Enter existing password', { exact: true }).fill(PRIMARY_PASSWORD);
  const saveKey = page.getByRole('button', { name: 'Save key', exact: true });
  assert.equal(await submitTo(page, '/profile/encryption', saveKey), 303);
  await page.waitForURL(`${baseUrl}/profile?notice=key-saved`);
  await assertNotice(page, TEXT.keySaved);

  // Contacts: the people support calls back.
  await followNav(page, 'Contacts', '/account/contacts');
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Contacts on record' }).isVisible());
  for (const [role, contact] of Object.entries(CONTACTS)) {
    for (const [field, value] of Object.entries(contact)) await page.locator(`#${role}_${field}`).fill(value);
  }
  await page.getByLabel('Your password', { exact: true }).fill(PRIMARY_PASSWORD);
  const saveContacts = page.getByRole('button', { name: 'Save contacts', exact: true });
  assert.equal(await submitTo(page, '/account/contacts', saveContacts), 303);
  await page.waitForURL(`${baseUrl}/account/contacts?notice=contacts-saved`);
  await assertNotice(page, TEXT.contactsSaved);
  for (const [role, contact] of Object.entries(CONTACTS)) {
    for (const [field, value] of Object.entries(contact)) {
      assert.equal(await page.locator(`#${role}_${field}`).inputValue(), value, `${role}_${field} is kept`);
    }
  }
}

/** `jane`, an authorized contact, opens a reset case on Support cases; returns its number. */
async function openResetCase(janePage, jane, { check = false } = {}) {
  await signIn(janePage, jane.name, jane.password);
  const janeNav = janePage.getByRole('navigation', { name: 'Account' });
  for (const name of ['Logins', 'Contacts']) {
    assert.equal(await janeNav.getByRole('link', { name, exact: true }).count(), 0, `no ${name} link for a secondary login`);
  }
  await followNav(janePage, 'Support cases', '/cases');
  assert.ok(await janePage.getByRole('heading', { level: 1, name: 'Support cases' }).isVisible());
  assert.equal(await janePage.getByTestId('no-cases').count(), 1, 'no cases yet');
  const reset = janePage.getByRole('radio', { name: TEXT.resetTitle, exact: true });
  assert.equal(await reset.getAttribute('value'), 'reset');
  await reset.check();
  await janePage.getByLabel('Description', { exact: true }).fill(DESCRIPTION);
  if (check) {
    await screenshot(janePage, 'support-cases');
    await checkAccessibility(janePage, 'Support cases');
  }

  assert.equal(await submitTo(janePage, '/cases', janePage.getByRole('button', { name: 'Open case', exact: true })), 303);
  await janePage.waitForURL(/\/cases\/\d+\?notice=case-opened$/);
  const caseNumber = Number(new URL(janePage.url()).pathname.split('/').pop());
  assert.ok(Number.isInteger(caseNumber) && caseNumber > 0, `case number from ${janePage.url()}`);
  await assertNotice(janePage, TEXT.caseOpened);
  assert.ok(await janePage.getByRole('heading', { level: 1, name: `Case ${caseNumber}: ${TEXT.resetTitle}` }).isVisible());
  assert.equal(await caseStatus(janePage), 'Open');
  return caseNumber;
}

// ---------------------------------------------------------------------------------------------
// The user story

story('1. the primary saves its key and the contacts on record; jane.doe opens a reset case', async ({ open }) => {
  const JANE = JANES[0];
  const { page, primary } = await signedInAccount(open, JANE);
  await saveKeyAndContacts(page);
  const jane = await open();
  const caseNumber = await openResetCase(jane, JANE, { check: true });

  // The primary sees the account's case too.
  await followNav(page, 'Support cases', '/cases');
  const rows = await tableRows(page.getByTestId('cases-table'));
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.deepEqual(rows[0].slice(0, 4), [String(caseNumber), TEXT.resetTitle, 'Open', JANE.name]);

  // The staff console is separate: a customer's session does not open it.
  for (const customer of [page, jane]) {
    for (const where of ['/staff', `/staff/cases/${caseNumber}`]) {
      await customer.goto(`${baseUrl}${where}`);
      assert.equal(pathOf(customer), '/staff/login', `a customer's session does not open ${where} (got ${customer.url()})`);
    }
  }
  await page.goto(`${baseUrl}/profile`);
  await assertSignedInAs(page, primary);
});

story('2. support verifies by call-back, refuses the secondary login; the temporary password forces a change', async ({ open }) => {
  const JANE = JANES[1];
  const { page, primary } = await signedInAccount(open, JANE);
  await saveKeyAndContacts(page);
  const caseNumber = await openResetCase(await open(), JANE);
  const staff = await open();
  await staffSignIn(staff);

  // The queue lists the reset case.
  const queue = await tableRows(staff.getByTestId('queue'));
  const row = queue.find((cells) => cells[0] === String(caseNumber));
  assert.ok(row, `case ${caseNumber} is in the queue: ${JSON.stringify(queue)}`);
  assert.deepEqual(row.slice(1, 6), ['Acme Ltd', `Reset ${TEXT.resetTitle}`, 'portal', 'Open', JANE.name],
    'account, title (with the Reset badge), channel, status, opener');
  await staff.getByTestId('queue').getByRole('link', { name: String(caseNumber), exact: true }).click();
  await staff.waitForURL(`${baseUrl}/staff/cases/${caseNumber}`);
  assert.ok(await staff.getByRole('heading', { level: 1, name: `Case ${caseNumber}: ${TEXT.resetTitle}` }).isVisible());
  assert.equal(await caseStatus(staff), 'Open');
  assert.ok((await textOf(staff.locator('main'))).includes(DESCRIPTION), 'the description is shown');

  // The contacts on record, as the primary saved them.
  const contacts = await tableRows(staff.getByTestId('contacts'));
  assert.deepEqual(contacts, [
    ['Primary contact', CONTACTS.primary.name, CONTACTS.primary.phone, CONTACTS.primary.email],
    ['Secondary contact', CONTACTS.secondary.name, CONTACTS.secondary.phone, CONTACTS.secondary.email],
  ]);
  assert.ok((await textOf(staff.getByRole('region', { name: 'Send temporary password' }))).includes(PRIMARY_EMAIL),
    'the send section names the primary login\'s address');
  const options = (await staff.locator('#login option').allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(options, [`${primary} (primary)`, `${JANE.name} (secondary)`]);
  await screenshot(staff, 'staff-case');
  await checkAccessibility(staff, 'staff case page');

  // A verified call-back to the primary contact.
  await staff.locator('input[name="contact"][value="primary"]').check();
  await staff.locator('input[name="outcome"][value="verified"]').check();
  await staff.getByLabel('Notes', { exact: true }).fill(CALL_NOTES);
  assert.equal(await submitTo(staff, `/staff/cases/${caseNumber}/verify`,
    staff.getByRole('button', { name: 'Record verification', exact: true })), 303);
  await staff.waitForURL(`${baseUrl}/staff/cases/${caseNumber}?notice=verification-recorded`);
  await assertNotice(staff, TEXT.verificationRecorded);
  const [call, ...moreCalls] = await tableRows(staff.getByTestId('verifications'));
  assert.deepEqual(moreCalls, []);
  assert.ok(call[1].includes(CONTACTS.primary.name), `the call names the primary contact: ${call}`);
  assert.deepEqual(call.slice(2), [CONTACTS.primary.phone, 'Verified', ALICE.username, CALL_NOTES]);
  assert.equal(await staff.getByTestId('blocker').count(), 0, 'nothing blocks sending any more');

  // The secondary login is refused, and nothing changes.
  assert.equal(await sendTemporaryPassword(staff, caseNumber, JANE.name), 403);
  const [refusal, ...moreErrors] = await errorTexts(staff);
  assert.deepEqual(moreErrors, []);
  assert.ok(refusal.startsWith(TEXT.secondaryRefused), `the refusal says "${TEXT.secondaryRefused}": ${refusal}`);
  assert.ok(refusal.includes(primary), `the refusal names the administrator ${primary}: ${refusal}`);
  assert.equal(await caseStatus(staff), 'Open', 'the case is still open');
  assert.equal(await staff.getByTestId('thread').locator('li[data-kind="temporary_password"]').count(), 0);
  await staff.goto(`${baseUrl}/staff/cases/${caseNumber}`);
  assert.equal(await caseStatus(staff), 'Open', 'the case is still open after a reload');

  // The primary login.
  assert.equal(await staff.locator('#login').inputValue(), primary, 'the primary login is chosen first');
  assert.equal(await sendTemporaryPassword(staff, caseNumber, primary), 303);
  await staff.waitForURL(`${baseUrl}/staff/cases/${caseNumber}?notice=temporary-sent`);
  await assertNotice(staff, TEXT.temporarySent);
  assert.equal(await caseStatus(staff), 'Awaiting customer');
  const sent = staff.getByTestId('thread').locator('li[data-kind="temporary_password"]');
  assert.equal(await sent.count(), 1, 'the thread records the sending');
  assert.ok((await textOf(sent)).includes(primary), await textOf(sent));

  // jane.doe sees the new status.
  const jane = await open();
  await signIn(jane, JANE.name, JANE.password);
  await jane.goto(`${baseUrl}/cases/${caseNumber}`);
  assert.equal(await caseStatus(jane), 'Awaiting customer');

  // The primary reads the encrypted email; only its private key opens it.
  const temporary = await decryptedSignInMail(page, primary);
  await staff.reload();
  const staffView = await staff.locator('body').innerText();
  assert.ok(!staffView.includes(temporary), 'the agent never sees the temporary password');

  // Signing in with it leads to Set a new password, and nowhere else.
  const fresh = await open();
  await fresh.goto(`${baseUrl}/login`);
  assert.equal(await submitSignIn(fresh, primary, temporary), 303);
  await fresh.waitForURL(`${baseUrl}/password/new`);
  assert.ok(await fresh.getByRole('heading', { level: 1, name: 'Set a new password' }).isVisible());
  const nav = fresh.getByRole('navigation', { name: 'Account' });
  assert.equal(await textOf(nav.getByText('Signed in as')), `Signed in as ${primary}`);
  assert.equal(await fresh.getByTestId('my-profile').count(), 0, 'no My Profile link');
  assert.equal(await fresh.getByTestId('support-cases').count(), 0, 'no Support cases link');
  assert.equal(await fresh.getByRole('link', { name: /cancel/i }).count(), 0, 'no Cancel link');
  assert.equal(await fresh.getByRole('button', { name: /cancel/i }).count(), 0, 'no Cancel button');
  for (const elsewhere of ['/profile', '/cases', '/account/contacts', '/profile/password']) {
    await fresh.goto(`${baseUrl}${elsewhere}`);
    assert.equal(pathOf(fresh), '/password/new', `${elsewhere} redirects to /password/new (got ${fresh.url()})`);
  }
  const newPassword = fresh.getByLabel('Enter new password', { exact: true });
  const confirm = fresh.getByLabel('Confirm new password', { exact: true });
  const saveAndExit = fresh.getByRole('button', { name: 'Save and Exit', exact: true });
  for (const field of [newPassword, confirm]) assert.equal(await field.getAttribute('type'), 'password');
  await screenshot(fresh, 'forced-change');
  await checkAccessibility(fresh, 'Set a new password');

  // The previous password is in the history.
  await newPassword.fill(PRIMARY_PASSWORD);
  await confirm.fill(PRIMARY_PASSWORD);
  assert.equal(await submitTo(fresh, '/password/new', saveAndExit), 400);
  const errors = await errorTexts(fresh);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^Do not reuse/);

  await newPassword.fill(CHOSEN_PASSWORD);
  await confirm.fill(CHOSEN_PASSWORD);
  assert.equal(await submitTo(fresh, '/password/new', saveAndExit), 303);
  await fresh.waitForURL(`${baseUrl}/login?notice=password-set`);
  assert.ok(await fresh.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  await assertNotice(fresh, TEXT.passwordSet);

  // Every session of the login ended, the main browser's too.
  await page.goto(`${baseUrl}/profile`);
  assert.equal(new URL(page.url()).pathname, '/login', `the main browser was signed out (got ${page.url()})`);

  // The temporary password is spent; the new one signs in.
  await page.goto(`${baseUrl}/login`);
  assert.equal(await submitSignIn(page, primary, temporary), 401);
  assert.equal(await textOf(page.getByRole('alert')), TEXT.signInFailed);
  assert.equal(await submitSignIn(page, primary, CHOSEN_PASSWORD), 303);
  await page.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(page, primary);
}, { timeout: 60_000 });
