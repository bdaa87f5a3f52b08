//! The till. One scan line takes a SKU (a barcode scanner types it and presses Enter),
//! `3*SKU` for three, or words to search by name. The sale's lines and its total in large
//! type are always on screen; function keys do the rest, so scanning never stops.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row};
use std::collections::BTreeMap;

use tui_input::Input;
use uuid::Uuid;

use crate::domain::catalog::Product;
use crate::domain::held::{HeldLine, HeldSale};
use crate::domain::order::{OrderItem, OrderLine};
use crate::domain::payment::{PaymentMethod, TransactionId};
use crate::domain::receipt::Receipt;
use crate::domain::user::UserAccount;
use crate::domain::{Money, Result};
use crate::service::cart::MAX_QUANTITY;
use crate::service::pos::{Lookup, Sale, Tender};
use crate::tui::big_digits;
use crate::tui::effect::{Effect, PayAnswer, PosAnswer, PosRequest};
use crate::tui::keymap::{self, Command};
use crate::tui::scanner;
use crate::tui::screens::payment::PayFlow;
use crate::tui::screens::{Listing, Reply, edit, step};
use crate::tui::theme::Theme;
use crate::tui::view::{field_lines, popup_in};

#[derive(Debug, Clone, PartialEq)]
pub struct SaleLine {
    pub product_id: Uuid,
    pub name: String,
    pub sku: String,
    /// The price the line was rung up at (what the sale asks the services for).
    pub price: Money,
    /// The shelf price, when an admin changed it since: the cashier accepts it before paying.
    pub new_price: Option<Money>,
    pub stock: i32,
    pub quantity: i32,
}

impl SaleLine {
    fn total(&self) -> Money {
        self.price.times(self.quantity)
    }

    /// Notes the product's shelf price now: a change is marked, never taken silently.
    fn shelf_price(&mut self, price: Money) {
        self.new_price = (price != self.price).then_some(price);
    }
}

/// A sale being rung up (or held while another is).
#[derive(Debug, Clone, PartialEq)]
pub struct SaleDraft {
    /// Made when the sale starts: paying twice records it once.
    pub key: Uuid,
    pub customer: Option<(Uuid, String)>,
    pub lines: Vec<SaleLine>,
}

impl Default for SaleDraft {
    fn default() -> Self {
        SaleDraft {
            key: Uuid::new_v4(),
            customer: None,
            lines: Vec::new(),
        }
    }
}

impl SaleDraft {
    pub fn total(&self) -> Money {
        self.lines.iter().map(SaleLine::total).sum()
    }

    pub fn units(&self) -> i32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// The audit log's record of `lines` voided from the sale `key`.
    fn voided(key: Uuid, whole_sale: bool, lines: Vec<SaleLine>) -> Reply {
        let items = lines
            .into_iter()
            .map(|l| OrderItem {
                product_id: l.product_id,
                product_name: l.name,
                sku: l.sku,
                quantity: l.quantity,
                price: l.price,
            })
            .collect();
        Reply::Run(Effect::Pos(PosRequest::Void {
            sale_key: key,
            whole_sale,
            items,
        }))
    }

    /// The sale as the database keeps it while held.
    fn to_held(&self) -> HeldSale {
        let lines: Vec<HeldLine> = self
            .lines
            .iter()
            .map(|l| HeldLine {
                product_id: l.product_id,
                name: l.name.clone(),
                sku: l.sku.clone(),
                price: l.price,
                quantity: l.quantity,
            })
            .collect();
        HeldSale {
            key: self.key,
            label: HeldSale::label_for(self.customer.as_ref().map(|(_, n)| n.as_str()), &lines),
            customer: self.customer.clone(),
            lines,
            held_at: chrono::Utc::now(),
        }
    }

    /// A held sale back on screen, at the prices it was rung up at; stock is known again
    /// once its products are refreshed.
    fn from_held(held: HeldSale) -> SaleDraft {
        SaleDraft {
            key: held.key,
            customer: held.customer,
            lines: held
                .lines
                .into_iter()
                .map(|l| SaleLine {
                    product_id: l.product_id,
                    name: l.name,
                    sku: l.sku,
                    price: l.price,
                    new_price: None,
                    stock: MAX_QUANTITY,
                    quantity: l.quantity,
                })
                .collect(),
        }
    }

    /// Lines whose shelf price changed since they were rung up: "Tea 250.00 → 260.00".
    fn price_changes(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| l.new_price.map(|p| format!("{} {} → {p}", l.name, l.price)))
            .collect()
    }

    /// The cashier accepts the shelf prices of every changed line.
    fn accept_prices(&mut self) {
        for line in &mut self.lines {
            if let Some(price) = line.new_price.take() {
                line.price = price;
            }
        }
    }

    fn customer_name(&self) -> &str {
        self.customer.as_ref().map_or("walk-in", |(_, name)| name)
    }

    /// Adds `quantity` of a product, onto its line if it has one. Refuses more than stock.
    fn add(&mut self, product: &Product, quantity: i32) -> Result<usize, String> {
        let index = match self.lines.iter().position(|l| l.product_id == product.id) {
            Some(i) => i,
            None => {
                self.lines.push(SaleLine {
                    product_id: product.id,
                    name: product.name.clone(),
                    sku: product.sku.clone(),
                    price: product.price,
                    new_price: None,
                    stock: product.stock_quantity,
                    quantity: 0,
                });
                self.lines.len() - 1
            }
        };
        let line = &mut self.lines[index];
        line.shelf_price(product.price);
        line.stock = product.stock_quantity;
        let wanted = line.quantity + quantity;
        if wanted > line.stock {
            let left = line.stock;
            if line.quantity == 0 {
                self.lines.remove(index);
            }
            return Err(format!("Only {left} of {} in stock.", product.name));
        }
        line.quantity = wanted;
        Ok(index)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenderKind {
    Cash,
    MpesaCode,
    Card,
}

impl TenderKind {
    fn label(self) -> &'static str {
        match self {
            TenderKind::Cash => "Cash handed over (KSh)",
            TenderKind::MpesaCode => "M-Pesa code from the customer's SMS",
            TenderKind::Card => "Card terminal reference (never the card number)",
        }
    }

    /// Checks the typed text as the cashier types, for the error beside the field.
    fn parse(self, text: &str, total: Money) -> Result<Tender, String> {
        let tender = match self {
            // Nothing typed is exact cash, the usual case.
            TenderKind::Cash if text.trim().is_empty() => Tender::Cash { handed: total },
            TenderKind::Cash => {
                let handed = Money::parse("Cash", text).map_err(|e| e.to_string())?;
                if handed < total {
                    return Err(format!("Less than the total {total}."));
                }
                Tender::Cash { handed }
            }
            TenderKind::MpesaCode => {
                TransactionId::parse(PaymentMethod::Mpesa, text).map_err(|e| e.to_string())?;
                Tender::MpesaCode(text.trim().to_uppercase())
            }
            TenderKind::Card => {
                TransactionId::parse(PaymentMethod::Card, text).map_err(|e| e.to_string())?;
                Tender::Card(text.trim().to_uppercase())
            }
        };
        Ok(tender)
    }
}

#[derive(Debug, Clone)]
pub enum PosPopup {
    Quantity {
        input: Input,
        error: Option<String>,
    },
    Customer {
        input: Input,
        found: Vec<UserAccount>,
        /// 0 is "walk-in"; n is found[n - 1].
        selected: usize,
    },
    Held {
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
    },
    /// An M-Pesa push for a recorded sale, followed until paid. `sale` is kept to put back
    /// on screen if the push fails and the sale is cancelled.
    Push {
        flow: Box<PayFlow>,
        sale: SaleDraft,
    },
    Receipt {
        receipt: Box<Receipt>,
        /// Where it was saved and whether it printed, once known.
        issued: Option<String>,
        scroll: u16,
    },
}

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
}

impl PosScreen {
    pub fn new() -> Self {
        PosScreen {
            scan_focused: true,
            ..Default::default()
        }
    }

    /// True while keys are text for the scan line or a popup's field.
    pub fn text_focused(&self) -> bool {
        match &self.popup {
            None => self.scan_focused,
            Some(PosPopup::Quantity { .. } | PosPopup::Customer { .. }) => true,
            Some(PosPopup::Pay { kind, .. }) => kind.is_some(),
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

    /// A barcode scan (see `tui::scanner`): it always reaches the sale. A field waiting for
    /// exactly such text (cash, M-Pesa code, card reference, customer search, the push's
    /// phone) takes it as typed; a popup that takes no text closes; while the sale is being
    /// paid, or a push is on the phone, the scan starts the next sale.
    pub fn on_scan(&mut self, code: &str) -> Reply {
        match &self.popup {
            Some(PosPopup::Pay { sending: true, .. }) => {
                self.after_sale.push(code.to_owned());
                self.notice = Some(format!("{code} is kept for the next sale."));
                return Reply::Nothing;
            }
            Some(PosPopup::Pay { kind: Some(_), .. } | PosPopup::Customer { .. }) => {
                return self.type_into_popup(code);
            }
            Some(PosPopup::Push { flow, .. }) if flow.text_focused() => {
                return self.type_into_popup(code);
            }
            Some(PosPopup::Push { .. }) | None => {}
            Some(_) => self.popup = None,
        }
        self.matches.clear();
        self.scan_focused = true;
        self.look_up(code)
    }

    /// The scan's characters and Enter, as the open popup's field would take them typed.
    fn type_into_popup(&mut self, code: &str) -> Reply {
        scanner::as_keys(code)
            .iter()
            .map(|key| self.on_popup_key(key))
            .fold(Reply::Nothing, |last, reply| match reply {
                Reply::Nothing => last,
                reply => reply,
            })
    }

    /// Asks for what was typed or scanned: `3*SKU` for three, else one.
    fn look_up(&mut self, typed: &str) -> Reply {
        let (quantity, text) = match typed.split_once('*') {
            Some((n, rest)) => match n.trim().parse::<i32>() {
                Ok(n) if (1..=MAX_QUANTITY).contains(&n) => (n, rest.trim().to_owned()),
                _ => {
                    self.error = Some(format!(
                        "Before * goes a quantity from 1 to {MAX_QUANTITY}, like 3*SKU."
                    ));
                    return Reply::Nothing;
                }
            },
            None => (1, typed.trim().to_owned()),
        };
        self.error = None;
        let seq = self.next_lookup;
        self.next_lookup += 1;
        self.lookups.insert(seq, None);
        Reply::Run(Effect::Pos(PosRequest::Lookup {
            seq,
            text,
            quantity,
        }))
    }

    /// A lookup's answer, applied once every earlier lookup's has been.
    fn on_lookup(&mut self, seq: u64, quantity: i32, result: Result<Lookup>) {
        match self.lookups.get_mut(&seq) {
            Some(slot) => *slot = Some((quantity, result)),
            None => return, // asked before this sale's screen was reset
        }
        while let Some(entry) = self.lookups.first_entry()
            && entry.get().is_some()
        {
            if let Some((quantity, result)) = entry.remove() {
                self.apply_lookup(quantity, result);
            }
        }
    }

    fn apply_lookup(&mut self, quantity: i32, result: Result<Lookup>) {
        match result {
            Ok(Lookup::Sku(product)) => self.add(&product, quantity),
            Ok(Lookup::Matches(found)) if found.is_empty() => {
                self.error = Some("Nothing matches that SKU or name.".into())
            }
            Ok(Lookup::Matches(found)) => {
                self.matches = found;
                self.match_selected = 0;
                self.pending_quantity = quantity;
                self.notice = Some("Pick with ↑ ↓ and Enter; Esc closes.".into());
            }
            Err(err) => self.error = Some(err.to_string()),
        }
    }

    /// Scans kept while a sale was paid, looked up now for the next one.
    fn scans_after_sale(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.after_sale)
            .iter()
            .filter_map(|code| match self.look_up(code) {
                Reply::Run(effect) => Some(effect),
                _ => None,
            })
            .collect()
    }

    fn add(&mut self, product: &Product, quantity: i32) {
        match self.sale.add(product, quantity) {
            Ok(index) => {
                self.selected = index;
                self.error = None;
                self.notice = Some(format!("{} × {}", quantity, product.name));
            }
            Err(message) => self.error = Some(message),
        }
    }

    /// Takes the sale off the screen into the held list; the database keeps it too once
    /// the caller sends it. None when there is nothing to hold.
    fn hold(&mut self) -> Option<HeldSale> {
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
            self.sale.lines.iter().map(|l| l.product_id).collect(),
        ))]
    }

    fn on_popup_key(&mut self, key: &KeyEvent) -> Reply {
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
            } => match key.code {
                KeyCode::Esc => self.popup = None,
                KeyCode::Up => *selected = step(*selected, -1, found.len() + 1),
                KeyCode::Down => *selected = step(*selected, 1, found.len() + 1),
                KeyCode::Enter if *selected > 0 || input.value().trim().is_empty() => {
                    self.sale.customer = selected
                        .checked_sub(1)
                        .and_then(|i| found.get(i))
                        .map(|u| (u.id, u.username.clone()));
                    self.notice = Some(format!("Customer: {}.", self.sale.customer_name()));
                    self.popup = None;
                }
                KeyCode::Enter => {
                    return Reply::Run(Effect::Pos(PosRequest::FindCustomer(
                        input.value().to_owned(),
                    )));
                }
                _ => {
                    if edit(input, key) {
                        *selected = 0;
                    }
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
                    self.notice = Some("Sale voided.".into());
                    return SaleDraft::voided(sale.key, true, sale.lines);
                }
            }
            PosPopup::Pay {
                kind,
                input,
                error,
                sending,
            } => {
                if *sending {
                    return Reply::Nothing; // one payment at a time; the answer closes this
                }
                let total = self.sale.total();
                match (key.code, *kind) {
                    (KeyCode::Esc, None) => self.popup = None,
                    (KeyCode::Esc, Some(_)) => {
                        *kind = None;
                        *error = None;
                    }
                    (KeyCode::Char('p'), None) if self.push_offered => {
                        *sending = true;
                        return Reply::Run(Effect::Pos(PosRequest::Sell(Box::new(
                            self.sale_to_send(Tender::MpesaPush),
                        ))));
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
                            *sending = true;
                            return Reply::Run(Effect::Pos(PosRequest::Sell(Box::new(
                                self.sale_to_send(tender),
                            ))));
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
            PosPopup::Receipt { scroll, .. } => match key.code {
                KeyCode::Esc | KeyCode::Enter => self.popup = None,
                KeyCode::Up => *scroll = scroll.saturating_sub(1),
                KeyCode::Down => *scroll = scroll.saturating_add(1).min(40),
                _ => {}
            },
        }
        Reply::Nothing
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
                    found, selected, ..
                }) = &mut self.popup
                {
                    match result {
                        Ok(people) => {
                            *selected = usize::from(!people.is_empty());
                            *found = people;
                        }
                        Err(err) => self.error = Some(err.to_string()),
                    }
                }
            }
            PosAnswer::Sold(Ok(receipt)) if self.pushing() => {
                let mut flow = PayFlow::new(
                    receipt.order_id,
                    receipt.total,
                    Some(PaymentMethod::Mpesa),
                    &[PaymentMethod::Mpesa],
                );
                flow.start();
                let sale = std::mem::take(&mut self.sale);
                self.selected = 0;
                self.popup = Some(PosPopup::Push {
                    flow: Box::new(flow),
                    sale,
                });
                return self.scans_after_sale();
            }
            PosAnswer::Sold(result) => match result {
                Ok(receipt) => {
                    self.sale = SaleDraft::default();
                    self.selected = 0;
                    self.notice = Some(match receipt.change() {
                        Some(change) => format!("Paid. Change {change}."),
                        None if receipt.payment.verified => "Paid.".into(),
                        None => "Recorded; an admin verifies the M-Pesa code.".into(),
                    });
                    let mut effects = self.scans_after_sale();
                    // Scans already started the next sale: the receipt is saved and printed
                    // without covering it.
                    self.popup = effects.is_empty().then(|| PosPopup::Receipt {
                        receipt: receipt.clone(),
                        issued: None,
                        scroll: 0,
                    });
                    effects.push(Effect::Pos(PosRequest::Issue(receipt)));
                    return effects;
                }
                Err(err) => {
                    let refresh = matches!(err, crate::domain::Error::PriceChanged(_)).then(|| {
                        Effect::Pos(PosRequest::Refresh(
                            self.sale.lines.iter().map(|l| l.product_id).collect(),
                        ))
                    });
                    if let Some(PosPopup::Pay { error, sending, .. }) = &mut self.popup {
                        *sending = false;
                        *error = Some(err.to_string());
                    } else {
                        self.error = Some(err.to_string());
                    }
                    // Not paid: the sale stays, and scans kept meanwhile join it.
                    let mut effects = self.scans_after_sale();
                    effects.extend(refresh);
                    return effects;
                }
            },
            PosAnswer::Issued(result) => {
                let said = match result {
                    Ok(issued) => match issued.printed {
                        Some(Err(why)) => why,
                        Some(Ok(())) => format!("Printed; saved as {}.", issued.path.display()),
                        None => format!("Saved as {}.", issued.path.display()),
                    },
                    Err(err) => err.to_string(),
                };
                if let Some(PosPopup::Receipt { issued, .. }) = &mut self.popup {
                    *issued = Some(said);
                } else {
                    self.notice = Some(said);
                }
            }
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
                (Ok(()), _) => {}
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
    pub fn on_tick(&self, ticks: u64) -> Option<Effect> {
        match &self.popup {
            Some(PosPopup::Push { flow, .. }) => flow.on_tick(ticks),
            _ => None,
        }
    }

    /// Current price and stock for a product on the sale (a held sale is refreshed when it
    /// is recalled).
    pub fn refresh_product(&mut self, fresh: &Product) {
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

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let [scan_area, lines_area, total_area] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(5),
        ])
        .areas(area);
        self.draw_scan(frame, scan_area, theme);
        if self.matches.is_empty() {
            self.draw_lines(frame, lines_area, theme);
        } else {
            self.draw_matches(frame, lines_area, theme);
        }
        self.draw_total(frame, total_area, theme);
        if let Some(popup) = &self.popup {
            self.draw_popup(popup, frame, area, theme);
        }
    }

    fn draw_scan(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let (text, style) = match (&self.error, &self.notice) {
            (Some(e), _) => (e.as_str(), theme.error()),
            (None, Some(n)) => (n.as_str(), theme.ok()),
            (None, None) => ("", theme.dim()),
        };
        let title = if self.scan_focused {
            " Scan or type SKU / name, Enter (3*SKU for three) "
        } else {
            " Scan line (Enter or / to type) "
        };
        let mut block = Block::bordered().title(Line::styled(title, theme.title()));
        if !text.is_empty() {
            block = block.title_bottom(Line::styled(format!(" {text} "), style));
        }
        let cursor = if self.scan_focused { "▏" } else { "" };
        frame.render_widget(
            Paragraph::new(format!("{}{cursor}", self.scan.value())).block(block),
            area,
        );
    }

    fn draw_lines(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let rows = self.sale.lines.iter().map(|line| {
            let unit = match line.new_price {
                Some(new) => Line::styled(format!("now {new}"), theme.warn()),
                None => Line::raw(line.price.to_string()),
            };
            Row::new(vec![
                Line::raw(line.name.clone()),
                Line::raw(line.quantity.to_string()).right_aligned(),
                unit.right_aligned(),
                Line::raw(line.total().to_string()).right_aligned(),
            ])
        });
        Listing {
            title: " Sale ",
            header: &["Item", "Qty", "Unit", "Line total"],
            widths: &[
                Constraint::Fill(1),
                Constraint::Length(4),
                Constraint::Length(15),
                Constraint::Length(16),
            ],
            selected: Some(self.selected),
            empty: Some("Scan an item to start a sale. F1 lists the keys."),
        }
        .draw(frame, area, theme, rows.collect());
    }

    fn draw_matches(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let rows = self.matches.iter().map(|p| {
            Row::new(vec![
                Line::raw(p.name.clone()),
                Line::raw(p.sku.clone()),
                Line::raw(p.stock_quantity.to_string()).right_aligned(),
                Line::raw(p.price.to_string()).right_aligned(),
            ])
        });
        Listing {
            title: " Matches: ↑ ↓ Enter adds, Esc back to the sale ",
            header: &["Product", "SKU", "Stock", "Price"],
            widths: &[
                Constraint::Fill(1),
                Constraint::Length(14),
                Constraint::Length(6),
                Constraint::Length(15),
            ],
            selected: Some(self.match_selected),
            empty: None,
        }
        .draw(frame, area, theme, rows.collect());
    }

    fn draw_total(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let total = self.sale.total().to_string();
        let digits = total.trim_start_matches("KSh ");
        let block = Block::bordered().title(Line::styled(" Total KSh ", theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let big = big_digits::width(digits) as u16;
        let [number, info] =
            Layout::horizontal([Constraint::Length(big + 1), Constraint::Fill(1)]).areas(inner);
        let big_lines: Vec<Line> = big_digits::lines(digits)
            .into_iter()
            .map(|l| l.style(theme.money()))
            .collect();
        frame.render_widget(Paragraph::new(big_lines), number);
        let held = match self.held.len() {
            0 => String::new(),
            n => format!("   {n} held (F5)"),
        };
        let lines = vec![
            Line::from(vec![
                Span::styled(" Customer ", theme.dim()),
                Span::raw(self.sale.customer_name().to_owned()),
            ]),
            Line::from(vec![
                Span::styled(" Items    ", theme.dim()),
                Span::raw(format!("{}{held}", self.sale.units())),
            ]),
            Line::styled(" F12 pay  F3 customer  F4 hold  F1 keys", theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines), info);
    }

    fn draw_popup(&self, popup: &PosPopup, frame: &mut Frame, area: Rect, theme: Theme) {
        let (title, lines, width) = match popup {
            PosPopup::Quantity { input, error } => {
                let name = self
                    .sale
                    .lines
                    .get(self.selected)
                    .map_or("", |l| l.name.as_str());
                (
                    "Quantity",
                    field_lines(theme, format!("How many {name}?"), input.value(), error),
                    50,
                )
            }
            PosPopup::Customer {
                input,
                found,
                selected,
            } => {
                let mut lines = field_lines(
                    theme,
                    "Phone or username, Enter to find:".into(),
                    input.value(),
                    &None,
                );
                let names = std::iter::once("walk-in customer".to_owned()).chain(
                    found
                        .iter()
                        .map(|u| format!("{}  {}", u.username, u.phone.as_deref().unwrap_or(""))),
                );
                for (i, name) in names.enumerate().take(12) {
                    let style = if i == *selected {
                        theme.selected()
                    } else {
                        theme.dim()
                    };
                    lines.push(Line::styled(format!(" {name}"), style));
                }
                ("Customer", lines, 50)
            }
            PosPopup::Held { selected } => {
                let mut lines: Vec<Line> = self
                    .held
                    .iter()
                    .enumerate()
                    .map(|(i, sale)| {
                        let at = crate::domain::clock::shop_time(sale.held_at).format("%H:%M");
                        let label: String = sale.label.chars().take(36).collect();
                        let text = format!(" {at} {label:<36} {:>14}", sale.total().to_string());
                        let style = if i == *selected {
                            theme.selected()
                        } else {
                            Default::default()
                        };
                        Line::styled(text, style)
                    })
                    .collect();
                lines.push(Line::styled(
                    "Enter recalls (this sale is held), Esc closes",
                    theme.dim(),
                ));
                ("Held sales", lines, 62)
            }
            PosPopup::ConfirmVoid => (
                "Void the sale?",
                vec![
                    Line::raw(format!(
                        "Clear all {} lines ({})?",
                        self.sale.lines.len(),
                        self.sale.total()
                    )),
                    Line::raw("y / Enter: void   any other key: keep"),
                ],
                44,
            ),
            PosPopup::NewPrices => {
                let mut lines = vec![Line::raw("Changed since they were rung up:")];
                lines.extend(
                    self.sale
                        .price_changes()
                        .into_iter()
                        .map(|c| Line::styled(c, theme.warn())),
                );
                lines.push(Line::raw("y / Enter: charge the new prices   Esc: back"));
                ("New prices", lines, 60)
            }
            PosPopup::Pay {
                kind,
                input,
                error,
                sending,
            } => {
                let mut lines = vec![Line::from(vec![
                    Span::raw("Total "),
                    Span::styled(self.sale.total().to_string(), theme.money()),
                    Span::raw(format!("   for {}", self.sale.customer_name())),
                ])];
                match kind {
                    None => {
                        lines.push(Line::raw(""));
                        lines.push(Line::raw("c  Cash"));
                        lines.push(Line::raw("m  M-Pesa code (customer paid to the till)"));
                        lines.push(Line::raw("k  Card (terminal reference)"));
                        if self.push_offered {
                            lines.push(Line::raw("p  M-Pesa push to the customer's phone"));
                        }
                        lines.push(Line::styled("Esc: back to the sale", theme.dim()));
                    }
                    Some(kind) => {
                        lines.extend(field_lines(
                            theme,
                            kind.label().into(),
                            input.value(),
                            error,
                        ));
                        if *kind == TenderKind::Cash && input.value().is_empty() {
                            lines.push(Line::styled("Enter alone: exact cash", theme.dim()));
                        }
                        if *kind == TenderKind::Cash
                            && let Ok(Tender::Cash { handed }) =
                                kind.parse(input.value(), self.sale.total())
                        {
                            lines.push(Line::from(vec![
                                Span::raw("Change "),
                                Span::styled(
                                    (handed - self.sale.total()).to_string(),
                                    theme.money(),
                                ),
                            ]));
                        }
                        if *sending {
                            lines.push(Line::styled("Recording the sale…", theme.dim()));
                        }
                    }
                }
                ("Pay", lines, 58)
            }
            PosPopup::Push { flow, .. } => {
                let mut lines = flow.lines(theme);
                if !flow.is_done() {
                    lines.push(Line::styled(
                        "Esc: cancel the sale (its lines come back to take another payment)",
                        theme.dim(),
                    ));
                }
                ("M-Pesa push", lines, 66)
            }
            PosPopup::Receipt {
                receipt,
                issued,
                scroll,
            } => {
                // What the cashier needs now comes first; the receipt scrolls below it.
                let mut lines = vec![
                    Line::styled("Enter: next sale   ↑ ↓ scroll", theme.dim()),
                    Line::styled(
                        issued
                            .clone()
                            .unwrap_or_else(|| "Saving the receipt…".into()),
                        theme.dim(),
                    ),
                ];
                if let Some(change) = receipt.change() {
                    lines.push(Line::from(vec![
                        Span::raw("Change "),
                        Span::styled(change.to_string(), theme.money()),
                    ]));
                }
                lines.push(Line::raw(""));
                lines.extend(
                    receipt
                        .lines()
                        .into_iter()
                        .skip(usize::from(*scroll))
                        .map(Line::raw),
                );
                ("Receipt", lines, 38)
            }
        };
        popup_in(frame, area, theme, title, lines, width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        }
    }

    /// A receipt for an empty sale of `cents`, paid as `payment` says.
    fn receipt(
        order_id: Uuid,
        cents: i64,
        payment: crate::domain::receipt::Tendered,
    ) -> Box<Receipt> {
        Box::new(Receipt {
            shop: crate::config::Settings::built_in().shop,
            order_id,
            at: chrono::Utc::now(),
            cashier: "cashier".into(),
            customer: None,
            items: Vec::new(),
            total: Money::from_cents(cents),
            payment,
            sandbox: false,
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
        assert!(error.as_deref().unwrap().contains("Less than the total"));
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
}
