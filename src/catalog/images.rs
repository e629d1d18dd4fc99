//! A product's photos (`POST /api/v1/products/{id}/images`): uploaded,
//! checked and copied by `files::images`, kept in order; the first is the
//! mockup the print areas are placed over and the previews are drawn on.
//! Served by `/files/{hash}` (product photos are public on the storefront).
//! Table: `catalog_images`.

use crate::db::Tx;
use crate::error::AppError;
use crate::files::images::StoredImage;
use rusqlite::Connection;
use serde::Serialize;

crate::typed_id!(
    /// The id of a product photo (`img_…`).
    ImageId,
    "img"
);

/// The most photos a product has.
pub const MAX_IMAGES: usize = 20;

/// A product photo.
#[derive(Debug, Clone, Serialize)]
pub struct ProductImage {
    pub id: ImageId,
    pub alt: String,
    pub width: u32,
    pub height: u32,
    pub url: String,
    pub preview_url: String,
    pub thumb_url: String,
    #[serde(skip)]
    pub image: StoredImage,
}

/// The photos of product `product_id`, in order.
pub fn of_product(conn: &Connection, product_id: &str) -> Result<Vec<ProductImage>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.alt, i.hash, i.mime, i.width, i.height, i.preview_hash, i.thumb_hash
         FROM catalog_images c JOIN images i ON i.org_id = c.org_id AND i.hash = c.hash
         WHERE c.product_id = ?1 ORDER BY c.position, c.id",
    )?;
    let rows = stmt.query_map([product_id], |r| {
        let image = StoredImage {
            hash: r.get(2)?,
            mime: r.get(3)?,
            width: r.get(4)?,
            height: r.get(5)?,
            preview_hash: r.get(6)?,
            thumb_hash: r.get(7)?,
        };
        Ok(ProductImage {
            id: ImageId::from_text(r.get::<_, String>(0)?),
            alt: r.get(1)?,
            width: image.width,
            height: image.height,
            url: format!("/files/{}", image.hash),
            preview_url: format!("/files/{}", image.preview_hash),
            thumb_url: format!("/files/{}", image.thumb_hash),
            image,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Adds a stored image to product `product_id` of `org_id`, last.
pub fn add(tx: &Tx, org_id: &str, product_id: &str, image: &StoredImage, alt: &str) -> Result<ImageId, AppError> {
    let product = super::get(tx, org_id, product_id)?.ok_or(AppError::NotFound)?;
    if product.images.len() >= MAX_IMAGES {
        return Err(AppError::invalid(
            "file",
            crate::error::Message::new("catalog.error.images_count").with("max", MAX_IMAGES),
        ));
    }
    if alt.chars().count() > 200 {
        return Err(AppError::invalid("alt", "catalog.error.alt"));
    }
    crate::files::images::record(tx, org_id, image)?;
    let id = ImageId::generate();
    tx.execute(
        "INSERT INTO catalog_images (id, product_id, org_id, hash, alt, position, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            id,
            product_id,
            org_id,
            image.hash,
            alt.trim(),
            product.images.len() as i64,
            tx.now()
        ],
    )?;
    crate::audit::record(
        tx,
        "catalog.image_added",
        Some(("product", product_id)),
        serde_json::json!({ "name": product.name }),
    )?;
    Ok(id)
}

/// Removes photo `image_id` of product `product_id` of `org_id`.
pub fn remove(tx: &Tx, org_id: &str, product_id: &str, image_id: &str) -> Result<(), AppError> {
    let product = super::get(tx, org_id, product_id)?.ok_or(AppError::NotFound)?;
    if !product.images.iter().any(|i| i.id == *image_id) {
        return Err(AppError::NotFound);
    }
    tx.execute("DELETE FROM catalog_images WHERE id = ?1", [image_id])?;
    crate::audit::record(
        tx,
        "catalog.image_removed",
        Some(("product", product_id)),
        serde_json::json!({ "name": product.name }),
    )
}
