//! Two-factor authentication: TOTP (RFC 6238, SHA-1, 6 digits, 30 s, one
//! step of skew) through totp-rs, its `otpauth://` URL shown as an inline
//! SVG QR code, and ten single-use recovery codes stored hashed.

use crate::db::Tx;
use crate::db::ids::hash_token;
use crate::error::AppError;
use rusqlite::{Connection, OptionalExtension};
use totp_rs::{Algorithm, Secret, TOTP};

/// How many recovery codes a person gets.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret_b32: &str, account: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|_| AppError::internal("bad TOTP secret"))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Luneo".into()),
        account.replace(':', ""),
    )
    .map_err(|e| AppError::internal(format!("TOTP: {e}")))
}

/// A new random secret, base32.
pub fn new_secret() -> String {
    match Secret::generate_secret().to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => unreachable!("to_encoded gives an encoded secret"),
    }
}

/// The `otpauth://` URL and its QR code as SVG markup.
pub fn provisioning(secret_b32: &str, account: &str) -> Result<(String, String), AppError> {
    let url = totp(secret_b32, account)?.get_url();
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::internal(format!("QR: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Inline in HTML: keep the <svg> element, not the XML prologue.
    let svg = svg.find("<svg").map(|i| svg[i..].to_string()).unwrap_or(svg);
    Ok((url, svg))
}

/// The 30-s time step `code` belongs to for `secret` at `now` (one step
/// either side), if it is a valid code.
pub fn matching_step(secret_b32: &str, code: &str, now: i64) -> Option<i64> {
    use subtle::ConstantTimeEq;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let t = totp(secret_b32, "check").ok()?;
    [now - 30, now, now + 30]
        .into_iter()
        .filter(|at| *at >= 0)
        .find_map(|at| bool::from(t.generate(at as u64).as_bytes().ct_eq(code.as_bytes())).then_some(at / 30))
}

/// Whether `code` is the TOTP of `secret` at `now` (one step either side).
pub fn check(secret_b32: &str, code: &str, now: i64) -> bool {
    matching_step(secret_b32, code, now).is_some()
}

/// Accepts a sign-in code once: valid, and of a later time step than the
/// last one accepted for this user (a code seen by someone else is spent).
pub fn accept_code(tx: &Tx, user_id: &str, secret_b32: &str, code: &str, now: i64) -> Result<bool, AppError> {
    let Some(step) = matching_step(secret_b32, code, now) else {
        return Ok(false);
    };
    Ok(tx.execute(
        "UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND (totp_last_step IS NULL OR totp_last_step < ?2)",
        (user_id, step),
    )? == 1)
}

/// The code of `secret` at `now` (tests and tools).
pub fn code_at(secret_b32: &str, now: i64) -> Result<String, AppError> {
    Ok(totp(secret_b32, "code")?.generate(now.max(0) as u64))
}

/// The secret of a user (enabled or waiting for confirmation).
/// Whether the person has two-factor authentication on.
pub fn is_enabled(conn: &Connection, user_id: &str) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT totp_enabled_at IS NOT NULL FROM users WHERE id = ?1",
        [user_id],
        |r| r.get(0),
    )?)
}

pub fn secret_of(conn: &Connection, user_id: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT totp_secret FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Keeps a secret for a user until they confirm a code from it.
pub fn set_pending(tx: &Tx, user_id: &str, secret: &str) -> Result<(), AppError> {
    tx.execute(
        "UPDATE users SET totp_secret = ?2, totp_enabled_at = NULL WHERE id = ?1",
        (user_id, secret),
    )?;
    Ok(())
}

/// Turns two-factor on and returns fresh recovery codes (shown once).
pub fn enable(tx: &Tx, user_id: &str, now: i64) -> Result<Vec<String>, AppError> {
    tx.execute(
        "UPDATE users SET totp_enabled_at = ?2 WHERE id = ?1 AND totp_secret IS NOT NULL",
        (user_id, now),
    )?;
    tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
    let mut codes = vec![];
    for _ in 0..RECOVERY_CODES {
        let raw = crate::db::ids::random_token(8).to_lowercase().replace(['-', '_'], "x");
        let code = format!("{}-{}", &raw[..5], &raw[5..10]);
        tx.execute(
            "INSERT INTO recovery_codes (code_hash, user_id) VALUES (?1, ?2)",
            (hash_token(&code), user_id),
        )?;
        codes.push(code);
    }
    Ok(codes)
}

pub fn disable(tx: &Tx, user_id: &str) -> Result<(), AppError> {
    tx.execute(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = ?1",
        [user_id],
    )?;
    tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
    Ok(())
}

/// Uses a recovery code once; false if it is not one of the user's unused codes.
pub fn use_recovery_code(tx: &Tx, user_id: &str, code: &str, now: i64) -> Result<bool, AppError> {
    let code = code.trim().to_lowercase();
    Ok(tx.execute(
        "UPDATE recovery_codes SET used_at = ?3 WHERE code_hash = ?1 AND user_id = ?2 AND used_at IS NULL",
        (hash_token(&code), user_id, now),
    )? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); 6 digits → 287082.
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!(),
        };
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert!(check(&secret, "287 082", 59));
        assert!(check(&secret, "287082", 59 + 30), "one step of skew");
        assert!(!check(&secret, "287082", 59 + 90));
    }
}
