//! Rate limits (governor, in memory, per process): each [`Limit`] allows a
//! burst per key (an IP address or an account) and refills over time. A
//! refused attempt is `AppError::TooManyRequests` (429 with `Retry-After`).
//! Every 1,000 attempts, keys back to a full allowance are forgotten.

use crate::error::AppError;
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
    /// Confirmation links for a change of address, for one account: 3 an hour.
    EmailChangePerAccount,
    /// Web-vitals beacons from one IP: 120 a minute.
    VitalsPerIp,
    /// Support requests opened from one IP through a help centre: 10 an hour.
    SupportFormPerIp,
    /// Replies through one private ticket link: 30 an hour.
    SupportReplyPerTicket,
    /// Designs started from a storefront by one IP address: 30 an hour.
    DesignsPerIp,
    /// Saves and uploads through one design's private link: 600 an hour
    /// (the editor saves as the customer works).
    DesignWritesPerLink,
}

impl Limit {
    const ALL: [Limit; 13] = [
        Limit::LoginPerIp,
        Limit::LoginPerAccount,
        Limit::RegisterPerIp,
        Limit::ResetPerIp,
        Limit::ResetPerAccount,
        Limit::VerifyPerAccount,
        Limit::RegisterPerAccount,
        Limit::EmailChangePerAccount,
        Limit::VitalsPerIp,
        Limit::SupportFormPerIp,
        Limit::SupportReplyPerTicket,
        Limit::DesignsPerIp,
        Limit::DesignWritesPerLink,
    ];

    fn quota(self) -> Quota {
        let n = |v: u32| NonZeroU32::new(v).expect("quotas are positive");
        match self {
            Limit::LoginPerIp => Quota::per_minute(n(20)),
            Limit::LoginPerAccount => Quota::per_minute(n(5)),
            Limit::RegisterPerIp => Quota::per_hour(n(10)),
            Limit::VitalsPerIp => Quota::per_minute(n(120)),
            Limit::ResetPerIp | Limit::SupportFormPerIp => Quota::per_hour(n(10)),
            Limit::SupportReplyPerTicket | Limit::DesignsPerIp => Quota::per_hour(n(30)),
            Limit::DesignWritesPerLink => Quota::per_hour(n(600)),
            Limit::ResetPerAccount
            | Limit::VerifyPerAccount
            | Limit::RegisterPerAccount
            | Limit::EmailChangePerAccount => Quota::per_hour(n(3)),
        }
    }
}

/// Every limiter of the instance, managed as Rocket state.
pub struct RateLimits {
    limiters: Vec<(Limit, DefaultKeyedRateLimiter<String>)>,
    /// Attempts counted since the last sweep of idle keys.
    since_sweep: std::sync::atomic::AtomicU32,
}

/// Every this many attempts, keys whose limit has fully refilled are
/// forgotten, so the maps do not grow with every address ever seen.
const SWEEP_EVERY: u32 = 1_000;

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            limiters: Limit::ALL
                .into_iter()
                .map(|l| (l, RateLimiter::keyed(l.quota())))
                .collect(),
            since_sweep: std::sync::atomic::AtomicU32::new(0),
        }
    }
}

impl RateLimits {
    /// Forgets the keys that are back to a full allowance.
    pub fn sweep(&self) {
        for (_, limiter) in &self.limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys currently remembered, over every limit.
    pub fn tracked_keys(&self) -> usize {
        self.limiters.iter().map(|(_, l)| l.len()).sum()
    }

    /// Counts one attempt for `key`; refuses it when the limit is reached.
    pub fn check(&self, limit: Limit, key: &str) -> Result<(), AppError> {
        use std::sync::atomic::Ordering;
        if self.since_sweep.fetch_add(1, Ordering::Relaxed) + 1 >= SWEEP_EVERY {
            self.since_sweep.store(0, Ordering::Relaxed);
            self.sweep();
        }
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

    #[test]
    fn a_sweep_keeps_keys_still_limited() {
        let limits = RateLimits::default();
        for _ in 0..5 {
            limits.check(Limit::LoginPerAccount, "a@shop.test").unwrap();
        }
        limits.sweep();
        assert_eq!(limits.tracked_keys(), 1);
        assert!(
            limits.check(Limit::LoginPerAccount, "a@shop.test").is_err(),
            "still refused"
        );
    }
}
