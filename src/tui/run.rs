//! The loop: events and service answers in, one update, one draw. Generic over the backend
//! and the event source, so a test (or an SSH channel) runs exactly what a terminal runs.

use std::task::Poll;

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
        let first = tokio::select! {
            event = events.next() => event.map(Msg::Event),
            Some(msg) = rx.recv() => Some(msg),
        };
        // The terminal went away (an SSH client left) once `first` is none.
        let mut ended = first.is_none();
        // Everything already waiting is taken in before one frame is drawn: keys that came
        // together (a scan, a paste) and answers that queued while the machine was busy
        // cost one frame, not one each, so a loaded server falls behind less.
        let (mut next, mut taken, mut draw) = (first, 0, false);
        while let Some(msg) = next.take() {
            let was_animating = app.animating();
            let seen = shows_change(&msg);
            let tick = matches!(msg, Msg::Event(AppEvent::Tick));
            let effects = app.update(msg);
            run_effects(effects, &app, &services, &tx);
            let animating = was_animating || app.animating();
            // Time alone changes the screen only while it animates, a few times a second,
            // or when a tick changed something itself.
            draw |= seen
                || (tick && animating && app.ticks.is_multiple_of(ANIMATION_TICKS))
                || std::mem::take(&mut app.ticked_change);
            taken += 1;
            if app.quit || taken == MOST_AT_ONCE {
                break;
            }
            next = match rx.try_recv() {
                Ok(msg) => Some(msg),
                Err(_) => match ready_now(&mut events).await {
                    Poll::Ready(event) => {
                        ended = event.is_none();
                        event.map(Msg::Event)
                    }
                    Poll::Pending => None,
                },
            };
        }
        if draw && !app.quit {
            terminal.draw(|frame| view::draw(&app, frame))?;
        }
        if ended || app.quit {
            // Finish what was asked before the app ends.
            land_work_in_flight(&mut app, &mut rx).await;
            break;
        }
    }
    Ok(app)
}

/// The next event if one is ready, without waiting. Polled with this task's own waker:
/// crossterm's event stream wakes only the waker of the poll that found it empty, so a
/// dummy one there (`now_or_never`) would leave a key unread until something else woke us.
async fn ready_now<E: Stream + Unpin>(events: &mut E) -> Poll<Option<E::Item>> {
    std::future::poll_fn(|cx| Poll::Ready(events.poll_next_unpin(cx))).await
}

/// At most this many messages are taken in before a frame is drawn, so a flood of keys
/// still shows on screen as it goes.
const MOST_AT_ONCE: usize = 64;

/// Whether `msg` by itself changes what the screen shows: keys, window changes and answers
/// do. A timer (a search due) or a change made elsewhere only asks for work: its answer is
/// drawn when it comes, the spinner at the next animation step.
fn shows_change(msg: &Msg) -> bool {
    match msg {
        Msg::Event(AppEvent::Tick) | Msg::SearchDue(_) | Msg::Changed(_) => false,
        Msg::Event(_) | Msg::Done(_) => true,
    }
}

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
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::Context;

    use ratatui::backend::TestBackend;

    use super::*;
    use crate::config::Settings;
    use crate::tui::theme::Theme;

    /// How many frames `events` make the loop draw (the frame drawn after it is counted off).
    /// `apart`: each event comes a moment after the last, as keys typed and ticks do;
    /// otherwise all are waiting at once, as a scan's or a paste's keys are.
    async fn frames_drawn(events: Vec<AppEvent>, apart: bool) -> usize {
        frames_drawn_by(App::new("Duka", Theme::plain()), events, apart).await
    }

    async fn frames_drawn_by(app: App, events: Vec<AppEvent>, apart: bool) -> usize {
        let settings = Settings::built_in();
        // Never connected: the loop's work here needs no database.
        let pool = sqlx::PgPool::connect_lazy("postgres://127.0.0.1:1/none").unwrap();
        let services = Services::new(pool, settings.setup().unwrap());
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let events = futures::stream::iter(events).then(move |event| async move {
            if apart {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            event
        });
        run(&mut terminal, Box::pin(events), services, app)
            .await
            .unwrap();
        terminal.draw(|_| {}).unwrap().count
    }

    fn typed(n: usize) -> Vec<AppEvent> {
        vec![AppEvent::Key(crossterm::event::KeyCode::Char('a').into()); n]
    }

    #[tokio::test]
    async fn an_idle_screen_is_drawn_once() {
        let idle = frames_drawn(vec![AppEvent::Tick; 160], true).await;
        assert_eq!(idle, 1, "{idle} frames");
        assert_eq!(
            frames_drawn(typed(20), true).await,
            21,
            "every key is drawn"
        );
    }

    #[tokio::test]
    async fn keys_that_come_together_are_drawn_in_one_frame() {
        assert_eq!(frames_drawn(typed(20), false).await, 2);
        let flood = 3 * MOST_AT_ONCE;
        let frames = frames_drawn(typed(flood), false).await;
        assert_eq!(frames, 1 + 3, "a flood still shows as it goes");
    }

    /// Keys that each come a moment apart from a stream that, like crossterm's, wakes only
    /// the waker of the poll that found it empty.
    struct FirstWakerOnly {
        keys: usize,
        ready: Arc<AtomicBool>,
        waiting: bool,
    }

    impl Stream for FirstWakerOnly {
        type Item = AppEvent;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<AppEvent>> {
            if self.keys == 0 {
                return Poll::Ready(None);
            }
            if self.ready.swap(false, Ordering::SeqCst) {
                self.waiting = false;
                self.keys -= 1;
                return Poll::Ready(Some(typed(1).remove(0)));
            }
            if !self.waiting {
                self.waiting = true;
                let (ready, waker) = (self.ready.clone(), cx.waker().clone());
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    ready.store(true, Ordering::SeqCst);
                    waker.wake();
                });
            }
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_key_is_never_left_unread_by_a_stream_that_wakes_once() {
        let settings = Settings::built_in();
        let pool = sqlx::PgPool::connect_lazy("postgres://127.0.0.1:1/none").unwrap();
        let services = Services::new(pool, settings.setup().unwrap());
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let keys = FirstWakerOnly {
            keys: 5,
            ready: Arc::new(AtomicBool::new(false)),
            waiting: false,
        };
        let app = App::new("Duka", Theme::plain());
        let ran = run(&mut terminal, keys, services, app);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), ran).await;
        assert!(ended.is_ok(), "a key was left unread");
        assert_eq!(terminal.draw(|_| {}).unwrap().count, 1 + 5);
    }

    #[tokio::test]
    async fn a_tick_that_changes_the_screen_draws_it() {
        // A kiosk forgets a half-typed login after 10 idle ticks: at 10 and at 20.
        let kiosk = App::new("Duka", Theme::plain()).with_kiosk(Some(crate::tui::app::Kiosk::new(
            crate::tui::event::TICK * 10,
        )));
        let frames = frames_drawn_by(kiosk, vec![AppEvent::Tick; 25], true).await;
        assert_eq!(frames, 1 + 2);
    }

    #[tokio::test]
    async fn a_spinner_turns_a_few_times_a_second_not_at_every_tick() {
        let mut waiting = App::new("Duka", Theme::plain());
        // A service call on its way (never answered here): the spinner turns.
        waiting.busy = 1;
        let ticks = 120;
        let frames = frames_drawn_by(waiting, vec![AppEvent::Tick; ticks], true).await;
        let turns = ticks / ANIMATION_TICKS as usize;
        assert!(
            (turns..=turns + 1).contains(&frames),
            "{frames} frames for {ticks} ticks"
        );
    }
}
