//! Drawing into an SSH channel. crossterm's escape sequences are collected while a frame is
//! drawn and sent to the client once it is done; the size is the client's (from its pty and
//! window changes), never the server's own terminal. Nothing is sent for a frame that
//! changed nothing, so an idle session costs no bytes.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::sync::Notify;

/// The most bytes waiting for a client that does not read; past it the session ends rather
/// than let one stalled client grow the server's memory.
pub const MAX_BACKLOG: usize = 512 * 1024;

/// The biggest screen a session may have: a client asking for more is drawn at this size
/// (a 65535×65535 screen would take gigabytes).
pub const MAX_COLS: u16 = 400;
pub const MAX_ROWS: u16 = 200;

/// The client's screen size, set by the connection and read when a frame is drawn.
#[derive(Debug, Clone, Default)]
pub struct ClientSize(Arc<AtomicU32>);

impl ClientSize {
    pub fn set(&self, cols: u32, rows: u32) {
        let cols = cols.clamp(1, u32::from(MAX_COLS));
        let rows = rows.clamp(1, u32::from(MAX_ROWS));
        self.0.store(cols << 16 | rows, Ordering::Relaxed);
    }

    pub fn get(&self) -> Size {
        let packed = self.0.load(Ordering::Relaxed);
        Size::new((packed >> 16) as u16, (packed & 0xffff) as u16)
    }
}

/// Bytes on their way to the client, shared by the drawing session and the task that sends
/// them, which wakes on `ready` and takes everything written since.
#[derive(Debug, Default)]
pub struct Outbox {
    bytes: Mutex<Vec<u8>>,
    pub ready: Notify,
    /// The session's last bytes are in: nothing more comes.
    closed: AtomicBool,
}

impl Outbox {
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.bytes.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The session's last bytes (what restores the client's terminal), whatever the backlog.
    pub fn finish(&self, last: &[u8]) {
        let mut bytes = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        bytes.extend_from_slice(last);
        self.closed.store(true, Ordering::SeqCst);
        drop(bytes);
        self.ready.notify_one();
    }

    /// True once [`Outbox::finish`] ran: what is taken after this is the end.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn push(&self, frame: &[u8]) -> io::Result<()> {
        let mut bytes = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        if bytes.len() + frame.len() > MAX_BACKLOG {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client stopped reading",
            ));
        }
        bytes.extend_from_slice(frame);
        drop(bytes);
        self.ready.notify_one();
        Ok(())
    }
}

/// What crossterm writes, held until flushed into the outbox.
pub struct Writer {
    frame: Vec<u8>,
    outbox: Arc<Outbox>,
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.frame.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.frame.is_empty() {
            return Ok(());
        }
        let result = self.outbox.push(&self.frame);
        self.frame.clear();
        result
    }
}

pub struct ChannelBackend {
    inner: CrosstermBackend<Writer>,
    size: ClientSize,
    /// What the client's cursor is known to be, so an unchanged frame sends nothing.
    cursor_hidden: Option<bool>,
    cursor_at: Option<Position>,
}

impl ChannelBackend {
    pub fn new(outbox: Arc<Outbox>, size: ClientSize) -> ChannelBackend {
        let writer = Writer {
            frame: Vec::new(),
            outbox,
        };
        ChannelBackend {
            inner: CrosstermBackend::new(writer),
            size,
            cursor_hidden: None,
            cursor_at: None,
        }
    }

    /// Bytes written outside a frame (entering and leaving the alternate screen).
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        Write::flush(&mut self.inner)
    }
}

impl Backend for ChannelBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        self.cursor_at = None; // drawing moves the cursor
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.cursor_hidden == Some(true) {
            return Ok(());
        }
        self.cursor_hidden = Some(true);
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.cursor_hidden == Some(false) {
            return Ok(());
        }
        self.cursor_hidden = Some(false);
        self.inner.show_cursor()
    }

    /// Never asked of the client (that would wait on its answer): where it was put last.
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor_at.unwrap_or_default())
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        if self.cursor_at == Some(position) {
            return Ok(());
        }
        self.cursor_at = Some(position);
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.cursor_at = None;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.cursor_at = None;
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.size.get())
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size.get(),
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::widgets::Paragraph;

    use super::*;

    fn screen(cols: u32, rows: u32) -> (Terminal<ChannelBackend>, Arc<Outbox>, ClientSize) {
        let (outbox, size) = (Arc::new(Outbox::default()), ClientSize::default());
        size.set(cols, rows);
        let backend = ChannelBackend::new(outbox.clone(), size.clone());
        (Terminal::new(backend).unwrap(), outbox, size)
    }

    fn draw(terminal: &mut Terminal<ChannelBackend>, text: &str) {
        terminal
            .draw(|frame| frame.render_widget(Paragraph::new(text), frame.area()))
            .unwrap();
    }

    #[test]
    fn a_frame_that_changed_nothing_sends_nothing() {
        let (mut terminal, outbox, _) = screen(40, 10);
        draw(&mut terminal, "Karibu");
        assert!(String::from_utf8_lossy(&outbox.take()).contains("Karibu"));
        draw(&mut terminal, "Karibu");
        assert!(outbox.take().is_empty(), "an unchanged frame sent bytes");
        draw(&mut terminal, "Karibu!");
        let changed = outbox.take();
        assert!(!changed.is_empty() && changed.len() < 40, "{changed:?}");
    }

    #[test]
    fn the_frame_is_the_clients_size_clamped_and_follows_a_resize() {
        let (mut terminal, _outbox, size) = screen(120, 40);
        draw(&mut terminal, "x");
        assert_eq!(terminal.get_frame().area().width, 120);
        size.set(65535, 65535);
        draw(&mut terminal, "x");
        let area = terminal.get_frame().area();
        assert_eq!((area.width, area.height), (MAX_COLS, MAX_ROWS));
    }

    #[test]
    fn a_client_that_stops_reading_ends_its_session_instead_of_growing_memory() {
        let (mut terminal, _outbox, _) = screen(200, 100);
        let failed = (0..1000).find_map(|i| {
            terminal
                .draw(|frame| {
                    frame.render_widget(Paragraph::new(format!("{i}").repeat(4000)), frame.area())
                })
                .err()
        });
        assert!(failed.is_some(), "the backlog grew without end");
    }
}
