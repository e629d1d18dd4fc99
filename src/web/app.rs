//! [`App`]: the request guard that bundles what handlers read from the
//! application (database, clock, configuration, mailer, rate limits), so a
//! handler takes the signed-in person, `App`, and its form.

use crate::config::Config;
use crate::db::time::SharedClock;
use crate::db::{AuditCtx, Db, Tx};
use crate::error::AppError;
use crate::mail::Mailer;
use crate::web::ratelimit::RateLimits;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use std::sync::Arc;

/// The application's shared parts, borrowed for one request.
pub struct App<'r> {
    pub db: &'r Db,
    pub clock: &'r SharedClock,
    pub config: &'r Config,
    pub mailer: &'r Arc<Mailer>,
    pub limits: &'r RateLimits,
}

impl App<'_> {
    /// The time now (unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The public URL links in mails and pages start with.
    pub fn base_url(&self) -> &reqwest::Url {
        &self.config.base_url
    }

    /// Runs `f` as one change made by `origin` (see [`Db::write_as`]).
    pub async fn write<T, F>(&self, origin: AuditCtx, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T, AppError> + Send + 'static,
    {
        self.db.write_as(origin, f).await
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for App<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let rocket = req.rocket();
        match (
            rocket.state::<Db>(),
            rocket.state::<SharedClock>(),
            rocket.state::<Config>(),
            rocket.state::<Arc<Mailer>>(),
            rocket.state::<RateLimits>(),
        ) {
            (Some(db), Some(clock), Some(config), Some(mailer), Some(limits)) => Outcome::Success(App {
                db,
                clock,
                config,
                mailer,
                limits,
            }),
            _ => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}
