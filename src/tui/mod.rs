//! The terminal app. Input arrives as a stream of [`event::AppEvent`]s; [`app::App::update`]
//! turns each message into new state plus [`effect::Effect`]s; effects run on tokio tasks
//! against the services and come back as messages; drawing only reads state. Nothing below
//! [`terminal`] touches the real terminal, so tests drive the same loop with their own
//! events and a `TestBackend`.

pub mod app;
pub mod big_digits;
pub mod console_font;
pub mod effect;
pub mod event;
pub mod form;
pub mod keymap;
pub mod qr;
pub mod run;
pub mod scanner;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod view;
