//! A real HTTPS server on loopback (hyper over rustls) whose self-signed
//! certificate expires when the test says, and can be renewed while it
//! runs: the other side of the TLS expiry checks.

use hyper::body::Bytes;
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;

pub struct TlsServer {
    pub port: u16,
    config: Arc<Mutex<Arc<rustls::ServerConfig>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A self-signed certificate for 127.0.0.1 valid until `not_after` (Unix seconds).
fn config(not_after: i64) -> Arc<rustls::ServerConfig> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = time::OffsetDateTime::from_unix_timestamp(not_after - 365 * 86_400).unwrap();
    params.not_after = time::OffsetDateTime::from_unix_timestamp(not_after).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .unwrap();
    Arc::new(config)
}

impl TlsServer {
    /// Serves "all systems go" over HTTPS with a certificate expiring at `not_after`.
    pub async fn start(not_after: i64) -> TlsServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = Arc::new(Mutex::new(config(not_after)));
        let shared = config.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let acceptor = tokio_rustls::TlsAcceptor::from(shared.lock().unwrap().clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(
                            Bytes::from_static(b"all systems go"),
                        )))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TlsServer { port, config, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// Serves a new certificate, expiring at `not_after`, from the next connection on.
    pub fn renew(&self, not_after: i64) {
        *self.config.lock().unwrap() = config(not_after);
    }
}
