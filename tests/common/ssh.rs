//! What the SSH tests share: keys made with OpenSSH's ssh-keygen, a free loopback port, and
//! a program in the background that is stopped when the test is done with it.

use std::path::Path;
use std::process::{Child, Command};

/// `ssh`'s arguments to reach a loopback `port` with `key` alone, non-interactively and
/// trusting whatever host key the test's server made.
pub fn client_args(port: u16, key: &Path) -> Vec<String> {
    let mut args = vec!["-p".to_owned(), port.to_string(), "-i".to_owned()];
    args.push(key.display().to_string());
    for option in [
        "BatchMode=yes",
        "IdentitiesOnly=yes",
        "StrictHostKeyChecking=no",
        "UserKnownHostsFile=/dev/null",
        "LogLevel=ERROR",
    ] {
        args.extend(["-o".to_owned(), option.to_owned()]);
    }
    args
}

/// A background program, killed when dropped.
pub struct Background(pub Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An ed25519 key pair at `path` (and `path.pub`); returns the public key's line.
pub fn keygen(path: &Path) -> String {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(path)
        .status()
        .expect("ssh-keygen (scripts/ensure-test-packages.sh installs it)");
    assert!(status.success());
    std::fs::read_to_string(path.with_extension("pub")).unwrap()
}

/// Waits (up to 20 s) until `what` accepts connections on the loopback `port`.
pub fn wait_listening(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not listen on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
