//! The database file as the operator handles it: an online copy of a SQLite database, the checks
//! a file must pass before it may replace one, the lock that keeps a portal away meanwhile, and
//! whether the configured database answers at all.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration as StdDuration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteLockingMode};

use super::StoreError;
use super::migrate::schema_current;
use super::sql::unavailable;
use crate::config::{Backend, DatabaseSettings};

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("{0}: there is no database file here")]
    NoDatabase(PathBuf),
    #[error("{0} already exists; a backup never overwrites a file: name a new one")]
    Exists(PathBuf),
    #[error(
        "the database {0} is in use: stop every portal and command that uses it (e.g. systemctl stop portcullis), \
         then restore"
    )]
    InUse(PathBuf),
    #[error("{path}: {problem}")]
    File { path: PathBuf, problem: String },
    #[error("{path} is not a Portcullis database of this version: {problem}")]
    NotPortcullis { path: PathBuf, problem: String },
    #[error("{0}")]
    Store(#[from] StoreError),
}

fn file_error(path: &Path) -> impl Fn(std::io::Error) -> MaintenanceError + '_ {
    move |e| MaintenanceError::File { path: path.to_path_buf(), problem: e.to_string() }
}

/// The file a `sqlite://` URL names.
pub fn sqlite_path(url: &str) -> Result<PathBuf, MaintenanceError> {
    let options = SqliteConnectOptions::from_str(url).map_err(unavailable)?;
    Ok(options.get_filename().to_path_buf())
}

/// Writes one consistent snapshot of the live SQLite database to `to`, a new file readable by
/// its owner only, while the portal goes on writing: `VACUUM INTO` reads inside one read
/// transaction, which in WAL mode neither waits for writers nor holds them up. Yields the size.
pub async fn copy_live(db: &DatabaseSettings, to: &Path) -> Result<u64, MaintenanceError> {
    let live = sqlite_path(&db.url)?;
    if !live.is_file() {
        return Err(MaintenanceError::NoDatabase(live));
    }
    let options = SqliteConnectOptions::from_str(&db.url)
        .map_err(unavailable)?
        .create_if_missing(false)
        .busy_timeout(StdDuration::from_millis(db.lock_timeout_ms));
    let mut conn = options.connect().await.map_err(unavailable)?;
    portcullis_schema(&mut conn, &live).await?;
    let target = to.to_str().ok_or_else(|| MaintenanceError::File {
        path: to.to_path_buf(),
        problem: "the name must be valid UTF-8".into(),
    })?;
    // Created here, not by SQLite: `create_new` refuses an existing file without a race, and the
    // mode is the owner's alone from the first byte. VACUUM INTO accepts an empty file.
    let file = create_private(to)?;
    let copied = sqlx::query("VACUUM INTO ?").bind(target).execute(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    if let Err(error) = copied {
        let _ = std::fs::remove_file(to);
        return Err(unavailable(error).into());
    }
    file.sync_all().map_err(file_error(to))?;
    Ok(file.metadata().map_err(file_error(to))?.len())
}

/// A new file, readable and writable by its owner only; an existing one is refused.
pub fn create_private(path: &Path) -> Result<std::fs::File, MaintenanceError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => MaintenanceError::Exists(path.to_path_buf()),
        _ => file_error(path)(e),
    })
}

/// Refuses a file that is not a whole SQLite database with this version's schema.
async fn portcullis_schema(conn: &mut SqliteConnection, path: &Path) -> Result<(), MaintenanceError> {
    let not_ours = |problem: String| MaintenanceError::NotPortcullis { path: path.to_path_buf(), problem };
    let checked: Result<(), StoreError> = async { schema_current!(&mut *conn, "migrations/sqlite") }.await;
    checked.map_err(|e| not_ours(crate::telemetry::error_chain(&e)))
}

/// Checks a file meant to replace the database: SQLite's integrity check passes and the schema is
/// this version's. Opens it without changing its journal mode.
pub async fn check_candidate(path: &Path) -> Result<(), MaintenanceError> {
    let not_ours = |problem: String| MaintenanceError::NotPortcullis { path: path.to_path_buf(), problem };
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(false);
    let mut conn = options.connect().await.map_err(|e| not_ours(e.to_string()))?;
    let verdict: Result<String, sqlx::Error> =
        sqlx::query_scalar("PRAGMA integrity_check(1)").fetch_one(&mut conn).await;
    let checked = match verdict {
        Ok(ok) if ok == "ok" => portcullis_schema(&mut conn, path).await,
        Ok(problem) => Err(not_ours(format!("the integrity check found: {problem}"))),
        Err(error) => Err(not_ours(error.to_string())),
    };
    let _ = sqlx::Connection::close(conn).await;
    checked
}

/// Folds a database's write-ahead log into its main file and leaves it in rollback-journal
/// mode, so that the file alone is the whole database and can be moved. Waits up to
/// `wait` for connections still closing.
pub async fn settle(path: &Path, wait: StdDuration) -> Result<(), MaintenanceError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Delete)
        .busy_timeout(wait);
    let conn = options.connect().await.map_err(|e| in_use_or(path, e))?;
    sqlx::Connection::close(conn).await.map_err(unavailable)?;
    Ok(())
}

/// Keeps the live database locked until dropped, so no portal can open it while it is replaced.
pub struct ExclusiveUse {
    conn: Option<SqliteConnection>,
}

impl ExclusiveUse {
    /// Fails at once when anything has the database open: leaving WAL mode needs every other
    /// connection closed. The lock is kept (exclusive locking mode) and the file, its log
    /// folded in, is the whole database. A missing database needs no lock.
    pub async fn take(path: &Path) -> Result<Self, MaintenanceError> {
        if !path.exists() {
            return Ok(Self { conn: None });
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .locking_mode(SqliteLockingMode::Exclusive)
            .journal_mode(SqliteJournalMode::Delete)
            .busy_timeout(StdDuration::from_millis(500));
        let mut conn = options.connect().await.map_err(|e| in_use_or(path, e))?;
        sqlx::query("SELECT COUNT(*) FROM sqlite_master").execute(&mut conn).await.map_err(|e| in_use_or(path, e))?;
        Ok(Self { conn: Some(conn) })
    }

    pub async fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

fn in_use_or(path: &Path, error: sqlx::Error) -> MaintenanceError {
    let code = error.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with or without their extended codes.
    let busy = code.as_deref().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6));
    match busy {
        true => MaintenanceError::InUse(path.to_path_buf()),
        false => MaintenanceError::NotPortcullis { path: path.to_path_buf(), problem: error.to_string() },
    }
}

/// Whether the configured database answers a query within `within`, without creating,
/// migrating or changing anything.
pub async fn answers(db: &DatabaseSettings, within: StdDuration) -> Result<(), String> {
    let probe = async {
        match db.url.backend() {
            Backend::Sqlite => {
                let path = sqlite_path(&db.url).map_err(|e| e.to_string())?;
                if !path.is_file() {
                    return Err(format!(
                        "there is no database at {} yet; `portcullis migrate` creates it",
                        path.display()
                    ));
                }
                let options = SqliteConnectOptions::new().filename(&path).read_only(true);
                let mut conn = options.connect().await.map_err(|e| e.to_string())?;
                sqlx::query("SELECT 1").execute(&mut conn).await.map_err(|e| e.to_string())?;
                let _ = sqlx::Connection::close(conn).await;
            }
            Backend::Postgres => {
                let options = sqlx::postgres::PgConnectOptions::from_str(&db.url).map_err(|e| e.to_string())?;
                let mut conn = options.connect().await.map_err(|e| e.to_string())?;
                sqlx::query("SELECT 1").execute(&mut conn).await.map_err(|e| e.to_string())?;
                let _ = sqlx::Connection::close(conn).await;
            }
        }
        Ok(())
    };
    match tokio::time::timeout(within, probe).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", within.as_secs())),
    }
}
