//! Every screen drawn into ratatui's TestBackend at 80×24, 120×40 and 40×10, compared with the
//! snapshot files in tests/snapshots (review changes with `cargo insta review`).

mod common;

use bytemtaani::domain::Error;
use bytemtaani::domain::cart::CartView;
use bytemtaani::service::pos::Lookup;
use bytemtaani::tui::app::{App, Kiosk, ctrl, done, key};
use bytemtaani::tui::effect::{AdminAnswer, AdminRequest, Change, Effect, Outcome, PosAnswer};
use bytemtaani::tui::event::TICK;
use bytemtaani::tui::theme::Theme;
use bytemtaani::tui::view;
use common::screens::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

// 40×10 is below the smallest size drawn: every screen says which size it needs.
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (40, 10)];

fn press(app: &mut App, codes: &[KeyCode]) {
    for code in codes {
        app.update(key(*code));
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

fn check(name: &str, app: &App) {
    for (width, height) in SIZES {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view::draw(app, frame)).unwrap();
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

#[test]
fn login() {
    let mut app = App::new("ByteMtaani Duka", Theme::plain());
    press(
        &mut app,
        &[
            KeyCode::Char('a'),
            KeyCode::Char('m'),
            KeyCode::Tab,
            KeyCode::Char('x'),
        ],
    );
    check("login", &app);
    app.login.refused(&Error::Locked { minutes: 15 });
    check("login_locked", &app);
}

#[test]
fn register() {
    let mut app = App::new("ByteMtaani Duka", Theme::plain());
    press(&mut app, &[KeyCode::F(2), KeyCode::Char('w')]);
    check("register", &app);
    // Every problem at once, each under its field.
    for text in ["", "wanjiku@", "07", "pass"] {
        for c in text.chars() {
            app.update(key(KeyCode::Char(c)));
        }
        press(&mut app, &[KeyCode::Tab]);
    }
    press(&mut app, &[KeyCode::Enter]);
    check("register_errors", &app);

    // A 520-character paste into the username: it stops at the limit and says so in the box.
    let mut app = App::new("ByteMtaani Duka", Theme::plain());
    press(&mut app, &[KeyCode::F(2)]);
    for _ in 0..520 {
        app.update(key(KeyCode::Char('w')));
    }
    check("register_username_full", &app);
}

#[test]
fn catalog() {
    let mut app = logged_in();
    press(&mut app, &[KeyCode::Down]);
    check("catalog", &app);
    press(
        &mut app,
        &[KeyCode::Char('/'), KeyCode::Char('t'), KeyCode::Char('e')],
    );
    check("catalog_searching", &app);
}

#[test]
fn catalog_empty_and_offline() {
    let mut app = logged_in();
    let generation = app.catalog.generation;
    app.update(done(Outcome::Products {
        generation,
        append: false,
        result: Err(Error::Unavailable),
    }));
    app.catalog.products.clear();
    check("catalog_offline", &app);
}

#[test]
fn cart_with_problems() {
    let mut app = logged_in();
    press(&mut app, &[KeyCode::Char('2'), KeyCode::Char('j')]);
    check("cart", &app);
    press(&mut app, &[KeyCode::Char('c'), KeyCode::Char('c')]);
    check("checkout", &app);
}

#[test]
fn cart_empty() {
    let mut app = logged_in();
    app.update(done(Outcome::Cart(Ok(CartView { lines: Vec::new() }))));
    press(&mut app, &[KeyCode::Char('2')]);
    check("cart_empty", &app);
}

#[test]
fn orders_and_detail() {
    let mut app = logged_in();
    press(&mut app, &[KeyCode::Char('3')]);
    check("orders", &app);
    press(&mut app, &[KeyCode::Enter]);
    let detail = order_detail();
    app.update(done(Outcome::Order(Ok(detail))));
    check("order_detail", &app);
}

#[test]
fn help_and_quit() {
    let mut app = logged_in();
    press(&mut app, &[KeyCode::Char('?')]);
    check("help_catalog", &app);
    press(
        &mut app,
        &[KeyCode::Esc, KeyCode::Char('2'), KeyCode::Char('?')],
    );
    check("help_cart", &app);
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('q')]);
    check("confirm_quit", &app);
}

/// The screen at 80×24 as text, one string.
fn screen_text(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(app, frame)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..24)
        .map(|y| (0..80).map(|x| buffer[(x, y)].symbol()).collect::<String>() + "\n")
        .collect()
}

#[test]
fn help_lists_every_key_of_the_screen_and_scrolls_when_it_is_taller() {
    use bytemtaani::tui::keymap;
    let mut app = admin();
    press(&mut app, &[KeyCode::Char('?')]);
    check("help_admin", &app);
    let top = screen_text(&app);
    assert!(top.contains("more below"), "{top}");
    press(
        &mut app,
        &[KeyCode::PageDown, KeyCode::PageDown, KeyCode::PageDown],
    );
    check("help_admin_end", &app);
    let end = screen_text(&app);
    assert!(end.contains("end of the list"), "{end}");
    // Every binding is on one page or the other, exactly as the keymap says.
    for binding in keymap::ADMIN.iter().chain(keymap::GLOBAL) {
        assert!(
            top.contains(binding.help) || end.contains(binding.help),
            "{} missing",
            binding.help
        );
    }

    // The customer's Orders help has the keys of an open order; the till's says F1.
    let mut customer = logged_in();
    press(&mut customer, &[KeyCode::Char('3'), KeyCode::Char('?')]);
    let orders = screen_text(&customer);
    assert!(
        orders.contains("pay it") && orders.contains("cancel it"),
        "{orders}"
    );
    let till = screen_text(&common::screens::till());
    assert!(
        till.contains("F1 help") && !till.contains("? help"),
        "{till}"
    );
}

#[test]
fn quantity_prompt_says_what_is_wrong() {
    let mut app = logged_in();
    press(
        &mut app,
        &[
            KeyCode::Char('A'),
            KeyCode::Backspace,
            KeyCode::Char('0'),
            KeyCode::Enter,
        ],
    );
    check("quantity_error", &app);
}

/// The status line carries the error message where the person is looking.
#[test]
fn the_status_line_shows_errors() {
    let mut app = logged_in();
    app.update(done(Outcome::Cart(Err(Error::OutOfStock {
        product: "Tecno Spark 20".into(),
        available: 0,
    }))));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(&app, frame)).unwrap();
    let bottom: String = (0..80)
        .map(|x| terminal.backend().buffer()[(x, 23)].symbol().to_owned())
        .collect();
    assert!(
        bottom.contains("Only 0 of Tecno Spark 20 left in stock."),
        "{bottom}"
    );
}

#[test]
fn a_long_message_wraps_and_is_never_cut() {
    let said = "Order 1A2B3C4D cancelled: 3 units back on the shelf. Refund due: KSh 19,797.00 \
                to amina, paid by M-Pesa QKH94M1Z11; record it in the M-Pesa portal, then here.";
    let mut app = admin();
    app.update(done(Outcome::Admin(AdminAnswer::Done(Ok(said.into())))));
    check("long_message", &app);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(&app, frame)).unwrap();
    let shown: String = (20..24)
        .flat_map(|y| (0..72).map(move |x| (x, y)))
        .map(|(x, y)| terminal.backend().buffer()[(x, y)].symbol().to_owned())
        .collect();
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&shown).contains(&words(said)), "{shown}");
}

#[test]
fn kiosk_exit() {
    let mut app = logged_in().with_kiosk(Some(Kiosk::new(TICK * 1000)));
    press(&mut app, &[KeyCode::Char('q'), KeyCode::Char('a')]);
    check("kiosk_exit", &app);
}

#[test]
fn a_kiosk_login_screen_says_staff_log_in_at_a_till() {
    let app = App::new("ByteMtaani Duka", Theme::plain()).with_kiosk(Some(Kiosk::new(TICK * 1000)));
    check("kiosk_login", &app);
    assert!(screen_text(&app).contains("staff at a till"));
}

/// Colours are only the 16 a basic terminal has, and none at all under NO_COLOR.
#[test]
fn sixteen_colours_or_none() {
    use ratatui::style::Color;
    for (theme, colored) in [(Theme::for_no_color(None), true), (Theme::plain(), false)] {
        let mut app = logged_in();
        app.theme = theme;
        app.update(done(Outcome::Cart(Err(Error::Unavailable))));
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|frame| view::draw(&app, frame)).unwrap();
        let colors: Vec<Color> = terminal
            .backend()
            .buffer()
            .content
            .iter()
            .flat_map(|c| [c.fg, c.bg])
            .collect();
        let basic = |c: &Color| !matches!(c, Color::Rgb(..) | Color::Indexed(_));
        assert!(colors.iter().all(basic), "only the 16 basic colours");
        assert_eq!(colors.iter().any(|c| *c != Color::Reset), colored);
    }
}

#[test]
fn the_linux_console_gets_only_glyphs_its_fonts_have() {
    let mut app = common::screens::till();
    app.theme = Theme::for_no_color(None).on_console_font();
    app.busy = 1; // the spinner turns
    check("till_linux_console", &app);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(&app, frame)).unwrap();
    let console = |c: char| {
        c.is_ascii()
            || ('\u{a0}'..='\u{ff}').contains(&c)
            || ('\u{2500}'..='\u{257f}').contains(&c)
            || matches!(c, '▀' | '▄' | '█')
    };
    let strange: Vec<String> = terminal
        .backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol().to_owned())
        .filter(|s| !s.chars().all(console))
        .collect();
    assert!(strange.is_empty(), "{strange:?}");
}

#[test]
fn till() {
    let mut app = common::screens::till();
    check("till", &app);
    press(&mut app, &[KeyCode::F(12), KeyCode::Char('c')]);
    for c in "40000".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    check("till_pay_cash", &app);
    app.update(done(Outcome::Pos(PosAnswer::Sold(Ok(Box::new(receipt()))))));
    check("till_receipt", &app);
}

/// 5% off the first line, then 15% off the sale, which asks an admin; approved.
#[test]
fn till_discounts() {
    let mut app = common::screens::till();
    let ctrl_d = ctrl('d');
    app.update(ctrl_d.clone());
    type_text(&mut app, "5%");
    press(&mut app, &[KeyCode::Tab]);
    type_text(&mut app, "dented box");
    check("till_discount_line", &app);
    press(&mut app, &[KeyCode::Enter]);
    app.update(ctrl_d.clone());
    app.update(ctrl_d.clone());
    type_text(&mut app, "15%");
    press(&mut app, &[KeyCode::Tab]);
    type_text(&mut app, "regular customer");
    press(&mut app, &[KeyCode::Enter]);
    type_text(&mut app, "admin");
    check("till_discount_approval", &app);
    let approval = bytemtaani::domain::discount::Approval {
        id: uuid::Uuid::nil(),
        admin: "admin".into(),
    };
    app.update(done(Outcome::Pos(PosAnswer::DiscountApproved(Ok(
        approval,
    )))));
    check("till_discounted", &app);
}

/// Part of the sale in cash (Tab), the rest by card being typed.
#[test]
fn till_pay_in_parts() {
    let mut app = common::screens::till();
    press(&mut app, &[KeyCode::F(12), KeyCode::Char('c')]);
    type_text(&mut app, "10000");
    press(&mut app, &[KeyCode::Tab, KeyCode::Char('k')]);
    type_text(&mut app, "AUTH-5521");
    check("till_pay_in_parts", &app);
}

#[test]
fn till_held_sales_and_quitting_with_them() {
    let mut app = common::screens::till();
    press(&mut app, &[KeyCode::F(4)]);
    app.update(done(Outcome::Pos(PosAnswer::Swapped(Ok(())))));
    app.pos.held[0].held_at = common::screens::at(40); // a fixed time on screen
    press(&mut app, &[KeyCode::F(5)]);
    check("till_held", &app);
    press(&mut app, &[KeyCode::Esc, KeyCode::Esc, KeyCode::Char('q')]);
    check("till_quit", &app);
}

#[test]
fn till_matches_and_customer() {
    let mut app = common::screens::till();
    look_up(&mut app, "infinix", Ok(Lookup::Matches(products())));
    check("till_matches", &app);
    press(&mut app, &[KeyCode::Esc, KeyCode::F(3)]);
    for c in "0712".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    check("till_customer", &app);
    // Nobody found: said, and a new customer can be added there and then.
    press(&mut app, &[KeyCode::Enter]);
    app.update(done(Outcome::Pos(PosAnswer::Customers(Ok(Vec::new())))));
    check("till_customer_nobody", &app);
    press(&mut app, &[KeyCode::Enter]);
    check("till_new_customer", &app);
}

#[test]
fn till_unpaid_sales_taken_up_from_the_till_and_the_console() {
    use bytemtaani::tui::app::Tab;
    use bytemtaani::tui::effect::{Effect, PosRequest};
    let mut app = common::screens::till();
    press(&mut app, &[KeyCode::F(6)]);
    app.update(done(Outcome::Pos(PosAnswer::Unpaid(Ok(unpaid_orders())))));
    check("till_unpaid", &app);
    let asked = app.update(key(KeyCode::Enter));
    assert_eq!(
        asked,
        vec![Effect::Pos(PosRequest::LoadOrder(
            unpaid_orders()[0].order_id
        ))]
    );
    app.update(done(Outcome::Pos(PosAnswer::Order(Ok(Box::new(
        order_detail(),
    ))))));
    check("till_unpaid_taken_up", &app);

    // An admin takes a pending order from the console's Orders to the till.
    let mut console = admin();
    let pending = console.admin.orders.current().unwrap().clone();
    assert_eq!(
        pending.status,
        bytemtaani::domain::order::OrderStatus::Pending
    );
    let asked = console.update(key(KeyCode::Char('T')));
    assert_eq!(asked, vec![Effect::Pos(PosRequest::LoadOrder(pending.id))]);
    assert_eq!(console.tab, Tab::Pos);
}

#[test]
fn an_audit_entry_names_its_product_and_opens_in_full() {
    let mut app = admin();
    for _ in 0..8 {
        press(&mut app, &[KeyCode::Tab]); // to the audit log
    }
    for answer in admin_answers() {
        app.update(done(Outcome::Admin(answer)));
    }
    assert!(screen_text(&app).contains("Infinix Hot 40i 256GB: {"));
    press(&mut app, &[KeyCode::Enter]);
    check("admin_audit_entry", &app);
    let shown = screen_text(&app);
    assert!(
        shown.contains("About: product Infinix Hot 40i 256GB") && shown.contains("invoice 2231"),
        "{shown}"
    );
}

#[test]
fn numbers_in_tables_are_never_cut() {
    use bytemtaani::domain::Money;
    let mut app = admin();
    press(&mut app, &[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab]); // Products
    let mut big = products();
    big[0].stock_quantity = 1_000_000;
    big[0].price = Money::parse("Price", "9999999999.99").unwrap();
    app.update(done(Outcome::Admin(AdminAnswer::Products(Ok(big)))));
    let shown = screen_text(&app);
    assert!(
        shown.contains("1000000") && shown.contains("KSh 9,999,999,999.99"),
        "{shown}"
    );
}

fn tab_bar(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(app, frame)).unwrap();
    (0..80)
        .map(|x| terminal.backend().buffer()[(x, 0)].symbol().to_owned())
        .collect()
}

#[test]
fn customers_reach_neither_till_nor_admin_and_cashiers_not_admin() {
    use bytemtaani::tui::app::Tab;
    let mut customer = logged_in();
    press(&mut customer, &[KeyCode::Char('4'), KeyCode::Char('5')]);
    assert_eq!(customer.tab, Tab::Catalog);
    let bar = tab_bar(&customer);
    assert!(
        bar.contains("Orders") && !bar.contains("Till") && !bar.contains("Admin"),
        "{bar}"
    );

    let mut cashier = cashier();
    assert_eq!(cashier.tab, Tab::Pos, "a staff login lands on the till");
    press(&mut cashier, &[KeyCode::Esc, KeyCode::Char('5')]);
    assert_eq!(cashier.tab, Tab::Pos);
    press(&mut cashier, &[KeyCode::Char('1')]);
    assert_eq!(cashier.tab, Tab::Catalog);
    assert!(!tab_bar(&cashier).contains("Admin"));
}

#[test]
fn admin_sections() {
    let mut app = admin();
    for section in [
        "orders",
        "payments",
        "alerts",
        "products",
        "low_stock",
        "categories",
        "users",
        "terminals",
        "audit",
        "shifts",
        "refunds",
        "reports",
        "till_payments",
        "etims",
    ] {
        check(&format!("admin_{section}"), &app);
        // Tab moves on (and asks for the next list, answered here from the fixtures).
        press(&mut app, &[KeyCode::Tab]);
        for answer in admin_answers() {
            app.update(done(Outcome::Admin(answer)));
        }
    }
}

#[test]
fn a_refused_invoice_is_sent_again_from_the_console_and_no_other() {
    let mut app = admin();
    // eTIMS is the fourteenth section.
    press(&mut app, &[KeyCode::Tab; 13]);
    for answer in admin_answers() {
        app.update(done(Outcome::Admin(answer)));
    }
    // The signed one (third row): Enter asks nothing.
    press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Enter]);
    assert!(!screen_text(&app).contains("Are you sure?"));
    // The refused one: Enter asks, naming KRA's reason; yes sends it again.
    press(&mut app, &[KeyCode::Up, KeyCode::Up, KeyCode::Enter]);
    let asked = screen_text(&app);
    assert!(asked.contains("Send invoice 41 to KRA again"), "{asked}");
    let effects = app.update(key(KeyCode::Char('y')));
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Admin(AdminRequest::Change(Change::ResendInvoice {
                number: 41,
                ..
            }))
        )),
        "{effects:?}"
    );
}

#[test]
fn a_shifts_z_report_opens_from_the_console() {
    let mut app = admin();
    // Shifts is the tenth section.
    press(&mut app, &[KeyCode::Tab; 9]);
    for answer in admin_answers() {
        app.update(done(Outcome::Admin(answer)));
    }
    press(&mut app, &[KeyCode::Down, KeyCode::Enter]);
    app.update(done(Outcome::Admin(AdminAnswer::ShiftReport(Ok(
        Box::new(shift_report(true)),
    )))));
    check("admin_shift_report", &app);

    // S sums the shifts listed: here a closed and an open one.
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('S')]);
    let (closed, open) = (shift_report(true), shift_report(false));
    let mut figures = closed.figures.clone();
    figures.add(&open.figures);
    app.update(done(Outcome::Admin(AdminAnswer::ShiftSummary(Ok(
        Box::new(bytemtaani::domain::shift::ShiftSummary {
            shop: closed.shop.clone(),
            filter: bytemtaani::domain::shift::ShiftFilter {
                cashier: "cashier".into(),
                ..Default::default()
            },
            shifts: 2,
            open: 1,
            floats: closed.shift.opening_float + open.shift.opening_float,
            figures,
            counted: closed.shift.counted_cash.unwrap(),
            difference: closed.shift.difference().unwrap(),
            at: closed.at,
        }),
    )))));
    check("admin_shift_summary", &app);
    // Taller than a small screen, it scrolls: ↓ brings its last line into view.
    let mut terminal = Terminal::new(TestBackend::new(80, 16)).unwrap();
    let last = |app: &App, terminal: &mut Terminal<TestBackend>| {
        terminal.draw(|frame| view::draw(app, frame)).unwrap();
        format!("{:?}", terminal.backend()).contains("Short or over")
    };
    assert!(!last(&app, &mut terminal), "cut at 16 rows");
    press(&mut app, &[KeyCode::Down; 12]);
    assert!(last(&app, &mut terminal), "scrolled to its end");
}

#[test]
fn admin_forms_and_questions() {
    let mut app = admin();
    press(&mut app, &[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab]); // Products
    press(&mut app, &[KeyCode::Char('e')]);
    // The price field made wrong: the error shows beside it as it is typed.
    press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Down]);
    press(&mut app, &[KeyCode::Char('x')]);
    check("admin_product_form", &app);
    // The stock reason is a pick list: → moves to the next reason.
    press(
        &mut app,
        &[
            KeyCode::Esc,
            KeyCode::Char('+'),
            KeyCode::Tab,
            KeyCode::Right,
        ],
    );
    check("admin_stock_reason_pick", &app);
    press(
        &mut app,
        &[
            KeyCode::Esc,
            KeyCode::BackTab,
            KeyCode::BackTab,
            KeyCode::Char('v'),
        ],
    );
    check("admin_verify_payment", &app);
    press(
        &mut app,
        &[KeyCode::Esc, KeyCode::BackTab, KeyCode::Char('c')],
    );
    check("admin_cancel_order", &app);
}

#[test]
fn paying_for_an_order() {
    use bytemtaani::domain::payment::PaymentStatus;
    use bytemtaani::tui::effect::PayAnswer;
    let pending = order_detail().payment.unwrap();
    let mut app = logged_in();
    press(
        &mut app,
        &[KeyCode::Char('2'), KeyCode::Char('c'), KeyCode::Enter],
    );
    // The phone on the account is offered; Enter sends the push there.
    app.update(done(Outcome::OrderPlaced(Ok(order_detail()))));
    check("pay_phone", &app);
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![bytemtaani::tui::effect::Effect::Pay(
            bytemtaani::tui::effect::PayRequest::Mpesa {
                order_id: order_detail().order.id,
                phone: "254712345678".into(),
            }
        )]
    );
    app.update(done(Outcome::Pay(PayAnswer::Payment(Ok(pending.clone())))));
    check("pay_mpesa_waiting", &app);
    let mut failed = pending.clone();
    failed.status = PaymentStatus::Failed;
    failed.failure_reason = Some("The customer's M-Pesa balance is too low.".into());
    app.update(done(Outcome::Pay(PayAnswer::Payment(Ok(failed)))));
    check("pay_failed", &app);

    let mut app = logged_in();
    press(
        &mut app,
        &[
            KeyCode::Char('2'),
            KeyCode::Char('c'),
            KeyCode::Char('p'),
            KeyCode::Enter,
        ],
    );
    app.update(done(Outcome::OrderPlaced(Ok(order_detail()))));
    app.update(done(Outcome::Pay(PayAnswer::Paypal(Ok((
        pending,
        "https://www.sandbox.paypal.com/checkoutnow?token=SANDBOX1234567890AB".into(),
    ))))));
    check("pay_paypal_qr", &app);
}

#[test]
fn demo_accounts_and_pretend_providers_are_said_on_screen() {
    let mut app = admin();
    app.payments.pretend = true;
    app.update(done(Outcome::Admin(AdminAnswer::Warnings(Ok(vec![
        "Demo logins with public passwords: admin, cashier, wanjiku. Deactivate them.".into(),
    ])))));
    check("admin_demo_warning_sandbox", &app);
}

#[test]
fn small_terminals_keep_the_tabs_and_say_the_size_needed() {
    let app = admin();
    for (width, height) in [(60, 16), (40, 10)] {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view::draw(&app, frame)).unwrap();
        insta::assert_snapshot!(format!("small_admin_{width}x{height}"), terminal.backend());
    }
}

/// An admin at the till scans something the shop has not entered: Ctrl+N opens the new
/// product's form with the SKU filled in, and once saved the till comes back with the
/// product looked up for the sale. A cashier is told to ask an admin.
#[test]
fn an_unknown_sku_at_the_till_is_added_by_an_admin_there() {
    use bytemtaani::tui::app::Tab;
    use bytemtaani::tui::effect::{Effect, PosRequest};
    let ctrl_n = || ctrl('n');
    let unknown = |app: &mut App| {
        app.tab = Tab::Pos;
        app.pos.popup = None;
        let bytemtaani::tui::screens::Reply::Run(Effect::Pos(PosRequest::Lookup { seq, .. })) =
            app.pos.look_up("4006381333931")
        else {
            panic!("the till looks a scan up");
        };
        app.pos.on_answer(PosAnswer::Lookup {
            seq,
            quantity: 1,
            result: Ok(Lookup::Unknown("4006381333931".into())),
        });
    };

    let mut app = admin();
    unknown(&mut app);
    app.update(ctrl_n());
    assert_eq!(app.tab, Tab::Admin);
    check("admin_new_product_from_till", &app);
    let effects = app.update(done(Outcome::Admin(AdminAnswer::Done(Ok(
        "Product created.".into(),
    )))));
    assert_eq!(app.tab, Tab::Pos, "back on the till");
    assert!(
        effects.iter().any(|e| matches!(e,
            Effect::Pos(PosRequest::Lookup { text, quantity: 1, .. }) if text == "4006381333931")),
        "{effects:?}"
    );

    // Closed unsaved: the console stays, and a later save elsewhere sends nobody to the till.
    unknown(&mut app);
    app.update(ctrl_n());
    press(&mut app, &[KeyCode::Esc]);
    app.update(done(Outcome::Admin(AdminAnswer::Done(Ok("Saved.".into())))));
    assert_eq!(app.tab, Tab::Admin);

    let mut cashier = cashier();
    unknown(&mut cashier);
    cashier.update(ctrl_n());
    assert_eq!(cashier.tab, Tab::Pos);
    assert!(
        cashier
            .status
            .as_ref()
            .is_some_and(|(said, _)| said.contains("Only an admin adds products")),
        "{:?}",
        cashier.status
    );
}
