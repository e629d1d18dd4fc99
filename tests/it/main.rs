//! Integration tests: the real app over HTTP, the real binary for the CLI,
//! a real SMTP server for mail.

mod account;
mod accounts;
mod admin;
mod api;
mod catalog;
mod cli;
mod demo;
mod helpers;
mod http_sink;
mod identity_cache;
mod invitations;
mod jobs;
mod mail;
mod monitoring;
mod monitoring_alerts;
mod notification_defaults;
mod notification_mails;
mod notifications;
mod ops;
mod overview;
mod password;
mod profile;
mod push;
mod security;
mod support;
mod support_closing;
mod support_files;
mod support_kb;
mod support_mail;
mod support_work;
mod team;
mod team_api;
mod tls_server;
mod two_factor;
mod web;
