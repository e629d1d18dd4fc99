//! Luneo: a self-hosted platform for shops that sell personalised products.
//! [`app`] is the one place where the Rocket application is assembled from a
//! [`Config`]; `main.rs` only parses the command line.

pub mod account;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod cli;
mod cli_accounts;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod designs;
pub mod error;
pub mod files;
pub mod fonts;
pub mod jobs;
pub mod mail;
pub mod monitoring;
pub mod net;
pub mod notifications;
pub mod ops;
pub mod orgs;
pub mod render;
pub mod site;
pub mod storefront;
pub mod support;
pub mod web;

pub use config::Config;

use db::time::{SharedClock, system_clock};
use db::{DataDirLock, Db};
use jobs::outbox::Outbox;
use jobs::{JobDef, Scheduler};
use mail::Mailer;
use ops::metrics::Metrics;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why the app could not be built; `main` turns it into an exit status.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    DataDir(String),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("{0}")]
    Other(String),
}

impl StartError {
    /// 2 for configuration mistakes, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            StartError::Config(_) => 2,
            _ => 1,
        }
    }
}

/// Knobs that tests and tools turn; the defaults are what `luneo serve` uses.
pub struct Options {
    pub clock: SharedClock,
    /// Start the scheduler and the outbox worker at lift-off.
    pub start_workers: bool,
    /// Stop on SIGTERM/SIGINT (off for in-process tests).
    pub handle_signals: bool,
    /// Jobs added to the built-in ones.
    pub extra_jobs: Vec<JobDef>,
    /// The stored log's sink, when the process's log subscriber already
    /// forwards to it (`luneo serve`); a new one otherwise.
    pub logs: Option<Arc<monitoring::logs::LogSink>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: system_clock(),
            start_workers: true,
            handle_signals: true,
            extra_jobs: vec![],
            logs: None,
        }
    }
}

/// Creates the data directory if needed and checks that it is writable.
pub fn prepare_data_dir(dir: &Path) -> Result<(), StartError> {
    let fail = |e: std::io::Error| {
        StartError::DataDir(format!(
            "the data directory {} is not usable ({e}); set LUNEO_DATA_DIR to a directory Luneo may write, or fix its permissions",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

/// The configured secret, or the one kept in `DATA_DIR/secret_key`
/// (generated on first start, readable by its owner only).
fn secret_key(config: &Config) -> Result<String, StartError> {
    if let Some(key) = &config.secret_key {
        return Ok(key.clone());
    }
    let path = config.data_dir.join("secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().to_string());
    }
    let key = db::ids::random_token(32);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .map_err(|e| StartError::DataDir(format!("cannot create {}: {e}", path.display())))?;
    std::io::Write::write_all(&mut file, key.as_bytes()).map_err(|e| StartError::Other(e.to_string()))?;
    tracing::info!(path = %path.display(), "generated a new secret key");
    Ok(key)
}

fn rocket_figment(config: &Config, secret: &str, opts: &Options) -> Figment {
    let signals: Vec<&str> = if opts.handle_signals {
        vec!["term", "int"]
    } else {
        vec![]
    };
    Figment::from(rocket::Config::default())
        .merge(("address", config.address))
        .merge(("port", config.port))
        .merge(("ident", "Luneo"))
        .merge(("log_level", "off"))
        .merge(("cli_colors", false))
        .merge(("secret_key", hex::encode(Sha256::digest(secret.as_bytes()))))
        .merge(("limits.form", config.limit_form))
        .merge(("limits.json", config.limit_json))
        .merge(("limits.data-form", config.limit_upload))
        .merge(("limits.file", config.limit_upload))
        .merge(("shutdown.ctrlc", opts.handle_signals))
        .merge(("shutdown.signals", signals))
        .merge(("shutdown.grace", config.shutdown_grace))
        .merge(("shutdown.mercy", config.shutdown_grace.min(5)))
        // Rocket trusts X-Real-IP by default; only a configured proxy header is trusted here.
        .merge(match &config.ip_header {
            Some(h) => ("ip_header", rocket::figment::value::Value::from(h.clone())),
            None => ("ip_header", rocket::figment::value::Value::from(false)),
        })
}

/// Background tasks started at lift-off, awaited at shutdown.
struct Workers(Mutex<Vec<tokio::task::JoinHandle<()>>>);

/// Every scheduled job of every feature.
pub fn all_jobs(config: &Config, metrics: Arc<Metrics>, mailer: Option<Arc<Mailer>>) -> Vec<JobDef> {
    let mut all = jobs::builtin::jobs();
    all.extend(audit::jobs());
    all.extend(auth::jobs());
    all.extend(notifications::jobs(
        config.base_url.clone(),
        config.notification_retention_days,
    ));
    let runner = monitoring::probe::Runner::new(config.base_url.clone(), config.monitoring_private_targets);
    let sampler = monitoring::system::Sampler::new(metrics, config.data_dir.clone(), config.db_path())
        .watching(config.base_url.clone(), mailer);
    all.extend(support::jobs(config.base_url.clone()));
    all.extend(monitoring::jobs(
        Arc::new(runner),
        Arc::new(sampler),
        config.base_url.clone(),
        config.retention,
    ));
    all
}

/// The sidebar: every feature's entry, in order (a feature not built has
/// none, so nothing leads to an empty page).
pub const NAVIGATION: &[&web::shell::NavEntry] = &[
    &catalog::NAV,
    &support::NAV,
    &monitoring::NAV,
    &orgs::NAV_TEAM,
    &notifications::NAV,
    &orgs::NAV_SETTINGS,
];

/// The overview's first steps, in order.
pub const FIRST_STEPS: &[&web::shell::FirstStep] = &[&orgs::STEP_TEAM, &orgs::STEP_SETTINGS];

/// Every feature's part of `luneo demo`, run in this order after the demo
/// org and its people exist.
pub fn demo_steps() -> Vec<demo::DemoStep> {
    vec![
        notifications::demo_step(),
        monitoring::demo_step(),
        support::demo_step(),
        catalog::demo_step(),
        designs::demo::step(),
    ]
}

/// Assembles Luneo with the default [`Options`].
pub fn app(config: Config) -> Result<Rocket<Build>, StartError> {
    app_with(config, Options::default())
}

/// Assembles Luneo: opens (and migrates) the database, sets up mail, jobs
/// and the outbox, mounts every feature's routes.
pub fn app_with(config: Config, opts: Options) -> Result<Rocket<Build>, StartError> {
    prepare_data_dir(&config.data_dir)?;
    let lock = DataDirLock::acquire(&config.data_dir).map_err(StartError::DataDir)?;
    let secret = secret_key(&config)?;
    let db = Db::open_with_clock(&config.db_path(), config.db_readers, opts.clock.clone())?;
    let metrics = Arc::new(Metrics::default());
    let logs = opts.logs.clone().unwrap_or_default();
    let mailer = Arc::new(Mailer::from_config(&config).map_err(StartError::Other)?);
    let mut job_defs = all_jobs(&config, metrics.clone(), Some(mailer.clone()));
    job_defs.extend(opts.extra_jobs.iter().cloned());
    let scheduler = Arc::new(
        Scheduler::new(db.clone(), opts.clock.clone(), metrics.clone(), job_defs)
            .map_err(|e| StartError::Other(e.to_string()))?,
    );
    let push = notifications::push::PushSender::new(
        db.clone(),
        opts.clock.clone(),
        config.vapid.clone(),
        config.push_insecure_endpoints,
    )
    .map_err(StartError::Other)?;
    let outbox = Arc::new(
        Outbox::new(db.clone(), opts.clock.clone(), metrics.clone())
            .retrying_for(i64::from(config.outbox_retry_hours) * 3_600)
            .with(mail::KIND, mailer.clone())
            .with(notifications::push::KIND, Arc::new(push))
            .with(
                monitoring::webhooks::KIND,
                Arc::new(
                    monitoring::webhooks::WebhookSender::new(config.monitoring_private_targets)
                        .map_err(StartError::Other)?,
                ),
            ),
    );
    let grace = Duration::from_secs(config.shutdown_grace as u64 + 1);
    // While nobody has an account, a one-time token guards /setup.
    let has_users = db
        .read_blocking(auth::any_user)
        .map_err(|e| StartError::Other(e.to_string()))?;
    let setup = auth::setup::SetupToken::new((!has_users).then(|| db::ids::random_token(24)));
    let start_workers = opts.start_workers;

    let rocket = rocket::custom(rocket_figment(&config, &secret, &opts))
        .attach(web::fairings::Observe(metrics.clone(), logs.clone()))
        .attach(web::fairings::SecurityHeaders { https: config.https() })
        // SecurityHeaders sets every header Rocket's default Shield would: an
        // empty Shield replaces it, so no response pays for both.
        .attach(rocket::shield::Shield::new())
        .attach(web::csrf::CsrfFairing)
        .attach(AdHoc::on_liftoff("workers", move |rocket| {
            Box::pin(async move {
                let cfg = rocket.config();
                tracing::info!(address = %cfg.address, port = cfg.port, version = env!("CARGO_PKG_VERSION"), "Luneo is listening");
                if let Some(c) = rocket.state::<Config>() {
                    println!("Luneo {} listening on http://{}:{} (public URL {})", env!("CARGO_PKG_VERSION"), cfg.address, cfg.port, c.base_url);
                    if let Some(token) = rocket.state::<auth::setup::SetupToken>().and_then(|s| s.get()) {
                        let base = c.base_url.as_str().trim_end_matches('/');
                        // A block of its own, after the start-up lines, so the
                        // one link a new operator needs is not lost among them.
                        println!("\n  No account yet: create the owner account (the link works once):\n\n      {base}/setup?token={token}\n");
                    }
                }
                if !start_workers {
                    return;
                }
                let (Some(s), Some(o), Some(w)) =
                    (rocket.state::<Arc<Scheduler>>(), rocket.state::<Arc<Outbox>>(), rocket.state::<Workers>())
                else {
                    return;
                };
                let mut handles = w.0.lock().unwrap_or_else(|p| p.into_inner());
                handles.push(tokio::spawn(s.clone().run(rocket.shutdown())));
                handles.push(tokio::spawn(o.clone().run(rocket.shutdown())));
                if let (Some(logs), Some(db)) = (rocket.state::<Arc<monitoring::logs::LogSink>>(), rocket.state::<Db>()) {
                    let (logs, db, shutdown) = (logs.clone(), db.clone(), rocket.shutdown());
                    handles.push(tokio::spawn(async move { logs.run(db, shutdown).await }));
                }
            })
        }))
        .attach(AdHoc::on_shutdown("drain workers", move |rocket| {
            Box::pin(async move {
                let handles = match rocket.state::<Workers>() {
                    Some(w) => std::mem::take(&mut *w.0.lock().unwrap_or_else(|p| p.into_inner())),
                    None => vec![],
                };
                if tokio::time::timeout(grace, futures_join_all(handles)).await.is_err() {
                    tracing::warn!("background work did not finish within the grace period");
                }
            })
        }))
        .manage(config)
        .manage(db)
        .manage(opts.clock)
        .manage(metrics)
        .manage(logs)
        .manage(mailer)
        .manage(scheduler)
        .manage(outbox)
        .manage(lock)
        .manage(setup)
        .manage(web::ratelimit::RateLimits::default())
        .manage(auth::IdentityCache::default())
        .manage(support::presence::Presence::default())
        .manage(Workers(Mutex::new(vec![])))
        .register("/", web::error::catchers())
        .mount("/", web::assets::routes())
        .mount("/", web::csrf::routes())
        .mount("/", ops::routes())
        .mount("/", site::routes())
        .mount("/", auth::routes())
        .mount("/", dashboard::routes())
        .mount("/", account::routes())
        .mount("/", admin::routes())
        .mount("/", orgs::routes())
        .mount("/", audit::routes())
        .mount("/", files::routes())
        .mount("/", notifications::routes())
        .mount("/", monitoring::routes())
        .mount("/", support::routes())
        .mount("/", catalog::routes())
        .mount("/", fonts::routes())
        .mount("/", designs::routes())
        .mount("/", storefront::routes());
    Ok(rocket)
}

async fn futures_join_all(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}
