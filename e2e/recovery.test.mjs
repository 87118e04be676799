// End-to-end test of Portcullis' self-service password recovery in headless Chromium.
//
// Starts its own `portcullis serve` (file mail transport, so the dev mailbox at /dev/mailbox
// exists; "Enter your username" answers after 200 ms instead of 1 s) with a fresh SQLite
// database in a temp dir; each test creates its own account (and secondary login) with the CLI
// and sets up its own questions. The story, in the knowledge-base article's words: My Profile → Set up security
// questions; sign out; Having trouble logging in? → Reset your password → Enter your username;
// the emailed link (read from the dev mailbox) leads to two of the questions, then to a new
// password under the usual policy, and the reset ends every session. Three wrong answers burn a
// secondary login's link and show the guidance, and the burned link is no longer valid (410).
// axe-core checks Having trouble logging in?, Enter your username, the security questions set-up
// page, the questions page and the new-password page.
//
// Run: cd e2e && npm ci && node --test recovery.test.mjs
// Env: PORTCULLIS_BIN (default ../target/debug/portcullis), KEEP_TMP=1 keeps the temp dir.

import assert from 'node:assert/strict';

import {
  TEXT as SHARED_TEXT, assertNotice, assertSignedInAs, baseUrl, checkAccessibility, createAccount, errorTexts,
  cli, createSecondary, eventually, openMailboxMessage, openMyProfile, pathOf, screenshot, signIn, story, submitSignIn,
  submitTo, textOf, usePortal, waitForMail,
} from './helpers.mjs';

const INITIAL_PASSWORD = 'Initial#Pass1';
const RECOVERED_PASSWORD = 'Recovered#Pass2';
const PRIMARY_EMAIL = 'it@acme.example';
const QUESTIONS_EMAIL = 'questions@acme.example';
const JANE = { name: 'jane.doe', email: 'jane@acme.example', password: 'Jane#Pass1' };

// The questions each login chooses, in the order of the form's fieldsets, with their answers.
const PRIMARY_ANSWERS = [
  { question: 'What was the name of your first pet?', answer: 'Rex', typed: '  rEX ' },
  { question: 'In what city were you born?', answer: 'Paris', typed: '  PARIS ' },
  { question: 'What was the name of your first school?', answer: 'Hillside Primary', typed: 'hillside    PRIMARY' },
];
const JANE_ANSWERS = [
  { question: 'What was the make of your first car?', answer: 'Volvo' },
  { question: 'What was your childhood nickname?', answer: 'Janie' },
  { question: 'In what town was your first job?', answer: 'Leeds' },
];

const TEXT = {
  ...SHARED_TEXT,
  questionsSaved: 'Your security questions were saved.',
  signedOut: 'You have signed out.',
  sent: 'An email has been sent to the address registered to that login',
  subject: 'Customer Portal: reset your password',
  passwordReset: 'Your password was reset and every session of your login has ended. Sign in with your new password.',
  tooShort: 'Use at least 8 characters.',
  wrongAnswers: (remaining) =>
    `The answers are not correct. ${remaining} more attempt${remaining === 1 ? '' : 's'} with this link.`,
  primaryDetails: 'with your primary login details',
  administrator: 'not in the format of 3 letters followed by 4 digits (e.g. ZZZ9999)',
  invalidLink: 'This link is not valid',
};

// "Enter your username" answers after PORTCULLIS_RECOVERY__RESPONSE_MS.
const RESPONSE_MS = 200;

// ---------------------------------------------------------------------------------------------
// Helpers

/** A new account with the address `email`; returns its primary login name, e.g. ABC1234. */
function newAccount(email) {
  return createAccount(cli, { email, password: INITIAL_PASSWORD });
}

/** My Profile → Set up security questions: chooses and answers `choices`, saves. */
async function setUpQuestions(page, choices, password, { check = false } = {}) {
  await openMyProfile(page);
  const section = page.getByRole('region', { name: 'Security questions' });
  assert.ok(await section.getByRole('heading', { level: 2, name: 'Security questions' }).isVisible());
  assert.equal(await section.getByTestId('no-questions').count(), 1, 'the "no questions" paragraph is shown');
  assert.equal(await section.getByTestId('questions').count(), 0, 'no questions are listed yet');
  await section.getByRole('link', { name: 'Set up security questions', exact: true }).click();
  await page.waitForURL(`${baseUrl}/profile/questions`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Security questions' }).isVisible());

  for (const [i, { question, answer }] of choices.entries()) {
    const n = i + 1;
    const fieldset = page.getByRole('group', { name: `Question ${n}`, exact: true });
    assert.equal(await fieldset.count(), 1, `fieldset "Question ${n}"`);
    const select = fieldset.getByLabel('Question', { exact: true });
    const input = fieldset.getByLabel(`Answer ${n}`, { exact: true });
    assert.equal(await select.getAttribute('id'), `question_${n}`);
    assert.equal(await input.getAttribute('id'), `answer_${n}`);
    if (check) {
      const options = (await select.locator('option').allInnerTexts()).map((t) => t.trim());
      for (const { question: q } of choices) assert.ok(options.includes(q), `question ${n} offers "${q}"`);
    }
    await select.selectOption({ label: question });
    await input.fill(answer);
  }
  await page.getByLabel('Enter existing password', { exact: true }).fill(password);
  if (check) {
    await screenshot(page, 'security-questions');
    await checkAccessibility(page, 'security questions set-up page');
  }
  assert.equal(await submitTo(page, '/profile/questions', page.getByRole('button', { name: 'Save', exact: true })), 303);
  await page.waitForURL(`${baseUrl}/profile?notice=questions-saved`);
  await assertNotice(page, TEXT.questionsSaved);

  const listed = (await section.getByTestId('questions').locator('li').allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(listed, choices.map((c) => c.question), 'My Profile lists the three questions');
  assert.equal(await section.getByTestId('no-questions').count(), 0);
  const profileText = await page.locator('body').innerText();
  for (const { answer } of choices) {
    assert.ok(!profileText.toLowerCase().includes(answer.toLowerCase()), `My Profile never shows the answer "${answer}"`);
  }
}

async function signOut(page) {
  await page.getByRole('navigation', { name: 'Account' }).getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(`${baseUrl}/login?notice=signed-out`);
  await assertNotice(page, TEXT.signedOut);
}

/**
 * Sign-in page → Having trouble logging in? → Reset your password → Enter your username → Next;
 * expects the "email has been sent" box. `check` runs axe on both pages.
 */
async function requestReset(page, username, { check = false } = {}) {
  await page.goto(`${baseUrl}/login`);
  await page.getByRole('link', { name: 'Having trouble logging in?', exact: true }).click();
  await page.waitForURL(`${baseUrl}/help`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Having trouble logging in?' }).isVisible());
  const reset = page.getByRole('radio', { name: 'Reset your password', exact: true });
  assert.ok(await reset.isChecked(), '"Reset your password" is chosen');
  if (check) await checkAccessibility(page, 'Having trouble logging in?');

  await page.getByRole('button', { name: 'Next', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/recover');
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Reset your password' }).isVisible());
  const field = page.getByLabel('Enter your username', { exact: true });
  assert.ok(await field.isVisible());
  if (check) await checkAccessibility(page, 'Enter your username');

  await field.fill(username);
  const started = Date.now();
  assert.equal(await submitTo(page, '/recover', page.getByRole('button', { name: 'Next', exact: true })), 200);
  assert.ok(Date.now() - started >= RESPONSE_MS - 20, `the answer takes the fixed ${RESPONSE_MS} ms`);
  const sent = page.getByTestId('recovery-sent');
  assert.equal(await sent.getAttribute('role'), 'status');
  assert.ok((await textOf(sent)).includes(TEXT.sent), `the status box says "${TEXT.sent}": ${await textOf(sent)}`);
}

/**
 * Opens the dev mailbox until the reset email to `to` is listed, opens it and returns the
 * recovery link from its text part.
 */
async function emailedLink(page, to) {
  const [row] = await waitForMail(page, { subject: TEXT.subject, to });
  await openMailboxMessage(page, row);
  const text = await page.getByTestId('text-part').innerText();
  const links = text.match(/https?:\/\/\S+\/recover\/\S+/g) ?? [];
  assert.equal(links.length, 1, `the text part holds one recovery link:\n${text}`);
  const [link] = links;
  assert.ok(link.startsWith(`${baseUrl}/recover/`), `the link is on the server's public URL ${baseUrl}: ${link}`);
  assert.match(link.slice(`${baseUrl}/recover/`.length), /^[A-Za-z0-9_-]{20,}$/, `the link ends in a token: ${link}`);
  return link;
}

/** Opens the emailed link; expects the questions page at /recover/answer without the token. */
async function openLink(page, link, login) {
  const response = await page.goto(link);
  assert.equal(response.status(), 200);
  assert.ok(page.url().endsWith('/recover/answer'), `the link redirects to /recover/answer: ${page.url()}`);
  assert.ok(!page.url().includes(link.split('/').pop()), 'the token left the address bar');
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Answer your security questions' }).isVisible());
  assert.ok((await textOf(page.locator('.lead'))).includes(login), `the page names the login ${login}`);
}

/** The two questions asked, as the labels of answer_1 and answer_2. */
async function askedQuestions(page) {
  const asked = [];
  for (const n of [1, 2]) {
    asked.push(await textOf(page.locator(`label[for="answer_${n}"]`)));
  }
  return asked;
}

async function submitAnswers(page, answers) {
  await page.locator('#answer_1').fill(answers[0]);
  await page.locator('#answer_2').fill(answers[1]);
  return submitTo(page, '/recover/answer', page.getByRole('button', { name: 'Next', exact: true }));
}

async function ruleState(page, code) {
  const item = page.locator(`#policy-rules li[data-rule="${code}"]`);
  assert.equal(await item.count(), 1, `policy rule ${code} is listed`);
  return item.evaluate((li) => (li.classList.contains('met') ? 'met' : li.classList.contains('broken') ? 'broken' : 'unmet'));
}

/** On the new-password page: the policy's rules, refusals, then RECOVERED_PASSWORD. */
async function newPasswordUnderThePolicy(page, primary) {
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Reset your password' }).isVisible());
  assert.ok((await textOf(page.locator('.lead'))).includes(primary), `the page names the login ${primary}`);
  const fresh = page.getByLabel('Enter new password', { exact: true });
  const confirm = page.getByLabel('Confirm new password', { exact: true });
  const saveAndExit = page.getByRole('button', { name: 'Save and Exit', exact: true });
  for (const field of [fresh, confirm]) assert.equal(await field.getAttribute('type'), 'password');
  const codes = await page.locator('#policy-rules li[data-rule]').evaluateAll((items) => items.map((li) => li.dataset.rule));
  for (const code of ['too_short', 'missing_upper', 'missing_lower', 'missing_digit', 'missing_symbol', 'contains_login_name', 'in_history']) {
    assert.ok(codes.includes(code), `policy rule ${code} is listed (listed: ${codes.join(', ')})`);
  }
  await fresh.pressSequentially('abc');
  await eventually(async () => {
    assert.equal(await ruleState(page, 'missing_lower'), 'met');
    assert.equal(await ruleState(page, 'too_short'), 'unmet');
  });
  await screenshot(page, 'recovery-new-password');
  await checkAccessibility(page, 'Reset your password (new password)');

  // A weak password is refused with the rule's message.
  await fresh.fill('Ab1!');
  await confirm.fill('Ab1!');
  assert.equal(await submitTo(page, '/recover/password', saveAndExit), 400);
  assert.deepEqual(await errorTexts(page), [TEXT.tooShort]);
  assert.equal(await ruleState(page, 'too_short'), 'broken', 'the broken rule is marked in the list');
  assert.equal(pathOf(page), '/recover/password');

  // The current password is in the history.
  await fresh.fill(INITIAL_PASSWORD);
  await confirm.fill(INITIAL_PASSWORD);
  assert.equal(await submitTo(page, '/recover/password', saveAndExit), 400);
  const errors = await errorTexts(page);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /^Do not reuse/);
  assert.equal(await ruleState(page, 'in_history'), 'broken');

  // Now a good one.
  await fresh.fill(RECOVERED_PASSWORD);
  await confirm.fill(RECOVERED_PASSWORD);
  await eventually(async () => assert.equal(await textOf(page.locator('#confirm-status')), 'The passwords match.'));
  await saveAndExit.click();
  await page.waitForURL(`${baseUrl}/login?notice=password-reset`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible());
  assert.equal(await page.getByTestId('notice').getAttribute('role'), 'status');
  assert.equal(await textOf(page.getByTestId('notice')), TEXT.passwordReset);
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

usePortal({
  serverLog: 'recovery-server.log',
  ownFiles: ['security-questions.png', 'recovery-questions.png', 'recovery-new-password.png'],
  serverEnv: { PORTCULLIS_RECOVERY__RESPONSE_MS: String(RESPONSE_MS) },
});

// ---------------------------------------------------------------------------------------------
// The user story

story('1. My Profile → Set up security questions: three questions saved, the answers never shown', async ({ open }) => {
  const primary = await newAccount(QUESTIONS_EMAIL);
  const page = await open();
  await signIn(page, primary, INITIAL_PASSWORD);
  await setUpQuestions(page, PRIMARY_ANSWERS, INITIAL_PASSWORD, { check: true });
  await signOut(page);
});

story('2. Reset your password: the emailed link, two of the questions, then a new password that ends every session', async ({ open }) => {
  const primary = await newAccount(PRIMARY_EMAIL);
  const page = await open();
  await signIn(page, primary, INITIAL_PASSWORD);
  await setUpQuestions(page, PRIMARY_ANSWERS, INITIAL_PASSWORD);
  await signOut(page);

  // Having trouble logging in? → Reset your password → Enter your username sends an email.
  await requestReset(page, primary, { check: true });

  // The emailed link leads, without its token in the address bar, to two of the questions.
  const link = await emailedLink(page, PRIMARY_EMAIL);
  await openLink(page, link, primary);
  const asked = await askedQuestions(page);
  assert.notEqual(asked[0], asked[1], 'two different questions are asked');
  const typed = asked.map((question) => {
    const choice = PRIMARY_ANSWERS.find((c) => c.question === question);
    assert.ok(choice, `"${question}" is one of the questions set up`);
    return choice.typed; // case and spaces differ from the saved answer
  });
  await screenshot(page, 'recovery-questions');
  await checkAccessibility(page, 'Answer your security questions');
  assert.equal(await submitAnswers(page, typed), 303);
  assert.equal(pathOf(page), '/recover/answer');
  assert.ok(await page.getByLabel('Enter new password', { exact: true }).isVisible(), 'the new-password page follows');

  // Another browser signed in as the same login, to be signed out by the reset.
  const second = await open();
  await signIn(second, primary, INITIAL_PASSWORD);
  await newPasswordUnderThePolicy(page, primary);

  // The other browser was signed out.
  await second.goto(`${baseUrl}/profile`);
  assert.equal(new URL(second.url()).pathname, '/login', `the other browser was signed out (got ${second.url()})`);

  // The old password no longer works; the new one does.
  assert.equal(await submitSignIn(page, primary, INITIAL_PASSWORD), 401);
  assert.equal(await textOf(page.getByRole('alert')), TEXT.signInFailed);
  assert.equal(await submitSignIn(page, primary, RECOVERED_PASSWORD), 303);
  await page.waitForURL(`${baseUrl}/profile`);
  await assertSignedInAs(page, primary);
  await signOut(page);

  // The used link is not valid any more.
  const again = await page.goto(link);
  assert.equal(again.status(), 410);
  assert.ok(await page.getByRole('heading', { level: 1, name: TEXT.invalidLink }).isVisible());
}, { timeout: 60_000 });

story('3. jane.doe: three wrong answers burn the link, show the guidance for a secondary login, and the link then answers 410', async ({ open }) => {
  await createSecondary(cli, await newAccount('acme@acme.example'), JANE);
  const page = await open();
  await signIn(page, JANE.name, JANE.password);
  await setUpQuestions(page, JANE_ANSWERS, JANE.password);
  await signOut(page);

  await requestReset(page, JANE.name);
  const link = await emailedLink(page, JANE.email);
  await openLink(page, link, JANE.name);

  for (const remaining of [2, 1]) {
    assert.equal(await submitAnswers(page, ['Wrong one', 'Wrong two']), 400);
    assert.ok(await page.getByRole('heading', { level: 1, name: 'Answer your security questions' }).isVisible());
    assert.deepEqual(await errorTexts(page), [TEXT.wrongAnswers(remaining)]);
  }
  assert.equal(await submitAnswers(page, ['Wrong one', 'Wrong two']), 200);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Your password could not be reset' }).isVisible());
  assert.equal(await page.getByTestId('guidance').count(), 1, 'the guidance box is shown');
  assert.ok((await textOf(page.locator('main'))).includes(TEXT.primaryDetails), `the page says "${TEXT.primaryDetails}"`);
  const administrator = page.getByTestId('administrator-guidance');
  assert.equal(await administrator.count(), 1, 'the administrator guidance is shown for a secondary login');
  assert.ok((await textOf(administrator)).includes(TEXT.administrator), await textOf(administrator));

  // The burned link is no longer valid, in any browser.
  const other = await open();
  const response = await other.goto(link);
  assert.equal(response.status(), 410);
  assert.ok(await other.getByRole('heading', { level: 1, name: TEXT.invalidLink }).isVisible());
  assert.ok((await textOf(other.getByTestId('guidance'))).startsWith('This link is not valid any more'));
}, { timeout: 45_000 });
