-- A password typed again in a signed-in session (before a sensitive change) is judged by the
-- session, not by the login's sign-in lock: wrong ones count here, and a session that reaches
-- the lockout's free attempts is ended. The other backend's 0009 has the same meaning.
ALTER TABLE sessions ADD COLUMN failed_reentries INTEGER NOT NULL DEFAULT 0;
