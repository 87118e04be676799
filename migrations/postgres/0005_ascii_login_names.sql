-- Login names are plain ASCII letters, digits and . _ - @ (3 to 64 characters), so that no
-- name can pass for another by looking alike. The portal checks the stored names before this
-- runs and refuses to start, naming them, when any would break the rule.
ALTER TABLE logins ADD CONSTRAINT logins_name_ascii CHECK (name ~ '^[A-Za-z0-9._@-]{3,64}$');
