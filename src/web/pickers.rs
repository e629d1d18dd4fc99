//! The choices behind the shared pickers (docs/UI.md): time zones grouped
//! by region with their current offset, and ISO 4217 currencies with their
//! names. Forms render them with `components/pickers.html`.
//!
//! The zones are those of IANA's `zone.tab` (embedded, public domain): one
//! name per country and region, so "Amsterdam" or "Oslo" can be found, and
//! none of the old aliases ("Asmera", "GB-Eire", "Zulu"); plus UTC.

use chrono::{Offset, TimeZone};
use iso_currency::{Currency, IntoEnumIterator};
use std::sync::LazyLock;

/// One time zone as the picker lists it.
pub struct ZoneChoice {
    /// The IANA name stored and submitted (`Europe/Paris`).
    pub name: &'static str,
    /// What a person reads: the place and the current offset.
    pub label: String,
}

/// The zones of one region (`Europe`, `America`…).
pub struct ZoneGroup {
    pub region: &'static str,
    pub zones: Vec<ZoneChoice>,
}

const ZONE_TAB: &str = include_str!("zone.tab");

/// The zone names the picker offers, parsed once.
static ZONE_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = ZONE_TAB
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(2))
        .filter(|n| n.parse::<chrono_tz::Tz>().is_ok())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
});

/// `UTC+01:00` for an offset in seconds (`UTC` for zero).
fn offset_label(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", s / 3600, s % 3600 / 60)
}

/// The place a zone is named after: `America/Argentina/Buenos_Aires` reads
/// "Argentina, Buenos Aires".
fn place(name: &str) -> String {
    let mut parts: Vec<&str> = name.split('/').skip(1).collect();
    parts.reverse();
    let city = parts.first().copied().unwrap_or(name);
    let rest: Vec<&str> = parts.iter().skip(1).copied().collect();
    let city = city.replace('_', " ");
    if rest.is_empty() {
        city
    } else {
        format!("{city} ({})", rest.join(", ").replace('_', " "))
    }
}

/// The zones grouped by region with their offset at `now` (a Unix time),
/// UTC first. `current` (the saved value) is kept even when it is an alias
/// the list does not offer, so saving a form never changes it silently.
pub fn zone_groups(now: i64, current: &str) -> Vec<ZoneGroup> {
    let at = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().naive_utc();
    let offset = |name: &str| {
        name.parse::<chrono_tz::Tz>()
            .map(|tz| tz.offset_from_utc_datetime(&at).fix().local_minus_utc())
            .unwrap_or(0)
    };
    let mut groups: Vec<ZoneGroup> = vec![ZoneGroup {
        region: "UTC",
        zones: vec![ZoneChoice {
            name: "UTC",
            label: "UTC".into(),
        }],
    }];
    let mut names: Vec<&'static str> = ZONE_NAMES.clone();
    if current != "UTC" && !names.contains(&current) {
        // A saved alias (one of chrono-tz's names) stays selectable.
        if let Some(known) = chrono_tz::TZ_VARIANTS.iter().find(|t| t.name() == current) {
            names.push(known.name());
        }
    }
    for name in names {
        let region = name.split('/').next().unwrap_or(name);
        let choice = ZoneChoice {
            name,
            label: format!("{} ({})", place(name), offset_label(offset(name))),
        };
        match groups.iter_mut().find(|g| g.region == region) {
            Some(g) => g.zones.push(choice),
            None => groups.push(ZoneGroup {
                region,
                zones: vec![choice],
            }),
        }
    }
    for g in &mut groups {
        g.zones.sort_by(|a, b| a.label.cmp(&b.label));
    }
    groups[1..].sort_by_key(|g| g.region);
    groups
}

/// One currency as the picker lists it.
pub struct CurrencyChoice {
    pub code: &'static str,
    pub label: String,
}

/// The ISO 4217 currencies a shop can sell in (no funds, metals or test
/// codes, none superseded), by code.
pub static CURRENCIES: LazyLock<Vec<CurrencyChoice>> = LazyLock::new(|| {
    let mut all: Vec<CurrencyChoice> = Currency::iter()
        .filter(|c| !c.is_fund() && !c.is_special() && c.is_superseded().is_none())
        .map(|c| CurrencyChoice {
            code: c.code(),
            label: format!("{} — {}", c.code(), c.name()),
        })
        .collect();
    all.sort_by_key(|c| c.code);
    all
});

/// Whether `code` is a currency the picker offers.
pub fn is_currency(code: &str) -> bool {
    CURRENCIES.iter().any(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_canonical_grouped_and_show_their_offset() {
        // 2026-01-15: Paris is at UTC+1, New York at UTC-5.
        let groups = zone_groups(1_768_478_400, "UTC");
        assert_eq!(groups[0].region, "UTC");
        let europe = groups.iter().find(|g| g.region == "Europe").unwrap();
        assert!(
            europe
                .zones
                .iter()
                .any(|z| z.name == "Europe/Paris" && z.label == "Paris (UTC+01:00)")
        );
        let america = groups.iter().find(|g| g.region == "America").unwrap();
        assert!(america.zones.iter().any(|z| z.label == "New York (UTC-05:00)"));
        assert!(
            america
                .zones
                .iter()
                .any(|z| z.label == "Buenos Aires (Argentina) (UTC-03:00)")
        );
        let all: Vec<_> = groups.iter().flat_map(|g| g.zones.iter().map(|z| z.name)).collect();
        for alias in ["Africa/Asmera", "GB-Eire", "Zulu", "Asia/Calcutta", "US/Eastern"] {
            assert!(!all.contains(&alias), "{alias} is an alias");
        }
        assert!(all.len() > 300 && all.len() < 450, "{}", all.len());
        // In summer Paris is at UTC+2.
        let summer = zone_groups(1_784_000_000, "UTC");
        assert!(
            summer
                .iter()
                .flat_map(|g| &g.zones)
                .any(|z| z.label == "Paris (UTC+02:00)")
        );
    }

    #[test]
    fn a_saved_alias_stays_selectable() {
        let groups = zone_groups(1_768_478_400, "Asia/Calcutta");
        assert!(groups.iter().flat_map(|g| &g.zones).any(|z| z.name == "Asia/Calcutta"));
    }

    #[test]
    fn currencies_are_iso_4217_with_names() {
        assert!(CURRENCIES.iter().any(|c| c.code == "EUR" && c.label == "EUR — Euro"));
        assert!(is_currency("JPY") && is_currency("CHF"));
        assert!(!is_currency("XAU") && !is_currency("XTS") && !is_currency("EURO"));
    }
}
