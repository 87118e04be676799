-- The audit chain is sealed with a key derived from the secret key file. The head row gets the
-- HMAC that vouches for it; NULL until the start that applies this migration vouches for a new
-- chain's head or appends an anchor entry over an older, unkeyed chain (later: `audit anchor`).
ALTER TABLE audit_head ADD COLUMN mac TEXT;
