//! The scheduler: cron jobs run when due by the (moved) clock, once, even
//! with two schedulers on one database and across restarts.

use crate::helpers::{Spawn, T0, TestApp};
use luneo::db::time::Clock;
use luneo::jobs::{JobDef, Scheduler};
use luneo::ops::metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn counting_job(name: &'static str, counter: Arc<AtomicUsize>) -> JobDef {
    JobDef::new(name, "0 0 * * * *", move |_ctx| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok("counted".to_string())
        }
    })
}

#[tokio::test]
async fn an_hourly_job_runs_when_its_time_comes_and_only_then() {
    let count = Arc::new(AtomicUsize::new(0));
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        extra_jobs: vec![counting_job("test.hourly", count.clone())],
        ..Spawn::default()
    })
    .await;
    // Only this job counts here (monitoring's run every few seconds).
    let hourly =
        |runs: Vec<luneo::jobs::JobRun>| runs.into_iter().filter(|r| r.name == "test.hourly").collect::<Vec<_>>();
    assert!(
        hourly(app.scheduler.run_due().await).is_empty(),
        "nothing is due at 10:30"
    );
    app.clock.advance(29 * 60);
    assert!(
        hourly(app.scheduler.run_due().await).is_empty(),
        "nothing is due at 10:59"
    );
    app.clock.advance(60);
    let runs = hourly(app.scheduler.run_due().await);
    assert_eq!(runs.len(), 1);
    assert!(runs[0].ok);
    assert!(
        hourly(app.scheduler.run_due().await).is_empty(),
        "the next run is at 12:00"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let now = app.clock.now();
    let jobs = app.db.read(move |c| luneo::jobs::list(c, now)).await.unwrap();
    let job = jobs.iter().find(|j| j.name == "test.hourly").unwrap();
    assert_eq!(job.runs, 1);
    assert_eq!(job.last_outcome.as_deref(), Some("ok"));
    assert_eq!(job.next_run_at, T0 + 90 * 60);
    assert!(job.last_duration_ms.is_some() && !job.running);
}

#[tokio::test]
async fn two_schedulers_on_one_database_run_a_due_job_once() {
    let count = Arc::new(AtomicUsize::new(0));
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        extra_jobs: vec![counting_job("test.shared", count.clone())],
        ..Spawn::default()
    })
    .await;
    let other = Arc::new(
        Scheduler::new(
            app.db.clone(),
            app.clock.clone(),
            Arc::new(Metrics::default()),
            vec![counting_job("test.shared", count.clone())],
        )
        .unwrap(),
    );
    app.clock.advance(30 * 60);
    let (a, b) = tokio::join!(app.scheduler.run_due(), other.run_due());
    let ran = a.iter().chain(b.iter()).filter(|r| r.name == "test.shared").count();
    assert_eq!(ran, 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_restart_keeps_the_schedule_and_a_failed_run_is_recorded() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        extra_jobs: vec![JobDef::new("test.failing", "0 0 * * * *", |_| async {
            Err(luneo::error::AppError::internal("the printer is on fire"))
        })],
        ..Spawn::default()
    })
    .await;
    app.clock.advance(30 * 60);
    let runs = app.scheduler.run_due().await;
    let failed = runs.iter().find(|r| r.name == "test.failing").unwrap();
    assert!(!failed.ok && failed.message.contains("printer is on fire"));

    // A scheduler started again on the same database (a restart) does not run it again.
    let again = Scheduler::new(
        app.db.clone(),
        app.clock.clone(),
        Arc::new(Metrics::default()),
        vec![JobDef::new("test.failing", "0 0 * * * *", |_| async {
            Ok(String::new())
        })],
    )
    .unwrap();
    assert!(again.run_due().await.is_empty());
    let now = app.clock.now();
    let jobs = app.db.read(move |c| luneo::jobs::list(c, now)).await.unwrap();
    let job = jobs.iter().find(|j| j.name == "test.failing").unwrap();
    assert_eq!(job.last_outcome.as_deref(), Some("failed"));
    assert!(job.last_message.as_deref().unwrap().contains("printer is on fire"));
}
