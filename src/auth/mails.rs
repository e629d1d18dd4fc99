//! The mails of accounts: address verification, and the notice sent when
//! someone registers with an address that already has an account.

use crate::error::AppError;
use crate::mail::{Action, OutgoingMail, action_mail};
use crate::web::i18n::Lang;

fn link(base_url: &reqwest::Url, path: &str) -> String {
    format!("{}{}", base_url.as_str().trim_end_matches('/'), path)
}

pub fn verification(
    to: &str,
    name: &str,
    lang: Lang,
    base_url: &reqwest::Url,
    token: &str,
) -> Result<OutgoingMail, AppError> {
    action_mail(
        to,
        lang,
        Action {
            subject: lang.t("mail.verify.subject").into(),
            greeting: lang.tf("mail.greeting", &[("name", name)]),
            body: lang.t("mail.verify.body").into(),
            action_label: lang.t("mail.verify.action"),
            action_url: link(base_url, &format!("/verify-email/{token}")),
            note: lang.t("mail.verify.note").into(),
        },
    )
}

pub fn already_registered(to: &str, name: &str, lang: Lang, base_url: &reqwest::Url) -> Result<OutgoingMail, AppError> {
    action_mail(
        to,
        lang,
        Action {
            subject: lang.t("mail.exists.subject").into(),
            greeting: lang.tf("mail.greeting", &[("name", name)]),
            body: lang.t("mail.exists.body").into(),
            action_label: lang.t("mail.exists.action"),
            action_url: link(base_url, "/login"),
            note: lang.t("mail.exists.note").into(),
        },
    )
}

pub fn password_reset(
    to: &str,
    name: &str,
    lang: Lang,
    base_url: &reqwest::Url,
    token: &str,
) -> Result<OutgoingMail, AppError> {
    action_mail(
        to,
        lang,
        Action {
            subject: lang.t("mail.reset.subject").into(),
            greeting: lang.tf("mail.greeting", &[("name", name)]),
            body: lang.t("mail.reset.body").into(),
            action_label: lang.t("mail.reset.action"),
            action_url: link(base_url, &format!("/password/reset/{token}")),
            note: lang.t("mail.reset.note").into(),
        },
    )
}
