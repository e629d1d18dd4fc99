//! Per-org overrides of a kind's notification email (subject and body, per
//! language), written in a small, safe template language: minijinja in a
//! sandbox — `{{ variable }}` and `{% if %}…{% elif %}…{% else %}…{% endif %}`
//! only, no filters, no loader, unknown variables are errors, and a fuel
//! limit bounds the work. The output is plain text; the HTML part of the
//! mail escapes all of it, so an override can never inject markup.

use super::{KINDS, Kind};
use crate::db::Tx;
use crate::error::{AppError, Message};
use crate::web::i18n::Lang;
use minijinja::{Environment, UndefinedBehavior};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

/// Longest subject and body accepted.
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 5_000;

/// A subject and body template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTemplate {
    pub subject: String,
    pub body: String,
}

/// Why a template cannot be used: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

fn sandbox() -> Environment<'static> {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(10_000));
    env.set_recursion_limit(8);
    env
}

/// Refuses every block tag but `if`/`elif`/`else`/`endif` (the parser
/// would accept loops, `set`, `include`…: not wanted here).
fn only_conditionals(source: &str) -> Result<(), TemplateError> {
    let mut rest = source;
    let mut offset = 0;
    while let Some(start) = rest.find("{%") {
        let tag = rest[start + 2..]
            .trim_start_matches(['-', '+'])
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(['-', '+', '%', '}']);
        if !matches!(tag, "if" | "elif" | "else" | "endif") {
            let line = source[..offset + start].matches('\n').count() + 1;
            return Err(TemplateError {
                line,
                reason: format!("only {{% if %}} … {{% endif %}} blocks are allowed, not {{% {tag} %}}"),
            });
        }
        offset += start + 2;
        rest = &rest[start + 2..];
    }
    Ok(())
}

/// Renders `source` with `vars`; the error gives the line and the reason.
pub fn render(source: &str, vars: &Value) -> Result<String, TemplateError> {
    only_conditionals(source)?;
    let env = sandbox();
    let fail = |e: minijinja::Error| TemplateError {
        line: e.line().unwrap_or(1),
        reason: match e.detail() {
            Some(d) => format!("{}: {d}", e.kind()),
            None => e.kind().to_string(),
        },
    };
    let template = env.template_from_str(source).map_err(fail)?;
    template.render(minijinja::value::Serde(vars)).map_err(fail)
}

/// `de_org`: the org's name after the French "de" ("d’Atelier"), which the
/// catalogue writes `{de:org}`.
fn with_elision(vars: &mut Map<String, Value>) {
    if let Some(org) = vars.get("org").and_then(Value::as_str) {
        let de = crate::web::i18n::elide_de(org);
        vars.insert("de_org".into(), de.into());
    }
}

/// The variables a kind's templates may use, with sample values.
pub fn sample_vars(kind: &Kind, org_name: &str, recipient: &str) -> Value {
    let mut vars = Map::new();
    vars.insert("org".into(), org_name.into());
    vars.insert("recipient".into(), recipient.into());
    for (k, v) in kind.sample {
        vars.entry(k.to_string()).or_insert_with(|| (*v).into());
    }
    with_elision(&mut vars);
    Value::Object(vars)
}

/// The variables of one real notification: its data, the org and the recipient.
pub fn vars(lang: Lang, data: &Value, org_name: &str, recipient: &str) -> Value {
    let mut vars = data.as_object().cloned().unwrap_or_default();
    // A catalogue reference (a built-in role's name) reads in the mail's language.
    for v in vars.values_mut() {
        if let Some(text) = super::worded(lang, v) {
            *v = text.into();
        }
    }
    vars.entry("org").or_insert_with(|| org_name.into());
    vars.insert("recipient".into(), recipient.into());
    with_elision(&mut vars);
    Value::Object(vars)
}

/// The built-in texts of a kind written as a template (what "reset" brings back).
pub fn default_template(lang: Lang, kind: &Kind) -> MailTemplate {
    let as_template = |text: &str| {
        let mut out = text.to_string();
        for (k, _) in kind.sample {
            out = out.replace(&format!("{{{k}}}"), &format!("{{{{ {k} }}}}"));
            out = out.replace(&format!("{{de:{k}}}"), &format!("{{{{ de_{k} }}}}"));
        }
        out
    };
    let title_key = format!("notifications.kind.{}.title", kind.key);
    let title = lang.t(&title_key);
    MailTemplate {
        subject: if title.contains("{org}") {
            as_template(title)
        } else {
            format!("{} · {{{{ org }}}}", as_template(title))
        },
        body: as_template(lang.t(&format!("notifications.kind.{}.body", kind.key))),
    }
}

/// Checks both parts against the kind's sample data; errors name the field
/// and give the line and the reason (`for_page`: worded to stand beside the
/// field).
pub fn check(kind: &Kind, template: &MailTemplate, org_name: &str, for_page: bool) -> Result<MailTemplate, AppError> {
    let vars = sample_vars(kind, org_name, "Sam Sample");
    let mut errors = vec![];
    let mut rendered = MailTemplate {
        subject: String::new(),
        body: String::new(),
    };
    for (field, source, max, out) in [
        ("subject", &template.subject, MAX_SUBJECT, &mut rendered.subject),
        ("body", &template.body, MAX_BODY, &mut rendered.body),
    ] {
        if source.trim().is_empty() {
            errors.push((field, Message::new("notifications.templates.empty")));
        } else if source.len() > max {
            errors.push((field, Message::new("notifications.templates.too_long").with("max", max)));
        } else {
            match render(source, &vars) {
                Ok(text) => *out = text,
                // Pages say "Line 2: …" beside the field, the API "line 2: …".
                Err(e) => errors.push((
                    field,
                    Message::new(if for_page {
                        "notifications.templates.error_at"
                    } else {
                        "notifications.templates.error_at_api"
                    })
                    .with("line", e.line)
                    .with("reason", &e.reason),
                )),
            }
        }
    }
    if errors.is_empty() {
        Ok(rendered)
    } else {
        Err(AppError::Invalid(
            errors
                .into_iter()
                .map(|(field, message)| crate::error::FieldError {
                    field: field.into(),
                    message,
                })
                .collect(),
        ))
    }
}

/// The org's override of `kind` in `lang`, if any.
pub fn get(conn: &Connection, org_id: &str, kind: &str, lang: Lang) -> Result<Option<MailTemplate>, AppError> {
    Ok(conn
        .query_row(
            "SELECT subject, body FROM notification_templates WHERE org_id = ?1 AND kind = ?2 AND language = ?3",
            (org_id, kind, lang.code()),
            |r| {
                Ok(MailTemplate {
                    subject: r.get(0)?,
                    body: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// The languages in which the org overrode `kind`.
pub fn overridden(conn: &Connection, org_id: &str) -> Result<Vec<(String, String)>, AppError> {
    let mut stmt = conn.prepare_cached("SELECT kind, language FROM notification_templates WHERE org_id = ?1")?;
    let rows = stmt.query_map([org_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Saves (or replaces) an override; check it first with [`check`].
pub fn save(
    tx: &Tx,
    org_id: &str,
    kind: &str,
    lang: Lang,
    template: &MailTemplate,
    user_id: &str,
    now: i64,
) -> Result<(), AppError> {
    tx.execute(
        "INSERT INTO notification_templates (org_id, kind, language, subject, body, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (org_id, kind, language) DO UPDATE SET subject = excluded.subject, body = excluded.body,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        rusqlite::params![org_id, kind, lang.code(), template.subject, template.body, now, user_id],
    )?;
    Ok(())
}

/// Removes an override (back to the built-in texts); false if there was none.
pub fn reset(tx: &Tx, org_id: &str, kind: &str, lang: Lang) -> Result<bool, AppError> {
    Ok(tx.execute(
        "DELETE FROM notification_templates WHERE org_id = ?1 AND kind = ?2 AND language = ?3",
        (org_id, kind, lang.code()),
    )? == 1)
}

/// The kinds whose mail an org may customise (all of them).
pub fn kinds() -> &'static [&'static Kind] {
    KINDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variables_and_conditionals_render() {
        let vars = json!({ "name": "Ana", "vip": true });
        let out = render("Hello {{ name }}{% if vip %}, our star{% else %}{% endif %}!", &vars).unwrap();
        assert_eq!(out, "Hello Ana, our star!");
    }

    #[test]
    fn errors_give_the_line_and_the_reason() {
        let vars = json!({ "name": "Ana" });
        let e = render("Hello\n{{ nme }}", &vars).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("undefined"), "{e}");
        let e = render("one\ntwo\n{% if name %}unclosed", &vars).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = render("ok\n{% for x in name %}{{ x }}{% endfor %}", &vars).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("not {% for %}"), "{e}");
        let e = render("{% include 'x' %}", &vars).unwrap_err();
        assert!(e.reason.contains("include"), "{e}");
        let e = render("{{ name|upper }}", &vars).unwrap_err();
        assert!(e.reason.contains("filter"), "{e}");
    }

    #[test]
    fn the_default_template_renders_like_the_catalogue() {
        for kind in KINDS {
            for lang in Lang::ALL {
                let t = default_template(lang, kind);
                let vars = sample_vars(kind, "Atelier", "Sam");
                let body = render(&t.body, &vars).unwrap_or_else(|e| panic!("{} {e}", kind.key));
                let (title, expected) = super::super::texts(lang, kind.key, &vars);
                assert_eq!(body, expected);
                assert_eq!(
                    render(&t.subject, &vars).unwrap(),
                    super::super::email::subject_line(&title, "Atelier")
                );
            }
        }
    }
}
