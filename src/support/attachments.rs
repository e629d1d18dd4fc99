//! Files attached to a ticket: to its opening (no message) or to one of
//! its messages — a reply, a requester's message or an internal note (then
//! members only, like the note). Each file is capped in size, accepted by
//! its content (magic bytes, never by its name or the type it claims),
//! stored by SHA-256 (`crate::files`), and served only to whoever may read
//! its ticket: a member of the org, or the holder of the ticket's private
//! link for what is not internal. Images are shown inline as previews;
//! everything else downloads.

use super::{MessageId, TicketId};
use crate::config::Config;
use crate::db::Tx;
use crate::error::AppError;
use rocket::fs::TempFile;
use rocket::http::ContentType;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

crate::typed_id!(
    /// The id of a file attached to a ticket (`atc_…`).
    AttachmentId,
    "atc"
);

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most files on one message.
pub const MAX_FILES: usize = 5;

/// The types accepted (found from the content), and whether they are
/// shown inline as an image.
const ACCEPTED: [(&str, bool); 8] = [
    ("image/png", true),
    ("image/jpeg", true),
    ("image/gif", true),
    ("image/webp", true),
    ("application/pdf", false),
    ("application/zip", false),
    ("text/plain", false),
    ("text/csv", false),
];

/// A file attached to a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: AttachmentId,
    pub ticket_id: TicketId,
    /// The message it came with (none: the ticket's opening).
    pub message_id: Option<MessageId>,
    pub name: String,
    pub mime: String,
    pub size: i64,
    #[serde(skip)]
    pub file_hash: String,
    /// On an internal note: members only.
    pub internal: bool,
    pub created_at: i64,
}

impl Attachment {
    /// Shown inline as a preview (an image).
    pub fn is_image(&self) -> bool {
        ACCEPTED.iter().any(|(m, inline)| *inline && *m == self.mime)
    }

    /// Its size for people: "12 KB", "3.4 MB".
    pub fn size_label(&self) -> String {
        match self.size {
            s if s < 1024 => format!("{s} B"),
            s if s < 1024 * 1024 => format!("{} KB", s / 1024),
            s => format!("{:.1} MB", s as f64 / (1024.0 * 1024.0)),
        }
    }
}

/// A file received and checked, not yet stored.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// A file name as shown and offered for download: its last path part,
/// without control characters, at most 120 characters.
fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(120)
        .collect();
    match name.trim() {
        "" | "." | ".." => "attachment".to_string(),
        n => n.to_string(),
    }
}

/// The accepted type of `bytes`: what their magic bytes say, else plain
/// text when they are UTF-8 without NUL (CSV when the name says so).
fn type_of(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let found = match crate::files::sniff(bytes) {
        Some(mime) => mime,
        None if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() => {
            if name.to_ascii_lowercase().ends_with(".csv") {
                "text/csv"
            } else {
                "text/plain"
            }
        }
        None => return None,
    };
    ACCEPTED.iter().map(|(m, _)| *m).find(|m| *m == found)
}

/// Checks one file: not empty, not over [`MAX_BYTES`], of an accepted
/// type. `field` names the form field in the error.
pub fn check(field: &str, raw_name: &str, bytes: Vec<u8>) -> Result<Upload, AppError> {
    if bytes.is_empty() {
        return Err(AppError::invalid(field, "support.error.file_empty"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(AppError::invalid(field, "support.error.file_large"));
    }
    let name = clean_name(raw_name);
    let mime = type_of(&name, &bytes).ok_or_else(|| AppError::invalid(field, "support.error.file_type"))?;
    Ok(Upload { name, mime, bytes })
}

/// Reads and checks the files of a form (the empty file input a browser
/// sends when nothing was chosen is skipped).
pub async fn from_form(field: &str, files: &[TempFile<'_>]) -> Result<Vec<Upload>, AppError> {
    let chosen: Vec<&TempFile<'_>> = files.iter().filter(|f| f.len() > 0).collect();
    if chosen.len() > MAX_FILES {
        return Err(AppError::invalid(field, "support.error.file_count"));
    }
    let mut uploads = vec![];
    for file in chosen {
        let bytes = crate::files::read_upload(file, MAX_BYTES)
            .await?
            .ok_or_else(|| AppError::invalid(field, "support.error.file_large"))?;
        let name = file
            .raw_name()
            .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
            .unwrap_or_default();
        uploads.push(check(field, &name, bytes)?);
    }
    Ok(uploads)
}

/// A checked file, stored, ready to be recorded on a ticket.
#[derive(Debug, Clone)]
pub struct Stored {
    pub name: String,
    pub mime: &'static str,
    pub size: usize,
    pub hash: String,
}

/// Stores the files (by content: once each) before the transaction that
/// records them; a file stored for a write that then fails is only an
/// unreferenced blob.
pub fn store(config: &Config, uploads: Vec<Upload>) -> Result<Vec<Stored>, AppError> {
    uploads
        .into_iter()
        .map(|u| {
            Ok(Stored {
                hash: crate::files::store(config, &u.bytes)?,
                size: u.bytes.len(),
                name: u.name,
                mime: u.mime,
            })
        })
        .collect()
}

/// Reads, checks and stores the files of a form field (off the async
/// threads): what a handler does before its write.
pub async fn receive(config: &Config, field: &str, files: &[TempFile<'_>]) -> Result<Vec<Stored>, AppError> {
    let uploads = from_form(field, files).await?;
    if uploads.is_empty() {
        return Ok(vec![]);
    }
    let config = config.clone();
    tokio::task::spawn_blocking(move || store(&config, uploads))
        .await
        .map_err(|e| AppError::internal(format!("storing files: {e}")))?
}

/// Records `files` on `ticket_id` (and its message `message_id`).
pub fn attach(
    tx: &Tx,
    ticket_id: &TicketId,
    message_id: Option<&MessageId>,
    files: &[Stored],
) -> Result<Vec<AttachmentId>, AppError> {
    let mut ids = vec![];
    for f in files {
        let id = AttachmentId::generate();
        tx.execute(
            "INSERT INTO support_attachments (id, ticket_id, message_id, name, mime, size, file_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                id.as_str(),
                ticket_id.as_str(),
                message_id.map(|m| m.as_str()),
                f.name,
                f.mime,
                f.size as i64,
                f.hash,
                tx.now()
            ],
        )?;
        ids.push(id);
    }
    Ok(ids)
}

const COLUMNS: &str = "a.id, a.ticket_id, a.message_id, a.name, a.mime, a.size, a.file_hash,
    coalesce(m.internal, 0), a.created_at
    FROM support_attachments a LEFT JOIN support_messages m ON m.id = a.message_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        id: AttachmentId::from_text(r.get::<_, String>(0)?),
        ticket_id: TicketId::from_text(r.get::<_, String>(1)?),
        message_id: r.get::<_, Option<String>>(2)?.map(MessageId::from_text),
        name: r.get(3)?,
        mime: r.get(4)?,
        size: r.get(5)?,
        file_hash: r.get(6)?,
        internal: r.get(7)?,
        created_at: r.get(8)?,
    })
}

/// The files of a ticket, oldest first; those of internal notes only when
/// `with_notes` (members).
pub fn of_ticket(conn: &Connection, ticket_id: &TicketId, with_notes: bool) -> Result<Vec<Attachment>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} WHERE a.ticket_id = ?1 AND (?2 OR coalesce(m.internal, 0) = 0)
         ORDER BY a.created_at, a.rowid"
    ))?;
    let rows = stmt.query_map(rusqlite::params![ticket_id.as_str(), with_notes], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A file of one of `org_id`'s tickets (what a member may download).
pub fn of_org(conn: &Connection, org_id: &str, id: &AttachmentId) -> Result<Option<Attachment>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} JOIN support_tickets t ON t.id = a.ticket_id WHERE a.id = ?1 AND t.org_id = ?2"),
            [id.as_str(), org_id],
            from_row,
        )
        .optional()?)
}

/// The files of `on` (a ticket's opening when `None`), from a list of a
/// ticket's files.
pub fn on<'a>(all: &'a [Attachment], on: Option<&MessageId>) -> Vec<&'a Attachment> {
    all.iter().filter(|a| a.message_id.as_ref() == on).collect()
}

/// A stored file sent back: its own type, inline when an image, else as a
/// download; never sniffed, never run (sandboxed), cached privately.
pub struct Download;

impl Download {
    /// File `id` of one of `member`'s org's tickets (404 for any other).
    pub async fn for_member(
        app: &crate::web::app::App<'_>,
        member: &crate::orgs::Member,
        id: AttachmentId,
    ) -> Result<crate::files::Private, AppError> {
        use crate::orgs::perms::{Area, Level};
        member.require(Area::Support, Level::View)?;
        let org_id = member.org.id.to_string();
        let file = app
            .db
            .read(move |c| of_org(c, &org_id, &id)?.ok_or(AppError::NotFound))
            .await?;
        Download::of(app.config, &file).await
    }

    pub async fn of(config: &Config, a: &Attachment) -> Result<crate::files::Private, AppError> {
        use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
        let body = crate::files::read(config, &a.file_hash).await?;
        let ascii: String = a
            .name
            .chars()
            .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' })
            .collect();
        let how = if a.is_image() { "inline" } else { "attachment" };
        // RFC 6266: a plain fallback name, then the UTF-8 one (RFC 8187).
        let disposition = format!(
            "{how}; filename=\"{}\"; filename*=UTF-8''{}",
            ascii.replace('\\', "_"),
            utf8_percent_encode(&a.name, NON_ALPHANUMERIC)
        );
        // Text was accepted only as UTF-8.
        let content_type = if a.mime.starts_with("text/") {
            ContentType::parse_flexible(&format!("{}; charset=utf-8", a.mime))
        } else {
            ContentType::parse_flexible(&a.mime)
        }
        .unwrap_or(ContentType::Binary);
        Ok(crate::files::Private::new(body, content_type, disposition))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_typed_by_their_content_not_their_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(check("files", "photo.pdf", png).unwrap().mime, "image/png");
        assert_eq!(
            check("files", "notes.txt", b"hello".to_vec()).unwrap().mime,
            "text/plain"
        );
        assert_eq!(
            check("files", "list.csv", b"a,b\n1,2".to_vec()).unwrap().mime,
            "text/csv"
        );
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec();
        assert!(
            check("files", "invoice.pdf", exe).is_err(),
            "a program named .pdf is refused"
        );
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
        assert_eq!(
            check("files", "x.svg", svg).unwrap().mime,
            "text/plain",
            "SVG is only ever text"
        );
        assert!(check("files", "a.txt", vec![]).is_err());
        assert!(check("files", "big.txt", vec![b'a'; MAX_BYTES + 1]).is_err());
    }

    #[test]
    fn names_lose_their_folders_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b\r\n.txt"), "ab.txt");
        assert_eq!(clean_name(".."), "attachment");
    }
}
