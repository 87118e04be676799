-- Mail: the outbox, recipients' encryption keys, and secure-pickup messages.
-- Times are Unix seconds (UTC). The other backend's 0002 has the same meaning.

-- Every message is written here in the transaction of the change that causes it, then
-- delivered by a worker. payload is the typed message, sealed with the installation's key.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    login_id        TEXT REFERENCES logins (id) ON DELETE SET NULL,
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    -- queued → sent; or abandoned (gave up), failed_encryption (never sent in clear)
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'abandoned', 'failed_encryption')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- a worker's lease: another worker may take the message only after it has passed
    claimed_until   BIGINT,
    last_error      TEXT,
    encryption      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_throttle ON mail_outbox (recipient, kind, created_at);

-- One encryption key per login: an OpenPGP public key or an S/MIME certificate.
CREATE TABLE recipient_keys (
    login_id     TEXT PRIMARY KEY REFERENCES logins (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('openpgp', 'smime')),
    material     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    expires_at   BIGINT,
    created_at   BIGINT NOT NULL
);

-- Content sealed under a key derived from a one-time passcode and the installation's key.
CREATE TABLE secure_messages (
    id          TEXT PRIMARY KEY,
    login_id    TEXT REFERENCES logins (id) ON DELETE CASCADE,
    sealed      TEXT NOT NULL,
    salt        TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
