//! Browsers: a user agent as people read it ("Firefox 140 on Linux"), for
//! the sessions list and new-sign-in notices (parsed with woothee); and the
//! known-browser cookie, which lets a browser that signed in to an account
//! before keep its own sign-in allowance when failures from elsewhere use
//! up the account's (someone guessing cannot lock the owner out).

use crate::db::Tx;
use crate::error::AppError;
use rocket::http::CookieJar;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

const KNOWN_COOKIE: &str = "luneo_known";

/// A browser not seen for this long is forgotten (`known_browsers`).
pub const BROWSER_RETENTION_SECONDS: i64 = 365 * 86_400;

/// What a sign-in from `user_agent` means for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Their first sign-in (or the first in a year): not news.
    First,
    /// A browser they signed in from before.
    Known,
    /// A browser never seen, though they signed in before: tell them.
    New,
}

/// Records a sign-in of `user_id` from `user_agent` in `known_browsers`
/// (the auth feature's table) and says whether the browser is new.
pub fn record_sign_in(tx: &Tx, user_id: &str, user_agent: Option<&str>, now: i64) -> Result<Seen, AppError> {
    let agent = user_agent.unwrap_or("");
    let (any, this): (bool, bool) = tx.query_row(
        "SELECT count(*) > 0, coalesce(sum(user_agent = ?2), 0) > 0 FROM known_browsers
         WHERE user_id = ?1 AND last_seen > ?3 - ?4",
        rusqlite::params![user_id, agent, now, BROWSER_RETENTION_SECONDS],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    tx.execute(
        "INSERT INTO known_browsers (user_id, user_agent, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (user_id, user_agent) DO UPDATE SET last_seen = excluded.last_seen",
        (user_id, agent, now),
    )?;
    Ok(match (any, this) {
        (false, _) => Seen::First,
        (true, true) => Seen::Known,
        (true, false) => Seen::New,
    })
}

/// Forgets browsers not seen within the retention; returns how many.
pub fn purge(tx: &Tx, now: i64) -> Result<usize, AppError> {
    Ok(tx.execute(
        "DELETE FROM known_browsers WHERE last_seen <= ?1 - ?2",
        (now, BROWSER_RETENTION_SECONDS),
    )?)
}

/// What the (encrypted) known-browser cookie holds.
#[derive(Serialize, Deserialize)]
struct Known {
    /// The account that signed in from this browser.
    user: String,
    /// This browser's random id.
    device: String,
}

/// Marks this browser as one `user_id` signed in from (kept a year).
pub fn remember(jar: &CookieJar<'_>, user_id: &str, secure: bool) {
    let device = match jar
        .get_private(KNOWN_COOKIE)
        .and_then(|c| serde_json::from_str::<Known>(c.value()).ok())
    {
        Some(k) if k.user == user_id => k.device,
        _ => crate::db::ids::random_token(16),
    };
    let value = serde_json::to_string(&Known {
        user: user_id.into(),
        device,
    })
    .expect("serializable");
    jar.add_private(crate::web::cookies::build(KNOWN_COOKIE, value, secure).max_age(rocket::time::Duration::days(365)));
}

/// This browser's id if `user_id` signed in from it before.
pub fn known(jar: &CookieJar<'_>, user_id: &str) -> Option<String> {
    let known: Known = serde_json::from_str(jar.get_private(KNOWN_COOKIE)?.value()).ok()?;
    (known.user == user_id).then_some(known.device)
}

static PARSER: LazyLock<woothee::parser::Parser> = LazyLock::new(woothee::parser::Parser::new);

/// "Browser major-version on OS", or the raw agent (shortened) when it is
/// not a browser woothee knows.
pub fn describe(user_agent: &str) -> String {
    let known = PARSER
        .parse(user_agent)
        .filter(|r| r.name != "UNKNOWN" && !r.name.is_empty());
    match known {
        Some(r) => {
            let major = r.version.split('.').next().unwrap_or("");
            let browser = if major.is_empty() || major == "UNKNOWN" {
                r.name.to_string()
            } else {
                format!("{} {major}", r.name)
            };
            if r.os.is_empty() || r.os == "UNKNOWN" {
                browser
            } else {
                format!("{browser} · {}", r.os)
            }
        }
        None => user_agent.chars().take(80).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_read_as_browser_and_system() {
        assert_eq!(
            describe("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
            "Firefox 140 · Linux"
        );
        assert_eq!(
            describe(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
            ),
            "Chrome 131 · Windows 10"
        );
        assert_eq!(
            describe("LaptopBrowser/1.0"),
            "LaptopBrowser/1.0",
            "unknown agents stay as they are"
        );
    }
}
