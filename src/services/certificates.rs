//! Certificate files for CE activities: PDF, PNG or JPEG, at most 10 MB, recognised by their
//! content (never by the name or the browser's claim), stored under the data directory by their
//! SHA-256 so no part of a user-supplied name ever reaches the file system.

use crate::error::{AppError, AppResult};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file we accept, by their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

pub fn extension(mime: &str) -> &'static str {
    match mime {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    }
}

/// A display name safe for a Content-Disposition header and a ZIP entry: the last path component,
/// with anything but letters, digits, dot, dash, underscore and space replaced.
pub fn safe_name(raw: &str, mime: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut s: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    s = s.trim_matches(|c| c == '.' || c == ' ').to_string();
    if s.is_empty() {
        s = "certificate".into();
    }
    let ext = extension(mime);
    if !s.to_ascii_lowercase().ends_with(&format!(".{ext}")) {
        s = format!("{s}.{ext}");
    }
    s
}

/// Checks an upload and returns (sha256 hex, mime).
pub fn check(bytes: &[u8]) -> AppResult<(String, &'static str)> {
    if bytes.is_empty() {
        return Err(AppError::invalid("certificate", "The file is empty."));
    }
    if bytes.len() > MAX_BYTES {
        return Err(AppError::invalid(
            "certificate",
            "The file is larger than 10 MB. Upload a smaller scan or a PDF.",
        ));
    }
    let Some(mime) = sniff(bytes) else {
        return Err(AppError::invalid(
            "certificate",
            "Upload the certificate as a PDF, PNG or JPEG file; this file is none of those.",
        ));
    };
    Ok((hex::encode(Sha256::digest(bytes)), mime))
}

fn path_for(data_dir: &Path, sha: &str) -> AppResult<PathBuf> {
    if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::internal(anyhow::anyhow!(
            "bad certificate hash {sha:?}"
        )));
    }
    Ok(data_dir.join("certificates").join(&sha[..2]).join(sha))
}

/// Writes the file (once per content) and returns its hash and type.
pub fn store(data_dir: &Path, bytes: &[u8]) -> AppResult<(String, &'static str)> {
    let (sha, mime) = check(bytes)?;
    let path = path_for(data_dir, &sha)?;
    if !path.exists() {
        let dir = path
            .parent()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no parent")))?;
        std::fs::create_dir_all(dir).map_err(AppError::internal)?;
        let tmp = dir.join(format!(".{sha}.{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&tmp, bytes).map_err(AppError::internal)?;
        std::fs::rename(&tmp, &path).map_err(AppError::internal)?;
    }
    Ok((sha, mime))
}

/// Where a stored certificate lives (its SHA-256 is its name).
pub fn path(data_dir: &Path, sha: &str) -> AppResult<PathBuf> {
    path_for(data_dir, sha)
}

pub fn read(data_dir: &Path, sha: &str) -> AppResult<Vec<u8>> {
    let path = path_for(data_dir, sha)?;
    std::fs::read(&path).map_err(|e| AppError::internal(anyhow::anyhow!("certificate {sha}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert!(check(b"GIF89a").is_err());
        assert!(check(&vec![b'%'; MAX_BYTES + 1]).is_err());
    }

    #[test]
    fn names_never_carry_paths() {
        assert_eq!(
            safe_name("../../etc/passwd", "application/pdf"),
            "passwd.pdf"
        );
        assert_eq!(
            safe_name("C:\\Users\\me\\CPR card.JPG", "image/jpeg"),
            "CPR card.JPG"
        );
        assert_eq!(safe_name("..", "image/png"), "certificate.png");
        assert_eq!(
            safe_name("ethics\"; x=.pdf", "application/pdf"),
            "ethics__ x=.pdf".replace('=', "_")
        );
    }

    #[test]
    fn stored_by_hash_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (sha, mime) = store(dir.path(), b"%PDF-1.4 hello").unwrap();
        assert_eq!(mime, "application/pdf");
        assert_eq!(read(dir.path(), &sha).unwrap(), b"%PDF-1.4 hello");
        assert!(read(dir.path(), "../../etc/passwd").is_err());
    }
}
