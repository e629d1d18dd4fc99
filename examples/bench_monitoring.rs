//! Monitoring figures for docs/BENCHMARKS.md, run by `tools/bench`:
//! the cost of the request fairing (metrics window and stored log) as the
//! ratio of a bare Rocket route's throughput with and without it; 200 HTTP
//! checks at a 30 s interval for 70 s (CPU share of the process, how late
//! checks ran); `/dashboard/monitoring` of the real binary over 30 days of
//! results of 20 checks (render time at one connection), and what 200 checks at 30 s keep in
//! the database (rows and bytes, measured on a month of rollups and two
//! days of raw results written the way `verdict::record` writes them).
//!
//! `bench_monitoring <path to luneo> <wrk seconds>`; prints Markdown rows.

use luneo::auth::{NewUser, create_user, session};
use luneo::db::Db;
use luneo::monitoring::checks::{self, CheckInput};
use luneo::monitoring::logs::LogSink;
use luneo::monitoring::probe::Runner;
use luneo::ops::metrics::Metrics;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[rocket::get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

/// A route the stored log keeps (an API call), for the fairing's full cost.
#[rocket::get("/api/v1/ping")]
fn ping() -> &'static str {
    "ok"
}

/// A bare Rocket app on a free port, with Luneo's request fairing or not.
async fn serve(observed: Option<(Arc<Metrics>, Arc<LogSink>)>) -> (u16, rocket::Shutdown) {
    let figment = rocket::Config::figment()
        .merge(("address", "127.0.0.1"))
        .merge(("port", 0))
        .merge(("log_level", "off"))
        .merge(("secret_key", hex::encode(rand::random::<[u8; 32]>())));
    let mut rocket = rocket::custom(figment).mount("/", rocket::routes![healthz, ping]);
    if let Some((metrics, logs)) = observed {
        rocket = rocket.attach(luneo::web::fairings::Observe(metrics, logs));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let rocket = rocket
        .attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
            let (port, sender) = (r.config().port, tx.lock().unwrap().take());
            Box::pin(async move {
                if let Some(s) = sender {
                    let _ = s.send(port);
                }
            })
        }))
        .ignite()
        .await
        .unwrap();
    let shutdown = rocket.shutdown();
    tokio::spawn(async move {
        let _ = rocket.launch().await;
    });
    (rx.await.unwrap(), shutdown)
}

fn wrk(url: &str, threads: u32, connections: u32, seconds: u64, cookie: Option<&str>) -> (f64, String, String) {
    let mut args = vec![
        format!("-t{threads}"),
        format!("-c{connections}"),
        format!("-d{seconds}s"),
        "--latency".into(),
    ];
    if let Some(c) = cookie {
        args.extend(["-H".into(), format!("Cookie: {c}")]);
    }
    args.push(url.into());
    let out = Command::new("wrk").args(&args).output().expect("wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let find = |prefix: &str| {
        text.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(prefix)
                    .map(|v| v.split_whitespace().next().unwrap_or("?").to_string())
            })
            .unwrap_or_else(|| "?".into())
    };
    (find("Requests/sec:").parse().unwrap_or(0.0), find("50%"), find("99%"))
}

/// Requests/s of `path` without and with the fairing, each measured twice.
async fn fairing_cost(seconds: u64, path: &'static str) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("luneo.db"), 2).unwrap();
    let logs = Arc::new(LogSink::default());
    let (bare, bare_stop) = serve(None).await;
    let (seen, seen_stop) = serve(Some((Arc::new(Metrics::default()), logs.clone()))).await;
    let writer = {
        let (logs, db, stop) = (logs.clone(), db.clone(), seen_stop.clone());
        tokio::spawn(async move { logs.run(db, stop).await })
    };
    let url = |port: u16| format!("http://127.0.0.1:{port}{path}");
    let mut a = vec![];
    let mut b = vec![];
    for _ in 0..2 {
        let (u, v) = (url(bare), url(seen));
        a.push(
            tokio::task::spawn_blocking(move || wrk(&u, 2, 64, seconds, None).0)
                .await
                .unwrap(),
        );
        b.push(
            tokio::task::spawn_blocking(move || wrk(&v, 2, 64, seconds, None).0)
                .await
                .unwrap(),
        );
    }
    bare_stop.notify();
    seen_stop.notify();
    let _ = writer.await;
    (a.iter().sum::<f64>() / 2.0, b.iter().sum::<f64>() / 2.0)
}

/// An org with an owner (an instance admin); returns (org id, owner).
fn shop(db: &Db, at: i64) -> (luneo::orgs::OrgId, luneo::auth::User) {
    db.write_blocking(|tx| {
        let owner = create_user(
            tx,
            &NewUser {
                email: "owner@shop.test",
                name: "Owner",
                password_hash: None,
                language: Some("en"),
                verified: true,
                instance_admin: true,
            },
            at,
        )?;
        let org = luneo::orgs::create_org(tx, "Atelier", &owner, "en")?;
        Ok((org.id, owner))
    })
    .unwrap()
}

fn add_checks(db: &Db, org: &str, count: usize, url: &str, interval: i64) -> Vec<String> {
    let (org, url) = (org.to_string(), url.to_string());
    db.write_blocking(move |tx| {
        let mut ids = vec![];
        for i in 0..count {
            let input = CheckInput {
                name: Some(format!("Check {i:03}")),
                url: Some(url.clone()),
                interval_s: Some(interval),
                timeout_s: Some(5),
                ..CheckInput::default()
            };
            let spec = input.parse(true).map_err(luneo::error::AppError::Invalid)?;
            ids.push(checks::create(tx, &org, &spec, true)?.0.id.to_string());
        }
        Ok(ids)
    })
    .unwrap()
}

/// 200 checks every 30 s against a local server for 70 s: (CPU %, worst lateness s, results).
async fn many_checks() -> (f64, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("luneo.db"), 4).unwrap();
    let (target, stop) = serve(None).await;
    let (org, _) = shop(&db, now());
    add_checks(&db, &org, 200, &format!("http://127.0.0.1:{target}/healthz"), 30);
    let runner = Runner::new("http://127.0.0.1:8000".parse().unwrap(), true);
    let clock = luneo::db::time::system_clock();
    let mut system = sysinfo::System::new().unwrap();
    let pid = sysinfo::get_current_pid().unwrap();
    system.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
    let started = Instant::now();
    let mut cpu = vec![];
    while started.elapsed() < Duration::from_secs(70) {
        runner.start_due(&db, clock.clone()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        system.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
        if let Some(me) = system.process(pid) {
            cpu.push(f64::from(me.cpu_usage()));
        }
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    stop.notify();
    let (late, results): (i64, i64) = db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT coalesce(max(gap - 30), 0), (SELECT count(*) FROM monitoring_results) FROM (
                   SELECT at - lag(at) OVER (PARTITION BY check_id ORDER BY at) AS gap FROM monitoring_results)
                 WHERE gap IS NOT NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    (cpu.iter().sum::<f64>() / cpu.len().max(1) as f64 / cores, late, results)
}

/// `/dashboard/monitoring` over 30 days of results of 20 checks: (p50, p99, rows).
async fn page_over_a_month(luneo: &Path, seconds: u64) -> (String, String, i64) {
    let dir = tempfile::tempdir().unwrap();
    let at = now();
    let cookie = {
        let db = Db::open(&dir.path().join("luneo.db"), 2).unwrap();
        let (org, owner) = shop(&db, at - 31 * 86_400);
        let ids = add_checks(&db, &org, 20, "https://shop.example.com/", 60);
        // What 30 days of one-minute runs leave: hourly rollups for the month,
        // raw results for the two days they are kept.
        db.write_blocking(move |tx| {
            let mut raw = tx.prepare(
                "INSERT INTO monitoring_results (check_id, at, ok, latency_ms, status, message) VALUES (?1, ?2, ?3, ?4, 200, '')",
            )?;
            for id in &ids {
                for k in 0..(30 * 1_440) {
                    let t = at - 30 * 86_400 + k * 60;
                    let (ok, ms) = (k % 997 != 0, 40 + k % 90);
                    luneo::monitoring::verdict::roll_up(tx, id, t, ok, Some(ms), false)?;
                    if t >= at - 2 * 86_400 {
                        raw.execute(rusqlite::params![id, t, ok, ms])?;
                    }
                }
            }
            Ok(())
        })
        .unwrap();
        let token = db
            .write_blocking(|tx| Ok(session::create(tx, &owner.id, Some(&org), now(), None, None)?.1))
            .unwrap();
        format!("{}={token}", session::COOKIE)
    };
    let rows: i64 = {
        let db = Db::open(&dir.path().join("luneo.db"), 1).unwrap();
        db.read_blocking(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM monitoring_results) + (SELECT count(*) FROM monitoring_check_hours)",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap()
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(luneo)
        .arg("serve")
        .env("LUNEO_DATA_DIR", dir.path())
        .env("LUNEO_PORT", port.to_string())
        .env("LUNEO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/dashboard/monitoring");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = client
        .get(&url)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200, "the owner sees the page");
    let (_, p50, p99) = tokio::task::spawn_blocking(move || wrk(&url, 1, 1, seconds, Some(&cookie)))
        .await
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    (p50, p99, rows)
}

/// The database size of 200 checks at 30 s: 2 days of raw results and 13
/// months of hours, written for 20 checks and scaled by 10.
fn footprint() -> (i64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("luneo.db");
    let db = Db::open(&path, 1).unwrap();
    let at = now();
    let (org, _) = shop(&db, at);
    let ids = add_checks(&db, &org, 20, "https://shop.example.com/", 30);
    let size = || {
        let wal = dir.path().join("luneo.db-wal");
        std::fs::metadata(&path).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())
    };
    let before = size();
    db.write_blocking(move |tx| {
        let mut raw = tx.prepare(
            "INSERT INTO monitoring_results (check_id, at, ok, latency_ms, status, message) VALUES (?1, ?2, 1, ?3, 200, ?4)",
        )?;
        let message = r#"{"key":"monitoring.result.http","args":[["status","200"]]}"#;
        for id in &ids {
            for k in 0..(2 * 2_880) {
                raw.execute(rusqlite::params![id, at - k * 30, 40 + k % 90, message])?;
            }
            for h in 0..(396 * 24) {
                luneo::monitoring::verdict::roll_up(tx, id, at - h * 3_600, true, Some(50), false)?;
            }
        }
        Ok(())
    })
    .unwrap();
    let rows: i64 = db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM monitoring_results) + (SELECT count(*) FROM monitoring_check_hours)",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    // Fold the WAL into the file, so pages written twice are not counted twice.
    drop(db);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(conn);
    let after = size();
    (rows * 10, (after - before) * 10)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let luneo = args.next().expect("path to the luneo binary");
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let (bare, seen) = fairing_cost(seconds, "/healthz").await;
    println!(
        "| **Request fairing on `/healthz` (metrics and the sampler's window; probes are not stored in the log): a bare Rocket app with ÷ without it** ({seen:.0} ÷ {bare:.0} requests/s) | **{:.2}** | ≥ 0.95 |",
        seen / bare
    );
    let (bare, seen) = fairing_cost(seconds, "/api/v1/ping").await;
    println!(
        "| Same on an API route, whose line the stored log keeps (written to SQLite in batches) ({seen:.0} ÷ {bare:.0} requests/s) | {:.2} | |",
        seen / bare
    );
    let (cpu, late, results) = many_checks().await;
    println!(
        "| 200 HTTP checks every 30 s for 70 s ({results} results): CPU share of the process (of all cores) | {cpu:.1} % | |"
    );
    println!("| Same: the latest any check ran after its interval | {late} s | ≤ 5 s (the job's own period) |");
    let (p50, p99, rows) = page_over_a_month(Path::new(&luneo), seconds).await;
    println!(
        "| **`/dashboard/monitoring` over 30 days of results of 20 checks ({rows} rows), one connection: median** | **{p50}** | < 50 ms |"
    );
    println!("| Same, p99 | {p99} | |");
    let (rows, bytes) = footprint();
    println!(
        "| **What 200 checks every 30 s keep: 2 days of results and 13 months of hourly rollups** ({rows} rows) | **{:.0} MB** | documented |",
        bytes as f64 / 1e6
    );
}
