//! Live monitoring pages: `GET /api/v1/monitoring/stream` (Server-Sent
//! Events) sends a `changed` event whenever a committed write announces the
//! org's monitoring topic (a check went down or came up, an alert was taken
//! in hand or resolved); `GET /api/v1/monitoring/system/stream` does the
//! same for the instance page after each sample. `app.js` then fetches the
//! page again and swaps its `data-live` regions, leaving forms being typed
//! in alone.

use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use rocket::response::stream::{Event, EventStream};
use rocket::{Shutdown, State};
use std::time::Duration;

/// The topic a monitoring change of `org_id` announces.
pub fn topic(org_id: &str) -> String {
    format!("org:{org_id}:monitoring")
}

/// The topic the instance's own monitoring announces (each sample, each
/// change of an instance alert).
pub const INSTANCE_TOPIC: &str = "instance:monitoring";

#[rocket::get("/api/v1/monitoring/stream")]
fn stream(
    member: Member,
    db: &State<crate::db::Db>,
    metrics: &State<std::sync::Arc<crate::ops::metrics::Metrics>>,
    shutdown: Shutdown,
) -> Result<EventStream![Event + 'static], crate::error::AppError> {
    member.require(Area::Monitoring, Level::View)?;
    Ok(changes(db, metrics, topic(&member.org.id), shutdown))
}

/// The instance page's stream: a `changed` event after each sample.
#[rocket::get("/api/v1/monitoring/system/stream")]
fn system_stream(
    admin: crate::admin::InstanceAdmin,
    db: &State<crate::db::Db>,
    metrics: &State<std::sync::Arc<crate::ops::metrics::Metrics>>,
    shutdown: Shutdown,
) -> EventStream![Event + 'static] {
    let _ = &admin;
    changes(db, metrics, INSTANCE_TOPIC.to_string(), shutdown)
}

/// `changed` events whenever a committed write announces `topic`; a burst
/// within a second makes one more event, never none.
fn changes(
    db: &crate::db::Db,
    metrics: &crate::ops::metrics::Metrics,
    topic: String,
    mut shutdown: Shutdown,
) -> EventStream![Event + 'static] {
    let open = metrics.stream_opened();
    let mut signals = db.signals();
    EventStream! {
        let _open = open;
        yield Event::comment("connected");
        loop {
            rocket::tokio::select! {
                got = signals.recv() => match got {
                    Ok(t) if *t == *topic => {
                        yield Event::data("changed").event("changed");
                        // Changes within the next second make one more refresh, not many.
                        rocket::tokio::time::sleep(Duration::from_secs(1)).await;
                        let mut again = false;
                        loop {
                            match signals.try_recv() {
                                Ok(t) => again |= *t == *topic,
                                Err(rocket::tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => again = true,
                                Err(_) => break,
                            }
                        }
                        if again {
                            yield Event::data("changed").event("changed");
                        }
                    }
                    Ok(_) => continue,
                    Err(rocket::tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        yield Event::data("changed").event("changed");
                    }
                    Err(_) => break,
                },
                _ = &mut shutdown => break,
            }
        }
    }
    .heartbeat(Duration::from_secs(15))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![stream, system_stream]
}
