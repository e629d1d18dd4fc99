//! Amounts as people type and read them ("24.90", "24,90") and as Luneo
//! stores them (integer minor units of an ISO 4217 currency: 2490).

use iso_currency::Currency;

/// How many minor digits `code` has (2 for EUR, 0 for JPY; 2 when unknown).
pub fn minor_digits(code: &str) -> u32 {
    Currency::from_code(code)
        .and_then(|c| c.exponent())
        .map_or(2, u32::from)
}

/// `minor` units of `code` written in major units ("24.90").
pub fn format_minor(minor: i64, code: &str) -> String {
    let digits = minor_digits(code);
    if digits == 0 {
        return minor.to_string();
    }
    let unit = 10_i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let (major, rest) = (minor.unsigned_abs() / unit as u64, minor.unsigned_abs() % unit as u64);
    format!("{sign}{major}.{rest:0width$}", width = digits as usize)
}

/// A typed amount of `code` in minor units: digits, an optional sign, a
/// point or a comma before at most the currency's minor digits; spaces
/// (thousands) ignored. `None` when it is not such a number.
pub fn parse_major(text: &str, code: &str) -> Option<i64> {
    let digits = minor_digits(code) as usize;
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    let (negative, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, fraction) = match body.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > digits || whole.len() > 15 {
        return None;
    }
    let major: i64 = whole.parse().ok()?;
    let minor: i64 = if digits == 0 {
        0
    } else {
        format!("{fraction:0<digits$}").parse().ok()?
    };
    let value = major.checked_mul(10_i64.pow(digits as u32))?.checked_add(minor)?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_in_the_currencys_own_digits() {
        assert_eq!(format_minor(2490, "EUR"), "24.90");
        assert_eq!(format_minor(-5, "EUR"), "-0.05");
        assert_eq!(format_minor(1500, "JPY"), "1500");
        assert_eq!(parse_major("24,9", "EUR"), Some(2490));
        assert_eq!(parse_major("1 234.50", "EUR"), Some(123_450));
        assert_eq!(parse_major("-2", "EUR"), Some(-200));
        assert_eq!(parse_major("1500", "JPY"), Some(1500));
        for bad in ["", "12.345", "1e3", "abc", "1.5", "--1"] {
            let code = if bad == "1.5" { "JPY" } else { "EUR" };
            assert_eq!(parse_major(bad, code), None, "{bad}");
        }
    }
}
