//! A bare Rocket "hello world", the baseline `tools/bench` measures Luneo
//! against (same machine, same build, same run). Port from `PORT`.

#[rocket::get("/")]
fn hello() -> &'static str {
    "Hello, world!"
}

#[rocket::launch]
fn rocket() -> _ {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8001);
    let figment = rocket::Config::figment()
        .merge(("port", port))
        .merge(("log_level", "off"));
    rocket::custom(figment).mount("/", rocket::routes![hello])
}
