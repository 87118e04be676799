-- Login names are plain ASCII letters, digits and . _ - @ (3 to 64 characters), so that no
-- name can pass for another by looking alike. The portal checks the stored names before this
-- runs and refuses to start, naming them, when any would break the rule.
CREATE TRIGGER logins_name_ascii_insert BEFORE INSERT ON logins
WHEN NEW.name GLOB '*[^A-Za-z0-9._@-]*' OR length(NEW.name) NOT BETWEEN 3 AND 64
BEGIN
    SELECT RAISE(ABORT, 'login names are ASCII letters, digits and . _ - @');
END;

CREATE TRIGGER logins_name_ascii_update BEFORE UPDATE OF name ON logins
WHEN NEW.name GLOB '*[^A-Za-z0-9._@-]*' OR length(NEW.name) NOT BETWEEN 3 AND 64
BEGIN
    SELECT RAISE(ABORT, 'login names are ASCII letters, digits and . _ - @');
END;
