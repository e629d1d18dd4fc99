//! VAPID (RFC 8292): the server's P-256 key pair that identifies Luneo to
//! push services. The keys come from the configuration
//! (`vapid_private_key`, `vapid_public_key`, both URL-safe base64 as
//! `luneo vapid generate` prints them); each push request carries a
//! short-lived ES256 JWT signed with the private key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;

/// How long a VAPID token is valid (RFC 8292 allows up to 24 hours).
pub const TOKEN_SECONDS: i64 = 12 * 3600;

/// The server's VAPID identity.
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    /// Uncompressed public point, URL-safe base64: what browsers pass as
    /// `applicationServerKey`.
    pub public_key: String,
    /// Contact for push services: `mailto:` or `https:` URL.
    pub subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

fn public_of(key: &SigningKey) -> String {
    B64.encode(key.verifying_key().as_affine().to_encoded_point(false).as_bytes())
}

impl Vapid {
    /// Reads the configured keys; the public key, when given, must belong
    /// to the private one. The error says which key is wrong.
    pub fn from_keys(private: &str, public: Option<&str>, subject: String) -> Result<Vapid, String> {
        let bytes = B64
            .decode(private.trim().trim_end_matches('='))
            .map_err(|_| "vapid_private_key is not URL-safe base64".to_string())?;
        let key = SigningKey::from_slice(&bytes)
            .map_err(|_| "vapid_private_key is not a P-256 private key (32 bytes)".to_string())?;
        let derived = public_of(&key);
        if let Some(given) = public
            && given.trim().trim_end_matches('=') != derived
        {
            return Err("vapid_public_key does not belong to vapid_private_key".into());
        }
        Ok(Vapid {
            key,
            public_key: derived,
            subject,
        })
    }

    /// A new key pair: (private, public), URL-safe base64.
    pub fn generate() -> (String, String) {
        loop {
            let mut bytes = [0u8; 32];
            rand::fill(&mut bytes[..]);
            // Almost every 32-byte string is a valid scalar; retry the rare one that is not.
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                return (B64.encode(bytes), public_of(&key));
            }
        }
    }

    /// The `Authorization` header for a push request to `endpoint`:
    /// `vapid t=<ES256 JWT>, k=<public key>` (RFC 8292 §3).
    pub fn authorization(&self, endpoint: &reqwest::Url, now: i64) -> String {
        let audience = endpoint.origin().ascii_serialization();
        let header = serde_json::json!({ "typ": "JWT", "alg": "ES256" });
        let claims = serde_json::json!({ "aud": audience, "exp": now + TOKEN_SECONDS, "sub": self.subject });
        let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        format!(
            "vapid t={signing_input}.{}, k={}",
            B64.encode(signature.to_bytes()),
            self.public_key
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn generated_keys_load_and_the_token_verifies_with_the_public_key() {
        let (private, public) = Vapid::generate();
        let vapid = Vapid::from_keys(&private, Some(&public), "mailto:ops@example.com".into()).unwrap();
        let url = reqwest::Url::parse("https://push.example.net/send/abc").unwrap();
        let header = vapid.authorization(&url, 1_000);
        let (t, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap();
        assert_eq!(k, public);
        let (input, sig) = t.rsplit_once('.').unwrap();
        let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
        let sig = Signature::from_slice(&B64.decode(sig).unwrap()).unwrap();
        key.verify(input.as_bytes(), &sig).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(input.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_000 + TOKEN_SECONDS);
        assert_eq!(claims["sub"], "mailto:ops@example.com");
    }

    #[test]
    fn a_public_key_of_another_pair_is_refused() {
        let (private, _) = Vapid::generate();
        let (_, other) = Vapid::generate();
        let err = Vapid::from_keys(&private, Some(&other), "mailto:a@b.c".into()).unwrap_err();
        assert!(err.contains("vapid_public_key"));
        assert!(
            Vapid::from_keys("not base64!", None, "x".into())
                .unwrap_err()
                .contains("vapid_private_key")
        );
    }
}
