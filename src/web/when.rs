//! Times as pages show them (UI.md): relative ("3 min ago", "in 6 days")
//! with the exact time, in the organisation's time zone, as the tooltip of
//! a `<time datetime="…UTC…">` element. A page keeps one [`Clockface`] and
//! calls `when(ts)` from its template through `components/when.html`.

use super::i18n::Lang;
use crate::db::time::rfc3339;
use chrono::TimeZone;

/// The zone, language and moment a page shows times for.
#[derive(Debug, Clone)]
pub struct Clockface {
    tz: chrono_tz::Tz,
    lang: Lang,
    now: i64,
}

/// One time, ready for a `<time>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    /// RFC 3339, UTC: the `datetime` attribute.
    pub iso: String,
    /// Date and time in the zone, with the zone's abbreviation.
    pub exact: String,
    /// Relative to now ("3 min ago"); the date alone when far away.
    pub relative: String,
}

impl Clockface {
    /// Times in `time_zone` (an IANA name; UTC when unknown).
    pub fn new(time_zone: &str, lang: Lang, now: i64) -> Clockface {
        Clockface {
            tz: time_zone.parse().unwrap_or(chrono_tz::UTC),
            lang,
            now,
        }
    }

    /// `ts` by value or by reference (templates pass references).
    pub fn when(&self, ts: impl std::borrow::Borrow<i64>) -> When {
        let ts = *ts.borrow();
        let local = self
            .tz
            .timestamp_opt(ts, 0)
            .single()
            .unwrap_or_else(|| chrono_tz::UTC.timestamp_opt(0, 0).unwrap().with_timezone(&self.tz));
        let exact = local.format("%Y-%m-%d %H:%M %Z").to_string();
        let ago = self.now - ts;
        let (n, key) = match ago.abs() {
            s if s < 60 => (0, "just_now"),
            s if s < 3_600 => (s / 60, "minutes"),
            s if s < 86_400 => (s / 3_600, "hours"),
            s if s < 30 * 86_400 => (s / 86_400, "days"),
            _ => (-1, ""),
        };
        let relative = match (n, key) {
            (_, "just_now") => self.lang.t("time.just_now").to_string(),
            (-1, _) => local.format("%Y-%m-%d").to_string(),
            (n, unit) => {
                let direction = if ago >= 0 { "ago" } else { "in" };
                self.lang
                    .tf(&format!("time.{unit}_{direction}"), &[("n", &n.to_string())])
            }
        };
        When {
            iso: rfc3339(ts),
            exact,
            relative,
        }
    }

    /// [`Clockface::when`] for an optional time.
    pub fn maybe(&self, ts: &Option<i64>) -> Option<When> {
        ts.map(|t| self.when(t))
    }
}

/// A length of time in words ("3 min", "2 h 05 min", "1 d 4 h"), as a
/// catalogue message.
pub fn duration_words(seconds: i64) -> crate::error::Message {
    use crate::error::Message;
    let s = seconds.max(0);
    match s {
        0..60 => Message::new("when.duration.seconds").with("n", s),
        60..3_600 => Message::new("when.duration.minutes").with("n", (s + 30) / 60),
        3_600..86_400 => Message::new("when.duration.hours")
            .with("h", s / 3_600)
            .with("m", format!("{:02}", (s % 3_600) / 60)),
        _ => Message::new("when.duration.days")
            .with("d", s / 86_400)
            .with("h", (s % 86_400) / 3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_602_600; // 2026-11-25T10:30:00Z

    #[test]
    fn times_are_relative_with_the_exact_local_time_beside() {
        let paris = Clockface::new("Europe/Paris", Lang::En, NOW);
        let w = paris.when(NOW - 180);
        assert_eq!(w.iso, "2026-11-25T10:27:00Z");
        assert_eq!(w.exact, "2026-11-25 11:27 CET");
        assert_eq!(w.relative, "3 min ago");
        assert_eq!(paris.when(NOW - 10).relative, "just now");
        assert_eq!(paris.when(NOW - 5 * 3_600).relative, "5 h ago");
        assert_eq!(paris.when(NOW + 6 * 86_400 + 60).relative, "in 6 days");
        assert_eq!(paris.when(NOW - 90 * 86_400).relative, "2026-08-27");
        let fr = Clockface::new("Europe/Paris", Lang::Fr, NOW);
        assert_eq!(fr.when(NOW - 180).relative, "il y a 3 min");
        assert_eq!(fr.when(NOW + 2 * 86_400).relative, "dans 2 jours");
        assert_eq!(
            Clockface::new("Not/AZone", Lang::En, NOW).when(NOW).exact,
            "2026-11-25 10:30 UTC"
        );
    }
}
