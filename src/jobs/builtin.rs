//! The jobs the spine itself runs: housekeeping of the outbox and the database.

use super::JobDef;

/// Sent outbox rows are kept this long for the delivery history.
pub const SENT_RETENTION_DAYS: i64 = 30;
/// Dead outbox rows are kept this long so they can be inspected and replayed.
pub const DEAD_RETENTION_DAYS: i64 = 90;

pub fn jobs() -> Vec<JobDef> {
    vec![
        JobDef::new("outbox.purge", "0 15 3 * * *", |ctx| async move {
            let now = ctx.clock.now();
            let removed = ctx
                .db
                .write(move |tx| {
                    Ok(tx.execute(
                        "DELETE FROM outbox WHERE (status = 'sent' AND sent_at < ?1) OR (status = 'dead' AND created_at < ?2)",
                        (now - SENT_RETENTION_DAYS * 86_400, now - DEAD_RETENTION_DAYS * 86_400),
                    )?)
                })
                .await?;
            Ok(format!("removed {removed} old outbox rows"))
        }),
        JobDef::new("db.optimize", "0 45 3 * * *", |ctx| async move {
            ctx.db
                .write(|tx| {
                    // 0x10002: look at every table (not only those this
                    // connection queried) and ANALYZE where statistics are
                    // missing or stale, so the planner knows the indexes' worth.
                    tx.execute_batch("PRAGMA optimize = 0x10002")?;
                    Ok(())
                })
                .await?;
            Ok("PRAGMA optimize done".into())
        }),
    ]
}
