//! Support figures for docs/BENCHMARKS.md, run by `tools/bench`: the help
//! centre's search over 100,000 generated articles (a 20,000-word
//! vocabulary drawn as natural text is, Zipf; FTS5, every word a prefix,
//! ranked, with snippets) and the ticket list with filters over
//! 100,000 generated tickets, each the domain call the pages make, timed
//! over many queries (p50 and p99). A raw SQLite primary-key read loop in
//! the same run gives the machine's speed of the moment.
//!
//! `bench_support`; prints Markdown rows.

use luneo::auth::{NewUser, create_user};
use luneo::db::Db;
use luneo::support::kb::{self, Audience};
use luneo::support::tickets::{self, Assigned, TicketFilter};
use luneo::support::{Priority, Status};
use std::time::Instant;

const ARTICLES: usize = 100_000;
const TICKETS: usize = 100_000;
const QUERIES: usize = 400;

/// Words of a shop's help centre; articles are made of them.
const WORDS: &[&str] = &[
    "return",
    "refund",
    "delivery",
    "parcel",
    "engraving",
    "font",
    "photo",
    "print",
    "mug",
    "shirt",
    "cushion",
    "frame",
    "bracelet",
    "colour",
    "size",
    "invoice",
    "payment",
    "card",
    "address",
    "order",
    "design",
    "editor",
    "upload",
    "resolution",
    "gift",
    "wrapping",
    "exchange",
    "damaged",
    "warranty",
    "shipping",
    "tracking",
    "customs",
    "bulk",
    "wedding",
    "birthday",
    "glass",
    "wood",
    "metal",
    "silver",
    "gold",
    "leather",
    "canvas",
    "poster",
    "sticker",
    "badge",
    "keyring",
    "apron",
    "bag",
    "cap",
    "hoodie",
];

/// Syllables of the made-up words that give the corpus a real vocabulary.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe", "da", "gu", "ri", "ba", "fe", "zo", "lu", "mo", "xi",
];
/// Distinct words in the corpus.
const VOCABULARY: usize = 20_000;

/// A small deterministic generator (no crate needed for a benchmark's words).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
    /// A word rank drawn about as natural text does (Zipf: rank r ∝ 1/r).
    fn rank(&mut self) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((VOCABULARY as f64).powf(u) as usize).clamp(1, VOCABULARY) - 1
    }
    fn sentence(&mut self, n: usize) -> String {
        (0..n).map(|_| word(self.rank())).collect::<Vec<_>>().join(" ")
    }
}

/// The word of `rank`: the shop's own words first, then made-up ones.
fn word(rank: usize) -> String {
    if rank < WORDS.len() {
        return WORDS[rank].to_string();
    }
    let mut n = rank;
    let mut w = String::new();
    for _ in 0..4 {
        w.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    w
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn time(mut each: impl FnMut(usize)) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..QUERIES)
        .map(|i| {
            let t = Instant::now();
            each(i);
            t.elapsed().as_secs_f64() * 1_000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("luneo.db"), 2).unwrap();
    let now = 1_795_602_600;
    let org = db
        .write_blocking(move |tx| {
            let owner = create_user(
                tx,
                &NewUser {
                    email: "owner@shop.test",
                    name: "Owner",
                    password_hash: None,
                    language: Some("en"),
                    verified: true,
                    instance_admin: true,
                },
                now,
            )?;
            Ok(luneo::orgs::create_org(tx, "Atelier", &owner, "en")?.id.to_string())
        })
        .unwrap();
    let started = Instant::now();
    let o = org.clone();
    db.write_blocking(move |tx| {
        let mut rng = Lcg(7);
        let mut stmt = tx.prepare(
            "INSERT INTO support_kb_articles (id, org_id, slug, lang, title, body, status, visibility, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'published', 'public', ?7, ?7)",
        )?;
        for i in 0..ARTICLES {
            let title = rng.sentence(5);
            let body = rng.sentence(120);
            let lang = if i % 2 == 0 { "en" } else { "fr" };
            stmt.execute(rusqlite::params![
                format!("art_{i:08}"),
                o,
                format!("article-{i}"),
                lang,
                title,
                body,
                now
            ])?;
        }
        let mut stmt = tx.prepare(
            "INSERT INTO support_tickets (id, org_id, number, subject, description, priority, status, requester_email,
               access_token, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        )?;
        for i in 0..TICKETS {
            let priority = Priority::ALL[rng.next() % 4].key();
            let status = Status::ALL[rng.next() % 5].key();
            stmt.execute(rusqlite::params![
                format!("tkt_{i:08}"),
                o,
                i as i64 + 1,
                rng.sentence(6),
                rng.sentence(40),
                priority,
                status,
                format!("customer{}@example.test", rng.next() % 5_000),
                format!("token{i}"),
                now - (i as i64) * 60
            ])?;
        }
        Ok(())
    })
    .unwrap();
    let seeded = started.elapsed().as_secs_f64();
    // What the nightly `db.optimize` job does.
    db.write_blocking(|tx| Ok(tx.execute_batch("PRAGMA optimize = 0x10002")?))
        .unwrap();

    let (search50, search99) = time(|i| {
        // A shop word and a rarer one, each typed in part: "deliv kamil".
        let (a, b) = (WORDS[i % WORDS.len()].to_string(), word(100 + (i * 37) % 2_000));
        let q = format!("{} {}", &a[..a.len().min(5)], &b[..b.len().min(5)]);
        let o = org.clone();
        let hits = db
            .read_blocking(move |c| kb::search(c, &o, &q, Some("en"), Audience::Public, 20))
            .unwrap();
        std::hint::black_box(hits);
    });
    let (list50, list99) = time(|i| {
        let filter = TicketFilter {
            status: Some(Status::ALL[i % 4]),
            priority: if i % 2 == 0 { Some(Priority::High) } else { None },
            assigned: if i % 3 == 0 { Assigned::Nobody } else { Assigned::Anyone },
            sort: Some(if i % 2 == 0 { "priority" } else { "updated" }.into()),
            ..TicketFilter::default()
        };
        let o = org.clone();
        let rows = db.read_blocking(move |c| tickets::list(c, &o, &filter, 50)).unwrap();
        std::hint::black_box(rows);
    });
    let (word50, word99) = time(|i| {
        let filter = TicketFilter {
            q: Some(word(100 + i % 500)),
            ..TicketFilter::default()
        };
        let o = org.clone();
        let rows = db.read_blocking(move |c| tickets::list(c, &o, &filter, 50)).unwrap();
        std::hint::black_box(rows);
    });
    let (raw50, _) = time(|i| {
        let id = format!("tkt_{:08}", (i * 97) % TICKETS);
        let n: i64 = db
            .read_blocking(move |c| {
                Ok(c.query_row("SELECT number FROM support_tickets WHERE id = ?1", [id], |r| r.get(0))?)
            })
            .unwrap();
        std::hint::black_box(n);
    });
    println!(
        "| **Help-centre search over {ARTICLES} articles (two word prefixes, ranked, 20 hits with snippets): median** | **{search50:.2} ms** | < 10 ms |"
    );
    println!("| Same, p99 | {search99:.2} ms | |");
    println!(
        "| **Ticket list over {TICKETS} tickets, filtered by status, priority, assignee, sorted, 50 rows: median** | **{list50:.2} ms** | < 30 ms |"
    );
    println!("| Same, p99 | {list99:.2} ms | |");
    println!(
        "| Ticket list searched by a word (FTS5 over subjects, descriptions and messages, or the number or address): median | {word50:.2} ms | |"
    );
    println!("| Same, p99 | {word99:.2} ms | |");
    println!("| A primary-key read in the same run (the machine's pace) | {raw50:.3} ms | |");
    println!(
        "| Seeding the {ARTICLES} articles (FTS5 index by triggers) and {TICKETS} tickets, one transaction | {seeded:.1} s | |"
    );
}
