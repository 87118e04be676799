//! `portcullis backup` and `portcullis restore`: an online copy of a SQLite database, and putting
//! one back in place while the portal is stopped. PostgreSQL has its own tools (pg_dump); the
//! command says how instead of pretending.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use super::{CliError, Settings, fail};
use crate::clock::SystemClock;
use crate::config::Backend;
use crate::service::{BuildError, Portal};
use crate::store::maintenance::{self, ExclusiveUse, MaintenanceError};
use crate::telemetry::error_chain;

const PG_DUMP_RECIPE: &str = "on PostgreSQL, back up with pg_dump while the portal runs (one consistent snapshot):\n  \
     pg_dump --format=custom --no-owner --file=portcullis-$(date +%F).dump \"$DATABASE_URL\"\n\
     and restore into an empty database with the portal stopped:\n  \
     pg_restore --no-owner --exit-on-error --dbname=\"$DATABASE_URL\" portcullis-DATE.dump\n\
     (see docs/operations.md, \"Backups\"). Keep a copy of secrets.key_file apart from the dumps.";

/// How long restore waits for its own check's connections to the copy to close.
const SETTLE_WAIT: StdDuration = StdDuration::from_secs(5);

pub(super) async fn backup(settings: &Settings, to: &Path) -> Result<(), CliError> {
    if settings.database.url.backend() == Backend::Postgres {
        return Err(fail(format!("portcullis backup copies SQLite databases only; {PG_DUMP_RECIPE}")));
    }
    let bytes = maintenance::copy_live(&settings.database, to).await.map_err(|e| fail(error_chain(&e)))?;
    println!("backed up the database to {} ({bytes} bytes, readable by its owner only)", to.display());
    println!(
        "the secret key ({}) is not in the backup: keep a copy of it, apart from the backups; \
         restoring needs it",
        settings.secrets.key_file.display()
    );
    Ok(())
}

pub(super) async fn restore(settings: &Settings, from: &Path) -> Result<(), CliError> {
    if settings.database.url.backend() == Backend::Postgres {
        return Err(fail(format!("portcullis restore puts back SQLite databases only; {PG_DUMP_RECIPE}")));
    }
    if !from.is_file() {
        return Err(fail(format!("--from {}: no such file", from.display())));
    }
    let live = maintenance::sqlite_path(&settings.database.url).map_err(|e| fail(error_chain(&e)))?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let staging = sibling(&live, &format!("restoring-{stamp}-{}", std::process::id()));
    let made_dir = ensure_parent(&live)?;
    // The copy is checked before the live database is touched at all: a refused file changes
    // nothing there, not even its journal mode.
    let outcome = match stage(settings, from, &staging).await {
        Ok(entries) => swap(&staging, &live, stamp).await.map(|aside| (entries, aside)),
        Err(error) => Err(error),
    };
    if outcome.is_err() {
        remove_with_journals(&staging);
        if let Some(dir) = made_dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
    let (entries, aside) = outcome?;
    println!("restored {} to {}: the audit log is intact ({entries} entries verified)", from.display(), live.display());
    match aside {
        Some(aside) => println!("the database it replaced is kept at {}", aside.display()),
        None => println!("there was no database there before"),
    }
    Ok(())
}

/// Creates the database's folder when missing; yields it then, so a refused restore can take it
/// away again.
fn ensure_parent(live: &Path) -> Result<Option<PathBuf>, CliError> {
    let Some(parent) = live.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) else {
        return Ok(None);
    };
    std::fs::create_dir_all(parent).map_err(|e| fail(format!("{}: {e}", parent.display())))?;
    Ok(Some(parent.to_path_buf()))
}

/// With the database to itself (refused while anything has it open), puts the checked copy in
/// place. Yields where the replaced file is kept.
async fn swap(staging: &Path, live: &Path, stamp: i64) -> Result<Option<PathBuf>, CliError> {
    let lock = ExclusiveUse::take(live).await.map_err(|e| fail(error_chain(&e)))?;
    let swapped = put_in_place(staging, live, stamp);
    lock.release().await;
    swapped
}

/// One rename puts the copy in place; the old file keeps a second name beside it, so it stays
/// whole whatever happens.
fn put_in_place(staging: &Path, live: &Path, stamp: i64) -> Result<Option<PathBuf>, CliError> {
    let aside = live.exists().then(|| sibling(live, &format!("before-restore-{stamp}")));
    if let Some(aside) = &aside {
        std::fs::hard_link(live, aside).map_err(|e| fail(format!("cannot keep {} aside: {e}", live.display())))?;
    }
    if let Err(e) = std::fs::rename(staging, live) {
        if let Some(aside) = &aside {
            let _ = std::fs::remove_file(aside);
        }
        return Err(fail(format!("cannot move the copy to {}: {e}", live.display())));
    }
    if let Some(dir) = live.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(aside)
}

/// The copy at `staging`, checked: SQLite's integrity check, this version's schema, and the
/// audit chain verified with the secret key. Yields the number of entries verified.
async fn stage(settings: &Settings, from: &Path, staging: &Path) -> Result<i64, CliError> {
    let mut file = maintenance::create_private(staging).map_err(|e| fail(error_chain(&e)))?;
    let mut source = std::fs::File::open(from).map_err(|e| fail(format!("{}: {e}", from.display())))?;
    std::io::copy(&mut source, &mut file).map_err(|e| fail(format!("cannot copy {}: {e}", from.display())))?;
    file.sync_all().map_err(|e| fail(format!("{}: {e}", staging.display())))?;
    maintenance::check_candidate(staging).await.map_err(|e| fail(describe(&e, from, staging)))?;
    let entries = verify_audit(settings, staging).await?;
    maintenance::settle(staging, SETTLE_WAIT).await.map_err(|e| fail(error_chain(&e)))?;
    Ok(entries)
}

/// The copy's audit log, checked with this installation's key: a backup of another installation,
/// or one whose log was tampered with, is refused.
async fn verify_audit(settings: &Settings, staging: &Path) -> Result<i64, CliError> {
    let mut copy = settings.clone();
    copy.database.url = format!("sqlite://{}", staging.display()).parse().map_err(fail)?;
    let portal = Portal::build_read_only(&copy, Arc::new(SystemClock)).await.map_err(|e| match e {
        BuildError::SecretKey(e) => fail(format!("restore needs the secret key file (secrets.key_file): {e}")),
        other => fail(error_chain(&other)),
    })?;
    let verified = portal.verify_audit(None).await;
    drop(portal);
    let verified = verified.map_err(|e| fail(format!("the backup's audit log does not verify with this key: {e}")))?;
    Ok(verified.entries)
}

/// Error messages name the file the operator gave, not the copy made of it.
fn describe(error: &MaintenanceError, from: &Path, staging: &Path) -> String {
    error_chain(error).replace(&staging.display().to_string(), &from.display().to_string())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

fn remove_with_journals(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}
