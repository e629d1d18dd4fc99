//! Browser tests: headless Chromium driven through chromedriver with
//! fantoccini, against the real app on a random port.

#[allow(dead_code)]
#[path = "../it/helpers.rs"]
mod helpers;

#[allow(dead_code)]
#[path = "../it/http_sink.rs"]
mod http_sink;

mod a11y;
mod accounts;
mod browser;
mod catalog;
mod layout;
mod live;
mod monitoring;
mod push;
mod site;
mod support;
