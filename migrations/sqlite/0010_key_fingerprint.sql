-- Every instance sharing this database must hold the same secret key file: data sealed by one
-- must open on the others. The first start that proves its key (the audit chain's head vouches
-- for it) stores the key's fingerprint here, a keyed derivation from which the key cannot be
-- recovered; a later start with another key is refused. One row at most. The other backend's
-- 0010 has the same meaning.
CREATE TABLE key_fingerprint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
