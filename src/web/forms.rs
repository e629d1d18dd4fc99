//! What a page form needs after a failed POST: the values typed (never
//! passwords) and the errors per field, as catalogue messages.

use crate::error::{FieldError, Message};
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct FormState {
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl FormState {
    /// A form filled with `values` (password fields are never echoed back).
    pub fn with_values(values: &[(&str, &str)]) -> FormState {
        let values = values
            .iter()
            .filter(|(k, _)| !k.contains("password"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FormState { values, errors: vec![] }
    }

    pub fn error_on(mut self, field: &str, message: impl Into<Message>) -> FormState {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> FormState {
        self.errors.extend(errors);
        self
    }

    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// The first error on `name`.
    pub fn error(&self, name: impl AsRef<str>) -> Option<&Message> {
        let name = name.as_ref();
        self.errors.iter().find(|e| e.field == name).map(|e| &e.message)
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Collects field errors while checking a form.
#[derive(Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<Message>) -> &mut Self {
        if !ok && !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
        self
    }

    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }
}
