-- Self-service recovery: security answers, recovery tickets, pauses, and request counters.
-- Times are Unix seconds (UTC). The other backend's 0003 has the same meaning.

-- Answers are Argon2id hashes of their normal form; the question is kept as it was asked.
CREATE TABLE security_answers (
    login_id     TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    question     TEXT NOT NULL,
    answer_hash  TEXT NOT NULL,
    PRIMARY KEY (login_id, position)
);

-- One emailed link. Only the SHA-256 of its token is stored. questions: the positions asked
-- (JSON), chosen when the ticket was made. A ticket is used once (used_at), or voided by a
-- newer ticket, a password change or too many wrong answers (voided_at).
CREATE TABLE recovery_tickets (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    login_id     TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    questions    TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    answered_at  INTEGER,
    used_at      INTEGER,
    voided_at    INTEGER,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX recovery_tickets_login ON recovery_tickets (login_id);

-- Recovery for a login is paused after its answers were wrong too often.
CREATE TABLE recovery_pauses (
    login_id  TEXT PRIMARY KEY REFERENCES logins (id) ON DELETE CASCADE,
    until     INTEGER NOT NULL
);

-- Fixed-window counters for anti-automation limits, by key (e.g. "recover-address:192.0.2.1").
CREATE TABLE rate_counters (
    key           TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL
);
