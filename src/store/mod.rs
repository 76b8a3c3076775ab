//! The store: every SQL statement of Palpate lives under this module.
//!
//! One [`DbConn`] enum wraps a PostgreSQL or SQLite connection, chosen by the URL scheme. The pool is
//! r2d2 (blocking); callers run store functions inside `web::block` / `spawn_blocking`.

pub mod accounts;
pub mod attempts;
pub mod bank;
pub mod calibration;
pub mod ce;
pub mod classes;
pub mod courses;
pub mod directory;
pub mod exams;
pub mod group;
pub mod imports;
pub mod outbox;
pub mod outcomes;
pub mod programs;
pub mod schema;
pub mod study;

use diesel::prelude::*;
use diesel::r2d2::{self, ConnectionManager, CustomizeConnection, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Arbitrary constant identifying Palpate's migration lock among PostgreSQL advisory locks.
const MIGRATION_LOCK_ID: i64 = 0x0050_414C_5041_5445; // "PALPATE"

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which backend a database URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Turns `sqlite://path` (or a bare path) into what SQLite's opener expects.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// A connection manager that picks the backend from the URL scheme instead of trying each in turn.
pub struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let conn = match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConn::Pg),
            Backend::Sqlite => {
                SqliteConnection::establish(sqlite_path(&self.url)).map(DbConn::Sqlite)
            }
        };
        conn.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection given back while its thread panics may be inside a transaction: discard it
    /// (closing a SQLite connection rolls back; PostgreSQL ends the session) rather than hand
    /// a half-finished transaction to the next request.
    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        std::thread::panicking()
    }
}

/// Per-connection settings for SQLite (busy timeout, foreign keys, durability); nothing for
/// PostgreSQL.
#[derive(Debug)]
struct ConnectionSetup {
    synchronous_full: bool,
}

impl CustomizeConnection<DbConn, r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            for pragma in [
                "PRAGMA busy_timeout = 5000",
                "PRAGMA foreign_keys = ON",
                // FULL: an acknowledged answer survives a power cut, not only a crash (README).
                if self.synchronous_full {
                    "PRAGMA synchronous = FULL"
                } else {
                    "PRAGMA synchronous = NORMAL"
                },
                // After a checkpoint resets the log, keep at most 16 MB of it on disk.
                "PRAGMA journal_size_limit = 16777216",
                // Checkpoints normally run in the background (jobs::checkpoint); this is the
                // fallback if the log grows anyway.
                "PRAGMA wal_autocheckpoint = 10000",
            ] {
                diesel::sql_query(pragma)
                    .execute(c)
                    .map_err(r2d2::Error::QueryError)?;
            }
        }
        Ok(())
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

// Keep the unused-import lint quiet: ConnectionManager is the diesel default we deliberately replace.
#[allow(dead_code)]
type _DieselDefault = ConnectionManager<DbConn>;

/// SQLite: a passive checkpoint (copy what it can of the write-ahead log into the database file
/// without waiting for anyone). Nothing to do on PostgreSQL.
pub fn checkpoint(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(c) = conn {
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").execute(c)?;
    }
    Ok(())
}

/// Builds the pool. For SQLite, creates the parent folder and switches the file to WAL once.
pub fn connect(url: &str, max_size: u32) -> anyhow::Result<Pool> {
    connect_with(url, max_size, true)
}

/// [`connect`] with SQLite's durability chosen (`synchronous = FULL` or `NORMAL`).
pub fn connect_with(url: &str, max_size: u32, synchronous_full: bool) -> anyhow::Result<Pool> {
    let backend = Backend::of(url);
    if backend == Backend::Sqlite {
        let path = sqlite_path(url);
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                anyhow::anyhow!(
                    "cannot create the database folder {}: {e}",
                    parent.display()
                )
            })?;
        }
        let mut c = SqliteConnection::establish(path)
            .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {path}: {e}"))?;
        diesel::sql_query("PRAGMA journal_mode = WAL").execute(&mut c)?;
    }
    let manager = Manager {
        url: url.to_string(),
        backend,
    };
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        // A pooled PostgreSQL connection may have been cut by the server, so it is checked with
        // `SELECT 1` when taken. A SQLite connection is a file handle in this process and cannot
        // go stale; checking it cost a statement compile and run per checkout, four per answer.
        .test_on_check_out(backend == Backend::Postgres)
        .connection_customizer(Box::new(ConnectionSetup { synchronous_full }))
        .build(manager)
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    Ok(pool)
}

/// Runs `f` as the one instance doing start-up work (migrations, the first bank import): on
/// PostgreSQL under an advisory lock; on SQLite under an exclusive lock on a file beside the
/// database (SQLite's own locks do not cover the migration harness's read-then-write). Instances
/// starting together take turns, and the later ones find the work done.
pub fn with_startup_lock<T>(
    url: &str,
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let _file_lock = match conn {
        DbConn::Sqlite(_) => Some(FileLock::acquire(&format!(
            "{}.startup-lock",
            sqlite_path(url)
        ))?),
        DbConn::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))
                .execute(c)?;
            None
        }
    };
    let result = f(conn);
    if let DbConn::Pg(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")).execute(c)?;
    }
    result
}

/// An exclusive advisory lock on a file (`flock`), released when dropped.
struct FileLock(std::fs::File);

impl FileLock {
    fn acquire(path: &str) -> anyhow::Result<FileLock> {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open the start-up lock {path}: {e}"))?;
        // SAFETY: a valid open file descriptor; flock blocks until the lock is ours.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            anyhow::bail!("cannot lock {path}: {}", std::io::Error::last_os_error());
        }
        Ok(FileLock(file))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: the descriptor is still open (closing it would release the lock as well).
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

/// Runs pending migrations under the start-up lock.
pub fn migrate(url: &str, conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    with_startup_lock(url, conn, migrate_unlocked)
}

/// Runs pending migrations; the caller holds the start-up lock.
pub fn migrate_unlocked(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
            .iter()
            .map(|v| v.to_string())
            .collect(),
        DbConn::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|vs| vs.iter().map(|v| v.to_string()).collect::<Vec<_>>())
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?,
    };
    Ok(applied)
}

/// A write for the readiness probe: one row replaced in its own transaction (fails when the disk is
/// full, the file read-only, or the database refuses writes).
pub fn write_probe(conn: &mut DbConn, now: time::PrimitiveDateTime) -> QueryResult<()> {
    write_tx(conn, |c| {
        diesel::sql_query("DELETE FROM readiness_probe").execute(c)?;
        diesel::sql_query("INSERT INTO readiness_probe (id, checked_at) VALUES (1, $1)")
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .execute(c)?;
        Ok(())
    })
}

/// Free bytes on the file system holding `path` (`None` where it cannot be asked).
pub fn free_disk_bytes(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized out-parameter.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (rc == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

/// The SQLite write-ahead log's size in bytes (0 when there is none, or on PostgreSQL).
pub fn wal_bytes(url: &str) -> u64 {
    if Backend::of(url) != Backend::Sqlite {
        return 0;
    }
    std::fs::metadata(format!("{}-wal", sqlite_path(url)))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// SQLite: copy the whole log into the database and truncate it (waits briefly for readers).
pub fn checkpoint_truncate(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(c) = conn {
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(c)?;
    }
    Ok(())
}

/// `SELECT 1` for the readiness probe.
pub fn ping(conn: &mut DbConn) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (so a read-then-write never fails
/// with SQLITE_BUSY), a normal transaction on PostgreSQL.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(_) => {
            // immediate_transaction is only on SqliteConnection, but `f` needs the enum; issue the
            // statements on the enum through diesel's transaction manager instead.
            diesel::sql_query("BEGIN IMMEDIATE").execute(conn)?;
            match f(conn) {
                Ok(v) => match diesel::sql_query("COMMIT").execute(conn) {
                    Ok(_) => Ok(v),
                    Err(e) => {
                        let _ = diesel::sql_query("ROLLBACK").execute(conn);
                        Err(e.into())
                    }
                },
                Err(e) => {
                    let _ = diesel::sql_query("ROLLBACK").execute(conn);
                    Err(e)
                }
            }
        }
        DbConn::Pg(_) => conn.transaction(f),
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`, so that they match themselves.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
