//! Service levels: per priority, how soon a ticket gets its first response
//! and its resolution, counted in the organisation's business hours (its
//! time zone, working days, opening and closing time). Each ticket keeps
//! its two due times (set when it opens and when its priority changes);
//! the job `support.sla` marks the ones past due, once, and tells the
//! assignee (or the team).

use super::Priority;
use super::tickets::Ticket;
use crate::db::Tx;
use crate::error::{AppError, FieldError};
use crate::notifications::{self, Notice};
use crate::web::forms::Checks;
use chrono::{Datelike, Duration, NaiveTime, TimeZone};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// An organisation's service levels (the defaults until it sets its own).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// ISO weekdays worked, `1` Monday … `7` Sunday, e.g. `12345`.
    pub work_days: String,
    /// Opening and closing, minutes after local midnight.
    pub opens_minute: i64,
    pub closes_minute: i64,
    /// Business minutes to the first response and to the resolution, by
    /// priority (low, medium, high, urgent).
    pub first_response: [i64; 4],
    pub resolution: [i64; 4],
    /// Days after which a resolved ticket closes by itself (0: never).
    pub auto_close_days: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            work_days: "12345".into(),
            opens_minute: 9 * 60,
            closes_minute: 18 * 60,
            first_response: [24 * 60, 8 * 60, 4 * 60, 60],
            resolution: [5 * 9 * 60, 3 * 9 * 60, 9 * 60, 4 * 60],
            auto_close_days: 7,
        }
    }
}

fn index(p: Priority) -> usize {
    match p {
        Priority::Low => 0,
        Priority::Medium => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

impl Policy {
    /// When a ticket of `priority` opened at `from` is due: (first response, resolution).
    pub fn due(&self, time_zone: &str, from: i64, priority: Priority) -> (i64, i64) {
        let i = index(priority);
        (
            self.add(time_zone, from, self.first_response[i]),
            self.add(time_zone, from, self.resolution[i]),
        )
    }

    /// The business seconds between `from` and `to` (Unix seconds), in `time_zone`.
    pub fn between(&self, time_zone: &str, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
        let days: Vec<u32> = self.work_days.chars().filter_map(|c| c.to_digit(10)).collect();
        let Some(start) = tz.timestamp_opt(from, 0).single() else {
            return to - from;
        };
        if days.is_empty() || self.closes_minute <= self.opens_minute {
            return to - from;
        }
        let (mut total, mut date) = (0, start.date_naive());
        for _ in 0..3_660 {
            let (opens, closes) = self.window(tz, date);
            if opens >= to {
                break;
            }
            if days.contains(&date.weekday().number_from_monday()) {
                total += (closes.min(to) - opens.max(from)).max(0);
            }
            date += Duration::days(1);
        }
        total
    }

    /// The opening and closing instants of `date` in `tz`.
    fn window(&self, tz: chrono_tz::Tz, date: chrono::NaiveDate) -> (i64, i64) {
        let at = |minute: i64| {
            let time = NaiveTime::from_num_seconds_from_midnight_opt((minute * 60) as u32, 0).unwrap_or(NaiveTime::MIN);
            tz.from_local_datetime(&date.and_time(time))
                .earliest()
                .map_or(0, |t| t.timestamp())
        };
        (at(self.opens_minute), at(self.closes_minute))
    }

    /// `minutes` of business time after `from` (Unix seconds), in `time_zone`.
    pub fn add(&self, time_zone: &str, from: i64, minutes: i64) -> i64 {
        let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
        let days: Vec<u32> = self.work_days.chars().filter_map(|c| c.to_digit(10)).collect();
        let open_span = self.closes_minute - self.opens_minute;
        if days.is_empty() || open_span <= 0 {
            return from + minutes * 60; // no business hours: calendar time
        }
        let Some(start) = tz.timestamp_opt(from, 0).single() else {
            return from + minutes * 60;
        };
        let mut left = minutes * 60;
        let mut date = start.date_naive();
        // At most ten years of days: a policy always ends well before.
        for _ in 0..3_660 {
            if days.contains(&date.weekday().number_from_monday()) {
                let (opens, closes) = self.window(tz, date);
                let cursor = opens.max(from);
                if cursor < closes {
                    if left <= closes - cursor {
                        return cursor + left;
                    }
                    left -= closes - cursor;
                }
            }
            date += Duration::days(1);
        }
        from + minutes * 60
    }
}

/// The service levels of `org_id`.
pub fn policy(conn: &Connection, org_id: &str) -> Result<Policy, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT work_days, opens_minute, closes_minute, first_low, first_medium, first_high, first_urgent,
               resolve_low, resolve_medium, resolve_high, resolve_urgent, auto_close_days
             FROM support_sla WHERE org_id = ?1",
        )?
        .query_row([org_id], |r| {
            Ok(Policy {
                work_days: r.get(0)?,
                opens_minute: r.get(1)?,
                closes_minute: r.get(2)?,
                first_response: [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                resolution: [r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
                auto_close_days: r.get(11)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// What the settings form or the API sends: hours as `HH:MM`, targets in
/// hours of business time.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Worked weekdays, `1` Monday … `7` Sunday.
    #[serde(default)]
    pub work_days: Vec<u32>,
    #[serde(default)]
    #[field(default = String::new())]
    pub opens: String,
    #[serde(default)]
    #[field(default = String::new())]
    pub closes: String,
    pub first_low: Option<f64>,
    pub first_medium: Option<f64>,
    pub first_high: Option<f64>,
    pub first_urgent: Option<f64>,
    pub resolve_low: Option<f64>,
    pub resolve_medium: Option<f64>,
    pub resolve_high: Option<f64>,
    pub resolve_urgent: Option<f64>,
    /// Days after which a resolved ticket closes by itself (0: never).
    pub auto_close_days: Option<i64>,
}

fn minute_of(text: &str) -> Option<i64> {
    let t = NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()?;
    Some(i64::from(t.num_seconds_from_midnight()) / 60)
}

use chrono::Timelike;

impl PolicyInput {
    pub fn parse(&self) -> Result<Policy, Vec<FieldError>> {
        let mut c = Checks::default();
        let mut days: Vec<u32> = self.work_days.clone();
        days.sort_unstable();
        days.dedup();
        c.check(
            !days.is_empty() && days.iter().all(|d| (1..=7).contains(d)),
            "work_days",
            "support.error.work_days",
        );
        let (opens, closes) = (minute_of(&self.opens), minute_of(&self.closes));
        c.check(opens.is_some(), "opens", "support.error.hour");
        c.check(
            closes.is_some_and(|cl| opens.is_none_or(|o| cl > o)),
            "closes",
            "support.error.closes",
        );
        let hours = [
            ("first_low", self.first_low),
            ("first_medium", self.first_medium),
            ("first_high", self.first_high),
            ("first_urgent", self.first_urgent),
            ("resolve_low", self.resolve_low),
            ("resolve_medium", self.resolve_medium),
            ("resolve_high", self.resolve_high),
            ("resolve_urgent", self.resolve_urgent),
        ];
        for (field, h) in hours {
            c.check(
                h.is_some_and(|h| h.is_finite() && h > 0.0 && h <= 2_000.0),
                field,
                "support.error.target",
            );
        }
        c.check(
            self.auto_close_days.is_none_or(|d| (0..=365).contains(&d)),
            "auto_close_days",
            "support.error.auto_close_days",
        );
        c.into_result()?;
        let m = |h: Option<f64>| (h.unwrap_or(1.0) * 60.0).round() as i64;
        Ok(Policy {
            work_days: days.iter().map(|d| d.to_string()).collect(),
            opens_minute: opens.unwrap_or(540),
            closes_minute: closes.unwrap_or(1080),
            first_response: [
                m(self.first_low),
                m(self.first_medium),
                m(self.first_high),
                m(self.first_urgent),
            ],
            resolution: [
                m(self.resolve_low),
                m(self.resolve_medium),
                m(self.resolve_high),
                m(self.resolve_urgent),
            ],
            auto_close_days: self.auto_close_days.unwrap_or(7),
        })
    }
}

/// Saves the service levels of `org_id`, audited. Tickets keep the due
/// times they have; new ones (and new priorities) follow the new levels.
pub fn save(tx: &Tx, org_id: &str, p: &Policy) -> Result<(), AppError> {
    tx.execute(
        "INSERT INTO support_sla (org_id, work_days, opens_minute, closes_minute, first_low, first_medium, first_high,
           first_urgent, resolve_low, resolve_medium, resolve_high, resolve_urgent, auto_close_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (org_id) DO UPDATE SET work_days = excluded.work_days, opens_minute = excluded.opens_minute,
           closes_minute = excluded.closes_minute, first_low = excluded.first_low, first_medium = excluded.first_medium,
           first_high = excluded.first_high, first_urgent = excluded.first_urgent, resolve_low = excluded.resolve_low,
           resolve_medium = excluded.resolve_medium, resolve_high = excluded.resolve_high,
           resolve_urgent = excluded.resolve_urgent, auto_close_days = excluded.auto_close_days",
        rusqlite::params![
            org_id,
            p.work_days,
            p.opens_minute,
            p.closes_minute,
            p.first_response[0],
            p.first_response[1],
            p.first_response[2],
            p.first_response[3],
            p.resolution[0],
            p.resolution[1],
            p.resolution[2],
            p.resolution[3],
            p.auto_close_days
        ],
    )?;
    crate::audit::record(
        tx,
        "support.sla_saved",
        None,
        serde_json::json!({ "work_days": p.work_days }),
    )
}

fn time_zone(conn: &Connection, org_id: &str) -> Result<String, AppError> {
    Ok(conn.query_row("SELECT time_zone FROM orgs WHERE id = ?1", [org_id], |r| r.get(0))?)
}

/// Sets the due times of `ticket` from its org's levels, counted from when
/// it opened; the resolution also waits the business time the ticket spent
/// waiting for the customer.
pub fn set_due(tx: &Tx, ticket: &Ticket) -> Result<(), AppError> {
    let time_zone = time_zone(tx, &ticket.org_id)?;
    let priority = Priority::parse("priority", &ticket.priority).unwrap_or(Priority::Medium);
    let policy = policy(tx, &ticket.org_id)?;
    let (first, resolve) = policy.due(&time_zone, ticket.created_at, priority);
    let paused: i64 = tx.query_row(
        "SELECT paused_secs FROM support_tickets WHERE id = ?1",
        [ticket.id.as_str()],
        |r| r.get(0),
    )?;
    let resolve = if paused > 0 {
        policy.add(&time_zone, resolve, (paused + 59) / 60)
    } else {
        resolve
    };
    tx.execute(
        "UPDATE support_tickets SET first_response_due_at = ?2, resolution_due_at = ?3,
           first_response_breached = first_response_breached AND ?2 <= ?4,
           resolution_breached = resolution_breached AND ?3 <= ?4
         WHERE id = ?1",
        rusqlite::params![ticket.id.as_str(), first, resolve, tx.now()],
    )?;
    Ok(())
}

/// Stops the resolution clock when `ticket` starts waiting for the
/// customer, and when it stops waiting, moves the resolution due time on
/// by the business time it waited. Called on every change of status.
pub fn on_status(tx: &Tx, ticket: &Ticket, from: super::Status, to: super::Status) -> Result<(), AppError> {
    use super::Status::PendingCustomer;
    let now = tx.now();
    if to == PendingCustomer {
        tx.execute(
            "UPDATE support_tickets SET pending_since = ?2 WHERE id = ?1",
            rusqlite::params![ticket.id.as_str(), now],
        )?;
    } else if from == PendingCustomer {
        let since: Option<i64> = tx.query_row(
            "SELECT pending_since FROM support_tickets WHERE id = ?1",
            [ticket.id.as_str()],
            |r| r.get(0),
        )?;
        let waited = since.map_or(0, |s| {
            policy(tx, &ticket.org_id)
                .map(|p| p.between(&time_zone(tx, &ticket.org_id).unwrap_or_default(), s, now))
                .unwrap_or(0)
        });
        tx.execute(
            "UPDATE support_tickets SET pending_since = NULL, paused_secs = paused_secs + ?2 WHERE id = ?1",
            rusqlite::params![ticket.id.as_str(), waited],
        )?;
        if waited > 0 {
            set_due(tx, ticket)?;
        }
    }
    Ok(())
}

/// Marks the tickets past a due time (once each) and tells their assignee
/// or the team; returns how many breaches it found.
pub fn check_breaches(tx: &Tx, base: &reqwest::Url) -> Result<usize, AppError> {
    let now = tx.now();
    let mut found: Vec<(String, String, &'static str)> = vec![];
    for (which, sql) in [
        (
            "first_response",
            "UPDATE support_tickets SET first_response_breached = 1
             WHERE first_response_breached = 0 AND first_response_at IS NULL AND first_response_due_at <= ?1
               AND status NOT IN ('resolved', 'closed') RETURNING id, org_id",
        ),
        (
            "resolution",
            "UPDATE support_tickets SET resolution_breached = 1
             WHERE resolution_breached = 0 AND resolution_due_at <= ?1
               AND status NOT IN ('resolved', 'closed', 'pending_customer') RETURNING id, org_id",
        ),
    ] {
        // (A ticket waiting for the customer is never late to resolve: its clock stands still.)
        let mut stmt = tx.prepare_cached(sql)?;
        let rows = stmt.query_map([now], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, org) = row?;
            found.push((id, org, which));
        }
    }
    if found.is_empty() {
        tx.changes_no_identity();
    }
    for (id, org, which) in &found {
        let Some(ticket) = super::tickets::get(tx, org, id)? else {
            continue;
        };
        let recipients = super::tickets::answerers(tx, &ticket)?;
        let link = format!("/dashboard/support/tickets/{id}");
        let notice = Notice {
            kind: &notifications::SUPPORT_SLA_BREACHED,
            data: serde_json::json!({ "number": ticket.reference(), "subject": ticket.subject,
                "target": { "t": format!("support.sla.{which}") } }),
            link: Some(&link),
        };
        notifications::notify(tx, org, &recipients, notice, base)?;
    }
    Ok(found.len())
}

#[cfg(test)]
mod tests {
    use super::{Policy, Priority};
    use chrono::TimeZone;

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        chrono_tz::Europe::Paris
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .timestamp()
    }

    #[test]
    fn business_time_skips_nights_and_weekends_in_the_orgs_zone() {
        let p = Policy::default(); // Monday to Friday, 09:00–18:00
        // Friday 17:00 + 2 h: 1 h on Friday, 1 h on Monday.
        assert_eq!(
            p.add("Europe/Paris", paris(2026, 12, 4, 17, 0), 120),
            paris(2026, 12, 7, 10, 0)
        );
        // Saturday: the clock starts on Monday at 09:00.
        assert_eq!(
            p.add("Europe/Paris", paris(2026, 12, 5, 11, 0), 30),
            paris(2026, 12, 7, 9, 30)
        );
        // Before opening, the same day.
        assert_eq!(
            p.add("Europe/Paris", paris(2026, 12, 8, 7, 0), 60),
            paris(2026, 12, 8, 10, 0)
        );
        // Across the change to summer time (Sunday 29 March 2026).
        assert_eq!(
            p.add("Europe/Paris", paris(2026, 3, 27, 17, 30), 60),
            paris(2026, 3, 30, 9, 30)
        );
        let (first, resolve) = p.due("Europe/Paris", paris(2026, 12, 8, 9, 0), Priority::Urgent);
        assert_eq!((first, resolve), (paris(2026, 12, 8, 10, 0), paris(2026, 12, 8, 13, 0)));
    }

    #[test]
    fn the_business_time_between_two_instants_skips_nights_and_weekends() {
        let p = Policy::default();
        // Friday 17:00 to Monday 10:00 in Paris: one hour each side.
        assert_eq!(
            p.between("Europe/Paris", paris(2026, 12, 4, 17, 0), paris(2026, 12, 7, 10, 0)),
            2 * 3600
        );
        assert_eq!(
            p.between("Europe/Paris", paris(2026, 12, 8, 10, 0), paris(2026, 12, 8, 10, 30)),
            1800
        );
        assert_eq!(
            p.between("Europe/Paris", paris(2026, 12, 5, 10, 0), paris(2026, 12, 6, 10, 0)),
            0,
            "a weekend"
        );
        let from = paris(2026, 12, 8, 11, 0);
        assert_eq!(
            p.add(
                "Europe/Paris",
                from,
                p.between("Europe/Paris", from, paris(2026, 12, 9, 15, 0)) / 60
            ),
            paris(2026, 12, 9, 15, 0)
        );
    }

    #[test]
    fn without_working_days_time_is_calendar_time() {
        let p = Policy {
            work_days: String::new(),
            ..Policy::default()
        };
        assert_eq!(p.add("UTC", 1_000, 10), 1_600);
    }
}
