//! The mails of the team: invitations.

use super::Org;
use crate::error::AppError;
use crate::mail::{Action, OutgoingMail, action_mail};
use crate::web::i18n::Lang;

/// "Join ORG on Luneo": sent in the org's default language (the invitee has no account yet).
pub fn invitation(
    to: &str,
    org: &Org,
    inviter: &str,
    role: &str,
    base_url: &reqwest::Url,
    token: &str,
) -> Result<OutgoingMail, AppError> {
    let lang = Lang::parse(&org.default_language).unwrap_or_default();
    let role_key = format!("team.role.{role}");
    let role_name = lang.t(&role_key);
    action_mail(
        to,
        lang,
        Action {
            subject: lang.tf("mail.invite.subject", &[("org", &org.name)]),
            greeting: lang.t("mail.hello").into(),
            body: lang.tf(
                "mail.invite.body",
                &[("inviter", inviter), ("org", &org.name), ("role", role_name)],
            ),
            action_label: lang.t("mail.invite.action"),
            action_url: format!("{}/invitations/{token}", base_url.as_str().trim_end_matches('/')),
            note: lang.t("mail.invite.note").into(),
        },
    )
}
