//! Backups of a SQLite installation while it runs, and restoring one into an empty data
//! directory. A backup is one ZIP file: a consistent copy of the database taken with SQLite's
//! `VACUUM INTO` (a snapshot of one read transaction: every commit before it, none after), the
//! uploaded certificates, and the session key. PostgreSQL installations back up with `pg_dump`
//! (the README gives the recipe) and copy the same two things.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use diesel::{Connection, RunQueryDsl, SqliteConnection};
use serde::Serialize;

use crate::config::Settings;
use crate::store::{Backend, sqlite_path};

/// What a backup or restore did.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The backup file.
    pub file: String,
    /// Bytes of the database copy.
    pub database_bytes: u64,
    /// Certificate files copied.
    pub certificates: usize,
    /// Whether the session key was included / restored.
    pub session_key: bool,
}

const DB_ENTRY: &str = "palpate.db";
const KEY_ENTRY: &str = "session.key";
const CERT_DIR: &str = "certificates";

fn sqlite_only(settings: &Settings) -> anyhow::Result<PathBuf> {
    if Backend::of(&settings.database_url) != Backend::Sqlite {
        anyhow::bail!(
            "this installation uses PostgreSQL: back it up with pg_dump and copy the data directory's \
             certificates folder and session key (see the README, \"Backups\")"
        );
    }
    Ok(PathBuf::from(sqlite_path(&settings.database_url)))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Writes a backup of the running installation to `to` (which must not exist yet).
pub fn backup(settings: &Settings, to: &Path) -> anyhow::Result<Report> {
    let db_path = sqlite_only(settings)?;
    if to.exists() {
        anyhow::bail!("{} already exists; choose a new file name", to.display());
    }
    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let snapshot = parent.join(format!(".palpate-backup-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&snapshot);
    {
        let mut c = SqliteConnection::establish(&db_path.to_string_lossy())
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", db_path.display()))?;
        diesel::sql_query("PRAGMA busy_timeout = 10000").execute(&mut c)?;
        let target = snapshot.to_string_lossy().replace('\'', "''");
        diesel::sql_query(format!("VACUUM INTO '{target}'"))
            .execute(&mut c)
            .map_err(|e| anyhow::anyhow!("cannot copy the database: {e}"))?;
    }
    let result = (|| -> anyhow::Result<Report> {
        let file = std::fs::File::create(to)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", to.display()))?;
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        let copy = |zip: &mut zip::ZipWriter<std::fs::File>,
                    name: String,
                    from: &Path|
         -> anyhow::Result<u64> {
            zip.start_file(name, options)?;
            let mut f = std::fs::File::open(from)?;
            Ok(std::io::copy(&mut f, zip)?)
        };
        let database_bytes = copy(&mut zip, DB_ENTRY.into(), &snapshot)?;
        let cert_root = settings.data_dir.join(CERT_DIR);
        let certs = files_under(&cert_root);
        for p in &certs {
            let rel = p.strip_prefix(&settings.data_dir).unwrap_or(p);
            copy(&mut zip, rel.to_string_lossy().replace('\\', "/"), p)?;
        }
        let key = settings.data_dir.join(KEY_ENTRY);
        let session_key = key.is_file();
        if session_key {
            copy(&mut zip, KEY_ENTRY.into(), &key)?;
        }
        zip.finish()?.sync_all()?;
        Ok(Report {
            file: to.display().to_string(),
            database_bytes,
            certificates: certs.len(),
            session_key,
        })
    })();
    let _ = std::fs::remove_file(&snapshot);
    if result.is_err() {
        let _ = std::fs::remove_file(to);
    }
    result
}

/// Fills an empty data directory from a backup: the database (at the configured SQLite path),
/// the certificates and the session key. Refuses when a database is already there.
pub fn restore(settings: &Settings, from: &Path) -> anyhow::Result<Report> {
    let db_path = sqlite_only(settings)?;
    if db_path.exists() {
        anyhow::bail!(
            "{} already exists: restore into an empty data directory",
            db_path.display()
        );
    }
    let file = std::fs::File::open(from)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", from.display()))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| anyhow::anyhow!("{} is not a Palpate backup: {e}", from.display()))?;
    if zip.by_name(DB_ENTRY).is_err() {
        anyhow::bail!(
            "{} is not a Palpate backup (no database in it)",
            from.display()
        );
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut report = Report {
        file: from.display().to_string(),
        database_bytes: 0,
        certificates: 0,
        session_key: false,
    };
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        // Only names inside the archive's own tree (no `..`, no absolute paths).
        let Some(name) = entry.enclosed_name() else {
            continue;
        };
        let target = if name == Path::new(DB_ENTRY) {
            db_path.clone()
        } else if name == Path::new(KEY_ENTRY) || name.starts_with(CERT_DIR) {
            settings.data_dir.join(&name)
        } else {
            continue;
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::fs::File::create(&target)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            let n = entry.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
            written += n as u64;
        }
        out.sync_all()?;
        if target == db_path {
            report.database_bytes = written;
        } else if name == Path::new(KEY_ENTRY) {
            report.session_key = true;
        } else {
            report.certificates += 1;
        }
    }
    Ok(report)
}
