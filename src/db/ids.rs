//! Prefixed, sortable, random text ids such as `job_01J…` or `obx_01J…`.

/// One monotonic generator for the process: ids made within the same
/// millisecond still sort in the order they were made.
static GENERATOR: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());

/// A new id: `prefix` + `_` + a ULID (time-sortable, 80 random bits).
pub fn new_id(prefix: &str) -> String {
    let mut generator = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    // Overflow needs 2^80 ids in one millisecond; fall back to a fresh random one.
    let id = generator.generate().unwrap_or_else(|_| ulid::Ulid::generate());
    format!("{prefix}_{id}")
}

/// `n` random bytes from the OS generator, URL-safe base64 without padding.
pub fn random_token(n: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How a secret token (session, API token, mail link) is stored: SHA-256, hex.
/// Tokens carry 256 random bits, so a fast hash is enough; lookups by hash
/// never compare secrets byte by byte.
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_unique_and_sortable() {
        let a = super::new_id("obx");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = super::new_id("obx");
        assert!(a.starts_with("obx_") && a.len() == 30);
        assert!(a < b);
        assert_ne!(super::random_token(32), super::random_token(32));
    }
}
