-- The audit chain is sealed with a key derived from the secret key file. The head row gets the
-- HMAC that vouches for it; NULL until the first start with the key, which vouches for a new
-- chain's head or appends an anchor entry over an older, unkeyed chain.
ALTER TABLE audit_head ADD COLUMN mac TEXT;
