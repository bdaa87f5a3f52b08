//! The admin console (tab 5): orders, payments, payment alerts, products, low stock,
//! categories, users,
//! the audit log and sales reports, one section at a time (Tab moves between them).
//! Changes go through forms and confirmations; every one is checked again by the services.

mod draw;
mod forms;

use crossterm::event::KeyEvent;
use uuid::Uuid;

use crate::domain::Result;
use crate::domain::alert::Alert;
use crate::domain::audit::AuditEntry;
use crate::domain::catalog::{Category, PriceChange, Product};
use crate::domain::etims::{DeviceStatus, InvoiceState, QueuedInvoice};
use crate::domain::order::{OrderDetail, OrderFilter, OrderStatus, OrderSummary, short_id};
use crate::domain::payment::{PaymentMethod, PaymentRow, PaymentStatus, TillPayment};
use crate::domain::report::SalesReport;
use crate::domain::returns::PendingRefund;
use crate::domain::shift::{Shift, ShiftFilter, ShiftReport, ShiftSummary};
use crate::domain::terminal::Terminal;
use crate::domain::user::UserAccount;
use crate::tui::effect::{AdminAnswer, AdminRequest, Change, Effect, PosRequest};
use crate::tui::form::{Form, FormKey};
use crate::tui::keymap::{self, Command};
use crate::tui::screens::step;

pub use forms::Purpose;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Orders,
    Payments,
    Alerts,
    Products,
    LowStock,
    Categories,
    Users,
    Terminals,
    Audit,
    Shifts,
    Refunds,
    Reports,
    TillPayments,
    Etims,
}

impl Section {
    pub const ALL: [Section; 14] = [
        Section::Orders,
        Section::Payments,
        Section::Alerts,
        Section::Products,
        Section::LowStock,
        Section::Categories,
        Section::Users,
        Section::Terminals,
        Section::Audit,
        Section::Shifts,
        Section::Refunds,
        Section::Reports,
        Section::TillPayments,
        Section::Etims,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Orders => "Orders",
            Section::Payments => "Payments",
            Section::TillPayments => "Till M-Pesa",
            Section::Etims => "eTIMS",
            Section::Alerts => "Alerts",
            Section::Products => "Products",
            Section::LowStock => "Low stock",
            Section::Categories => "Categories",
            Section::Users => "Users",
            Section::Terminals => "Terminals",
            Section::Audit => "Audit",
            Section::Shifts => "Shifts",
            Section::Refunds => "Refunds",
            Section::Reports => "Reports",
        }
    }

    fn index(self) -> usize {
        Section::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Rows of one section and which is selected.
#[derive(Debug, Clone)]
pub struct List<T> {
    pub rows: Vec<T>,
    pub selected: usize,
    pub loaded: bool,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List {
            rows: Vec::new(),
            selected: 0,
            loaded: false,
        }
    }
}

impl<T> List<T> {
    fn set(&mut self, result: Result<Vec<T>>) -> Option<Said> {
        self.loaded = true;
        match result {
            Ok(rows) => {
                self.selected = self.selected.min(rows.len().saturating_sub(1));
                self.rows = rows;
                None
            }
            Err(err) => Some(Err(err.to_string())),
        }
    }

    pub fn current(&self) -> Option<&T> {
        self.rows.get(self.selected)
    }

    fn step(&mut self, delta: isize) {
        self.selected = step(self.selected, delta, self.rows.len());
    }
}

#[derive(Debug, Clone)]
pub enum Popup {
    Form {
        form: Box<Form>,
        purpose: Purpose,
    },
    Confirm {
        question: String,
        change: Change,
    },
    Order(Option<Box<OrderDetail>>),
    Product(Option<(Box<Product>, Vec<PriceChange>)>),
    Audit(Box<AuditEntry>),
    /// A shift's report, once loaded.
    ShiftReport(Option<Box<ShiftReport>>),
    ShiftSummary(Option<Box<ShiftSummary>>),
}

/// What the status line should say: Ok for news, Err for a problem.
pub type Said = std::result::Result<String, String>;

#[derive(Debug, Clone)]
pub struct AdminScreen {
    pub section: Section,
    pub orders: List<OrderSummary>,
    pub order_filter: OrderFilter,
    pub payments: List<PaymentRow>,
    /// Money that needs an admin (see `payment_alerts`).
    pub alerts: List<Alert>,
    pub payment_status: Option<PaymentStatus>,
    pub payment_method: Option<PaymentMethod>,
    pub products: List<Product>,
    pub product_search: String,
    pub product_category: Option<Category>,
    pub low_stock: List<Product>,
    pub low_threshold: i32,
    pub categories: List<Category>,
    pub users: List<UserAccount>,
    pub user_search: String,
    /// The terminals the shop's server lets in (added and revoked with `bytemtaani
    /// terminal`).
    pub terminals: List<Terminal>,
    pub audit: List<AuditEntry>,
    pub audit_filter: String,
    /// Cashiers' shifts with their cash differences.
    pub shifts: List<Shift>,
    pub shift_filter: ShiftFilter,
    /// Refunds of returned goods to send back with M-Pesa or PayPal.
    pub refunds: List<PendingRefund>,
    /// Payments to the till number that no sale claimed.
    pub till_payments: List<TillPayment>,
    /// eTIMS invoices, unsent first, and how the device stands, once loaded.
    pub etims: List<QueuedInvoice>,
    pub etims_device: Option<DeviceStatus>,
    pub report: Option<Box<SalesReport>>,
    pub popup: Option<Popup>,
    /// Lines a read-only popup (an order, a report) is scrolled by, when taller than the
    /// screen (a shift report at 80×24).
    pub popup_scroll: u16,
    /// Shown above every section while they hold.
    pub warnings: Vec<String>,
}

const PAGE: isize = 10;

impl AdminScreen {
    pub fn new(low_threshold: i32) -> Self {
        AdminScreen {
            section: Section::Orders,
            orders: List::default(),
            order_filter: OrderFilter::default(),
            payments: List::default(),
            alerts: List::default(),
            // Payments that wait for someone are what an admin opens this for.
            payment_status: Some(PaymentStatus::Pending),
            payment_method: None,
            products: List::default(),
            product_search: String::new(),
            product_category: None,
            low_stock: List::default(),
            low_threshold,
            categories: List::default(),
            users: List::default(),
            terminals: List::default(),
            user_search: String::new(),
            audit: List::default(),
            audit_filter: String::new(),
            shifts: List::default(),
            shift_filter: ShiftFilter::default(),
            refunds: List::default(),
            till_payments: List::default(),
            etims: List::default(),
            etims_device: None,
            report: None,
            popup: None,
            popup_scroll: 0,
            warnings: Vec::new(),
        }
    }

    /// The Products section with the new-product form open, its SKU filled in (an admin
    /// at the till scanned something the shop has not entered yet).
    pub fn new_product_with_sku(&mut self, sku: &str) -> Vec<Effect> {
        self.section = Section::Products;
        self.popup = Some(forms::new_product_with_sku(&self.categories.rows, sku));
        self.open()
    }

    pub fn text_focused(&self) -> bool {
        matches!(self.popup, Some(Popup::Form { .. }))
    }

    /// Loads what the current section shows (categories too: product forms pick from
    /// them), and what the console warns of.
    pub fn open(&self) -> Vec<Effect> {
        vec![
            self.load(),
            admin(AdminRequest::Categories),
            admin(AdminRequest::Warnings),
        ]
    }

    fn load(&self) -> Effect {
        admin(match self.section {
            Section::Orders => AdminRequest::Orders(self.order_filter.clone()),
            Section::Payments => AdminRequest::Payments {
                status: self.payment_status,
                method: self.payment_method,
            },
            Section::Alerts => AdminRequest::Alerts,
            Section::Products => AdminRequest::Products {
                text: self.product_search.clone(),
                category_id: self.product_category.as_ref().map(|c| c.id),
            },
            Section::LowStock => AdminRequest::LowStock(self.low_threshold),
            Section::Categories => AdminRequest::Categories,
            Section::Users => AdminRequest::Users(self.user_search.clone()),
            Section::Terminals => AdminRequest::Terminals,
            Section::Audit => AdminRequest::Audit(self.audit_filter.clone()),
            Section::Shifts => AdminRequest::Shifts(self.shift_filter.clone()),
            Section::Refunds => AdminRequest::Refunds,
            Section::TillPayments => AdminRequest::TillPayments,
            Section::Etims => AdminRequest::Etims,
            Section::Reports => AdminRequest::Report,
        })
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> (Vec<Effect>, Option<Said>) {
        if self.popup.is_some() {
            return (self.on_popup_key(key), None);
        }
        let Some(command) = keymap::lookup(keymap::ADMIN, key) else {
            return (Vec::new(), None);
        };
        match command {
            Command::NextField | Command::PrevField => {
                let forward = command == Command::NextField;
                let n = Section::ALL.len();
                let i = self.section.index();
                self.section = Section::ALL[if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                (vec![self.load()], None)
            }
            Command::Up => self.move_by(-1),
            Command::Down => self.move_by(1),
            Command::PageUp => self.move_by(-PAGE),
            Command::PageDown => self.move_by(PAGE),
            Command::Refresh => (vec![self.load()], None),
            Command::FocusSearch => {
                self.popup = forms::filter(self);
                (Vec::new(), None)
            }
            command => self.act(command),
        }
    }

    fn move_by(&mut self, delta: isize) -> (Vec<Effect>, Option<Said>) {
        match self.section {
            Section::Orders => self.orders.step(delta),
            Section::Payments => self.payments.step(delta),
            Section::Alerts => self.alerts.step(delta),
            Section::Products => self.products.step(delta),
            Section::LowStock => self.low_stock.step(delta),
            Section::Categories => self.categories.step(delta),
            Section::Users => self.users.step(delta),
            Section::Terminals => self.terminals.step(delta),
            Section::Audit => self.audit.step(delta),
            Section::Shifts => self.shifts.step(delta),
            Section::Refunds => self.refunds.step(delta),
            Section::TillPayments => self.till_payments.step(delta),
            Section::Etims => self.etims.step(delta),
            Section::Reports => {}
        }
        (Vec::new(), None)
    }

    /// A section's own keys, on its selected row.
    fn act(&mut self, command: Command) -> (Vec<Effect>, Option<Said>) {
        use Command as C;
        use Section as S;
        let confirm = |question: String, change: Change| Popup::Confirm { question, change };
        let popup = match (self.section, command) {
            (S::Shifts, C::Open) => {
                let Some(shift) = self.shifts.current() else {
                    return (Vec::new(), None);
                };
                let id = shift.id;
                self.popup = Some(Popup::ShiftReport(None));
                return (vec![admin(AdminRequest::ShiftReport(id))], None);
            }
            (S::Shifts, C::SumShifts) => {
                self.popup = Some(Popup::ShiftSummary(None));
                return (
                    vec![admin(AdminRequest::ShiftSummary(self.shift_filter.clone()))],
                    None,
                );
            }
            (S::Orders, C::Open) => {
                let Some(order) = self.orders.current() else {
                    return (Vec::new(), None);
                };
                let id = order.id;
                self.popup = Some(Popup::Order(None));
                return (vec![admin(AdminRequest::Order(id))], None);
            }
            (S::Orders, C::Ship | C::Deliver) => self.orders.current().map(|o| {
                let status = if command == C::Ship {
                    OrderStatus::Shipped
                } else {
                    OrderStatus::Delivered
                };
                confirm(
                    format!(
                        "Mark order {} ({}) as {status}?",
                        short_id(o.id),
                        o.username
                    ),
                    Change::SetOrderStatus {
                        order_id: o.id,
                        status,
                    },
                )
            }),
            (S::Orders, C::Reprint) => {
                let Some(order) = self.orders.current() else {
                    return (Vec::new(), None);
                };
                return (
                    vec![admin(AdminRequest::Change(Change::Reprint(order.id)))],
                    Some(Ok(format!("Printing a copy of {}…", short_id(order.id)))),
                );
            }
            (S::Orders, C::CancelOrder) => self.orders.current().map(|o| {
                let money = if o.status == OrderStatus::Pending {
                    "Its pending payment will be marked failed."
                } else {
                    "It was paid: you will be told the refund to give."
                };
                confirm(
                    format!(
                        "Cancel order {} ({}, {})? Its stock goes back on the shelf. {money}",
                        short_id(o.id),
                        o.username,
                        o.total_amount
                    ),
                    Change::CancelOrder(o.id),
                )
            }),
            (S::Orders, C::WriteOff) => {
                return match self.orders.current() {
                    Some(o) if o.status == OrderStatus::Pending && o.served_by.is_some() => {
                        self.popup = Some(forms::write_off(o));
                        (Vec::new(), None)
                    }
                    Some(o) => (
                        Vec::new(),
                        Some(Err(format!(
                            "Only an unpaid till sale is written off; order {} is {}{}.",
                            short_id(o.id),
                            o.status,
                            if o.served_by.is_none() {
                                ", a customer's own"
                            } else {
                                ""
                            }
                        ))),
                    ),
                    None => (Vec::new(), None),
                };
            }
            (S::Orders, C::Pay) => {
                return match self.orders.current() {
                    Some(o) if o.status == OrderStatus::Pending => (
                        vec![Effect::Pos(PosRequest::LoadOrder(o.id))],
                        Some(Ok(
                            "Taken to the till: F12 takes payment, F9 voids it.".into()
                        )),
                    ),
                    Some(o) => (
                        Vec::new(),
                        Some(Err(format!("This order is {}: nothing to pay.", o.status))),
                    ),
                    None => (Vec::new(), None),
                };
            }
            (S::Payments, C::Verify | C::Open) => self
                .payments
                .current()
                .filter(|p| p.payment.status == PaymentStatus::Pending)
                .map(forms::verify),
            (S::Payments, C::Reject) => self
                .payments
                .current()
                .filter(|p| p.payment.status == PaymentStatus::Pending)
                .map(forms::reject),
            (S::Alerts, C::Open) => self.alerts.current().map(forms::resolve_alert),
            (S::Refunds, C::Open) => self.refunds.current().map(forms::complete_reversal),
            (S::Etims, C::Open) => self
                .etims
                .current()
                .filter(|i| i.state == InvoiceState::Refused)
                .map(|i| {
                    confirm(
                        format!(
                            "Send invoice {} to KRA again? (Fix first what KRA said: {})",
                            i.number,
                            i.last_error.as_deref().unwrap_or("no reason given")
                        ),
                        Change::ResendInvoice {
                            id: i.id,
                            number: i.number,
                        },
                    )
                }),
            (S::Audit, C::Open) => self
                .audit
                .current()
                .map(|entry| Popup::Audit(Box::new(entry.clone()))),
            (S::Products | S::LowStock, C::Open) => {
                let Some(product) = self.product_list().current() else {
                    return (Vec::new(), None);
                };
                let id = product.id;
                self.popup = Some(Popup::Product(None));
                return (vec![admin(AdminRequest::Product(id))], None);
            }
            (S::Products, C::New) => Some(forms::new_product(&self.categories.rows)),
            (S::Products | S::LowStock, C::Edit) => self
                .product_list()
                .current()
                .map(|p| forms::edit_product(p, &self.categories.rows)),
            (S::Products | S::LowStock, C::Stock) => {
                self.product_list().current().map(forms::adjust_stock)
            }
            (S::Products, C::Archive) => self.products.current().map(|p| {
                let (verb, archived) = if p.is_archived {
                    ("Put back on sale", false)
                } else {
                    ("Archive (hide from customers and the till)", true)
                };
                confirm(
                    format!("{verb}: {}?", p.name),
                    Change::SetArchived { id: p.id, archived },
                )
            }),
            (S::Products, C::Delete) => self.products.current().map(|p| {
                confirm(
                    format!(
                        "Delete {} for good? (Refused if it was ever ordered: archive it then.)",
                        p.name
                    ),
                    Change::DeleteProduct(p.id),
                )
            }),
            (S::Categories, C::New) => Some(forms::new_category()),
            (S::Categories, C::Edit) => self.categories.current().map(forms::rename_category),
            (S::Categories, C::Delete) => self.categories.current().map(|c| {
                confirm(
                    format!(
                        "Delete the category {}? (Only an empty one can go.)",
                        c.name
                    ),
                    Change::DeleteCategory(c.id),
                )
            }),
            (S::Users, C::New) => Some(forms::new_user()),
            (S::Users, C::Role) => self.users.current().map(forms::set_role),
            (S::Users, C::ToggleActive) => self.users.current().map(|u| {
                let (question, active) = if u.is_active {
                    (
                        format!(
                            "Deactivate {}? They are logged out everywhere at once.",
                            u.username
                        ),
                        false,
                    )
                } else {
                    (format!("Reactivate {}?", u.username), true)
                };
                confirm(
                    question,
                    Change::SetActive {
                        user_id: u.id,
                        active,
                    },
                )
            }),
            (S::Users, C::ResetPassword) => self.users.current().map(forms::reset_password),
            (S::Reports, C::Export) => {
                return (
                    vec![admin(AdminRequest::Change(Change::ExportReport))],
                    None,
                );
            }
            _ => None,
        };
        self.popup = popup;
        (Vec::new(), None)
    }

    fn product_list(&self) -> &List<Product> {
        if self.section == Section::LowStock {
            &self.low_stock
        } else {
            &self.products
        }
    }

    fn on_popup_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        use crossterm::event::KeyCode;
        let Some(popup) = self.popup.as_mut() else {
            return Vec::new();
        };
        match popup {
            Popup::Form { form, purpose } => match form.on_key(key) {
                FormKey::Cancel => self.popup = None,
                FormKey::Nothing => {}
                FormKey::Submit => {
                    let purpose = purpose.clone();
                    return match forms::submit(self, &purpose) {
                        Ok(Some(change)) => vec![admin(AdminRequest::Change(change))],
                        Ok(None) => {
                            self.popup = None;
                            vec![self.load()]
                        }
                        Err(err) => {
                            if let Some(Popup::Form { form, .. }) = &mut self.popup {
                                form.refused(&err);
                            }
                            Vec::new()
                        }
                    };
                }
            },
            Popup::Confirm { change, .. } => {
                let change = change.clone();
                self.popup = None;
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Enter) {
                    return vec![admin(AdminRequest::Change(change))];
                }
            }
            Popup::Order(_)
            | Popup::Product(_)
            | Popup::Audit(_)
            | Popup::ShiftReport(_)
            | Popup::ShiftSummary(_) => match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {
                    self.popup = None;
                    self.popup_scroll = 0;
                }
                KeyCode::Up => self.popup_scroll = self.popup_scroll.saturating_sub(1),
                KeyCode::Down => self.popup_scroll = self.popup_scroll.saturating_add(1).min(60),
                _ => {}
            },
        }
        Vec::new()
    }

    /// A service's answer. Lists fill their section; a change closes its form (or keeps it
    /// open with the reason beside the field) and reloads what it touched.
    pub fn on_answer(&mut self, answer: AdminAnswer) -> (Vec<Effect>, Option<Said>) {
        let said = match answer {
            AdminAnswer::Orders(result) => self.orders.set(result),
            AdminAnswer::Payments(result) => self.payments.set(result),
            AdminAnswer::Alerts(result) => self.alerts.set(result),
            AdminAnswer::Products(result) => self.products.set(result),
            AdminAnswer::LowStock(result) => self.low_stock.set(result),
            AdminAnswer::Categories(result) => self.categories.set(result),
            AdminAnswer::Users(result) => self.users.set(result),
            AdminAnswer::Terminals(result) => self.terminals.set(result),
            AdminAnswer::Audit(result) => self.audit.set(result),
            AdminAnswer::Shifts(result) => self.shifts.set(result),
            AdminAnswer::Refunds(result) => self.refunds.set(result),
            AdminAnswer::TillPayments(result) => self.till_payments.set(result),
            AdminAnswer::Etims(result) => {
                let invoices = result.map(|queue| {
                    self.etims_device = Some(queue.device);
                    queue.invoices
                });
                self.etims.set(invoices)
            }
            AdminAnswer::ShiftSummary(result) => {
                self.fill_popup(result, |r| Popup::ShiftSummary(Some(r)))
            }
            AdminAnswer::ShiftReport(result) => {
                self.fill_popup(result, |r| Popup::ShiftReport(Some(r)))
            }
            AdminAnswer::Warnings(result) => match result {
                Ok(warnings) => {
                    self.warnings = warnings;
                    None
                }
                Err(err) => Some(Err(err.to_string())),
            },
            AdminAnswer::Report(result) => match result {
                Ok(report) => {
                    self.report = Some(report);
                    None
                }
                Err(err) => Some(Err(err.to_string())),
            },
            AdminAnswer::Order(result) => self.fill_popup(result, |d| Popup::Order(Some(d))),
            AdminAnswer::Product(result) => self.fill_popup(result, |p| Popup::Product(Some(p))),
            AdminAnswer::Done(Ok(message)) => {
                self.popup = None;
                return (self.open(), Some(Ok(message)));
            }
            AdminAnswer::Done(Err(err)) => match &mut self.popup {
                Some(Popup::Form { form, .. }) => {
                    form.refused(&err);
                    None
                }
                _ => Some(Err(err.to_string())),
            },
        };
        (Vec::new(), said)
    }

    fn fill_popup<T>(&mut self, result: Result<T>, popup: impl FnOnce(T) -> Popup) -> Option<Said> {
        match result {
            Ok(value) if self.popup.is_some() => {
                self.popup = Some(popup(value));
                None
            }
            Ok(_) => None, // closed while it loaded
            Err(err) => {
                self.popup = None;
                Some(Err(err.to_string()))
            }
        }
    }

    /// Whether a product changed elsewhere is on screen here.
    pub fn shows_product(&self, id: Uuid) -> bool {
        let listed = |list: &List<Product>| list.rows.iter().any(|p| p.id == id);
        (self.section == Section::Products && listed(&self.products))
            || (self.section == Section::LowStock && listed(&self.low_stock))
    }

    pub fn reload(&self) -> Effect {
        self.load()
    }
}

fn admin(request: AdminRequest) -> Effect {
    Effect::Admin(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Error, Money};
    use crossterm::event::{KeyCode, KeyModifiers};

    fn press(screen: &mut AdminScreen, code: KeyCode) -> Vec<Effect> {
        screen.on_key(&KeyEvent::new(code, KeyModifiers::NONE)).0
    }

    fn type_text(screen: &mut AdminScreen, text: &str) {
        for c in text.chars() {
            press(screen, KeyCode::Char(c));
        }
    }

    fn order(status: OrderStatus) -> OrderSummary {
        OrderSummary {
            id: Uuid::from_u128(7),
            user_id: Uuid::nil(),
            username: "amina".into(),
            phone: None,
            status,
            total_amount: Money::from_cents(100),
            served_by: None,
            item_count: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn tab_moves_through_the_sections_loading_each() {
        let mut screen = AdminScreen::new(5);
        assert_eq!(
            press(&mut screen, KeyCode::Tab),
            vec![Effect::Admin(AdminRequest::Payments {
                status: Some(PaymentStatus::Pending),
                method: None
            })]
        );
        press(&mut screen, KeyCode::BackTab);
        assert_eq!(
            press(&mut screen, KeyCode::BackTab),
            vec![Effect::Admin(AdminRequest::Etims)],
            "it wraps round"
        );
    }

    #[test]
    fn cancelling_an_order_asks_first() {
        let mut screen = AdminScreen::new(5);
        screen.on_answer(AdminAnswer::Orders(Ok(vec![order(OrderStatus::Paid)])));
        assert!(press(&mut screen, KeyCode::Char('c')).is_empty());
        let Some(Popup::Confirm { question, .. }) = &screen.popup else {
            panic!("a question first");
        };
        assert!(question.contains("refund"), "{question}");
        assert_eq!(
            press(&mut screen, KeyCode::Char('y')),
            vec![Effect::Admin(AdminRequest::Change(Change::CancelOrder(
                Uuid::from_u128(7)
            )))]
        );
        press(&mut screen, KeyCode::Char('c'));
        assert!(press(&mut screen, KeyCode::Char('n')).is_empty());
        assert!(screen.popup.is_none(), "any other key keeps the order");
    }

    #[test]
    fn a_refused_save_keeps_the_form_and_says_why_beside_the_field() {
        let mut screen = AdminScreen::new(5);
        screen.on_answer(AdminAnswer::Categories(Ok(vec![Category {
            id: Uuid::from_u128(1),
            name: "Phones".into(),
            slug: "phones".into(),
            created_at: chrono::Utc::now(),
        }])));
        screen.section = Section::Products;
        press(&mut screen, KeyCode::Char('n'));
        for (text, next) in [
            ("Nokia 105", 2),
            ("NOK-105", 1),
            ("2299", 1),
            ("3", 1),
            ("phones", 0),
        ] {
            type_text(&mut screen, text);
            for _ in 0..next {
                press(&mut screen, KeyCode::Tab);
            }
        }
        let sent = press(&mut screen, KeyCode::Enter);
        let [Effect::Admin(AdminRequest::Change(Change::CreateProduct { form, stock }))] =
            sent.as_slice()
        else {
            panic!("expected a new product, got {sent:?}");
        };
        assert_eq!((form.sku.as_str(), *stock), ("NOK-105", 3));
        assert_eq!(form.category_id, Some(Uuid::from_u128(1)));

        let (_, said) = screen.on_answer(AdminAnswer::Done(Err(Error::Conflict(
            "A product with that SKU already exists.".into(),
        ))));
        assert_eq!(
            said, None,
            "the reason shows in the form, not the status line"
        );
        let Some(Popup::Form { form, .. }) = &screen.popup else {
            panic!("the form stays open");
        };
        assert_eq!(form.value("Name"), "Nokia 105");
        assert!(form.error.as_deref().unwrap().contains("SKU"));

        let (reload, said) = screen.on_answer(AdminAnswer::Done(Ok("Created.".into())));
        assert!(screen.popup.is_none() && said == Some(Ok("Created.".into())));
        assert!(reload.contains(&Effect::Admin(AdminRequest::Products {
            text: String::new(),
            category_id: None
        })));
    }

    #[test]
    fn filters_apply_and_reload_and_bad_dates_are_refused() {
        let mut screen = AdminScreen::new(5);
        press(&mut screen, KeyCode::Char('/'));
        press(&mut screen, KeyCode::Tab);
        type_text(&mut screen, "2026-13-01");
        let Some(Popup::Form { form, .. }) = &screen.popup else {
            panic!("the filter form");
        };
        assert!(form.fields[1].error.is_some(), "checked as typed");
        for _ in 0..10 {
            press(&mut screen, KeyCode::Backspace);
        }
        type_text(&mut screen, "2026-11-01");
        press(&mut screen, KeyCode::Tab);
        press(&mut screen, KeyCode::Tab);
        type_text(&mut screen, "0712345678");
        let reload = press(&mut screen, KeyCode::Enter);
        assert!(screen.popup.is_none());
        let expected = OrderFilter {
            from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
            customer: "0712345678".into(),
            ..Default::default()
        };
        assert_eq!(reload, vec![Effect::Admin(AdminRequest::Orders(expected))]);
    }
}
