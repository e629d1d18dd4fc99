//! Who has a ticket open: each member's last look at a ticket's page, kept
//! in memory for a few minutes (nothing to store: it is only a hint), so
//! the page can say "Max is also on this ticket" before two people answer
//! the same customer. The reply form's own check (`conversation::Seen`)
//! is what stops a reply written over another one.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long a look counts: five minutes.
pub const WINDOW_SECS: i64 = 300;

/// One member's last look at a ticket: (user id, name, when).
type Look = (String, String, i64);

/// The last looks at each ticket, by ticket id.
#[derive(Debug, Default)]
pub struct Presence(Mutex<HashMap<String, Vec<Look>>>);

impl Presence {
    /// Records that `user` looks at `ticket` now, and returns the names of
    /// the others who looked at it within [`WINDOW_SECS`].
    pub fn look(&self, ticket: &str, user: &str, name: &str, now: i64) -> Vec<String> {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|_, looks| {
            looks.retain(|(_, _, at)| now - at < WINDOW_SECS);
            !looks.is_empty()
        });
        let looks = all.entry(ticket.to_string()).or_default();
        looks.retain(|(u, _, _)| u != user);
        let others = looks.iter().map(|(_, n, _)| n.clone()).collect();
        looks.push((user.to_string(), name.to_string(), now));
        others
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn others_are_named_for_five_minutes_and_oneself_never() {
        let p = Presence::default();
        assert!(p.look("tkt_1", "usr_a", "Ana", 1_000).is_empty());
        assert_eq!(p.look("tkt_1", "usr_b", "Max", 1_060), ["Ana"]);
        assert_eq!(p.look("tkt_1", "usr_a", "Ana", 1_100), ["Max"], "not oneself");
        assert!(p.look("tkt_2", "usr_b", "Max", 1_100).is_empty(), "per ticket");
        assert!(
            p.look("tkt_1", "usr_c", "Lou", 1_100 + WINDOW_SECS).is_empty(),
            "gone after the window"
        );
    }
}
