//! Stored files: content-addressed by SHA-256 under `DATA_DIR/files/ab/…`,
//! written atomically, typed by their content (magic bytes) rather than by
//! name. `GET /files/<sha256>` serves the public ones (org logos) with a
//! year-long immutable cache.

pub mod images;

use crate::config::Config;
use crate::error::AppError;
use rocket::State;
use rocket::http::{ContentType, Header};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Image types accepted for logos.
pub const IMAGE_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// The MIME type of `bytes` found from their content.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes).map(|t| t.mime_type())
}

fn path_of(config: &Config, hash: &str) -> Option<PathBuf> {
    (hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
        .then(|| config.data_dir.join("files").join(&hash[..2]).join(hash))
}

/// Stores `bytes` (once per content) and returns their SHA-256.
pub fn store(config: &Config, bytes: &[u8]) -> Result<String, AppError> {
    let hash = hex::encode(Sha256::digest(bytes));
    let path = path_of(config, &hash).expect("a SHA-256 is a valid name");
    if path.exists() {
        return Ok(hash);
    }
    let dir = path.parent().expect("files have a folder");
    std::fs::create_dir_all(dir).map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = dir.join(format!(".{hash}.partial"));
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| AppError::internal(format!("cannot store a file: {e}")))?;
    Ok(hash)
}

/// The bytes of an uploaded file, or `None` when it is larger than `max`
/// (then nothing is read).
pub async fn read_upload(file: &rocket::fs::TempFile<'_>, max: usize) -> Result<Option<Vec<u8>>, AppError> {
    use rocket::tokio::io::AsyncReadExt;
    if file.len() as usize > max {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(file.len() as usize);
    let mut reader = file
        .open()
        .await
        .map_err(|e| AppError::internal(format!("upload: {e}")))?;
    reader
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| AppError::internal(format!("upload: {e}")))?;
    Ok(Some(bytes))
}

/// The bytes of the stored file `hash`.
pub async fn read(config: &Config, hash: &str) -> Result<Vec<u8>, AppError> {
    let path = path_of(config, hash).ok_or(AppError::NotFound)?;
    tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)
}

/// The bytes of the stored file `hash`, read on this thread (for code
/// already off the async threads, such as a render).
pub fn read_now(config: &Config, hash: &str) -> Result<Vec<u8>, AppError> {
    let path = path_of(config, hash).ok_or(AppError::NotFound)?;
    std::fs::read(&path).map_err(|e| AppError::internal(format!("stored file {hash}: {e}")))
}

/// Bytes made or read for one signed-in reader (a font, a preview, a print
/// file): their own type, never sniffed, never run, cached privately.
#[derive(rocket::Responder)]
pub struct Private {
    body: Vec<u8>,
    content_type: ContentType,
    disposition: Header<'static>,
    nosniff: Header<'static>,
    sandbox: Header<'static>,
    cache: Header<'static>,
}

impl Private {
    /// `body` of type `content_type`, with its `Content-Disposition`.
    pub fn new(body: Vec<u8>, content_type: ContentType, disposition: String) -> Private {
        Private {
            body,
            content_type,
            disposition: Header::new("Content-Disposition", disposition),
            nosniff: Header::new("X-Content-Type-Options", "nosniff"),
            sandbox: Header::new("Content-Security-Policy", "default-src 'none'; sandbox"),
            cache: Header::new("Cache-Control", "private, max-age=3600"),
        }
    }

    /// `body` of type `mime`, shown inline under the file name `name`.
    pub fn inline(body: Vec<u8>, mime: &str, name: &str) -> Private {
        let content_type = ContentType::parse_flexible(mime).unwrap_or(ContentType::Binary);
        Private::new(
            body,
            content_type,
            format!("inline; filename=\"{}\"", name.replace(['"', '\\'], "_")),
        )
    }
}

#[derive(rocket::Responder)]
struct StoredFile {
    body: Vec<u8>,
    content_type: ContentType,
    cache: Header<'static>,
    sniff: Header<'static>,
}

#[rocket::get("/files/<hash>")]
async fn serve(hash: &str, config: &State<Config>) -> Result<StoredFile, AppError> {
    let body = read(config, hash).await?;
    let mime = sniff(&body)
        .filter(|m| IMAGE_TYPES.contains(m))
        .ok_or(AppError::NotFound)?;
    Ok(StoredFile {
        content_type: ContentType::parse_flexible(mime).unwrap_or(ContentType::Binary),
        body,
        cache: Header::new("Cache-Control", "public, max-age=31536000, immutable"),
        sniff: Header::new("X-Content-Type-Options", "nosniff"),
    })
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![serve]
}
