//! Every cookie the server sets has the same attributes: `HttpOnly`,
//! `SameSite=Lax`, path `/`, and `Secure` when the public URL is https.
//! Our own cookies are built with [`build`]; [`harden`] applies the same
//! attributes to the `Set-Cookie` headers of a response (the security
//! headers fairing calls it), which covers the cookies Rocket sets itself
//! (the flash message) and any cookie someone forgets to build here.

use rocket::http::{Cookie, SameSite};

/// A cookie with the house attributes; `secure` is `Config::https()`.
pub fn build(name: &'static str, value: String, secure: bool) -> rocket::http::private::cookie::CookieBuilder<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
}

/// One `Set-Cookie` value with the house attributes added where missing or
/// weaker (`SameSite=None` becomes `Lax`; `Strict` stays).
pub fn harden(set_cookie: &str, secure: bool) -> Option<String> {
    let mut cookie = Cookie::parse(set_cookie.to_string()).ok()?;
    cookie.set_http_only(true);
    if secure {
        cookie.set_secure(true);
    }
    if !matches!(cookie.same_site(), Some(SameSite::Strict | SameSite::Lax)) {
        cookie.set_same_site(SameSite::Lax);
    }
    if cookie.path().is_none() {
        cookie.set_path("/");
    }
    Some(cookie.to_string())
}

#[cfg(test)]
mod tests {
    use super::harden;

    #[test]
    fn a_bare_cookie_gets_every_attribute() {
        let out = harden("_flash=7success; Max-Age=300", true).unwrap();
        for part in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=300"] {
            assert!(out.contains(part), "{part} in {out}");
        }
        let plain = harden("a=b; SameSite=Strict", false).unwrap();
        assert!(plain.contains("SameSite=Strict") && plain.contains("HttpOnly") && !plain.contains("Secure"));
        assert!(harden("x=1; SameSite=None", true).unwrap().contains("SameSite=Lax"));
    }
}
