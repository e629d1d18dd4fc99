//! The account commands of the CLI (`luneo user add`, `luneo token create`)
//! for operators and scripts. Changes are audited as made by the system.

use crate::audit::{self};
use crate::auth::{self, NewUser, api_tokens, password};
use crate::config::Config;
use crate::db::time::system_clock;
use crate::error::{AppError, Message};
use crate::orgs;

fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("LUNEO_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// An error as the CLI prints it (English).
pub(crate) fn message(e: AppError) -> String {
    let lang = crate::web::i18n::Lang::En;
    match e {
        AppError::Invalid(errors) => errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, lang.msg(&e.message)))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Internal(detail) => detail,
        other => lang.msg(&other.message()),
    }
}

/// `luneo user add`.
pub fn user_add(
    config: &Config,
    email: &str,
    name: &str,
    org: &str,
    role: Option<&str>,
    admin: bool,
) -> Result<(), String> {
    if !auth::valid_email(email) {
        return Err(format!("--email {email:?} is not an email address"));
    }
    if name.trim().is_empty() || org.trim().is_empty() {
        return Err("--name and --org must not be empty".into());
    }
    let db = crate::cli::open_db(config)?;
    let existing_user = db.read_blocking(|c| auth::find_by_email(c, email)).map_err(message)?;
    let hash = match existing_user {
        Some(_) => None,
        None => {
            let pw = read_password()?;
            password::check_policy(&pw, &[email, name]).map_err(|key| crate::web::i18n::Lang::En.t(key).to_string())?;
            Some(password::hash(&pw))
        }
    };
    let now = system_clock().now();
    let (email, name, org, role) = (
        email.to_string(),
        name.to_string(),
        org.to_string(),
        role.map(str::to_string),
    );
    let summary = db
        .write_blocking(move |tx| {
            let user = match auth::find_by_email(tx, &email)? {
                Some(u) => u,
                None => auth::create_user(
                    tx,
                    &NewUser {
                        email: &email,
                        name: &name,
                        password_hash: hash,
                        language: None,
                        verified: true,
                        instance_admin: false,
                    },
                    now,
                )?,
            };
            if admin {
                auth::make_instance_admin(tx, &user.id)?;
            }
            match orgs::find_org(tx, &org)? {
                Some(existing) => {
                    let role = role.as_deref().unwrap_or("member");
                    let member: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = ?1 AND user_id = ?2)",
                        (&existing.id, &user.id),
                        |r| r.get(0),
                    )?;
                    if member {
                        return Err(AppError::conflict(
                            Message::new("cli.error.already_member")
                                .with("email", &user.email)
                                .with("org", &existing.name),
                        ));
                    }
                    orgs::add_member(tx, &existing.id, &user.id, role)?;
                    Ok(format!(
                        "added {} to {} ({}) as {role}",
                        user.email, existing.name, existing.slug
                    ))
                }
                None => {
                    if role.is_some() {
                        return Err(AppError::invalid(
                            "org",
                            Message::new("cli.error.no_org_for_role").with("org", &org),
                        ));
                    }
                    let created = orgs::create_org(tx, &org, &user, "en")?;
                    Ok(format!(
                        "created {} as owner of {} ({})",
                        user.email, created.name, created.slug
                    ))
                }
            }
        })
        .map_err(message)?;
    println!("{summary}");
    Ok(())
}

/// `luneo token create`: prints the token alone on stdout.
pub fn token_create(config: &Config, email: &str, org: Option<&str>, name: &str) -> Result<(), String> {
    let db = crate::cli::open_db(config)?;
    let now = system_clock().now();
    let (email, org, name) = (email.to_string(), org.map(str::to_string), name.to_string());
    let secret = db
        .write_blocking(move |tx| {
            let user = auth::find_by_email(tx, &email)?.ok_or_else(|| {
                AppError::invalid("email", Message::new("cli.error.no_account").with("email", &email))
            })?;
            let memberships = orgs::memberships_of(tx, &user.id)?;
            let target = match &org {
                Some(key) => memberships
                    .iter()
                    .find(|(o, _)| &o.slug == key || &o.name == key)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "org",
                            Message::new("cli.error.not_member")
                                .with("email", &email)
                                .with("org", key),
                        )
                    })?,
                None => match memberships.as_slice() {
                    [one] => one,
                    [] => {
                        return Err(AppError::invalid(
                            "org",
                            Message::new("cli.error.no_membership").with("email", &email),
                        ));
                    }
                    _ => {
                        return Err(AppError::invalid(
                            "org",
                            Message::new("cli.error.several_orgs").with("email", &email),
                        ));
                    }
                },
            };
            let (token, secret) = api_tokens::create(tx, &user.id, &target.0.id, &name, None, now)?;
            audit::record_in(
                tx,
                &target.0.id,
                "api_token.created",
                Some(("api_token", &token.id)),
                serde_json::json!({ "name": name, "user": user.id }),
            )?;
            Ok(secret)
        })
        .map_err(message)?;
    println!("{secret}");
    Ok(())
}
