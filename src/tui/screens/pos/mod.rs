//! The till. One scan line takes a SKU (a barcode scanner types it and presses Enter),
//! `3*SKU` for three, or words to search by name. The sale's lines and its total in large
//! type are always on screen; function keys do the rest, so scanning never stops.

mod discount;
mod draw;
mod popup;
mod print;
mod returns;
mod sale;
mod scan;
mod shift;
#[cfg(test)]
mod tests;

pub use popup::PosPopup;
pub use returns::{ReturnDraft, ReturnFocus};
pub use sale::{SaleDraft, SaleLine, TenderKind};

use crossterm::event::{KeyCode, KeyEvent};
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use tui_input::Input;
use uuid::Uuid;

use crate::domain::Result;
use crate::domain::catalog::Product;
use crate::domain::held::HeldSale;
use crate::domain::order::OrderLine;
use crate::domain::order::{OrderDetail, OrderStatus};
use crate::domain::payment::PaymentMethod;
use crate::domain::shift::Shift;
use crate::service::pos::{Lookup, Sale, Tender};
use crate::tui::effect::{Effect, PayAnswer, PosAnswer, PosRequest, ShiftRequest};
use crate::tui::keymap::{self, Command};
use crate::tui::screens::payment::PayFlow;
use crate::tui::screens::{Reply, edit, step};

/// Customers a search lists at most (the popup fits 80×24 with "add a new customer" below).
const CUSTOMERS_SHOWN: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct PosScreen {
    pub scan: Input,
    pub scan_focused: bool,
    pub sale: SaleDraft,
    /// This cashier's held sales, as kept in the database.
    pub held: Vec<HeldSale>,
    /// The held sale asked back (F5), swapped in once the database has let it go.
    recalling: Option<Uuid>,
    pub selected: usize,
    /// Products matching words typed in the scan line, to pick from.
    pub matches: Vec<Product>,
    pub match_selected: usize,
    /// A multiplier typed as `3*` before a search, used for the product picked.
    pub pending_quantity: i32,
    /// The last SKU that matched no product: an admin adds it with Ctrl+N.
    pub unknown_sku: Option<String>,
    pub popup: Option<PosPopup>,
    /// The last problem, shown under the scan line.
    pub error: Option<String>,
    pub notice: Option<String>,
    /// True where M-Pesa pushes are set up (a provider takes them).
    pub push_offered: bool,
    /// Lookups asked and not yet applied, by when they were asked: answers are applied in
    /// that order however they arrive, so lines stand in scan order.
    lookups: BTreeMap<u64, Option<(i32, Result<Lookup>)>>,
    next_lookup: u64,
    /// Scans that came while a sale was being paid: they start the next sale.
    after_sale: Vec<String>,
    /// The cashier's open shift, once looked up (`shift_known`): no sale without one.
    pub shift: Option<Shift>,
    pub shift_known: bool,
    /// The most a cashier takes off a line without an admin, once looked up.
    pub discount_limit: Option<Decimal>,
    /// Receipts printed once KRA signs their invoice (or after a few seconds).
    awaiting_kra: Vec<print::AwaitingKra>,
}

impl PosScreen {
    pub fn new() -> Self {
        PosScreen {
            scan_focused: true,
            ..Default::default()
        }
    }

    /// The till comes on screen: the scan line takes keys; held sales and the shift are
    /// looked up (no shift open: its popup asks for the float).
    pub fn opened(&mut self) -> Vec<Effect> {
        self.scan_focused = true;
        vec![
            Effect::Pos(PosRequest::LoadHeld),
            Effect::Pos(PosRequest::Shift(ShiftRequest::Load)),
            Effect::Pos(PosRequest::DiscountLimit),
        ]
    }

    /// True while keys are text for the scan line or a popup's field.
    pub fn text_focused(&self) -> bool {
        match &self.popup {
            None => self.scan_focused,
            Some(
                PosPopup::Quantity { .. }
                | PosPopup::Customer { .. }
                | PosPopup::NewCustomer { .. },
            ) => true,
            Some(PosPopup::Pay { kind, .. }) => kind.is_some(),
            Some(
                PosPopup::ReturnFind { .. }
                | PosPopup::ShiftOpen { .. }
                | PosPopup::ShiftClose { .. }
                | PosPopup::CashMove { .. }
                | PosPopup::Discount { .. }
                | PosPopup::DiscountApproval { .. }
                | PosPopup::OpenPrice { .. },
            ) => true,
            Some(PosPopup::Return(draft)) => draft.text_focused(),
            Some(PosPopup::Push { flow, .. }) => flow.text_focused(),
            Some(_) => false,
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> Reply {
        if self.popup.is_some() {
            return self.on_popup_key(key);
        }
        let command = keymap::lookup(keymap::POS, key);
        match command {
            Some(Command::Up) if !self.matches.is_empty() => {
                self.match_selected = step(self.match_selected, -1, self.matches.len())
            }
            Some(Command::Down) if !self.matches.is_empty() => {
                self.match_selected = step(self.match_selected, 1, self.matches.len())
            }
            Some(Command::Up) => self.selected = step(self.selected, -1, self.sale.lines.len()),
            Some(Command::Down) => self.selected = step(self.selected, 1, self.sale.lines.len()),
            Some(Command::Submit) => return self.submit(),
            Some(Command::Discount) => self.open_discount(false),
            Some(Command::OpenPrice) => self.ask_open_price(),
            Some(Command::SetQuantity | Command::Remove | Command::Customer)
                if self.sale.recorded.is_some() =>
            {
                self.error = Some(
                    "This sale is recorded as it is: F12 takes payment, F9 voids it, F4 puts it aside."
                        .into(),
                )
            }
            Some(Command::Unpaid) => return Reply::Run(Effect::Pos(PosRequest::Unpaid)),
            Some(Command::Shift) => self.open_shift_popup(),
            Some(Command::Reprint) => return Reply::Run(Effect::Pos(PosRequest::Recent)),
            Some(Command::Return) => {
                self.popup = Some(PosPopup::ReturnFind {
                    input: Input::default(),
                    error: None,
                })
            }
            Some(Command::SetQuantity) if !self.sale.lines.is_empty() => {
                let quantity = self.sale.lines[self.selected].quantity.to_string();
                self.popup = Some(PosPopup::Quantity {
                    input: Input::new(quantity),
                    error: None,
                });
            }
            Some(Command::Customer) => {
                self.popup = Some(PosPopup::Customer {
                    input: Input::default(),
                    found: Vec::new(),
                    searched: None,
                    selected: 0,
                })
            }
            Some(Command::Hold) => {
                if let Some(held) = self.hold() {
                    return Reply::Run(Effect::Pos(PosRequest::SwapHeld {
                        hold: Some(Box::new(held)),
                        recall: None,
                    }));
                }
            }
            Some(Command::Recall) if !self.held.is_empty() => {
                self.popup = Some(PosPopup::Held { selected: 0 })
            }
            Some(Command::Remove) if !self.sale.lines.is_empty() => {
                let line = self.sale.lines.remove(self.selected);
                self.selected = step(self.selected, 0, self.sale.lines.len());
                self.notice = Some(format!("Voided {}.", line.name));
                self.error = self.sale.check_discounts();
                return SaleDraft::voided(self.sale.key, false, vec![line]);
            }
            Some(Command::VoidSale) if !self.sale.lines.is_empty() => {
                self.popup = Some(PosPopup::ConfirmVoid)
            }
            Some(Command::Pay) if !self.sale.price_changes().is_empty() => {
                self.popup = Some(PosPopup::NewPrices)
            }
            Some(Command::Pay) if !self.sale.lines.is_empty() => self.open_pay(),
            Some(Command::Back) if !self.matches.is_empty() => self.matches.clear(),
            Some(Command::Back) => self.scan_focused = false,
            Some(Command::FocusSearch) if !self.scan_focused => self.scan_focused = true,
            // New text in the scan line is what Enter looks up: the match list closes.
            _ if self.scan_focused && edit(&mut self.scan, key) => {
                self.error = None;
                self.matches.clear();
            }
            _ if self.scan_focused => {}
            // Typing while the scan line is left: it takes the focus back and the key.
            _ if matches!(key.code, KeyCode::Char(_)) => {
                self.scan_focused = true;
                edit(&mut self.scan, key);
            }
            _ => {}
        }
        Reply::Nothing
    }

    fn open_pay(&mut self) {
        self.popup = Some(PosPopup::Pay {
            kind: None,
            input: Input::default(),
            error: None,
            sending: false,
            unconfirmed: None,
            parts: Vec::new(),
        });
    }

    /// Enter: add the picked match, or look up what was typed.
    fn submit(&mut self) -> Reply {
        self.scan_focused = true;
        if let Some(product) = self.matches.get(self.match_selected).cloned() {
            let quantity = self.pending_quantity.max(1);
            self.matches.clear();
            self.add(&product, quantity);
            return Reply::Nothing;
        }
        let typed = self.scan.value().trim().to_owned();
        if typed.is_empty() {
            return Reply::Nothing;
        }
        let reply = self.look_up(&typed);
        if reply != Reply::Nothing {
            self.scan = Input::default();
        }
        reply
    }

    fn add(&mut self, product: &Product, quantity: i32) {
        // A scan starts a new sale beside a recorded one, which waits under F6.
        let aside = if self.sale.recorded.is_some() {
            self.hold();
            " (the unpaid sale waits under F6)"
        } else {
            ""
        };
        match self.sale.add(product, quantity) {
            Ok(index) => {
                self.selected = index;
                self.error = None;
                self.notice = Some(format!("{} × {}{aside}", quantity, product.name));
            }
            Err(message) => self.error = Some(message),
        }
    }

    /// Takes the sale off the screen into the held list; the database keeps it too once
    /// the caller sends it. None when there is nothing to hold.
    fn hold(&mut self) -> Option<HeldSale> {
        if self.sale.recorded.is_some() {
            // Recorded already: it waits in the unpaid list, not among held sales.
            self.sale = SaleDraft::default();
            self.selected = 0;
            self.notice = Some("The unpaid sale waits under F6.".into());
            return None;
        }
        if self.sale.lines.is_empty() {
            return None;
        }
        self.notice = Some(format!(
            "Sale held ({}, {}). F5 recalls it.",
            self.sale.customer_name(),
            self.sale.total()
        ));
        let held = std::mem::take(&mut self.sale).to_held();
        self.held.push(held.clone());
        self.selected = 0;
        Some(held)
    }

    /// The database let the held sale `key` go: it replaces the sale on screen, which is
    /// held in exchange. Its products' prices and stock are fetched again.
    fn recalled(&mut self, key: Uuid) -> Vec<Effect> {
        let Some(index) = self.held.iter().position(|h| h.key == key) else {
            return Vec::new();
        };
        let recalled = self.held.remove(index);
        self.hold();
        self.sale = SaleDraft::from_held(recalled);
        self.selected = 0;
        self.notice = Some(format!(
            "Recalled the sale for {}.",
            self.sale.customer_name()
        ));
        vec![Effect::Pos(PosRequest::Refresh(
            self.sale.catalog_products(),
        ))]
    }

    /// Pays the sale on screen: a new sale is recorded with its payment; a recorded one is
    /// paid as it stands.
    fn pay_request(&self, tender: Tender) -> Effect {
        Effect::Pos(match self.sale.recorded {
            Some(order_id) => PosRequest::PayOrder { order_id, tender },
            None => PosRequest::Sell(Box::new(self.sale_to_send(tender))),
        })
    }

    /// Follows an M-Pesa push for the recorded sale `order_id` (its phone asked first); the
    /// sale comes off the screen and back if the push fails and the sale is cancelled.
    fn push_for(&mut self, order_id: Uuid) {
        let mut flow = PayFlow::new(
            order_id,
            self.sale.total(),
            Some(PaymentMethod::Mpesa),
            &[PaymentMethod::Mpesa],
        )
        .with_phone(self.sale.phone.as_deref());
        flow.start();
        let sale = std::mem::take(&mut self.sale);
        self.selected = 0;
        self.popup = Some(PosPopup::Push {
            flow: Box::new(flow),
            sale,
        });
    }

    fn sale_to_send(&self, tender: Tender) -> Sale {
        Sale {
            key: self.sale.key,
            customer: self.sale.customer.as_ref().map(|(id, _)| *id),
            lines: self
                .sale
                .lines
                .iter()
                .map(|l| OrderLine {
                    product_id: l.product_id,
                    quantity: l.quantity,
                    agreed_price: l.price,
                })
                .collect(),
            discounts: self.sale.discounts.clone(),
            approval: self.sale.approval.as_ref().map(|a| a.id),
            tender,
        }
    }

    /// A service's answer for the till. Errors stay on this screen, beside what caused them.
    pub fn on_answer(&mut self, answer: PosAnswer) -> Vec<Effect> {
        match answer {
            PosAnswer::Lookup {
                seq,
                quantity,
                result,
            } => self.on_lookup(seq, quantity, result),
            PosAnswer::Customers(result) => {
                if let Some(PosPopup::Customer {
                    input,
                    found,
                    searched,
                    selected,
                }) = &mut self.popup
                {
                    match result {
                        Ok(mut people) => {
                            // The first match, or (nobody matching) "add a new customer".
                            people.truncate(CUSTOMERS_SHOWN);
                            *selected = 1;
                            *found = people;
                            *searched = Some(input.value().trim().to_owned());
                        }
                        Err(err) => self.error = Some(err.to_string()),
                    }
                }
            }
            PosAnswer::CustomerAdded(Ok(customer)) => {
                self.notice = Some(format!(
                    "New customer {} added and named on the sale.",
                    customer.username
                ));
                self.sale.customer = Some((customer.id, customer.username));
                self.sale.phone = customer.phone;
                self.popup = None;
            }
            PosAnswer::CustomerAdded(Err(err)) => match &mut self.popup {
                Some(PosPopup::NewCustomer { form }) => form.refused(&err),
                _ => self.error = Some(err.to_string()),
            },
            PosAnswer::Sold(Ok(receipt)) if self.pushing() => {
                self.push_for(receipt.order_id);
                return self.scans_after_sale();
            }
            PosAnswer::Sold(result) => match result {
                Ok(receipt) => {
                    self.sale = SaleDraft::default();
                    self.selected = 0;
                    // An earlier problem (a code that matched nothing) is over with the sale.
                    self.error = None;
                    self.notice = Some(match receipt.change() {
                        Some(change) => format!("Paid. Change {change}."),
                        None if receipt.payment.verified => "Paid.".into(),
                        None => "Recorded, unpaid until the M-Pesa code is confirmed.".into(),
                    });
                    let mut effects = self.scans_after_sale();
                    // Scans already started the next sale: the receipt is saved and printed
                    // without covering it.
                    self.popup = effects.is_empty().then(|| PosPopup::Receipt {
                        receipt: receipt.clone(),
                        issued: None,
                        scroll: 0,
                    });
                    effects.extend(self.issue(receipt));
                    return effects;
                }
                Err(err) => {
                    if err == crate::domain::Error::DiscountNeedsApproval {
                        // Expired or never given: Ctrl+D asks an admin again.
                        self.sale.approval = None;
                    }
                    let refresh = matches!(err, crate::domain::Error::PriceChanged(_))
                        .then(|| Effect::Pos(PosRequest::Refresh(self.sale.catalog_products())));
                    if let Some(PosPopup::Pay {
                        error,
                        sending,
                        unconfirmed,
                        ..
                    }) = &mut self.popup
                    {
                        *sending = false;
                        *error = Some(err.to_string());
                        if let crate::domain::Error::CodeNotConfirmed(code) = &err {
                            *unconfirmed = Some(code.clone());
                        }
                    } else {
                        self.error = Some(err.to_string());
                    }
                    // Not paid: the sale stays, and scans kept meanwhile join it.
                    let mut effects = self.scans_after_sale();
                    effects.extend(refresh);
                    return effects;
                }
            },
            PosAnswer::Shift(result) => return self.on_shift(result),
            PosAnswer::CashMoved(result) => self.on_cash_moved(result),
            PosAnswer::ShiftReport(result) => return self.on_shift_report(result),
            PosAnswer::Recent(Ok(sales)) if sales.is_empty() => {
                self.notice = Some("No sales of yours to reprint yet.".into())
            }
            PosAnswer::Recent(Ok(sales)) => {
                self.popup = Some(PosPopup::Recent { sales, selected: 0 })
            }
            PosAnswer::Recent(Err(err)) | PosAnswer::Reprinted(Err(err)) => {
                self.error = Some(err.to_string())
            }
            PosAnswer::Reprinted(Ok(copy)) => {
                self.popup = Some(PosPopup::Receipt {
                    receipt: copy.clone(),
                    issued: None,
                    scroll: 0,
                });
                return self.issue(copy);
            }
            PosAnswer::InvoiceNow(result) => return self.on_invoice_now(result),
            PosAnswer::SaleFound(result) => {
                if let Some(PosPopup::ReturnFind { error, .. }) = &mut self.popup {
                    match result {
                        Ok(sale) if sale.lines.iter().all(|l| l.left() == 0) => {
                            *error = Some("Everything of that sale came back already.".into())
                        }
                        Ok(sale) => {
                            self.popup = Some(PosPopup::Return(Box::new(ReturnDraft::new(*sale))))
                        }
                        Err(err) => *error = Some(err.to_string()),
                    }
                }
            }
            PosAnswer::Returned(Ok(slip)) => {
                self.notice = Some(format!(
                    "Taken back: refund {} by {}.",
                    slip.total,
                    slip.payment.method.label()
                ));
                let mut effects = self.scans_after_sale();
                self.popup = effects.is_empty().then(|| PosPopup::Receipt {
                    receipt: slip.clone(),
                    issued: None,
                    scroll: 0,
                });
                effects.extend(self.issue(slip));
                return effects;
            }
            PosAnswer::Returned(Err(err)) => {
                if let Some(PosPopup::Return(draft)) = &mut self.popup {
                    draft.sending = false;
                    draft.error = Some(err.to_string());
                } else {
                    self.error = Some(err.to_string());
                }
                return self.scans_after_sale();
            }
            PosAnswer::Issued(result) => {
                let said = match result {
                    Ok(issued) => match issued.printed {
                        Some(Err(why)) => why,
                        Some(Ok(())) => format!("Printed; saved as {}.", issued.path.display()),
                        None => format!("Saved as {}.", issued.path.display()),
                    },
                    Err(err) => err.to_string(),
                };
                if let Some(
                    PosPopup::Receipt { issued, .. } | PosPopup::ShiftReport { issued, .. },
                ) = &mut self.popup
                {
                    *issued = Some(said);
                } else {
                    self.notice = Some(said);
                }
            }
            PosAnswer::Unpaid(Ok(orders)) if orders.is_empty() => {
                self.notice = Some("No unpaid sales.".into())
            }
            PosAnswer::Unpaid(Ok(orders)) => {
                self.popup = Some(PosPopup::Unpaid {
                    orders,
                    selected: 0,
                })
            }
            PosAnswer::Unpaid(Err(err)) => self.error = Some(err.to_string()),
            PosAnswer::Order(Ok(detail)) => return self.take_up_unpaid(*detail),
            PosAnswer::Order(Err(err)) => self.error = Some(err.to_string()),
            PosAnswer::DiscountLimit(Ok(limit)) => self.discount_limit = Some(limit),
            PosAnswer::DiscountLimit(Err(err)) => self.error = Some(err.to_string()),
            PosAnswer::DiscountApproved(result) => self.on_discount_approved(result),
            PosAnswer::Held(Ok(held)) => self.held = held,
            PosAnswer::Held(Err(err)) => self.error = Some(err.to_string()),
            PosAnswer::Swapped(result) => match (result, self.recalling.take()) {
                (Ok(()), Some(key)) => return self.recalled(key),
                (Ok(()), None) => {}
                (Err(err), _) => self.error = Some(format!("Held sales: {err}")),
            },
            PosAnswer::Voided(Ok(())) => {}
            PosAnswer::Voided(Err(err)) => {
                self.error = Some(format!("The void was not recorded: {err}"));
            }
            PosAnswer::Cancelled(result) => match (result, self.popup.take()) {
                (Ok(()), Some(PosPopup::Push { sale, .. })) => {
                    // The same lines again, as a new sale: the cancelled one is closed.
                    self.sale = SaleDraft {
                        key: Uuid::new_v4(),
                        ..sale
                    };
                    self.notice = Some(
                        "M-Pesa did not pay: the sale was cancelled and is back on screen.".into(),
                    );
                }
                (Ok(()), popup) => {
                    self.popup = popup;
                    self.notice = Some("Unpaid sale voided: its stock is back.".into());
                }
                (Err(err), popup) => {
                    self.popup = popup;
                    self.error = Some(err.to_string());
                }
            },
            PosAnswer::Refreshed(result) => match result {
                Ok(products) => {
                    for product in &products {
                        self.refresh_product(product);
                    }
                }
                Err(err) => self.error = Some(err.to_string()),
            },
        }
        Vec::new()
    }

    /// An unpaid order comes onto the till to be paid or voided; a sale being rung up is
    /// held for it.
    fn take_up_unpaid(&mut self, detail: OrderDetail) -> Vec<Effect> {
        if detail.order.status != OrderStatus::Pending {
            self.error = Some(format!("That sale is {} now.", detail.order.status));
            return Vec::new();
        }
        let held = self.hold();
        self.sale = SaleDraft::from_order(detail);
        self.selected = 0;
        self.error = None;
        self.notice = Some(format!(
            "Unpaid sale for {}: F12 takes payment, F9 voids it.",
            self.sale.customer_name()
        ));
        held.map(|held| {
            Effect::Pos(PosRequest::SwapHeld {
                hold: Some(Box::new(held)),
                recall: None,
            })
        })
        .into_iter()
        .collect()
    }

    /// True while a sale paid by an M-Pesa push is being recorded.
    fn pushing(&self) -> bool {
        matches!(
            self.popup,
            Some(PosPopup::Pay {
                kind: None,
                sending: true,
                ..
            })
        )
    }

    /// A push's answer: paid gives the receipt; anything else shows in the popup.
    pub fn on_pay(&mut self, answer: PayAnswer) -> Vec<Effect> {
        let Some(PosPopup::Push { flow, .. }) = &mut self.popup else {
            return Vec::new();
        };
        flow.on_answer(answer);
        if flow.is_done() {
            return vec![Effect::Pos(PosRequest::Receipt(flow.order_id))];
        }
        Vec::new()
    }

    /// True while an M-Pesa push here waits for payment `id`.
    pub fn waits_for(&self, id: Uuid) -> bool {
        matches!(&self.popup, Some(PosPopup::Push { flow, .. }) if flow.waits_for(id))
    }

    /// While a push waits, its status is asked for now and then.
    /// An M-Pesa push to a customer's phone is being waited for.
    pub fn waiting_on_phone(&self) -> bool {
        matches!(self.popup, Some(PosPopup::Push { .. }))
    }

    pub fn on_tick(&self, ticks: u64) -> Option<Effect> {
        match &self.popup {
            Some(PosPopup::Push { flow, .. }) => flow.on_tick(ticks),
            _ => None,
        }
    }

    /// Current price and stock for a product on the sale (a held sale is refreshed when it
    /// is recalled).
    pub fn refresh_product(&mut self, fresh: &Product) {
        if self.sale.recorded.is_some() {
            return; // its prices are the order's
        }
        for line in self
            .sale
            .lines
            .iter_mut()
            .filter(|l| l.product_id == fresh.id)
        {
            line.shelf_price(fresh.price);
            line.stock = fresh.stock_quantity;
        }
    }

    pub fn holds(&self, product_id: Uuid) -> bool {
        self.sale.lines.iter().any(|l| l.product_id == product_id)
    }
}
