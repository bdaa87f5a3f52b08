//! The till's popups and the keys they take.

use crossterm::event::{KeyCode, KeyEvent};

use tui_input::Input;
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::catalog::OPEN_PRICE;
use crate::domain::discount::Discount;
use crate::domain::order::{RecentSale, UnpaidOrder};
use crate::domain::receipt::Receipt;
use crate::domain::shift::ShiftReport;
use crate::domain::user::UserAccount;
use crate::domain::values::{Phone, limits};
use crate::service::cart::MAX_QUANTITY;
use crate::service::pos::{MAX_PARTS, Part, Tender};
use crate::service::shifts::CashMove;
use crate::tui::effect::{Effect, PosRequest};
use crate::tui::form::{Field, Form, FormKey};
use crate::tui::screens::payment::PayFlow;
use crate::tui::screens::{Reply, edit, edit_within, step};

use super::returns::ReturnKey;
use super::{PosScreen, ReturnDraft, SaleDraft, TenderKind};

#[derive(Debug, Clone)]
pub enum PosPopup {
    Quantity {
        input: Input,
        error: Option<String>,
    },
    Customer {
        input: Input,
        found: Vec<UserAccount>,
        /// The text the last search was for, once answered.
        searched: Option<String>,
        /// 0 is "walk-in"; n is found[n - 1]; found.len() + 1 is "add a new customer".
        selected: usize,
    },
    /// A customer added on the spot: username and phone.
    NewCustomer {
        form: Form,
    },
    Held {
        selected: usize,
    },
    /// Orders recorded and unpaid (F6), to pay again or void.
    Unpaid {
        orders: Vec<UnpaidOrder>,
        selected: usize,
    },
    ConfirmVoid,
    /// Prices changed since lines were rung up: accepted before paying.
    NewPrices,
    Pay {
        kind: Option<TenderKind>,
        input: Input,
        error: Option<String>,
        sending: bool,
        /// An M-Pesa code Safaricom has not confirmed (yet): Enter on it again records the
        /// sale to settle when the confirmation comes.
        unconfirmed: Option<String>,
        /// Cash taken as parts (Tab), the rest to pay by another tender; nothing is written
        /// until the last part is given.
        parts: Vec<Part>,
    },
    /// An M-Pesa push for a recorded sale, followed until paid. `sale` is kept to put back
    /// on screen if the push fails and the sale is cancelled.
    Push {
        flow: Box<PayFlow>,
        sale: SaleDraft,
    },
    /// No shift open: the float counted into the drawer opens one.
    ShiftOpen {
        input: Input,
        error: Option<String>,
    },
    /// F10 with a shift open: cash in or out, the X report, the close.
    ShiftMenu,
    CashMove {
        way: CashMove,
        form: Form,
    },
    /// The cash counted in the drawer: closes the shift (the Z report).
    ShiftClose {
        input: Input,
        error: Option<String>,
    },
    ShiftReport {
        report: Box<ShiftReport>,
        issued: Option<String>,
        scroll: u16,
    },
    /// F11: the cashier's last sales, one to reprint.
    Recent {
        sales: Vec<RecentSale>,
        selected: usize,
    },
    /// F7: the receipt number of the sale goods come back from (typed or scanned).
    ReturnFind {
        input: Input,
        error: Option<String>,
    },
    /// The sale found: what comes back of it, and how it is refunded.
    Return(Box<ReturnDraft>),
    /// Ctrl+D: off the line of `product`, or the whole sale (None).
    Discount {
        product: Option<Uuid>,
        form: Form,
    },
    /// Ctrl+O: the price of the open-price line (something the shop has not entered).
    OpenPrice {
        form: Form,
    },
    /// Discounts over the cashier's limit, given once an admin approves.
    DiscountApproval {
        discounts: Vec<Discount>,
        form: Form,
    },
    Receipt {
        receipt: Box<Receipt>,
        /// Where it was saved and whether it printed, once known.
        issued: Option<String>,
        scroll: u16,
    },
}

impl PosScreen {
    pub(super) fn on_popup_key(&mut self, key: &KeyEvent) -> Reply {
        let Some(popup) = self.popup.as_mut() else {
            return Reply::Nothing;
        };
        let esc = key.code == KeyCode::Esc;
        match popup {
            PosPopup::Quantity { input, error } => {
                if esc {
                    self.popup = None;
                } else if key.code == KeyCode::Enter {
                    let line = &mut self.sale.lines[self.selected];
                    match input.value().trim().parse::<i32>() {
                        Ok(q) if q >= 1 && q <= line.stock.min(MAX_QUANTITY) => {
                            line.quantity = q;
                            self.popup = None;
                            if let Some(taken_off) = self.sale.check_discounts() {
                                self.error = Some(taken_off);
                            }
                        }
                        _ => {
                            *error = Some(format!(
                                "A whole number from 1 to {} (in stock).",
                                line.stock.min(MAX_QUANTITY)
                            ))
                        }
                    }
                } else if edit(input, key) {
                    *error = None;
                }
            }
            PosPopup::Customer {
                input,
                found,
                selected,
                ..
            } => match key.code {
                KeyCode::Esc => self.popup = None,
                KeyCode::Up => *selected = step(*selected, -1, found.len() + 2),
                KeyCode::Down => *selected = step(*selected, 1, found.len() + 2),
                KeyCode::Enter if *selected == found.len() + 1 => {
                    self.popup = Some(PosPopup::NewCustomer {
                        form: new_customer_form(input.value()),
                    });
                }
                KeyCode::Enter if *selected > 0 || input.value().trim().is_empty() => {
                    let picked = selected.checked_sub(1).and_then(|i| found.get(i));
                    self.sale.customer = picked.map(|u| (u.id, u.username.clone()));
                    self.sale.phone = picked.and_then(|u| u.phone.clone());
                    self.notice = Some(format!("Customer: {}.", self.sale.customer_name()));
                    self.popup = None;
                }
                KeyCode::Enter => {
                    return Reply::Run(Effect::Pos(PosRequest::FindCustomer(
                        input.value().to_owned(),
                    )));
                }
                _ => {
                    if edit_within(input, key, limits::SEARCH) {
                        *selected = 0;
                    }
                }
            },
            PosPopup::NewCustomer { form } => match form.on_key(key) {
                FormKey::Cancel => self.popup = None,
                FormKey::Nothing => {}
                FormKey::Submit => {
                    return Reply::Run(Effect::Pos(PosRequest::AddCustomer {
                        username: form.value("Username").trim().to_owned(),
                        phone: form.value("Phone").trim().to_owned(),
                    }));
                }
            },
            PosPopup::Held { selected } => match key.code {
                KeyCode::Esc => self.popup = None,
                KeyCode::Up => *selected = step(*selected, -1, self.held.len()),
                KeyCode::Down => *selected = step(*selected, 1, self.held.len()),
                KeyCode::Enter => {
                    let Some(key) = self.held.get(*selected).map(|h| h.key) else {
                        return Reply::Nothing;
                    };
                    self.popup = None;
                    self.recalling = Some(key);
                    let on_screen = (!self.sale.lines.is_empty()).then(|| self.sale.to_held());
                    return Reply::Run(Effect::Pos(PosRequest::SwapHeld {
                        hold: on_screen.map(Box::new),
                        recall: Some(key),
                    }));
                }
                _ => {}
            },
            PosPopup::Unpaid { orders, selected } => match key.code {
                KeyCode::Esc => self.popup = None,
                KeyCode::Up => *selected = step(*selected, -1, orders.len()),
                KeyCode::Down => *selected = step(*selected, 1, orders.len()),
                KeyCode::Enter => {
                    let Some(order_id) = orders.get(*selected).map(|o| o.order_id) else {
                        return Reply::Nothing;
                    };
                    self.popup = None;
                    return Reply::Run(Effect::Pos(PosRequest::LoadOrder(order_id)));
                }
                _ => {}
            },
            PosPopup::NewPrices => match key.code {
                KeyCode::Enter | KeyCode::Char('y') => {
                    self.sale.accept_prices();
                    self.notice = Some("New prices accepted.".into());
                    self.open_pay();
                }
                _ => self.popup = None,
            },
            PosPopup::ConfirmVoid => {
                self.popup = None;
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Enter) {
                    let sale = std::mem::take(&mut self.sale);
                    self.selected = 0;
                    if let Some(order_id) = sale.recorded {
                        // A recorded order is cancelled: its stock goes back.
                        self.notice = Some("Voiding the unpaid sale…".into());
                        return Reply::Run(Effect::Pos(PosRequest::CancelSale(order_id)));
                    }
                    self.notice = Some("Sale voided.".into());
                    return SaleDraft::voided(sale.key, true, sale.lines);
                }
            }
            PosPopup::Pay {
                kind,
                input,
                error,
                sending,
                unconfirmed,
                parts,
            } => {
                if *sending {
                    return Reply::Nothing; // one payment at a time; the answer closes this
                }
                let total = self.sale.total() - parts.iter().map(|p| p.amount).sum();
                match (key.code, *kind) {
                    (KeyCode::Esc, None) => {
                        if !parts.is_empty() {
                            self.notice = Some("Parts dropped: nothing was recorded.".into());
                        }
                        self.popup = None;
                    }
                    (KeyCode::Esc, Some(_)) => {
                        *kind = None;
                        *error = None;
                    }
                    (KeyCode::Char('p'), None) if !parts.is_empty() => {
                        *error = Some("A push pays the whole sale: Esc drops the parts.".into());
                    }
                    (KeyCode::Tab, Some(TenderKind::Cash)) => {
                        match take_part(input.value(), total, parts.len()) {
                            Ok(part) => {
                                parts.push(part);
                                *kind = None;
                                *error = None;
                                *input = Input::default();
                            }
                            Err(message) => *error = Some(message),
                        }
                    }
                    (KeyCode::Char('p'), None) if self.push_offered => {
                        if let Some(order_id) = self.sale.recorded {
                            // Recorded already: the push goes straight to the phone.
                            self.push_for(order_id);
                            return Reply::Nothing;
                        }
                        *sending = true;
                        return Reply::Run(self.pay_request(Tender::MpesaPush));
                    }
                    (KeyCode::Char(c), None) => {
                        let chosen = match c {
                            'c' => TenderKind::Cash,
                            'm' => TenderKind::MpesaCode,
                            'k' => TenderKind::Card,
                            _ => return Reply::Nothing,
                        };
                        *kind = Some(chosen);
                        *input = Input::default();
                    }
                    (KeyCode::Enter, Some(chosen)) => match chosen.parse(input.value(), total) {
                        Ok(tender) => {
                            let tender = match tender {
                                Tender::MpesaCode(code)
                                    if unconfirmed.as_ref() == Some(&code) && parts.is_empty() =>
                                {
                                    Tender::MpesaCodeAwaited(code)
                                }
                                last if !parts.is_empty() => {
                                    let mut parts = parts.clone();
                                    parts.push(Part {
                                        amount: total,
                                        tender: last,
                                    });
                                    Tender::Split(parts)
                                }
                                other => other,
                            };
                            *sending = true;
                            return Reply::Run(self.pay_request(tender));
                        }
                        Err(message) => *error = Some(message),
                    },
                    (_, Some(chosen)) if edit(input, key) => {
                        *error = chosen.parse(input.value(), total).err();
                    }
                    _ => {}
                }
            }
            PosPopup::Push { flow, .. } => {
                if key.code == KeyCode::Esc && !flow.is_done() {
                    return Reply::Run(Effect::Pos(PosRequest::CancelSale(flow.order_id)));
                }
                if let Some(effect) = flow.on_key(key) {
                    return Reply::Run(effect);
                }
            }
            PosPopup::ShiftOpen { .. }
            | PosPopup::ShiftMenu
            | PosPopup::CashMove { .. }
            | PosPopup::ShiftClose { .. }
            | PosPopup::ShiftReport { .. } => return self.on_shift_key(key),
            PosPopup::Recent { sales, selected } => match key.code {
                KeyCode::Up => *selected = step(*selected, -1, sales.len()),
                KeyCode::Down => *selected = step(*selected, 1, sales.len()),
                KeyCode::Enter => {
                    let Some(order_id) = sales.get(*selected).map(|s| s.order_id) else {
                        return Reply::Nothing;
                    };
                    self.popup = None;
                    return Reply::Run(Effect::Pos(PosRequest::Reprint(order_id)));
                }
                _ => self.popup = None,
            },
            PosPopup::ReturnFind { input, error } => match key.code {
                KeyCode::Esc => self.popup = None,
                KeyCode::Enter if !input.value().trim().is_empty() => {
                    *error = None;
                    return Reply::Run(Effect::Pos(PosRequest::FindSale(
                        input.value().trim().to_owned(),
                    )));
                }
                _ => {
                    if edit_within(input, key, 36) {
                        *error = None;
                    }
                }
            },
            PosPopup::Return(draft) => match draft.on_key(key) {
                ReturnKey::Nothing => {}
                ReturnKey::Cancel => self.popup = None,
                ReturnKey::Submit(request) => {
                    return Reply::Run(Effect::Pos(PosRequest::TakeReturn(request)));
                }
            },
            PosPopup::Discount { .. } | PosPopup::DiscountApproval { .. } => {
                return self.on_discount_key(key);
            }
            PosPopup::OpenPrice { form } => match form.on_key(key) {
                FormKey::Cancel => self.popup = None,
                FormKey::Nothing => {}
                FormKey::Submit => match Money::parse("Price", form.value("Price")) {
                    Ok(price) if price > Money::ZERO => {
                        self.selected = self.sale.open_price(price);
                        self.notice = Some(format!("Open-price line at {price}."));
                        self.popup = None;
                    }
                    Ok(_) => {
                        form.refused(&crate::domain::Error::invalid("Price", "more than nothing"))
                    }
                    Err(err) => form.refused(&err),
                },
            },
            PosPopup::Receipt {
                scroll, receipt, ..
            } => match key.code {
                KeyCode::Esc | KeyCode::Enter => self.popup = None,
                KeyCode::Up => *scroll = scroll.saturating_sub(1),
                KeyCode::Down => {
                    let last = super::draw::receipt_lines(receipt).len().saturating_sub(1);
                    *scroll = scroll.saturating_add(1).min(last as u16);
                }
                _ => {}
            },
        }
        Reply::Nothing
    }
}

/// Cash typed as a part of the payment (Tab): more than nothing, less than what is left,
/// leaving room for the last part.
fn take_part(text: &str, left: Money, taken: usize) -> Result<Part, String> {
    if taken + 1 >= MAX_PARTS {
        return Err(format!(
            "At most {MAX_PARTS} parts: pay what is left in one."
        ));
    }
    let amount = Money::parse("Cash", text).map_err(|e| e.to_string())?;
    if amount == Money::ZERO || amount >= left {
        return Err(format!(
            "A part is more than nothing and less than the {left} left."
        ));
    }
    Ok(Part {
        amount,
        tender: Tender::Cash { handed: amount },
    })
}

impl PosScreen {
    /// Ctrl+O: asks the price of the open-price line (its current one when the sale has it).
    pub(super) fn ask_open_price(&mut self) {
        if self.sale.recorded.is_some() {
            self.error = Some("This sale is recorded as it is: its lines are fixed.".into());
            return;
        }
        let now = self
            .sale
            .lines
            .iter()
            .find(|l| l.product_id == OPEN_PRICE)
            .map_or(String::new(), |l| l.price.amount().to_string());
        let form = Form::new(
            "Open-price line: something the shop has not entered (one per sale)",
            vec![Field::new("Price", now).max(16)],
        );
        self.popup = Some(PosPopup::OpenPrice { form });
    }
}

/// The new customer's form, with what was searched for put where it belongs.
fn new_customer_form(searched: &str) -> Form {
    let searched = searched.trim();
    let (username, phone) = match Phone::parse(searched) {
        Ok(_) => ("", searched),
        Err(_) => (searched, ""),
    };
    Form::new(
        "New customer (they set a password later to log in)",
        vec![
            Field::new("Username", username).max(limits::USERNAME),
            Field::new("Phone", phone).max(limits::PHONE),
        ],
    )
}
