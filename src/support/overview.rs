//! The figures at the top of `/dashboard/support`: open tickets by status
//! and by priority, unassigned, late and soon due, the first-response and
//! resolution times (median and 90th percentile, business-blind) of the
//! last 30 days, the categories with the most tickets then, the requesters'
//! ratings of that period, and what the help centre answered on its own
//! (article views and "helpful" votes, since the articles exist). Each
//! count links to the list filtered to it.

use crate::error::AppError;
use rusqlite::Connection;

/// Due within this many seconds counts as "soon".
pub const SOON: i64 = 4 * 3_600;
/// The period of the times and the top categories.
pub const PERIOD_DAYS: i64 = 30;

#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Open statuses (open, pending customer, in progress) with their count.
    pub by_status: Vec<(&'static str, i64)>,
    /// Unresolved tickets by priority, most urgent first.
    pub by_priority: Vec<(&'static str, i64)>,
    pub unassigned: i64,
    pub late: i64,
    pub due_soon: i64,
    /// Seconds: (median, 90th percentile), when there are any.
    pub first_response: Option<(i64, i64)>,
    pub resolution: Option<(i64, i64)>,
    pub top_categories: Vec<(String, i64)>,
    /// Ratings of the period: (good, bad).
    pub ratings: (i64, i64),
    /// The help centre: published articles' views, "helpful" yes and no votes.
    pub kb_views: i64,
    pub kb_helpful: (i64, i64),
    /// Requests an article answered in the period (from the new request form's suggestions).
    pub deflected: i64,
    /// Tickets opened in the period.
    pub opened: i64,
}

impl Overview {
    /// The share of good ratings, in percent, when there are any.
    pub fn satisfaction_percent(&self) -> Option<i64> {
        let (good, bad) = self.ratings;
        (good + bad > 0).then(|| (good * 100 + (good + bad) / 2) / (good + bad))
    }
}

fn percentiles(mut v: Vec<i64>) -> Option<(i64, i64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Some((at(0.5), at(0.9)))
}

/// The figures of `org_id` at `now`.
pub fn figures(conn: &Connection, org_id: &str, now: i64) -> Result<Overview, AppError> {
    let open = "status IN ('open', 'pending_customer', 'in_progress')";
    let count = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<i64, AppError> {
        Ok(conn.query_row(sql, args, |r| r.get(0))?)
    };
    let mut out = Overview::default();
    for status in ["open", "pending_customer", "in_progress"] {
        let n = count(
            "SELECT count(*) FROM support_tickets WHERE org_id = ?1 AND status = ?2",
            &[&org_id, &status],
        )?;
        out.by_status.push((status, n));
    }
    for priority in ["urgent", "high", "medium", "low"] {
        let n = count(
            &format!("SELECT count(*) FROM support_tickets WHERE org_id = ?1 AND priority = ?2 AND {open}"),
            &[&org_id, &priority],
        )?;
        out.by_priority.push((priority, n));
    }
    out.unassigned = count(
        &format!("SELECT count(*) FROM support_tickets WHERE org_id = ?1 AND assignee_id IS NULL AND {open}"),
        &[&org_id],
    )?;
    out.late = count(
        &format!(
            "SELECT count(*) FROM support_tickets WHERE org_id = ?1 AND {open}
               AND (first_response_breached = 1 OR resolution_breached = 1)"
        ),
        &[&org_id],
    )?;
    out.due_soon = count(
        &format!(
            "SELECT count(*) FROM support_tickets WHERE org_id = ?1 AND {open}
               AND first_response_breached = 0 AND resolution_breached = 0
               AND ((first_response_at IS NULL AND first_response_due_at <= ?2) OR resolution_due_at <= ?2)"
        ),
        &[&org_id, &(now + SOON)],
    )?;
    let since = now - PERIOD_DAYS * 86_400;
    let durations = |column: &str| -> Result<Vec<i64>, AppError> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {column} - created_at FROM support_tickets
             WHERE org_id = ?1 AND created_at >= ?2 AND {column} IS NOT NULL"
        ))?;
        let rows = stmt.query_map(rusqlite::params![org_id, since], |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    out.first_response = percentiles(durations("first_response_at")?);
    out.resolution = percentiles(durations("resolved_at")?);
    let mut stmt = conn.prepare_cached(
        "SELECT c.name, count(*) FROM support_tickets t JOIN support_categories c ON c.id = t.category_id
         WHERE t.org_id = ?1 AND t.created_at >= ?2 GROUP BY c.id ORDER BY count(*) DESC, c.name LIMIT 5",
    )?;
    let rows = stmt.query_map(rusqlite::params![org_id, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    out.top_categories = rows.collect::<Result<_, _>>()?;
    out.ratings = conn.query_row(
        "SELECT coalesce(sum(satisfaction = 'good'), 0), coalesce(sum(satisfaction = 'bad'), 0)
         FROM support_tickets WHERE org_id = ?1 AND rated_at >= ?2",
        rusqlite::params![org_id, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (views, yes, no) = conn.query_row(
        "SELECT coalesce(sum(views), 0), coalesce(sum(helpful_yes), 0), coalesce(sum(helpful_no), 0)
         FROM support_kb_articles WHERE org_id = ?1 AND status = 'published'",
        [org_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    (out.kb_views, out.kb_helpful) = (views, (yes, no));
    out.deflected = count(
        "SELECT count(*) FROM support_deflections WHERE org_id = ?1 AND at >= ?2",
        &[&org_id, &since],
    )?;
    out.opened = count(
        "SELECT count(*) FROM support_tickets WHERE org_id = ?1 AND created_at >= ?2",
        &[&org_id, &since],
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_median_and_the_90th_percentile() {
        assert_eq!(super::percentiles(vec![]), None);
        assert_eq!(super::percentiles(vec![30, 10, 20]), Some((20, 30)));
        assert_eq!(super::percentiles((1..=10).collect()), Some((5, 9)));
    }
}
