//! Web vitals: a sample of page views report LCP, INP, CLS, FCP and TTFB
//! (`static/js/app.js`: PerformanceObserver, `navigator.sendBeacon`, no
//! cookie set, no library) to `POST /api/v1/vitals`. A malformed or
//! oversized beacon is dropped with 400 and never stored. The figures are
//! shown as the 75th percentile per page and device class against the
//! good / needs-improvement / poor thresholds of web.dev.

use crate::db::Db;
use crate::error::AppError;
use rusqlite::Connection;
use serde::Deserialize;

/// The largest beacon read.
pub const MAX_BYTES: usize = 1_024;
/// Vitals older than this are deleted every night.
pub const RETENTION_DAYS: i64 = 30;

/// What a beacon carries (the web-vitals field names).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    pub name: String,
    pub value: f64,
    pub id: String,
    pub page: String,
    /// Optional extras the web-vitals library sends; ignored.
    #[serde(default)]
    pub rating: Option<String>,
    #[serde(default)]
    pub delta: Option<f64>,
    #[serde(default, rename = "navigationType")]
    pub navigation_type: Option<String>,
}

/// The (good, poor) thresholds of a metric: below the first is good, above
/// the second is poor (milliseconds; CLS has no unit).
pub fn thresholds(name: &str) -> Option<(f64, f64)> {
    match name {
        "LCP" => Some((2_500.0, 4_000.0)),
        "INP" => Some((200.0, 500.0)),
        "CLS" => Some((0.1, 0.25)),
        "FCP" => Some((1_800.0, 3_000.0)),
        "TTFB" => Some((800.0, 1_800.0)),
        _ => None,
    }
}

/// A page path with its ids and tokens folded (`/dashboard/monitoring/checks/{id}`),
/// so that views of one page count together; `None` if it is no path.
pub fn page_key(page: &str) -> Option<String> {
    let path = page.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') || path.len() > 200 || path.contains("//") {
        return None;
    }
    let folded: Vec<&str> = path
        .split('/')
        .map(|segment| {
            let digits = segment.chars().filter(char::is_ascii_digit).count();
            if segment.len() >= 20 || digits >= 6 {
                "{id}"
            } else {
                segment
            }
        })
        .collect();
    Some(folded.join("/"))
}

/// A beacon checked: `(page, name, value)`, or why it is refused.
pub fn check(body: &str) -> Result<(String, String, f64), &'static str> {
    if body.len() > MAX_BYTES {
        return Err("too large");
    }
    let beacon: Beacon = serde_json::from_str(body).map_err(|_| "not a beacon")?;
    let (_, poor) = thresholds(&beacon.name).ok_or("unknown metric")?;
    let ceiling: f64 = if beacon.name == "CLS" { 100.0 } else { 120_000.0 };
    if !beacon.value.is_finite() || beacon.value < 0.0 || beacon.value > ceiling.max(poor) {
        return Err("value out of range");
    }
    if beacon.id.is_empty() || beacon.id.len() > 100 {
        return Err("bad id");
    }
    let page = page_key(&beacon.page).ok_or("bad page")?;
    Ok((page, beacon.name, beacon.value))
}

/// Phones and tablets by their user agent, the rest as desktop.
pub fn device_of(user_agent: Option<&str>) -> &'static str {
    match user_agent {
        Some(ua) if ua.contains("Mobi") || ua.contains("Android") || ua.contains("iPad") => "mobile",
        _ => "desktop",
    }
}

/// Stores one checked beacon, in the org of the public page it came from
/// (none for Luneo's own pages).
pub async fn store(db: &Db, page: String, name: String, value: f64, device: &'static str) -> Result<(), AppError> {
    db.write(move |tx| {
        tx.changes_no_identity();
        let slug = page
            .strip_prefix("/status/")
            .or_else(|| page.strip_prefix("/s/"))
            .map(|rest| rest.split('/').next().unwrap_or_default().to_string());
        let org: Option<String> = match slug {
            Some(slug) => crate::orgs::find_org(tx, &slug)?
                .filter(|o| o.slug == slug)
                .map(|o| o.id.to_string()),
            None => None,
        };
        tx.execute(
            "INSERT INTO monitoring_vitals (org_id, at, page, name, value, device) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![org, tx.now(), page, name, value, device],
        )?;
        Ok(())
    })
    .await
}

/// The 75th percentile of one metric on one page and device class.
#[derive(Debug, Clone)]
pub struct P75 {
    pub page: String,
    pub device: String,
    pub name: String,
    pub value: f64,
    pub samples: i64,
}

impl P75 {
    /// `good`, `needs-improvement` or `poor`.
    pub fn rating(&self) -> &'static str {
        match thresholds(&self.name) {
            Some((good, _)) if self.value <= good => "good",
            Some((_, poor)) if self.value <= poor => "needs-improvement",
            _ => "poor",
        }
    }

    /// The value as shown: "1.24 s", "180 ms", "0.05".
    pub fn shown(&self) -> String {
        match self.name.as_str() {
            "CLS" => format!("{:.2}", self.value),
            _ if self.value >= 1_000.0 => format!("{:.2} s", self.value / 1_000.0),
            _ => format!("{:.0} ms", self.value),
        }
    }
}

/// The p75 of every metric per page and device class since `since`, for
/// `org_id` (or, with `None`, for Luneo's own pages), busiest pages first.
pub fn p75(conn: &Connection, org_id: Option<&str>, since: i64) -> Result<Vec<P75>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT page, device, name, value, n FROM (
           SELECT page, device, name, value,
                  row_number() OVER (PARTITION BY page, device, name ORDER BY value) AS rn,
                  count(*) OVER (PARTITION BY page, device, name) AS n,
                  count(*) OVER (PARTITION BY page) AS views
           FROM monitoring_vitals WHERE org_id IS ?1 AND at >= ?2)
         WHERE rn = (n * 3 + 3) / 4 ORDER BY views DESC, page, device, name LIMIT 200",
    )?;
    let rows = stmt.query_map(rusqlite::params![org_id, since], |r| {
        Ok(P75 {
            page: r.get(0)?,
            device: r.get(1)?,
            name: r.get(2)?,
            value: r.get(3)?,
            samples: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beacons_are_checked_and_pages_folded() {
        let ok = r#"{"name":"LCP","value":1234.5,"id":"v4-1","page":"/dashboard/monitoring/checks/chk_01M8XBZSBCVF669SWPKBJ9X8YT?x=1"}"#;
        assert_eq!(
            check(ok),
            Ok(("/dashboard/monitoring/checks/{id}".into(), "LCP".into(), 1234.5))
        );
        for bad in [
            r#"{"name":"XYZ","value":1,"id":"a","page":"/"}"#,
            r#"{"name":"CLS","value":-1,"id":"a","page":"/"}"#,
            r#"{"name":"LCP","value":1,"id":"a","page":"https://evil.example/"}"#,
            r#"{"name":"LCP","value":1,"id":"a","page":"/","extra":true}"#,
            r#"{"name":"LCP","value":1e308,"id":"a","page":"/"}"#,
            "not json",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(
            check(&format!(
                r#"{{"name":"LCP","value":1,"id":"a","page":"/{}"}}"#,
                "x".repeat(1_100)
            ))
            .is_err()
        );
    }

    #[test]
    fn the_75th_percentile_is_rated_against_the_thresholds() {
        let p = |name: &str, value: f64| P75 {
            page: "/".into(),
            device: "desktop".into(),
            name: name.into(),
            value,
            samples: 4,
        };
        assert_eq!(p("LCP", 2_400.0).rating(), "good");
        assert_eq!(p("INP", 300.0).rating(), "needs-improvement");
        assert_eq!(p("CLS", 0.3).rating(), "poor");
        assert_eq!(p("LCP", 2_400.0).shown(), "2.40 s");
        assert_eq!(p("CLS", 0.05).shown(), "0.05");
    }
}
