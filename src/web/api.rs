//! JSON API conventions shared by every feature: lists as
//! `{"data": [...], "next_cursor": ...}` with `?limit=&cursor=`, 201 on
//! create, and [`ApiJson`] bodies whose errors become 422 problem+json
//! naming the field.

use super::error::stash;
use crate::error::{AppError, FieldError, Message};
use rocket::data::{Data, FromData, Outcome};
use rocket::http::Status;
use rocket::request::Request;
use rocket::serde::json::Json;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// `?limit=&cursor=` of a list request.
#[derive(Debug, rocket::FromForm)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

impl PageParams {
    /// The limit asked for, checked: 1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
    pub fn limit(&self) -> Result<i64, AppError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::invalid(
                "limit",
                Message::new("api.error.limit").with("max", MAX_LIMIT),
            )),
        }
    }
}

impl<T> ListResponse<T> {
    /// The page as `{"data": [...], "next_cursor": ...}`, each row through `row`.
    pub fn json(&self, row: impl Fn(&T) -> serde_json::Value) -> rocket::serde::json::Json<serde_json::Value> {
        rocket::serde::json::Json(serde_json::json!({
            "data": self.data.iter().map(row).collect::<Vec<_>>(),
            "next_cursor": self.next_cursor,
        }))
    }

    /// Builds a page from `limit + 1` fetched rows: the extra row, if any,
    /// means there is more, and the cursor is the key of the last row shown.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> ListResponse<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(key) } else { None };
        ListResponse {
            data: rows,
            next_cursor,
        }
    }
}

/// 201 Created with the created object.
pub type Created<T> = rocket::response::status::Custom<Json<T>>;

/// Answers 201 with `value`.
pub fn created<T>(value: T) -> Created<T> {
    rocket::response::status::Custom(Status::Created, Json(value))
}

/// A JSON body; malformed or invalid input is answered with 422 naming the
/// field, an oversized one with 413.
pub struct ApiJson<T>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for ApiJson<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        let limit = req.limits().get("json").unwrap_or(rocket::data::ByteUnit::Mebibyte(1));
        let body = match data.open(limit).into_string().await {
            Ok(s) if s.is_complete() => s.into_inner(),
            Ok(_) => return Outcome::Error((stash(req, AppError::TooLarge), ())),
            Err(_) => return Outcome::Error((stash(req, AppError::bad_request("api.error.unreadable")), ())),
        };
        match parse_body::<T>(&body) {
            Ok(v) => Outcome::Success(ApiJson(v)),
            Err(e) => Outcome::Error((stash(req, e), ())),
        }
    }
}

/// Reads one JSON document and nothing after it; a problem names the field
/// by its whole path (`keys.p256dh`).
pub fn parse_body<T: DeserializeOwned>(body: &str) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_str(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut *de).map_err(|err| {
        let path = err.path().to_string();
        let msg = err.into_inner().to_string();
        // A missing field is named in the message, under the path of its object.
        let missing = msg.split('`').nth(1).filter(|_| msg.starts_with("missing field"));
        let field = match (missing, path.as_str()) {
            (Some(name), ".") => name.to_string(),
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, ".") => String::new(),
            (None, path) => path.to_string(),
        };
        // serde's own words (English) name what is wrong with the value.
        let detail = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        let message = Message::new("api.error.json").with("detail", detail);
        AppError::Invalid(vec![FieldError { field, message }])
    })?;
    de.end().map_err(|_| {
        AppError::Invalid(vec![FieldError {
            field: String::new(),
            message: Message::new("api.error.trailing"),
        }])
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_has_a_cursor_and_the_last_page_none() {
        let page = ListResponse::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.data, vec![1, 2]);
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
        let last = ListResponse::from_rows(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn limit_is_checked() {
        assert_eq!(
            PageParams {
                limit: None,
                cursor: None
            }
            .limit()
            .unwrap(),
            DEFAULT_LIMIT
        );
        assert!(
            PageParams {
                limit: Some(0),
                cursor: None
            }
            .limit()
            .is_err()
        );
    }
}
