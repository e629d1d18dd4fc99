//! The signed-in person's own account (`/dashboard/account`): their name,
//! address and password, their time
//! zone, sessions, personal API tokens, address verification, and turning
//! two-factor authentication on and off. The tables are the `auth`
//! feature's; this feature changes them only through its functions.

mod pages;
mod profile;
mod two_factor;

/// The account pages.
pub fn routes() -> Vec<rocket::Route> {
    let mut all = pages::routes();
    all.extend(profile::routes());
    all.extend(two_factor::routes());
    all
}
