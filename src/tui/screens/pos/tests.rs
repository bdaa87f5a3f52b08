use super::*;
use crate::domain::Money;
use crate::domain::receipt::Receipt;
use crate::service::pos::Part;
use crate::service::shifts::CashMove;
use crossterm::event::KeyModifiers;

fn product(n: u128, cents: i64, stock: i32) -> Product {
    Product {
        id: Uuid::from_u128(n),
        name: format!("Item {n}"),
        slug: format!("item-{n}"),
        sku: format!("SKU{n}"),
        description: String::new(),
        price: Money::from_cents(cents),
        category_id: Uuid::nil(),
        category_name: "Phones".into(),
        stock_quantity: stock,
        in_stock: stock > 0,
        image_url: None,
        is_archived: false,
        version: 1,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        tax_type: crate::domain::tax::TaxType::B,
        item_class: String::new(),
    }
}

/// A receipt for an empty sale of `cents`, paid as `payment` says.
fn receipt(order_id: Uuid, cents: i64, payment: crate::domain::receipt::Tendered) -> Box<Receipt> {
    Box::new(Receipt {
        shop: crate::config::Settings::built_in().shop,
        order_id,
        at: chrono::Utc::now(),
        cashier: "cashier".into(),
        customer: None,
        items: Vec::new(),
        total: Money::from_cents(cents),
        payment,
        parts: Vec::new(),
        sandbox: false,
        refund: None,
        copy: false,
        fiscal: None,
    })
}

fn press(pos: &mut PosScreen, code: KeyCode) -> Reply {
    pos.on_key(&KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(pos: &mut PosScreen, text: &str) {
    for c in text.chars() {
        press(pos, KeyCode::Char(c));
    }
}

/// Answers the lookup `asked` with `result`.
fn answer(pos: &mut PosScreen, asked: Reply, result: Result<Lookup>) -> Vec<Effect> {
    let Reply::Run(Effect::Pos(PosRequest::Lookup { seq, quantity, .. })) = asked else {
        panic!("not a lookup: {asked:?}");
    };
    pos.on_answer(PosAnswer::Lookup {
        seq,
        quantity,
        result,
    })
}

/// Words scanned (or typed) that two products match.
fn matches_listed(pos: &mut PosScreen, words: &str) {
    let asked = pos.on_scan(words);
    answer(
        pos,
        asked,
        Ok(Lookup::Matches(vec![
            product(1, 100, 9),
            product(2, 250, 9),
        ])),
    );
}

/// `quantity` of `product` scanned and found.
fn scanned(pos: &mut PosScreen, product: Product, quantity: i32) {
    let asked = pos.on_scan(&format!("{quantity}*{}", product.sku));
    answer(pos, asked, Ok(Lookup::Sku(Box::new(product))));
}

#[test]
fn a_scan_is_looked_up_and_scanning_again_adds_one_more() {
    let mut pos = PosScreen::new();
    type_text(&mut pos, "sku1");
    let asked = press(&mut pos, KeyCode::Enter);
    assert_eq!(
        asked,
        Reply::Run(Effect::Pos(PosRequest::Lookup {
            seq: 0,
            text: "sku1".into(),
            quantity: 1
        }))
    );
    assert_eq!(pos.scan.value(), "", "the line is ready for the next scan");
    answer(
        &mut pos,
        asked,
        Ok(Lookup::Sku(Box::new(product(1, 10_000, 5)))),
    );
    scanned(&mut pos, product(1, 10_000, 5), 1);
    assert_eq!(pos.sale.lines.len(), 1);
    assert_eq!(pos.sale.lines[0].quantity, 2);
    assert_eq!(pos.sale.total(), Money::from_cents(20_000));
}

#[test]
fn a_quantity_before_a_star_multiplies_and_stock_limits_it() {
    let mut pos = PosScreen::new();
    type_text(&mut pos, "3*SKU1");
    let asked = press(&mut pos, KeyCode::Enter);
    assert_eq!(
        asked,
        Reply::Run(Effect::Pos(PosRequest::Lookup {
            seq: 0,
            text: "SKU1".into(),
            quantity: 3
        }))
    );
    answer(
        &mut pos,
        asked,
        Ok(Lookup::Sku(Box::new(product(1, 100, 2)))),
    );
    assert!(pos.sale.lines.is_empty());
    assert_eq!(pos.error.as_deref(), Some("Only 2 of Item 1 in stock."));
    type_text(&mut pos, "0*SKU1");
    assert_eq!(press(&mut pos, KeyCode::Enter), Reply::Nothing);
    assert!(pos.error.as_deref().unwrap().contains("quantity from 1"));
}

#[test]
fn words_give_matches_to_pick_from() {
    let mut pos = PosScreen::new();
    matches_listed(&mut pos, "2*item");
    press(&mut pos, KeyCode::Down);
    press(&mut pos, KeyCode::Enter);
    assert!(pos.matches.is_empty());
    assert_eq!(pos.sale.lines[0].product_id, Uuid::from_u128(2));
    assert_eq!(pos.sale.lines[0].quantity, 2);
}

#[test]
fn sales_are_held_recalled_and_voided_by_line() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 100, 9), 1);
    // F4: off the screen, and into the database.
    let held = press(&mut pos, KeyCode::F(4));
    assert!(
        matches!(
            &held,
            Reply::Run(Effect::Pos(PosRequest::SwapHeld { hold: Some(h), recall: None }))
                if h.lines[0].product_id == Uuid::from_u128(1) && h.label == "walk-in · Item 1"
        ),
        "{held:?}"
    );
    assert!(pos.sale.lines.is_empty() && pos.held.len() == 1);
    pos.on_answer(PosAnswer::Swapped(Ok(())));
    scanned(&mut pos, product(2, 200, 9), 1);
    scanned(&mut pos, product(3, 300, 9), 1);
    // F8 voids the selected (last scanned) line, for the audit log too.
    let void = press(&mut pos, KeyCode::F(8));
    assert!(
        matches!(
            void,
            Reply::Run(Effect::Pos(PosRequest::Void { whole_sale: false, ref items, .. }))
                if items.len() == 1 && items[0].product_id == Uuid::from_u128(3)
        ),
        "{void:?}"
    );
    assert_eq!(pos.sale.lines.len(), 1);
    // F5, Enter: swapped once the database has let the held sale go.
    press(&mut pos, KeyCode::F(5));
    let asked = press(&mut pos, KeyCode::Enter);
    let Reply::Run(Effect::Pos(PosRequest::SwapHeld {
        hold: Some(on_screen),
        recall: Some(_),
    })) = asked
    else {
        panic!("{asked:?}");
    };
    assert_eq!(on_screen.lines[0].product_id, Uuid::from_u128(2));
    assert_eq!(pos.sale.lines[0].product_id, Uuid::from_u128(2), "not yet");
    let refresh = pos.on_answer(PosAnswer::Swapped(Ok(())));
    assert_eq!(
        refresh,
        [Effect::Pos(PosRequest::Refresh(vec![Uuid::from_u128(1)]))]
    );
    assert_eq!(pos.sale.lines[0].product_id, Uuid::from_u128(1));
    assert_eq!(pos.held.len(), 1, "the sale on screen was held in exchange");
    assert_eq!(pos.held[0].lines[0].product_id, Uuid::from_u128(2));

    // Recalled at another till meanwhile: refused, nothing swaps.
    press(&mut pos, KeyCode::F(5));
    press(&mut pos, KeyCode::Enter);
    pos.on_answer(PosAnswer::Swapped(Err(crate::domain::Error::NotFound(
        "That held sale".into(),
    ))));
    assert_eq!(pos.sale.lines[0].product_id, Uuid::from_u128(1));
    assert!(pos.error.as_deref().unwrap().contains("That held sale"));
}

#[test]
fn cash_defaults_to_exact_and_is_sent_once() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 150_050, 9), 1);
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    let first = press(&mut pos, KeyCode::Enter);
    let Reply::Run(Effect::Pos(PosRequest::Sell(sale))) = first else {
        panic!("expected a sale, got {first:?}");
    };
    assert_eq!(
        sale.tender,
        Tender::Cash {
            handed: Money::from_cents(150_050)
        }
    );
    assert_eq!(press(&mut pos, KeyCode::Enter), Reply::Nothing);
}

/// Part of it in cash (Tab), the rest by card: one sale, its parts adding up to its total.
#[test]
fn part_cash_then_the_rest_by_card_is_sent_as_one_split_sale() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 900_000, 9), 1);
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    type_text(&mut pos, "1000");
    press(&mut pos, KeyCode::Tab);
    assert!(pos.error.is_none());
    let Some(PosPopup::Pay { parts, kind, .. }) = &pos.popup else {
        panic!("the pay popup stays open");
    };
    assert_eq!((parts.len(), *kind), (1, None));
    // Too much for a part, and a push, are refused beside the field.
    press(&mut pos, KeyCode::Char('c'));
    type_text(&mut pos, "8000");
    press(&mut pos, KeyCode::Tab);
    let Some(PosPopup::Pay { parts, error, .. }) = &pos.popup else {
        panic!("the pay popup stays open");
    };
    assert_eq!(parts.len(), 1);
    assert!(
        error
            .as_deref()
            .unwrap()
            .contains("less than the KSh 8,000.00 left")
    );
    press(&mut pos, KeyCode::Esc);
    press(&mut pos, KeyCode::Char('k'));
    type_text(&mut pos, "AUTH-55");
    let sent = press(&mut pos, KeyCode::Enter);
    let Reply::Run(Effect::Pos(PosRequest::Sell(sale))) = sent else {
        panic!("expected a sale, got {sent:?}");
    };
    assert_eq!(
        sale.tender,
        Tender::Split(vec![
            Part {
                amount: Money::from_cents(100_000),
                tender: Tender::Cash {
                    handed: Money::from_cents(100_000)
                },
            },
            Part {
                amount: Money::from_cents(900_000 - 100_000),
                tender: Tender::Card("AUTH-55".into()),
            },
        ])
    );
}

/// Ctrl+O rings up something the shop has not entered at the price typed; again, it
/// changes that price; the sale sends it as the open-price line.
#[test]
fn an_open_price_line_is_rung_up_at_the_price_typed() {
    use crate::domain::catalog::OPEN_PRICE;
    let mut pos = PosScreen::new();
    let ctrl_o = KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL);
    pos.on_key(&ctrl_o);
    type_text(&mut pos, "0");
    press(&mut pos, KeyCode::Enter);
    assert!(pos.sale.lines.is_empty(), "nothing at no price");
    press(&mut pos, KeyCode::Esc);
    pos.on_key(&ctrl_o);
    type_text(&mut pos, "350");
    press(&mut pos, KeyCode::Enter);
    pos.on_key(&ctrl_o);
    for _ in 0..3 {
        press(&mut pos, KeyCode::Backspace);
    }
    type_text(&mut pos, "400");
    press(&mut pos, KeyCode::Enter);
    assert_eq!(pos.sale.lines.len(), 1);
    assert_eq!(pos.sale.total(), Money::from_cents(40_000));
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    let sent = press(&mut pos, KeyCode::Enter);
    let Reply::Run(Effect::Pos(PosRequest::Sell(sale))) = sent else {
        panic!("expected a sale, got {sent:?}");
    };
    assert_eq!(
        sale.lines,
        [OrderLine {
            product_id: OPEN_PRICE,
            quantity: 1,
            agreed_price: Money::from_cents(40_000)
        }]
    );
}

#[test]
fn too_little_cash_or_a_card_number_is_refused_beside_the_field() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 100_000, 9), 1);
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    type_text(&mut pos, "500");
    assert_eq!(press(&mut pos, KeyCode::Enter), Reply::Nothing);
    let Some(PosPopup::Pay { error, .. }) = &pos.popup else {
        panic!("the pay popup stays open");
    };
    assert!(
        error
            .as_deref()
            .unwrap()
            .contains("Less than the KSh 1,000.00 to pay")
    );
    press(&mut pos, KeyCode::Esc);
    press(&mut pos, KeyCode::Char('k'));
    type_text(&mut pos, "4111111111111111");
    let Some(PosPopup::Pay { error, .. }) = &pos.popup else {
        panic!("the pay popup stays open");
    };
    assert!(error.as_deref().unwrap().contains("card number"));
}

#[test]
fn a_refused_sale_keeps_every_line_and_a_paid_one_starts_afresh() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 100, 9), 2);
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    press(&mut pos, KeyCode::Enter);
    let refresh = pos.on_answer(PosAnswer::Sold(Err(crate::domain::Error::PriceChanged(
        "Item 1".into(),
    ))));
    assert_eq!(
        refresh,
        vec![Effect::Pos(PosRequest::Refresh(vec![Uuid::from_u128(1)]))]
    );
    assert_eq!(pos.sale.units(), 2);
    let Some(PosPopup::Pay { sending, error, .. }) = &pos.popup else {
        panic!("the reason shows in the pay popup");
    };
    assert!(!sending && error.is_some());

    let key = pos.sale.key;
    let receipt = receipt(
        Uuid::nil(),
        200,
        crate::domain::receipt::Tendered {
            method: PaymentMethod::Cash,
            transaction_id: "CASH-1".into(),
            cash: Some(Money::from_cents(500)),
            verified: true,
        },
    );
    let issue = pos.on_answer(PosAnswer::Sold(Ok(receipt.clone())));
    assert_eq!(issue, vec![Effect::Pos(PosRequest::Issue(receipt))]);
    assert!(pos.sale.lines.is_empty() && pos.sale.key != key);
    assert!(matches!(pos.popup, Some(PosPopup::Receipt { .. })));
    assert_eq!(pos.notice.as_deref(), Some("Paid. Change KSh 3.00."));
}

#[test]
fn an_mpesa_push_sale_waits_and_a_cancelled_one_comes_back_as_a_new_sale() {
    let mut pos = PosScreen::new();
    pos.push_offered = true;
    scanned(&mut pos, product(1, 100_000, 9), 2);
    let key = pos.sale.key;
    press(&mut pos, KeyCode::F(12));
    let sent = press(&mut pos, KeyCode::Char('p'));
    assert!(matches!(
        sent,
        Reply::Run(Effect::Pos(PosRequest::Sell(ref sale))) if sale.tender == Tender::MpesaPush
    ));
    let recorded = receipt(
        Uuid::from_u128(42),
        200_000,
        crate::domain::receipt::Tendered {
            method: PaymentMethod::Mpesa,
            transaction_id: String::new(),
            cash: None,
            verified: false,
        },
    );
    assert!(pos.on_answer(PosAnswer::Sold(Ok(recorded))).is_empty());
    assert!(matches!(pos.popup, Some(PosPopup::Push { .. })));
    assert!(pos.text_focused(), "the phone number is asked");
    assert!(pos.sale.lines.is_empty());
    assert_eq!(
        press(&mut pos, KeyCode::Esc),
        Reply::Run(Effect::Pos(PosRequest::CancelSale(Uuid::from_u128(42))))
    );
    pos.on_answer(PosAnswer::Cancelled(Ok(())));
    assert_eq!(pos.sale.units(), 2, "the lines are back");
    assert_ne!(pos.sale.key, key, "as a new sale");
}

fn cash_receipt(cents: i64) -> Box<Receipt> {
    receipt(
        Uuid::nil(),
        cents,
        crate::domain::receipt::Tendered {
            method: PaymentMethod::Cash,
            transaction_id: "CASH-1".into(),
            cash: Some(Money::from_cents(cents)),
            verified: true,
        },
    )
}

fn looked_up(reply: &Reply) -> Option<&str> {
    match reply {
        Reply::Run(Effect::Pos(PosRequest::Lookup { text, .. })) => Some(text),
        _ => None,
    }
}

#[test]
fn a_scan_while_matches_are_listed_is_looked_up_and_typing_closes_them_too() {
    let mut pos = PosScreen::new();
    matches_listed(&mut pos, "tea");
    assert_eq!(pos.matches.len(), 2);
    let scan = pos.on_scan("SKU3");
    assert_eq!(looked_up(&scan), Some("SKU3"), "not the highlighted match");
    assert!(pos.matches.is_empty());
    answer(
        &mut pos,
        scan,
        Ok(Lookup::Sku(Box::new(product(3, 300, 9)))),
    );
    assert_eq!(pos.sale.lines[0].product_id, Uuid::from_u128(3));

    // Typed by hand: new text in the scan line is what Enter looks up.
    matches_listed(&mut pos, "tea");
    type_text(&mut pos, "sku4");
    assert!(pos.matches.is_empty());
    assert_eq!(looked_up(&press(&mut pos, KeyCode::Enter)), Some("sku4"));
}

#[test]
fn a_scan_closes_a_popup_that_takes_no_text_and_fills_a_field_that_waits_for_it() {
    let mut pos = PosScreen::new();
    pos.on_answer(PosAnswer::Sold(Ok(cash_receipt(500))));
    assert!(matches!(pos.popup, Some(PosPopup::Receipt { .. })));
    let scan = pos.on_scan("6161100120012");
    assert!(pos.popup.is_none(), "the receipt closes");
    assert_eq!(
        looked_up(&scan),
        Some("6161100120012"),
        "the next sale starts"
    );
    answer(
        &mut pos,
        scan,
        Ok(Lookup::Sku(Box::new(product(5, 100, 9)))),
    );

    // F9 asks whether to void the sale, F12 which tender: neither takes text.
    for open in [KeyCode::F(9), KeyCode::F(12)] {
        scanned(&mut pos, product(1, 100, 9), 1);
        press(&mut pos, open);
        assert!(pos.popup.is_some(), "{open:?}");
        assert!(looked_up(&pos.on_scan("SKU2")).is_some());
        assert!(pos.popup.is_none(), "{open:?} closed by the scan");
    }

    // The customer search waits for text: a scanned phone number is searched.
    press(&mut pos, KeyCode::F(3));
    assert_eq!(
        pos.on_scan("0712345678"),
        Reply::Run(Effect::Pos(PosRequest::FindCustomer("0712345678".into())))
    );
}

/// A form half filled in (a discount and its reason, an admin's name for the approval, an
/// open price, a shift's float or closing count) and cash parts already taken stay as they are while a scan joins the sale.
#[test]
fn a_scan_leaves_a_half_typed_form_or_parts_taken_as_they_are() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 900_000, 9), 1);
    type Opens = fn(&mut PosScreen);
    let opened: [(&str, Opens); 6] = [
        ("discount", |pos| {
            pos.on_key(&KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
            type_text(pos, "5%");
        }),
        ("approval", |pos| {
            pos.on_key(&KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
            type_text(pos, "50%");
            press(pos, KeyCode::Tab);
            type_text(pos, "old stock");
            press(pos, KeyCode::Enter);
            type_text(pos, "adm");
        }),
        ("open price", |pos| {
            pos.on_key(&KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL));
            type_text(pos, "35");
        }),
        ("parts", |pos| {
            press(pos, KeyCode::F(12));
            press(pos, KeyCode::Char('c'));
            type_text(pos, "1000");
            press(pos, KeyCode::Tab);
        }),
        ("float", |pos| {
            press(pos, KeyCode::F(10));
            type_text(pos, "500");
        }),
        ("count", |pos| {
            pos.popup = Some(PosPopup::ShiftClose {
                input: Input::default(),
                error: None,
            });
            type_text(pos, "12,400");
        }),
    ];
    for (name, open) in opened {
        open(&mut pos);
        let before = format!("{:?}", pos.popup);
        assert!(pos.popup.is_some(), "{name}");
        assert_eq!(looked_up(&pos.on_scan("SKU2")), Some("SKU2"), "{name}");
        assert_eq!(format!("{:?}", pos.popup), before, "{name} stays as typed");
        pos.popup = None;
    }
}

#[test]
fn lines_stand_in_scan_order_however_the_answers_arrive() {
    let mut pos = PosScreen::new();
    let asked: Vec<Reply> = ["SKU1", "SKU2", "SKU3"]
        .iter()
        .map(|code| pos.on_scan(code))
        .collect();
    for i in [2, 0, 1] {
        let found = product(i as u128 + 1, 100, 9);
        answer(&mut pos, asked[i].clone(), Ok(Lookup::Sku(Box::new(found))));
    }
    let order: Vec<String> = pos.sale.lines.iter().map(|l| l.sku.clone()).collect();
    assert_eq!(order, ["SKU1", "SKU2", "SKU3"]);
    assert_eq!(pos.selected, 2, "the last scanned is highlighted");
}

#[test]
fn scans_while_a_sale_is_paid_start_the_next_sale() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 500, 9), 1);
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    assert!(matches!(
        press(&mut pos, KeyCode::Enter),
        Reply::Run(Effect::Pos(PosRequest::Sell(_)))
    ));
    assert_eq!(
        pos.on_scan("SKU2"),
        Reply::Nothing,
        "kept for the next sale"
    );
    let after = pos.on_answer(PosAnswer::Sold(Ok(cash_receipt(500))));
    assert!(matches!(
        after.as_slice(),
        [
            Effect::Pos(PosRequest::Lookup { text, .. }),
            Effect::Pos(PosRequest::Issue(_))
        ] if text == "SKU2"
    ));
    assert!(
        pos.popup.is_none(),
        "the receipt does not cover the next sale"
    );
}

#[test]
fn a_changed_price_is_marked_and_accepted_before_paying_never_taken_silently() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 100, 9), 1);
    let mut dearer = product(1, 120, 9);
    pos.refresh_product(&dearer);
    assert_eq!(
        pos.sale.lines[0].price,
        Money::from_cents(100),
        "still the rung-up price"
    );
    assert_eq!(pos.sale.lines[0].new_price, Some(Money::from_cents(120)));
    // Scanning it again does not take the new price either.
    scanned(&mut pos, dearer.clone(), 1);
    assert_eq!(pos.sale.lines[0].price, Money::from_cents(100));

    press(&mut pos, KeyCode::F(12));
    assert!(
        matches!(pos.popup, Some(PosPopup::NewPrices)),
        "asked first"
    );
    press(&mut pos, KeyCode::Esc);
    assert!(pos.popup.is_none());
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Enter);
    assert!(matches!(pos.popup, Some(PosPopup::Pay { .. })));
    let line = &pos.sale.lines[0];
    assert_eq!((line.price, line.new_price), (Money::from_cents(120), None));
    assert_eq!(pos.sale.total(), Money::from_cents(240));

    // Back to the old price: nothing left to accept.
    dearer.price = Money::from_cents(120);
    pos.refresh_product(&dearer);
    assert_eq!(pos.sale.lines[0].new_price, None);
}

/// An unpaid order of one `product` for `customer` (or the walk-in), as the services load it.
fn unpaid_order(product: &Product, customer: Option<&str>) -> crate::domain::order::OrderDetail {
    use crate::domain::order::{OrderDetail, OrderItem, OrderStatus, OrderSummary};
    use crate::domain::user::WALK_IN;
    OrderDetail {
        order: OrderSummary {
            id: Uuid::from_u128(77),
            user_id: customer.map_or(WALK_IN, |_| Uuid::from_u128(9)),
            username: customer.unwrap_or("walk-in").into(),
            phone: None,
            status: OrderStatus::Pending,
            total_amount: product.price,
            served_by: None,
            item_count: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        },
        items: vec![OrderItem {
            product_id: product.id,
            product_name: product.name.clone(),
            sku: product.sku.clone(),
            quantity: 1,
            price: product.price,
            discount: Money::ZERO,
        }],
        payment: None,
        parts: Vec::new(),
        after_sale: Vec::new(),
        fiscal: None,
    }
}

/// F6, then the first unpaid sale taken up.
fn take_up(pos: &mut PosScreen, order: crate::domain::order::OrderDetail) -> Vec<Effect> {
    assert_eq!(
        press(pos, KeyCode::F(6)),
        Reply::Run(Effect::Pos(PosRequest::Unpaid))
    );
    let listed = crate::domain::order::UnpaidOrder {
        order_id: order.order.id,
        customer: order.order.username.clone(),
        total: order.order.total_amount,
        item_count: 1,
        created_at: order.order.created_at,
        why: "not on the statement".into(),
    };
    pos.on_answer(PosAnswer::Unpaid(Ok(vec![listed])));
    assert_eq!(
        press(pos, KeyCode::Enter),
        Reply::Run(Effect::Pos(PosRequest::LoadOrder(order.order.id)))
    );
    pos.on_answer(PosAnswer::Order(Ok(Box::new(order))))
}

#[test]
fn an_unpaid_sale_is_taken_up_from_f6_and_paid_again_as_it_stands() {
    let mut pos = PosScreen::new();
    let tea = product(2, 25_050, 9);
    scanned(&mut pos, product(1, 100, 9), 1);

    // The sale being rung up is held for it, and its lines cannot change.
    let effects = take_up(&mut pos, unpaid_order(&tea, Some("amina")));
    assert!(
        matches!(&effects[..], [Effect::Pos(PosRequest::SwapHeld { hold: Some(h), recall: None })] if h.lines.len() == 1),
        "{effects:?}"
    );
    assert_eq!(pos.sale.recorded, Some(Uuid::from_u128(77)));
    assert_eq!(pos.sale.customer_name(), "amina");
    press(&mut pos, KeyCode::F(8));
    assert_eq!(
        pos.sale.lines.len(),
        1,
        "F8 does not change a recorded sale"
    );
    assert!(pos.error.as_deref().unwrap().contains("F12"));

    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    let paid = press(&mut pos, KeyCode::Enter);
    assert_eq!(
        paid,
        Reply::Run(Effect::Pos(PosRequest::PayOrder {
            order_id: Uuid::from_u128(77),
            tender: Tender::Cash { handed: tea.price },
        }))
    );
}

#[test]
fn an_unpaid_sale_is_voided_with_f9_and_a_scan_beside_it_starts_a_new_sale() {
    let mut pos = PosScreen::new();
    let tea = product(2, 25_050, 9);
    assert!(take_up(&mut pos, unpaid_order(&tea, None)).is_empty());
    press(&mut pos, KeyCode::F(9));
    assert_eq!(
        press(&mut pos, KeyCode::Char('y')),
        Reply::Run(Effect::Pos(PosRequest::CancelSale(Uuid::from_u128(77))))
    );
    assert!(pos.sale.lines.is_empty());
    pos.on_answer(PosAnswer::Cancelled(Ok(())));
    assert!(pos.notice.as_deref().unwrap().contains("stock is back"));

    // Taken up again, then a scan: a new sale; the unpaid one waits in F6.
    take_up(&mut pos, unpaid_order(&tea, None));
    scanned(&mut pos, product(1, 100, 9), 1);
    assert_eq!(pos.sale.recorded, None);
    assert_eq!(pos.sale.lines.len(), 1);
    assert!(pos.held.is_empty(), "a recorded sale is never held");
    assert!(pos.notice.as_deref().unwrap().contains("F6"));
}

#[test]
fn nobody_found_offers_a_new_customer_made_on_the_spot_and_named_on_the_sale() {
    let mut pos = PosScreen::new();
    press(&mut pos, KeyCode::F(3));
    type_text(&mut pos, "0722 000 111");
    assert_eq!(
        press(&mut pos, KeyCode::Enter),
        Reply::Run(Effect::Pos(PosRequest::FindCustomer("0722 000 111".into())))
    );
    pos.on_answer(PosAnswer::Customers(Ok(Vec::new())));
    // "Add a new customer" is highlighted; Enter opens its form with the phone in place.
    press(&mut pos, KeyCode::Enter);
    assert!(matches!(pos.popup, Some(PosPopup::NewCustomer { .. })));
    type_text(&mut pos, "jane");
    assert_eq!(
        press(&mut pos, KeyCode::Enter),
        Reply::Run(Effect::Pos(PosRequest::AddCustomer {
            username: "jane".into(),
            phone: "0722 000 111".into(),
        }))
    );
    // A refusal stays in the form, beside its field; the answer names the customer.
    pos.on_answer(PosAnswer::CustomerAdded(Err(
        crate::domain::Error::invalid("Phone", "is amina's already: find them instead"),
    )));
    let Some(PosPopup::NewCustomer { form }) = &pos.popup else {
        panic!("the form closed: {:?}", pos.popup);
    };
    assert!(form.fields[1].error.as_deref().unwrap().contains("amina"));
    let jane = crate::domain::user::UserAccount {
        id: Uuid::from_u128(42),
        username: "jane".into(),
        email: "jane@customers.bytemtaani.invalid".into(),
        phone: Some("254722000111".into()),
        is_staff: false,
        is_admin: false,
        is_active: true,
        date_joined: chrono::Utc::now(),
    };
    pos.on_answer(PosAnswer::CustomerAdded(Ok(jane)));
    assert!(pos.popup.is_none());
    assert_eq!(
        pos.sale.customer,
        Some((Uuid::from_u128(42), "jane".into()))
    );
}

#[test]
fn a_push_offers_the_phone_of_the_customer_named_on_the_sale() {
    let mut pos = PosScreen::new();
    pos.push_offered = true;
    scanned(&mut pos, product(1, 100_000, 9), 1);
    press(&mut pos, KeyCode::F(3));
    type_text(&mut pos, "amina");
    press(&mut pos, KeyCode::Enter);
    let amina = crate::domain::user::UserAccount {
        id: Uuid::from_u128(9),
        username: "amina".into(),
        email: "amina@example.co.ke".into(),
        phone: Some("254712345678".into()),
        is_staff: false,
        is_admin: false,
        is_active: true,
        date_joined: chrono::Utc::now(),
    };
    pos.on_answer(PosAnswer::Customers(Ok(vec![amina])));
    press(&mut pos, KeyCode::Enter);
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('p'));
    let recorded = receipt(
        Uuid::from_u128(42),
        100_000,
        crate::domain::receipt::Tendered {
            method: PaymentMethod::Mpesa,
            transaction_id: String::new(),
            cash: None,
            verified: false,
        },
    );
    pos.on_answer(PosAnswer::Sold(Ok(recorded)));
    let Some(PosPopup::Push { flow, .. }) = &pos.popup else {
        panic!("no push: {:?}", pos.popup);
    };
    assert_eq!(flow.phone.value(), "254712345678");
}

#[test]
fn a_paid_sale_clears_an_earlier_problem_from_the_scan_line() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(1, 100, 9), 1);
    let asked = pos.on_scan("NOSUCHSKU");
    answer(&mut pos, asked, Ok(Lookup::Matches(Vec::new())));
    assert!(pos.error.is_some());
    press(&mut pos, KeyCode::F(12));
    press(&mut pos, KeyCode::Char('c'));
    press(&mut pos, KeyCode::Enter);
    pos.on_answer(PosAnswer::Sold(Ok(cash_receipt(100))));
    assert_eq!(
        pos.error, None,
        "the paid sale's notice shows, not the old problem"
    );
    assert!(pos.notice.as_deref().unwrap().starts_with("Paid"));
}

/// A cash or card sale of 3 × Item 1 and 1 × Item 2, one of Item 1 back already.
fn returnable(method: PaymentMethod) -> crate::domain::returns::ReturnableSale {
    use crate::domain::returns::ReturnableLine;
    let line = |n: u128, sold, returned| ReturnableLine {
        product_id: Uuid::from_u128(n),
        product_name: format!("Item {n}"),
        sku: format!("SKU{n}"),
        price: Money::from_cents(100 * n as i64),
        discount: Money::ZERO,
        sold,
        returned,
    };
    crate::domain::returns::ReturnableSale {
        order_id: Uuid::from_u128(0xabcdef12 << 96),
        at: chrono::Utc::now(),
        status: OrderStatus::Paid,
        method: Some(method),
        lines: vec![line(1, 3, 1), line(2, 1, 0)],
    }
}

/// F7, the receipt's code scanned, the sale found: the return popup is open.
fn returning(pos: &mut PosScreen, method: PaymentMethod) {
    press(pos, KeyCode::F(7));
    assert!(pos.text_focused(), "the receipt number is typed");
    assert_eq!(
        pos.on_scan("ABCDEF12"),
        Reply::Run(Effect::Pos(PosRequest::FindSale("ABCDEF12".into())))
    );
    pos.on_answer(PosAnswer::SaleFound(Ok(Box::new(returnable(method)))));
    assert!(matches!(pos.popup, Some(PosPopup::Return(_))));
}

fn taken_back(reply: Reply) -> crate::domain::returns::ReturnRequest {
    match reply {
        Reply::Run(Effect::Pos(PosRequest::TakeReturn(request))) => *request,
        other => panic!("not a return: {other:?}"),
    }
}

#[test]
fn goods_scanned_back_are_counted_never_beyond_what_is_left() {
    let mut pos = PosScreen::new();
    scanned(&mut pos, product(7, 500, 9), 1);
    returning(&mut pos, PaymentMethod::Cash);
    // Nothing chosen yet: refused where the cashier looks.
    assert_eq!(press(&mut pos, KeyCode::Enter), Reply::Nothing);
    for _ in 0..3 {
        pos.on_scan("SKU1"); // two of three are left to come back
    }
    pos.on_scan("SKU9");
    let Some(PosPopup::Return(draft)) = &pos.popup else {
        panic!("the return closed");
    };
    assert_eq!(draft.units, [2, 0]);
    assert!(draft.error.as_deref().unwrap().contains("not in this sale"));
    press(&mut pos, KeyCode::Down);
    press(&mut pos, KeyCode::Char('+'));
    press(&mut pos, KeyCode::Char('+'));
    // Damaged: off the shelf, and the reason is asked for before anything is sent.
    press(&mut pos, KeyCode::F(2));
    assert_eq!(press(&mut pos, KeyCode::Enter), Reply::Nothing);
    assert!(pos.text_focused());
    type_text(&mut pos, "cracked");
    let request = taken_back(press(&mut pos, KeyCode::Enter));
    assert_eq!(
        request.lines,
        [(Uuid::from_u128(1), 2), (Uuid::from_u128(2), 1)]
    );
    assert!(!request.restock);
    assert_eq!(request.reason, "cracked");
    // A scan while the return is written waits for the next sale; the sale on screen stays.
    assert_eq!(pos.on_scan("SKU3"), Reply::Nothing);
    assert_eq!(pos.sale.lines.len(), 1);
    let slip = receipt(
        Uuid::from_u128(9),
        400,
        crate::domain::receipt::Tendered {
            method: PaymentMethod::Cash,
            transaction_id: String::new(),
            cash: None,
            verified: true,
        },
    );
    let effects = pos.on_answer(PosAnswer::Returned(Ok(slip)));
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::Pos(PosRequest::Lookup { text, .. }),
            Effect::Pos(PosRequest::Issue(_))
        ] if text == "SKU3"
    ));
    assert_eq!(pos.sale.lines.len(), 1, "the sale on screen is kept");
}

#[test]
fn a_card_refund_asks_for_the_terminals_reference() {
    let mut pos = PosScreen::new();
    returning(&mut pos, PaymentMethod::Card);
    press(&mut pos, KeyCode::Char('+'));
    assert_eq!(press(&mut pos, KeyCode::Enter), Reply::Nothing);
    type_text(&mut pos, "RF-99120");
    let request = taken_back(press(&mut pos, KeyCode::Enter));
    assert_eq!(request.reference, "RF-99120");
    assert!(request.restock);
    // Refused by the service: said in the popup, and it can be sent again.
    pos.on_answer(PosAnswer::Returned(Err(crate::domain::Error::invalid(
        "Reference",
        "the card terminal's refund reference",
    ))));
    let Some(PosPopup::Return(draft)) = &pos.popup else {
        panic!("the return closed");
    };
    assert!(!draft.sending && draft.error.is_some());
}

fn a_shift(closed: bool) -> Box<crate::domain::shift::ShiftReport> {
    let shift = crate::domain::shift::Shift {
        id: Uuid::from_u128(5),
        cashier: "cashier".into(),
        opening_float: Money::from_cents(500_000),
        opened_at: chrono::Utc::now(),
        closed_at: closed.then(chrono::Utc::now),
        expected_cash: closed.then(|| Money::from_cents(500_000)),
        counted_cash: closed.then(|| Money::from_cents(500_000)),
    };
    Box::new(crate::domain::shift::ShiftReport {
        shop: crate::config::Settings::built_in().shop,
        shift,
        figures: crate::domain::shift::ShiftFigures {
            taken: Vec::new(),
            awaiting: Money::ZERO,
            sales: 0,
            discounts: Money::ZERO,
            open_priced: Money::ZERO,
            refunds: Vec::new(),
            returns: 0,
            cash_in: Money::ZERO,
            cash_out: Money::ZERO,
            voids: 0,
            expected_cash: Money::from_cents(500_000),
        },
        at: chrono::Utc::now(),
    })
}

fn shift_request(reply: Reply) -> ShiftRequest {
    match reply {
        Reply::Run(Effect::Pos(PosRequest::Shift(request))) => request,
        other => panic!("not a shift request: {other:?}"),
    }
}

#[test]
fn the_till_asks_for_the_float_when_no_shift_is_open_and_a_scan_still_reaches_the_sale() {
    let mut pos = PosScreen::new();
    assert!(
        pos.opened()
            .contains(&Effect::Pos(PosRequest::Shift(ShiftRequest::Load)))
    );
    pos.on_answer(PosAnswer::Shift(Ok(None)));
    assert!(matches!(pos.popup, Some(PosPopup::ShiftOpen { .. })));
    assert!(pos.text_focused());
    // A scan (a customer's item at opening time) is not a float: the popup closes and the
    // item joins the sale, to be paid once the shift is open.
    assert!(looked_up(&pos.on_scan("SKU1")).is_some());
    assert!(pos.popup.is_none());

    press(&mut pos, KeyCode::F(10));
    type_text(&mut pos, "five");
    assert_eq!(press(&mut pos, KeyCode::Enter), Reply::Nothing);
    let Some(PosPopup::ShiftOpen { error, input }) = &mut pos.popup else {
        panic!("the float popup closed");
    };
    assert!(error.is_some(), "not an amount");
    *input = Input::default();
    type_text(&mut pos, "5,000");
    assert_eq!(
        shift_request(press(&mut pos, KeyCode::Enter)),
        ShiftRequest::Open("5,000".into())
    );
    pos.on_answer(PosAnswer::Shift(Ok(Some(a_shift(false).shift))));
    assert!(pos.popup.is_none() && pos.shift.is_some());
}

#[test]
fn f10_moves_cash_reports_and_closes_the_shift() {
    let mut pos = PosScreen::new();
    pos.on_answer(PosAnswer::Shift(Ok(Some(a_shift(false).shift))));
    assert!(pos.popup.is_none(), "a shift is open: nothing asked");

    press(&mut pos, KeyCode::F(10));
    press(&mut pos, KeyCode::Char('o'));
    type_text(&mut pos, "300");
    press(&mut pos, KeyCode::Tab);
    type_text(&mut pos, "tea");
    assert_eq!(
        shift_request(press(&mut pos, KeyCode::Enter)),
        ShiftRequest::Cash {
            way: CashMove::Out,
            amount: "300".into(),
            reason: "tea".into(),
        }
    );
    pos.on_answer(PosAnswer::CashMoved(Ok((
        CashMove::Out,
        Money::from_cents(30_000),
    ))));
    assert!(pos.popup.is_none());

    press(&mut pos, KeyCode::F(10));
    assert_eq!(
        shift_request(press(&mut pos, KeyCode::Char('x'))),
        ShiftRequest::Report
    );
    press(&mut pos, KeyCode::F(10));
    press(&mut pos, KeyCode::Char('z'));
    type_text(&mut pos, "5000");
    assert_eq!(
        shift_request(press(&mut pos, KeyCode::Enter)),
        ShiftRequest::Close("5000".into())
    );
    let effects = pos.on_answer(PosAnswer::ShiftReport(Ok(a_shift(true))));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Pos(PosRequest::IssueReport(_))]
    ));
    assert!(pos.shift.is_none(), "closed");
    assert!(matches!(pos.popup, Some(PosPopup::ShiftReport { .. })));
}

#[test]
fn f11_reprints_one_of_the_last_sales_as_a_copy() {
    let mut pos = PosScreen::new();
    assert_eq!(
        press(&mut pos, KeyCode::F(11)),
        Reply::Run(Effect::Pos(PosRequest::Recent))
    );
    let sale = |n: u128| crate::domain::order::RecentSale {
        order_id: Uuid::from_u128(n),
        customer: "walk-in".into(),
        total: Money::from_cents(500),
        status: OrderStatus::Paid,
        created_at: chrono::Utc::now(),
        refunded: Money::ZERO,
    };
    pos.on_answer(PosAnswer::Recent(Ok(vec![sale(1), sale(2)])));
    press(&mut pos, KeyCode::Down);
    assert_eq!(
        press(&mut pos, KeyCode::Enter),
        Reply::Run(Effect::Pos(PosRequest::Reprint(Uuid::from_u128(2))))
    );
    let mut copy = cash_receipt(500);
    copy.copy = true;
    let effects = pos.on_answer(PosAnswer::Reprinted(Ok(copy)));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Pos(PosRequest::Issue(_))]
    ));
    assert!(matches!(pos.popup, Some(PosPopup::Receipt { .. })));
}

#[test]
fn a_signed_receipt_ends_with_kras_link_as_a_qr_code_and_scrolls_to_it() {
    let mut signed = crate::domain::receipt::tests::sample();
    signed.fiscal = Some(crate::domain::etims::tests::signed_print());
    let shown = super::draw::receipt_lines(&signed);
    let qr_rows = shown.len() - signed.lines().len();
    assert!(qr_rows > 10, "{qr_rows} rows of QR code");
    assert!(
        shown.last().unwrap().chars().all(|c| c == '█' || c == '▀'),
        "the code's light margin ends it"
    );
    let mut pos = PosScreen::new();
    pos.popup = Some(PosPopup::Receipt {
        receipt: Box::new(signed),
        issued: None,
        scroll: 0,
    });
    for _ in 0..200 {
        press(&mut pos, KeyCode::Down);
    }
    let Some(PosPopup::Receipt { scroll, .. }) = &pos.popup else {
        panic!("the receipt stays open");
    };
    assert_eq!(
        usize::from(*scroll),
        shown.len() - 1,
        "down to its last line, no further"
    );
}
