//! Static assets from `static/`, embedded with rust-embed and served under
//! fingerprinted URLs (`/static/css/app.3f2a1b9c0d.css`) with a year-long
//! immutable cache and an ETag.

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::LazyLock;

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Files;

/// path -> first 10 hex digits of the SHA-256 of its content.
static FINGERPRINTS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    Files::iter()
        .filter_map(|p| {
            let file = Files::get(&p)?;
            Some((p.to_string(), hex::encode(Sha256::digest(&file.data))[..10].to_string()))
        })
        .collect()
});

/// The fingerprinted URL of `path` (relative to `static/`).
pub fn url(path: &str) -> String {
    match (FINGERPRINTS.get(path), path.rsplit_once('.')) {
        (Some(hash), Some((stem, ext))) => format!("/static/{stem}.{hash}.{ext}"),
        _ => format!("/static/{path}"),
    }
}

/// The content of one embedded file (relative to `static/`).
pub fn file(path: &str) -> Option<Vec<u8>> {
    Files::get(path).map(|f| f.data.into_owned())
}

/// Splits `css/app.0123456789.css` into (`css/app.css`, `0123456789`).
fn unfingerprint(requested: &str) -> (String, Option<&str>) {
    let mut parts: Vec<&str> = requested.rsplitn(3, '.').collect();
    if parts.len() == 3 && parts[1].len() == 10 && parts[1].chars().all(|c| c.is_ascii_hexdigit()) {
        let hash = parts.remove(1);
        return (format!("{}.{}", parts[1], parts[0]), Some(hash));
    }
    (requested.to_string(), None)
}

/// The `If-None-Match` header of a request.
pub struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneMatch {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(IfNoneMatch(req.headers().get_one("If-None-Match").map(str::to_string)))
    }
}

pub struct Asset {
    body: Option<std::borrow::Cow<'static, [u8]>>,
    etag: String,
    content_type: ContentType,
    immutable: bool,
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let cache = if self.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        };
        let mut res = Response::build();
        res.header(Header::new("Cache-Control", cache))
            .header(Header::new("ETag", self.etag));
        match self.body {
            Some(body) => res.header(self.content_type).sized_body(body.len(), Cursor::new(body)),
            None => res.status(Status::NotModified),
        };
        res.ok()
    }
}

#[rocket::get("/static/<file..>")]
fn serve(file: PathBuf, if_none_match: IfNoneMatch) -> Option<Asset> {
    let requested = file.to_str()?;
    let (path, hash) = unfingerprint(requested);
    let content = Files::get(&path)?;
    let current = FINGERPRINTS.get(&path)?;
    let etag = format!("\"{current}\"");
    let content_type = path
        .rsplit_once('.')
        .and_then(|(_, ext)| ContentType::from_extension(ext))
        .unwrap_or(ContentType::Binary);
    let fresh = if_none_match.0.as_deref() == Some(etag.as_str());
    Some(Asset {
        body: (!fresh).then_some(content.data),
        etag,
        content_type,
        immutable: hash == Some(current.as_str()),
    })
}

/// `/favicon.ico`, which browsers ask for whatever the page links: the logo
/// (SVG, which every current browser shows as an icon), cached like an
/// asset without a fingerprint.
#[rocket::get("/favicon.ico")]
fn favicon(if_none_match: IfNoneMatch) -> Option<Asset> {
    let path = "img/logo.svg";
    let etag = format!("\"{}\"", FINGERPRINTS.get(path)?);
    let fresh = if_none_match.0.as_deref() == Some(etag.as_str());
    Some(Asset {
        body: (!fresh).then_some(Files::get(path)?.data),
        etag,
        content_type: ContentType::SVG,
        immutable: false,
    })
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![serve, favicon]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprinted_urls_round_trip() {
        let u = url("css/app.css");
        assert!(
            u.starts_with("/static/css/app.") && u.ends_with(".css") && u.len() == "/static/css/app..css".len() + 10
        );
        let (path, hash) = unfingerprint(u.trim_start_matches("/static/"));
        assert_eq!(path, "css/app.css");
        assert_eq!(hash, FINGERPRINTS.get("css/app.css").map(|s| s.as_str()));
        assert_eq!(unfingerprint("js/x.min.js").0, "js/x.min.js");
    }
}
