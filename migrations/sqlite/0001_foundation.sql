-- Accounts, logins, sessions, staff and the audit log.
-- Times are Unix seconds (UTC); ids are UUIDv7 text. PostgreSQL's 0001 has the same meaning.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE logins (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    kind                TEXT NOT NULL CHECK (kind IN ('primary', 'secondary')),
    name                TEXT NOT NULL,
    -- lower-cased name: login names are unique whatever their case
    name_key            TEXT NOT NULL UNIQUE,
    email               TEXT NOT NULL,
    phone               TEXT,
    authorized_contact  BOOLEAN NOT NULL DEFAULT FALSE,
    -- Argon2id PHC string; NULL until a password is set
    password_hash       TEXT,
    password_changed_at INTEGER,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    failed_count        INTEGER NOT NULL DEFAULT 0,
    last_failed_at      INTEGER,
    locked_until        INTEGER,
    created_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX logins_one_primary_per_account ON logins (account_id) WHERE kind = 'primary';

-- Previous password hashes, newest first by retired_at; pruned to the policy's depth.
CREATE TABLE password_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login_id      TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    retired_at    INTEGER NOT NULL
);
CREATE INDEX password_history_login ON password_history (login_id, id);

-- Only the SHA-256 of a session's cookie value is stored.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    login_id      TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    source_ip     TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_login ON sessions (login_id);

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('support', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL
);

-- Failed sign-ins per source address in a fixed window.
CREATE TABLE address_failures (
    address       TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    failures      INTEGER NOT NULL
);

-- Append-only, hash-chained. audit_head holds the last seq and hash so that deleting the
-- newest rows is detected too.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    subject    TEXT,
    source_ip  TEXT,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
