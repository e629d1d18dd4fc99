//! The optional webhook of a check or of an instance alert rule: each
//! alert that fires or resolves is also POSTed there as JSON, through the
//! outbox (so a receiver that is down gets it later, and nothing is sent
//! for a transaction that rolled back). The body carries a `text` line that
//! chat tools (Slack, Mattermost, Rocket.Chat incoming webhooks) show as
//! it is, and the alert's fields for anything else. The address is the
//! secret, as with those tools; the `webhook-id` header (the outbox row's
//! id, stable across retries) lets a receiver drop a repeat.

use super::checks::Check;
use super::rules::Rule;
use crate::db::Tx;
use crate::error::{AppError, Message};
use crate::jobs::outbox::{self, Deliver, Failure};
use crate::web::i18n::Lang;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The outbox kind of a webhook delivery.
pub const KIND: &str = "monitoring.webhook";

/// One delivery, as the outbox keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct Delivery {
    url: String,
    /// The receiver may be on a private address (an instance admin's, or
    /// the operator allows it).
    private_ok: bool,
    body: serde_json::Value,
}

/// What an alert of `check` did (`alert.firing`, `alert.acknowledged`,
/// `alert.resolved`), posted to the check's webhook if it has one.
pub fn check_alert(tx: &Tx, check: &Check, event: &str, rule: &str, message: &Message) -> Result<(), AppError> {
    let Some(url) = &check.webhook_url else {
        return Ok(());
    };
    let body = serde_json::json!({
        "text": format!("[Luneo] {}: {}", check.name, Lang::En.msg(message)),
        "event": event,
        "rule": rule,
        "check": { "id": check.id, "name": check.name },
        "message": Lang::En.msg(message),
        "at": crate::db::time::rfc3339(tx.now()),
    });
    let delivery = Delivery {
        url: url.clone(),
        private_ok: check.may_reach_private,
        body,
    };
    outbox::enqueue(tx, Some(&check.org_id), KIND, &delivery).map(|_| ())
}

/// What an instance alert of `rule` did, posted to the rule's webhook.
pub fn rule_alert(tx: &Tx, rule: &Rule, event: &str, message: &Message) -> Result<(), AppError> {
    let Some(url) = &rule.webhook_url else {
        return Ok(());
    };
    let name = format!("{} {} {}", rule.metric, rule.op, rule.threshold);
    let body = serde_json::json!({
        "text": format!("[Luneo instance] {name}: {}", Lang::En.msg(message)),
        "event": event,
        "rule": { "id": rule.id, "metric": rule.metric, "op": rule.op, "threshold": rule.threshold },
        "severity": rule.severity,
        "message": Lang::En.msg(message),
        "at": crate::db::time::rfc3339(tx.now()),
    });
    let delivery = Delivery {
        url: url.clone(),
        private_ok: true,
        body,
    };
    outbox::enqueue(tx, None, KIND, &delivery).map(|_| ())
}

/// Posts webhook deliveries for the outbox.
pub struct WebhookSender {
    public: reqwest::Client,
    any: reqwest::Client,
    /// The operator lets organisations reach private addresses.
    private_targets: bool,
}

impl WebhookSender {
    pub fn new(private_targets: bool) -> Result<WebhookSender, String> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Luneo-webhooks/", env!("CARGO_PKG_VERSION")))
        };
        Ok(WebhookSender {
            public: builder()
                .dns_resolver(Arc::new(crate::net::PublicOnly))
                .build()
                .map_err(|e| e.to_string())?,
            any: builder().build().map_err(|e| e.to_string())?,
            private_targets,
        })
    }
}

#[rocket::async_trait]
impl Deliver for WebhookSender {
    async fn deliver(&self, id: &str, payload: &str) -> Result<(), Failure> {
        let delivery: Delivery =
            serde_json::from_str(payload).map_err(|e| Failure::Permanent(format!("bad webhook payload: {e}")))?;
        let private_ok = delivery.private_ok || self.private_targets;
        let host = reqwest::Url::parse(&delivery.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        if !private_ok && crate::net::host_is_private(&host) {
            return Err(Failure::Permanent(format!("{host} is a private address")));
        }
        let client = if private_ok { &self.any } else { &self.public };
        let response = client
            .post(&delivery.url)
            .header("webhook-id", id)
            .json(&delivery.body)
            .send()
            .await
            .map_err(|e| Failure::Retry(format!("webhook unreachable: {e}")))?;
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => Err(Failure::Retry(format!("webhook answered {status}"))),
            _ => Err(Failure::Permanent(format!("webhook refused the alert: {status}"))),
        }
    }
}
