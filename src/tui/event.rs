//! What the app reacts to, whatever terminal (or test) it runs in.

use std::time::Duration;

use crossterm::event::{Event, KeyEvent, KeyEventKind};

/// How often time passes for the app (spinner frames, idle timers).
pub const TICK: Duration = Duration::from_millis(120);

/// What time alone changes on screen (the spinner, countdowns in seconds) is drawn every
/// this many ticks (about three times a second), not at every tick: a session waiting on
/// a busy database would otherwise redraw its whole screen eight times a second, and at
/// hundreds of sessions those frames are the load that keeps the database waiting.
pub const ANIMATION_TICKS: u64 = 3;

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
