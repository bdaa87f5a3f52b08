//! The real `bytemtaani` binary in a pseudo-terminal on a fresh database: a customer
//! registers, logs out and in again, searches, adds to the cart, checks out, pays by M-Pesa
//! through the sandbox gateway and finds the order paid in the history; a cashier rings up a cash sale by scanning a SKU twice.
//! Then the rows in PostgreSQL (and the receipt file) are checked.

mod common;

use common::pty::{database_url, start_app, temp_home};
use common::*;
use sqlx::PgPool;

/// Runs the customer's session; returns the binary's exit status.
fn shop_in_a_terminal(url: String) -> portable_pty::ExitStatus {
    // The demo's settings: pretend providers, said on every screen.
    let demo = ["--config", "config/demo.toml"];
    let (mut screen, mut child) = start_app(url, &temp_home("customer"), &demo);
    screen.wait_for("Log in");
    screen.wait_for("SANDBOX — NO MONEY");
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
    screen.wait_for("Order placed: KSh 249.00. Now pay.");
    // The sandbox gateway: an STK push to the phone, paid a few seconds later.
    // The phone given when registering is offered.
    screen.wait_for("M-Pesa phone number");
    screen.wait_for("254712345678");
    screen.send("\r");
    screen.wait_for("Waiting for M-Pesa");
    screen.wait_for("Paid. Reference");
    screen.send("\r");
    screen.wait_for("paid");
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
    assert_eq!((status.as_str(), total.as_str()), ("paid", "249.00"));
    assert_eq!((method.as_str(), paid.as_str()), ("mpesa", "successful"));
    assert_eq!(
        count(
            &pool,
            "select count(*) from mpesa_callbacks where outcome = 'accepted'"
        )
        .await,
        1,
        "paid through the sandbox's callback, confirmed by a query"
    );
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

/// Leaves the scan line (where `q` is text) and quits, answering the question.
fn leave_the_till(screen: &mut common::pty::Screen) {
    screen.send("\x1b");
    screen.send("q");
    screen.wait_for("Quit?");
    screen.send("y");
}

/// The cashier logs in and opens the till; with no shift open yet, the till asks for the
/// float first and the cashier counts 5,000 into the drawer.
fn open_till(screen: &mut common::pty::Screen, shift_open: bool) {
    screen.wait_for("Log in");
    for field in ["cashier", "\t", PASSWORD, "\r"] {
        screen.send(field);
    }
    screen.wait_for("Welcome, cashier (staff)");
    // A staff login lands on the till, scan line ready.
    screen.wait_for("Scan or type SKU");
    if !shift_open {
        screen.wait_for("No shift is open. Cash counted into the drawer");
        screen.type_slowly("5000\r");
        screen.wait_for("Shift open, float KSh 5,000.00.");
    }
}

/// The cashier's session: log in, open the till, scan one SKU twice, take cash; then, with
/// the receipt still open, scan two codes in one burst, as fast as a scanner types them.
fn sell_at_the_till(
    url: String,
    home: std::path::PathBuf,
    sku: &str,
    second: &str,
) -> portable_pty::ExitStatus {
    let (mut screen, mut child) = start_app(url, &home, &[]);
    open_till(&mut screen, false);
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
    // Two scans in one burst while the receipt is open: it closes, and the next sale has
    // both lines in scan order.
    screen.send(&format!("{second}\r{sku}\r"));
    screen.wait_for("1 × Ketepa");
    let shown = screen.text();
    let (coffee, tea) = (
        shown.find("Dormans Coffee"),
        shown.rfind("Ketepa Pride Tea"),
    );
    assert!(
        coffee.is_some() && coffee < tea && !shown.contains("Asante"),
        "the receipt closed and the lines stand in scan order:\n{shown}"
    );
    screen.send("\x1b[20~"); // F9: void the unpaid sale
    screen.wait_for("Void the sale?");
    screen.send("y");
    screen.wait_for("Sale voided.");
    leave_the_till(&mut screen);
    child.wait().unwrap()
}

/// An admin, a cashier, and 5 of Ketepa tea (KSh 249) in Beverages.
async fn cashier_and_tea(
    s: &bytemtaani::service::Services,
) -> (
    bytemtaani::domain::user::Actor,
    bytemtaani::domain::catalog::Category,
    bytemtaani::domain::catalog::Product,
) {
    let (admin, _) = shop(s).await;
    login_as(s, "cashier", bytemtaani::domain::user::Role::Staff).await;
    let beverages = category(s, &admin, "Beverages").await;
    let tea = product(s, &admin, &beverages, "Ketepa Pride Tea 250g", "249", 5).await;
    (admin, beverages, tea)
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_cashier_sells_for_cash_by_sku_and_the_receipt_is_saved(pool: PgPool) {
    let s = services(&pool);
    let (admin, beverages, tea) = cashier_and_tea(&s).await;
    let coffee = product(&s, &admin, &beverages, "Dormans Coffee 100g", "599", 5).await;

    let url = database_url(&pool);
    let home = temp_home("cashier");
    let (sku, second, session_home) = (tea.sku.clone(), coffee.sku.clone(), home.clone());
    let status =
        tokio::task::spawn_blocking(move || sell_at_the_till(url, session_home, &sku, &second))
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
    assert!(
        !text.contains("SANDBOX"),
        "the built-in settings pretend nothing: {text}"
    );
    // The second sale was voided with F9: audited with its two items and their amount.
    let (voids, amount): (i64, Option<String>) = sqlx::query_as(
        "select count(*), max(details->>'amount') from audit_log where action = 'pos.void_sale'
           and jsonb_array_length(details->'items') = 2",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((voids, amount.as_deref()), (1, Some("848.00")));
    std::fs::remove_dir_all(home).unwrap();
}

/// A cashier holds a sale and quits; after a restart the held sale is still there.
fn hold_quit_and_recall(url: String, home: std::path::PathBuf, sku: &str) {
    let (mut screen, mut child) = start_app(url.clone(), &home, &[]);
    open_till(&mut screen, false);
    screen.send(&format!("{sku}\r"));
    screen.wait_for("1 × Ketepa");
    screen.send("\x1b[14~"); // F4: hold
    screen.wait_for("Sale held");
    screen.send("\x1b"); // leave the scan line, where q is text
    screen.send("q");
    screen.wait_for("1 held sale(s) are kept");
    screen.send("y");
    assert!(child.wait().unwrap().success());

    let (mut screen, mut child) = start_app(url, &home, &[]);
    open_till(&mut screen, true);
    screen.send("\x1b[15~"); // F5: held sales
    screen.wait_for("walk-in · Ketepa Pride Tea 250g");
    screen.send("\r");
    screen.wait_for("Recalled the sale for walk-in.");
    screen.wait_for("Ketepa Pride Tea 250g");
    screen.send("\x1b[20~"); // F9: void it
    screen.send("y");
    screen.wait_for("Sale voided.");
    leave_the_till(&mut screen);
    assert!(child.wait().unwrap().success());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_held_sale_survives_quitting_and_is_recalled_after_a_restart(pool: PgPool) {
    let s = services(&pool);
    let (_, _, tea) = cashier_and_tea(&s).await;
    let (url, home) = (database_url(&pool), temp_home("held"));
    let session_home = home.clone();
    tokio::task::spawn_blocking(move || hold_quit_and_recall(url, session_home, &tea.sku))
        .await
        .unwrap();
    assert_eq!(count(&pool, "select count(*) from held_sales").await, 0);
    assert_eq!(
        count(
            &pool,
            "select count(*) from audit_log where action = 'pos.void_sale'"
        )
        .await,
        1
    );
    std::fs::remove_dir_all(home).unwrap();
}

/// A barcode starting with 3: typed by hand after Esc, that 3 would open tab 3.
const BOOK: &str = "3161108812345";

/// Scans at the "wrong" moments: while a name search's matches are listed, with help open,
/// with the void question asked, with the tender choice open, after Esc left the scan line
/// (where digits switch tabs). Each reaches the sale.
fn scan_over_every_popup(url: String, home: std::path::PathBuf, tea: &str, coffee: &str) {
    let (mut screen, mut child) = start_app(url, &home, &[]);
    open_till(&mut screen, false);
    screen.send("ketepa\r");
    screen.wait_for("Pick with");
    screen.send(&format!("{coffee}\r")); // not the highlighted Ketepa match
    screen.wait_for("1 × Dormans");
    screen.send("\x1bOP"); // F1: help
    screen.wait_for("this help");
    screen.send(&format!("{tea}\r"));
    screen.wait_for("1 × Ketepa Pride");
    screen.send("\x1b[20~"); // F9: the void question
    screen.wait_for("Void the sale?");
    screen.send(&format!("{coffee}\r"));
    screen.wait_for("Items    3");
    screen.send("\x1b[24~"); // F12: the tender choice
    screen.wait_for("c  Cash");
    screen.send(&format!("{tea}\r"));
    screen.wait_for("Items    4");
    assert!(!screen.text().contains("c  Cash"), "{}", screen.text());
    screen.send("\x1b"); // leave the scan line: a typed 3 would switch tabs now
    screen.wait_for("Scan line (Enter or / to type)");
    screen.send(&format!("{BOOK}\r"));
    screen.wait_for("1 × Kasuku");
    screen.send("\x1b[24~");
    screen.wait_for("c  Cash");
    screen.send("c");
    screen.wait_for("Enter alone: exact cash");
    screen.send("\r");
    screen.wait_for("Paid.");
    screen.send("\r\x1b");
    screen.send("q");
    screen.wait_for("Quit?");
    screen.send("y");
    assert!(child.wait().unwrap().success());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_scan_reaches_the_sale_whatever_is_open_on_the_till(pool: PgPool) {
    let s = services(&pool);
    let (admin, beverages, tea) = cashier_and_tea(&s).await;
    let coffee = product(&s, &admin, &beverages, "Dormans Coffee 100g", "599", 5).await;
    product(&s, &admin, &beverages, "Ketepa Green Tea 100g", "199", 5).await;
    let book = common::form(&beverages, "Kasuku Exercise Book", BOOK, "59");
    s.admin.create_product(&admin, &book, 5).await.unwrap();

    let url = database_url(&pool);
    let home = temp_home("scans");
    let (t, c, h) = (tea.sku.clone(), coffee.sku.clone(), home.clone());
    tokio::task::spawn_blocking(move || scan_over_every_popup(url, h, &t, &c))
        .await
        .unwrap();

    let lines: Vec<(String, i32)> = sqlx::query_as(
        "select p.name, i.quantity from order_items i join products p on p.id = i.product_id
         join orders o on o.id = i.order_id where o.status = 'paid' order by p.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        lines,
        vec![
            ("Dormans Coffee 100g".to_owned(), 2),
            ("Kasuku Exercise Book".to_owned(), 1),
            ("Ketepa Pride Tea 250g".to_owned(), 2)
        ],
        "every scan joined the one sale, none the highlighted match"
    );
    assert_eq!(count(&pool, "select count(*) from orders").await, 1);
    std::fs::remove_dir_all(home).unwrap();
}

/// A whole shift in a real terminal: the float, a sale for cash with 5% off its line, one of
/// its items brought back against the receipt's number (refunding its share of the net),
/// cash paid out of the drawer, and the close with the cash counted 36.55 short.
fn a_shift_at_the_till(url: String, home: std::path::PathBuf, sku: &str) {
    let (mut screen, mut child) = start_app(url, &home, &[]);
    open_till(&mut screen, false);
    screen.send(&format!("{sku}\r"));
    screen.wait_for("1 × Ketepa");
    screen.send(&format!("{sku}\r"));
    screen.wait_for("Items    2");
    screen.send("\x04"); // Ctrl+D: a discount on the line
    screen.wait_for("Discount on Ketepa");
    screen.type_slowly("5%\tdented box\r");
    screen.wait_for("Discount given.");
    screen.wait_for("KSh 24.90 off");
    screen.send("\x1b[24~"); // F12: pay
    screen.wait_for("c  Cash");
    screen.send("c");
    screen.send("1000\r");
    screen.wait_for("Paid. Change KSh 526.90.");
    screen.wait_for("Saved as");
    let shown = screen.text();
    // The receipt's "Receipt  5748D48B" line (the popup's title says Receipt too).
    let receipt: String = shown
        .split("Receipt")
        .filter_map(|rest| rest.split_whitespace().next())
        .find(|word| word.len() == 8 && word.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(receipt.len(), 8, "the receipt's number on screen:\n{shown}");
    screen.send("\r"); // the receipt closes

    screen.send("\x1b[18~"); // F7: return
    screen.wait_for("Receipt number (type, or scan the receipt's code)");
    screen.type_slowly(&format!("{receipt}\r"));
    screen.wait_for("Ketepa Pride Tea 250g");
    screen.send("+");
    screen.send("\r");
    screen.wait_for("Taken back: refund KSh 236.55");
    // The slip gives back the unit's share of the discount.
    screen.wait_for("discount                -12.45");
    screen.send("\r"); // the return slip closes

    screen.send("\x1b[21~"); // F10: the shift
    screen.wait_for("o  cash out of the drawer");
    screen.send("o");
    screen.wait_for("Cash out of the drawer");
    screen.type_slowly("100\tmilk for the staff tea\r");
    screen.wait_for("KSh 100.00 taken out of the drawer.");

    screen.send("\x1b[21~");
    screen.wait_for("z  close the shift");
    screen.send("z");
    screen.wait_for("Cash counted in the drawer");
    screen.type_slowly("5100\r");
    screen.wait_for("Shift closed.");
    screen.send("\r"); // the Z report closes
    leave_the_till(&mut screen);
    assert!(child.wait().unwrap().success());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_whole_shift_in_a_terminal_adds_up_in_the_database(pool: PgPool) {
    let s = services(&pool);
    let (_, _, tea) = cashier_and_tea(&s).await;
    let (url, home, sku) = (database_url(&pool), temp_home("shift"), tea.sku.clone());
    let session_home = home.clone();
    tokio::task::spawn_blocking(move || a_shift_at_the_till(url, session_home, &sku))
        .await
        .unwrap();

    // 5,000 float + 473.10 sold (498 less 5%) − 236.55 refunded (half the line's net) − 100
    // paid out = 5,136.55 expected; 5,100 counted.
    let (expected, counted, closed): (String, String, bool) = sqlx::query_as(
        "select expected_cash::text, counted_cash::text, closed_at is not null from shifts",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (expected.as_str(), counted.as_str(), closed),
        ("5136.55", "5100.00", true)
    );
    let given: Vec<(String, String)> =
        sqlx::query_as("select amount::text, reason from order_discounts")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(given, [("24.90".into(), "dented box".into())]);
    let difference: String = sqlx::query_scalar(
        "select details->>'difference' from audit_log where action = 'shift.close'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(difference, "-36.55");
    let refunds: Vec<(String, String, bool)> = sqlx::query_as(
        "select r.amount::text, r.method::text, r.restocked from returns r
         join orders o on o.id = r.order_id where r.shift_id = o.shift_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(refunds, [("236.55".into(), "cash".into(), true)]);
    let out: Vec<(String, String)> =
        sqlx::query_as("select amount::text, reason from cash_movements")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(out, [("-100.00".into(), "milk for the staff tea".into())]);
    assert_eq!(
        stock(&pool, &tea).await,
        4,
        "two sold, one back on the shelf"
    );
    std::fs::remove_dir_all(home).unwrap();
}
