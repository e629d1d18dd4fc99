//! Web push: people's browser subscriptions, the push row queued in the
//! outbox with each notification (same transaction), and the deliverer that
//! encrypts the message for the browser (RFC 8291, aes128gcm, through
//! web-push-native), signs the request with VAPID (RFC 8292) and posts it to
//! the push service. A 404 or 410 from the push service means the browser
//! dropped the subscription: it is deleted. Off while no VAPID key is set.

pub(super) mod api;
pub mod vapid;

use crate::db::Db;
use crate::db::Tx;
use crate::db::ids::new_id;
use crate::db::time::SharedClock;
use crate::error::AppError;
use crate::jobs::outbox::{self, Deliver, Failure};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use vapid::Vapid;

/// Outbox kind of push rows.
pub const KIND: &str = "push";
/// How long the push service keeps a message for an offline browser.
const TTL_SECONDS: u64 = 24 * 3600;
/// Browsers one person may have subscribed at once.
pub const MAX_PER_PERSON: i64 = 20;
/// Push services accept at least 4 KiB of encrypted payload.
const MAX_MESSAGE_BYTES: usize = 3_000;

/// One browser's subscription.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub endpoint: String,
    /// The browser's P-256 public key, URL-safe base64.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, URL-safe base64.
    pub auth: String,
}

/// What the service worker shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub title: String,
    pub body: String,
    pub url: String,
    /// Same tag = the browser replaces rather than stacks.
    pub tag: String,
}

/// The payload of a push outbox row.
#[derive(Debug, Serialize, Deserialize)]
struct PushJob {
    subscription: Subscription,
    message: Message,
}

/// The subscriptions of a person's browsers.
pub fn subscriptions_of(conn: &Connection, user_id: &str) -> Result<Vec<Subscription>, AppError> {
    let mut stmt = conn
        .prepare_cached("SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(Subscription {
            id: r.get(0)?,
            endpoint: r.get(1)?,
            p256dh: r.get(2)?,
            auth: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Queues `message` for one browser within the caller's transaction.
pub fn queue(tx: &Tx, org_id: &str, subscription: &Subscription, message: &Message) -> Result<String, AppError> {
    let mut message = message.clone();
    // Keep the payload within what every push service accepts.
    if message.body.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !message.body.is_char_boundary(cut) {
            cut -= 1;
        }
        message.body.truncate(cut);
        message.body.push('…');
    }
    let job = PushJob {
        subscription: subscription.clone(),
        message,
    };
    outbox::enqueue(tx, Some(org_id), KIND, &job)
}

/// Checks what a browser sent when subscribing; the error names the field.
pub fn check_subscription(endpoint: &str, p256dh: &str, auth: &str, insecure: bool) -> Result<(), AppError> {
    let url = reqwest::Url::parse(endpoint)
        .ok()
        .filter(|_| endpoint.len() <= 1_000)
        .ok_or_else(|| AppError::invalid("endpoint", "notifications.push.error.endpoint"))?;
    if !insecure {
        if url.scheme() != "https" {
            return Err(AppError::invalid("endpoint", "notifications.push.error.https"));
        }
        if crate::net::host_is_private(url.host_str().unwrap_or("localhost")) {
            return Err(AppError::invalid("endpoint", "notifications.push.error.public"));
        }
    } else if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::invalid("endpoint", "notifications.push.error.http"));
    }
    let key = B64.decode(p256dh.trim_end_matches('=')).ok();
    if key.and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok()).is_none() {
        return Err(AppError::invalid("keys.p256dh", "notifications.push.error.p256dh"));
    }
    if B64.decode(auth.trim_end_matches('=')).map(|a| a.len()).ok() != Some(16) {
        return Err(AppError::invalid("keys.auth", "notifications.push.error.auth"));
    }
    Ok(())
}

/// Saves the subscription of one browser for `user_id` (again: new keys).
/// An endpoint another person registered is a conflict, never moved.
pub fn subscribe(
    tx: &Tx,
    user_id: &str,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    user_agent: Option<&str>,
    now: i64,
) -> Result<String, AppError> {
    let (count, known): (i64, bool) = tx.query_row(
        "SELECT count(*), coalesce(sum(endpoint = ?2), 0) > 0 FROM push_subscriptions WHERE user_id = ?1",
        (user_id, endpoint),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if !known && count >= MAX_PER_PERSON {
        return Err(AppError::invalid(
            "endpoint",
            crate::error::Message::new("notifications.push.error.too_many").with("max", MAX_PER_PERSON),
        ));
    }
    // An endpoint is one browser's address; another person's stays theirs.
    let owner: Option<String> = tx
        .query_row(
            "SELECT user_id FROM push_subscriptions WHERE endpoint = ?1",
            [endpoint],
            |r| r.get(0),
        )
        .optional()?;
    if owner.is_some_and(|o| o != user_id) {
        return Err(AppError::Conflict("notifications.push.endpoint_taken".into()));
    }
    let id = new_id("psb");
    Ok(tx.query_row(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, user_agent, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh,
           auth = excluded.auth, user_agent = excluded.user_agent
         WHERE push_subscriptions.user_id = excluded.user_id
         RETURNING id",
        rusqlite::params![
            id,
            user_id,
            endpoint,
            p256dh.trim_end_matches('='),
            auth.trim_end_matches('='),
            user_agent,
            now
        ],
        |r| r.get(0),
    )?)
}

/// Removes one of a person's subscriptions; false if they have none at `endpoint`.
pub fn unsubscribe(tx: &Tx, user_id: &str, endpoint: &str) -> Result<bool, AppError> {
    Ok(tx.execute(
        "DELETE FROM push_subscriptions WHERE user_id = ?1 AND endpoint = ?2",
        (user_id, endpoint),
    )? == 1)
}

/// Sends push rows of the outbox.
pub struct PushSender {
    db: Db,
    clock: SharedClock,
    vapid: Option<Vapid>,
    client: reqwest::Client,
}

impl PushSender {
    /// `insecure` (tests) also lets names resolve to local addresses.
    pub fn new(db: Db, clock: SharedClock, vapid: Option<Vapid>, insecure: bool) -> Result<PushSender, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Luneo/", env!("CARGO_PKG_VERSION")));
        if !insecure {
            builder = builder.dns_resolver(std::sync::Arc::new(crate::net::PublicOnly));
        }
        let client = builder.build().map_err(|e| format!("web push client: {e}"))?;
        Ok(PushSender {
            db,
            clock,
            vapid,
            client,
        })
    }

    fn request(&self, vapid: &Vapid, job: &PushJob) -> Result<reqwest::Request, Failure> {
        let bad = |what: &str| Failure::Permanent(format!("subscription has a bad {what}"));
        let endpoint = reqwest::Url::parse(&job.subscription.endpoint).map_err(|_| bad("endpoint"))?;
        let key = B64.decode(&job.subscription.p256dh).map_err(|_| bad("p256dh key"))?;
        let key = p256::PublicKey::from_sec1_bytes(&key).map_err(|_| bad("p256dh key"))?;
        let auth = B64.decode(&job.subscription.auth).map_err(|_| bad("auth secret"))?;
        if auth.len() != 16 {
            return Err(bad("auth secret"));
        }
        let uri = job.subscription.endpoint.parse().map_err(|_| bad("endpoint"))?;
        let body = serde_json::to_vec(&job.message).map_err(|e| Failure::Permanent(e.to_string()))?;
        let built = web_push_native::WebPushBuilder::new(uri, key, web_push_native::Auth::clone_from_slice(&auth))
            .with_valid_duration(Duration::from_secs(TTL_SECONDS))
            .build(body)
            .map_err(|e| Failure::Permanent(format!("cannot encrypt the message: {e}")))?;
        let (parts, body) = built.into_parts();
        let mut request = self.client.post(endpoint.clone()).body(body);
        for (name, value) in &parts.headers {
            request = request.header(name, value);
        }
        request
            .header("Authorization", vapid.authorization(&endpoint, self.clock.now()))
            .header("Urgency", "normal")
            .build()
            .map_err(|e| Failure::Permanent(e.to_string()))
    }
}

#[rocket::async_trait]
impl Deliver for PushSender {
    async fn deliver(&self, _id: &str, payload: &str) -> Result<(), Failure> {
        let job: PushJob =
            serde_json::from_str(payload).map_err(|e| Failure::Permanent(format!("bad push payload: {e}")))?;
        let Some(vapid) = &self.vapid else {
            return Err(Failure::Permanent(
                "web push is off: set LUNEO_VAPID_PRIVATE_KEY (luneo vapid generate)".into(),
            ));
        };
        let request = self.request(vapid, &job)?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| Failure::Retry(format!("push service unreachable: {e}")))?;
        let status = response.status();
        let sub_id = job.subscription.id.clone();
        let now = self.clock.now();
        if status.is_success() {
            self.db
                .write(move |tx| {
                    tx.changes_no_identity();
                    tx.execute(
                        "UPDATE push_subscriptions SET last_sent_at = ?2 WHERE id = ?1",
                        (&sub_id, now),
                    )?;
                    Ok(())
                })
                .await
                .map_err(|e| Failure::Retry(e.to_string()))?;
            return Ok(());
        }
        let reason = response.text().await.unwrap_or_default();
        let reason: String = reason.chars().take(200).collect();
        match status.as_u16() {
            404 | 410 => {
                self.db
                    .write(move |tx| {
                        tx.execute("DELETE FROM push_subscriptions WHERE id = ?1", [&sub_id])?;
                        Ok(())
                    })
                    .await
                    .map_err(|e| Failure::Retry(e.to_string()))?;
                Err(Failure::Permanent(format!(
                    "push service answered {status}: the browser dropped the subscription, which was removed"
                )))
            }
            429 | 500..=599 => Err(Failure::Retry(format!("push service answered {status} {reason}"))),
            _ => Err(Failure::Permanent(format!(
                "push service refused the message: {status} {reason}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_subscription;

    const KEY: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    fn field(endpoint: &str, insecure: bool) -> Option<String> {
        match check_subscription(endpoint, KEY, AUTH, insecure) {
            Ok(()) => None,
            Err(crate::error::AppError::Invalid(e)) => Some(e[0].field.clone()),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn only_public_https_push_services_are_accepted_unless_told_otherwise() {
        assert_eq!(field("https://fcm.googleapis.com/fcm/send/abc", false), None);
        for bad in [
            "http://updates.push.services.mozilla.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.1/x",
            "https://[::1]/x",
            "https://localhost/x",
            "not a url",
        ] {
            assert_eq!(field(bad, false).as_deref(), Some("endpoint"), "{bad}");
        }
        assert_eq!(field("http://127.0.0.1:9/push", true), None);
        assert!(check_subscription("https://push.example.net/x", KEY, "short", false).is_err());
        assert!(check_subscription("https://[::ffff:10.0.0.1]/x", KEY, AUTH, false).is_err());
        assert!(check_subscription("https://100.64.1.1/x", KEY, AUTH, false).is_err());
    }

    #[tokio::test]
    async fn names_that_resolve_into_the_local_network_are_not_posted_to() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let err = crate::net::PublicOnly.resolve(name).await.err().expect("no address");
        assert!(err.to_string().contains("no public address"), "{err}");
    }
}
