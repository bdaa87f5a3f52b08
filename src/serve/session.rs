//! One terminal's session on the shop server: its own App and screen, fed by the bytes its
//! SSH channel brings, running the same loop as a local terminal. A panic ends this session
//! only (tokio keeps it in its task); whatever way it ends, the client's terminal is put
//! back as it was and the channel closed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_stream::wrappers::IntervalStream;
use uuid::Uuid;

use crate::serve::keys::KeyParser;
use crate::serve::screen::{ChannelBackend, ClientSize, Outbox};
use crate::service::Services;
use crate::tui::app::App;
use crate::tui::event::{AppEvent, TICK};
use crate::tui::run::run;
use crate::tui::scanner::keys_and_scans;

/// What the connection passes to its session.
#[derive(Debug)]
pub enum Input {
    Bytes(Vec<u8>),
    /// The client's window changed size (the new size is already in `ClientSize`).
    Resize,
}

/// How long a lone Esc waits for the rest of a key before it counts as Esc.
const ESC_WAIT: Duration = Duration::from_millis(30);

/// The alternate screen, cleared, cursor hidden; and back.
const ENTER: &[u8] = b"\x1b[?1049h\x1b[2J\x1b[?25l";
const LEAVE: &[u8] = b"\x1b[0m\x1b[?25h\x1b[?1049l";
/// How long a session's last frames and the restore may take to go out before it closes
/// anyway (a client that stopped reading).
const LAST_BYTES_WAIT: Duration = Duration::from_secs(5);

pub struct SessionParts {
    pub services: Services,
    pub app: App,
    pub handle: Handle,
    pub channel: ChannelId,
    pub input: mpsc::Receiver<Input>,
    pub size: ClientSize,
    pub shutdown: watch::Receiver<bool>,
    /// The session's terminal, and the terminals in use: a revoked one's session ends.
    pub terminal_id: Uuid,
    pub in_use: watch::Receiver<HashSet<Uuid>>,
    pub idle: Duration,
}

/// Runs the session to its end, then restores the client's terminal and closes the channel.
pub async fn run_session(parts: SessionParts) {
    let (handle, channel) = (parts.handle.clone(), parts.channel);
    let outbox = Arc::new(Outbox::default());
    let sender = tokio::spawn(send_frames(outbox.clone(), handle.clone(), channel));
    let ended = tokio::spawn(draw_app(parts, outbox.clone())).await;
    let status = match ended {
        Ok(Ok(())) => 0,
        Ok(Err(err)) => {
            tracing::warn!(%err, "session ended by an error");
            1
        }
        Err(panic) => {
            tracing::error!(%panic, "session panicked; the others carry on");
            2
        }
    };
    // The sender goes on to the end, the restore last: cut in the middle of a send, the
    // client's terminal could be left inside an escape sequence that swallows the restore.
    outbox.finish(LEAVE);
    let mut sender = sender;
    if tokio::time::timeout(LAST_BYTES_WAIT, &mut sender)
        .await
        .is_err()
    {
        sender.abort();
    }
    let _ = handle.exit_status_request(channel, status).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

async fn draw_app(parts: SessionParts, outbox: Arc<Outbox>) -> anyhow::Result<()> {
    let mut backend = ChannelBackend::new(outbox, parts.size);
    backend.send(ENTER)?;
    let mut terminal = Terminal::new(backend)?;
    let ends = Ends {
        shutdown: parts.shutdown,
        terminal_id: parts.terminal_id,
        in_use: parts.in_use,
    };
    let scans = parts.app.takes_scans();
    let events = session_events(parts.input, ends, parts.idle, scans);
    run(&mut terminal, Box::pin(events), parts.services, parts.app).await?;
    Ok(())
}

/// Sends what was drawn as it becomes ready, a frame (or several, coalesced) at a time,
/// until the outbox's last bytes are out.
async fn send_frames(outbox: Arc<Outbox>, handle: Handle, channel: ChannelId) {
    loop {
        outbox.ready.notified().await;
        // Read before taking: once closed, this take holds everything left.
        let last = outbox.is_closed();
        let bytes = outbox.take();
        if !bytes.is_empty() && handle.data(channel, bytes).await.is_err() {
            return;
        }
        if last {
            return;
        }
    }
}

/// What ends a session besides its client: the server shutting down, its terminal revoked.
struct Ends {
    shutdown: watch::Receiver<bool>,
    terminal_id: Uuid,
    in_use: watch::Receiver<HashSet<Uuid>>,
}

impl Ends {
    async fn reached(&mut self) {
        let id = self.terminal_id;
        tokio::select! {
            _ = self.shutdown.wait_for(|stop| *stop) => {}
            _ = self.in_use.wait_for(|ids| !ids.contains(&id)) => {
                tracing::warn!(terminal = %id, "terminal revoked: its session ends");
            }
        }
    }
}

/// The session's events: its keys (scans told apart by the same rule as at a local
/// terminal), window changes and ticks. They end when the client leaves, has typed
/// nothing for `idle`, the server shuts down or the terminal is revoked.
fn session_events(
    input: mpsc::Receiver<Input>,
    ends: Ends,
    idle: Duration,
    scans: bool,
) -> impl Stream<Item = AppEvent> {
    let (ended, on_end) = oneshot::channel::<()>();
    let keys = keys_and_scans(Box::pin(key_events(input, ends, idle, ended)), scans);
    let ticks = IntervalStream::new(tokio::time::interval(TICK)).map(|_| AppEvent::Tick);
    futures::stream::select(keys, ticks).take_until(on_end)
}

struct KeyState {
    input: mpsc::Receiver<Input>,
    ends: Ends,
    parser: KeyParser,
    ready: std::collections::VecDeque<AppEvent>,
    ended: Option<oneshot::Sender<()>>,
}

fn key_events(
    input: mpsc::Receiver<Input>,
    ends: Ends,
    idle: Duration,
    ended: oneshot::Sender<()>,
) -> impl Stream<Item = AppEvent> {
    let state = KeyState {
        input,
        ends,
        parser: KeyParser::default(),
        ready: Default::default(),
        ended: Some(ended),
    };
    futures::stream::unfold(state, move |mut s| async move {
        loop {
            if let Some(event) = s.ready.pop_front() {
                return Some((event, s));
            }
            let wait = if s.parser.waiting() { ESC_WAIT } else { idle };
            let next = tokio::select! {
                next = tokio::time::timeout(wait, s.input.recv()) => next,
                () = s.ends.reached() => Ok(None),
            };
            match next {
                Ok(Some(Input::Bytes(bytes))) => {
                    #[cfg(feature = "fault-injection")]
                    assert!(bytes != super::PANIC_BYTES, "a panic injected by a test");
                    s.ready
                        .extend(s.parser.feed(&bytes).into_iter().map(AppEvent::Key));
                }
                Ok(Some(Input::Resize)) => s.ready.push_back(AppEvent::Resize),
                Err(_) if s.parser.waiting() => {
                    s.ready
                        .extend(s.parser.flush().into_iter().map(AppEvent::Key));
                }
                // The client left or stayed idle too long, the server is stopping, or the
                // terminal was revoked.
                Ok(None) | Err(_) => {
                    if let Some(ended) = s.ended.take() {
                        let _ = ended.send(());
                    }
                    return None;
                }
            }
        }
    })
}
