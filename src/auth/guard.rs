//! [`Identity`]: who is making a request, from the session cookie or, on
//! `/api/` only, an `Authorization: Bearer` personal API token. Anywhere
//! else the header is ignored: a token never acts on a page (it could
//! otherwise mint tokens or turn two-factor on for its owner).

use super::{User, api_tokens, session};
use crate::db::Db;
use crate::db::time::SharedClock;
use crate::error::AppError;
use crate::web::error::stash;
use rocket::request::{FromRequest, Outcome, Request};
use serde::Serialize;

/// How a request was authenticated.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Via {
    Session { id: String },
    ApiToken { id: String, name: String },
}

/// The signed-in person of a request and the organisation they act for.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
    pub org_id: Option<String>,
    pub via: Via,
    /// What the `Member` guard needs, read in the same trip to the database
    /// as the session or token (one trip per request for the guard chain).
    pub prefetched: Option<std::sync::Arc<Prefetched>>,
}

/// The person's organisations (with their role) and the bell count of the
/// one they act for, read with their identity.
#[derive(Debug)]
pub struct Prefetched {
    pub memberships: Vec<(crate::orgs::Org, crate::orgs::Role)>,
    pub unread: i64,
}

fn prefetch(c: &rusqlite::Connection, user_id: &str, org_id: Option<&str>) -> Result<Prefetched, AppError> {
    let memberships = crate::orgs::memberships_of(c, user_id)?;
    let chosen = match org_id {
        Some(id) => memberships.iter().find(|(o, _)| o.id == id),
        None => memberships.first(),
    };
    let unread = match chosen {
        Some((org, _)) => crate::notifications::unread_count(c, &org.id, user_id)?,
        None => 0,
    };
    Ok(Prefetched { memberships, unread })
}

/// The client's address as Rocket sees it (the proxy header only when configured).
pub fn client_ip(req: &Request<'_>) -> Option<String> {
    req.client_ip().map(|ip| ip.to_string())
}

pub fn user_agent(req: &Request<'_>) -> Option<String> {
    req.headers()
        .get_one("User-Agent")
        .map(|ua| ua.chars().take(300).collect())
}

async fn identify(req: &Request<'_>) -> Result<Option<Identity>, AppError> {
    let db = req
        .rocket()
        .state::<Db>()
        .ok_or_else(|| AppError::internal("no database"))?
        .clone();
    let now = req.rocket().state::<SharedClock>().map(|c| c.now()).unwrap_or_default();
    let bearer = req
        .headers()
        .get_one("Authorization")
        .filter(|_| crate::web::error::is_api(req));
    if let Some(auth) = bearer {
        let token = auth
            .strip_prefix("Bearer ")
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            return Ok(None);
        }
        return db
            .write(move |tx| {
                let Some((t, user)) = api_tokens::authenticate(tx, &token, now)? else {
                    return Ok(None);
                };
                let prefetched = prefetch(tx, &user.id, Some(&t.org_id))?;
                Ok(Some(Identity {
                    user,
                    org_id: Some(t.org_id.clone()),
                    via: Via::ApiToken { id: t.id, name: t.name },
                    prefetched: Some(std::sync::Arc::new(prefetched)),
                }))
            })
            .await;
    }
    let Some(token) = req.cookies().get(session::COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let cache = req.rocket().state::<super::identity_cache::IdentityCache>();
    let (token_hash, generation) = (crate::db::ids::hash_token(&token), db.identity_generation());
    let cached = cache.and_then(|c| c.get(&token_hash, generation, now));
    let (row, user, prefetched) = match cached {
        Some(hit) => hit,
        None => {
            let found = db
                .read(move |c| {
                    let Some((row, user)) = session::find(c, &token, now)? else {
                        return Ok(None);
                    };
                    let prefetched = prefetch(c, &user.id, row.org_id.as_deref())?;
                    Ok(Some((row, user, std::sync::Arc::new(prefetched))))
                })
                .await?;
            let Some((row, user, prefetched)) = found else {
                return Ok(None);
            };
            if let Some(cache) = cache {
                cache.put(token_hash, generation, row.clone(), user.clone(), prefetched.clone());
            }
            (row, user, prefetched)
        }
    };
    // A write to the API with the session cookie must prove it comes from our pages.
    let unsafe_method = !matches!(req.method(), rocket::http::Method::Get | rocket::http::Method::Head);
    if unsafe_method && crate::web::error::is_api(req) && !crate::web::csrf::header_valid(req) {
        return Err(AppError::Forbidden("api.error.csrf_header".into()));
    }
    if session::needs_touch(&row, now) {
        let ip = client_ip(req);
        let touched = row.clone();
        db.write(move |tx| session::touch(tx, &touched, now, ip.as_deref()))
            .await?;
    }
    Ok(Some(Identity {
        user,
        org_id: row.org_id,
        via: Via::Session { id: row.id },
        prefetched: Some(prefetched),
    }))
}

/// Whether this request's identity, if it was looked up already, is
/// someone's (error pages, which cannot wait for a guard).
pub fn identified(req: &Request<'_>) -> bool {
    let cached: &Result<Option<Identity>, AppError> = req.local_cache(|| Ok(None));
    matches!(cached, Ok(Some(_)))
}

/// [`identify`] once per request.
async fn cached<'r>(req: &'r Request<'_>) -> &'r Result<Option<Identity>, AppError> {
    let found = req.local_cache_async(identify(req)).await;
    if let Ok(Some(me)) = found {
        // For the stored request log (the Observe fairing reads it).
        req.local_cache(|| crate::web::fairings::Who(Some((me.user.id.to_string(), me.org_id.clone()))));
    }
    found
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Identity {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match cached(req).await {
            Ok(Some(identity)) => Outcome::Success(identity.clone()),
            Ok(None) => Outcome::Error((stash(req, AppError::Unauthenticated), ())),
            Err(e) => Outcome::Error((stash(req, e.clone()), ())),
        }
    }
}

/// The identity of a request if it has one; never fails (pages that look
/// different for signed-in visitors).
pub struct MaybeIdentity(pub Option<Identity>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeIdentity {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(MaybeIdentity(cached(req).await.as_ref().ok().cloned().flatten()))
    }
}

/// Where a request comes from, for sessions and the audit log.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The origin of a change `user` makes from this client at `now`.
    pub fn acting(&self, user: &super::User, org_id: Option<crate::orgs::OrgId>, now: i64) -> crate::db::AuditCtx {
        let org_id = org_id.map(|o| o.to_string());
        crate::db::AuditCtx::by_user(user, org_id, self.ip.clone(), self.user_agent.clone(), now)
    }

    /// The origin of a change made from this client by nobody signed in
    /// (a reset link, an unsubscribe link): the system, with the client's IP.
    pub fn anonymous(&self, now: i64) -> crate::db::AuditCtx {
        crate::db::AuditCtx {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            ..crate::db::AuditCtx::system(None, now)
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientInfo {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(ClientInfo {
            ip: client_ip(req),
            user_agent: user_agent(req),
        })
    }
}
