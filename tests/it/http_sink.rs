//! A real HTTP server on loopback (a bare Rocket) that records every POST it
//! receives and answers with a status the test chooses per path: the other
//! side of web push and of health checks (a GET answers the chosen status,
//! 200 by default, with a short body), and later of webhooks.

use rocket::State;
use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the sink received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    hits: Mutex<Vec<Hit>>,
    /// path → status to answer (201 when absent).
    answers: Mutex<HashMap<String, u16>>,
    /// path → JSON body a GET answers (else a line of text).
    json: Mutex<HashMap<String, String>>,
}

struct Headers(HashMap<String, String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Headers {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Headers(
            req.headers()
                .iter()
                .map(|h| (h.name().as_str().to_ascii_lowercase(), h.value().to_string()))
                .collect(),
        ))
    }
}

#[rocket::post("/<path..>", data = "<body>")]
fn receive(path: std::path::PathBuf, headers: Headers, body: Vec<u8>, shared: &State<Arc<Shared>>) -> Status {
    let path = format!("/{}", path.display());
    let status = shared.answers.lock().unwrap().get(&path).copied().unwrap_or(201);
    shared.hits.lock().unwrap().push(Hit {
        path,
        headers: headers.0,
        body,
    });
    Status::new(status)
}

#[rocket::get("/<path..>")]
fn page(path: std::path::PathBuf, shared: &State<Arc<Shared>>) -> (Status, (rocket::http::ContentType, String)) {
    let path = format!("/{}", path.display());
    let status = shared.answers.lock().unwrap().get(&path).copied().unwrap_or(200);
    if let Some(body) = shared.json.lock().unwrap().get(&path) {
        return (Status::new(status), (rocket::http::ContentType::JSON, body.clone()));
    }
    (
        Status::new(status),
        (rocket::http::ContentType::Text, "all systems go".into()),
    )
}

pub struct HttpSink {
    pub base: String,
    shared: Arc<Shared>,
    shutdown: rocket::Shutdown,
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}

impl HttpSink {
    pub async fn start() -> HttpSink {
        Self::start_on(0).await
    }

    /// Starts on `port` (0: any free one), e.g. again where a stopped sink was.
    pub async fn start_on(port: u16) -> HttpSink {
        let shared = Arc::new(Shared::default());
        let figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", port))
            .merge(("log_level", "off"))
            .merge(("shutdown.ctrlc", false))
            .merge(("shutdown.signals", Vec::<String>::new()))
            .merge(("shutdown.grace", 0))
            .merge(("shutdown.mercy", 0));
        let (tx, rx) = tokio::sync::oneshot::channel::<u16>();
        let tx = Mutex::new(Some(tx));
        let rocket = rocket::custom(figment)
            .manage(shared.clone())
            .mount("/", rocket::routes![receive, page])
            .attach(AdHoc::on_liftoff("sink port", move |r| {
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
        let shutdown = rocket.shutdown();
        tokio::spawn(async move {
            let _ = rocket.launch().await;
        });
        let port = tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap()
            .unwrap();
        HttpSink {
            base: format!("http://127.0.0.1:{port}"),
            shared,
            shutdown,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Stops listening (connections are refused from now on).
    pub async fn stop(self) {
        let port = self.port();
        drop(self);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers `status` to requests to `path` from now on.
    pub fn answer(&self, path: &str, status: u16) {
        self.shared.answers.lock().unwrap().insert(path.to_string(), status);
    }

    /// GETs of `path` answer this JSON from now on.
    pub fn answer_json(&self, path: &str, body: &str) {
        self.shared
            .json
            .lock()
            .unwrap()
            .insert(path.to_string(), body.to_string());
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }
}
