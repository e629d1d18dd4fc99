//! A headless Chromium session per test: chromedriver in its own process
//! group (killed with it, so no browser is orphaned), a fresh profile in a
//! temporary directory, and helpers to find things as a person would.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

impl Browser {
    pub async fn start() -> Browser {
        crate::helpers::install_crypto();
        let profile = tempfile::tempdir().unwrap();
        let port = crate::helpers::free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .env("TMPDIR", profile.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver is installed (scripts/test installs chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--no-first-run".into(),
            "--lang=en-US".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().join("chrome").display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        // A page that cannot load fails the test in seconds, not minutes.
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(15)),
                Some(Duration::ZERO),
            ))
            .await
            .expect("timeouts");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// The form control labelled `label` (by `label[for]` or a wrapping label).
    pub async fn field(&self, label: &str) -> Element {
        let xpath = format!(
            "//*[@id=//label[normalize-space(.)={label:?}]/@for] | //label[normalize-space(.)={label:?}]//*[self::input or self::select or self::textarea]"
        );
        self.client.wait().for_element(Locator::XPath(&xpath)).await.unwrap()
    }

    /// Waits for an element with exactly this role-ish tag and text (h1, a, button…).
    pub async fn find_text(&self, tag: &str, text: &str) -> Element {
        let xpath = format!("//{tag}[normalize-space(.)={text:?}]");
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap()
    }

    /// Types `value` into the field labelled `label`.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        self.find_text("button", text).await.click().await.unwrap();
    }

    /// Clicks the link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        self.find_text("a", text).await.click().await.unwrap();
    }

    /// Whether an element with this tag and text is on the page now.
    pub async fn has_text(&self, tag: &str, text: &str) -> bool {
        let xpath = format!("//{tag}[normalize-space(.)={text:?}]");
        !self.client.find_all(Locator::XPath(&xpath)).await.unwrap().is_empty()
    }

    /// Presses a key on whatever has the focus.
    pub async fn press(&self, key: Key) {
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key.into() })
            .then(KeyAction::Up { value: key.into() });
        self.client.perform_actions(keys).await.unwrap();
    }

    /// The visible text of the focused element.
    pub async fn focused_text(&self) -> String {
        self.client.active_element().await.unwrap().text().await.unwrap()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
