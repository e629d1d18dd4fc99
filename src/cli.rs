//! The command line (`luneo serve | migrate | backup | restore | healthcheck
//! | send-test-mail | jobs | outbox | user | token | vapid`): parsing with clap and each command's
//! work. Exit status: 0 done, 1 failed, 2 bad configuration or usage.

use crate::config::{Config, LogFormat};
use crate::db::time::system_clock;
use crate::db::{Db, backup, migrate};
use crate::web::i18n::Lang;
use clap::{Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Parser, Debug)]
#[command(
    name = "luneo",
    version,
    about = "Luneo: the self-hosted platform for shops that sell personalised products"
)]
pub struct Cli {
    /// Configuration file (TOML); its keys are those of the LUNEO_* variables in lower case
    #[arg(long, global = true, env = "LUNEO_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the server (the default)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Write a consistent copy of the database to FILE (safe while the server runs)
    Backup { file: PathBuf },
    /// Replace the database with the backup FILE (the server must be stopped)
    Restore { file: PathBuf },
    /// Exit 0 when the running server answers /readyz with 200 (for Docker)
    Healthcheck,
    /// Send a test mail to ADDRESS with the configured mail settings
    SendTestMail {
        address: String,
        /// Language of the mail (en or fr)
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// List the scheduled jobs with their last run
    Jobs,
    /// Inspect the outbox and replay dead deliveries
    Outbox {
        #[command(subcommand)]
        action: OutboxAction,
    },
    /// Manage accounts
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage personal API tokens
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Create (once) the demo shop: org "demo", owner demo@luneo.local
    /// (password from LUNEO_PASSWORD, else made up and printed once), people
    /// in each role, some notifications and audit history. Safe to run again.
    Demo,
    /// Web push keys
    Vapid {
        #[command(subcommand)]
        action: VapidAction,
    },
    /// The support desk
    Support {
        #[command(subcommand)]
        action: SupportAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum SupportAction {
    /// Take a raw mail (RFC 5322, as an MTA saves it) into the support desk of
    /// ORG: a reply lands on its ticket, anything else opens one
    ImportMail {
        /// The .eml file
        file: std::path::PathBuf,
        /// The organisation's slug
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum VapidAction {
    /// Print a new VAPID key pair and the configuration lines that turn web push on
    Generate,
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Create a verified account (password from LUNEO_PASSWORD or the first line of stdin)
    /// as owner of a new organisation ORG, or add it to the existing ORG with --role
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Organisation: slug or name of an existing one, or the name of a new one
        #[arg(long)]
        org: String,
        /// Role in an existing organisation (owner, admin, member, viewer or a custom role)
        #[arg(long)]
        role: Option<String>,
        /// Make the account an instance admin
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Create a personal API token and print it alone on stdout
    Create {
        #[arg(long)]
        email: String,
        /// Organisation slug or name; needed when the user belongs to several
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum OutboxAction {
    /// List outbox rows, newest first
    List {
        /// Only rows with this status: pending, sent or dead
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put a dead row back in the queue
    Replay { id: String },
}

/// Installs the log subscriber (text or JSON), bridging Rocket's `log`
/// records. Lines are written by a background thread (never dropped: a full
/// buffer slows the writer instead); keep the guard alive to flush at exit.
pub fn init_logging(
    config: &Config,
    logs: std::sync::Arc<crate::monitoring::logs::LogSink>,
) -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal;
    // Rocket's own per-request and launch lines repeat ours: keep its warnings only,
    // unless the operator asks about rocket explicitly.
    let directives = if config.log.contains("rocket") {
        config.log.clone()
    } else {
        format!("{},rocket=warn,rocket::launch=warn", config.log)
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives).unwrap_or_else(|_| "info".into());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    let _ = match config.log_format {
        LogFormat::Json => builder
            .json()
            .finish()
            .with(QuietNotFound)
            .with(crate::monitoring::logs::Forward(logs))
            .try_init(),
        LogFormat::Text => builder
            .finish()
            .with(QuietNotFound)
            .with(crate::monitoring::logs::Forward(logs))
            .try_init(),
    };
    // Rocket logs through `log`: forward its records, but only from warn up
    // unless asked, so its per-request info lines cost nothing on the hot path.
    let level = if config.log.contains("rocket") {
        tracing_log::log::LevelFilter::Trace
    } else {
        tracing_log::log::LevelFilter::Warn
    };
    let _ = tracing_log::LogTracer::builder().with_max_level(level).init();
    guard
}

/// Drops Rocket's own [`routine`] lines ("No matching routes for GET
/// /nope", "Responding with registered … catcher", "Remote left: …"):
/// Rocket writes them at ERROR and WARN, but a 404 or a client closing
/// early is no fault of the server, and the access log has the request.
struct QuietNotFound;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QuietNotFound {
    fn event_enabled(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) -> bool {
        use tracing_log::NormalizeEvent;
        let target = event.normalized_metadata().map(|m| m.target().to_string());
        if !target.is_some_and(|t| t.starts_with("rocket::server")) {
            return true;
        }
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        !routine(&message.0)
    }
}

/// Whether a line of `rocket::server` is routine: a request no route
/// matched (the access log has it with its 404), or a client that went
/// away before the whole answer was written (a closed tab, a dropped live
/// stream, a health probe that reads only the status line).
fn routine(message: &str) -> bool {
    ["No matching routes for", "Responding with registered", "Remote left"]
        .iter()
        .any(|start| message.starts_with(start))
}

/// Runs the parsed command line; returns the process exit status.
pub fn run(cli: Cli) -> i32 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Some(Command::Vapid {
        action: VapidAction::Generate,
    }) = &cli.command
    {
        // Needs no configuration: it is how the configuration gets its keys.
        let (private, public) = crate::notifications::push::vapid::Vapid::generate();
        println!("# Web push (VAPID) keys: keep the private key secret.");
        println!("# Environment (or put the private key in a file and set LUNEO_VAPID_PRIVATE_KEY_FILE):");
        println!("LUNEO_VAPID_PRIVATE_KEY={private}");
        println!("LUNEO_VAPID_PUBLIC_KEY={public}");
        println!("# or in luneo.toml:");
        println!("# vapid_private_key = \"{private}\"");
        println!("# vapid_public_key = \"{public}\"");
        return 0;
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("luneo: {e}");
            return 2;
        }
    };
    // The stored log of `serve` also takes the application's own warnings.
    let logs = std::sync::Arc::new(crate::monitoring::logs::LogSink::default());
    let _log_guard = init_logging(&config, logs.clone());
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => return serve(config, logs),
        Command::Migrate => migrate_cmd(&config),
        Command::Backup { file } => backup::backup(&config.db_path(), &file)
            .and_then(|_| backup::check(&file))
            .map(|v| println!("backup written to {} (schema {v}, integrity ok)", file.display())),
        Command::Restore { file } => backup::restore(&config.data_dir, &file)
            .map(|_| println!("restored {} into {}", file.display(), config.db_path().display())),
        Command::Healthcheck => healthcheck(&config),
        Command::SendTestMail { address, lang } => send_test_mail(&config, &address, &lang),
        Command::Jobs => jobs_cmd(&config),
        Command::Outbox { action } => outbox_cmd(&config, action),
        Command::User {
            action:
                UserAction::Add {
                    email,
                    name,
                    org,
                    role,
                    admin,
                },
        } => crate::cli_accounts::user_add(&config, &email, &name, &org, role.as_deref(), admin),
        Command::Token {
            action: TokenAction::Create { email, org, name },
        } => crate::cli_accounts::token_create(&config, &email, org.as_deref(), &name),
        Command::Demo => demo_cmd(&config),
        Command::Support {
            action: SupportAction::ImportMail { file, org },
        } => import_mail(&config, &file, &org),
        Command::Vapid { .. } => Ok(()),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("luneo: {e}");
            1
        }
    }
}

fn serve(config: Config, logs: std::sync::Arc<crate::monitoring::logs::LogSink>) -> i32 {
    let outcome = rocket::execute(async move {
        let options = crate::Options {
            logs: Some(logs),
            ..crate::Options::default()
        };
        let rocket = crate::app_with(config, options).map_err(|e| (e.exit_code(), e.to_string()))?;
        rocket
            .launch()
            .await
            .map(|_| ())
            .map_err(|e| (1, e.pretty_print_string()))
    });
    match outcome {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("luneo: {msg}");
            code
        }
    }
}

trait PrettyError {
    fn pretty_print_string(self) -> String;
}

impl PrettyError for rocket::Error {
    fn pretty_print_string(self) -> String {
        match self.kind() {
            rocket::error::ErrorKind::Bind(e) => format!("cannot listen: {e}"),
            other => other.to_string(),
        }
    }
}

pub(crate) fn open_db(config: &Config) -> Result<Db, String> {
    crate::prepare_data_dir(&config.data_dir).map_err(|e| e.to_string())?;
    Db::open(&config.db_path(), 1).map_err(|e| e.to_string())
}

fn migrate_cmd(config: &Config) -> Result<(), String> {
    crate::prepare_data_dir(&config.data_dir).map_err(|e| e.to_string())?;
    let mut conn = rusqlite::Connection::open(config.db_path()).map_err(|e| e.to_string())?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
    let applied = migrate::apply(&mut conn).map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("database is up to date (schema {})", migrate::latest());
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

fn healthcheck(config: &Config) -> Result<(), String> {
    let host: IpAddr = if config.address.is_unspecified() {
        if config.address.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        }
    } else {
        config.address
    };
    let url = format!("http://{}/readyz", std::net::SocketAddr::new(host, config.port));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        let res = client.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        if status.is_success() {
            println!("ready");
            Ok(())
        } else {
            Err(format!("{url} answered {status}: {body}"))
        }
    })
}

fn send_test_mail(config: &Config, address: &str, lang: &str) -> Result<(), String> {
    let lang = Lang::parse(lang).ok_or("--lang must be en or fr")?;
    let mail = crate::mail::test_mail(address, lang, config.base_url.as_str()).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        // The SMTP pool spawns its tasks on the runtime it is built in.
        let mailer = crate::mail::Mailer::from_config(config)?;
        mailer.send(&mail, &crate::db::ids::new_id("test")).await?;
        println!("test mail sent to {address} through {}", mailer.describe());
        Ok(())
    })
}

fn jobs_cmd(config: &Config) -> Result<(), String> {
    let db = open_db(config)?;
    // Registering the jobs records them, so they show before the first `serve`.
    let metrics = std::sync::Arc::new(crate::ops::metrics::Metrics::default());
    crate::jobs::Scheduler::new(
        db.clone(),
        system_clock(),
        metrics.clone(),
        crate::all_jobs(config, metrics, None),
    )
    .map_err(|e| e.to_string())?;
    let now = system_clock().now();
    let jobs = db
        .read_blocking(|c| crate::jobs::list(c, now))
        .map_err(|e| e.to_string())?;
    println!(
        "{:<16} {:<16} {:<22} {:<22} {:<8} {:>8} RUNS",
        "JOB", "CRON", "NEXT RUN", "LAST RUN", "OUTCOME", "MS"
    );
    for j in jobs {
        let dash = || "-".to_string();
        println!(
            "{:<16} {:<16} {:<22} {:<22} {:<8} {:>8} {}{}",
            j.name,
            j.cron,
            crate::db::time::rfc3339(j.next_run_at),
            j.last_run_at.map(crate::db::time::rfc3339).unwrap_or_else(dash),
            j.last_outcome.unwrap_or_else(dash),
            j.last_duration_ms.map(|d| d.to_string()).unwrap_or_else(dash),
            j.runs,
            if j.running { " (running)" } else { "" }
        );
    }
    Ok(())
}

fn outbox_cmd(config: &Config, action: OutboxAction) -> Result<(), String> {
    let db = open_db(config)?;
    match action {
        OutboxAction::List { status, limit } => {
            if let Some(s) = &status
                && !["pending", "sent", "dead"].contains(&s.as_str())
            {
                return Err("--status must be pending, sent or dead".into());
            }
            let rows = db
                .read_blocking(|c| crate::jobs::outbox::list(c, status.as_deref(), limit))
                .map_err(|e| e.to_string())?;
            println!(
                "{:<30} {:<6} {:<8} {:>8} {:<22} LAST ERROR",
                "ID", "KIND", "STATUS", "ATTEMPTS", "CREATED"
            );
            for r in rows {
                println!(
                    "{:<30} {:<6} {:<8} {:>8} {:<22} {}",
                    r.id,
                    r.kind,
                    r.status,
                    r.attempts,
                    crate::db::time::rfc3339(r.created_at),
                    r.last_error.unwrap_or_default()
                );
            }
            Ok(())
        }
        OutboxAction::Replay { id } => {
            let key = id.clone();
            let done = db
                .write_blocking(move |tx| crate::jobs::outbox::replay(tx, &key))
                .map_err(|e| e.to_string())?;
            if done {
                println!("{id} is queued again; a running server delivers it within seconds");
                Ok(())
            } else {
                Err(format!("there is no dead outbox row {id}"))
            }
        }
    }
}

/// `luneo support import-mail FILE --org SLUG`: one raw mail into an
/// org's support desk, with its files.
fn import_mail(config: &Config, file: &std::path::Path, org: &str) -> Result<(), String> {
    let raw = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let db = open_db(config)?;
    let slug = org.to_string();
    let org_id = db
        .read_blocking(move |c| crate::orgs::by_slug(c, &slug))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no organisation {org:?}"))?
        .id
        .to_string();
    let base = config.base_url.clone();
    let files = crate::support::attachments::store(config, crate::support::inbound::files_of(&raw))
        .map_err(crate::cli_accounts::message)?;
    let landed = db
        .write_blocking(move |tx| crate::support::inbound::take(tx, &org_id, &raw, &files, &base))
        .map_err(crate::cli_accounts::message)?;
    use crate::support::inbound::Landed;
    match landed {
        Landed::Opened { number, .. } => println!("opened ticket #{number}"),
        Landed::Added { number, .. } => println!("added to ticket #{number}"),
        Landed::Duplicate => println!("taken in before (same Message-ID): nothing changed"),
        Landed::Ignored => println!("an auto-reply or a bounce: dropped"),
    }
    Ok(())
}

fn demo_cmd(config: &Config) -> Result<(), String> {
    let db = open_db(config)?;
    let password = std::env::var("LUNEO_PASSWORD").ok().filter(|p| !p.is_empty());
    let now = crate::db::time::system_clock().now();
    let report =
        crate::demo::run(&db, &crate::demo_steps(), password, now, config).map_err(crate::cli_accounts::message)?;
    for line in &report.lines {
        println!("{line}");
    }
    match report.generated_password {
        Some(p) => println!(
            "sign in at {}login as {} with the password {p} (shown once)",
            config.base_url,
            crate::demo::OWNER_EMAIL
        ),
        None => println!("sign in at {}login as {}", config.base_url, crate::demo::OWNER_EMAIL),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_404_or_a_client_leaving_early_is_routine_a_panic_is_not() {
        assert!(super::routine("No matching routes for GET /favicon.png."));
        assert!(super::routine("Remote left: connection reset by peer (os error 104)."));
        assert!(!super::routine("Handler index panicked."));
        assert!(!super::routine("Failed to write response: invalid chunk."));
    }
}
