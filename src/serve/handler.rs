//! One SSH connection: key authentication against the registered terminals, one session
//! channel with a pty and a shell, and nothing else (no password, no exec, no subsystem, no
//! forwarding of any kind; russh refuses what is not answered here).

use std::ffi::OsString;
use std::net::SocketAddr;
use std::sync::Arc;

use russh::keys::PublicKey;
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, Pty};
use tokio::sync::mpsc;

use crate::domain::terminal::{Terminal, TerminalKind};
use crate::serve::Shared;
use crate::serve::screen::ClientSize;
use crate::serve::session::{Input, SessionParts, run_session};
use crate::tui::theme::Theme;

/// Key presses waiting for a busy session; past it the connection stops reading from the
/// client (TCP pushes back) rather than queue without end.
const INPUT_QUEUE: usize = 64;

pub struct Connection {
    pub(super) shared: Arc<Shared>,
    pub(super) peer: Option<SocketAddr>,
    /// Freed when the connection ends.
    pub(super) _slot: super::admission::Slot,
    terminal: Option<Terminal>,
    channel: Option<ChannelId>,
    term: Option<String>,
    no_color: Option<OsString>,
    size: ClientSize,
    input: Option<mpsc::Sender<Input>>,
}

impl Connection {
    pub(super) fn new(
        shared: Arc<Shared>,
        peer: Option<SocketAddr>,
        slot: super::admission::Slot,
    ) -> Self {
        Connection {
            shared,
            peer,
            _slot: slot,
            terminal: None,
            channel: None,
            term: None,
            no_color: None,
            size: ClientSize::default(),
            input: None,
        }
    }

    async fn terminal_for(&self, key: &PublicKey) -> Option<Terminal> {
        match self.shared.services.terminals.by_key(key).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(%err, "could not look the key up");
                None
            }
        }
    }

    fn ours(&self, channel: ChannelId) -> bool {
        self.channel == Some(channel)
    }

    /// Starts the app for the terminal's kind on this channel.
    fn start(&mut self, channel: ChannelId, session: &mut Session) {
        let (Some(terminal), Some(term)) = (&self.terminal, &self.term) else {
            return;
        };
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        self.input = Some(tx);
        let theme = Theme::for_terminal(term, self.no_color.as_deref());
        let app = self.shared.app.app(
            theme,
            terminal.kind == TerminalKind::Kiosk,
            terminal.kind.ceiling(),
        );
        tracing::info!(
            terminal = %terminal.name, kind = %terminal.kind, peer = ?self.peer, term,
            size = ?self.size.get(), "session opened"
        );
        let parts = SessionParts {
            services: self.shared.services_for(terminal),
            app,
            handle: session.handle(),
            channel,
            input: rx,
            size: self.size.clone(),
            shutdown: self.shared.shutdown.clone(),
            terminal_id: terminal.id,
            in_use: self.shared.in_use.clone(),
            idle: self.shared.idle,
        };
        tokio::spawn(run_session(parts));
    }
}

/// Refuses a channel request and closes the channel (OpenSSH then says "exec request
/// failed", "shell request failed").
fn refuse(session: &mut Session, channel: ChannelId) -> Result<(), russh::Error> {
    session.channel_failure(channel)?;
    session.close(channel)
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(match self.terminal_for(offer.public_key).await {
            Some(_) => Auth::Accept,
            None => Auth::reject(),
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let Some(terminal) = self.terminal_for(key.public_key).await else {
            tracing::warn!(peer = ?self.peer, user, "refused: key of no terminal in use");
            return Ok(Auth::reject());
        };
        self.terminal = Some(terminal);
        Ok(Auth::Accept)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One terminal, one screen: a second channel on the connection is refused.
        if self.channel.is_none() {
            self.channel = Some(channel.id());
            reply.accept().await;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if !self.ours(channel) || self.input.is_some() {
            return session.channel_failure(channel);
        }
        self.term = Some(term.chars().take(64).collect());
        self.size.set(cols, rows);
        session.channel_success(channel)
    }

    /// Only NO_COLOR is taken from the client's environment.
    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if name != "NO_COLOR" || !self.ours(channel) {
            return session.channel_failure(channel);
        }
        self.no_color = Some(value.chars().take(16).collect::<String>().into());
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if !self.ours(channel) || self.input.is_some() {
            return session.channel_failure(channel);
        }
        if self.term.is_none() {
            tracing::warn!(peer = ?self.peer, "refused: a shell without a terminal (ssh -T)");
            return refuse(session, channel);
        }
        session.channel_success(channel)?;
        self.start(channel, session);
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        tracing::warn!(peer = ?self.peer, "refused: exec");
        refuse(session, channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        tracing::warn!(peer = ?self.peer, name, "refused: subsystem");
        refuse(session, channel)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _protocol: &str,
        _cookie: &str,
        _screen: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let (true, Some(input)) = (self.ours(channel), &self.input) {
            // Waits while the session is behind: the client is read no faster than it is served.
            let _ = input.send(Input::Bytes(data.to_vec())).await;
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.ours(channel) {
            self.size.set(cols, rows);
            if let Some(input) = &self.input {
                let _ = input.send(Input::Resize).await;
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.ours(channel) {
            self.input = None; // the session's keys end, and so does the session
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.ours(channel) {
            self.input = None;
        }
        Ok(())
    }
}
