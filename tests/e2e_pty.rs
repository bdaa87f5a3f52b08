//! The real `bytemtaani` binary in a pseudo-terminal on a fresh database: a customer
//! registers, logs out and in again, searches, adds to the cart, checks out and finds the
//! order in the history; a cashier rings up a cash sale by scanning a SKU twice.
//! Then the rows in PostgreSQL (and the receipt file) are checked.

mod common;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use sqlx::PgPool;

const ROWS: u16 = 30;
const COLS: u16 = 100;

struct Screen {
    parser: vt100::Parser,
    output: mpsc::Receiver<Vec<u8>>,
    input: Box<dyn Write + Send>,
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

    fn text(&mut self) -> String {
        self.pump();
        self.parser.screen().contents()
    }

    fn wait_for(&mut self, wanted: &str) {
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

    fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
        // Give each burst its own read, so Esc and a following key are not taken for Alt+key.
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

/// The app started in a fresh PTY with its own HOME (where it keeps logs and receipts).
fn start_app(url: String, home: &std::path::Path) -> (Screen, Box<dyn portable_pty::Child>) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    std::fs::create_dir_all(home).unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_bytemtaani"));
    command.cwd(env!("CARGO_MANIFEST_DIR"));
    command.env("DATABASE_URL", url);
    command.env("HOME", home);
    command.env_remove("XDG_DATA_HOME");
    command.env("TERM", "xterm-256color");
    command.env("NO_COLOR", "1");
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
    };
    (screen, child)
}

fn temp_home(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("bytemtaani-e2e-{name}-{}", uuid::Uuid::new_v4()))
}

/// Runs the customer's session; returns the binary's exit status.
fn shop_in_a_terminal(url: String) -> portable_pty::ExitStatus {
    let (mut screen, mut child) = start_app(url, &temp_home("customer"));
    screen.wait_for("Log in");
    screen.send("\x1bOQ"); // F2: register
    screen.wait_for("Register a customer account");
    for field in [
        "otieno",
        "\t",
        "otieno@example.co.ke",
        "\t",
        "0712 345 678",
        "\t",
        "chai na mandazi",
        "\r",
    ] {
        screen.send(field);
    }
    screen.wait_for("Welcome, otieno (customer)");
    screen.send("L");
    screen.wait_for("Logged out.");
    for field in ["otieno", "\t", "chai na mandazi", "\r"] {
        screen.send(field);
    }
    screen.wait_for("Welcome, otieno (customer)");
    screen.send("/");
    screen.send("ketepa pr");
    screen.wait_for("1 found");
    screen.send("\r");
    screen.send("a");
    screen.wait_for("Added 1 to the cart.");
    screen.send("2");
    screen.wait_for("Line total");
    screen.send("c");
    screen.wait_for("Check out");
    screen.send("\r");
    screen.wait_for("Order placed: KSh 249.00, awaiting payment.");
    screen.wait_for("pending – awaiting payment");
    screen.send("q");
    screen.wait_for("Quit?");
    screen.send("y");
    child.wait().unwrap()
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_customer_registers_shops_and_finds_the_order(pool: PgPool) {
    let s = services(&pool);
    let (admin, _) = shop(&s).await;
    let tea_category = category(&s, &admin, "Beverages").await;
    let tea = product(&s, &admin, &tea_category, "Ketepa Pride Tea 250g", "249", 5).await;
    product(&s, &admin, &tea_category, "Dormans Coffee 100g", "599", 5).await;

    let url = database_url(&pool);
    let status = tokio::task::spawn_blocking(move || shop_in_a_terminal(url))
        .await
        .unwrap();
    assert!(status.success(), "the app exited with {status:?}");

    let (status, total, method, paid): (String, String, String, String) = sqlx::query_as(
        "select o.status::text, o.total_amount::text, p.method::text, p.status::text
         from orders o join users u on u.id = o.user_id join payments p on p.order_id = o.id
         where u.username = 'otieno'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), total.as_str()), ("pending", "249.00"));
    assert_eq!((method.as_str(), paid.as_str()), ("mpesa", "pending"));
    assert_eq!(stock(&pool, &tea).await, 4);
    assert_eq!(count(&pool, "select count(*) from order_items").await, 1);
    assert_eq!(count(&pool, "select count(*) from cart_items").await, 0);
    assert_eq!(
        count(
            &pool,
            "select count(*) from users where phone = '254712345678'"
        )
        .await,
        1
    );
}

/// The cashier's session: log in, open the till, scan one SKU twice, take cash.
fn sell_at_the_till(url: String, home: std::path::PathBuf, sku: &str) -> portable_pty::ExitStatus {
    let (mut screen, mut child) = start_app(url, &home);
    screen.wait_for("Log in");
    for field in ["cashier", "\t", PASSWORD, "\r"] {
        screen.send(field);
    }
    screen.wait_for("Welcome, cashier (staff)");
    screen.send("4");
    screen.wait_for("Scan or type SKU");
    // A barcode scanner types the code and Enter, fast.
    screen.send(&format!("{sku}\r"));
    screen.wait_for("1 × Ketepa");
    screen.send(&format!("{}\r", sku.to_lowercase()));
    screen.wait_for("Items    2");
    screen.send("\x1b[24~"); // F12: pay
    screen.wait_for("c  Cash");
    screen.send("c");
    screen.send("1000");
    screen.wait_for("Change KSh 502.00");
    screen.send("\r");
    screen.wait_for("Paid. Change KSh 502.00.");
    screen.wait_for("Saved as");
    screen.send("\r");
    screen.send("\x1b");
    screen.send("q");
    screen.wait_for("Quit?");
    screen.send("y");
    child.wait().unwrap()
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_cashier_sells_for_cash_by_sku_and_the_receipt_is_saved(pool: PgPool) {
    let s = services(&pool);
    let (admin, _) = shop(&s).await;
    login_as(&s, "cashier", bytemtaani::domain::user::Role::Staff).await;
    let tea_category = category(&s, &admin, "Beverages").await;
    let tea = product(&s, &admin, &tea_category, "Ketepa Pride Tea 250g", "249", 5).await;

    let url = database_url(&pool);
    let home = temp_home("cashier");
    let (sku, session_home) = (tea.sku.clone(), home.clone());
    let status = tokio::task::spawn_blocking(move || sell_at_the_till(url, session_home, &sku))
        .await
        .unwrap();
    assert!(status.success(), "the app exited with {status:?}");

    let (status, total, buyer, cashier, method, paid): (
        String,
        String,
        String,
        String,
        String,
        String,
    ) = sqlx::query_as(
        "select o.status::text, o.total_amount::text, b.username, c.username,
                    p.method::text, p.status::text
             from orders o join users b on b.id = o.user_id join users c on c.id = o.served_by
             join payments p on p.order_id = o.id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), total.as_str()), ("paid", "498.00"));
    assert_eq!((buyer.as_str(), cashier.as_str()), ("walk-in", "cashier"));
    assert_eq!((method.as_str(), paid.as_str()), ("cash", "successful"));
    assert_eq!(stock(&pool, &tea).await, 3);
    let receipts = home.join(".local/share/bytemtaani/receipts");
    let files: Vec<_> = std::fs::read_dir(&receipts).unwrap().collect();
    assert_eq!(files.len(), 1, "one receipt in {}", receipts.display());
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(
        text.contains("Ketepa Pride Tea 250g") && text.contains("  2 x 249.00"),
        "{text}"
    );
    assert!(text.contains("Change") && text.contains("502.00"), "{text}");
    std::fs::remove_dir_all(home).unwrap();
}
