//! Passwords: argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1,
//! argon2's defaults), a minimum length and a strength check (zxcvbn, whose
//! dictionaries hold the most common passwords).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Hashes a password to a PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

/// [`hash`] on the blocking pool, as every request handler must call it
/// (argon2 takes tens of milliseconds: never on an async worker).
pub async fn hash_blocking(password: String) -> Result<String, crate::error::AppError> {
    Ok(tokio::task::spawn_blocking(move || hash(&password)).await?)
}

/// [`verify`] on the blocking pool.
pub async fn verify_blocking(password: String, stored: Option<String>) -> Result<bool, crate::error::AppError> {
    Ok(tokio::task::spawn_blocking(move || verify(&password, stored.as_deref())).await?)
}

/// A hash to verify against when the account does not exist, so that
/// answering takes as long either way.
static DUMMY: LazyLock<String> = LazyLock::new(|| hash("luneo-dummy-password-for-timing"));

/// Whether `password` matches `stored`; `None` (no such account) still costs one verification.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let target = stored.unwrap_or(DUMMY.as_str());
    let ok = PasswordHash::new(target)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false);
    ok && stored.is_some()
}

/// Checks a new password; returns the catalogue key of the problem.
pub fn check_policy(password: &str, user_inputs: &[&str]) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err("auth.error.password_short");
    }
    if chars > MAX_LENGTH {
        return Err("auth.error.password_long");
    }
    let score: u8 = zxcvbn::zxcvbn(password, user_inputs).score().into();
    if score < 2 {
        return Err("auth.error.password_common");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery staple");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", Some(&h)));
        assert!(!verify("wrong", Some(&h)));
        assert!(!verify("correct horse battery staple", None));
    }

    #[test]
    fn common_and_short_passwords_are_refused() {
        assert_eq!(check_policy("short", &[]), Err("auth.error.password_short"));
        assert_eq!(check_policy("password123", &[]), Err("auth.error.password_common"));
        assert_eq!(check_policy("qwertyuiop", &[]), Err("auth.error.password_common"));
        assert_eq!(
            check_policy("alicemartin2026", &["Alice Martin", "alicemartin2026"]),
            Err("auth.error.password_common")
        );
        assert!(check_policy("violet-harbour-91-teapot", &[]).is_ok());
    }
}
