-- Device cookies: a browser that signed in to a login holds a signed cookie for it, and its
-- failed sign-ins count here, against that cookie alone, not against the login. Only the
-- SHA-256 of the cookie's nonce is stored; the signing key never is. A cookie whose budget is
-- spent is locked (locked_at set) and then counts as no cookie at all.
-- Times are Unix seconds (UTC). The other backend's 0006 has the same meaning.
CREATE TABLE device_failures (
    nonce_hash  TEXT PRIMARY KEY,
    login_id    TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    failures    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    locked_at   INTEGER
);
CREATE INDEX device_failures_login ON device_failures (login_id);
