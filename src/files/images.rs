//! Uploaded images (product photos, pictures placed in designs): checked by
//! their content (PNG, JPEG or WebP that decodes, at most [`MAX_PIXELS`]),
//! stored as sent, with a preview copy (at most [`PREVIEW_PX`] on its long
//! side, for the rendered previews) and a thumbnail ([`THUMB_PX`], for the
//! pages) made once on receipt. SVG is refused: a picture that can carry
//! scripts and outside references is not worth the risk of sanitising it.
//! Table: `images` (one row per org and content).

use crate::config::Config;
use crate::db::Tx;
use crate::error::{AppError, Message};
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use rusqlite::{Connection, OptionalExtension};
use std::io::Cursor;

/// The most pixels an image may have (a 50-megapixel photo is refused
/// before it is decoded).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The long side of the copy previews are drawn from.
pub const PREVIEW_PX: u32 = 1600;
/// The long side of a thumbnail.
pub const THUMB_PX: u32 = 320;

/// An image as stored, with its copies.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredImage {
    pub hash: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub preview_hash: String,
    pub thumb_hash: String,
}

/// A received image, checked and with its copies made, not yet stored.
pub struct Checked {
    mime: &'static str,
    width: u32,
    height: u32,
    original: Vec<u8>,
    preview: Vec<u8>,
    thumb: Vec<u8>,
}

fn format_of(mime: &str) -> Option<ImageFormat> {
    match mime {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Checks `bytes` and makes the copies; the error is the catalogue key of
/// what is wrong (`image.error.*`), with the limit where one applies.
pub fn check(bytes: Vec<u8>) -> Result<Checked, Message> {
    let mime = super::sniff(&bytes)
        .filter(|m| format_of(m).is_some())
        .ok_or_else(|| Message::new("image.error.type"))?;
    let format = format_of(mime).expect("filtered above");
    let reader = || {
        let mut r = ImageReader::with_format(Cursor::new(&bytes[..]), format);
        let mut limits = Limits::default();
        limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
        r.limits(limits);
        r
    };
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|_| Message::new("image.error.unreadable"))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Message::new("image.error.pixels").with("max", MAX_PIXELS / 1_000_000));
    }
    let decoded = reader().decode().map_err(|_| Message::new("image.error.unreadable"))?;
    let copy = |side: u32| encode(&decoded.thumbnail(side, side), format);
    let preview = if width.max(height) <= PREVIEW_PX {
        bytes.clone()
    } else {
        copy(PREVIEW_PX)?
    };
    let thumb = if width.max(height) <= THUMB_PX {
        bytes.clone()
    } else {
        copy(THUMB_PX)?
    };
    Ok(Checked {
        mime,
        width,
        height,
        original: bytes,
        preview,
        thumb,
    })
}

/// A copy in the original's kind (a JPEG stays a JPEG; PNG and WebP,
/// which may be transparent, become PNG).
fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, Message> {
    let mut out = Cursor::new(Vec::new());
    let result = match format {
        ImageFormat::Jpeg => image.to_rgb8().write_to(&mut out, ImageFormat::Jpeg),
        _ => image.write_to(&mut out, ImageFormat::Png),
    };
    result.map_err(|_| Message::new("image.error.unreadable"))?;
    Ok(out.into_inner())
}

/// Stores the original and its copies in the file store.
pub fn store(config: &Config, image: &Checked) -> Result<StoredImage, AppError> {
    Ok(StoredImage {
        hash: super::store(config, &image.original)?,
        mime: image.mime.to_string(),
        width: image.width,
        height: image.height,
        preview_hash: super::store(config, &image.preview)?,
        thumb_hash: super::store(config, &image.thumb)?,
    })
}

/// Reads, checks and stores an uploaded image (off the async threads);
/// what a handler does before the write that records it. `field` names
/// the form field in the error.
pub async fn receive(config: &Config, field: &str, file: &rocket::fs::TempFile<'_>) -> Result<StoredImage, AppError> {
    if file.len() == 0 {
        return Err(AppError::invalid(field, "image.error.missing"));
    }
    let bytes = super::read_upload(file, usize::MAX).await?.unwrap_or_default();
    let (config, field) = (config.clone(), field.to_string());
    tokio::task::spawn_blocking(move || {
        let checked = check(bytes).map_err(|m| AppError::invalid(&field, m))?;
        store(&config, &checked)
    })
    .await
    .map_err(|e| AppError::internal(format!("storing an image: {e}")))?
}

/// Records that `org_id` has the image (once per content).
pub fn record(tx: &Tx, org_id: &str, image: &StoredImage) -> Result<(), AppError> {
    tx.execute(
        "INSERT INTO images (org_id, hash, mime, width, height, preview_hash, thumb_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        rusqlite::params![
            org_id,
            image.hash,
            image.mime,
            image.width,
            image.height,
            image.preview_hash,
            image.thumb_hash,
            tx.now()
        ],
    )?;
    Ok(())
}

/// The image `hash` if `org_id` uploaded it (another org's is not found).
pub fn get(conn: &Connection, org_id: &str, hash: &str) -> Result<Option<StoredImage>, AppError> {
    Ok(conn
        .query_row(
            "SELECT hash, mime, width, height, preview_hash, thumb_hash FROM images WHERE org_id = ?1 AND hash = ?2",
            [org_id, hash],
            |r| {
                Ok(StoredImage {
                    hash: r.get(0)?,
                    mime: r.get(1)?,
                    width: r.get(2)?,
                    height: r.get(3)?,
                    preview_hash: r.get(4)?,
                    thumb_hash: r.get(5)?,
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::new_rgb8(width, height);
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_photo_gets_smaller_copies_and_keeps_its_size() {
        let checked = check(png(2000, 1000)).unwrap();
        assert_eq!((checked.mime, checked.width, checked.height), ("image/png", 2000, 1000));
        let side = |b: &[u8]| image::load_from_memory(b).unwrap().width();
        assert_eq!((side(&checked.preview), side(&checked.thumb)), (1600, 320));
    }

    #[test]
    fn text_named_png_and_svg_are_refused_by_content() {
        assert_eq!(
            check(b"not an image at all".to_vec()).err().unwrap().key,
            "image.error.type"
        );
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
        assert_eq!(check(svg).err().unwrap().key, "image.error.type");
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert_eq!(check(broken).err().unwrap().key, "image.error.unreadable");
    }

    #[test]
    fn fifty_megapixels_are_refused_before_decoding() {
        let mut jpeg = Cursor::new(Vec::new());
        DynamicImage::new_rgb8(16, 16)
            .write_to(&mut jpeg, ImageFormat::Jpeg)
            .unwrap();
        let mut jpeg = jpeg.into_inner();
        // Claim 8000 × 6250 px in the frame header (JPEG has no checksum).
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0x18, 0x6A, 0x1F, 0x40]);
        let refused = check(jpeg).err().unwrap();
        assert_eq!(
            (refused.key.as_str(), refused.arg("max")),
            ("image.error.pixels", Some("40"))
        );
    }
}
