//! argon2id hashing, always off the async executor.

use crate::error::{AppError, AppResult};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

fn hasher(m_cost: u32) -> AppResult<Argon2<'static>> {
    let params = Params::new(m_cost, 2, 1, None)
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes on the blocking pool.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn hash(password: String, m_cost: u32) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password, m_cost))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("hash task: {e}")))?
}

pub fn hash_blocking(password: &str, m_cost: u32) -> AppResult<String> {
    hasher(m_cost)?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Verifies on the blocking pool. `None` (no such account) still spends the time of one
/// verification, so response times do not reveal which e-mails are registered.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify(password: String, stored: Option<String>, m_cost: u32) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let h = hasher(m_cost)?;
        match stored {
            Some(s) => {
                let parsed = PasswordHash::new(&s)
                    .map_err(|e| AppError::internal(anyhow::anyhow!("stored hash: {e}")))?;
                Ok(h.verify_password(password.as_bytes(), &parsed).is_ok())
            }
            None => {
                let _ = h.hash_password(password.as_bytes());
                Ok(false)
            }
        }
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("verify task: {e}")))?
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_then_verify() {
        let h = super::hash_blocking("correct horse battery", 1024).unwrap();
        assert!(h.starts_with("$argon2id$"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert!(
            rt.block_on(super::verify(
                "correct horse battery".into(),
                Some(h.clone()),
                1024
            ))
            .unwrap()
        );
        assert!(
            !rt.block_on(super::verify("wrong horse battery".into(), Some(h), 1024))
                .unwrap()
        );
    }
}
