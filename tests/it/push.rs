//! Web push: a member's browser subscribes, a notification reaches a push
//! endpoint on loopback encrypted for that browser (RFC 8291) and signed
//! with the server's VAPID key (RFC 8292); the test decrypts it with the
//! browser's keys. A push service that says the subscription is gone gets
//! it removed.

use crate::helpers::{Spawn, TestApp, csrf_token};
use crate::http_sink::{Hit, HttpSink};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use luneo::notifications::push::vapid::Vapid;
use p256::ecdsa::signature::Verifier;
use serde_json::{Value, json};

/// A browser's side of a subscription: its key pair and auth secret.
struct Browser {
    secret: p256::SecretKey,
    public: String,
    auth: String,
}

impl Browser {
    fn new() -> Browser {
        let (private, public) = Vapid::generate();
        Browser {
            secret: p256::SecretKey::from_slice(&B64.decode(private).unwrap()).unwrap(),
            public,
            auth: luneo::db::ids::random_token(16),
        }
    }

    fn subscription(&self, endpoint: &str) -> Value {
        json!({ "endpoint": endpoint, "expirationTime": null, "keys": { "p256dh": self.public, "auth": self.auth } })
    }

    /// Decrypts what the push service received, as the browser would.
    fn open(&self, hit: &Hit) -> Value {
        let auth = web_push_native::Auth::clone_from_slice(&B64.decode(&self.auth).unwrap());
        let plain =
            web_push_native::decrypt(hit.body.clone(), &self.secret, &auth).expect("the browser can decrypt it");
        serde_json::from_slice(&plain).unwrap()
    }
}

struct Shop {
    app: TestApp,
    sink: HttpSink,
    vapid_public: String,
    max_id: String,
}

async fn shop_with_push() -> Shop {
    let sink = HttpSink::start().await;
    let (private, public) = Vapid::generate();
    let app = TestApp::spawn_with(Spawn {
        pairs: vec![
            ("vapid_private_key".into(), private),
            ("vapid_public_key".into(), public.clone()),
            ("vapid_subject".into(), "mailto:ops@shop.test".into()),
            ("push_insecure_endpoints".into(), "true".into()),
        ],
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;
    Shop {
        app,
        sink,
        vapid_public: public,
        max_id,
    }
}

/// A signed-in client and the CSRF token its API writes carry.
async fn session(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = app.signed_in(email).await;
    let page = app.page_as(&client, "/dashboard/settings/notifications").await;
    (client, csrf_token(&page))
}

fn verify_vapid(authorization: &str, expected_key: &str, audience: &str) -> Value {
    let (token, key) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("Authorization: vapid t=…, k=…");
    assert_eq!(key, expected_key, "k is the server's VAPID public key");
    let (input, signature) = token.rsplit_once('.').unwrap();
    let verifying = p256::ecdsa::VerifyingKey::from_sec1_bytes(&B64.decode(key).unwrap()).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&B64.decode(signature).unwrap()).unwrap();
    verifying
        .verify(input.as_bytes(), &signature)
        .expect("the JWT is signed with the VAPID key");
    let (header, claims) = input.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&B64.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims: Value = serde_json::from_slice(&B64.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], audience);
    claims
}

#[tokio::test]
async fn a_notification_reaches_the_browser_encrypted_for_it_and_signed_with_vapid() {
    let shop = shop_with_push().await;
    let (app, sink) = (&shop.app, &shop.sink);
    let (max, csrf) = session(app, "m@shop.test").await;

    // The browser learns the server key, then registers its subscription.
    let key: Value = app.json_as(&max, "/api/v1/push/vapid-public-key").await;
    assert_eq!(key["public_key"], shop.vapid_public.as_str());
    let browser = Browser::new();
    let endpoint = sink.url("/push/max-laptop");
    let bad = max
        .post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "endpoint": endpoint, "keys": { "p256dh": "not-a-key", "auth": browser.auth } }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "keys.p256dh", "{problem}");
    let res = max
        .post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &csrf)
        .json(&browser.subscription(&endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mine: Value = app.json_as(&max, "/api/v1/push/subscriptions").await;
    assert_eq!(
        mine["data"].as_array().unwrap().len(),
        1,
        "only the good subscription was kept"
    );

    app.change_role(&shop.max_id, "admin").await;
    assert!(
        app.eventually(|| sink.hits().len() == 1).await,
        "the push service got the message"
    );
    let hit = &sink.hits()[0];
    assert_eq!(hit.path, "/push/max-laptop");
    assert_eq!(hit.headers["content-encoding"], "aes128gcm");
    assert_eq!(hit.headers["content-type"], "application/octet-stream");
    assert_eq!(hit.headers["ttl"], "86400");
    let claims = verify_vapid(&hit.headers["authorization"], &shop.vapid_public, &sink.base);
    assert_eq!(claims["sub"], "mailto:ops@shop.test");
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > crate::helpers::T0 && exp <= crate::helpers::T0 + 24 * 3600);
    assert!(
        !String::from_utf8_lossy(&hit.body).contains("Atelier"),
        "the payload travels encrypted"
    );
    let message = browser.open(hit);
    assert_eq!(message["title"], "Your role in Atelier changed");
    assert_eq!(message["body"], "Your role in Atelier is now: Admin.");
    assert!(
        message["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:8000/dashboard"),
        "{message}"
    );

    // Org admins see the push delivery in the history.
    assert!(
        app.eventually(|| {
            let db = app.db.clone();
            db.read_blocking(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM outbox WHERE kind = 'push' AND status = 'sent'",
                    [],
                    |r| r.get::<_, i64>(0),
                )?)
            })
            .unwrap()
                == 1
        })
        .await
    );
    let (_, history) = app.page("/dashboard/notifications/history").await;
    assert!(history.contains("Browser push"));
    assert!(history.contains("badge-sent"), "the push delivery shows as sent");
}

#[tokio::test]
async fn a_subscription_the_push_service_says_is_gone_is_removed() {
    let shop = shop_with_push().await;
    let (app, sink) = (&shop.app, &shop.sink);
    let (max, csrf) = session(app, "m@shop.test").await;
    let browser = Browser::new();
    sink.answer("/push/old-phone", 410);
    let res = max
        .post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &csrf)
        .json(&browser.subscription(&sink.url("/push/old-phone")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    app.change_role(&shop.max_id, "viewer").await;
    assert!(app.eventually(|| sink.hits().len() == 1).await);
    let db = app.db.clone();
    let gone = || {
        db.read_blocking(|c| Ok(c.query_row("SELECT count(*) FROM push_subscriptions", [], |r| r.get::<_, i64>(0))?))
            .unwrap()
            == 0
    };
    assert!(app.eventually(gone).await, "the subscription is deleted");
    app.settle_outbox().await;
    let (status, error): (String, String) = app
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT status, last_error FROM outbox WHERE kind = 'push'", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            )
        })
        .await
        .unwrap();
    assert_eq!(status, "dead", "no retry to a gone subscription");
    assert!(error.contains("410"), "{error}");
    // The next notification does not try that browser again.
    app.change_role(&shop.max_id, "member").await;
    app.settle_outbox().await;
    assert_eq!(sink.hits().len(), 1);
}

#[tokio::test]
async fn with_push_turned_off_for_a_category_nothing_is_pushed_but_the_inbox_still_gets_it() {
    let shop = shop_with_push().await;
    let (app, sink) = (&shop.app, &shop.sink);
    let (max, csrf) = session(app, "m@shop.test").await;
    let browser = Browser::new();
    max.post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &csrf)
        .json(&browser.subscription(&sink.url("/push/max")))
        .send()
        .await
        .unwrap();
    let prefs: Value = max
        .put(app.url("/api/v1/notifications/preferences"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "categories": { "team": { "push": false } } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        prefs["categories"]["team"],
        json!({ "in_app": true, "email": true, "push": false })
    );

    app.change_role(&shop.max_id, "admin").await;
    let list: Value = app.json_as(&max, "/api/v1/notifications").await;
    assert_eq!(list["data"][0]["kind"], "team.role_changed", "still in the inbox");
    let pushes: i64 = app
        .db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM outbox WHERE kind = 'push'", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(pushes, 0);
    assert!(sink.hits().is_empty());
}

#[tokio::test]
async fn without_vapid_keys_web_push_is_off_and_says_so() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app.get("/api/v1/push/vapid-public-key").await;
    assert_eq!(res.status(), 404);
    let (_, page) = app.page("/dashboard/settings/notifications").await;
    assert!(page.contains("Browser notifications are not set up on this server"));
    let csrf = csrf_token(&page);
    let browser = Browser::new();
    let res = app
        .client
        .post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &csrf)
        .json(&browser.subscription("https://push.example.net/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("LUNEO_VAPID_PRIVATE_KEY"));
}

#[tokio::test]
async fn vapid_generate_prints_keys_the_server_accepts() {
    let app = TestApp::spawn().await;
    let (code, out, err) = app.cli(&["vapid", "generate"], &[]);
    assert_eq!(code, 0, "{err}");
    let value = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {out}"))
            .to_string()
    };
    let (private, public) = (value("LUNEO_VAPID_PRIVATE_KEY"), value("LUNEO_VAPID_PUBLIC_KEY"));
    let config = luneo::Config::from_pairs(&[("vapid_private_key", &private), ("vapid_public_key", &public)]).unwrap();
    assert_eq!(config.vapid.unwrap().public_key, public);
    let (_, other) = Vapid::generate();
    let err = luneo::Config::from_pairs(&[("vapid_private_key", &private), ("vapid_public_key", &other)]).unwrap_err();
    assert!(err.to_string().contains("LUNEO_VAPID_PUBLIC_KEY"), "{err}");
}

#[tokio::test]
async fn one_person_cannot_subscribe_endless_browsers_but_may_renew_one() {
    let shop = shop_with_push().await;
    let (app, sink) = (&shop.app, &shop.sink);
    let (max, csrf) = session(app, "m@shop.test").await;
    let subscribe = |endpoint: String| {
        let (max, csrf) = (max.clone(), csrf.clone());
        let url = app.url("/api/v1/push/subscriptions");
        async move {
            max.post(url)
                .header("X-CSRF-Token", csrf)
                .json(&Browser::new().subscription(&endpoint))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..luneo::notifications::push::MAX_PER_PERSON {
        assert_eq!(subscribe(sink.url(&format!("/push/b{i}"))).await, 201);
    }
    assert_eq!(subscribe(sink.url("/push/one-too-many")).await, 422);
    assert_eq!(
        subscribe(sink.url("/push/b3")).await,
        201,
        "a browser renewing its keys is fine"
    );
    let res = max
        .delete(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "endpoint": sink.url("/push/b3") }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(subscribe(sink.url("/push/one-too-many")).await, 201);
}

#[tokio::test]
async fn a_browser_registered_by_someone_else_is_a_409_never_taken_over() {
    let shop = shop_with_push().await;
    let (app, sink) = (&shop.app, &shop.sink);
    let victim = Browser::new();
    let endpoint = sink.url("/push/max-phone");
    let (max, max_csrf) = session(app, "m@shop.test").await;
    let res = max
        .post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &max_csrf)
        .json(&victim.subscription(&endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // The owner learns Max's endpoint and registers it with keys of their own.
    let attacker = Browser::new();
    let (owner, owner_csrf) = session(app, "owner@shop.test").await;
    let res = owner
        .post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &owner_csrf)
        .json(&attacker.subscription(&endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("another account"),
        "{problem}"
    );
    let (holder, p256dh): (String, String) = app
        .db
        .read(move |c| {
            Ok(c.query_row(
                "SELECT user_id, p256dh FROM push_subscriptions WHERE endpoint = ?1",
                [&endpoint],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(holder, shop.max_id, "the subscription is still Max's");
    assert_eq!(p256dh, victim.public.trim_end_matches('='), "with Max's keys");
    let theirs: Value = app.json_as(&owner, "/api/v1/push/subscriptions").await;
    assert_eq!(theirs["data"].as_array().unwrap().len(), 0);

    // Max's browser still gets Max's notifications, encrypted for Max's keys.
    app.change_role(&shop.max_id, "viewer").await;
    assert!(app.eventually(|| sink.hits().len() == 1).await);
    let message = victim.open(&sink.hits()[0]);
    assert!(message.to_string().contains("role"), "{message}");
}

#[tokio::test]
async fn a_missing_nested_key_is_named_by_its_whole_path() {
    let shop = shop_with_push().await;
    let (app, sink) = (&shop.app, &shop.sink);
    let (max, csrf) = session(app, "m@shop.test").await;
    let res = max
        .post(app.url("/api/v1/push/subscriptions"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "endpoint": sink.url("/push/x"), "keys": { "auth": "abc" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "keys.p256dh", "{problem}");
}
