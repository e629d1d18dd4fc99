//! An audit row told as a sentence in the reader's language: "Olivia Owner
//! invited lea@shop.test as Member". Each action has a phrase under
//! `audit.say."<action>"` whose `{placeholders}` are `actor`, `target` and
//! the fields of the row's metadata; values that are catalogue things
//! (role keys, languages, categories, refusal rules, yes/no) are worded
//! too. An action without a phrase is shown by its code.

use super::AuditEntry;
use crate::web::i18n::Lang;
use rusqlite::Connection;
use std::collections::HashMap;

/// The names of the people a page of rows mentions, by user id.
#[derive(Default)]
pub struct People(HashMap<String, String>);

impl People {
    /// Looks up every person `rows` name as actor or target.
    pub fn of(conn: &Connection, rows: &[AuditEntry]) -> Result<People, crate::error::AppError> {
        let mut ids: Vec<&str> = rows
            .iter()
            .flat_map(|r| {
                let actor = (r.actor_type == "user").then_some(r.actor_id.as_deref()).flatten();
                let target = (r.target_type.as_deref() == Some("user"))
                    .then_some(r.target_id.as_deref())
                    .flatten();
                [actor, target]
            })
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut stmt = conn.prepare_cached("SELECT name FROM users WHERE id = ?1")?;
        let mut names = HashMap::new();
        for id in ids {
            if let Some(name) = rusqlite::OptionalExtension::optional(stmt.query_row([id], |r| r.get::<_, String>(0)))?
            {
                names.insert(id.to_string(), name);
            }
        }
        Ok(People(names))
    }

    fn name(&self, id: Option<&str>) -> Option<&str> {
        id.and_then(|id| self.0.get(id)).map(String::as_str)
    }
}

/// Who did it, in words.
pub fn actor(lang: Lang, row: &AuditEntry, people: &People) -> String {
    match row.actor_type.as_str() {
        "system" => lang.t("audit.system").to_string(),
        "user" => people
            .name(row.actor_id.as_deref())
            .unwrap_or(&row.actor_label)
            .to_string(),
        _ => lang.tf("audit.by_token", &[("name", &row.actor_label)]),
    }
}

/// What it was done to, in words.
fn target(lang: Lang, row: &AuditEntry, people: &People) -> String {
    let id = row.target_id.as_deref();
    match row.target_type.as_deref() {
        Some("user") => people
            .name(id)
            .map(str::to_string)
            .unwrap_or_else(|| lang.t("audit.someone").to_string()),
        Some("notification_kind") => {
            let key = format!("notifications.kind.{}.name", id.unwrap_or_default());
            if lang.has(&key) {
                lang.t(&key)
            } else {
                id.unwrap_or_default()
            }
            .to_string()
        }
        _ => id.unwrap_or_default().to_string(),
    }
}

/// One metadata value in words, knowing which field it fills.
fn value(lang: Lang, field: &str, v: &serde_json::Value, meta: &serde_json::Value) -> String {
    use serde_json::Value;
    let word = |key: String, fallback: &str| {
        if lang.has(&key) {
            lang.t(&key).to_string()
        } else {
            fallback.to_string()
        }
    };
    match v {
        Value::String(s) if s.is_empty() => lang.t("audit.none").to_string(),
        Value::String(s) => match field {
            "role" | "from_role" | "to_role" => word(format!("team.role.{s}"), s),
            "language" | "default_language" => Lang::parse(s).map_or(s.clone(), |l| l.native_name().to_string()),
            "category" => word(format!("notifications.categories.{s}"), s),
            "rule" => {
                let permission = meta.get("permission").and_then(Value::as_str).unwrap_or_default();
                lang.tf(s, &[("permission", permission)])
            }
            _ => s.clone(),
        },
        Value::Bool(true) => lang.t("audit.yes").to_string(),
        Value::Bool(false) => lang.t("audit.no").to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| value(lang, field, i, meta))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => lang.t("audit.none").to_string(),
        Value::Object(_) => v.to_string(),
    }
}

/// The row as a sentence.
pub fn sentence(lang: Lang, row: &AuditEntry, people: &People) -> String {
    let who = actor(lang, row, people);
    let key = format!("audit.say.{}", row.action);
    if !lang.has(&key) {
        return lang.tf("audit.say_other", &[("actor", &who), ("action", &row.action)]);
    }
    let mut args: Vec<(String, String)> = vec![("actor".into(), who), ("target".into(), target(lang, row, people))];
    if let Some(fields) = row.metadata.as_object() {
        for (field, v) in fields {
            // Role changes name the roles `from` and `to`.
            let as_field = match (row.action.starts_with("member.role"), field.as_str()) {
                (true, "from") => "from_role",
                (true, "to") => "to_role",
                _ => field,
            };
            args.push((field.clone(), value(lang, as_field, v, &row.metadata)));
        }
    }
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    lang.tf(&key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(action: &str, target: Option<(&str, &str)>, metadata: serde_json::Value) -> AuditEntry {
        AuditEntry {
            id: "aud_1".into(),
            occurred_at: 0,
            actor_type: "user".into(),
            actor_id: Some("usr_olivia".into()),
            actor_label: "owner@shop.test".into(),
            action: action.into(),
            target_type: target.map(|t| t.0.into()),
            target_id: target.map(|t| t.1.into()),
            ip: None,
            user_agent: None,
            metadata,
        }
    }

    fn people() -> People {
        People(HashMap::from([
            ("usr_olivia".to_string(), "Olivia Owner".to_string()),
            ("usr_lea".to_string(), "Léa".to_string()),
        ]))
    }

    #[test]
    fn rows_read_as_sentences_with_people_and_roles_named() {
        let r = row(
            "member.role_changed",
            Some(("user", "usr_lea")),
            serde_json::json!({ "from": "member", "to": "admin" }),
        );
        assert_eq!(
            sentence(Lang::En, &r, &people()),
            "Olivia Owner changed the role of Léa from Member to Admin"
        );
        assert_eq!(
            sentence(Lang::Fr, &r, &people()),
            "Olivia Owner a changé le rôle de Léa : Membre → Administrateur"
        );
        let r = row(
            "member.invited",
            Some(("invitation", "inv_1")),
            serde_json::json!({ "email": "lea@shop.test", "role": "viewer" }),
        );
        assert_eq!(
            sentence(Lang::En, &r, &people()),
            "Olivia Owner invited lea@shop.test as Viewer"
        );
    }

    #[test]
    fn an_action_without_a_phrase_is_shown_by_its_code() {
        let r = row("thing.happened", None, serde_json::json!({}));
        assert_eq!(sentence(Lang::En, &r, &people()), "Olivia Owner: thing.happened");
    }

    #[test]
    fn every_action_the_code_records_has_a_phrase() {
        let re =
            regex::Regex::new(r#"(?:\brecord(?:_in)?\(\s*tx,\s*(?:[^,"()]+,\s*)?|guarded\([^"]*)"([a-z_]+\.[a-z_]+)""#)
                .unwrap();
        let mut found = 0;
        for file in crate::web::i18n::tests::files_under(&["src"], &["rs"]) {
            let text = std::fs::read_to_string(&file).unwrap();
            for c in re.captures_iter(&text) {
                found += 1;
                let key = format!("audit.say.{}", &c[1]);
                assert!(Lang::En.has(&key), "{key} (recorded in {})", file.display());
            }
        }
        assert!(found > 40, "the scan finds the actions ({found})");
    }
}
