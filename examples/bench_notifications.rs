//! Notification figures for docs/BENCHMARKS.md, run by `tools/bench`:
//! fan-out of one event to 1,000 recipients (time to commit, time until
//! every in-app row is visible to a reader), and 1,000 idle SSE connections
//! held against the real `luneo` binary (server memory per connection, and
//! the p99 of `/dashboard` under wrk with and without them).
//!
//! `bench_notifications <path to luneo> <wrk seconds>`; prints Markdown rows.

use luneo::audit::AuditCtx;
use luneo::auth::{NewUser, create_user, session};
use luneo::db::Db;
use luneo::notifications::{Notice, notify};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RECIPIENTS: usize = 1_000;
const STREAM_USERS: usize = 50;
const TABS: usize = 20;
const NOW: i64 = 1_795_602_600;

/// An org with an owner and `members` more people; returns (org id, member ids, owner).
fn populate(db: &Db, members: usize) -> (luneo::orgs::OrgId, Vec<luneo::auth::UserId>, luneo::auth::User) {
    db.write_blocking(|tx| {
        let new = |i: usize| NewUser {
            email: Box::leak(format!("person{i}@shop.test").into_boxed_str()),
            name: Box::leak(format!("Person {i}").into_boxed_str()),
            password_hash: None,
            language: Some("en"),
            verified: true,
            instance_admin: i == 0,
        };
        let owner = create_user(tx, &new(0), NOW)?;
        let org = luneo::orgs::create_org(tx, "Atelier", &owner, "en")?;
        let mut ids = vec![];
        for i in 1..=members {
            let user = create_user(tx, &new(i), NOW)?;
            luneo::orgs::add_member(tx, &org.id, &user.id, "member")?;
            ids.push(user.id);
        }
        Ok((org.id, ids, owner))
    })
    .expect("populate")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Fan-out of one notification to 1,000 people, five times: (commit ms, visible ms).
fn fan_out() -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("luneo.db"), 2).unwrap();
    let (org_id, members, _) = populate(&db, RECIPIENTS);
    let base = reqwest::Url::parse("http://127.0.0.1:8000").unwrap();
    let (mut commit, mut visible) = (vec![], vec![]);
    for run in 1..=5i64 {
        let (org, to, base) = (org_id.clone(), members.clone(), base.clone());
        let started = Instant::now();
        db.write_blocking_as(AuditCtx::system(None, NOW + run), move |tx| {
            let notice = Notice {
                kind: &luneo::notifications::TEAM_ROLE_CHANGED,
                data: serde_json::json!({ "org": "Atelier", "role": format!("role {run}") }),
                link: Some("/dashboard"),
            };
            notify(tx, &org, &to, notice, &base)
        })
        .unwrap();
        commit.push(started.elapsed().as_secs_f64() * 1e3);
        let expected = RECIPIENTS as i64 * run;
        loop {
            let seen: i64 = db
                .read_blocking(|c| {
                    Ok(c.query_row("SELECT count(*) FROM notifications WHERE in_app = 1", [], |r| r.get(0))?)
                })
                .unwrap();
            if seen >= expected {
                break;
            }
        }
        visible.push(started.elapsed().as_secs_f64() * 1e3);
    }
    (median(commit), median(visible))
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// p99 latency of `url` under wrk (2 threads, 16 connections), as wrk prints it.
fn wrk_p99(url: &str, cookie: &str, seconds: u64) -> (String, String) {
    let out = Command::new("wrk")
        .args([
            "-t2",
            "-c16",
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            &format!("Cookie: {cookie}"),
            url,
        ])
        .output()
        .expect("wrk");
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
    (find("99%"), find("Requests/sec:"))
}

async fn sse(luneo: &Path, seconds: u64) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let cookies: Vec<String> = {
        let db = Db::open(&dir.path().join("luneo.db"), 2).unwrap();
        let (org_id, members, owner) = populate(&db, STREAM_USERS);
        // The real server checks sessions against the real clock.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        db.write_blocking(|tx| {
            let mut out = vec![session::create(tx, &owner.id, Some(&org_id), now, None, None)?.1];
            for id in &members {
                out.push(session::create(tx, id, Some(&org_id), now, None, None)?.1);
            }
            Ok(out)
        })
        .unwrap()
        .into_iter()
        .map(|t| format!("{}={t}", session::COOKIE))
        .collect()
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.path().join("luneo.log")).unwrap();
    let mut server = Command::new(luneo)
        .arg("serve")
        .env("LUNEO_DATA_DIR", dir.path())
        .env("LUNEO_PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    while client.get(format!("{base}/readyz")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dashboard = format!("{base}/dashboard");
    let owner = cookies[0].clone();
    // Warm up, then measure without streams.
    wrk_p99(&dashboard, &owner, 2);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_kb(server.id());
    let (p99_before, rps_before) = wrk_p99(&dashboard, &owner, seconds);

    let mut streams = vec![];
    for tab in 0..TABS {
        for cookie in &cookies[1..] {
            let res = client
                .get(format!("{base}/api/v1/notifications/stream"))
                .header("Cookie", cookie)
                .send()
                .await
                .expect("stream opens");
            assert_eq!(res.status(), 200, "tab {tab}");
            streams.push(res);
        }
    }
    // Every stream has said hello (its first comment and unread count).
    for s in &mut streams {
        s.chunk().await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let with_streams = rss_kb(server.id());
    let per_conn = (with_streams.saturating_sub(idle)) as f64 / streams.len() as f64;
    let (p99_during, rps_during) = wrk_p99(&dashboard, &owner, seconds);
    let open = streams.len();
    drop(streams);
    let _ = server.kill();
    let _ = server.wait();
    vec![
        (
            format!("`/dashboard` p99 under wrk (-t2 -c16), no SSE stream open ({rps_before} req/s)"),
            p99_before,
        ),
        (
            format!("`/dashboard` p99 under wrk with {open} idle SSE connections open ({rps_during} req/s)"),
            p99_during,
        ),
        (
            "Server RSS before / with the streams".into(),
            format!(
                "{:.1} MB / {:.1} MB",
                idle as f64 / 1024.0,
                with_streams as f64 / 1024.0
            ),
        ),
        (
            "**Server memory per idle SSE connection**".into(),
            format!("**{:.1} KB**", per_conn),
        ),
    ]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let luneo = args.next().expect("path to the luneo binary");
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let (commit, visible) = tokio::task::spawn_blocking(fan_out).await.unwrap();
    println!(
        "| **Fan-out of one notification to {RECIPIENTS} recipients (in-app + email queued), time to commit** (median of 5) | **{commit:.0} ms** | < 200 ms |"
    );
    println!("| Same, until every in-app row is visible to a reader | {visible:.0} ms | |");
    for (figure, value) in sse(Path::new(&luneo), seconds).await {
        println!("| {figure} | {value} | |");
    }
}
