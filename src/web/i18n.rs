//! Message catalogues (`locales/en.toml`, `locales/fr.toml`, embedded) and the
//! choice of language: the person's choice (cookie, later their account),
//! else `Accept-Language`, else English.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

/// Name of the cookie that keeps a visitor's chosen language.
pub const LANG_COOKIE: &str = "luneo_lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The language's own name, as shown in a language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    /// Picks the language from an explicit choice, then `Accept-Language`.
    pub fn negotiate(choice: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = choice.and_then(Lang::parse) {
            return lang;
        }
        accept_language
            .and_then(|h| {
                // Ordered by quality; "fr-CA" counts as "fr".
                accept_language::parse(h)
                    .iter()
                    .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or_default()))
            })
            .unwrap_or_default()
    }

    /// The message for `key`; falls back to English, then to the key itself.
    pub fn t(self, key: &str) -> &str {
        let lookup = |lang: Lang| CATALOGUES.get(&lang).and_then(|c| c.get(key)).map(|s| s.as_str());
        lookup(self).or_else(|| lookup(Lang::En)).unwrap_or_else(|| {
            tracing::warn!(key, "missing message");
            key
        })
    }

    /// Whether the catalogue has `key` (in English, so in every language).
    pub fn has(self, key: &str) -> bool {
        CATALOGUES.get(&Lang::En).is_some_and(|c| c.contains_key(key))
    }

    /// A [`crate::error::Message`] worded in this language.
    pub fn msg(self, message: &crate::error::Message) -> String {
        let args: Vec<(&str, &str)> = message.args.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        self.tf(&message.key, &args)
    }

    /// [`Lang::t`] with `{name}` placeholders replaced by `args`.
    /// The text of `key` with its `{name}` placeholders filled. `{de:name}`
    /// writes the French preposition with its elision: "de Luneo" but
    /// "d’Atelier Lune".
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.t(key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
            let de = format!("{{de:{name}}}");
            if out.contains(&de) {
                out = out.replace(&de, &elide_de(value));
            }
        }
        out
    }
}

/// "de X", or "d’X" before a vowel or a mute h.
pub fn elide_de(value: &str) -> String {
    let first = value.chars().next().map(|c| c.to_lowercase().next().unwrap_or(c));
    match first {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'h' | 'à' | 'â' | 'é' | 'è' | 'ê' | 'î' | 'ô' | 'û') => {
            format!("d’{value}")
        }
        _ => format!("de {value}"),
    }
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut HashMap<String, String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => panic!("catalogue entry {prefix} must be a string, found {other}"),
    }
}

fn load(source: &str) -> HashMap<String, String> {
    let value: toml::Value = toml::from_str(source).expect("catalogue is valid TOML");
    let mut out = HashMap::new();
    flatten("", &value, &mut out);
    out
}

static CATALOGUES: LazyLock<HashMap<Lang, HashMap<String, String>>> = LazyLock::new(|| {
    HashMap::from([
        (Lang::En, load(include_str!("../../locales/en.toml"))),
        (Lang::Fr, load(include_str!("../../locales/fr.toml"))),
    ])
});

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn french_elides_de_before_a_vowel() {
        let key = "notifications.kind.team.invitation_accepted.body";
        let args = |org| [("name", "Léa"), ("email", "l@x.test"), ("org", org)];
        assert!(
            Lang::Fr
                .tf(key, &args("Atelier Lune"))
                .ends_with("partie d’Atelier Lune.")
        );
        assert!(Lang::Fr.tf(key, &args("Luneo")).ends_with("partie de Luneo."));
        assert!(Lang::En.tf(key, &args("Atelier Lune")).contains("Atelier Lune"));
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let en = &CATALOGUES[&Lang::En];
        let fr = &CATALOGUES[&Lang::Fr];
        let missing_fr: Vec<_> = en.keys().filter(|k| !fr.contains_key(*k)).collect();
        let missing_en: Vec<_> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing_fr.is_empty(), "missing in fr: {missing_fr:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
    }

    /// The files with one of `exts` below the crate's folders `dirs`.
    pub(crate) fn files_under(dirs: &[&str], exts: &[&str]) -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut todo: Vec<_> = dirs.iter().map(|d| root.join(d)).collect();
        let mut files = vec![];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|e| exts.iter().any(|x| e == *x)) {
                    files.push(path);
                }
            }
        }
        files
    }

    /// Every catalogue key the code or a template names, at the places that
    /// name one: `t("…")`, `tf("…"`, `Message::new("…")`, the error
    /// constructors, form errors and checks, the escalation rules.
    fn keys_used() -> Vec<(String, String)> {
        let patterns = [
            r#"\.tf?\(\s*"([a-z_]+(?:\.[a-z0-9_]+)+)""#,
            r#"Message::new\(\s*"([a-z_]+(?:\.[a-z0-9_]+)+)""#,
            r#"(?:invalid|error_on)\(\s*[^,()]+,\s*"([a-z_]+(?:\.[a-z0-9_]+)+)""#,
            r#"(?:forbidden|conflict|bad_request|Forbidden|Conflict|BadRequest)\(\s*"([a-z_]+(?:\.[a-z0-9_]+)+)""#,
            r#"refuse(?:_perm)?\(\s*"([a-z_]+(?:\.[a-z0-9_]+)+)""#,
            r#"\.check\([^;]*?,\s*"[a-z_]+",\s*"([a-z_]+(?:\.[a-z0-9_]+)+)""#,
        ]
        .map(|p| regex::Regex::new(p).unwrap());
        let mut used = vec![];
        for file in files_under(&["src", "templates"], &["rs", "html", "txt"]) {
            let text = std::fs::read_to_string(&file).unwrap();
            for re in &patterns {
                for c in re.captures_iter(&text) {
                    used.push((c[1].to_string(), file.display().to_string()));
                }
            }
        }
        used
    }

    #[test]
    fn errors_are_never_worded_in_the_code() {
        let re = regex::Regex::new(
            r#"(?:invalid|error_on)\(\s*[^,()]+,\s*"([^"]*)"|(?:forbidden|conflict|bad_request|Forbidden|Conflict|BadRequest)\(\s*"([^"]*)""#,
        )
        .unwrap();
        let key = regex::Regex::new(r"^[a-z_]+(\.[a-z0-9_]+)+$").unwrap();
        let mut worded = vec![];
        for path in files_under(&["src"], &["rs"]) {
            let text = std::fs::read_to_string(&path).unwrap();
            for c in re.captures_iter(&text) {
                let literal = c.get(1).or(c.get(2)).unwrap().as_str();
                if !key.is_match(literal) && !path.ends_with("i18n.rs") {
                    worded.push(format!("{}: {literal}", path.display()));
                }
            }
        }
        assert!(worded.is_empty(), "messages must be catalogue keys: {worded:#?}");
    }

    #[test]
    fn every_key_the_code_and_templates_use_is_in_both_catalogues() {
        let used = keys_used();
        assert!(used.len() > 300, "the scan finds the keys ({} found)", used.len());
        for lang in Lang::ALL {
            let missing: Vec<_> = used
                .iter()
                .filter(|(k, _)| !CATALOGUES[&lang].contains_key(k))
                .collect();
            assert!(missing.is_empty(), "missing in {}: {missing:?}", lang.code());
        }
    }

    #[test]
    fn choice_beats_accept_language_which_beats_english() {
        assert_eq!(Lang::negotiate(Some("fr"), Some("en-GB")), Lang::Fr);
        assert_eq!(Lang::negotiate(None, Some("de-DE, fr-CA;q=0.8, en;q=0.5")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("xx"), Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }

    #[test]
    fn placeholders_are_filled() {
        assert!(
            Lang::En
                .tf("mail.test.body", &[("base_url", "http://x")])
                .contains("http://x")
        );
    }
}
