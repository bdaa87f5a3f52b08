//! What the app reacts to, whatever terminal (or test) it runs in.

use std::time::Duration;

use crossterm::event::{Event, KeyEvent, KeyEventKind};

/// How often time passes for the app (spinner frames, idle timers).
pub const TICK: Duration = Duration::from_millis(120);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    Key(KeyEvent),
    /// A barcode scanner typed this code and Enter (see `scanner`).
    Scan(String),
    /// The terminal was resized: draw again.
    Resize,
    /// Time passes (spinner frames, idle timers).
    Tick,
}

/// Keeps key presses (not releases or repeats' release halves) and resizes.
pub fn from_crossterm(event: Event) -> Option<AppEvent> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(AppEvent::Key(key)),
        Event::Resize(..) => Some(AppEvent::Resize),
        _ => None,
    }
}
