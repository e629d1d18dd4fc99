//! The domain error that storage, features and the CLI return. It knows
//! nothing of HTTP: `web::error` turns it into an error page or an RFC 9457
//! problem, the CLI into a line on stderr. Every text a person may read is
//! a [`Message`]: a catalogue key (`locales/*.toml`) with named arguments,
//! worded in the reader's language where it is shown.

use serde::Serialize;

/// A catalogue key and the values of its `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Message {
    pub key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<(String, String)>,
}

impl Message {
    pub fn new(key: impl Into<String>) -> Message {
        Message {
            key: key.into(),
            args: vec![],
        }
    }

    /// The same message with `{name}` set to `value`.
    pub fn with(mut self, name: &str, value: impl ToString) -> Message {
        self.args.push((name.into(), value.to_string()));
        self
    }

    /// The value given for `{name}`, if any.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl From<&str> for Message {
    fn from(key: &str) -> Message {
        Message::new(key)
    }
}

impl From<String> for Message {
    fn from(key: String) -> Message {
        Message::new(key)
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key)?;
        for (name, value) in &self.args {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// One invalid input field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: Message,
}

/// Everything a feature can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(Message),
    /// Refused by a rule that keeps people from raising their own rights
    /// (`orgs::escalation`); audited as a refused attempt.
    #[error("refused: {0}")]
    Refused(Message),
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("two-factor authentication required")]
    TwoFactorRequired,
    #[error("missing permission {0}")]
    MissingPermission(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(Message),
    #[error("conflict: {0}")]
    Conflict(Message),
    #[error("payload too large")]
    TooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// Not for people's eyes: logged, and shown as a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(msg: impl Into<String>) -> AppError {
        AppError::Internal(msg.into())
    }

    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<Message>) -> AppError {
        AppError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn forbidden(message: impl Into<Message>) -> AppError {
        AppError::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<Message>) -> AppError {
        AppError::Conflict(message.into())
    }

    pub fn bad_request(message: impl Into<Message>) -> AppError {
        AppError::BadRequest(message.into())
    }

    /// What a person may be told, as a message of the catalogue.
    pub fn message(&self) -> Message {
        match self {
            AppError::NotFound => Message::new("error.not_found_detail"),
            AppError::Forbidden(m) | AppError::Refused(m) | AppError::BadRequest(m) | AppError::Conflict(m) => {
                m.clone()
            }
            AppError::Unauthenticated => Message::new("error.unauthenticated"),
            AppError::TwoFactorRequired => Message::new("error.two_factor_required"),
            AppError::MissingPermission(p) => Message::new("error.missing_permission").with("permission", p),
            AppError::Invalid(_) => Message::new("error.invalid_detail"),
            AppError::TooLarge => Message::new("error.too_large_detail"),
            AppError::TooManyRequests { retry_after } => Message::new("error.retry_in").with("seconds", retry_after),
            AppError::Internal(_) => Message::new("error.internal_detail"),
        }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("blocking task: {e}"))
    }
}
