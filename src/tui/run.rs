//! The loop: events and service answers in, one update, one draw. Generic over the backend
//! and the event source, so a test (or an SSH channel) runs exactly what a terminal runs.

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;

use crate::service::Services;
use crate::tui::app::{App, Msg};
use crate::tui::effect::{self, Effect};
use crate::tui::event::{ANIMATION_TICKS, AppEvent};
use crate::tui::view;

pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    events: E,
    services: Services,
    mut app: App,
) -> anyhow::Result<App>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = AppEvent> + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut events = events.fuse();
    effect::watch_changes(&services, tx.clone());
    terminal.draw(|frame| view::draw(&app, frame))?;
    loop {
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(event) => Msg::Event(event),
                // The terminal went away (an SSH client left): finish what was asked.
                None => {
                    land_work_in_flight(&mut app, &mut rx).await;
                    break;
                }
            },
            Some(msg) = rx.recv() => msg,
        };
        let tick = matches!(msg, Msg::Event(AppEvent::Tick));
        let animating = app.animating();
        let effects = app.update(msg);
        run_effects(effects, &app, &services, &tx);
        if app.quit {
            land_work_in_flight(&mut app, &mut rx).await;
            break;
        }
        // An idle screen is not drawn again and again (at hundreds of sessions that adds
        // up); time alone changes it only while it animates, a few times a second, and a
        // slow refresh catches anything else a tick changed (a kiosk clearing a half-typed
        // login).
        let every = match animating || app.animating() {
            true => ANIMATION_TICKS,
            false => REFRESH_TICKS,
        };
        if !tick || app.ticks.is_multiple_of(every) {
            terminal.draw(|frame| view::draw(&app, frame))?;
        }
    }
    Ok(app)
}

/// Every this many ticks (about 2 s) an idle screen is drawn anyway.
const REFRESH_TICKS: u64 = 16;

/// How long quitting waits for service calls still on their way (a void's audit record,
/// a held sale being saved) before the process ends.
const QUIT_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Lets the service calls already sent finish before the app ends, so quitting right after
/// an action never loses what it wrote; their answers are taken in, nothing new is started.
async fn land_work_in_flight(app: &mut App, rx: &mut mpsc::UnboundedReceiver<Msg>) {
    let deadline = tokio::time::Instant::now() + QUIT_GRACE;
    while app.busy > 0 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg @ Msg::Done(_))) => {
                app.update(msg);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
}

fn run_effects(
    effects: impl IntoIterator<Item = Effect>,
    app: &App,
    services: &Services,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    for effect in effects {
        effect::spawn(effect, services, app.actor(), tx.clone());
    }
}

#[cfg(test)]
mod tests {
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::config::Settings;
    use crate::tui::theme::Theme;

    /// How many frames `events` make the loop draw (the frame drawn after it is counted off).
    async fn frames_drawn(events: Vec<AppEvent>) -> usize {
        frames_drawn_by(App::new("Duka", Theme::plain()), events).await
    }

    async fn frames_drawn_by(app: App, events: Vec<AppEvent>) -> usize {
        let settings = Settings::built_in();
        // Never connected: the loop's work here needs no database.
        let pool = sqlx::PgPool::connect_lazy("postgres://127.0.0.1:1/none").unwrap();
        let services = Services::new(pool, settings.setup().unwrap());
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        run(&mut terminal, futures::stream::iter(events), services, app)
            .await
            .unwrap();
        terminal.draw(|_| {}).unwrap().count
    }

    #[tokio::test]
    async fn an_idle_screen_is_not_drawn_again_at_every_tick() {
        let ticks = vec![AppEvent::Tick; 160];
        let idle = frames_drawn(ticks).await;
        assert!(idle <= 1 + 160 / REFRESH_TICKS as usize, "{idle} frames");
        let typing = vec![AppEvent::Key(crossterm::event::KeyCode::Char('a').into()); 20];
        assert_eq!(frames_drawn(typing).await, 21, "every key is drawn");
    }

    #[tokio::test]
    async fn a_spinner_turns_a_few_times_a_second_not_at_every_tick() {
        let mut waiting = App::new("Duka", Theme::plain());
        // A service call on its way (never answered here): the spinner turns.
        waiting.busy = 1;
        let ticks = 120;
        let frames = frames_drawn_by(waiting, vec![AppEvent::Tick; ticks]).await;
        let turns = ticks / ANIMATION_TICKS as usize;
        assert!(
            (turns..=turns + 1).contains(&frames),
            "{frames} frames for {ticks} ticks"
        );
    }
}
