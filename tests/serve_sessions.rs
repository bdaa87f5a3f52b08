//! Many sessions on one shop server: 50 kiosks logged in and searching at once, each a real
//! SSH client (russh) reading its screen through a terminal emulator, while PostgreSQL
//! counts the server's connections: never more than its pool and the one LISTEN.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytemtaani::domain::terminal::TerminalKind;
use bytemtaani::domain::user::Role;
use common::pty::database_url;
use common::ssh::{Background, free_port};
use common::*;
use russh::keys::{Algorithm, PrivateKey, PrivateKeyWithHashAlg};
use russh::{ChannelMsg, client};
use sqlx::PgPool;

const SESSIONS: usize = 50;
/// The server's pool (database.max_connections, its default).
const POOL: i64 = 6;
/// Each test's server names its connections apart (tests run side by side).
const APP_NAME: &str = "bytemtaani-serve-test";

struct Trusting;

impl client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One kiosk's SSH session and what its screen shows.
struct Kiosk {
    channel: russh::Channel<client::Msg>,
    screen: vt100::Parser,
    _handle: client::Handle<Trusting>,
}

impl Kiosk {
    async fn open(port: u16, key: Arc<PrivateKey>) -> Kiosk {
        let config = Arc::new(client::Config::default());
        let mut handle = client::connect(config, ("127.0.0.1", port), Trusting)
            .await
            .expect("connect");
        let auth = handle
            .authenticate_publickey("kiosk", PrivateKeyWithHashAlg::new(key, None))
            .await
            .unwrap();
        assert!(auth.success(), "the kiosk key is refused");
        let channel = handle.channel_open_session().await.unwrap();
        channel
            .request_pty(false, "xterm", 100, 30, 0, 0, &[])
            .await
            .unwrap();
        channel.request_shell(false).await.unwrap();
        Kiosk {
            channel,
            screen: vt100::Parser::new(30, 100, 0),
            _handle: handle,
        }
    }

    async fn wait_for(&mut self, wanted: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.screen.screen().contents().contains(wanted) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.channel.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => self.screen.process(&data),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => panic!(
                    "waited for {wanted:?}; the screen shows:\n{}",
                    self.screen.screen().contents()
                ),
            }
        }
    }

    /// Typed a key at a time, at a person's pace.
    async fn type_slowly(&mut self, text: &str) {
        for c in text.chars() {
            self.channel
                .data_bytes(c.to_string().into_bytes())
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    }
}

fn start_server(url: &str, dir: &std::path::Path, port: u16) -> Background {
    let config = dir.join("server.toml");
    let settings = format!(
        "[server]\nhost_key = \"{}\"\nmax_per_source = {}\nnew_per_minute = {1}\n",
        dir.join("host_key").display(),
        SESSIONS + 10
    );
    std::fs::write(&config, settings).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_bytemtaani"))
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env(
            "DATABASE_URL",
            format!("{url}?application_name={APP_NAME}-{port}"),
        )
        .env("HOME", dir.join("home"))
        .env_remove("XDG_DATA_HOME")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the server");
    Background(child)
}

async fn server_connections(pool: &PgPool, port: u16) -> i64 {
    sqlx::query_scalar("select count(*) from pg_stat_activity where application_name = $1")
        .bind(format!("{APP_NAME}-{port}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A shop server on a free port with one registered kiosk key, its customer and a product.
struct ShopServer {
    port: u16,
    key: Arc<PrivateKey>,
    dir: std::path::PathBuf,
    _server: Background,
}

impl ShopServer {
    async fn start(pool: &PgPool) -> ShopServer {
        let s = services(pool);
        let (admin, phones) = shop(&s).await;
        product(&s, &admin, &phones, "Radio", "1500", 5).await;
        login_as(&s, "wanjiku", Role::Customer).await;
        let key = Arc::new(PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap());
        let public = key.public_key().to_openssh().unwrap();
        s.terminals
            .add("admin", "kiosk-1", TerminalKind::Kiosk, &public)
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!("bytemtaani-serve-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let port = free_port();
        let server = start_server(&database_url(pool), &dir, port);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "serve did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ShopServer {
            port,
            key,
            dir,
            _server: server,
        }
    }

    /// A kiosk's session, logged in as the shop's customer.
    async fn logged_in_kiosk(&self) -> Kiosk {
        let mut kiosk = Kiosk::open(self.port, self.key.clone()).await;
        kiosk.wait_for("Log in").await;
        kiosk
            .channel
            .data_bytes(format!("wanjiku\t{PASSWORD}\r").into_bytes())
            .await
            .unwrap();
        kiosk.wait_for("Welcome, wanjiku").await;
        kiosk
    }
}

impl Drop for ShopServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn fifty_kiosks_logged_in_and_searching_share_the_pool_and_one_listener(pool: PgPool) {
    let server = Arc::new(ShopServer::start(&pool).await);
    let mut kiosks = Vec::new();
    for _ in 0..SESSIONS {
        let server = server.clone();
        kiosks.push(tokio::spawn(async move {
            let mut kiosk = server.logged_in_kiosk().await;
            kiosk.type_slowly("/radio").await;
            kiosk.wait_for("1 found").await;
            kiosk
        }));
    }
    let mut open = Vec::new();
    let mut most = 0;
    for kiosk in kiosks {
        open.push(kiosk.await.unwrap());
        most = most.max(server_connections(&pool, server.port).await);
    }
    let now = server_connections(&pool, server.port).await;
    assert!(
        most.max(now) <= POOL + 1,
        "{SESSIONS} sessions held {} connections (pool {POOL} + 1 listener)",
        most.max(now)
    );
    assert_eq!(open.len(), SESSIONS);
}

/// A session that panics ends alone: its client gets its terminal back (main screen,
/// cursor) and an exit status, while the sessions beside it keep searching and new ones
/// still log in.
#[cfg(feature = "fault-injection")]
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_panic_in_one_session_ends_that_session_alone(pool: PgPool) {
    let server = ShopServer::start(&pool).await;
    let mut first = server.logged_in_kiosk().await;
    let mut doomed = server.logged_in_kiosk().await;
    let mut third = server.logged_in_kiosk().await;

    doomed
        .channel
        .data_bytes(bytemtaani::serve::PANIC_BYTES.to_vec())
        .await
        .unwrap();
    let (mut last_bytes, mut status) = (Vec::new(), None);
    loop {
        match tokio::time::timeout(Duration::from_secs(20), doomed.channel.wait()).await {
            Ok(Some(ChannelMsg::Data { data })) => last_bytes.extend_from_slice(&data),
            Ok(Some(ChannelMsg::ExitStatus { exit_status })) => status = Some(exit_status),
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => panic!("the panicked session's channel stayed open"),
        }
    }
    assert_eq!(status, Some(2), "a panicked session exits with status 2");
    let restored = String::from_utf8_lossy(&last_bytes);
    assert!(
        restored.ends_with("\x1b[0m\x1b[?25h\x1b[?1049l"),
        "the client's terminal is not given back: {restored:?}"
    );

    for kiosk in [&mut first, &mut third] {
        kiosk.type_slowly("/radio").await;
        kiosk.wait_for("1 found").await;
    }
    let mut later = server.logged_in_kiosk().await;
    later.type_slowly("/radio").await;
    later.wait_for("1 found").await;
}
