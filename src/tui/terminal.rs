//! The real terminal: raw mode, the alternate screen, crossterm's event stream and a tick.
//! `ratatui::init` installs a panic hook that restores the terminal before the panic message.

use crossterm::event::EventStream;
use futures::StreamExt;
use tokio_stream::wrappers::IntervalStream;

use crate::service::Services;
use crate::tui::app::App;
use crate::tui::event::{AppEvent, TICK, from_crossterm};
use crate::tui::run::run;
use crate::tui::scanner::keys_and_scans;

/// Raw mode and the alternate screen, with ratatui's panic hook: a panic anywhere after this
/// restores the terminal before its message is printed.
pub fn enter() -> std::io::Result<ratatui::DefaultTerminal> {
    ratatui::try_init()
}

pub async fn run_in_terminal(services: Services, app: App) -> anyhow::Result<()> {
    let mut terminal = enter().map_err(|err| {
        ratatui::restore();
        anyhow::anyhow!("the app needs a terminal (run it in one, or over ssh -t): {err}")
    })?;
    let keys =
        EventStream::new().filter_map(|event| async move { event.ok().and_then(from_crossterm) });
    let keys = keys_and_scans(Box::pin(keys), app.takes_scans());
    let ticks = IntervalStream::new(tokio::time::interval(TICK)).map(|_| AppEvent::Tick);
    let events = futures::stream::select(keys, ticks);
    let result = run(&mut terminal, Box::pin(events), services, app).await;
    ratatui::restore();
    result.map(|_| ())
}
