//! Driving a program in a pseudo-terminal: what a person at a real terminal would see and
//! type, read back through a vt100 parser.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use sqlx::PgPool;

const ROWS: u16 = 30;
const COLS: u16 = 100;

pub struct Screen {
    parser: vt100::Parser,
    output: mpsc::Receiver<Vec<u8>>,
    input: Box<dyn Write + Send>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Screen {
    fn pump(&mut self) {
        while let Ok(bytes) = self.output.try_recv() {
            // crossterm may ask where the cursor is; answer like a terminal would.
            if bytes.windows(4).any(|w| w == b"\x1b[6n") {
                let _ = self.input.write_all(b"\x1b[1;1R");
            }
            self.parser.process(&bytes);
        }
    }

    /// Whether the program left the terminal on the alternate screen or the cursor hidden.
    pub fn left_dirty(&mut self) -> (bool, bool) {
        self.pump();
        let screen = self.parser.screen();
        (screen.alternate_screen(), screen.hide_cursor())
    }

    pub fn text(&mut self) -> String {
        self.pump();
        self.parser.screen().contents()
    }

    pub fn wait_for(&mut self, wanted: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.text().contains(wanted) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "waited 20 s for {wanted:?}; the screen shows:\n{}",
            self.text()
        );
    }

    /// The terminal's window changes size, as when its window is dragged.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.pump();
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.parser.screen_mut().set_size(rows, cols);
    }

    pub fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
        // Give each burst its own read, so Esc and a following key are not taken for Alt+key.
        std::thread::sleep(Duration::from_millis(150));
    }

    /// As a person types: a key at a time (a fast burst ending in Enter is a scan).
    pub fn type_slowly(&mut self, keys: &str) {
        for key in keys.chars() {
            self.send(&key.to_string());
        }
    }
}

pub fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

/// `command` started in a fresh PTY of the test's size.
pub fn spawn(command: CommandBuilder) -> (Screen, Box<dyn portable_pty::Child + Send + Sync>) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let (tx, output) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 || tx.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let screen = Screen {
        parser: vt100::Parser::new(ROWS, COLS, 0),
        output,
        input: pty.master.take_writer().unwrap(),
        master: pty.master,
    };
    (screen, child)
}

/// The app started in a fresh PTY with its own HOME (where it keeps logs and receipts).
/// The app with `args` (paths relative to the repository).
pub fn start_app(
    url: String,
    home: &std::path::Path,
    args: &[&str],
) -> (Screen, Box<dyn portable_pty::Child + Send + Sync>) {
    std::fs::create_dir_all(home).unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_bytemtaani"));
    command.args(args);
    command.cwd(env!("CARGO_MANIFEST_DIR"));
    command.env("DATABASE_URL", url);
    command.env("HOME", home);
    command.env_remove("XDG_DATA_HOME");
    command.env("TERM", "xterm-256color");
    command.env("NO_COLOR", "1");
    spawn(command)
}

pub fn temp_home(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("bytemtaani-e2e-{name}-{}", uuid::Uuid::new_v4()))
}
