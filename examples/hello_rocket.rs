//! A bare Rocket "hello world", the baseline `tools/bench` measures Luneo
//! against (same machine, same build, same run): `/` a short text, `/page`
//! a small static HTML page (the baseline of signed-in pages). Port from `PORT`.

#[rocket::get("/")]
fn hello() -> &'static str {
    "Hello, world!"
}

/// About the size of a small page's markup, served as it is.
const PAGE: &str = concat!(
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Hello</title>",
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>",
    "<body><header><a href=\"/\">Hello</a></header><main><h1>Hello, world!</h1>",
    "<p>A static page of a bare Rocket app, for comparison.</p></main></body></html>"
);

#[rocket::get("/page")]
fn page() -> rocket::response::content::RawHtml<&'static str> {
    rocket::response::content::RawHtml(PAGE)
}

#[rocket::launch]
fn rocket() -> _ {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8001);
    // Rocket refuses to start in release without a key when `secrets` is on (as in Luneo).
    let key: [u8; 32] = rand::random();
    let figment = rocket::figment::Figment::from(rocket::Config::default())
        .merge(("port", port))
        .merge(("log_level", "off"))
        .merge(("secret_key", hex::encode(key)));
    rocket::custom(figment).mount("/", rocket::routes![hello, page])
}
