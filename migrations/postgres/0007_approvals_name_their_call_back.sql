-- Four-eyes: an approval names the call-back it approves and is used up by the sending it
-- allowed, so that a later call-back (even in the same second) needs a new approval.
-- Approvals recorded before this migration name no call-back and allow nothing.
ALTER TABLE case_approvals ADD COLUMN verification_id TEXT REFERENCES case_verifications (id) ON DELETE CASCADE;
ALTER TABLE case_approvals ADD COLUMN used_at BIGINT;
