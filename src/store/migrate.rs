//! Migrations, with the checks that must pass before a version is applied. A check that fails
//! stops the start and names the rows to fix by hand; nobody's data is changed silently.

use super::StoreError;
use crate::domain::{LoginKind, LoginName};

/// From this version on, login names are plain ASCII (letters, digits, `. _ - @`) and no
/// secondary login looks like a primary one; names stored before must already be so.
pub(super) const ASCII_NAMES: i64 = 5;

/// The version that keys the audit chain's head. Only the start that applies it may put an
/// older, unkeyed chain under the key without being asked: later, a head without an HMAC means
/// the log was replaced (see `ChainOpening`).
pub(super) const KEYED_AUDIT_HEAD: i64 = 8;

/// `(id, kind, name)` of every login, in the order the error lists them.
pub(super) const STORED_NAMES: &str = "SELECT id, kind, name FROM logins ORDER BY name, id";

/// Refuses when a stored name is not what the ASCII rule would accept, listing each one.
pub(super) fn refuse_look_alike_names(rows: &[(String, String, String)]) -> Result<(), StoreError> {
    let bad: Vec<String> = rows
        .iter()
        .filter(|(_, kind, name)| LoginKind::parse(kind).is_none_or(|kind| !LoginName::is_canonical(name, kind)))
        .map(|(id, kind, name)| format!("'{name}' (written {}, {kind}, id {id})", escaped(name)))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(StoreError::Corrupt(format!(
        "version {ASCII_NAMES} requires login names of plain ASCII letters, digits and . _ - @, and no secondary \
         login shaped like a primary one (3 letters, 4 digits). Rename these logins, then start again: {}",
        bad.join("; ")
    )))
}

/// The name with every non-ASCII character as `\u{…}`, so that look-alikes show.
fn escaped(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii() { c.to_string() } else { format!("\\u{{{:04x}}}", u32::from(c)) }).collect()
}

/// Runs the migrations in `$dir` on `$pool`: up to the version before the ASCII-name rule,
/// then (while that rule is not yet applied) the check of the stored names, then the rest.
/// Yields whether this run applied the version that keys the audit chain's head.
macro_rules! migrate_checked {
    ($pool:expr, $dir:literal) => {{
        use $crate::store::migrate::{ASCII_NAMES, KEYED_AUDIT_HEAD, STORED_NAMES, refuse_look_alike_names};
        let migrator = sqlx::migrate!($dir);
        migrator.run_to(ASCII_NAMES - 1, $pool).await.map_err($crate::store::StoreError::Migration)?;
        if !$crate::store::migrate::applied!($pool, ASCII_NAMES) {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as(STORED_NAMES).fetch_all($pool).await.map_err($crate::store::sql::unavailable)?;
            refuse_look_alike_names(&rows)?;
        }
        let keys_the_head = !$crate::store::migrate::applied!($pool, KEYED_AUDIT_HEAD);
        migrator.run($pool).await.map_err($crate::store::StoreError::Migration)?;
        Ok::<bool, $crate::store::StoreError>(keys_the_head)
    }};
}

/// Whether migration `$version` has been applied (the migrations table must exist).
macro_rules! applied {
    ($pool:expr, $version:expr) => {{
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version = $1")
            .bind($version)
            .fetch_one($pool)
            .await
            .map_err($crate::store::sql::unavailable)?;
        count > 0
    }};
}

/// For commands that only read: refuses a database whose schema is not this version's, rather
/// than migrating it.
macro_rules! schema_current {
    ($pool:expr, $dir:literal) => {{
        let latest = sqlx::migrate!($dir).iter().map(|m| m.version).max().unwrap_or(0);
        let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one($pool)
            .await
            .map_err($crate::store::sql::unavailable)?;
        match current == Some(latest) {
            true => Ok(()),
            false => Err($crate::store::StoreError::Corrupt(format!(
                "the database schema is at version {} but this portcullis needs {latest}; \
                 run `portcullis migrate` (or start the portal) first",
                current.unwrap_or(0)
            ))),
        }
    }};
}

pub(super) use {applied, migrate_checked, schema_current};

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, name: &str) -> (String, String, String) {
        ("id-1".into(), kind.into(), name.into())
    }

    #[test]
    fn canonical_names_pass_and_look_alikes_are_listed_escaped() {
        assert!(refuse_look_alike_names(&[row("primary", "ABC1234"), row("secondary", "jane.doe")]).is_ok());
        let refused = refuse_look_alike_names(&[row("secondary", "jane.а"), row("secondary", "FJP８９０８")]);
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("'jane.а' (written jane.\\u{0430}, secondary, id id-1)"), "{message}");
        assert!(message.contains("FJP\\u{ff18}"), "{message}");
    }
}
