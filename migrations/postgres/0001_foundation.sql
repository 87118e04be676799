-- Accounts, logins, sessions, staff and the audit log.
-- Times are Unix seconds (UTC); ids are UUIDv7 text. SQLite's 0001 has the same meaning.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
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
    password_changed_at BIGINT,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    failed_count        BIGINT NOT NULL DEFAULT 0,
    last_failed_at      BIGINT,
    locked_until        BIGINT,
    created_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX logins_one_primary_per_account ON logins (account_id) WHERE kind = 'primary';

-- Previous password hashes; pruned to the policy's depth.
CREATE TABLE password_history (
    id            BIGSERIAL PRIMARY KEY,
    login_id      TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    retired_at    BIGINT NOT NULL
);
CREATE INDEX password_history_login ON password_history (login_id, id);

-- Only the SHA-256 of a session's cookie value is stored.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    login_id      TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
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
    created_at    BIGINT NOT NULL
);

-- Failed sign-ins per source address in a fixed window.
CREATE TABLE address_failures (
    address       TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    failures      BIGINT NOT NULL
);

-- Append-only, hash-chained. audit_head holds the last seq and hash so that deleting the
-- newest rows is detected too; its row lock also serialises writers of the chain.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
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
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
