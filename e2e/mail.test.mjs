// End-to-end test of Portcullis' email encryption and the dev mailbox in headless Chromium.
//
// Starts its own `portcullis serve` (file mail transport, so the dev mailbox at /dev/mailbox
// exists) with a fresh SQLite database in a temp dir; gpg, in a throwaway GNUPGHOME, makes an
// OpenPGP key for each test's address (and one for another address), and each test creates its
// own account with the CLI. The story: My Profile → Email encryption refuses a wrong password and a
// key for another address and saves the right key; a password change then sends an
// OpenPGP-encrypted notice that the key's private half decrypts; after the key is removed, the
// next notice travels unencrypted with a text and an HTML part. axe-core checks My Profile (key
// shown) and the dev mailbox.
//
// Run: cd e2e && npm ci && node --test mail.test.mjs   (needs gpg on the PATH)
// Env: PORTCULLIS_BIN (default ../target/debug/portcullis), KEEP_TMP=1 keeps the temp dir.

import assert from 'node:assert/strict';

import {
  TEXT as SHARED_TEXT, assertNotice, assertSignedInAs, baseUrl, checkAccessibility, createAccount, errorTexts,
  cli, eventually, gnupgHome, openMailboxMessage, openMyProfile, pathOf, screenshot, signIn, story, submitTo, textOf,
  usePortal, waitForMail,
} from './helpers.mjs';

const PASSWORDS = ['Initial#Pass1', 'Changed#Pass2', 'Again#Pass3'];
// Each test's account has an address of its own, so that its notices are told apart.
const EMAILS = { refused: 'it@acme.example', encrypted: 'pgp@acme.example', removed: 'clear@acme.example' };
const OTHER_EMAIL = 'someone@elsewhere.example';

const TEXT = {
  ...SHARED_TEXT,
  keySaved: 'Your encryption key was saved. Sensitive email to you will be encrypted with it.',
  keyRemoved: 'Your encryption key was removed.',
  keyForOtherAddress: 'The key was not saved: the key is not for ',
  labelNew: 'Public key or certificate',
  labelReplace: 'Replace with another public key or certificate',
  labelRemove: 'Enter existing password to remove the key',
  subject: 'Customer Portal: your password was changed',
  openpgp: 'OpenPGP (PGP/MIME, RFC 3156)',
  clear: 'not encrypted',
};


// ---------------------------------------------------------------------------------------------
// Shared by the file's tests, changed by none

let gnupg; // the throwaway GnuPG home (helpers' gnupgHome)
const keys = {}; // { armored, fingerprint } by address (EMAILS and OTHER_EMAIL)

// ---------------------------------------------------------------------------------------------
// Helpers

const keyField = (page) => page.locator('#key_material');
const saveKey = (page) => page.getByRole('button', { name: 'Save key', exact: true });
const removeKey = (page) => page.getByRole('button', { name: 'Remove key', exact: true });

/** The Email encryption section of My Profile. */
function encryptionSection(page) {
  return page.getByRole('region', { name: 'Email encryption' });
}

/** Fills and submits the Save key form; returns the status of POST /profile/encryption. */
async function submitKey(page, material, existingPassword) {
  await keyField(page).fill(material);
  await page.getByLabel('Enter existing password', { exact: true }).fill(existingPassword);
  return submitTo(page, '/profile/encryption', saveKey(page));
}

async function submitRemoveKey(page, existingPassword) {
  await page.getByLabel(TEXT.labelRemove, { exact: true }).fill(existingPassword);
  return submitTo(page, '/profile/encryption/remove', removeKey(page));
}

async function assertNoKey(page) {
  const section = encryptionSection(page);
  assert.equal(await section.getByTestId('no-key').count(), 1, 'the "no key" paragraph is shown');
  assert.equal(await section.getByTestId('encryption-key').count(), 0, 'no key details are shown');
  assert.equal(await page.getByLabel(TEXT.labelNew, { exact: true }).count(), 1, `textarea labelled "${TEXT.labelNew}"`);
  assert.equal(await removeKey(page).count(), 0, 'no Remove key button without a key');
}

/** The key details shown on My Profile, as { Type: …, Fingerprint: …, … }. */
async function keyDetails(page) {
  const list = page.getByTestId('encryption-key');
  assert.equal(await list.count(), 1, 'the key details list is shown');
  const terms = (await list.locator('dt').allInnerTexts()).map((t) => t.trim());
  const values = (await list.locator('dd').allInnerTexts()).map((t) => t.trim());
  assert.equal(terms.length, values.length);
  return Object.fromEntries(terms.map((term, i) => [term, values[i]]));
}

/** Loads My Profile by its address (the dev mailbox pages have no account menu). */
async function gotoMyProfile(page) {
  await page.goto(`${baseUrl}/profile`);
  assert.equal(pathOf(page), '/profile', 'still signed in');
  assert.ok(await page.getByRole('heading', { level: 1, name: 'My Profile' }).isVisible());
}

/** A new account with the address `email`, and a browser signed in as its primary login. */
async function signedInPrimary(open, email) {
  const primary = await createAccount(cli, { email, password: PASSWORDS[0] });
  const page = await open();
  await signIn(page, primary, PASSWORDS[0]);
  return { page, primary };
}

/** My Profile → Email encryption: saves the login's own key. */
async function saveOwnKey(page, email, password) {
  await gotoMyProfile(page);
  assert.equal(await submitKey(page, keys[email].armored, password), 303);
  await page.waitForURL(`${baseUrl}/profile?notice=key-saved`);
  await assertNotice(page, TEXT.keySaved);
}

/** Create New Password from `from` to `to`, then sign in again with the new password. */
async function changePassword(page, primary, from, to) {
  await gotoMyProfile(page);
  await page.getByRole('link', { name: 'Create New Password', exact: true }).click();
  await page.waitForURL(`${baseUrl}/profile/password`);
  await page.getByLabel('Enter existing password', { exact: true }).fill(from);
  await page.getByLabel('Enter new password', { exact: true }).fill(to);
  await page.getByLabel('Confirm new password', { exact: true }).fill(to);
  await page.getByRole('button', { name: 'Save and Exit', exact: true }).click();
  await page.waitForURL(`${baseUrl}/login?notice=password-changed`);
  await assertNotice(page, TEXT.passwordChanged);
  await signIn(page, primary, to);
}

/**
 * Reloads the dev mailbox until `count` password-changed notices to `email` are listed;
 * returns them, newest first.
 */
async function waitForNotices(page, email, count) {
  return waitForMail(page, { subject: TEXT.subject, to: email, count });
}

/** Opens a message from the dev mailbox list by its subject link; checks the address. */
async function openMessage(page, row) {
  await openMailboxMessage(page, row);
  assert.ok(await page.getByRole('link', { name: '← Dev mailbox' }).isVisible());
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

usePortal({
  serverLog: 'mail-server.log',
  ownFiles: ['my-profile-key.png', 'dev-mailbox.png'],
  prepare: async () => {
    gnupg = await gnupgHome();
    for (const email of [...Object.values(EMAILS), OTHER_EMAIL]) keys[email] = await gnupg.makeKey('Acme IT', email);
  },
  cleanup: async () => {
    await gnupg?.remove();
  },
});

// ---------------------------------------------------------------------------------------------
// The user story

story('1. Email encryption: a wrong password and a key for another address are refused, the own key is saved', async ({ open }) => {
  const { page } = await signedInPrimary(open, EMAILS.refused);
  const [ownKey, otherKey, password] = [keys[EMAILS.refused], keys[OTHER_EMAIL], PASSWORDS[0]];
  await openMyProfile(page);

  const section = encryptionSection(page);
  assert.ok(await section.getByRole('heading', { level: 2, name: 'Email encryption' }).isVisible());
  await assertNoKey(page);
  assert.equal(await keyField(page).evaluate((el) => el.tagName), 'TEXTAREA');
  assert.equal(await keyField(page).getAttribute('name'), 'key_material');
  const existing = page.locator('#key_password');
  assert.equal(await existing.getAttribute('type'), 'password');
  assert.equal(await page.getByLabel('Enter existing password', { exact: true }).getAttribute('id'), 'key_password');

  // The right key with a wrong password.
  assert.equal(await submitKey(page, ownKey.armored, 'Wrong#Pass9'), 400);
  assert.equal(pathOf(page), '/profile/encryption');
  assert.deepEqual(await errorTexts(page), [TEXT.existingWrong]);
  await assertNoKey(page);

  // The right password with a key for another address.
  assert.equal(await submitKey(page, otherKey.armored, password), 400);
  const [error, ...more] = await errorTexts(page);
  assert.deepEqual(more, []);
  assert.ok(error.startsWith(TEXT.keyForOtherAddress), `error starts with "${TEXT.keyForOtherAddress}": ${error}`);
  await assertNoKey(page);

  // Now correctly.
  assert.equal(await submitKey(page, ownKey.armored, password), 303);
  await page.waitForURL(`${baseUrl}/profile?notice=key-saved`);
  await assertNotice(page, TEXT.keySaved);
  assert.equal(await section.getByTestId('no-key').count(), 0, 'the "no key" paragraph is gone');

  const details = await keyDetails(page);
  assert.deepEqual(Object.keys(details), ['Type', 'Fingerprint', 'Expires', 'Added']);
  assert.equal(details.Type, 'OpenPGP');
  const shown = await textOf(page.getByTestId('key-fingerprint'));
  assert.match(shown, /^[0-9A-F]{4}( [0-9A-F]{4})*$/, `fingerprint grouped by 4 in upper-case hex: ${shown}`);
  assert.equal(shown.replace(/ /g, ''), ownKey.fingerprint, "the fingerprint is gpg's");
  const year = new Date().getUTCFullYear();
  assert.match(details.Expires, new RegExp(`^(${year + 1}|${year + 2})-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`),
    `the key expires in a year: ${details.Expires}`);
  assert.match(details.Added, new RegExp(`^${year}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`), `added now: ${details.Added}`);

  // With a key on file the form offers to replace it, and a second form removes it.
  assert.equal(await page.getByLabel(TEXT.labelReplace, { exact: true }).count(), 1, `textarea labelled "${TEXT.labelReplace}"`);
  assert.equal(await page.getByLabel(TEXT.labelNew, { exact: true }).count(), 0);
  assert.ok(await page.getByLabel(TEXT.labelRemove, { exact: true }).isVisible());
  assert.ok(await removeKey(page).isVisible());

  await screenshot(page, 'my-profile-key');
  await checkAccessibility(page, 'My Profile with an encryption key');
});

story('2. a password change sends an OpenPGP-encrypted notice that the key opens', async ({ open }) => {
  const { page, primary } = await signedInPrimary(open, EMAILS.encrypted);
  await saveOwnKey(page, EMAILS.encrypted, PASSWORDS[0]);
  await changePassword(page, primary, PASSWORDS[0], PASSWORDS[1]);

  const [notice] = await waitForNotices(page, EMAILS.encrypted, 1);
  assert.equal(notice.encryption, TEXT.openpgp);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Dev mailbox' }).isVisible());
  await checkAccessibility(page, 'dev mailbox');

  await openMessage(page, notice);
  assert.equal(await textOf(page.getByTestId('encryption')), TEXT.openpgp);
  assert.equal(await page.getByTestId('text-part').count(), 0, 'no text part is shown for an encrypted message');
  assert.equal(await page.getByTitle('HTML part').count(), 0, 'no HTML part is shown for an encrypted message');
  const ciphertext = (await page.getByTestId('ciphertext').innerText()).trim();
  assert.match(ciphertext, /^-----BEGIN PGP MESSAGE-----\n[\s\S]+\n-----END PGP MESSAGE-----$/);
  const raw = await page.locator('details pre').textContent();
  assert.ok(!raw.includes('The password of your login'), 'the raw message does not carry the text in clear');

  const plaintext = await gnupg.gpg(['--decrypt'], `${ciphertext}\n`);
  assert.ok(plaintext.includes('The password of your login'), `decrypted text mentions the password change:\n${plaintext}`);
  assert.ok(plaintext.includes(primary), `decrypted text names the login ${primary}:\n${plaintext}`);
});

story('3. after the key is removed, the next notice travels unencrypted with a text and an HTML part', async ({ open }) => {
  const { page, primary } = await signedInPrimary(open, EMAILS.removed);
  const password = PASSWORDS[0];
  await saveOwnKey(page, EMAILS.removed, password);
  assert.equal((await keyDetails(page)).Type, 'OpenPGP', 'the key is on file');

  assert.equal(await submitRemoveKey(page, 'Wrong#Pass9'), 400);
  assert.deepEqual(await errorTexts(page), [TEXT.existingWrong]);
  assert.equal((await keyDetails(page)).Type, 'OpenPGP', 'a wrong password keeps the key');

  assert.equal(await submitRemoveKey(page, password), 303);
  await page.waitForURL(`${baseUrl}/profile?notice=key-removed`);
  await assertNotice(page, TEXT.keyRemoved);
  await assertSignedInAs(page, primary);
  await assertNoKey(page);

  await changePassword(page, primary, password, PASSWORDS[1]);
  const [latest] = await waitForNotices(page, EMAILS.removed, 1);
  assert.equal(latest.encryption, TEXT.clear);
  await screenshot(page, 'dev-mailbox');

  await openMessage(page, latest);
  assert.equal(await textOf(page.getByTestId('encryption')), TEXT.clear);
  assert.equal(await page.getByTestId('ciphertext').count(), 0, 'no ciphertext for a clear message');
  const text = await textOf(page.getByTestId('text-part'));
  assert.ok(text.includes('was changed'), `the text part says the password was changed: ${text}`);
  assert.ok(text.includes(primary), `the text part names the login ${primary}: ${text}`);
  const frame = page.getByTitle('HTML part', { exact: true });
  assert.equal(await frame.count(), 1, 'an iframe titled "HTML part"');
  assert.equal(await frame.evaluate((el) => el.tagName), 'IFRAME');
  await eventually(async () => {
    const html = await textOf(page.frameLocator('iframe[title="HTML part"]').locator('body'));
    assert.ok(html.includes('was changed'), `the HTML part says the password was changed: ${html}`);
  });
});
