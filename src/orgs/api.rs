//! JSON API of identity and organisation: `GET /api/v1/me`.

use super::Member;
use rocket::serde::json::Json;
use serde_json::{Value, json};

#[rocket::get("/api/v1/me")]
fn me(member: Member) -> Json<Value> {
    Json(json!({
        "user": {
            "id": member.user.id,
            "email": member.user.email,
            "name": member.user.name,
            "language": member.user.language,
        },
        "org": { "id": member.org.id, "slug": member.org.slug, "name": member.org.name },
        "role": member.role.key,
        "permissions": member.role.grants.list(),
    }))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![me]
}
