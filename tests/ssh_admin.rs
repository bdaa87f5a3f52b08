//! An admin reaches the console over plain OpenSSH, as the README sets it up: an sshd of its
//! own on a loopback port, key-only, the key's authorized_keys line forcing the app with
//! `restrict,pty,command=…`. The test logs in with `ssh -tt`, adjusts stock in the admin
//! console, starts another change and drops the connection half-way: the first change is
//! there exactly once, the second left nothing, and the app on the server has gone.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::pty::{database_url, spawn};
use common::ssh::{Background, client_args, free_port, keygen, wait_listening};
use common::*;
use portable_pty::CommandBuilder;
use sqlx::PgPool;

const SSHD: &str = "/usr/sbin/sshd";

/// Writes the host key, the client key and the forced-command authorized_keys, then starts
/// sshd and waits until it accepts connections.
fn start_sshd(dir: &Path, port: u16, forced: &str) -> Background {
    assert!(
        Path::new(SSHD).exists(),
        "{SSHD} is missing: run scripts/test.sh, which installs openssh-server"
    );
    keygen(&dir.join("host_key"));
    keygen(&dir.join("client_key"));
    let public = std::fs::read_to_string(dir.join("client_key.pub")).unwrap();
    std::fs::write(
        dir.join("authorized_keys"),
        format!("restrict,pty,command=\"{forced}\" {public}"),
    )
    .unwrap();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\n\
         AuthorizedKeysFile {dir}/authorized_keys\nPidFile {dir}/sshd.pid\n\
         PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nLogLevel ERROR\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("sshd_config"), config).unwrap();
    // Privilege separation needs this directory when sshd runs as root.
    let _ = std::fs::create_dir_all("/run/sshd");
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stdout(Stdio::null())
        .spawn()
        .expect("start sshd");
    wait_listening(port, "sshd");
    Background(child)
}

fn user() -> String {
    let output = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Processes still running the app with this test's config file.
fn app_processes(config: &Path) -> usize {
    let output = Command::new("pgrep")
        .arg("-f")
        .arg(config)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).lines().count()
}

fn admin_over_ssh(dir: PathBuf, home: PathBuf, url: String) {
    let port = free_port();
    let config = dir.join("bytemtaani.toml");
    std::fs::write(&config, format!("[database]\nurl = \"{url}\"\n")).unwrap();
    let forced = format!(
        "env HOME={} NO_COLOR=1 {} --config {}",
        home.display(),
        env!("CARGO_BIN_EXE_bytemtaani"),
        config.display()
    );
    let _sshd = start_sshd(&dir, port, &forced);
    let mut ssh = CommandBuilder::new("ssh");
    ssh.arg("-tt");
    ssh.args(client_args(port, &dir.join("client_key")));
    ssh.arg(format!("{}@127.0.0.1", user()));
    // The client asks for a shell; the key's forced command runs the app instead.
    ssh.arg("bash");
    ssh.env("TERM", "xterm-256color");
    let (mut screen, mut child) = spawn(ssh);

    screen.wait_for("Log in");
    for field in ["admin", "\t", PASSWORD, "\r"] {
        screen.send(field);
    }
    screen.wait_for("Welcome, admin (admin)");
    screen.send("5");
    screen.wait_for("Low stock");
    for _ in 0..3 {
        screen.send("\t"); // Payments, Alerts, Products
    }
    screen.wait_for("Radio");
    screen.send("+");
    screen.wait_for("Stock of Radio: 5 now");
    screen.send("12\r");
    screen.wait_for("Stock is now 17.");
    // A second change typed but never saved: the connection drops first.
    screen.send("+");
    screen.wait_for("Stock of Radio: 17 now");
    screen.send("-3");
    assert_eq!(app_processes(&config), 1, "the app runs on the server side");
    child.kill().unwrap();
    let _ = child.wait();

    let deadline = Instant::now() + Duration::from_secs(10);
    while app_processes(&config) > 0 {
        assert!(
            Instant::now() < deadline,
            "the app kept running after its connection closed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_admin_over_ssh_changes_stock_and_a_dropped_connection_leaves_nothing_half_done(
    pool: PgPool,
) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 5).await;
    let dir = std::env::temp_dir().join(format!("bytemtaani-ssh-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();

    let (url, session_dir, session_home) = (database_url(&pool), dir.clone(), home.clone());
    tokio::task::spawn_blocking(move || admin_over_ssh(session_dir, session_home, url))
        .await
        .unwrap();

    assert_eq!(stock(&pool, &radio).await, 17);
    assert_eq!(
        count(&pool, "select count(*) from stock_adjustments").await,
        1,
        "exactly the saved change"
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from audit_log where action = 'stock.adjust'"
        )
        .await,
        1
    );
    let open: i64 = count(
        &pool,
        "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
           and state like 'idle in transaction%'",
    )
    .await;
    assert_eq!(open, 0, "no transaction left open by the dropped session");
    std::fs::remove_dir_all(dir).unwrap();
}
