//! `bytemtaani serve` driven from outside with OpenSSH's own `ssh` client, as a shop's
//! terminals use it: the server runs on a loopback port against a fresh database, terminals
//! are registered by key, and each session is read back through a terminal emulator.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bytemtaani::domain::terminal::TerminalKind;
use bytemtaani::domain::user::Role;
use common::pty::{Screen, database_url, spawn};
use common::ssh::{client_args, free_port, keygen, wait_listening};
use common::*;
use portable_pty::CommandBuilder;
use sqlx::PgPool;

/// The server in the background; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    /// Where it receives M-Pesa callbacks.
    callbacks: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path, url: &str) -> Server {
    let config = dir.join("server.toml");
    let settings = format!(
        "[server]\nhost_key = \"{}\"\n",
        dir.join("host_key").display()
    );
    std::fs::write(&config, settings).unwrap();
    let (port, callbacks) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_bytemtaani"))
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--callbacks", &format!("127.0.0.1:{callbacks}")])
        .env("DATABASE_URL", url)
        .env("HOME", dir.join("home"))
        .env_remove("XDG_DATA_HOME")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the server");
    wait_listening(port, "serve");
    Server {
        child,
        port,
        callbacks,
    }
}

/// The status line of a text/plain POST to the server's callback receiver.
fn post_plain_callback(port: u16) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(
            b"POST /mpesa/callback HTTP/1.1\r\nHost: shop\r\nContent-Type: text/plain\r\n\
              Content-Length: 2\r\nConnection: close\r\n\r\n{}",
        )
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

/// A terminal's session in a PTY, as a kiosk or till runs it: `ssh -t -i KEY kiosk@server`.
fn session(port: u16, key: &Path) -> (Screen, Box<dyn portable_pty::Child + Send + Sync>) {
    let mut ssh = CommandBuilder::new("ssh");
    ssh.arg("-tt");
    ssh.args(client_args(port, key));
    ssh.arg("terminal@127.0.0.1");
    ssh.env("TERM", "xterm-256color");
    spawn(ssh)
}

/// `ssh` without a terminal of its own, with `options` and a `command`.
fn ssh_plain(port: u16, key: &Path, options: &[&str], command: &[&str]) -> Output {
    Command::new("ssh")
        .args(client_args(port, key))
        .args(options)
        .arg("terminal@127.0.0.1")
        .args(command)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// What comes back through `ssh -L` to the database port (PostgreSQL answers an SSL request
/// with one byte): nothing, when the server refuses to open the forwarded channel.
fn local_forward_answers(port: u16, key: &Path) -> String {
    use std::io::{Read, Write};
    let local = free_port();
    let mut ssh = Command::new("ssh")
        .args(client_args(port, key))
        .args(["-N", "-L", &format!("{local}:127.0.0.1:5432")])
        .arg("terminal@127.0.0.1")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", local)) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(err) => panic!("ssh -L never listened: {err}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // A PostgreSQL SSL request: a database would answer one byte.
    let _ = stream.write_all(&[0, 0, 0, 8, 4, 210, 22, 47]);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    ssh.kill().unwrap();
    let _ = ssh.wait();
    String::from_utf8_lossy(&answer).into_owned()
}

fn exits_within(child: &mut Box<dyn portable_pty::Child + Send + Sync>, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn log_in(screen: &mut Screen, username: &str) {
    screen.wait_for("Log in");
    for field in [username, "\t", PASSWORD, "\r"] {
        screen.send(field);
    }
}

fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "waited 10 s for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tab_bar(screen: &mut Screen) -> String {
    screen.text().lines().next().unwrap_or_default().to_owned()
}

struct Keys {
    dir: PathBuf,
}

impl Keys {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn terminals_over_ssh(dir: PathBuf, url: String, keys: Keys, sku: String) {
    let server = start_server(&dir, &url);
    let port = server.port;
    // The same process receives M-Pesa callbacks (it alone holds the providers' credentials).
    assert_eq!(
        post_plain_callback(server.callbacks),
        "HTTP/1.1 415 Unsupported Media Type"
    );

    // A kiosk: customer screens only, staff names refused at its login.
    let (mut kiosk, mut kiosk_ssh) = session(port, &keys.path("kiosk"));
    kiosk.wait_for("Customers log in here; staff at a till.");
    log_in(&mut kiosk, "wanjiku");
    kiosk.wait_for("Welcome, wanjiku (customer)");
    let tabs = tab_bar(&mut kiosk);
    assert!(!tabs.contains("Till") && !tabs.contains("Admin"), "{tabs}");

    // A till: an admin logging in there gets the till, never the console; a scan sells.
    let (mut till, mut till_ssh) = session(port, &keys.path("till"));
    log_in(&mut till, "admin");
    till.wait_for("Welcome, admin (admin)");
    till.wait_for("Scan or type SKU");
    let tabs = tab_bar(&mut till);
    assert!(tabs.contains("Till") && !tabs.contains("Admin"), "{tabs}");
    till.send(&format!("{sku}\r"));
    till.wait_for("1 × Radio");

    // An admin terminal opens the console.
    let (mut console, mut console_ssh) = session(port, &keys.path("admin"));
    log_in(&mut console, "admin");
    console.wait_for("Low stock");
    // Its window grows: the server draws again at the new size (the tab bar, whose shop name
    // sits at the right edge, is as wide as the window).
    console.resize(40, 120);
    wait_until(
        || tab_bar(&mut console).chars().count() == 120,
        "a redraw at 120 columns",
    );

    // The kiosk was untouched by the others; its customer gets as far as checking out
    // when the connection drops (the test checks the cart is kept, no order half-made).
    kiosk.send("/");
    kiosk.send("radio");
    kiosk.wait_for("1 found");
    kiosk.send("\r");
    kiosk.send("a");
    kiosk.wait_for("Added 1 to the cart.");
    kiosk.send("2");
    kiosk.wait_for("Line total");
    kiosk.send("c");
    kiosk.wait_for("Check out");

    kiosk_ssh.kill().unwrap();
    let _ = kiosk_ssh.wait();

    // Revoking the till ends its open session within seconds, its screen put back.
    let revoke = Command::new(env!("CARGO_BIN_EXE_bytemtaani"))
        .args(["terminal", "revoke", "--name", "till-1", "--by", "admin"])
        .env("DATABASE_URL", &url)
        .env("HOME", dir.join("home"))
        .output()
        .unwrap();
    assert!(revoke.status.success(), "{revoke:?}");
    assert!(
        exits_within(&mut till_ssh, Duration::from_secs(15)),
        "the revoked till's session stayed open"
    );
    assert_eq!(till.left_dirty(), (false, false));

    // Refused: a key of no terminal, a revoked terminal's, a command, no terminal.
    for key in ["stranger", "revoked"] {
        let out = ssh_plain(port, &keys.path(key), &["-tt"], &[]);
        assert!(!out.status.success(), "{key} got in");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("Permission denied"), "{key}: {said}");
    }
    let out = ssh_plain(port, &keys.path("kiosk"), &[], &["id"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exec request failed"),
        "{out:?}"
    );
    let out = ssh_plain(port, &keys.path("kiosk"), &["-T"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shell request failed"),
        "{out:?}"
    );
    let out = ssh_plain(port, &keys.path("kiosk"), &["-s"], &["sftp"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("subsystem request failed"),
        "{out:?}"
    );
    let out = ssh_plain(
        port,
        &keys.path("kiosk"),
        &[
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-R",
            "0:127.0.0.1:5432",
        ],
        &[],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("remote port forwarding failed"),
        "{out:?}"
    );
    assert_eq!(local_forward_answers(port, &keys.path("kiosk")), "");

    // SIGTERM: the console's session is told and closed, then the server exits cleanly.
    let mut server = server;
    let term = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(exits_within(&mut console_ssh, Duration::from_secs(15)));
    assert_eq!(
        console.left_dirty(),
        (false, false),
        "the console's terminal is back: main screen, cursor shown"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn each_terminal_opens_what_its_key_allows_and_nothing_else_gets_in(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 5).await;
    login_as(&s, "wanjiku", Role::Customer).await;

    let dir = std::env::temp_dir().join(format!("bytemtaani-serve-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("home")).unwrap();
    let keys = Keys { dir: dir.clone() };
    for (name, kind) in [
        ("kiosk", Some(TerminalKind::Kiosk)),
        ("till", Some(TerminalKind::Till)),
        ("admin", Some(TerminalKind::Admin)),
        ("revoked", Some(TerminalKind::Till)),
        ("stranger", None),
    ] {
        let public = keygen(&keys.path(name));
        if let Some(kind) = kind {
            s.terminals
                .add("admin", &format!("{name}-1"), kind, &public)
                .await
                .unwrap();
        }
    }
    s.terminals.revoke("admin", "revoked-1").await.unwrap();

    let (url, run_dir) = (database_url(&pool), dir.clone());
    tokio::task::spawn_blocking(move || terminals_over_ssh(run_dir, url, keys, radio.sku))
        .await
        .unwrap();

    let audited = count(
        &pool,
        "select count(*) from audit_log where action in ('terminal.add', 'terminal.revoke')",
    )
    .await;
    assert_eq!(audited, 6, "four added, two revoked");
    assert_eq!(count(&pool, "select count(*) from cart_items").await, 1);
    assert_eq!(count(&pool, "select count(*) from orders").await, 0);
    let open = count(
        &pool,
        "select count(*) from pg_stat_activity where datname = current_database()
           and state like 'idle in transaction%'",
    )
    .await;
    assert_eq!(open, 0, "no transaction left open by the dropped sessions");
    std::fs::remove_dir_all(dir).unwrap();
}
