//! A browser's user agent as people read it ("Firefox 140 on Linux"), for
//! the sessions list and new-sign-in notices; parsed with woothee.

use std::sync::LazyLock;

static PARSER: LazyLock<woothee::parser::Parser> = LazyLock::new(woothee::parser::Parser::new);

/// "Browser major-version on OS", or the raw agent (shortened) when it is
/// not a browser woothee knows.
pub fn describe(user_agent: &str) -> String {
    let known = PARSER
        .parse(user_agent)
        .filter(|r| r.name != "UNKNOWN" && !r.name.is_empty());
    match known {
        Some(r) => {
            let major = r.version.split('.').next().unwrap_or("");
            let browser = if major.is_empty() || major == "UNKNOWN" {
                r.name.to_string()
            } else {
                format!("{} {major}", r.name)
            };
            if r.os.is_empty() || r.os == "UNKNOWN" {
                browser
            } else {
                format!("{browser} · {}", r.os)
            }
        }
        None => user_agent.chars().take(80).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_read_as_browser_and_system() {
        assert_eq!(
            describe("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
            "Firefox 140 · Linux"
        );
        assert_eq!(
            describe(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
            ),
            "Chrome 131 · Windows 10"
        );
        assert_eq!(
            describe("LaptopBrowser/1.0"),
            "LaptopBrowser/1.0",
            "unknown agents stay as they are"
        );
    }
}
