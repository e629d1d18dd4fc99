//! The `luneo` binary as an operator uses it: start-up faults, SIGTERM,
//! kill -9, backup under load, restore, healthcheck, test mail.

use crate::helpers::{SmtpServer, TestApp, free_port};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn luneo(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_luneo"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LUNEO_DATA_DIR", data_dir)
        .env("LUNEO_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = cmd.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into(),
        String::from_utf8_lossy(&stderr).into(),
    )
}

/// Starts `luneo serve` on a free port and waits until /readyz answers 200.
fn serve(data_dir: &Path) -> (Child, u16) {
    let port = free_port();
    let mut child = luneo(data_dir)
        .env("LUNEO_PORT", port.to_string())
        .env("LUNEO_SHUTDOWN_GRACE", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let (code, _, _) = run(luneo(data_dir).env("LUNEO_PORT", port.to_string()).arg("healthcheck"));
        if code == 0 {
            return (child, port);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("luneo serve did not become ready");
}

fn sigterm(child: &Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
}

fn wait_exit(child: &mut Child, within: Duration) -> i32 {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "the process did not exit in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn version_and_help_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run(luneo(dir.path()).arg("--version"));
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("luneo {}", env!("CARGO_PKG_VERSION")));
    for cmd in [
        "serve",
        "migrate",
        "backup",
        "restore",
        "healthcheck",
        "send-test-mail",
        "jobs",
        "outbox",
    ] {
        let (code, out, _) = run(luneo(dir.path()).args([cmd, "--help"]));
        assert_eq!(code, 0, "{cmd}");
        assert!(out.contains("Usage: luneo"), "{cmd}: {out}");
    }
}

#[test]
fn a_bad_configuration_value_stops_with_status_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, expect) in [
        ("LUNEO_PORT", "eighty", "0 to 65535"),
        ("LUNEO_LOG_FORMAT", "xml", "text or json"),
        ("LUNEO_SMTP_URL", "mail.example.com", "smtp://"),
        ("LUNEO_ADDRESS", "localhost:80", "IP address"),
    ] {
        let (code, _, err) = run(luneo(dir.path()).env(key, value).arg("migrate"));
        assert_eq!(code, 2, "{key}");
        assert!(err.contains(key) && err.contains(expect), "{key}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    let toml = dir.path().join("luneo.toml");
    std::fs::write(&toml, "port = \"not a port\"\n").unwrap();
    let (code, _, err) = run(luneo(dir.path()).arg("--config").arg(&toml).arg("migrate"));
    assert_eq!(code, 2);
    assert!(err.contains("LUNEO_PORT"), "{err}");
}

#[test]
fn the_environment_overrides_the_config_file_which_overrides_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-file");
    let toml = dir.path().join("luneo.toml");
    std::fs::write(
        &toml,
        format!("data_dir = {:?}\nlog_format = \"json\"\n", data.to_str().unwrap()),
    )
    .unwrap();
    let (code, out, err) = run(luneo(dir.path())
        .env_remove("LUNEO_DATA_DIR")
        .env("LUNEO_CONFIG", &toml)
        .arg("migrate"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("applied 0001_spine"), "{out}");
    assert!(data.join("luneo.db").exists(), "the file's data_dir was used");
    let (code, out, _) = run(luneo(&dir.path().join("from-env"))
        .env("LUNEO_CONFIG", &toml)
        .arg("migrate"));
    assert_eq!(code, 0);
    assert!(out.contains("applied"), "the environment's data_dir won: {out}");
    assert!(dir.path().join("from-env/luneo.db").exists());
}

#[test]
fn an_unusable_data_dir_a_corrupt_or_newer_database_stop_start_up_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let (code, _, err) = run(luneo(&file.join("data")).arg("serve"));
    assert_eq!(code, 1);
    assert!(
        err.contains("data directory") && err.contains("LUNEO_DATA_DIR"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::write(corrupt.join("luneo.db"), vec![0x42u8; 8192]).unwrap();
    let (code, _, err) = run(luneo(&corrupt).arg("serve"));
    assert_eq!(code, 1);
    assert!(
        err.contains("not a usable Luneo database") && err.contains("luneo restore"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let newer = dir.path().join("newer");
    assert_eq!(run(luneo(&newer).arg("migrate")).0, 0);
    let conn = rusqlite::Connection::open(newer.join("luneo.db")).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations VALUES (9999, '9999_from_the_future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let (code, _, err) = run(luneo(&newer).arg("serve"));
    assert_eq!(code, 1);
    assert!(err.contains("schema version 9999") && err.contains("newer"), "{err}");
}

#[test]
fn a_failed_migration_leaves_the_database_as_it_was() {
    // A table the first migration wants to create already exists: it fails.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path()).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("luneo.db")).unwrap();
    conn.execute_batch("CREATE TABLE outbox (x INTEGER)").unwrap();
    drop(conn);
    let (code, _, err) = run(luneo(dir.path()).arg("migrate"));
    assert_eq!(code, 1);
    assert!(err.contains("migration 0001_spine failed"), "{err}");
    let conn = rusqlite::Connection::open(dir.path().join("luneo.db")).unwrap();
    let jobs: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'jobs'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let version: i64 = conn
        .query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!((jobs, version), (0, 0), "nothing of the migration stayed");
}

#[test]
fn sigterm_stops_the_server_cleanly_with_status_0_and_healthcheck_follows() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = serve(dir.path());
    let (code, out, _) = run(luneo(dir.path()).env("LUNEO_PORT", port.to_string()).arg("healthcheck"));
    assert_eq!((code, out.trim()), (0, "ready"));
    let (code, _, err) = run(luneo(dir.path()).env("LUNEO_PORT", port.to_string()).arg("serve"));
    assert_eq!(code, 1, "a second server on the same data dir is refused");
    assert!(err.contains("another Luneo process"), "{err}");
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(15)), 0);
    let mut stdout = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    reader.read_line(&mut stdout).unwrap();
    assert!(
        stdout.starts_with("Luneo ") && stdout.contains(&format!("listening on http://127.0.0.1:{port}")),
        "{stdout}"
    );
    // On a first start the setup link stands on a line of its own, set
    // apart by blank lines.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    let lines: Vec<&str> = rest.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim().starts_with("http://") && l.contains("/setup?token="))
        .unwrap_or_else(|| panic!("no setup link line in {rest:?}"));
    assert!(
        at >= 1 && lines[at - 1].trim().is_empty() && lines.get(at + 1).is_some_and(|l| l.trim().is_empty()),
        "{rest:?}"
    );
    let (code, _, _) = run(luneo(dir.path()).env("LUNEO_PORT", port.to_string()).arg("healthcheck"));
    assert_eq!(code, 1, "healthcheck fails once the server is gone");
}

#[tokio::test]
async fn a_backup_taken_under_write_load_is_consistent_and_restores() {
    let app = TestApp::spawn_with(crate::helpers::Spawn {
        start_workers: false,
        ..Default::default()
    })
    .await;
    let db = app.db.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                db.write(move |tx| {
                    luneo::jobs::outbox::enqueue(
                        tx,
                        None,
                        "load",
                        &serde_json::json!({"n": n, "pad": "x".repeat(500)}),
                    )?;
                    Ok(())
                })
                .await
                .unwrap();
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup = app.data_dir.path().join("backup.db");
    let data_dir = app.data_dir.path().to_path_buf();
    let b = backup.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || run(luneo(&data_dir).arg("backup").arg(&b)))
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("integrity ok"), "{out}");
    let conn = rusqlite::Connection::open(&backup).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM outbox WHERE kind = 'load'", [], |r| r.get(0))
        .unwrap();
    assert!(rows > 0 && rows as u64 <= written, "{rows} of {written}");
    drop(conn);

    // Restore is refused while the server holds the data directory…
    let data_dir = app.data_dir.path().to_path_buf();
    let (code, _, err) = run(luneo(&data_dir).arg("restore").arg(&backup));
    assert_eq!(code, 1);
    assert!(err.contains("another Luneo process"), "{err}");
    let kept = app.stop().await;
    // …refuses a file that is not a Luneo database…
    let junk = data_dir.join("junk.db");
    std::fs::write(&junk, b"junk").unwrap();
    let (code, _, err) = run(luneo(&data_dir).arg("restore").arg(&junk));
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = run(luneo(&data_dir).arg("restore").arg(&backup));
    assert_eq!(code, 0, "{err}");
    let conn = rusqlite::Connection::open(data_dir.join("luneo.db")).unwrap();
    let restored: i64 = conn
        .query_row("SELECT count(*) FROM outbox WHERE kind = 'load'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(restored, rows);
    drop(kept);
}

/// Not a test of its own: the child process of the kill -9 test below.
#[test]
fn child_writer_for_kill_test() {
    let Ok(dir) = std::env::var("LUNEO_TEST_WRITER_DIR") else {
        return;
    };
    let db = luneo::db::Db::open(&Path::new(&dir).join("luneo.db"), 1).unwrap();
    for n in 0.. {
        let id = db
            .write_blocking(|tx| luneo::jobs::outbox::enqueue(tx, None, "kill", &serde_json::json!({ "n": n })))
            .unwrap();
        println!("committed {id}");
    }
}

#[test]
fn kill_9_during_writes_loses_no_committed_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cli::child_writer_for_kill_test",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LUNEO_TEST_WRITER_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = vec![];
    while committed.len() < 300 {
        let line = lines.next().unwrap().unwrap();
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(id.to_string());
        }
    }
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(id.to_string());
        }
    }
    let (code, _, err) = run(luneo(dir.path()).arg("migrate"));
    assert_eq!(code, 0, "the next start is clean: {err}");
    let conn = rusqlite::Connection::open(dir.path().join("luneo.db")).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let mut stmt = conn.prepare("SELECT 1 FROM outbox WHERE id = ?1").unwrap();
    let lost: Vec<&String> = committed
        .iter()
        .filter(|id| !stmt.exists([id.as_str()]).unwrap())
        .collect();
    assert!(
        lost.is_empty(),
        "lost {} of {} committed rows",
        lost.len(),
        committed.len()
    );
}

#[test]
fn send_test_mail_checks_the_mail_settings_end_to_end() {
    crate::helpers::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start();
    let (code, out, err) = run(luneo(dir.path()).env("LUNEO_SMTP_URL", smtp.url()).args([
        "send-test-mail",
        "ops@shop.test",
        "--lang",
        "fr",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("test mail sent to ops@shop.test"), "{out}");
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject(), "Courriel de test Luneo");

    let (code, _, err) = run(luneo(dir.path())
        .env("LUNEO_SMTP_URL", format!("smtp://127.0.0.1:{}", free_port()))
        .args(["send-test-mail", "ops@shop.test"]));
    assert_eq!(code, 1);
    assert!(err.contains("SMTP"), "the failure is reported: {err}");
}

#[test]
fn jobs_and_outbox_commands_show_what_operators_need() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(luneo(dir.path()).arg("migrate")).0, 0);
    let (code, out, err) = run(luneo(dir.path()).arg("jobs"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("outbox.purge") && out.contains("db.optimize") && out.contains("NEXT RUN"),
        "{out}"
    );
    let (code, out, _) = run(luneo(dir.path()).args(["outbox", "list", "--status", "dead"]));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "only the header: {out}");
    let (code, _, err) = run(luneo(dir.path()).args(["outbox", "replay", "obx_nope"]));
    assert_eq!(code, 1);
    assert!(err.contains("no dead outbox row"), "{err}");
}

#[test]
fn logs_are_json_lines_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(luneo(dir.path())
        .env("LUNEO_LOG", "info")
        .env("LUNEO_LOG_FORMAT", "json")
        .arg("jobs"));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "applied migration" && l["level"] == "INFO"),
        "{err}"
    );
}

#[test]
fn a_page_that_does_not_exist_is_no_error_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let port = free_port();
    let mut child = luneo(dir.path())
        .env("LUNEO_PORT", port.to_string())
        .env("LUNEO_SHUTDOWN_GRACE", "2")
        .env("LUNEO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while run(luneo(dir.path()).env("LUNEO_PORT", port.to_string()).arg("healthcheck")).0 != 0 {
        assert!(Instant::now() < deadline, "luneo serve did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /no-such-page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    sigterm(&child);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(15)), 0);
    let written = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(
        written.contains("path=/no-such-page status=404"),
        "the access log has it: {written}"
    );
    assert!(
        !written.contains("ERROR"),
        "a 404 is not an error of the server: {written}"
    );
}
