//! Maintenance windows: a time when a check (or all of an org's) may fail
//! without an alert and without counting against its uptime; one-off, or
//! repeated every day or every week from the first window (in UTC). The
//! status page announces the next ones.

use crate::db::Tx;
use crate::error::{AppError, FieldError};
use crate::web::forms::Checks;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// The id of a maintenance window (`mnt_…`).
    WindowId,
    "mnt"
);

/// A window as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub id: WindowId,
    /// `None`: every check of the org.
    pub check_id: Option<String>,
    pub check_name: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub repeat: String,
    pub note: String,
}

impl Window {
    fn period(&self) -> Option<i64> {
        match self.repeat.as_str() {
            "daily" => Some(86_400),
            "weekly" => Some(7 * 86_400),
            _ => None,
        }
    }

    /// The occurrence that is on at `now`, or the next one after it:
    /// `(start, end)`, or `None` when a one-off window is over.
    pub fn occurrence(&self, now: i64) -> Option<(i64, i64)> {
        let length = self.ends_at - self.starts_at;
        match self.period() {
            None => (self.ends_at > now).then_some((self.starts_at, self.ends_at)),
            Some(_) if now < self.starts_at => Some((self.starts_at, self.ends_at)),
            Some(p) => {
                let start = self.starts_at + (now - self.starts_at) / p * p;
                if now < start + length {
                    Some((start, start + length))
                } else {
                    Some((start + p, start + p + length))
                }
            }
        }
    }

    /// Whether the window is on at `now`.
    pub fn is_on(&self, now: i64) -> bool {
        self.occurrence(now)
            .is_some_and(|(start, end)| start <= now && now < end)
    }
}

/// What the form sends for a window.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
pub struct WindowInput {
    /// Empty: every check.
    pub check_id: Option<String>,
    /// `YYYY-MM-DDTHH:MM` (a `datetime-local` field), in UTC.
    pub starts: Option<String>,
    pub minutes: Option<i64>,
    pub repeat: Option<String>,
    pub note: Option<String>,
}

/// A window's settings, checked.
pub struct WindowSpec {
    pub check_id: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub repeat: String,
    pub note: String,
}

impl WindowInput {
    pub fn parse(&self) -> Result<WindowSpec, Vec<FieldError>> {
        let mut c = Checks::default();
        let starts = super::instant("starts", &self.starts).ok().flatten();
        c.check(starts.is_some(), "starts", "monitoring.error.window_start");
        let minutes = self.minutes.unwrap_or(0);
        c.check(
            (1..=7 * 24 * 60).contains(&minutes),
            "minutes",
            "monitoring.error.window_minutes",
        );
        let repeat = self.repeat.clone().unwrap_or_else(|| "none".into());
        c.check(
            matches!(repeat.as_str(), "none" | "daily" | "weekly"),
            "repeat",
            "monitoring.error.window_repeat",
        );
        let note = self.note.clone().unwrap_or_default().trim().to_string();
        c.check(note.chars().count() <= 200, "note", "monitoring.error.window_note");
        c.into_result()?;
        let starts_at = starts.unwrap_or_default();
        Ok(WindowSpec {
            check_id: self.check_id.clone().filter(|c| !c.trim().is_empty()),
            starts_at,
            ends_at: starts_at + minutes * 60,
            repeat,
            note,
        })
    }
}

/// The windows of `org_id`, by start.
pub fn list(conn: &Connection, org_id: &str) -> Result<Vec<Window>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT w.id, w.check_id, c.name, w.starts_at, w.ends_at, w.repeat, w.note
         FROM monitoring_maintenance w LEFT JOIN monitoring_checks c ON c.id = w.check_id
         WHERE w.org_id = ?1 ORDER BY w.starts_at",
    )?;
    let rows = stmt.query_map([org_id], |r| {
        Ok(Window {
            id: WindowId::from_text(r.get::<_, String>(0)?),
            check_id: r.get(1)?,
            check_name: r.get(2)?,
            starts_at: r.get(3)?,
            ends_at: r.get(4)?,
            repeat: r.get(5)?,
            note: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether `check_id` of `org_id` is inside a window at `now`.
pub fn is_on(conn: &Connection, org_id: &str, check_id: &str, now: i64) -> Result<bool, AppError> {
    Ok(list(conn, org_id)?
        .iter()
        .any(|w| w.check_id.as_deref().is_none_or(|c| c == check_id) && w.is_on(now)))
}

/// Adds a window to `org_id` (its check, if named, must be the org's), audited.
pub fn create(tx: &Tx, org_id: &str, spec: &WindowSpec) -> Result<WindowId, AppError> {
    if let Some(check) = &spec.check_id
        && super::checks::get(tx, org_id, check)?.is_none()
    {
        return Err(AppError::invalid("check_id", "monitoring.error.window_check"));
    }
    let id = WindowId::generate();
    tx.execute(
        "INSERT INTO monitoring_maintenance (id, org_id, check_id, starts_at, ends_at, repeat, note, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id.as_str(),
            org_id,
            spec.check_id,
            spec.starts_at,
            spec.ends_at,
            spec.repeat,
            spec.note,
            tx.now()
        ],
    )?;
    crate::audit::record(
        tx,
        "monitoring.maintenance_planned",
        Some(("maintenance", &id)),
        serde_json::json!({ "starts_at": crate::db::time::rfc3339(spec.starts_at), "repeat": spec.repeat }),
    )?;
    Ok(id)
}

/// Deletes a window of `org_id`, audited.
pub fn delete(tx: &Tx, org_id: &str, id: &WindowId) -> Result<(), AppError> {
    if tx.execute(
        "DELETE FROM monitoring_maintenance WHERE org_id = ?1 AND id = ?2",
        [org_id, id.as_str()],
    )? == 0
    {
        return Err(AppError::NotFound);
    }
    crate::audit::record(
        tx,
        "monitoring.maintenance_cancelled",
        Some(("maintenance", id)),
        serde_json::json!({}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: i64, minutes: i64, repeat: &str) -> Window {
        Window {
            id: WindowId::from_text("mnt_1"),
            check_id: None,
            check_name: None,
            starts_at: start,
            ends_at: start + minutes * 60,
            repeat: repeat.into(),
            note: String::new(),
        }
    }

    #[test]
    fn one_off_and_repeated_windows_know_when_they_are_on() {
        let once = window(1_000_000, 30, "none");
        assert!(!once.is_on(999_999) && once.is_on(1_000_000) && !once.is_on(1_001_800));
        assert_eq!(once.occurrence(1_001_800), None, "over");
        let nightly = window(1_000_000, 30, "daily");
        assert!(
            nightly.is_on(1_000_000 + 3 * 86_400 + 60),
            "three days later, same time"
        );
        assert!(!nightly.is_on(1_000_000 + 3 * 86_400 + 1_800));
        assert_eq!(
            nightly.occurrence(1_000_000 + 3 * 86_400 + 1_800),
            Some((1_000_000 + 4 * 86_400, 1_000_000 + 4 * 86_400 + 1_800)),
            "the next one"
        );
        assert!(!window(1_000_000, 30, "weekly").is_on(1_000_000 + 86_400));
    }
}
