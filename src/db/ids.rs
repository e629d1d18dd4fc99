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

/// Declares a typed id: a newtype over the prefixed text id that derefs to
/// `&str` (for queries) but cannot be passed where another kind of id is
/// expected, so swapping an org id and a user id does not compile. Stored
/// and serialised as the bare text; taken from a URL path as is (an id that
/// names nothing of the caller's org is simply not found).
///
/// ```compile_fail
/// // An org id is not a user id.
/// let user: luneo::auth::UserId = luneo::orgs::OrgId::generate();
/// ```
///
/// ```
/// let user = luneo::auth::UserId::generate();
/// assert!(user.starts_with("usr_"), "it reads as the text id");
/// ```
#[macro_export]
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id's prefix (`usr`, `org`…).
            pub const PREFIX: &'static str = $prefix;

            /// A new, unique id.
            pub fn generate() -> $name {
                $name($crate::db::ids::new_id($prefix))
            }

            /// An id as stored or received (not checked against the database).
            pub fn from_text(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                String::column_result(value).map($name)
            }
        }

        impl<'a> rocket::request::FromParam<'a> for $name {
            type Error = std::convert::Infallible;
            fn from_param(param: &'a str) -> Result<Self, Self::Error> {
                Ok($name(param.to_string()))
            }
        }
    };
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
