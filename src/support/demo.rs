//! The support part of `luneo demo`: three categories, a dozen tickets in
//! every status with replies and internal notes (the demo's customers have
//! no mailbox: nothing is mailed to them), and a help centre with articles
//! in English and French.

use super::categories::{self, CategoryInput};
use super::conversation::{self, Reply};
use super::kb::{self, ArticleInput};
use super::tickets::{self, Opener, TicketChange, TicketInput};
use super::{Status, TicketId};
use crate::db::Tx;
use crate::demo::{DemoCtx, DemoStep};
use crate::error::AppError;

pub fn step() -> DemoStep {
    DemoStep {
        name: "support",
        run: seed,
    }
}

/// (subject, description, customer, priority, status at the end, category index).
const TICKETS: &[(&str, &str, &str, &str, &str, usize)] = &[
    (
        "Where is my engraved mug?",
        "I ordered it ten days ago and have no news.",
        "ana",
        "high",
        "open",
        0,
    ),
    (
        "Wrong date on my bracelet",
        "The engraving says 2062 instead of 2026.",
        "bo",
        "urgent",
        "in_progress",
        1,
    ),
    (
        "Can I change the font after ordering?",
        "I would prefer the script font.",
        "cy",
        "medium",
        "pending_customer",
        1,
    ),
    (
        "Invoice for my company",
        "Please add our VAT number.",
        "dee",
        "low",
        "resolved",
        2,
    ),
    (
        "Parcel arrived damaged",
        "The box was crushed and the frame cracked.",
        "eli",
        "high",
        "open",
        0,
    ),
    (
        "Photo too blurry?",
        "Will my photo print well on a cushion?",
        "fay",
        "medium",
        "pending_customer",
        1,
    ),
    (
        "Delivery to Belgium",
        "Do you ship to Brussels, and how long does it take?",
        "gus",
        "low",
        "closed",
        0,
    ),
    (
        "Double charge on my card",
        "I was charged twice for order A-1077.",
        "hana",
        "urgent",
        "in_progress",
        2,
    ),
    (
        "Gift wrapping",
        "Can you wrap it and add a card?",
        "ivo",
        "low",
        "resolved",
        0,
    ),
    (
        "Change the delivery address",
        "I moved last week.",
        "jade",
        "medium",
        "open",
        0,
    ),
    (
        "Colour of the T-shirt",
        "Is the navy darker than on the picture?",
        "kim",
        "low",
        "closed",
        1,
    ),
    (
        "Bulk order for a wedding",
        "We need 80 engraved glasses by June.",
        "lou",
        "medium",
        "pending_customer",
        1,
    ),
];

/// (title, lang, body, category index).
const ARTICLES: &[(&str, &str, &str, usize)] = &[
    (
        "Returns and refunds",
        "en",
        "You can **return** a personalised item within 14 days if it is faulty or not as designed.\n\n1. Open a request from this help centre.\n2. Add a photo of the item.\n3. We send a prepaid label.",
        0,
    ),
    (
        "Retours et remboursements",
        "fr",
        "Vous pouvez **retourner** un article personnalisé sous 14 jours s’il est défectueux ou différent de votre création.\n\n1. Ouvrez une demande depuis ce centre d’aide.\n2. Joignez une photo.\n3. Nous envoyons une étiquette prépayée.",
        0,
    ),
    (
        "Which photos print well",
        "en",
        "Use photos of at least **150 DPI** at the printed size. The editor warns you when a photo is too small.",
        1,
    ),
    (
        "Quelles photos s’impriment bien",
        "fr",
        "Utilisez des photos d’au moins **150 DPI** à la taille imprimée. L’éditeur vous prévient quand une photo est trop petite.",
        1,
    ),
    (
        "Delivery times",
        "en",
        "Personalised items leave our workshop within 3 working days; delivery takes 2 to 5 days in the EU.",
        0,
    ),
    (
        "Délais de livraison",
        "fr",
        "Les articles personnalisés quittent l’atelier sous 3 jours ouvrés ; la livraison prend 2 à 5 jours dans l’UE.",
        0,
    ),
];

fn seed(tx: &Tx, demo: &DemoCtx) -> Result<String, AppError> {
    if !tickets::list(tx, &demo.org.id, &tickets::TicketFilter::default(), 1)?.is_empty() {
        return Ok("there already".into());
    }
    let org = demo.org.id.as_str();
    let mut cats = vec![];
    for name in ["Orders and delivery", "Personalisation", "Billing"] {
        let input = CategoryInput {
            name: Some(name.into()),
            default_assignee: None,
        };
        cats.push(categories::create(tx, org, &input)?);
    }
    // The member who answers: the first demo person who may work on support.
    let agent = demo
        .people
        .iter()
        .find(|(_, role)| role == "admin" || role == "member")
        .map_or(&demo.owner, |(u, _)| u);
    for (subject, description, who, priority, status, cat) in TICKETS {
        let input = TicketInput {
            subject: Some((*subject).into()),
            description: Some((*description).into()),
            category_id: Some(cats[*cat].id.to_string()),
            priority: Some((*priority).into()),
            requester_email: Some(format!("{who}@customers.example")),
            requester_name: Some(capitalised(who)),
            order_ref: None,
            fields: Default::default(),
        };
        let mut new = input.parse(false).map_err(AppError::Invalid)?;
        new.mail_requester = false;
        let ticket = tickets::create(tx, org, &new, Opener::Member(&demo.owner), &demo.base_url)?;
        let change = TicketChange {
            assignee_id: Some(agent.id.to_string()),
            ..TicketChange::default()
        };
        tickets::change(tx, org, &ticket.id, &change, &demo.owner, &demo.base_url)?;
        let ticket = tickets::get(tx, org, &ticket.id)?.ok_or(AppError::NotFound)?;
        let target = Status::parse("status", status)?;
        if target != Status::Open {
            let reply = Reply {
                text: "Thank you for writing. We are looking into it and will come back to you shortly.",
                internal: false,
                then: Some(if target == Status::Closed {
                    Status::Resolved
                } else {
                    target
                }),
                mail_requester: false,
                seen: None,
            };
            conversation::member_reply(tx, &ticket, agent, &reply, &demo.base_url)?;
            let note = Reply {
                text: "Checked with the workshop: see the order's production sheet.",
                internal: true,
                then: None,
                mail_requester: false,
                seen: None,
            };
            let ticket = tickets::get(tx, org, &ticket.id)?.ok_or(AppError::NotFound)?;
            conversation::member_reply(tx, &ticket, agent, &note, &demo.base_url)?;
            if target == Status::Closed {
                close(tx, org, &ticket.id, demo)?;
            }
        }
        // Some tags, and the customers' ratings of what was resolved.
        let tags = match (*priority, *cat) {
            ("urgent" | "high", _) => vec!["priority-customer".to_string()],
            (_, 1) => vec!["engraving".to_string()],
            _ => vec![],
        };
        if !tags.is_empty() {
            let change = TicketChange {
                tags: Some(super::tags::SplitList(tags)),
                ..TicketChange::default()
            };
            tickets::change(tx, org, &ticket.id, &change, &demo.owner, &demo.base_url)?;
        }
        if matches!(target, Status::Resolved | Status::Closed) {
            let ticket = tickets::get(tx, org, &ticket.id)?.ok_or(AppError::NotFound)?;
            let (score, comment) = if ticket.number % 3 == 0 {
                ("bad", "It took too long.")
            } else {
                ("good", "Thank you, perfect!")
            };
            super::closing::rate(tx, &ticket, score, comment)?;
        }
    }
    for (title, body) in CANNED {
        super::canned::save(tx, org, None, title, body)?;
    }
    tx.execute(
        "INSERT INTO support_views (id, org_id, user_id, name, query, created_by, created_at)
         VALUES (?1, ?2, NULL, 'Urgent first', 'sort=priority', ?3, ?4)",
        rusqlite::params![
            super::views::ViewId::generate().as_str(),
            org,
            demo.owner.id.as_str(),
            tx.now()
        ],
    )?;
    for (title, lang, body, cat) in ARTICLES {
        let input = ArticleInput {
            title: Some((*title).into()),
            body: Some((*body).into()),
            category_id: Some(cats[*cat].id.to_string()),
            lang: Some((*lang).into()),
            status: Some("published".into()),
            visibility: Some("public".into()),
            slug: None,
        };
        kb::create(tx, org, &input.parse().map_err(AppError::Invalid)?)?;
    }
    Ok(format!(
        "{} categories, {} tickets (tagged, rated when resolved), {} canned replies, a shared view, {} help-centre articles in English and French",
        cats.len(),
        TICKETS.len(),
        CANNED.len(),
        ARTICLES.len()
    ))
}

/// The demo's canned replies: (title, body).
const CANNED: &[(&str, &str)] = &[
    (
        "Order on its way",
        "Hello {{ requester_name }},\n\nYour order left our workshop today; you will get the tracking number by mail.\n\n{{ agent_name }}, {{ org }}",
    ),
    (
        "Proof to approve",
        "Hello {{ requester_name }},\n\nHere is the proof of your personalisation for {{ ticket_number }}: tell us if it is right and we start production.\n\n{{ agent_name }}",
    ),
];

fn close(tx: &Tx, org: &str, id: &TicketId, demo: &DemoCtx) -> Result<(), AppError> {
    let change = TicketChange {
        status: Some("closed".into()),
        ..TicketChange::default()
    };
    tickets::change(tx, org, id, &change, &demo.owner, &demo.base_url).map(|_| ())
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
