//! A bare Rocket "hello world", the baseline `tools/bench` measures Luneo
//! against (same machine, same build, same run). Port from `PORT`.

#[rocket::get("/")]
fn hello() -> &'static str {
    "Hello, world!"
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
    rocket::custom(figment).mount("/", rocket::routes![hello])
}
