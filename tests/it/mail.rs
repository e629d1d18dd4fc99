//! Mail through the outbox: a real SMTP server on loopback receives what
//! the worker sends, once, after outages; dead rows are replayable.

use crate::helpers::{SmtpServer, Spawn, TestApp, free_port, smtp_url_on};
use luneo::db::time::Clock;
use luneo::jobs::outbox;
use luneo::web::i18n::Lang;

async fn queue_test_mail(app: &TestApp, to: &str, lang: Lang) -> String {
    let mail = luneo::mail::test_mail(to, lang, "http://shop.test").unwrap();
    app.db
        .write(move |tx| luneo::mail::queue(tx, None, &mail))
        .await
        .unwrap()
}

async fn row(app: &TestApp, id: &str) -> outbox::OutboxRow {
    let id = id.to_string();
    app.db.read(move |c| outbox::get(c, &id)).await.unwrap().unwrap()
}

#[tokio::test]
async fn with_smtp_down_at_first_the_mail_arrives_once_it_is_up_exactly_once() {
    let port = free_port();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp_url_on(port)),
        ..Spawn::default()
    })
    .await;
    let id = queue_test_mail(&app, "owner@shop.test", Lang::En).await;

    // The first attempt fails: nothing listens on the port.
    let mut failed = false;
    for _ in 0..200 {
        let r = row(&app, &id).await;
        if r.attempts >= 1 {
            assert_eq!(r.status, "pending");
            assert!(r.last_error.is_some());
            assert!(r.next_attempt_at - app.clock.now() <= 10, "first retry within 10 s");
            failed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(failed, "the worker tried while SMTP was down");

    let smtp = SmtpServer::start_on(port);
    app.clock.advance(10);
    app.outbox.wake();
    assert!(
        app.eventually(|| !smtp.received().is_empty()).await,
        "the mail arrived once SMTP was up"
    );
    // Give the worker more passes and time: it must not send again.
    for _ in 0..3 {
        app.clock.advance(3_600);
        app.outbox.wake();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let received = smtp.received();
    assert_eq!(received.len(), 1, "exactly once");
    assert_eq!(received[0].to, ["owner@shop.test"]);
    assert_eq!(received[0].subject(), "Luneo test mail");
    let r = row(&app, &id).await;
    assert_eq!(r.status, "sent");
    assert_eq!(r.attempts, 2);
    let attempts = {
        let id = id.clone();
        app.db.read(move |c| outbox::attempts(c, &id)).await.unwrap()
    };
    assert_eq!(
        attempts.iter().map(|a| a.1.as_str()).collect::<Vec<_>>(),
        ["failed", "sent"]
    );
}

#[tokio::test]
async fn mail_is_multipart_text_and_html_in_the_recipients_language() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    queue_test_mail(&app, "client@shop.test", Lang::Fr).await;
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let mail = &smtp.received()[0];
    assert_eq!(mail.subject(), "Courriel de test Luneo");
    assert_eq!(mail.parsed().ctype.mimetype, "multipart/alternative");
    let text = mail.part("text/plain").unwrap();
    let html = mail.part("text/html").unwrap();
    assert!(text.contains("Bonjour,") && text.contains("http://shop.test"), "{text}");
    assert!(
        html.contains("<html lang=\"fr\">") && html.contains("fonctionnent"),
        "{html}"
    );
    assert!(mail.from.contains("luneo@localhost"));
}

#[tokio::test]
async fn a_row_that_keeps_failing_goes_dead_and_can_be_replayed() {
    let port = free_port();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp_url_on(port)),
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    let id = queue_test_mail(&app, "owner@shop.test", Lang::En).await;
    // Retried for three days, at most an hour apart: a weekend outage loses nothing.
    for hour in 0..72 {
        app.outbox.deliver_due().await.unwrap();
        assert_eq!(row(&app, &id).await.status, "pending", "still retried after {hour} h");
        app.clock.advance(3_600);
    }
    app.outbox.deliver_due().await.unwrap();
    let r = row(&app, &id).await;
    assert_eq!(r.status, "dead", "dead after 72 h");
    let tries = r.attempts;
    assert!(
        (70..=80).contains(&tries),
        "about one try an hour once backed off: {tries}"
    );
    app.clock.advance(3_600);
    app.outbox.deliver_due().await.unwrap();
    assert_eq!(row(&app, &id).await.attempts, tries, "a dead row is not tried again");

    let smtp = SmtpServer::start_on(port);
    let key = id.clone();
    assert!(app.db.write(move |tx| outbox::replay(tx, &key)).await.unwrap());
    assert_eq!(app.outbox.deliver_due().await.unwrap(), 1);
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(row(&app, &id).await.status, "sent");
}

#[tokio::test]
async fn without_smtp_mail_is_written_as_eml_files() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    let id = queue_test_mail(&app, "owner@shop.test", Lang::En).await;
    assert_eq!(app.outbox.deliver_due().await.unwrap(), 1);
    let dir = app.data_dir.path().join("mail");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read(&files[0]).unwrap();
    let parsed = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    assert_eq!(row(&app, &id).await.status, "sent");
}

#[tokio::test]
async fn a_change_rolled_back_leaves_no_mail_behind() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    let mail = luneo::mail::test_mail("owner@shop.test", Lang::En, "http://shop.test").unwrap();
    let result = app
        .db
        .write(move |tx| {
            luneo::mail::queue(tx, None, &mail)?;
            Err::<(), _>(luneo::error::AppError::invalid("name", "taken"))
        })
        .await;
    assert!(result.is_err());
    let pending = app.db.read(outbox::pending_count).await.unwrap();
    assert_eq!(pending, 0);
}
