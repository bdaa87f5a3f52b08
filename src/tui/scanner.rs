//! Telling a barcode scanner from a person. A scanner is a keyboard that types a code and
//! Enter within a few milliseconds. The rule, in one place: **printable keys that follow one
//! another at most [`GAP`] apart, at least [`MIN_CODE`] of them, ending in Enter within
//! [`GAP`], are a scan** ([`AppEvent::Scan`]). Anything else is passed on as the keys it was,
//! at most [`GAP`] late. The screens decide what a scan does (the till adds it to the sale
//! whatever is open; elsewhere it is typed as its keys).

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures::{Stream, StreamExt};
use tokio::time::Instant;

use crate::tui::event::AppEvent;

/// The longest pause between two keys of one scan. Scanners type a key every 1–10 ms;
/// people rarely keep under 50 ms for a whole word and Enter.
pub const GAP: Duration = Duration::from_millis(50);

/// The fewest characters a scan has (shorter bursts are typing).
pub const MIN_CODE: usize = 3;

/// Printable keys held back while they may still become a scan.
#[derive(Debug, Default)]
pub struct Burst {
    keys: Vec<KeyEvent>,
    last: Option<Instant>,
}

fn printable(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

impl Burst {
    /// What a key pressed at `at` makes of the burst so far.
    pub fn push(&mut self, key: KeyEvent, at: Instant) -> Vec<AppEvent> {
        let in_time = self.last.is_some_and(|last| at.duration_since(last) <= GAP);
        let mut out = if in_time { Vec::new() } else { self.flush() };
        if printable(&key).is_some() {
            self.keys.push(key);
            self.last = Some(at);
            return out;
        }
        if key.code == KeyCode::Enter && in_time && self.keys.len() >= MIN_CODE {
            let code = self.keys.drain(..).filter_map(|k| printable(&k)).collect();
            self.last = None;
            out.push(AppEvent::Scan(code));
            return out;
        }
        out.extend(self.flush());
        out.push(AppEvent::Key(key));
        out
    }

    /// The held keys as the keys they were.
    pub fn flush(&mut self) -> Vec<AppEvent> {
        self.last = None;
        self.keys.drain(..).map(AppEvent::Key).collect()
    }

    /// When the held keys stop being able to become a scan.
    pub fn deadline(&self) -> Option<Instant> {
        self.last.map(|last| last + GAP)
    }
}

/// `events` with scanner bursts turned into [`AppEvent::Scan`]s when `scans` (a kiosk's
/// screens take a scan as the keys it was, so there keys go straight on, never held back).
pub fn keys_and_scans<S>(events: S, scans: bool) -> Pin<Box<dyn Stream<Item = AppEvent> + Send>>
where
    S: Stream<Item = AppEvent> + Unpin + Send + 'static,
{
    if scans {
        Box::pin(detect_scans(events))
    } else {
        Box::pin(events)
    }
}

/// `events` with scanner bursts turned into [`AppEvent::Scan`]s.
pub fn detect_scans<S>(events: S) -> impl Stream<Item = AppEvent>
where
    S: Stream<Item = AppEvent> + Unpin,
{
    let state = (events, Burst::default(), VecDeque::new());
    futures::stream::unfold(state, |(mut events, mut burst, mut out)| async move {
        loop {
            if let Some(event) = out.pop_front() {
                return Some((event, (events, burst, out)));
            }
            let next = match burst.deadline() {
                Some(deadline) => match tokio::time::timeout_at(deadline, events.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        out.extend(burst.flush());
                        continue;
                    }
                },
                None => events.next().await,
            };
            match next {
                Some(AppEvent::Key(key)) => out.extend(burst.push(key, Instant::now())),
                Some(other) => {
                    out.extend(burst.flush());
                    out.push_back(other);
                }
                None if burst.deadline().is_some() => out.extend(burst.flush()),
                None => return None,
            }
        }
    })
}

/// A scan as the keys a person would have typed: its characters, then Enter.
pub fn as_keys(code: &str) -> Vec<KeyEvent> {
    code.chars()
        .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
        .chain([KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn enter() -> KeyEvent {
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
    }

    /// Feeds `keys`, each `apart` after the one before.
    fn typed(keys: Vec<KeyEvent>, apart: Duration) -> Vec<AppEvent> {
        let mut burst = Burst::default();
        let start = Instant::now();
        let mut out = Vec::new();
        for (i, key) in keys.into_iter().enumerate() {
            out.extend(burst.push(key, start + apart * i as u32));
        }
        out.extend(burst.flush());
        out
    }

    fn code(text: &str) -> Vec<KeyEvent> {
        text.chars().map(key).chain([enter()]).collect()
    }

    #[test]
    fn a_fast_code_and_enter_is_one_scan() {
        let events = typed(code("6161100120012"), Duration::from_millis(4));
        assert_eq!(events, [AppEvent::Scan("6161100120012".into())]);
    }

    #[test]
    fn a_person_typing_is_keys() {
        let events = typed(code("chai"), Duration::from_millis(120));
        let keys: Vec<AppEvent> = code("chai").into_iter().map(AppEvent::Key).collect();
        assert_eq!(events, keys);
    }

    #[test]
    fn two_keys_and_enter_or_a_pause_before_enter_are_keys() {
        let short = typed(code("12"), Duration::from_millis(4));
        assert_eq!(short.len(), 3);
        assert!(short.iter().all(|e| matches!(e, AppEvent::Key(_))));
        let mut burst = Burst::default();
        let start = Instant::now();
        for (i, k) in "ABC123".chars().enumerate() {
            assert!(
                burst
                    .push(key(k), start + Duration::from_millis(i as u64))
                    .is_empty()
            );
        }
        let late = burst.push(enter(), start + Duration::from_millis(200));
        assert_eq!(late.len(), 7, "six keys, then Enter: {late:?}");
    }

    #[test]
    fn bursts_in_a_row_are_scans_in_order_and_ctrl_keys_pass_through() {
        let mut keys = code("SKU0001");
        keys.extend(code("SKU0002"));
        keys.push(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        let events = typed(keys, Duration::from_millis(2));
        assert_eq!(
            events,
            [
                AppEvent::Scan("SKU0001".into()),
                AppEvent::Scan("SKU0002".into()),
                AppEvent::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            ]
        );
    }

    #[tokio::test]
    async fn held_keys_come_out_when_no_enter_follows() {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        let mut events = Box::pin(detect_scans(rx));
        for c in "ab".chars() {
            tx.unbounded_send(AppEvent::Key(key(c))).unwrap();
        }
        // Nothing more comes: after GAP the two keys are passed on as typed.
        let first = events.next().await;
        assert_eq!(first, Some(AppEvent::Key(key('a'))));
        assert_eq!(events.next().await, Some(AppEvent::Key(key('b'))));
        for k in code("6161100120012") {
            tx.unbounded_send(AppEvent::Key(k)).unwrap();
        }
        assert_eq!(
            events.next().await,
            Some(AppEvent::Scan("6161100120012".into()))
        );
    }

    #[tokio::test]
    async fn a_kiosk_gets_a_burst_as_its_keys_and_a_till_as_a_scan() {
        let burst = || {
            let keys = as_keys("GEN0000521").into_iter().map(AppEvent::Key);
            futures::stream::iter(keys.collect::<Vec<_>>())
        };
        let at_till: Vec<AppEvent> = keys_and_scans(burst(), true).collect().await;
        assert_eq!(at_till, [AppEvent::Scan("GEN0000521".into())]);
        let at_kiosk: Vec<AppEvent> = keys_and_scans(burst(), false).collect().await;
        assert_eq!(at_kiosk.len(), 11, "ten characters and Enter, as typed");
    }
}
