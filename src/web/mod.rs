//! The web layer every feature shares: errors, page context and layout,
//! CSRF, security headers, request ids, static assets, i18n, API conventions.

pub mod api;
pub mod assets;
pub mod csrf;
pub mod error;
pub mod fairings;
pub mod forms;
pub mod i18n;
pub mod page;
pub mod ratelimit;
pub mod when;

/// A `next` target that stays inside this site (`/…` but not `//…`), else `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains(['\r', '\n']) => {
            n.to_string()
        }
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
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/");
        }
    }
}
