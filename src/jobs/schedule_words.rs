//! A job's six-field cron expression (seconds first, UTC) in words, for the
//! jobs page: "Every day at 03:30 UTC". Only the shapes a reader meets are
//! worded (every N seconds or minutes, hourly, daily, weekly, monthly);
//! anything else gives `None` and the page shows the expression alone.

use crate::web::i18n::Lang;

fn number(field: &str, max: u32) -> Option<u32> {
    field.parse().ok().filter(|n| *n <= max)
}

fn every(field: &str) -> Option<u32> {
    field.strip_prefix("*/").and_then(|n| n.parse().ok()).filter(|n| *n > 0)
}

/// `cron` in words, if it has a shape worth wording.
pub fn describe(lang: Lang, cron: &str) -> Option<String> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [sec, min, hour, dom, month, dow] = fields.get(..6)?.try_into().ok()?;
    if fields.get(6).is_some_and(|year| *year != "*") || month != "*" {
        return None;
    }
    let at = |h: u32, m: u32| format!("{h:02}:{m:02}");
    match (sec, min, hour, dom, dow) {
        (s, "*", "*", "*", "*") if every(s).is_some() => {
            Some(lang.tf("jobs.every_seconds", &[("n", &every(s)?.to_string())]))
        }
        ("0", "*", "*", "*", "*") => Some(lang.t("jobs.every_minute").to_string()),
        ("0", m, "*", "*", "*") if every(m).is_some() => {
            Some(lang.tf("jobs.every_minutes", &[("n", &every(m)?.to_string())]))
        }
        ("0", m, "*", "*", "*") => Some(lang.tf("jobs.hourly", &[("minute", &format!("{:02}", number(m, 59)?))])),
        ("0", m, h, "*", "*") => Some(lang.tf("jobs.daily", &[("time", &at(number(h, 23)?, number(m, 59)?))])),
        ("0", m, h, "*", d) => {
            let day = match d.to_ascii_lowercase().as_str() {
                "0" | "7" | "sun" => "sun",
                "1" | "mon" => "mon",
                "2" | "tue" => "tue",
                "3" | "wed" => "wed",
                "4" | "thu" => "thu",
                "5" | "fri" => "fri",
                "6" | "sat" => "sat",
                _ => return None,
            };
            let time = at(number(h, 23)?, number(m, 59)?);
            Some(lang.tf(
                "jobs.weekly",
                &[("day", lang.t(&format!("jobs.day.{day}"))), ("time", &time)],
            ))
        }
        ("0", m, h, d, "*") => {
            let time = at(number(h, 23)?, number(m, 59)?);
            let day = number(d, 31).filter(|d| *d > 0)?.to_string();
            Some(lang.tf("jobs.monthly", &[("day", &day), ("time", &time)]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_shapes_read_as_words_in_both_languages() {
        assert_eq!(
            describe(Lang::En, "0 30 3 * * *").as_deref(),
            Some("Every day at 03:30 UTC")
        );
        assert_eq!(
            describe(Lang::Fr, "0 30 3 * * *").as_deref(),
            Some("Tous les jours à 03:30 UTC")
        );
        assert_eq!(
            describe(Lang::En, "*/10 * * * * *").as_deref(),
            Some("Every 10 seconds")
        );
        assert_eq!(describe(Lang::En, "0 */5 * * * *").as_deref(), Some("Every 5 minutes"));
        assert_eq!(describe(Lang::En, "0 15 * * * *").as_deref(), Some("Every hour at :15"));
        assert_eq!(
            describe(Lang::En, "0 0 7 * * Mon").as_deref(),
            Some("Every Monday at 07:00 UTC")
        );
        assert_eq!(
            describe(Lang::Fr, "0 0 7 * * 1").as_deref(),
            Some("Chaque lundi à 07:00 UTC")
        );
        assert_eq!(
            describe(Lang::En, "0 0 2 1 * *").as_deref(),
            Some("On day 1 of every month at 02:00 UTC")
        );
        assert_eq!(describe(Lang::En, "0 0 2 1 6 *"), None, "a month is not worded");
        assert_eq!(describe(Lang::En, "0 0-30 2 * * *"), None, "ranges are not worded");
    }
}
