//! Fonts (`/api/v1/fonts`): the open-licence fonts shipped in the binary
//! (DejaVu, `static/fonts/`), available to every org, and the TTF/OTF files
//! a shop uploads, checked by parsing them. A font is named by its full
//! name ("DejaVu Sans Bold"): print areas allow fonts and design elements
//! use them by that name; the editor loads the same file the renderer
//! embeds. Files: `api`, `pages` (`/dashboard/products/fonts`). Table: `fonts`.

mod api;
mod pages;

pub fn routes() -> Vec<rocket::Route> {
    let mut routes = api::routes();
    routes.extend(pages::routes());
    routes
}

use crate::config::Config;
use crate::db::Tx;
use crate::error::{AppError, Message};
use rusqlite::Connection;
use rustybuzz::ttf_parser::{self, name_id};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

crate::typed_id!(
    /// The id of an uploaded font (`fnt_…`).
    FontId,
    "fnt"
);

/// The largest font file accepted.
pub const MAX_BYTES: usize = 10 << 20;

/// The fonts shipped in the binary: (name, file under `static/`).
pub const BUILT_IN: [(&str, &str); 4] = [
    ("DejaVu Sans", "fonts/DejaVuSans.ttf"),
    ("DejaVu Sans Bold", "fonts/DejaVuSans-Bold.ttf"),
    ("DejaVu Serif", "fonts/DejaVuSerif.ttf"),
    ("DejaVu Sans Mono", "fonts/DejaVuSansMono.ttf"),
];

/// The font used where a design names none.
pub const DEFAULT: &str = "DejaVu Sans";

/// A font an org can use.
#[derive(Debug, Clone, Serialize)]
pub struct Font {
    /// `None` for a built-in font.
    pub id: Option<FontId>,
    pub name: String,
    pub family: String,
    pub style: String,
    pub format: String,
    pub built_in: bool,
    /// Where the editor loads it from.
    pub url: String,
    #[serde(skip)]
    pub hash: String,
}

/// What a font file says of itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub full_name: String,
    pub family: String,
    pub style: String,
    pub format: &'static str,
    pub glyphs: u16,
}

/// Checks a font file: a single TrueType or OpenType font (not a
/// collection, not WOFF) that parses and maps letters to glyphs.
pub fn check(bytes: &[u8]) -> Result<Facts, Message> {
    let format = match bytes.get(..4) {
        Some([0, 1, 0, 0]) | Some(b"true") => "ttf",
        Some(b"OTTO") => "otf",
        _ => return Err(Message::new("fonts.error.type")),
    };
    let face = ttf_parser::Face::parse(bytes, 0).map_err(|_| Message::new("fonts.error.unreadable"))?;
    if face.number_of_glyphs() < 2 || face.glyph_index('A').is_none() && face.glyph_index('a').is_none() {
        return Err(Message::new("fonts.error.unreadable"));
    }
    let name = |id: u16| {
        face.names()
            .into_iter()
            .filter(|n| n.name_id == id)
            .find_map(|n| n.to_string())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let family = name(name_id::TYPOGRAPHIC_FAMILY)
        .or_else(|| name(name_id::FAMILY))
        .unwrap_or_default();
    let style = name(name_id::TYPOGRAPHIC_SUBFAMILY)
        .or_else(|| name(name_id::SUBFAMILY))
        .unwrap_or_else(|| "Regular".into());
    let full_name = name(name_id::FULL_NAME).unwrap_or_else(|| format!("{family} {style}").trim().to_string());
    Ok(Facts {
        full_name,
        family,
        style,
        format,
        glyphs: face.number_of_glyphs(),
    })
}

/// The bytes of the built-in fonts, loaded once.
static BUILT_IN_DATA: LazyLock<HashMap<&'static str, Arc<Vec<u8>>>> = LazyLock::new(|| {
    BUILT_IN
        .iter()
        .map(|(name, path)| {
            let bytes = crate::web::assets::file(path).expect("the built-in fonts are embedded");
            (*name, Arc::new(bytes))
        })
        .collect()
});

fn built_in() -> Vec<Font> {
    BUILT_IN
        .iter()
        .map(|(name, path)| {
            let facts = check(&BUILT_IN_DATA[name]).expect("the built-in fonts parse");
            Font {
                id: None,
                name: name.to_string(),
                family: facts.family,
                style: facts.style,
                format: facts.format.into(),
                built_in: true,
                url: crate::web::assets::url(path),
                hash: String::new(),
            }
        })
        .collect()
}

/// Every font `org_id` can use: the built-in ones, then its own by name.
pub fn list(conn: &Connection, org_id: &str) -> Result<Vec<Font>, AppError> {
    let mut fonts = built_in();
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, family, style, format, hash FROM fonts WHERE org_id = ?1 ORDER BY name COLLATE NOCASE",
    )?;
    let own = stmt.query_map([org_id], |r| {
        let id = FontId::from_text(r.get::<_, String>(0)?);
        Ok(Font {
            url: format!("/api/v1/fonts/{id}/file"),
            id: Some(id),
            name: r.get(1)?,
            family: r.get(2)?,
            style: r.get(3)?,
            format: r.get(4)?,
            built_in: false,
            hash: r.get(5)?,
        })
    })?;
    for font in own {
        fonts.push(font?);
    }
    Ok(fonts)
}

/// The names of the fonts `org_id` can use.
pub fn names(conn: &Connection, org_id: &str) -> Result<Vec<String>, AppError> {
    Ok(list(conn, org_id)?.into_iter().map(|f| f.name).collect())
}

/// Records an uploaded font (already checked and stored as `hash`); the
/// name must not be taken by a built-in or another of the org's fonts.
pub fn add(tx: &Tx, org_id: &str, name: &str, facts: &Facts, hash: &str, size: usize) -> Result<Font, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::invalid("name", "fonts.error.name"));
    }
    let taken = BUILT_IN.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        || tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM fonts WHERE org_id = ?1 AND name = ?2 COLLATE NOCASE)",
            [org_id, name],
            |r| r.get::<_, bool>(0),
        )?;
    if taken {
        return Err(AppError::invalid(
            "name",
            Message::new("fonts.error.taken").with("name", name),
        ));
    }
    let id = FontId::generate();
    tx.execute(
        "INSERT INTO fonts (id, org_id, name, family, style, format, hash, size, glyphs, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            id,
            org_id,
            name,
            facts.family,
            facts.style,
            facts.format,
            hash,
            size as i64,
            facts.glyphs,
            tx.now()
        ],
    )?;
    crate::audit::record(
        tx,
        "fonts.added",
        Some(("font", &id)),
        serde_json::json!({ "name": name }),
    )?;
    list(tx, org_id)?
        .into_iter()
        .find(|f| f.id.as_ref() == Some(&id))
        .ok_or(AppError::NotFound)
}

/// The font files a render needs, by name: what [`FontBook::load`] found.
#[derive(Clone, Default)]
pub struct FontBook {
    fonts: HashMap<String, Arc<Vec<u8>>>,
}

impl FontBook {
    /// Loads the fonts `names` of `org_id` (built-in or uploaded); a name
    /// the org does not have is simply absent (validation refuses it first).
    pub fn load(conn: &Connection, config: &Config, org_id: &str, names: &[&str]) -> Result<FontBook, AppError> {
        let mut fonts = HashMap::new();
        let mut own = None;
        for name in names {
            if fonts.contains_key(*name) {
                continue;
            }
            if let Some(data) = BUILT_IN_DATA.get(name) {
                fonts.insert(name.to_string(), data.clone());
                continue;
            }
            let own = match &mut own {
                Some(own) => own,
                None => own.insert(list(conn, org_id)?),
            };
            if let Some(font) = own.iter().find(|f| f.name == *name && !f.built_in) {
                fonts.insert(name.to_string(), Arc::new(crate::files::read_now(config, &font.hash)?));
            }
        }
        Ok(FontBook { fonts })
    }

    /// The built-in fonts among `names` (no database: benchmarks, tests).
    pub fn built_in(names: &[&str]) -> FontBook {
        let fonts = names
            .iter()
            .filter_map(|n| BUILT_IN_DATA.get(n).map(|d| (n.to_string(), d.clone())))
            .collect();
        FontBook { fonts }
    }

    /// The bytes of the font `name`, if loaded.
    pub fn get(&self, name: &str) -> Option<&Arc<Vec<u8>>> {
        self.fonts.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_fonts_parse_and_name_themselves() {
        let names: Vec<String> = built_in().into_iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            ["DejaVu Sans", "DejaVu Sans Bold", "DejaVu Serif", "DejaVu Sans Mono"]
        );
        let facts = check(&BUILT_IN_DATA["DejaVu Sans Bold"]).unwrap();
        assert_eq!(
            (facts.family.as_str(), facts.style.as_str(), facts.format),
            ("DejaVu Sans", "Bold", "ttf")
        );
        assert_eq!(facts.full_name, "DejaVu Sans Bold");
    }

    #[test]
    fn files_that_are_not_fonts_are_refused() {
        assert_eq!(check(b"PK\x03\x04 a zip").unwrap_err().key, "fonts.error.type");
        let mut cut = BUILT_IN_DATA["DejaVu Sans"].to_vec();
        cut.truncate(200);
        assert_eq!(check(&cut).unwrap_err().key, "fonts.error.unreadable");
        assert_eq!(check(b"wOFF....").unwrap_err().key, "fonts.error.type");
    }
}
