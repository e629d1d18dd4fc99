//! First run: while the instance has no account, a one-time setup token is
//! generated at start-up and printed with the setup URL; `/setup?token=…`
//! then creates the instance owner and the first organisation. Once an
//! account exists, `/setup` is gone (404).

use std::sync::Mutex;

/// The setup token of this process, present only while nobody has an account.
#[derive(Default)]
pub struct SetupToken(Mutex<Option<String>>);

impl SetupToken {
    pub fn new(token: Option<String>) -> SetupToken {
        SetupToken(Mutex::new(token))
    }

    /// The token, if setup is still open.
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether `candidate` is the token (compared in constant time).
    pub fn matches(&self, candidate: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.get()
            .is_some_and(|t| bool::from(t.as_bytes().ct_eq(candidate.as_bytes())))
    }

    /// Closes setup for good (the owner now exists).
    pub fn close(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
