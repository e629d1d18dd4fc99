//! Live notifications: `GET /api/v1/notifications/stream` (Server-Sent
//! Events). Woken only when a committed write announces the caller's topic
//! (`user:<id>`: a notification for them, something marked read), the
//! stream looks for their new notifications in the current org and sends them (`notification`
//! events, id = notification id) and the unread count (`unread` event).
//! `Last-Event-ID` resumes after the last notification seen; a comment
//! every 15 s keeps proxies from closing the connection.

use super::{InboxFilter, inbox, texts, unread_count};
use crate::db::Db;
use crate::db::time::rfc3339;
use crate::orgs::Member;
use crate::web::i18n::Lang;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::stream::{Event, EventStream};
use rocket::{Shutdown, State};
use std::time::Duration;

/// The `Last-Event-ID` header of a reconnecting EventSource.
pub struct LastEventId(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LastEventId {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(LastEventId(req.headers().get_one("Last-Event-ID").map(str::to_string)))
    }
}

#[rocket::get("/api/v1/notifications/stream")]
fn stream(
    member: Member,
    last: LastEventId,
    db: &State<Db>,
    metrics: &State<std::sync::Arc<crate::ops::metrics::Metrics>>,
    mut shutdown: Shutdown,
) -> EventStream![Event + 'static] {
    let open = metrics.stream_opened();
    let db = db.inner().clone();
    let mut signals = db.signals();
    let (org_id, user_id) = (member.org.id.clone(), member.user.id.clone());
    let topic = super::user_topic(&user_id);
    let lang = member
        .user
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_default();
    let mut seen = last.0;
    let mut unread_sent: Option<i64> = None;
    EventStream! {
        let _open = open;
        // A first comment so the browser's `onopen` fires at once.
        yield Event::comment("connected");
        loop {
            let (o, u, after) = (org_id.clone(), user_id.clone(), seen.clone());
            let found = db
                .read(move |c| {
                    let fresh: Vec<_> = inbox(c, &o, &u, &InboxFilter::default(), 50)?
                        .into_iter()
                        .filter(|n| after.as_deref().is_some_and(|a| n.id.as_str() > a))
                        .collect();
                    Ok((fresh, unread_count(c, &o, &u)?))
                })
                .await;
            let Ok((fresh, unread)) = found else { break };
            for n in fresh.iter().rev() {
                let (title, body) = texts(lang, &n.kind, &n.data);
                let payload = serde_json::json!({ "id": n.id, "kind": n.kind, "title": title, "body": body,
                    "link": n.link, "created_at": rfc3339(n.created_at) });
                yield Event::json(&payload).event("notification").id(n.id.clone());
            }
            if seen.is_none() || !fresh.is_empty() {
                // From now on, only notifications newer than what exists are news.
                let o = org_id.clone();
                let u = user_id.clone();
                let newest = db.read(move |c| Ok(inbox(c, &o, &u, &InboxFilter::default(), 1)?.first().map(|n| n.id.clone()))).await.ok().flatten();
                seen = fresh.first().map(|n| n.id.clone()).or(newest).or(seen).or(Some(String::new()));
            }
            if unread_sent != Some(unread) {
                yield Event::json(&serde_json::json!({ "unread": unread })).event("unread");
                unread_sent = Some(unread);
            }
            // Sleep until something changes for this person (or we fell
            // behind and must look anyway).
            loop {
                rocket::tokio::select! {
                    got = signals.recv() => match got {
                        Ok(t) if *t == *topic => break,
                        Ok(_) => continue,
                        Err(rocket::tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                        Err(_) => return,
                    },
                    _ = &mut shutdown => return,
                }
            }
        }
    }
    .heartbeat(Duration::from_secs(15))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![stream]
}
