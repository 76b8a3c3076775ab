//! Accounts: e-mail addresses, display names, passwords and roles, parsed rather than validated.

use rand::RngExt;
use sha2::{Digest, Sha256};
use std::fmt;

/// A normalised (trimmed, lower-case) e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter your email address.");
        }
        if s.len() > 254
            || s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        {
            return Err("Enter a valid email address, like name@example.com.");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err("Enter a valid email address, like name@example.com.");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err("Enter a valid email address, like name@example.com.");
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<PersonName, &'static str> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter your name.");
        }
        if s.chars().count() > 100 {
            return Err("Your name must be 100 characters or fewer.");
        }
        if s.chars().any(|c| c.is_control()) {
            return Err("Your name contains characters we cannot store.");
        }
        Ok(PersonName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 256;

/// A password that meets the policy (length only, as NIST SP 800-63B recommends).
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, String> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(format!("Use at most {MAX_PASSWORD_BYTES} characters."));
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a person may do. One person may hold several roles.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Student,
    Practitioner,
    Instructor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Student,
        Role::Practitioner,
        Role::Instructor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Practitioner => "practitioner",
            Role::Instructor => "instructor",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Student => "Student",
            Role::Practitioner => "Certified therapist",
            Role::Instructor => "Instructor",
            Role::Admin => "Administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `n` random bytes as lower-case hex (2n characters), from the OS-seeded thread RNG.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill(&mut bytes[..]);
    hex::encode(bytes)
}

/// SHA-256 of a secret token, hex-encoded. Tokens are stored only as this hash.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@@example.com",
            "ana@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn password_policy_is_length_based() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("correct horse").is_ok());
        assert!(NewPassword::parse(&"x".repeat(300)).is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("wizard"), None);
    }

    #[test]
    fn random_tokens_differ_and_hash_is_stable() {
        let a = random_hex(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32));
        assert_eq!(token_hash("abc"), token_hash("abc"));
        assert_ne!(token_hash("abc"), token_hash("abd"));
    }
}
