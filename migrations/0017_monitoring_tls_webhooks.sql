-- Monitoring: a check's TLS certificate (warn this many days before it
-- expires, 0: never; whether an invalid one is accepted; when the last one
-- seen expires) and the webhook its alerts are posted to; the same webhook
-- for an instance alert rule.
ALTER TABLE monitoring_checks ADD COLUMN tls_warn_days INTEGER NOT NULL DEFAULT 14 CHECK (tls_warn_days BETWEEN 0 AND 365);
ALTER TABLE monitoring_checks ADD COLUMN ignore_tls_errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitoring_checks ADD COLUMN tls_expires_at INTEGER;
ALTER TABLE monitoring_checks ADD COLUMN webhook_url TEXT;
-- An HTTP check's JSON expectation: a JSONPath (RFC 9535) that must
-- select something in the body, equal to a value if one is given.
ALTER TABLE monitoring_checks ADD COLUMN json_path TEXT;
ALTER TABLE monitoring_checks ADD COLUMN json_expected TEXT;
ALTER TABLE monitoring_alert_rules ADD COLUMN webhook_url TEXT;
