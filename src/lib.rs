//! ByteMtaani Terminal: a keyboard-driven retail system (point-of-sale, admin console,
//! customer kiosk) on one PostgreSQL database.
//!
//! Layers, arrows pointing one way: `tui` → `service` → `db`; `domain` is used by all.
//! `serve` runs the `tui` for SSH clients; `cli` starts everything.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod gateway;
pub mod serve;
pub mod service;
pub mod tui;

/// The schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();
