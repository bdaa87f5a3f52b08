//! Random key sequences, on every screen, never panic the update step or the drawing.

mod common;

use bytemtaani::domain::catalog::Page;
use bytemtaani::domain::live::Change;
use bytemtaani::domain::order::{OrderStatus, RecentSale};
use bytemtaani::domain::payment::{PaymentMethod, PaymentStatus};
use bytemtaani::domain::returns::{ReturnableLine, ReturnableSale};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::pos::Lookup;
use bytemtaani::service::receipts::Issued;
use bytemtaani::tui::app::{App, Kiosk, Msg, done};
use bytemtaani::tui::effect::{
    AdminAnswer, AdminRequest, Effect, Outcome, PayAnswer, PosAnswer, PosRequest, ShiftRequest,
};
use bytemtaani::tui::event::{AppEvent, TICK};
use bytemtaani::tui::theme::Theme;
use bytemtaani::tui::view;
use common::screens::{
    admin, admin_answers, amina, cart, logged_in, order_detail, products, receipt, session,
    shift_report, till, unpaid_orders,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const KEYS_PER_SCREEN: usize = 100_000;

/// A small deterministic generator (xorshift), so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const SPECIAL: [KeyCode; 27] = [
    KeyCode::Enter,
    KeyCode::Esc,
    KeyCode::Tab,
    KeyCode::BackTab,
    KeyCode::Backspace,
    KeyCode::Delete,
    KeyCode::Up,
    KeyCode::Down,
    KeyCode::Left,
    KeyCode::Right,
    KeyCode::PageUp,
    KeyCode::PageDown,
    KeyCode::Home,
    KeyCode::End,
    KeyCode::F(1),
    KeyCode::F(2),
    KeyCode::F(3),
    KeyCode::F(4),
    KeyCode::F(5),
    KeyCode::F(6),
    KeyCode::F(7),
    KeyCode::F(8),
    KeyCode::F(9),
    KeyCode::F(10),
    KeyCode::F(11),
    KeyCode::F(12),
    KeyCode::Insert,
];
/// Letters the screens bind, digits, SQL and shell metacharacters, right-to-left text, emoji.
const CHARS: &str =
    "aAcdDeEfhijklmnpqrstvxyL?/+-=0123456789 '\";%_\\*()<>&|$`~ مرحبا😀ßé\u{202e}\u{200b}";

fn random_key(rng: &mut Rng) -> KeyEvent {
    let chars: Vec<char> = CHARS.chars().collect();
    let code = if rng.next().is_multiple_of(3) {
        rng.pick(&SPECIAL)
    } else {
        KeyCode::Char(rng.pick(&chars))
    };
    // Never Ctrl+C: it would end the run before the keys do.
    let modifiers = if rng.next().is_multiple_of(11) && code != KeyCode::Char('c') {
        KeyModifiers::CONTROL
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(code, modifiers)
}

/// A plausible answer to each effect, so random keys travel through the screens' states
/// (logged in and out, carts, orders, errors) instead of waiting forever.
fn answer(effect: &Effect, rng: &mut Rng) -> Option<Outcome> {
    let fail = rng.next().is_multiple_of(4);
    let err = rng_error(rng.next());
    Some(match effect {
        Effect::Login { .. } | Effect::CustomerLogin { .. } | Effect::Register(_) => {
            Outcome::LoggedIn(if fail {
                Err(Error::InvalidCredentials)
            } else {
                Ok(session())
            })
        }
        Effect::Logout => Outcome::LoggedOut,
        // The kiosk stays: an exit is always refused here.
        Effect::AuthorizeExit { .. } => Outcome::ExitAllowed(Err(Error::Forbidden("admins"))),
        Effect::Search {
            generation, append, ..
        } => Outcome::Products {
            generation: *generation,
            append: *append,
            result: if fail {
                Err(err)
            } else {
                Ok(Page {
                    items: products(),
                    next: None,
                })
            },
        },
        Effect::LoadProduct { .. } => Outcome::Product(if fail {
            Err(err)
        } else {
            Ok(products()[0].clone())
        }),
        Effect::LoadCart => Outcome::Cart(if fail { Err(err) } else { Ok(cart()) }),
        Effect::AddToCart { .. }
        | Effect::SetQuantity { .. }
        | Effect::RemoveLine { .. }
        | Effect::AcceptPrices => Outcome::CartChanged {
            result: if fail { Err(err) } else { Ok(cart()) },
            done: "done".into(),
        },
        Effect::PlaceOrder { .. } => {
            Outcome::OrderPlaced(if fail { Err(err) } else { Ok(order_detail()) })
        }
        Effect::LoadOrders => Outcome::Orders(Ok(Vec::new())),
        Effect::MoreOrders { .. } => {
            Outcome::MoreOrders(if fail { Err(err) } else { Ok(Vec::new()) })
        }
        Effect::LoadOrder { .. } => {
            Outcome::Order(if fail { Err(err) } else { Ok(order_detail()) })
        }
        Effect::CancelOrder { .. } => Outcome::OrderCancelled(if fail {
            Err(err)
        } else {
            Ok(bytemtaani::domain::order::CancelOutcome {
                order: order_detail().order,
                units_restocked: 1,
                refund_due: None,
            })
        }),
        Effect::Pay(_) => {
            let mut payment = order_detail().payment.unwrap();
            payment.status = match rng.next() % 3 {
                0 => PaymentStatus::Pending,
                1 => PaymentStatus::Successful,
                _ => PaymentStatus::Failed,
            };
            Outcome::Pay(PayAnswer::Payment(if fail {
                Err(err)
            } else {
                Ok(payment)
            }))
        }
        Effect::Pos(request) => Outcome::Pos(till_answer(request, fail, err, rng)),
        Effect::Admin(request) => Outcome::Admin(admin_answer(request, fail, err, rng)),
        Effect::LoadCategories | Effect::Debounce { .. } | Effect::Quit => return None,
    })
}

fn till_answer(request: &PosRequest, fail: bool, err: Error, rng: &mut Rng) -> PosAnswer {
    match request {
        PosRequest::Lookup { seq, quantity, .. } => PosAnswer::Lookup {
            seq: *seq,
            quantity: *quantity,
            result: match rng.next() % 3 {
                _ if fail => Err(err),
                0 => Ok(Lookup::Matches(products())),
                1 => Ok(Lookup::Matches(Vec::new())),
                _ => Ok(Lookup::Sku(Box::new(
                    products()[(rng.next() % 4) as usize].clone(),
                ))),
            },
        },
        PosRequest::FindCustomer(_) => {
            PosAnswer::Customers(Ok(if fail { Vec::new() } else { vec![amina()] }))
        }
        PosRequest::AddCustomer { .. } => {
            PosAnswer::CustomerAdded(if fail { Err(err) } else { Ok(amina()) })
        }
        PosRequest::Sell(_) => PosAnswer::Sold(if fail {
            Err(err)
        } else {
            Ok(Box::new(receipt()))
        }),
        PosRequest::Issue(_) => PosAnswer::Issued(Ok(Issued {
            path: "/tmp/receipt.txt".into(),
            printed: fail.then(|| Err("The printer did not print".into())),
        })),
        PosRequest::InvoiceNow(print) => {
            PosAnswer::InvoiceNow(if fail { Err(err) } else { Ok(print.clone()) })
        }
        PosRequest::Refresh(_) => PosAnswer::Refreshed(Ok(products())),
        PosRequest::Receipt(_) => PosAnswer::Sold(Ok(Box::new(receipt()))),
        PosRequest::CancelSale(_) => PosAnswer::Cancelled(if fail { Err(err) } else { Ok(()) }),
        PosRequest::Void { .. } => PosAnswer::Voided(if fail { Err(err) } else { Ok(()) }),
        PosRequest::LoadHeld => PosAnswer::Held(if fail { Err(err) } else { Ok(Vec::new()) }),
        PosRequest::SwapHeld { .. } => PosAnswer::Swapped(if fail { Err(err) } else { Ok(()) }),
        PosRequest::Unpaid => PosAnswer::Unpaid(if fail { Err(err) } else { Ok(unpaid_orders()) }),
        PosRequest::LoadOrder(_) => PosAnswer::Order(Ok(Box::new(order_detail()))),
        PosRequest::PayOrder { .. } => PosAnswer::Sold(if fail {
            Err(err)
        } else {
            Ok(Box::new(receipt()))
        }),
        PosRequest::Shift(ShiftRequest::Load | ShiftRequest::Open(_)) => {
            PosAnswer::Shift(match rng.next() % 3 {
                _ if fail => Err(err),
                0 => Ok(None),
                _ => Ok(Some(shift_report(false).shift)),
            })
        }
        PosRequest::Shift(ShiftRequest::Cash { way, .. }) => PosAnswer::CashMoved(if fail {
            Err(err)
        } else {
            Ok((*way, Money::from_cents(100)))
        }),
        PosRequest::Shift(ShiftRequest::Report) => {
            PosAnswer::ShiftReport(Ok(Box::new(shift_report(false))))
        }
        PosRequest::Shift(ShiftRequest::Close(_)) => PosAnswer::ShiftReport(if fail {
            Err(err)
        } else {
            Ok(Box::new(shift_report(true)))
        }),
        PosRequest::IssueReport(_) => PosAnswer::Issued(Ok(Issued {
            path: "/tmp/shift.txt".into(),
            printed: None,
        })),
        PosRequest::Recent => PosAnswer::Recent(if fail {
            Err(err)
        } else {
            Ok(vec![RecentSale {
                order_id: order_detail().order.id,
                customer: "walk-in".into(),
                total: Money::from_cents(100),
                status: OrderStatus::Paid,
                created_at: chrono::Utc::now(),
                refunded: Money::ZERO,
            }])
        }),
        PosRequest::Reprint(_) => PosAnswer::Reprinted(if fail {
            Err(err)
        } else {
            Ok(Box::new(receipt()))
        }),
        PosRequest::FindSale(_) => PosAnswer::SaleFound(if fail {
            Err(err)
        } else {
            Ok(Box::new(returnable_sale()))
        }),
        PosRequest::DiscountLimit => {
            PosAnswer::DiscountLimit(Ok(rust_decimal::Decimal::from(rng.next() % 30)))
        }
        PosRequest::ApproveDiscount { sale_key, .. } => PosAnswer::DiscountApproved(if fail {
            Err(err)
        } else {
            Ok(bytemtaani::domain::discount::Approval {
                id: *sale_key,
                admin: "admin".into(),
            })
        }),
        PosRequest::TakeReturn(_) => PosAnswer::Returned(if fail {
            Err(err)
        } else {
            Ok(Box::new(receipt()))
        }),
    }
}

/// A paid sale of each product, one of the first back already.
fn returnable_sale() -> ReturnableSale {
    let lines = products()
        .into_iter()
        .enumerate()
        .map(|(i, p)| ReturnableLine {
            product_id: p.id,
            product_name: p.name,
            sku: p.sku,
            price: p.price,
            discount: Money::from_cents(i64::from(i == 1) * 5),
            sold: 2,
            returned: i32::from(i == 0),
        })
        .collect();
    ReturnableSale {
        order_id: order_detail().order.id,
        at: chrono::Utc::now(),
        status: OrderStatus::Paid,
        method: Some(PaymentMethod::Cash),
        lines,
    }
}

fn admin_answer(request: &AdminRequest, fail: bool, err: Error, rng: &mut Rng) -> AdminAnswer {
    match request {
        AdminRequest::Change(_) if fail => AdminAnswer::Done(Err(err)),
        AdminRequest::Change(_) => AdminAnswer::Done(Ok("done".into())),
        AdminRequest::Order(_) => AdminAnswer::Order(Ok(Box::new(order_detail()))),
        AdminRequest::Product(_) => {
            AdminAnswer::Product(Ok((Box::new(products()[0].clone()), Vec::new())))
        }
        _ if fail => AdminAnswer::Orders(Err(err)),
        _ => {
            let answers = admin_answers();
            answers[(rng.next() % answers.len() as u64) as usize].clone()
        }
    }
}

fn rng_error(n: u64) -> Error {
    match n % 4 {
        0 => Error::Unavailable,
        1 => Error::Unauthenticated,
        2 => Error::OutOfStock {
            product: "Chai".into(),
            available: 0,
        },
        _ => Error::invalid("Quantity", "must be 1 to 999"),
    }
}

fn hammer(mut app: App, start: &[char], seed: u64) -> usize {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut rng = Rng(seed);
    let mut effects = 0;
    for c in start {
        app.update(Msg::Event(AppEvent::Key(KeyEvent::new(
            KeyCode::Char(*c),
            KeyModifiers::NONE,
        ))));
    }
    for i in 0..KEYS_PER_SCREEN {
        // Now and then a barcode scanner's burst instead of a key.
        let event = if i % 13 == 0 {
            AppEvent::Scan(products()[(rng.next() % 4) as usize].sku.clone())
        } else {
            AppEvent::Key(random_key(&mut rng))
        };
        let asked = app.update(Msg::Event(event));
        effects += asked.len();
        for effect in asked {
            if let Some(outcome) = answer(&effect, &mut rng) {
                app.update(done(outcome));
            }
        }
        if app.quit {
            app.quit = false; // keep going: quitting is not a crash
        }
        if i % 7 == 0 {
            for effect in app.update(Msg::Event(AppEvent::Tick)) {
                if let Some(outcome) = answer(&effect, &mut rng) {
                    app.update(done(outcome));
                }
            }
        }
        if i % 97 == 0 {
            // Stock changing at another till while keys arrive.
            // ... and payments confirmed while a screen waits for them.
            let change = if i % 2 == 0 {
                Change::Product(products()[0].id)
            } else {
                Change::Payment(order_detail().payment.unwrap().id)
            };
            for effect in app.update(Msg::Changed(change)) {
                if let Some(outcome) = answer(&effect, &mut rng) {
                    app.update(done(outcome));
                }
            }
        }
        if i % 50 == 0 {
            terminal.draw(|frame| view::draw(&app, frame)).unwrap();
        }
    }
    effects
}

#[test]
fn random_keys_never_panic_on_any_screen() {
    let login = hammer(App::new("Duka", Theme::plain()), &[], 0x9E37_79B9_7F4A_7C15);
    let catalog = hammer(logged_in(), &['1'], 0xD1B5_4A32_D192_ED03);
    let cart = hammer(logged_in(), &['2'], 0xA076_1D64_78BD_642F);
    let orders = hammer(logged_in(), &['3'], 0xE703_7ED1_A0B4_28DB);
    let till = hammer(till(), &[], 0x94D0_49BB_1331_11EB);
    let admin = hammer(admin(), &[], 0xBF58_476D_1CE4_E5B9);
    let kiosk = hammer(
        logged_in().with_kiosk(Some(Kiosk::new(TICK * 40))),
        &[],
        0x2545_F491_4F6C_DD1D,
    );
    println!(
        "random keys: {KEYS_PER_SCREEN} per screen; effects asked: login {login}, catalog {catalog}, cart {cart}, orders {orders}, till {till}, admin {admin}, kiosk {kiosk}"
    );
    // The keys did reach the screens (they asked for work), so the run tested something.
    for asked in [login, catalog, cart, orders, till, admin, kiosk] {
        assert!(asked > 0);
    }
}
