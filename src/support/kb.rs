//! The knowledge base of the help centre: articles in Markdown (rendered
//! safely: raw HTML is shown as text, only http, https, mailto and
//! relative links are kept), in English or French, draft or published,
//! public or for members only, grouped in categories; searched with SQLite
//! FTS5 (every word a prefix, ranked by BM25 with the title weighing
//! most, snippets with the matched words marked).

use super::tickets::text;
use crate::db::Tx;
use crate::error::{AppError, FieldError};
use crate::web::forms::Checks;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// The id of a knowledge-base article (`art_…`).
    ArticleId,
    "art"
);

/// An article as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Article {
    pub id: ArticleId,
    #[serde(skip)]
    pub org_id: String,
    pub category_id: Option<String>,
    pub category: Option<String>,
    pub slug: String,
    pub lang: String,
    pub title: String,
    pub body: String,
    pub status: String,
    pub visibility: String,
    pub views: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "a.id, a.org_id, a.category_id, c.name, a.slug, a.lang, a.title, a.body, a.status, a.visibility,
    a.views, a.helpful_yes, a.helpful_no, a.created_at, a.updated_at";
const FROM: &str = "support_kb_articles a LEFT JOIN support_categories c ON c.id = a.category_id";

fn article_at(r: &Row<'_>) -> rusqlite::Result<Article> {
    Ok(Article {
        id: ArticleId::from_text(r.get::<_, String>(0)?),
        org_id: r.get(1)?,
        category_id: r.get(2)?,
        category: r.get(3)?,
        slug: r.get(4)?,
        lang: r.get(5)?,
        title: r.get(6)?,
        body: r.get(7)?,
        status: r.get(8)?,
        visibility: r.get(9)?,
        views: r.get(10)?,
        helpful_yes: r.get(11)?,
        helpful_no: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

/// What a form or the API sends for an article; absent fields keep their
/// value on update.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub category_id: Option<String>,
    pub lang: Option<String>,
    pub status: Option<String>,
    pub visibility: Option<String>,
    pub slug: Option<String>,
}

/// An article's fields, checked.
#[derive(Debug, Clone)]
pub struct ArticleSpec {
    pub title: String,
    pub body: String,
    pub category_id: Option<String>,
    pub lang: String,
    pub status: String,
    pub visibility: String,
    pub slug: String,
}

impl ArticleInput {
    /// The input of an existing article, to lay an update over.
    pub fn of(a: &Article) -> ArticleInput {
        ArticleInput {
            title: Some(a.title.clone()),
            body: Some(a.body.clone()),
            category_id: a.category_id.clone(),
            lang: Some(a.lang.clone()),
            status: Some(a.status.clone()),
            visibility: Some(a.visibility.clone()),
            slug: Some(a.slug.clone()),
        }
    }

    /// `self` with every field `patch` sets replaced.
    pub fn overlaid(self, patch: ArticleInput) -> ArticleInput {
        ArticleInput {
            title: patch.title.or(self.title),
            body: patch.body.or(self.body),
            category_id: patch.category_id.or(self.category_id),
            lang: patch.lang.or(self.lang),
            status: patch.status.or(self.status),
            visibility: patch.visibility.or(self.visibility),
            slug: patch.slug.or(self.slug),
        }
    }

    pub fn parse(&self) -> Result<ArticleSpec, Vec<FieldError>> {
        let mut c = Checks::default();
        let title = text(&self.title).unwrap_or_default();
        c.check(
            !title.is_empty() && title.chars().count() <= 200,
            "title",
            "support.error.title",
        );
        let body = self.body.clone().unwrap_or_default();
        c.check(
            !body.trim().is_empty() && body.len() <= 200_000,
            "body",
            "support.error.article_body",
        );
        let lang = text(&self.lang).unwrap_or_else(|| "en".into());
        c.check(matches!(lang.as_str(), "en" | "fr"), "lang", "support.error.lang");
        let status = text(&self.status).unwrap_or_else(|| "draft".into());
        c.check(
            matches!(status.as_str(), "draft" | "published"),
            "status",
            "support.error.article_status",
        );
        let visibility = text(&self.visibility).unwrap_or_else(|| "public".into());
        c.check(
            matches!(visibility.as_str(), "public" | "members"),
            "visibility",
            "support.error.visibility",
        );
        let slug = text(&self.slug)
            .map(|s| crate::orgs::slug_of(&s, 80))
            .unwrap_or_else(|| crate::orgs::slug_of(&title, 80));
        c.check(!slug.is_empty() || title.is_empty(), "slug", "support.error.slug");
        c.into_result()?;
        Ok(ArticleSpec {
            title,
            body,
            category_id: text(&self.category_id),
            lang,
            status,
            visibility,
            slug,
        })
    }
}

fn check_category(tx: &Tx, org_id: &str, spec: &ArticleSpec) -> Result<(), AppError> {
    if let Some(c) = &spec.category_id {
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM support_categories WHERE org_id = ?1 AND id = ?2)",
            [org_id, c],
            |r| r.get(0),
        )?;
        if !known {
            return Err(AppError::invalid("category_id", "support.error.category"));
        }
    }
    Ok(())
}

fn slug_taken(tx: &Tx, org_id: &str, spec: &ArticleSpec, except: Option<&str>) -> Result<bool, AppError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM support_kb_articles WHERE org_id = ?1 AND lang = ?2 AND slug = ?3
           AND id IS NOT ?4)",
        rusqlite::params![org_id, spec.lang, spec.slug, except],
        |r| r.get(0),
    )?)
}

/// Adds an article to `org_id`, audited; its slug is unique per language.
pub fn create(tx: &Tx, org_id: &str, spec: &ArticleSpec) -> Result<Article, AppError> {
    check_category(tx, org_id, spec)?;
    if slug_taken(tx, org_id, spec, None)? {
        return Err(AppError::invalid("slug", "support.error.slug_taken"));
    }
    let (id, now) = (ArticleId::generate(), tx.now());
    tx.execute(
        "INSERT INTO support_kb_articles (id, org_id, category_id, slug, lang, title, body, status, visibility,
           created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        rusqlite::params![
            id.as_str(),
            org_id,
            spec.category_id,
            spec.slug,
            spec.lang,
            spec.title,
            spec.body,
            spec.status,
            spec.visibility,
            now
        ],
    )?;
    crate::audit::record(
        tx,
        "support.article_created",
        Some(("article", &id)),
        serde_json::json!({ "title": spec.title }),
    )?;
    get(tx, org_id, &id)?.ok_or(AppError::NotFound)
}

/// Replaces an article's fields, audited.
pub fn update(tx: &Tx, org_id: &str, id: &str, spec: &ArticleSpec) -> Result<Article, AppError> {
    get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    check_category(tx, org_id, spec)?;
    if slug_taken(tx, org_id, spec, Some(id))? {
        return Err(AppError::invalid("slug", "support.error.slug_taken"));
    }
    tx.execute(
        "UPDATE support_kb_articles SET category_id = ?3, slug = ?4, lang = ?5, title = ?6, body = ?7, status = ?8,
           visibility = ?9, updated_at = ?10 WHERE org_id = ?1 AND id = ?2",
        rusqlite::params![
            org_id,
            id,
            spec.category_id,
            spec.slug,
            spec.lang,
            spec.title,
            spec.body,
            spec.status,
            spec.visibility,
            tx.now()
        ],
    )?;
    crate::audit::record(
        tx,
        "support.article_updated",
        Some(("article", id)),
        serde_json::json!({ "title": spec.title }),
    )?;
    get(tx, org_id, id)?.ok_or(AppError::NotFound)
}

/// Deletes an article, audited.
pub fn delete(tx: &Tx, org_id: &str, id: &str) -> Result<(), AppError> {
    let a = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    tx.execute(
        "DELETE FROM support_kb_articles WHERE org_id = ?1 AND id = ?2",
        [org_id, id],
    )?;
    crate::audit::record(
        tx,
        "support.article_deleted",
        Some(("article", id)),
        serde_json::json!({ "title": a.title }),
    )
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Article>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE a.org_id = ?1 AND a.id = ?2"
        ))?
        .query_row([org_id, id], article_at)
        .optional()?)
}

/// The published, public article of `org_id` at `slug`, in `lang` if it
/// exists in it, else in the other language.
pub fn public_by_slug(conn: &Connection, org_id: &str, slug: &str, lang: &str) -> Result<Option<Article>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE a.org_id = ?1 AND a.slug = ?2 AND a.status = 'published'
               AND a.visibility = 'public' ORDER BY a.lang = ?3 DESC LIMIT 1"
        ))?
        .query_row([org_id, slug, lang], article_at)
        .optional()?)
}

/// Counts one view of an article.
pub fn viewed(tx: &Tx, id: &str) -> Result<(), AppError> {
    tx.changes_no_identity();
    tx.execute("UPDATE support_kb_articles SET views = views + 1 WHERE id = ?1", [id])?;
    Ok(())
}

/// Counts one "was this helpful?" answer.
pub fn voted(tx: &Tx, id: &str, helpful: bool) -> Result<(), AppError> {
    tx.changes_no_identity();
    let column = if helpful { "helpful_yes" } else { "helpful_no" };
    tx.execute(
        &format!("UPDATE support_kb_articles SET {column} = {column} + 1 WHERE id = ?1"),
        [id],
    )?;
    Ok(())
}

/// The articles of `org_id`: every one (members) or the published public
/// ones in `lang` (the help centre), in a category if given, by title.
pub fn list(
    conn: &Connection,
    org_id: &str,
    public_lang: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<Article>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.org_id = ?1
           AND (?2 IS NULL OR (a.lang = ?2 AND a.status = 'published' AND a.visibility = 'public'))
           AND (?3 IS NULL OR a.category_id = ?3)
         ORDER BY a.title LIMIT 500"
    ))?;
    let rows = stmt.query_map(rusqlite::params![org_id, public_lang, category], article_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One search hit: the article and a snippet of plain text whose matched
/// words lie between [`MARK_START`] and [`MARK_END`].
#[derive(Debug, Clone)]
pub struct Hit {
    pub article: Article,
    pub snippet: String,
}

/// Marks around a matched word in a snippet (private-use characters, so
/// they never clash with the text, which is escaped before they become
/// `<mark>`).
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// What a search may see.
#[derive(Debug, Clone, Copy)]
pub enum Audience {
    /// The help centre: published public articles.
    Public,
    /// Members: every article, drafts and members-only ones included.
    Members,
}

/// Searches the articles of `org_id` in `lang` (any language when `None`), best first.
pub fn search(
    conn: &Connection,
    org_id: &str,
    typed: &str,
    lang: Option<&str>,
    audience: Audience,
    limit: i64,
) -> Result<Vec<Hit>, AppError> {
    let Some(query) = crate::db::fts_query(typed) else {
        return Ok(vec![]);
    };
    let members = matches!(audience, Audience::Members);
    // The full-text index leads (CROSS JOIN keeps it the outer loop: the
    // articles are then looked up by rowid, never scanned), the ranking
    // happens over the matches, and only the hits shown get a snippet.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, s.rowid
         FROM support_kb_search s CROSS JOIN support_kb_articles a ON a.rowid = s.rowid
         LEFT JOIN support_categories c ON c.id = a.category_id
         WHERE support_kb_search MATCH ?1 AND a.org_id = ?2 AND (?3 IS NULL OR a.lang = ?3)
           AND (?4 OR (a.status = 'published' AND a.visibility = 'public'))
         ORDER BY s.rank LIMIT ?5"
    ))?;
    let rows = stmt.query_map(rusqlite::params![query, org_id, lang, members, limit], |r| {
        Ok((article_at(r)?, r.get::<_, i64>(15)?))
    })?;
    let found: Vec<(Article, i64)> = rows.collect::<Result<_, _>>()?;
    let mut snippet = conn.prepare_cached(
        "SELECT snippet(support_kb_search, 1, char(57344), char(57345), '…', 16)
         FROM support_kb_search WHERE support_kb_search MATCH ?1 AND rowid = ?2",
    )?;
    found
        .into_iter()
        .map(|(article, rowid)| {
            let text: Option<String> = snippet
                .query_row(rusqlite::params![query, rowid], |r| r.get(0))
                .optional()?;
            Ok(Hit {
                article,
                snippet: text.unwrap_or_default(),
            })
        })
        .collect()
}

/// A snippet as HTML: the text escaped, the matched words in `<mark>`.
pub fn snippet_html(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 16);
    for c in snippet.chars() {
        match c {
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown as HTML, safely: raw HTML in the source is shown as text, and
/// a link or image whose address is not http, https, mailto or relative
/// (`javascript:`, `data:`…) loses its address.
pub fn render(markdown: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
    let safe = |url: &CowStr<'_>| {
        let u = url.trim().to_ascii_lowercase();
        let scheme = u.split_once(':').map(|(s, _)| s.to_string());
        match scheme {
            None => true,
            Some(s) => matches!(s.as_str(), "http" | "https" | "mailto") || s.contains('/') || s.contains('#'),
        }
    };
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe(&dest_url) => Event::Start(Tag::Link {
                link_type,
                dest_url: "#".into(),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe(&dest_url) => Event::Start(Tag::Image {
                link_type,
                dest_url: "".into(),
                title,
                id,
            }),
            other => other,
        });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

#[cfg(test)]
mod tests {
    use super::{render, snippet_html};
    use crate::db::fts_query;
    use crate::orgs::slug_of;

    #[test]
    fn markdown_is_rendered_without_scripts_frames_or_javascript_links() {
        let html = render(
            "# Returns\n\nSee <script>alert(1)</script> and <iframe src=x></iframe>.\n\n\
             [click](javascript:alert(1)) [ok](https://shop.example/returns) [rel](/help/x)\n\n\
             ![img](data:text/html;base64,AAAA)",
        );
        assert!(html.contains("<h1>Returns</h1>"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<iframe"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "shown as text: {html}");
        assert!(
            !html.to_lowercase().contains("javascript:") && !html.contains("data:text"),
            "{html}"
        );
        assert!(html.contains("href=\"https://shop.example/returns\"") && html.contains("href=\"/help/x\""));
    }

    #[test]
    fn typed_words_become_prefix_queries_and_slugs_fold_accents() {
        assert_eq!(fts_query("retour colis").as_deref(), Some("\"retour\"* \"colis\"*"));
        assert_eq!(fts_query("\"; DROP --").as_deref(), Some("\"drop\"*"));
        assert_eq!(fts_query("  !! "), None);
        assert_eq!(
            slug_of("Délais de livraison & retours", 80),
            "delais-de-livraison-retours"
        );
        assert_eq!(
            snippet_html("a <b> \u{E000}word\u{E001}"),
            "a &lt;b&gt; <mark>word</mark>"
        );
    }
}
