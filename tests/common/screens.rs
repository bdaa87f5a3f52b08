//! App states for the screen tests, built from plain values: no database involved.

use bytemtaani::domain::Money;
use bytemtaani::domain::alert::{Alert, AlertKind};
use bytemtaani::domain::audit::AuditEntry;
use bytemtaani::domain::cart::{CartLine, CartView};
use bytemtaani::domain::catalog::{Category, Page, Product};
use bytemtaani::domain::etims::{
    DeviceStatus, InvoiceKind, InvoiceQueue, InvoiceState, QueuedInvoice,
};
use bytemtaani::domain::order::{OrderDetail, OrderItem, OrderStatus, OrderSummary, UnpaidOrder};
use bytemtaani::domain::payment::PaymentRow;
use bytemtaani::domain::payment::{PaymentMethod, PaymentStatus, PaymentSummary, TillPayment};
use bytemtaani::domain::receipt::{Receipt, Tendered};
use bytemtaani::domain::report::{DayTotal, MethodTotal, SalesReport, Tally, TopProduct};
use bytemtaani::domain::returns::PendingRefund;
use bytemtaani::domain::shift::{Shift, ShiftFigures, ShiftReport};
use bytemtaani::domain::terminal::{Terminal, TerminalKind};
use bytemtaani::domain::user::UserAccount;
use bytemtaani::domain::user::{Role, Session};
use bytemtaani::service::pos::Lookup;
use bytemtaani::tui::app::{App, Msg, PaymentOptions, done};
use bytemtaani::tui::effect::{AdminAnswer, Effect, Outcome, PosAnswer, PosRequest};
use bytemtaani::tui::event::AppEvent;
use bytemtaani::tui::theme::Theme;
use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

pub fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, minute, 0).unwrap()
}

pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn category(n: u128, name: &str) -> Category {
    Category {
        id: id(n),
        name: name.into(),
        slug: name.to_lowercase(),
        created_at: at(0),
    }
}

pub fn product(n: u128, name: &str, cents: i64, stock: i32) -> Product {
    Product {
        id: id(100 + n),
        name: name.into(),
        slug: format!("p{n}"),
        sku: format!("SKU{n:04}"),
        description: format!(
            "{name}: a demo product with a description long enough to wrap on a narrow screen."
        ),
        price: Money::from_cents(cents),
        category_id: id(1),
        category_name: "Phones".into(),
        stock_quantity: stock,
        in_stock: stock > 0,
        image_url: None,
        is_archived: false,
        version: 1,
        created_at: at(n as u32),
        updated_at: at(n as u32),
        tax_type: bytemtaani::domain::tax::TaxType::B,
        item_class: String::new(),
    }
}

pub fn line(n: u128, name: &str, quantity: i32, seen: i64, now: i64, stock: i32) -> CartLine {
    CartLine {
        product_id: id(100 + n),
        name: name.into(),
        sku: format!("SKU{n:04}"),
        quantity,
        price_seen: Money::from_cents(seen),
        price: Money::from_cents(now),
        stock_quantity: stock,
        is_archived: false,
    }
}

pub fn order(n: u128, status: OrderStatus, cents: i64) -> OrderSummary {
    OrderSummary {
        id: id(500 + n),
        user_id: id(9),
        username: "amina".into(),
        phone: Some("0712 345 678".into()),
        status,
        total_amount: Money::from_cents(cents),
        served_by: None,
        item_count: 2,
        created_at: at(10 + n as u32),
        updated_at: at(10 + n as u32),
    }
}

pub fn logged_in() -> App {
    logged_in_as(session())
}

/// [`logged_in`] as the cashier (sees the Till tab).
pub fn cashier() -> App {
    logged_in_as(Session {
        username: "cashier".into(),
        role: Role::Staff,
        ..session()
    })
}

/// The cashier on the Till (where a staff login lands), with a sale of three lines rung up
/// by SKU.
pub fn till() -> App {
    let mut app = cashier();
    app.update(done(Outcome::Pos(PosAnswer::Held(Ok(Vec::new())))));
    app.update(done(Outcome::Pos(PosAnswer::DiscountLimit(Ok(
        rust_decimal::Decimal::TEN,
    )))));
    for (product, quantity) in [(0, 1), (1, 2), (3, 1)] {
        let found = products()[product].clone();
        let scan = format!("{quantity}*{}", found.sku);
        look_up(&mut app, &scan, Ok(Lookup::Sku(Box::new(found))));
    }
    app.pos.notice = None;
    app
}

/// Scans `code` at the till and answers its lookup with `result`.
pub fn look_up(app: &mut App, code: &str, result: bytemtaani::domain::Result<Lookup>) {
    let asked = app.update(Msg::Event(AppEvent::Scan(code.into())));
    let [Effect::Pos(PosRequest::Lookup { seq, quantity, .. })] = asked.as_slice() else {
        panic!("not a lookup: {asked:?}");
    };
    app.update(done(Outcome::Pos(PosAnswer::Lookup {
        seq: *seq,
        quantity: *quantity,
        result,
    })));
}

/// What the till shows after the sale of [`till`] is paid in cash.
pub fn receipt() -> Receipt {
    let detail = order_detail();
    Receipt {
        shop: bytemtaani::config::Settings::built_in().shop,
        order_id: detail.order.id,
        at: at(30),
        cashier: "cashier".into(),
        customer: None,
        total: detail.order.total_amount,
        payment: Tendered {
            method: PaymentMethod::Cash,
            transaction_id: "CASH-0123456789AB".into(),
            cash: Some(Money::from_cents(2_000_000)),
            verified: true,
        },
        items: detail.items,
        parts: Vec::new(),
        sandbox: false,
        refund: None,
        copy: false,
        fiscal: None,
    }
}

/// An admin on the Admin tab, every section's list loaded.
pub fn admin() -> App {
    let mut app = logged_in_as(Session {
        username: "admin".into(),
        role: Role::Admin,
        ..session()
    });
    // An admin lands in the console.
    for answer in admin_answers() {
        app.update(done(Outcome::Admin(answer)));
    }
    app
}

/// The customer amina's account.
pub fn amina() -> UserAccount {
    UserAccount {
        id: id(9),
        username: "amina".into(),
        email: "amina@example.co.ke".into(),
        phone: Some("254712345678".into()),
        is_staff: false,
        is_admin: false,
        is_active: true,
        date_joined: at(1),
    }
}

/// One loaded list for every admin section.
pub fn admin_answers() -> Vec<AdminAnswer> {
    let detail = order_detail();
    let mut claimed = detail.payment.clone().unwrap();
    claimed.transaction_id = Some("QKH94M1Z11".into());
    vec![
        AdminAnswer::Orders(Ok(vec![
            order(2, OrderStatus::Pending, 1_979_700),
            order(1, OrderStatus::Paid, 229_900),
        ])),
        AdminAnswer::Payments(Ok(vec![PaymentRow {
            payment: claimed,
            username: "walk-in".into(),
            order_status: OrderStatus::Pending,
        }])),
        AdminAnswer::Alerts(Ok(vec![Alert {
            id: 1,
            raised_at: at(20),
            kind: AlertKind::MoneyToReturn,
            payment_id: Some(id(7)),
            order_id: Some(detail.order.id),
            provider_ref: Some("ws_CO_191220191020363925".into()),
            amount: Some(Money::from_cents(1_979_700)),
            detail: "M-Pesa confirmed KSh 19,797.00 for order 00000002, but the order is cancelled: give it back or match it.".into(),
        }])),
        AdminAnswer::Products(Ok(products())),
        AdminAnswer::LowStock(Ok(vec![products()[2].clone(), products()[0].clone()])),
        AdminAnswer::Categories(Ok(vec![category(1, "Phones"), category(2, "Groceries")])),
        AdminAnswer::Users(Ok(vec![
            amina(),
            UserAccount {
                id: id(10),
                username: "cashier".into(),
                email: "till@example.co.ke".into(),
                phone: None,
                is_staff: true,
                is_admin: false,
                is_active: false,
                date_joined: at(2),
            },
        ])),
        AdminAnswer::Terminals(Ok(vec![
            Terminal {
                id: id(20),
                name: "kiosk-3".into(),
                kind: TerminalKind::Kiosk,
                fingerprint: "SHA256:ZfYOaROKXA43W8bhRc32eTWXASrzj2+NvzcdFqmU7Mg".into(),
                added_by: "admin".into(),
                added_at: at(3),
                revoked_at: None,
            },
            Terminal {
                id: id(21),
                name: "till-1".into(),
                kind: TerminalKind::Till,
                fingerprint: "SHA256:WMN9Xc8Hs7NdPM1p8pDegR9eCBv6Ep5ULLW/MCimERE".into(),
                added_by: "admin".into(),
                added_at: at(1),
                revoked_at: Some(at(4)),
            },
        ])),
        AdminAnswer::Audit(Ok(vec![AuditEntry {
            id: 1,
            actor_username: "admin".into(),
            action: "stock.adjust".into(),
            entity: "product".into(),
            entity_id: Some(id(101)),
            subject: Some("Infinix Hot 40i 256GB".into()),
            details: serde_json::json!({"delta": 12, "reason": "received", "note": "delivery from the Nairobi warehouse, invoice 2231"}),
            occurred_at: at(5),
        }])),
        AdminAnswer::Shifts(Ok(vec![shift_report(false).shift, shift_report(true).shift])),
        AdminAnswer::Refunds(Ok(vec![PendingRefund {
            return_id: id(40),
            order_id: detail.order.id,
            customer: "amina".into(),
            phone: Some("254712345678".into()),
            amount: Money::from_cents(229_900),
            method: PaymentMethod::Mpesa,
            returned_at: at(7),
        }])),
        AdminAnswer::Report(Ok(Box::new(report()))),
        AdminAnswer::TillPayments(Ok(vec![TillPayment {
            trans_id: "QKT4R5Y6U7".into(),
            amount: Money::from_cents(125_000),
            msisdn: "2547 ***** 149".into(),
            payer: "Achieng".into(),
            bill_ref: String::new(),
            paid_at: at(8),
            received_at: at(8),
            payment_id: None,
        }])),
        AdminAnswer::Etims(Ok(InvoiceQueue {
            device: DeviceStatus {
                signer: "KRA signs",
                scu_id: "KRACU0100000001".into(),
                branch: "00".into(),
                classes: 4_812,
                classes_at: Some("20261130060000".into()),
                last_signed: Some(at(5)),
            },
            invoices: etims_queue(),
        })),
    ]
}

/// The eTIMS queue: one refused (holding the rest), one waiting behind it, one signed.
pub fn etims_queue() -> Vec<QueuedInvoice> {
    let invoice = |n: i64, state: InvoiceState, attempts: i32| QueuedInvoice {
        id: id(60 + n as u128),
        number: n,
        kind: InvoiceKind::Sale,
        order_id: order_detail().order.id,
        issued_at: at(n as u32),
        state,
        attempts,
        last_error: None,
        signature: None,
    };
    vec![
        QueuedInvoice {
            last_error: Some("KRA refused it (910): Request parameter error".into()),
            ..invoice(41, InvoiceState::Refused, 1)
        },
        QueuedInvoice {
            kind: InvoiceKind::CreditNote,
            ..invoice(42, InvoiceState::Pending, 0)
        },
        QueuedInvoice {
            signature: Some("QUII27MATATSHFRB".into()),
            ..invoice(40, InvoiceState::Signed, 1)
        },
    ]
}

/// A shift's report, open or closed.
pub fn shift_report(closed: bool) -> ShiftReport {
    let now = at(6);
    ShiftReport {
        shop: bytemtaani::config::Settings::built_in().shop,
        shift: Shift {
            id: id(if closed { 30 } else { 31 }),
            cashier: if closed { "cashier" } else { "otieno" }.into(),
            opening_float: Money::from_cents(500_000),
            opened_at: now,
            closed_at: closed.then_some(now),
            expected_cash: closed.then(|| Money::from_cents(500_000)),
            counted_cash: closed.then(|| Money::from_cents(490_000)),
        },
        figures: ShiftFigures {
            taken: vec![(PaymentMethod::Cash, Money::from_cents(100))],
            awaiting: Money::ZERO,
            sales: 1,
            discounts: Money::ZERO,
            open_priced: Money::ZERO,
            refunds: Vec::new(),
            returns: 0,
            cash_in: Money::ZERO,
            cash_out: Money::ZERO,
            voids: 0,
            expected_cash: Money::from_cents(500_000),
        },
        at: now,
    }
}

/// Thirty days of sales ending 2026-11-25, a growing week at the end.
pub fn report() -> SalesReport {
    let today = at(0).date_naive();
    let days = (0..30)
        .map(|back| {
            let date = today - chrono::Days::new(29 - back);
            let orders = (back % 7 + back / 10) as i64;
            DayTotal {
                date,
                orders,
                amount: Money::from_cents(orders * 250_000),
            }
        })
        .collect();
    SalesReport {
        today,
        days,
        written_off_today: Tally {
            sales: 1,
            amount: Money::from_cents(69_900),
        },
        discounted_today: Tally {
            sales: 1,
            amount: Money::from_cents(25_000),
        },
        methods_today: vec![
            MethodTotal {
                method: PaymentMethod::Cash,
                payments: 2,
                amount: Money::from_cents(500_000),
            },
            MethodTotal {
                method: PaymentMethod::Mpesa,
                payments: 1,
                amount: Money::from_cents(250_000),
            },
        ],
        refunds_today: vec![MethodTotal {
            method: PaymentMethod::Cash,
            payments: 1,
            amount: Money::from_cents(69_900),
        }],
        top: vec![TopProduct {
            name: "Infinix Hot 40i 256GB".into(),
            sku: "SKU0001".into(),
            units: 12,
            amount: Money::from_cents(20_998_800),
        }],
    }
}

pub fn logged_in_as(session: Session) -> App {
    let mut app = App::new("ByteMtaani Duka", Theme::plain()).with_payments(PaymentOptions {
        offered: vec![
            PaymentMethod::Mpesa,
            PaymentMethod::Card,
            PaymentMethod::Paypal,
        ],
        pretend: false,
    });
    app.update(done(Outcome::LoggedIn(Ok(session))));
    app.update(done(Outcome::Categories(Ok(vec![
        category(1, "Phones"),
        category(2, "Groceries"),
        category(3, "Household"),
    ]))));
    let generation = app.catalog.generation;
    app.update(done(Outcome::Products {
        generation,
        append: false,
        result: Ok(Page {
            items: products(),
            next: None,
        }),
    }));
    app.update(done(Outcome::Cart(Ok(cart()))));
    app.update(done(Outcome::Orders(Ok(vec![
        order(2, OrderStatus::Pending, 1_979_700),
        order(1, OrderStatus::Paid, 229_900),
    ]))));
    app.status = None;
    app
}

/// Order 2 of [`logged_in`], with its items and pending M-Pesa payment.
/// Two till sales nobody paid for: a rejected code and a failed push.
pub fn unpaid_orders() -> Vec<UnpaidOrder> {
    vec![
        UnpaidOrder {
            order_id: id(502),
            customer: "amina".into(),
            total: Money::from_cents(1_979_700),
            item_count: 2,
            created_at: at(41),
            why: "not on the statement".into(),
        },
        UnpaidOrder {
            order_id: id(503),
            customer: "walk-in".into(),
            total: Money::from_cents(25_050),
            item_count: 1,
            created_at: at(12),
            why: "The customer cancelled the request".into(),
        },
    ]
}

pub fn order_detail() -> OrderDetail {
    let summary = order(2, OrderStatus::Pending, 1_979_700);
    OrderDetail {
        items: vec![
            OrderItem {
                product_id: id(101),
                product_name: "Infinix Hot 40i 256GB".into(),
                sku: "SKU0001".into(),
                quantity: 1,
                price: Money::from_cents(1_749_900),
                discount: Money::ZERO,
            },
            OrderItem {
                product_id: id(102),
                product_name: "Nokia 105 Feature Phone".into(),
                sku: "SKU0002".into(),
                quantity: 1,
                price: Money::from_cents(229_800),
                discount: Money::ZERO,
            },
        ],
        payment: Some(PaymentSummary {
            id: id(800),
            order_id: summary.id,
            user_id: id(9),
            amount: summary.total_amount,
            method: PaymentMethod::Mpesa,
            status: PaymentStatus::Pending,
            transaction_id: None,
            paid_at: None,
            confirmed_by: None,
            failure_reason: None,
            created_at: at(12),
            gateway_ref: None,
            card_brand: None,
            card_last4: None,
            request_state: None,
            taken_by: None,
        }),
        order: summary,
        parts: Vec::new(),
        after_sale: Vec::new(),
        fiscal: None,
    }
}

/// The cart of [`logged_in`].
pub fn cart() -> CartView {
    CartView {
        lines: vec![
            line(1, "Infinix Hot 40i 256GB", 1, 1_749_900, 1_749_900, 8),
            line(2, "Nokia 105 Feature Phone", 2, 219_900, 229_900, 30),
            line(3, "Samsung Galaxy A15 128GB", 1, 2_199_900, 2_199_900, 0),
        ],
    }
}

/// The products of [`logged_in`]'s catalog.
pub fn products() -> Vec<Product> {
    vec![
        product(1, "Infinix Hot 40i 256GB", 1_749_900, 8),
        product(2, "Nokia 105 Feature Phone", 229_900, 30),
        product(3, "Samsung Galaxy A15 128GB", 2_199_900, 0),
        product(4, "Tecno Spark 20 128GB", 1_599_900, 12),
    ]
}

pub fn session() -> Session {
    Session {
        id: id(7),
        user_id: id(9),
        username: "amina".into(),
        role: Role::Customer,
    }
}
