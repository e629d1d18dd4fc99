//! The test harness: the real app on a random port with a temporary data
//! dir, a manual clock, a cookie-keeping client that submits forms with
//! their CSRF token, and a real SMTP server on loopback.

use luneo::db::Db;
use luneo::db::time::ManualClock;
use luneo::jobs::outbox::Outbox;
use luneo::jobs::{JobDef, Scheduler};
use luneo::{Config, Options};
use rocket::fairing::AdHoc;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;

/// A password that passes the policy.
pub const PASSWORD: &str = "violet-harbour-91-teapot";

/// 2026-11-25T10:30:00Z, the moment every test starts at.
pub const T0: i64 = 1_795_602_600;

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What to vary when starting the app.
pub struct Spawn {
    pub smtp_url: Option<String>,
    pub start_workers: bool,
    pub extra_jobs: Vec<JobDef>,
    pub extra_routes: Vec<rocket::Route>,
    pub pairs: Vec<(String, String)>,
}

impl Default for Spawn {
    fn default() -> Self {
        Spawn {
            smtp_url: None,
            start_workers: true,
            extra_jobs: vec![],
            extra_routes: vec![],
            pairs: vec![],
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub clock: Arc<ManualClock>,
    pub scheduler: Arc<Scheduler>,
    pub outbox: Arc<Outbox>,
    pub data_dir: TempDir,
    /// The one-time setup token printed at start (while no account exists).
    pub setup_token: Option<String>,
    shutdown: rocket::Shutdown,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Spawn::default()).await
    }

    pub async fn spawn_with(spawn: Spawn) -> TestApp {
        install_crypto();
        let data_dir = tempfile::tempdir().unwrap();
        let dir = data_dir.path().to_str().unwrap().to_string();
        let mut pairs: Vec<(String, String)> = vec![
            ("data_dir".into(), dir),
            ("port".into(), "0".into()),
            ("shutdown_grace".into(), "0".into()),
            ("db_readers".into(), "2".into()),
        ];
        if let Some(url) = &spawn.smtp_url {
            pairs.push(("smtp_url".into(), url.clone()));
        }
        pairs.extend(spawn.pairs);
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let config = Config::from_pairs(&refs).unwrap();
        let clock = ManualClock::new(T0);
        let opts = Options {
            clock: clock.clone(),
            start_workers: spawn.start_workers,
            handle_signals: false,
            extra_jobs: spawn.extra_jobs,
            logs: None,
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<u16>();
        let tx = Mutex::new(Some(tx));
        let rocket = luneo::app_with(config, opts)
            .unwrap()
            .mount("/", spawn.extra_routes)
            .attach(AdHoc::on_liftoff("test port", move |r| {
                let port = r.config().port;
                let sender = tx.lock().unwrap().take();
                Box::pin(async move {
                    if let Some(s) = sender {
                        let _ = s.send(port);
                    }
                })
            }))
            .ignite()
            .await
            .unwrap();
        let db = rocket.state::<Db>().unwrap().clone();
        let scheduler = rocket.state::<Arc<Scheduler>>().unwrap().clone();
        let outbox = rocket.state::<Arc<Outbox>>().unwrap().clone();
        let shutdown = rocket.shutdown();
        let setup_token = rocket.state::<luneo::auth::setup::SetupToken>().and_then(|s| s.get());
        tokio::spawn(async move {
            if let Err(e) = rocket.launch().await {
                eprintln!("test app stopped: {e}");
            }
        });
        let port = tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap()
            .unwrap();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: client(),
            db,
            clock,
            scheduler,
            outbox,
            data_dir,
            setup_token,
            shutdown,
        }
    }

    /// Stops the server (releasing the data directory) and hands the directory over.
    pub async fn stop(mut self) -> TempDir {
        self.shutdown.clone().notify();
        let lock = self.data_dir.path().join("luneo.lock");
        for _ in 0..100 {
            let free = std::fs::File::open(&lock).map(|f| f.try_lock().is_ok()).unwrap_or(true);
            if free {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        std::mem::replace(&mut self.data_dir, tempfile::tempdir().unwrap())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET a page and return its status and body.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Loads `page`, then submits `fields` to `action` with the page's CSRF token first.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.submit_as(&self.client, page, action, fields).await
    }

    /// [`TestApp::submit`] by another visitor (their own cookies).
    pub async fn submit_as(
        &self,
        client: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = self.page_as(client, page).await;
        let token = csrf_token(&html);
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        client.post(self.url(action)).form(&form).send().await.unwrap()
    }

    /// Loads `page`, then posts `fields` and `files` (field, file name,
    /// bytes) to `action` as multipart/form-data, the page's CSRF token first.
    pub async fn upload_as(
        &self,
        client: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> reqwest::Response {
        let html = self.page_as(client, page).await;
        let mut form = reqwest::multipart::Form::new().text("csrf_token", csrf_token(&html));
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, file_name, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.to_string());
            form = form.part(name.to_string(), part);
        }
        client.post(self.url(action)).multipart(form).send().await.unwrap()
    }

    /// Creates the instance owner and first org through /setup; this client is then signed in.
    pub async fn set_up(&self, email: &str, org: &str) {
        let token = self.setup_token.clone().expect("a fresh instance has a setup token");
        let page = format!("/setup?token={token}");
        let res = self
            .submit(
                &page,
                "/setup",
                &[
                    ("token", &token),
                    ("name", "Olivia Owner"),
                    ("email", email),
                    ("password", PASSWORD),
                    ("org_name", org),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    }

    /// Signs this client in.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit("/", "/login", &[("email", email), ("password", password)])
            .await
    }

    /// A new visitor (own cookies) signed in as `email` with [`PASSWORD`].
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let visitor = client();
        let page = visitor
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = csrf_token(&page);
        let res = visitor
            .post(self.url("/login"))
            .form(&[("csrf_token", token.as_str()), ("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{email} signs in");
        visitor
    }

    /// A new visitor signed in as `email` from a browser that calls itself `agent`.
    pub async fn signed_in_from(&self, email: &str, agent: &str) -> reqwest::Client {
        let visitor = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(agent)
            .build()
            .unwrap();
        let page = self.page_as(&visitor, "/login").await;
        let res = visitor
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", csrf_token(&page).as_str()),
                ("email", email),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{email} signs in");
        visitor
    }

    /// Adds `email` (password [`PASSWORD`]) to the org `atelier` with `role`
    /// through the CLI; returns their user id.
    pub async fn add_member(&self, email: &str, name: &str, role: &str) -> String {
        let (code, _, err) = self.cli(
            &[
                "user", "add", "--email", email, "--name", name, "--org", "atelier", "--role", role,
            ],
            &[("LUNEO_PASSWORD", PASSWORD)],
        );
        assert_eq!(code, 0, "{err}");
        let email = email.to_string();
        self.db
            .read(move |c| Ok(c.query_row("SELECT id FROM users WHERE email = ?1", [&email], |r| r.get(0))?))
            .await
            .unwrap()
    }

    /// The signed-in owner changes a member's role from the team page.
    pub async fn change_role(&self, user_id: &str, role: &str) {
        let res = self
            .submit(
                "/dashboard/team",
                &format!("/dashboard/team/members/{user_id}/role"),
                &[("role", role)],
            )
            .await;
        assert_eq!(res.status(), 303);
    }

    /// The API token of `email`, the owner of another shop (`org`) made
    /// with the CLI: someone who must see nothing of the first shop.
    pub fn other_shop_token(&self, email: &str, org: &str) -> String {
        let (code, _, err) = self.cli(
            &["user", "add", "--email", email, "--name", "Other", "--org", org],
            &[("LUNEO_PASSWORD", PASSWORD)],
        );
        assert_eq!(code, 0, "{err}");
        self.api_token(email)
    }

    /// A request to the API with `token`.
    pub fn api(&self, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// The JSON `GET path` answers with `token`.
    pub async fn api_get(&self, token: &str, path: &str) -> serde_json::Value {
        let res = self.api(token, reqwest::Method::GET, path).send().await.unwrap();
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().await.unwrap()
    }

    /// The bytes `GET path` answers with `token` (a file, a PDF…).
    pub async fn api_bytes(&self, token: &str, path: &str) -> Vec<u8> {
        let res = self.api(token, reqwest::Method::GET, path).send().await.unwrap();
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.bytes().await.unwrap().to_vec()
    }

    /// A new API token of `email` for their first org, made with the CLI.
    pub fn api_token(&self, email: &str) -> String {
        let (code, out, err) = self.cli(&["token", "create", "--email", email], &[]);
        assert_eq!(code, 0, "{err}");
        out.trim().to_string()
    }

    /// The single number a SQL query answers (`SELECT count(*) …`).
    pub async fn count(&self, sql: &'static str) -> i64 {
        self.db
            .read(move |c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .await
            .unwrap()
    }

    /// A page's HTML fetched by `client` (a signed-in visitor).
    pub async fn page_as(&self, client: &reqwest::Client, path: &str) -> String {
        client.get(self.url(path)).send().await.unwrap().text().await.unwrap()
    }

    /// A JSON document fetched by `client` (a signed-in visitor).
    pub async fn json_as(&self, client: &reqwest::Client, path: &str) -> serde_json::Value {
        client.get(self.url(path)).send().await.unwrap().json().await.unwrap()
    }

    /// Runs the `luneo` binary on this app's data directory.
    pub fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_luneo"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LUNEO_DATA_DIR", self.data_dir.path())
            .env("LUNEO_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    /// Delivers everything the outbox holds now, until no row is pending:
    /// afterwards what was going to be sent has been, so a test can check
    /// that something was NOT sent without sleeping.
    pub async fn settle_outbox(&self) {
        for _ in 0..500 {
            self.outbox.deliver_due().await.unwrap();
            let pending = self.db.read(luneo::jobs::outbox::pending_count).await.unwrap();
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the outbox still has pending rows after 10 s");
    }

    /// The metadata of every audit record of `action`, oldest first.
    pub async fn audited(&self, action: &'static str) -> Vec<serde_json::Value> {
        self.db
            .read(move |c| {
                let mut stmt = c.prepare("SELECT metadata FROM audit_log WHERE action = ?1 ORDER BY id")?;
                let rows = stmt.query_map([action], |r| r.get::<_, String>(0))?;
                Ok(rows
                    .map(|r| serde_json::from_str(&r.unwrap()).unwrap())
                    .collect::<Vec<serde_json::Value>>())
            })
            .await
            .unwrap()
    }

    /// Waits until `check` holds, polling every 50 ms for up to 10 s.
    pub async fn eventually<F: FnMut() -> bool>(&self, mut check: F) -> bool {
        for _ in 0..200 {
            if check() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

/// The value of the `csrf_token` hidden input of a page.
pub fn csrf_token(html: &str) -> String {
    let start = html
        .find("name=\"csrf_token\" value=\"")
        .expect("page has a CSRF field")
        + 25;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// A free port on loopback (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A mail received by the test SMTP server.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.raw).unwrap()
    }
    pub fn subject(&self) -> String {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value("Subject").unwrap_or_default()
    }
    /// The decoded body of the part with this MIME type.
    pub fn part(&self, mime: &str) -> Option<String> {
        fn find(m: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if m.ctype.mimetype == mime {
                return m.get_body().ok();
            }
            m.subparts.iter().find_map(|p| find(p, mime))
        }
        find(&self.parsed(), mime)
    }
}

#[derive(Clone)]
struct Collect {
    inbox: Arc<Mutex<Vec<Received>>>,
    from: String,
    to: Vec<String>,
    buf: Vec<u8>,
}

impl mailin_embedded::Handler for Collect {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> mailin_embedded::Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.buf.clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        let mail = Received {
            from: self.from.clone(),
            to: self.to.clone(),
            raw: std::mem::take(&mut self.buf),
        };
        self.inbox.lock().unwrap().push(mail);
        mailin_embedded::response::OK
    }
}

/// A real SMTP server (mailin-embedded) on loopback that keeps what it receives.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub fn start() -> SmtpServer {
        Self::start_on(free_port())
    }

    /// Starts a server on `port` (which may have been refusing connections until now).
    pub fn start_on(port: u16) -> SmtpServer {
        let inbox = Arc::new(Mutex::new(vec![]));
        let handler = Collect {
            inbox: inbox.clone(),
            from: String::new(),
            to: vec![],
            buf: vec![],
        };
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        std::thread::spawn(move || {
            let mut server = mailin_embedded::Server::new(handler);
            server
                .with_name("smtp.test")
                .with_ssl(mailin_embedded::SslConfig::None)
                .unwrap()
                .with_num_threads(2)
                .with_tcp_listener(listener);
            let _ = server.serve();
        });
        SmtpServer { port, inbox }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }
}

/// The SMTP URL of a port nothing listens on yet.
pub fn smtp_url_on(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}

/// A cookie store that sends every cookie back, `Secure` ones included, over
/// the plain http the test server listens on (its public URL may be https),
/// and keeps every `Set-Cookie` header it saw so a test can check them.
#[derive(Default)]
pub struct LaxJar {
    cookies: Mutex<std::collections::BTreeMap<String, String>>,
    pub seen: Mutex<Vec<String>>,
}

impl reqwest::cookie::CookieStore for LaxJar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &reqwest::header::HeaderValue>, _: &reqwest::Url) {
        for header in headers {
            let Ok(text) = header.to_str() else { continue };
            self.seen.lock().unwrap().push(text.to_string());
            let Ok(cookie) = rocket::http::Cookie::parse(text.to_string()) else {
                continue;
            };
            let gone = cookie.max_age().is_some_and(|a| a.is_zero() || a.is_negative()) || cookie.value().is_empty();
            let mut jar = self.cookies.lock().unwrap();
            if gone {
                jar.remove(cookie.name());
            } else {
                jar.insert(cookie.name().to_string(), cookie.value().to_string());
            }
        }
    }

    fn cookies(&self, _: &reqwest::Url) -> Option<reqwest::header::HeaderValue> {
        let jar = self.cookies.lock().unwrap();
        let line = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        (!line.is_empty()).then(|| line.parse().unwrap())
    }
}

/// A client like [`client`] whose cookies live in `jar`.
pub fn client_with(jar: Arc<LaxJar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}
