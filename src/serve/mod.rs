//! `bytemtaani serve`: one SSH server for the whole shop. Every kiosk, till and console is an
//! SSH client whose registered key decides what its session may open; each session runs
//! its own App over the one pool of this process. The clients hold no credentials at all.

mod admission;
mod handler;
pub mod keys;
pub mod screen;
mod session;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};
use russh::keys::{Algorithm, HashAlg, PrivateKey};
use russh::server::Config;
use russh::{MethodKind, MethodSet};
use tokio::net::TcpListener;
use tokio::sync::watch;
use uuid::Uuid;

use crate::domain::terminal::Terminal;
use crate::serve::admission::Admission;
use crate::service::Services;
use crate::service::auth::TerminalCounters;
use crate::tui::app::AppSetup;

/// Test builds only (feature `fault-injection`): a client that sends exactly these bytes
/// makes its own session panic, which shows that a panic ends that session alone.
#[cfg(feature = "fault-injection")]
pub const PANIC_BYTES: &[u8] = b"\x1b[bytemtaani-panic]";

/// What every session shares.
pub(crate) struct Shared {
    services: Services,
    app: AppSetup,
    /// Per terminal key, whatever the number of its sessions (logins, accounts made).
    counters: Mutex<HashMap<Uuid, TerminalCounters>>,
    shutdown: watch::Receiver<bool>,
    /// The terminals in use, looked up every few seconds.
    in_use: watch::Receiver<HashSet<Uuid>>,
    idle: Duration,
}

impl Shared {
    fn services_for(&self, terminal: &Terminal) -> Services {
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let limits = *self.services.auth.limits();
        let counters = counters
            .entry(terminal.id)
            .or_insert_with(|| TerminalCounters::new(&limits));
        self.services
            .at_terminal(terminal.kind.into(), counters.clone())
    }
}

pub struct Limits {
    pub max_sessions: usize,
    pub max_per_source: usize,
    pub new_per_minute: usize,
    pub idle: Duration,
}

/// The server's host key from `path`, made there (mode 0600) the first time.
pub fn host_key(path: &Path) -> Result<PrivateKey> {
    if path.exists() {
        return PrivateKey::read_openssh_file(path)
            .with_context(|| format!("reading the host key {}", path.display()));
    }
    let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let pem = key.to_openssh(russh::keys::ssh_key::LineEnding::LF)?;
    write_private(path, pem.as_bytes())
        .with_context(|| format!("writing the host key {}", path.display()))?;
    Ok(key)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

fn ssh_config(key: PrivateKey, limits: &Limits) -> Config {
    Config {
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        keys: vec![key],
        auth_rejection_time: Duration::from_secs(1),
        // OpenSSH asks with "none" first; answering that at once wastes nobody's time.
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: 6,
        inactivity_timeout: Some(limits.idle + Duration::from_secs(60)),
        keepalive_interval: Some(Duration::from_secs(30)),
        nodelay: true,
        ..Config::default()
    }
}

/// Serves every terminal on `listener` until `stop` resolves (SIGTERM, Ctrl+C): then every
/// session is told, finishes its work in flight and ends, and this returns.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    app: AppSetup,
    key: PrivateKey,
    limits: Limits,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    let config = Arc::new(ssh_config(key, &limits));
    let (tell, shutdown) = watch::channel(false);
    let in_use = watch_terminals_in_use(&services).await?;
    let shared = Arc::new(Shared {
        services,
        app,
        counters: Mutex::default(),
        shutdown,
        in_use,
        idle: limits.idle,
    });
    let doors = Admission::new(
        limits.max_sessions,
        limits.max_per_source,
        limits.new_per_minute,
    );
    tokio::pin!(stop);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Some(slot) = doors.admit(peer.ip()) else {
            tracing::warn!(%peer, "turned away: too many sessions or connections from there");
            continue;
        };
        let handler = handler::Connection::new(shared.clone(), Some(peer), slot);
        let config = config.clone();
        tokio::spawn(async move {
            match russh::server::run_stream(config, socket, handler).await {
                Ok(connection) => {
                    if let Err(err) = connection.await {
                        tracing::debug!(%err, %peer, "connection ended");
                    }
                }
                Err(err) => tracing::debug!(%err, %peer, "handshake failed"),
            }
        });
    }
    let _ = tell.send(true);
    // Every session gives its place back once it has finished and closed.
    doors.all_closed(Duration::from_secs(10)).await;
    Ok(())
}

/// How often the server looks for revoked terminals, whose open sessions then end.
const REVOKED_CHECK: Duration = Duration::from_secs(5);

async fn watch_terminals_in_use(services: &Services) -> Result<watch::Receiver<HashSet<Uuid>>> {
    let terminals = services.terminals.clone();
    let (tell, in_use) = watch::channel(terminals.in_use().await?);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(REVOKED_CHECK) => {}
                () = tell.closed() => return,
            }
            match terminals.in_use().await {
                Ok(ids) => {
                    tell.send_if_modified(|old| std::mem::replace(old, ids.clone()) != ids);
                }
                Err(err) => tracing::warn!(%err, "could not look for revoked terminals"),
            }
        }
    });
    Ok(in_use)
}
