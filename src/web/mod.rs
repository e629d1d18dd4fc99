//! The web layer every feature shares: errors, page context and layout,
//! CSRF, security headers, request ids, static assets, i18n, API conventions.

pub mod api;
pub mod app;
pub mod assets;
pub mod confirm;
pub mod cookies;
pub mod csrf;
pub mod csv;
pub mod error;
pub mod fairings;
pub mod forms;
pub mod i18n;
pub mod money;
pub mod page;
pub mod pickers;
pub mod ratelimit;
pub mod shell;
pub mod when;

/// A `next` target that stays inside this site, else `/`: a path that
/// parses as a local origin URI (one leading `/`, no scheme or authority),
/// with no backslash and no control character (browsers drop tabs and
/// newlines, so `/\t/evil.example` would leave the site).
pub fn safe_next(next: Option<&str>) -> String {
    let local = |n: &str| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(char::is_control)
            && rocket::http::uri::Origin::parse(n).is_ok()
    };
    match next {
        Some(n) if local(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(super::safe_next(Some("/dashboard?x=1")), "/dashboard?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "/a\\b",
            "/a b",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/");
        }
    }
}
