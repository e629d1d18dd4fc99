//! Rate limits (governor, in memory, per process): each [`Limit`] allows a
//! burst per key (an IP address or an account) and refills over time. A
//! refused attempt is `AppError::TooManyRequests` (429 with `Retry-After`).

use super::error::AppError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Sign-in attempts from one IP address: 20 a minute.
    LoginPerIp,
    /// Sign-in attempts for one account: 5 a minute (then one every 12 s).
    LoginPerAccount,
    /// Accounts created from one IP address: 10 an hour.
    RegisterPerIp,
    /// Password-reset mails asked from one IP address: 10 an hour.
    ResetPerIp,
    /// Password-reset mails for one account: 3 an hour.
    ResetPerAccount,
    /// Verification mails sent again for one account: 3 an hour.
    VerifyPerAccount,
    /// "You already have an account" mails for one address: 3 an hour.
    RegisterPerAccount,
}

impl Limit {
    const ALL: [Limit; 7] = [
        Limit::LoginPerIp,
        Limit::LoginPerAccount,
        Limit::RegisterPerIp,
        Limit::ResetPerIp,
        Limit::ResetPerAccount,
        Limit::VerifyPerAccount,
        Limit::RegisterPerAccount,
    ];

    fn quota(self) -> Quota {
        let n = |v: u32| NonZeroU32::new(v).expect("quotas are positive");
        match self {
            Limit::LoginPerIp => Quota::per_minute(n(20)),
            Limit::LoginPerAccount => Quota::per_minute(n(5)),
            Limit::RegisterPerIp => Quota::per_hour(n(10)),
            Limit::ResetPerIp => Quota::per_hour(n(10)),
            Limit::ResetPerAccount | Limit::VerifyPerAccount | Limit::RegisterPerAccount => Quota::per_hour(n(3)),
        }
    }
}

/// Every limiter of the instance, managed as Rocket state.
pub struct RateLimits {
    limiters: Vec<(Limit, DefaultKeyedRateLimiter<String>)>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            limiters: Limit::ALL
                .into_iter()
                .map(|l| (l, RateLimiter::keyed(l.quota())))
                .collect(),
        }
    }
}

impl RateLimits {
    /// Counts one attempt for `key`; refuses it when the limit is reached.
    pub fn check(&self, limit: Limit, key: &str) -> Result<(), AppError> {
        let Some((_, limiter)) = self.limiters.iter().find(|(l, _)| *l == limit) else {
            return Ok(());
        };
        limiter.check_key(&key.to_lowercase()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::warn!(?limit, "rate limit reached");
            AppError::TooManyRequests {
                retry_after: wait.as_secs().max(1),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_five_tries_a_minute_and_is_told_when_to_retry() {
        let limits = RateLimits::default();
        for _ in 0..5 {
            limits.check(Limit::LoginPerAccount, "a@shop.test").unwrap();
        }
        match limits.check(Limit::LoginPerAccount, "A@shop.test") {
            Err(AppError::TooManyRequests { retry_after }) => assert!((1..=12).contains(&retry_after)),
            other => panic!("{other:?}"),
        }
        limits.check(Limit::LoginPerAccount, "b@shop.test").unwrap();
    }
}
