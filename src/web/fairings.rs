//! Fairings every response passes through: a request id (header and log
//! line), HTTP metrics by route template, and the security headers.

use crate::ops::metrics::Metrics;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};
use std::sync::Arc;
use std::time::Instant;

struct RequestStart {
    id: String,
    at: Instant,
}

/// The id of this request, as sent in `X-Request-Id` and logged.
pub fn request_id(req: &Request<'_>) -> String {
    req.local_cache(|| RequestStart {
        id: ulid::Ulid::generate().to_string(),
        at: Instant::now(),
    })
    .id
    .clone()
}

/// Request id, access log line (stderr, and the stored log of monitoring)
/// and HTTP metrics.
pub struct Observe(pub Arc<Metrics>, pub Arc<crate::monitoring::logs::LogSink>);

/// Who made a request, once the identity guard found out (for the stored log).
#[derive(Default)]
pub struct Who(pub Option<(String, Option<String>)>);

#[rocket::async_trait]
impl Fairing for Observe {
    fn info(&self) -> Info {
        Info {
            name: "request id, log, metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let incoming = req
            .headers()
            .get_one("X-Request-Id")
            .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .map(str::to_string);
        req.local_cache(|| RequestStart {
            id: incoming.unwrap_or_else(|| ulid::Ulid::generate().to_string()),
            at: Instant::now(),
        });
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let start = req.local_cache(|| RequestStart {
            id: ulid::Ulid::generate().to_string(),
            at: Instant::now(),
        });
        let elapsed = start.at.elapsed();
        let route = req
            .route()
            .map(|r| r.uri.origin.path().to_string())
            .unwrap_or_else(|| "unmatched".into());
        let status = res.status().code;
        self.0
            .observe_http(req.method().as_str(), &route, status, elapsed.as_secs_f64());
        res.set_header(Header::new("X-Request-Id", start.id.clone()));
        // Probes and static files are in the access log and the metrics; the
        // stored log keeps pages and API calls (a probe every second would
        // crowd them out and cost every request a write).
        if matches!(crate::ops::metrics::route_group(&route), "ops" | "assets") {
            return;
        }
        let who = &req.local_cache(Who::default).0;
        let now = req
            .rocket()
            .state::<crate::db::time::SharedClock>()
            .map_or(0, |c| c.now());
        self.1.offer(crate::monitoring::logs::LogLine {
            at: now,
            level: if status >= 500 { "error" } else { "info" },
            kind: "request",
            request_id: start.id.clone(),
            method: Some(req.method().as_str().to_string()),
            route: Some(route.clone()),
            path: Some(req.uri().path().to_string()),
            status: Some(i64::from(status)),
            duration_ms: Some(elapsed.as_secs_f64() * 1_000.0),
            user_id: who.as_ref().map(|(u, _)| u.clone()),
            org_id: who.as_ref().and_then(|(_, o)| o.clone()),
            ip: req.client_ip().map(|ip| ip.to_string()),
            message: String::new(),
        });
        tracing::info!(
            request_id = %start.id,
            method = %req.method(),
            path = %req.uri().path(),
            status,
            ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    }
}

/// Security headers on every response.
pub struct SecurityHeaders {
    pub https: bool,
}

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, _: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "strict-origin-when-cross-origin"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        res.set_header(Header::new(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ));
        if self.https {
            res.set_header(Header::new("Strict-Transport-Security", "max-age=31536000"));
        }
        // Every cookie leaves with the house attributes, whoever set it.
        let set: Vec<String> = res.headers().get("Set-Cookie").map(str::to_string).collect();
        if !set.is_empty() {
            res.remove_header("Set-Cookie");
            for value in set {
                let value = super::cookies::harden(&value, self.https).unwrap_or(value);
                res.adjoin_header(Header::new("Set-Cookie", value));
            }
        }
    }
}
