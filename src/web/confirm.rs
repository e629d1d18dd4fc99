//! The page that asks before a destructive action: what will happen, as a
//! list, and one danger button posting to the action; a "Keep" link goes
//! back. Works without JavaScript: a feature's GET on the action's address
//! shows it, its POST (unchanged) does the work.

use crate::web::page::PageCtx;
use crate::web::shell::Shell;
use askama::Template;

#[derive(Template)]
#[template(path = "components/confirm_page.html")]
pub struct ConfirmPage {
    pub ctx: PageCtx,
    pub shell: Shell,
    /// The question, such as "Remove Léa from Atelier?".
    pub title: String,
    /// What will happen, one sentence each.
    pub consequences: Vec<String>,
    /// Where the danger button posts.
    pub action: String,
    /// The danger button's label, saying the action ("Remove Léa").
    pub button: String,
    /// Where "Keep" goes.
    pub back: String,
}
