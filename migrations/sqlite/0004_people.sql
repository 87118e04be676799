-- Accounts and people: contacts on record, temporary passwords, restricted sessions, support
-- cases with their thread and call-back verifications, and staff sessions.
-- Times are Unix seconds (UTC). PostgreSQL's 0004 has the same meaning.

-- The account's primary and secondary contact, as support calls them back.
CREATE TABLE account_contacts (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('primary', 'secondary')),
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    email       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, role)
);

-- A system-generated password, used once. Only its SHA-256 (bound to the login) is stored:
-- it carries over 90 random bits, so a fast digest is as safe as a slow hash here and keeps
-- sign-in to one Argon2 verification. issued_by: the actor, for the "contact …" message.
CREATE TABLE temporary_passwords (
    id          TEXT PRIMARY KEY,
    login_id    TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    digest      TEXT NOT NULL,
    issued_by   TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    voided_at   INTEGER
);
CREATE INDEX temporary_passwords_login ON temporary_passwords (login_id);

-- A session started with a temporary password may only set a new password.
ALTER TABLE sessions ADD COLUMN restricted BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE staff ADD COLUMN failed_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN last_failed_at INTEGER;
ALTER TABLE staff ADD COLUMN locked_until INTEGER;

-- Staff sessions are separate from customer sessions: another table, another cookie.
CREATE TABLE staff_sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    staff_id      TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    source_ip     TEXT,
    user_agent    TEXT
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE case_numbers (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    last  INTEGER NOT NULL
);
INSERT INTO case_numbers (id, last) VALUES (1, 1000);

-- opened_by_*: the login that asked (kept by name when the login is later deleted);
-- recorded_by: the staff member who recorded an email or phone case.
CREATE TABLE support_cases (
    id                 TEXT PRIMARY KEY,
    number             INTEGER NOT NULL UNIQUE,
    account_id         TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('general', 'primary_reset')),
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    channel            TEXT NOT NULL CHECK (channel IN ('portal', 'email', 'phone')),
    status             TEXT NOT NULL CHECK (status IN ('open', 'awaiting_customer', 'resolved', 'closed')),
    opened_by_login_id TEXT REFERENCES logins (id) ON DELETE SET NULL,
    opened_by_name     TEXT NOT NULL,
    recorded_by        TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX support_cases_account ON support_cases (account_id, number);
CREATE INDEX support_cases_status ON support_cases (status, updated_at);

-- The case's thread: comments from both sides and the record of what was done.
CREATE TABLE case_entries (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES support_cases (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL,
    customer_visible BOOLEAN NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX case_entries_case ON case_entries (case_id, created_at, id);

-- A call-back to a contact on record. The phone number is copied from the record at the time.
-- used_at: a temporary password was sent on the strength of it; the next one needs a new call-back.
CREATE TABLE case_verifications (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES support_cases (id) ON DELETE CASCADE,
    contact_role  TEXT NOT NULL CHECK (contact_role IN ('primary', 'secondary')),
    contact_name  TEXT NOT NULL,
    phone         TEXT NOT NULL,
    method        TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('verified', 'not_verified')),
    notes         TEXT NOT NULL,
    staff         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX case_verifications_case ON case_verifications (case_id, created_at);

-- Four-eyes: a second agent's approval of sending a temporary password on a case.
CREATE TABLE case_approvals (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES support_cases (id) ON DELETE CASCADE,
    staff       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX case_approvals_case ON case_approvals (case_id, created_at);
