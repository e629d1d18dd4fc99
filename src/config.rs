//! Typed configuration: defaults < `luneo.toml` < `LUNEO_*` environment (and
//! `LUNEO_*_FILE` secrets), validated once at start-up. [`KEYS`] is the one
//! table that declares every option with its env name, default and doc.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use rocket::data::ByteUnit;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One documented configuration key: (toml key, default shown to people, doc).
pub struct Key {
    pub name: &'static str,
    pub default: &'static str,
    pub doc: &'static str,
}

impl Key {
    /// The environment variable that sets this key.
    pub fn env_name(&self) -> String {
        format!("LUNEO_{}", self.name.to_ascii_uppercase())
    }
}

/// Every configuration key Luneo reads. README and the example config list these.
pub const KEYS: &[Key] = &[
    Key {
        name: "address",
        default: "127.0.0.1",
        doc: "IP address to listen on",
    },
    Key {
        name: "port",
        default: "8000",
        doc: "TCP port to listen on",
    },
    Key {
        name: "data_dir",
        default: "./data",
        doc: "Directory for the database, uploads, mail files and the secret key",
    },
    Key {
        name: "base_url",
        default: "http://127.0.0.1:8000",
        doc: "Public URL of this instance, used in links and mails",
    },
    Key {
        name: "smtp_url",
        default: "(unset)",
        doc: "smtp://host:port or smtps://user:pass@host:port; unset writes mail as .eml files under DATA_DIR/mail",
    },
    Key {
        name: "mail_from",
        default: "Luneo <luneo@localhost>",
        doc: "From address of outgoing mail",
    },
    Key {
        name: "log",
        default: "info",
        doc: "Log filter (tracing EnvFilter syntax, e.g. info or luneo=debug)",
    },
    Key {
        name: "log_format",
        default: "text",
        doc: "text or json",
    },
    Key {
        name: "secret_key",
        default: "(generated)",
        doc: "Key for signed cookies; generated on first start and kept in DATA_DIR/secret_key when unset",
    },
    Key {
        name: "limit_form",
        default: "64KiB",
        doc: "Largest accepted form body",
    },
    Key {
        name: "limit_json",
        default: "1MiB",
        doc: "Largest accepted JSON body",
    },
    Key {
        name: "limit_upload",
        default: "20MiB",
        doc: "Largest accepted file upload",
    },
    Key {
        name: "shutdown_grace",
        default: "10",
        doc: "Seconds given to in-flight requests and the running job on SIGTERM",
    },
    Key {
        name: "ip_header",
        default: "(none)",
        doc: "Header holding the client's IP set by your reverse proxy (e.g. X-Real-IP); unset: the peer address",
    },
    Key {
        name: "db_readers",
        default: "4",
        doc: "Number of read connections to the database",
    },
    Key {
        name: "notification_retention_days",
        default: "90",
        doc: "Read notifications older than this many days are deleted (nightly)",
    },
    Key {
        name: "outbox_retry_hours",
        default: "72",
        doc: "How long a failing delivery (mail, push) is retried, backoff capped at an hour, before it is dead",
    },
    Key {
        name: "vapid_private_key",
        default: "(unset)",
        doc: "VAPID private key for web push (from `luneo vapid generate`); web push is off while unset",
    },
    Key {
        name: "vapid_public_key",
        default: "(derived)",
        doc: "VAPID public key; checked against the private key when set",
    },
    Key {
        name: "vapid_subject",
        default: "mailto:<mail_from address>",
        doc: "Contact given to push services (mailto: or https: URL)",
    },
    Key {
        name: "monitoring_private_targets",
        default: "false",
        doc: "Let organisations' health checks reach loopback and private addresses (off: only public ones; instance admins' checks always may)",
    },
    Key {
        name: "vitals_sample_rate",
        default: "0.5",
        doc: "Share of page views (0 to 1) that report their web vitals (LCP, INP, CLS, FCP, TTFB) to monitoring",
    },
    Key {
        name: "metrics_raw_retention_hours",
        default: "24",
        doc: "The instance's metrics are kept as 10 s samples this many hours (1 to 168), then as minute and hour rollups",
    },
    Key {
        name: "metrics_minute_retention_days",
        default: "30",
        doc: "Minute rollups of the instance's metrics are kept this many days (1 to 90)",
    },
    Key {
        name: "metrics_hour_retention_days",
        default: "396",
        doc: "Hour rollups of the instance's metrics are kept this many days (30 to 3650; 396: 13 months)",
    },
    Key {
        name: "log_retention_days",
        default: "14",
        doc: "Lines of the stored request and application log are kept this many days (1 to 365)",
    },
    Key {
        name: "push_insecure_endpoints",
        default: "false",
        doc: "Accept http:// and private-address push endpoints (for tests only; real push services use https)",
    },
];

/// Output format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The raw shape read from figment; [`Config::load`] validates it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RawConfig {
    address: IpAddr,
    port: u16,
    data_dir: PathBuf,
    base_url: String,
    smtp_url: Option<String>,
    mail_from: String,
    log: String,
    log_format: LogFormat,
    secret_key: Option<String>,
    limit_form: ByteUnit,
    limit_json: ByteUnit,
    limit_upload: ByteUnit,
    shutdown_grace: u32,
    db_readers: u32,
    ip_header: Option<String>,
    notification_retention_days: u32,
    outbox_retry_hours: u32,
    vapid_private_key: Option<String>,
    vapid_public_key: Option<String>,
    vapid_subject: Option<String>,
    push_insecure_endpoints: bool,
    monitoring_private_targets: bool,
    vitals_sample_rate: f64,
    metrics_raw_retention_hours: u32,
    metrics_minute_retention_days: u32,
    metrics_hour_retention_days: u32,
    log_retention_days: u32,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            address: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            data_dir: PathBuf::from("./data"),
            base_url: "http://127.0.0.1:8000".into(),
            smtp_url: None,
            mail_from: "Luneo <luneo@localhost>".into(),
            log: "info".into(),
            log_format: LogFormat::Text,
            secret_key: None,
            limit_form: ByteUnit::Kibibyte(64),
            limit_json: ByteUnit::Mebibyte(1),
            limit_upload: ByteUnit::Mebibyte(20),
            shutdown_grace: 10,
            db_readers: 4,
            ip_header: None,
            notification_retention_days: 90,
            outbox_retry_hours: 72,
            vapid_private_key: None,
            vapid_public_key: None,
            vapid_subject: None,
            push_insecure_endpoints: false,
            monitoring_private_targets: false,
            vitals_sample_rate: 0.5,
            metrics_raw_retention_hours: 24,
            metrics_minute_retention_days: 30,
            metrics_hour_retention_days: 396,
            log_retention_days: 14,
        }
    }
}

/// The validated configuration of one Luneo instance.
#[derive(Debug, Clone)]
pub struct Config {
    pub address: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    pub base_url: reqwest::Url,
    pub smtp_url: Option<String>,
    pub mail_from: lettre::message::Mailbox,
    pub log: String,
    pub log_format: LogFormat,
    pub secret_key: Option<String>,
    pub limit_form: ByteUnit,
    pub limit_json: ByteUnit,
    pub limit_upload: ByteUnit,
    pub shutdown_grace: u32,
    pub db_readers: u32,
    /// Header with the client IP from a trusted proxy; `None` = peer address.
    pub ip_header: Option<String>,
    /// Read notifications older than this are purged.
    pub notification_retention_days: u32,
    /// Failing deliveries are retried this long before they are dead.
    pub outbox_retry_hours: u32,
    /// Web push identity; `None` = web push off.
    pub vapid: Option<crate::notifications::push::vapid::Vapid>,
    /// Accept http:// and private-address push endpoints (tests).
    pub push_insecure_endpoints: bool,
    /// Organisations' health checks may reach loopback and private addresses.
    pub monitoring_private_targets: bool,
    /// Share of page views that report their web vitals.
    pub vitals_sample_rate: f64,
    /// How long monitoring keeps metric samples, rollups and log lines.
    pub retention: crate::monitoring::system::Retention,
}

/// A configuration value that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

fn bad(key: &str, got: &str, accepted: &str) -> ConfigError {
    ConfigError(format!(
        "LUNEO_{} = {got:?} is not valid; expected {accepted}",
        key.to_ascii_uppercase()
    ))
}

impl Config {
    /// Reads defaults, then the TOML file (if given), then `LUNEO_*` env.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(RawConfig::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist (from --config or LUNEO_CONFIG)",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        fig = fig.merge(Env::prefixed("LUNEO_").ignore(&["config", "password"]));
        for key in KEYS {
            let var = format!("{}_FILE", key.env_name());
            if let Ok(path) = std::env::var(&var) {
                let value = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError(format!("{var}: cannot read {path}: {e}")))?;
                fig = fig.merge((key.name, value.trim().to_string()));
            }
        }
        Self::from_figment(fig)
    }

    /// Builds a configuration from plain key/value pairs over the defaults (tests, tools).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(RawConfig::default()));
        for (k, v) in pairs {
            // Parsed like an environment value: "0" is a number, "true" a bool.
            let value: figment::value::Value = v.parse().unwrap_or_else(|_| (*v).into());
            fig = fig.merge((*k, value));
        }
        Self::from_figment(fig)
    }

    fn from_figment(fig: Figment) -> Result<Config, ConfigError> {
        let raw: RawConfig = fig.extract().map_err(|errors| {
            let e = errors.into_iter().next().expect("figment error has one entry");
            let key = e.path.join(".");
            let accepted = match key.as_str() {
                "address" => "an IP address such as 127.0.0.1 or 0.0.0.0",
                "port" => "a port number from 0 to 65535",
                "log_format" => "text or json",
                "limit_form" | "limit_json" | "limit_upload" => "a size such as 64KiB or 20MiB",
                "shutdown_grace"
                | "db_readers"
                | "notification_retention_days"
                | "outbox_retry_hours"
                | "metrics_raw_retention_hours"
                | "metrics_minute_retention_days"
                | "metrics_hour_retention_days"
                | "log_retention_days" => "a whole number",
                _ => "a valid value",
            };
            ConfigError(format!(
                "LUNEO_{} is not valid ({}); expected {accepted}",
                key.to_ascii_uppercase(),
                e.kind
            ))
        })?;
        let base_url = reqwest::Url::parse(&raw.base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| bad("base_url", &raw.base_url, "an http:// or https:// URL"))?;
        if let Some(url) = &raw.smtp_url {
            let ok = (url.starts_with("smtp://") || url.starts_with("smtps://"))
                && lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url).is_ok();
            if !ok {
                return Err(ConfigError(
                    "LUNEO_SMTP_URL is not valid; expected smtp://host:port or smtps://user:pass@host:port".into(),
                ));
            }
        }
        let mail_from: lettre::message::Mailbox = raw.mail_from.parse().map_err(|_| {
            bad(
                "mail_from",
                &raw.mail_from,
                "an address such as \"Shop <shop@example.com>\"",
            )
        })?;
        if tracing_subscriber::EnvFilter::try_new(&raw.log).is_err() {
            return Err(bad(
                "log",
                &raw.log,
                "a level (error, warn, info, debug, trace) or a filter such as luneo=debug",
            ));
        }
        if raw.db_readers == 0 || raw.db_readers > 64 {
            return Err(bad("db_readers", &raw.db_readers.to_string(), "a number from 1 to 64"));
        }
        if raw.notification_retention_days == 0 {
            return Err(bad(
                "notification_retention_days",
                "0",
                "a number of days of at least 1",
            ));
        }
        if !(0.0..=1.0).contains(&raw.vitals_sample_rate) {
            return Err(bad(
                "vitals_sample_rate",
                &raw.vitals_sample_rate.to_string(),
                "a share from 0 to 1, such as 0.5",
            ));
        }
        for (key, value, range) in [
            ("metrics_raw_retention_hours", raw.metrics_raw_retention_hours, 1..=168),
            (
                "metrics_minute_retention_days",
                raw.metrics_minute_retention_days,
                1..=90,
            ),
            (
                "metrics_hour_retention_days",
                raw.metrics_hour_retention_days,
                30..=3_650,
            ),
            ("log_retention_days", raw.log_retention_days, 1..=365),
        ] {
            if !range.contains(&value) {
                let accepted = format!("a whole number from {} to {}", range.start(), range.end());
                return Err(bad(key, &value.to_string(), &accepted));
            }
        }
        if raw.outbox_retry_hours == 0 || raw.outbox_retry_hours > 24 * 30 {
            return Err(bad(
                "outbox_retry_hours",
                &raw.outbox_retry_hours.to_string(),
                "a number of hours from 1 to 720",
            ));
        }
        if let Some(key) = &raw.secret_key
            && key.len() < 32
        {
            return Err(ConfigError(
                "LUNEO_SECRET_KEY is too short; expected at least 32 characters (or leave it unset to generate one)"
                    .into(),
            ));
        }
        let vapid = match raw.vapid_private_key.as_deref().filter(|k| !k.trim().is_empty()) {
            None if raw.vapid_public_key.as_deref().is_some_and(|k| !k.trim().is_empty()) => {
                return Err(ConfigError(
                    "LUNEO_VAPID_PUBLIC_KEY is set without LUNEO_VAPID_PRIVATE_KEY; set both (luneo vapid generate)"
                        .into(),
                ));
            }
            None => None,
            Some(private) => {
                let subject = raw
                    .vapid_subject
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or_else(|| format!("mailto:{}", mail_from.email));
                if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
                    return Err(bad("vapid_subject", &subject, "a mailto: or https:// URL"));
                }
                let public = raw.vapid_public_key.as_deref().filter(|k| !k.trim().is_empty());
                Some(
                    crate::notifications::push::vapid::Vapid::from_keys(private, public, subject).map_err(|e| {
                        let (key, rest) = e.split_once(' ').unwrap_or((&e, ""));
                        ConfigError(format!("LUNEO_{} {rest}", key.to_ascii_uppercase()))
                    })?,
                )
            }
        };
        Ok(Config {
            address: raw.address,
            port: raw.port,
            data_dir: raw.data_dir,
            base_url,
            smtp_url: raw.smtp_url.filter(|s| !s.is_empty()),
            mail_from,
            log: raw.log,
            log_format: raw.log_format,
            secret_key: raw.secret_key,
            limit_form: raw.limit_form,
            limit_json: raw.limit_json,
            limit_upload: raw.limit_upload,
            shutdown_grace: raw.shutdown_grace,
            db_readers: raw.db_readers,
            ip_header: raw.ip_header.filter(|h| !h.trim().is_empty()),
            notification_retention_days: raw.notification_retention_days,
            outbox_retry_hours: raw.outbox_retry_hours,
            vapid,
            push_insecure_endpoints: raw.push_insecure_endpoints,
            monitoring_private_targets: raw.monitoring_private_targets,
            vitals_sample_rate: raw.vitals_sample_rate,
            retention: crate::monitoring::system::Retention {
                raw_s: i64::from(raw.metrics_raw_retention_hours) * 3_600,
                minute_s: i64::from(raw.metrics_minute_retention_days) * 86_400,
                hour_s: i64::from(raw.metrics_hour_retention_days) * 86_400,
                log_s: i64::from(raw.log_retention_days) * 86_400,
            },
        })
    }

    /// Path of the SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("luneo.db")
    }

    /// Whether cookies must carry the Secure flag.
    pub fn https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Origin (`scheme://host[:port]`) of the public URL.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_contract() {
        let c = Config::from_pairs(&[]).unwrap();
        assert_eq!(c.address.to_string(), "127.0.0.1");
        assert_eq!(c.port, 8000);
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:8000/");
        assert!(c.smtp_url.is_none());
        assert_eq!(c.log_format, LogFormat::Text);
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Config::from_pairs(&[("port", "eighty")]).unwrap_err().to_string();
        assert!(e.contains("LUNEO_PORT") && e.contains("0 to 65535"), "{e}");
        let e = Config::from_pairs(&[("log_format", "xml")]).unwrap_err().to_string();
        assert!(e.contains("LUNEO_LOG_FORMAT") && e.contains("text or json"), "{e}");
        let e = Config::from_pairs(&[("smtp_url", "http://x")]).unwrap_err().to_string();
        assert!(e.contains("LUNEO_SMTP_URL"), "{e}");
        let e = Config::from_pairs(&[("base_url", "nope")]).unwrap_err().to_string();
        assert!(e.contains("LUNEO_BASE_URL"), "{e}");
        let e = Config::from_pairs(&[("log_retention_days", "0")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("LUNEO_LOG_RETENTION_DAYS") && e.contains("from 1 to 365"),
            "{e}"
        );
        let kept = Config::from_pairs(&[("metrics_raw_retention_hours", "6")])
            .unwrap()
            .retention;
        assert_eq!((kept.raw_s, kept.minute_s), (6 * 3_600, 30 * 86_400));
    }

    #[test]
    fn every_key_is_in_the_example_config() {
        let example = include_str!("../packaging/luneo.example.toml");
        for key in KEYS {
            assert!(
                example.contains(&format!("# {} =", key.name)) || example.contains(&format!("{} =", key.name)),
                "{} missing",
                key.name
            );
        }
    }
}
