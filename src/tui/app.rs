//! The app's state and its one update step: a message in, new state and effects out.
//! Nothing here waits or draws; that keeps every key testable without a terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use uuid::Uuid;

use crate::domain::Error;
use crate::domain::Money;
use crate::domain::live::Change;
use crate::domain::order::OrderDetail;
use crate::domain::payment::PaymentMethod;
use crate::domain::user::{Actor, Role, Session};
use crate::tui::effect::{Effect, Outcome, PosRequest};
use crate::tui::event::{AppEvent, TICK};
use crate::tui::keymap::{self, Command};
use crate::tui::scanner;
use crate::tui::screens::admin::{AdminScreen, Said};
use crate::tui::screens::cart::CartScreen;
use crate::tui::screens::catalog::CatalogScreen;
use crate::tui::screens::login::LoginScreen;
use crate::tui::screens::orders::OrdersScreen;
use crate::tui::screens::payment::{self, PayFlow};
use crate::tui::screens::pos::PosScreen;
use crate::tui::screens::{Prompt, Reply, edit};
use crate::tui::theme::Theme;

/// The built-in `stock.low_threshold`, until the config's is given.
const DEFAULT_LOW_STOCK: i32 = 5;

#[derive(Debug, Clone)]
pub enum Msg {
    Event(AppEvent),
    Done(Box<Outcome>),
    SearchDue(u64),
    /// A product or payment changed somewhere (PostgreSQL NOTIFY).
    Changed(Change),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Catalog,
    Cart,
    Orders,
    Pos,
    Admin,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Catalog, Tab::Cart, Tab::Orders, Tab::Pos, Tab::Admin];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Catalog => "Catalog",
            Tab::Cart => "Cart",
            Tab::Orders => "Orders",
            Tab::Pos => "Till",
            Tab::Admin => "Admin",
        }
    }

    /// The lowest role that sees this tab (the services check again on every call).
    pub fn needs(self) -> Role {
        match self {
            Tab::Catalog | Tab::Cart | Tab::Orders => Role::Customer,
            Tab::Pos => Role::Staff,
            Tab::Admin => Role::Admin,
        }
    }
}

/// Lines PgUp and PgDn scroll the help by.
const HELP_PAGE: u16 = 10;

#[derive(Debug, Clone)]
pub enum Overlay {
    /// The keys of the screen, from the keymap; `scroll` lines scrolled past.
    Help {
        scroll: u16,
    },
    ConfirmQuit,
    /// Logging out with sales open on the till.
    ConfirmLogout,
    /// A customer cancelling their pending order.
    ConfirmCancel(Uuid),
    Quantity {
        product_id: Uuid,
        name: String,
        input: Input,
        error: Option<String>,
    },
    PriceRange {
        input: Input,
        error: Option<String>,
    },
    /// `key` is made when the popup opens, so pressing Enter twice places one order.
    Checkout {
        method: PaymentMethod,
        key: Uuid,
        placing: bool,
    },
    Order(Option<Box<OrderDetail>>),
    /// Paying for an order, followed live.
    Payment(Box<PayFlow>),
    /// Leaving a kiosk: an admin logs in here.
    KioskExit(Box<LoginScreen>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone)]
pub struct App {
    pub session: Option<Session>,
    pub shop_name: String,
    pub theme: Theme,
    pub login: LoginScreen,
    pub tab: Tab,
    pub catalog: CatalogScreen,
    pub cart: CartScreen,
    pub orders: OrdersScreen,
    pub pos: PosScreen,
    pub admin: AdminScreen,
    pub overlay: Option<Overlay>,
    pub status: Option<(String, Level)>,
    /// Service calls on their way; the spinner turns while there are any.
    pub busy: usize,
    pub database_ok: bool,
    pub ticks: u64,
    /// A tick changed what is on screen (a kiosk forgot a half-typed login): draw it.
    pub ticked_change: bool,
    pub quit: bool,
    pub kiosk: Option<Kiosk>,
    /// The highest role whose screens this terminal shows, whoever logs in (a till served
    /// over SSH never opens the console).
    pub ceiling: Role,
    pub payments: PaymentOptions,
    /// The SKU an admin at the till is adding as a new product in the console.
    pub adding_for_till: Option<String>,
}

/// How customers can pay through providers here, and whether those are pretend (the
/// sandbox): every screen says so then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentOptions {
    pub offered: Vec<PaymentMethod>,
    pub pretend: bool,
}

/// What every App this process opens starts with, from the settings.
#[derive(Debug, Clone)]
pub struct AppSetup {
    pub shop_name: String,
    pub payments: PaymentOptions,
    pub kiosk_idle: std::time::Duration,
    pub low_stock: i32,
}

impl AppSetup {
    /// An App for one terminal: in kiosk mode or not, showing screens up to `ceiling`.
    pub fn app(&self, theme: Theme, kiosk: bool, ceiling: Role) -> App {
        App::new(self.shop_name.clone(), theme)
            .with_payments(self.payments.clone())
            .with_kiosk(kiosk.then(|| Kiosk::new(self.kiosk_idle)))
            .with_low_stock(self.low_stock)
            .with_ceiling(ceiling)
    }
}

/// How long before an idle logout the kiosk counts down on screen.
const IDLE_WARNING: std::time::Duration = std::time::Duration::from_secs(15);

/// Kiosk mode: customer screens only; an idle customer is logged out (the cart is kept);
/// leaving the app takes an admin's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kiosk {
    pub idle_limit_ticks: u64,
    pub idle_ticks: u64,
}

impl Kiosk {
    pub fn new(idle: std::time::Duration) -> Kiosk {
        Kiosk {
            idle_limit_ticks: (idle.as_millis() / TICK.as_millis()).max(1) as u64,
            idle_ticks: 0,
        }
    }
}

impl App {
    pub fn new(shop_name: impl Into<String>, theme: Theme) -> App {
        App {
            session: None,
            shop_name: shop_name.into(),
            theme,
            login: LoginScreen::default(),
            tab: Tab::Catalog,
            catalog: CatalogScreen::default(),
            cart: CartScreen::default(),
            orders: OrdersScreen::default(),
            pos: PosScreen::new(),
            admin: AdminScreen::new(DEFAULT_LOW_STOCK),
            overlay: None,
            status: None,
            busy: 0,
            database_ok: true,
            ticks: 0,
            ticked_change: false,
            quit: false,
            kiosk: None,
            ceiling: Role::Admin,
            payments: PaymentOptions::default(),
            adding_for_till: None,
        }
    }

    pub fn with_payments(mut self, payments: PaymentOptions) -> App {
        self.pos.push_offered = payments.offered.contains(&PaymentMethod::Mpesa);
        self.payments = payments;
        self
    }

    pub fn with_kiosk(mut self, kiosk: Option<Kiosk>) -> App {
        self.kiosk = kiosk;
        self
    }

    pub fn with_ceiling(mut self, ceiling: Role) -> App {
        self.ceiling = ceiling;
        self
    }

    /// The stock level at or below which the admin's low-stock view lists a product.
    pub fn with_low_stock(mut self, threshold: i32) -> App {
        self.admin.low_threshold = threshold;
        self
    }

    pub fn actor(&self) -> Actor {
        self.session.clone().map_or(Actor::Anonymous, Actor::User)
    }

    /// The tabs this session's role sees, in order (their number is their place here). A
    /// kiosk shows customer screens only, whoever logged in.
    pub fn tabs(&self) -> Vec<Tab> {
        let role = match (&self.session, self.kiosk) {
            (Some(session), None) => session.role.min(self.ceiling),
            _ => Role::Customer,
        };
        Tab::ALL.into_iter().filter(|t| t.needs() <= role).collect()
    }

    /// Whether a barcode scanner's bursts are told from typing here: a kiosk's screens take
    /// a scan as the keys it was, so its keys are never held back for the scanner rule.
    pub fn takes_scans(&self) -> bool {
        self.kiosk.is_none()
    }

    /// At a kiosk a login is a customer's login (the services refuse staff there).
    fn at_kiosk(&self, effect: Effect) -> Effect {
        match effect {
            Effect::Login { username, password } if self.kiosk.is_some() => {
                Effect::CustomerLogin { username, password }
            }
            effect => effect,
        }
    }

    /// True while typing goes into a text field (then digits and letters are text, not keys).
    pub fn text_focused(&self) -> bool {
        self.session.is_none()
            || (self.tab == Tab::Catalog && self.catalog.search_focused)
            || (self.tab == Tab::Pos && self.pos.text_focused())
            || (self.tab == Tab::Admin && self.admin.text_focused())
            || matches!(
                self.overlay,
                Some(Overlay::Quantity { .. } | Overlay::PriceRange { .. })
            )
            || matches!(&self.overlay, Some(Overlay::Payment(flow)) if flow.text_focused())
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = match msg {
            Msg::Event(AppEvent::Key(key)) => self.on_key(&key),
            Msg::Event(AppEvent::Scan(code)) => self.on_scan(&code),
            Msg::Event(AppEvent::Tick) => self.on_tick(),
            Msg::Event(AppEvent::Resize) => Vec::new(),
            Msg::SearchDue(generation) => self.catalog.search_due(generation).into_iter().collect(),
            Msg::Changed(Change::Product(id)) => self.on_product_changed(id),
            Msg::Changed(Change::Payment(id)) => self.on_payment_changed(id),
            Msg::Changed(Change::InvoiceAnswered(id)) => {
                let mut effects = self.pos.on_invoice_answered(id);
                effects.extend(self.reload_invoiced_order(id));
                effects
            }
            Msg::Changed(Change::InvoiceQueued) => Vec::new(),
            Msg::Done(outcome) => {
                self.busy = self.busy.saturating_sub(1);
                self.on_outcome(*outcome)
            }
        };
        if effects
            .iter()
            .any(|e| matches!(e, Effect::Quit | Effect::Logout))
        {
            // Receipts still waiting for KRA are printed as they are, not lost with the
            // session (quitting lets them land first).
            effects.splice(0..0, self.pos.print_awaiting_now());
        }
        self.busy += effects.iter().filter(|e| calls_service(e)).count();
        effects
    }

    fn on_tick(&mut self) -> Vec<Effect> {
        self.ticks += 1;
        let mut effects: Vec<Effect> = match &self.overlay {
            Some(Overlay::Payment(flow)) => flow.on_tick(self.ticks).into_iter().collect(),
            _ => self.pos.on_tick(self.ticks).into_iter().collect(),
        };
        effects.extend(self.pos.print_overdue());
        effects.extend(self.kiosk_tick());
        effects
    }

    fn kiosk_tick(&mut self) -> Vec<Effect> {
        let Some(kiosk) = &mut self.kiosk else {
            return Vec::new();
        };
        kiosk.idle_ticks += 1;
        if kiosk.idle_ticks < kiosk.idle_limit_ticks {
            return Vec::new();
        }
        kiosk.idle_ticks = 0;
        if self.session.is_some() {
            vec![Effect::Logout]
        } else {
            // Nobody finishes what a previous customer half typed.
            self.login = LoginScreen::default();
            self.overlay = None;
            self.ticked_change = true;
            Vec::new()
        }
    }

    /// Whether the screen changes with time alone (the spinner while work is out, a
    /// payment being waited for, the kiosk's countdown): only then does a tick redraw it.
    pub fn animating(&self) -> bool {
        self.busy > 0
            || self.idle_countdown().is_some()
            || matches!(self.overlay, Some(Overlay::Payment(_)))
            || self.pos.waiting_on_phone()
    }

    /// Seconds left before a kiosk logs its idle customer out, once they are few enough to
    /// show (any key starts the count again).
    pub fn idle_countdown(&self) -> Option<u64> {
        let kiosk = self.kiosk.as_ref().filter(|_| self.session.is_some())?;
        let left =
            kiosk.idle_limit_ticks.saturating_sub(kiosk.idle_ticks) * TICK.as_millis() as u64;
        (left <= IDLE_WARNING.as_millis() as u64).then(|| left.div_ceil(1000))
    }

    /// True while the till has a sale on screen or held ones (leaving asks first).
    fn till_has_sales(&self) -> bool {
        self.session.is_some() && (!self.pos.sale.lines.is_empty() || !self.pos.held.is_empty())
    }

    /// Asks before quitting; a kiosk asks for an admin's password instead.
    fn ask_to_quit(&mut self) -> Vec<Effect> {
        self.overlay = Some(match self.kiosk {
            Some(_) => Overlay::KioskExit(Box::new(LoginScreen::admin_only())),
            None => Overlay::ConfirmQuit,
        });
        Vec::new()
    }

    fn on_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        if let Some(kiosk) = &mut self.kiosk {
            kiosk.idle_ticks = 0;
        }
        if keymap::lookup(keymap::GLOBAL, key) == Some(Command::ForceQuit) {
            // A kiosk asks an admin; a till with sales open asks, as q does.
            if self.kiosk.is_some() || self.till_has_sales() {
                return self.ask_to_quit();
            }
            self.quit = true;
            return vec![Effect::Quit];
        }
        if self.overlay.is_some() {
            return self.on_overlay_key(key);
        }
        if self.session.is_none() {
            if key.code == KeyCode::Esc {
                return self.ask_to_quit();
            }
            let effect = self.login.on_key(key);
            return effect.map(|e| self.at_kiosk(e)).into_iter().collect();
        }
        if !self.text_focused() {
            match keymap::lookup(keymap::GLOBAL, key) {
                Some(Command::SwitchTab) => return self.switch_tab(key),
                Some(Command::Help) => {
                    self.overlay = Some(Overlay::Help { scroll: 0 });
                    return Vec::new();
                }
                Some(Command::Quit) => return self.ask_to_quit(),
                Some(Command::Logout) if self.till_has_sales() => {
                    self.overlay = Some(Overlay::ConfirmLogout);
                    return Vec::new();
                }
                Some(Command::Logout) => return vec![Effect::Logout],
                _ => {}
            }
        }
        let reply = match self.tab {
            Tab::Catalog => self.catalog.on_key(key),
            Tab::Cart => self.cart.on_key(key),
            Tab::Orders => self.orders.on_key(key),
            Tab::Pos
                if self.pos.popup.is_none()
                    && keymap::lookup(keymap::POS, key) == Some(Command::Help) =>
            {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return Vec::new();
            }
            Tab::Pos
                if self.pos.popup.is_none()
                    && keymap::lookup(keymap::POS, key) == Some(Command::NewProduct) =>
            {
                return self.add_unknown_product();
            }
            Tab::Pos => self.pos.on_key(key),
            Tab::Admin => {
                let (effects, said) = self.admin.on_key(key);
                self.tell(said);
                if self.admin.popup.is_none() {
                    // The new product's form was closed unsaved: the till gets nothing.
                    self.adding_for_till = None;
                }
                if effects
                    .iter()
                    .any(|e| matches!(e, Effect::Pos(PosRequest::LoadOrder(_))))
                {
                    // The console hands an unpaid order to the till, to be paid there.
                    self.tab = Tab::Pos;
                    self.pos.scan_focused = true;
                }
                return effects;
            }
        };
        self.on_reply(reply)
    }

    /// An admin at the till adds the product a scan found nothing for, its SKU filled in;
    /// once saved, the till is shown again with the product in the sale.
    fn add_unknown_product(&mut self) -> Vec<Effect> {
        let Some(sku) = self.pos.unknown_sku.clone() else {
            self.tell(Some(Err(
                "Scan or type the SKU nothing matched first, then Ctrl+N adds it.".into(),
            )));
            return Vec::new();
        };
        if !self.tabs().contains(&Tab::Admin) {
            self.tell(Some(Err(format!(
                "Only an admin adds products: ask one to add {sku} here, then scan it again."
            ))));
            return Vec::new();
        }
        self.tab = Tab::Admin;
        self.adding_for_till = Some(sku.clone());
        self.admin.new_product_with_sku(&sku)
    }

    /// Looks `sku` up on the till, as if it were scanned.
    fn on_reply_of_pos(&mut self, sku: &str) -> Vec<Effect> {
        let reply = self.pos.look_up(sku);
        self.on_reply(reply)
    }

    /// A barcode scan. While the till is shown it reaches the sale whatever is open there
    /// (help and the quit question close); anywhere else it is typed, as its keys.
    fn on_scan(&mut self, code: &str) -> Vec<Effect> {
        let on_till = self.session.is_some() && self.tab == Tab::Pos;
        if on_till
            && matches!(
                self.overlay,
                None | Some(Overlay::Help { .. } | Overlay::ConfirmQuit | Overlay::ConfirmLogout)
            )
        {
            if let Some(kiosk) = &mut self.kiosk {
                kiosk.idle_ticks = 0;
            }
            self.overlay = None;
            let reply = self.pos.on_scan(code);
            return self.on_reply(reply);
        }
        scanner::as_keys(code)
            .iter()
            .flat_map(|key| self.on_key(key))
            .collect()
    }

    fn switch_tab(&mut self, key: &KeyEvent) -> Vec<Effect> {
        let KeyCode::Char(digit) = key.code else {
            return Vec::new();
        };
        let tabs = self.tabs();
        let Some(tab) = digit
            .to_digit(10)
            .and_then(|d| tabs.get((d as usize).checked_sub(1)?))
        else {
            return Vec::new();
        };
        self.tab = *tab;
        match tab {
            Tab::Catalog => Vec::new(),
            Tab::Cart => vec![Effect::LoadCart],
            Tab::Orders => vec![Effect::LoadOrders],
            Tab::Pos => self.pos.opened(),
            Tab::Admin => self.admin.open(),
        }
    }

    fn on_reply(&mut self, reply: Reply) -> Vec<Effect> {
        match reply {
            Reply::Nothing => Vec::new(),
            Reply::Run(effect) => vec![effect],
            Reply::Ask(prompt) => {
                let (overlay, effects) = match prompt {
                    Prompt::Quantity { product_id, name } => (
                        Overlay::Quantity {
                            product_id,
                            name,
                            input: Input::new("1".into()),
                            error: None,
                        },
                        Vec::new(),
                    ),
                    Prompt::PriceRange => (
                        Overlay::PriceRange {
                            input: Input::default(),
                            error: None,
                        },
                        Vec::new(),
                    ),
                    Prompt::Checkout => (
                        Overlay::Checkout {
                            method: self
                                .payments
                                .offered
                                .first()
                                .copied()
                                .unwrap_or(PaymentMethod::Mpesa),
                            key: Uuid::new_v4(),
                            placing: false,
                        },
                        Vec::new(),
                    ),
                    Prompt::Order { order_id } => {
                        (Overlay::Order(None), vec![Effect::LoadOrder { order_id }])
                    }
                };
                self.overlay = Some(overlay);
                effects
            }
        }
    }

    fn on_overlay_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        let Some(overlay) = self.overlay.as_mut() else {
            return Vec::new();
        };
        let close = key.code == KeyCode::Esc;
        match overlay {
            Overlay::Order(Some(detail))
                if keymap::lookup(keymap::ORDERS, key) == Some(Command::CancelOrder)
                    && detail.order.status == crate::domain::order::OrderStatus::Pending =>
            {
                self.overlay = Some(Overlay::ConfirmCancel(detail.order.id));
            }
            Overlay::ConfirmCancel(order_id) => {
                let order_id = *order_id;
                self.overlay = None;
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Enter) {
                    return vec![Effect::CancelOrder { order_id }];
                }
            }
            Overlay::Order(Some(detail))
                if keymap::lookup(keymap::ORDERS, key) == Some(Command::Pay)
                    && detail.payable() =>
            {
                let flow = PayFlow::new(
                    detail.order.id,
                    detail.order.total_amount,
                    None,
                    &self.payments.offered,
                )
                .with_phone(detail.order.phone.as_deref());
                self.overlay = Some(Overlay::Payment(Box::new(flow)));
            }
            Overlay::Payment(flow) => {
                if close || (key.code == KeyCode::Enter && flow.is_done()) {
                    if !flow.is_done() {
                        self.say(
                            "The order waits for payment: Orders tab, Enter, then p to pay.".into(),
                            Level::Info,
                        );
                    }
                    self.overlay = None;
                    return vec![Effect::LoadOrders];
                }
                return flow.on_key(key).into_iter().collect();
            }
            // Help longer than the screen scrolls (the drawing stops at its end).
            Overlay::Help { scroll } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(HELP_PAGE),
                KeyCode::PageDown => *scroll = scroll.saturating_add(HELP_PAGE),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?' | 'q') | KeyCode::F(1) => {
                    self.overlay = None
                }
                _ => {}
            },
            Overlay::Order(_) => {
                if close
                    || matches!(
                        key.code,
                        KeyCode::Enter | KeyCode::Char('?') | KeyCode::Char('q')
                    )
                {
                    self.overlay = None;
                }
            }
            Overlay::KioskExit(screen) => {
                if close {
                    self.overlay = None;
                    return Vec::new();
                }
                if let Some(Effect::Login { username, password }) = screen.on_key(key) {
                    return vec![Effect::AuthorizeExit { username, password }];
                }
            }
            Overlay::ConfirmQuit => match key.code {
                KeyCode::Char('y') | KeyCode::Enter => {
                    self.quit = true;
                    return vec![Effect::Quit];
                }
                _ => self.overlay = None,
            },
            Overlay::ConfirmLogout => {
                self.overlay = None;
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Enter) {
                    return vec![Effect::Logout];
                }
            }
            Overlay::Quantity {
                product_id,
                input,
                error,
                ..
            } => {
                if close {
                    self.overlay = None;
                } else if key.code == KeyCode::Enter {
                    match parse_quantity(input.value()) {
                        Ok(quantity) => {
                            let effect = Effect::AddToCart {
                                product_id: *product_id,
                                quantity,
                            };
                            self.overlay = None;
                            return vec![effect];
                        }
                        Err(message) => *error = Some(message),
                    }
                } else if edit(input, key) {
                    *error = None;
                }
            }
            Overlay::PriceRange { input, error } => {
                if close {
                    self.overlay = None;
                } else if key.code == KeyCode::Enter {
                    match parse_price_range(input.value()) {
                        Ok((min, max)) => {
                            self.catalog.min_price = min;
                            self.catalog.max_price = max;
                            self.overlay = None;
                            return vec![self.catalog.reload()];
                        }
                        Err(message) => *error = Some(message),
                    }
                } else if edit(input, key) {
                    *error = None;
                }
            }
            Overlay::Checkout {
                method,
                key: checkout_key,
                placing,
            } => match key.code {
                KeyCode::Esc if !*placing => self.overlay = None,
                KeyCode::Char(c) => {
                    if let Some(chosen) = payment::chosen(c, &self.payments.offered) {
                        *method = chosen;
                    }
                }
                KeyCode::Enter if !*placing => {
                    *placing = true;
                    return vec![Effect::PlaceOrder {
                        checkout_key: *checkout_key,
                        method: *method,
                    }];
                }
                _ => {}
            },
        }
        Vec::new()
    }

    fn on_outcome(&mut self, outcome: Outcome) -> Vec<Effect> {
        self.database_ok = !matches!(outcome.error(), Some(Error::Unavailable));
        match outcome {
            Outcome::LoggedIn(Ok(session)) => {
                self.say(
                    format!("Welcome, {} ({}).", session.username, session.role),
                    Level::Info,
                );
                let role = session.role.min(self.ceiling);
                self.session = Some(session);
                self.login = LoginScreen::default();
                let mut effects = vec![
                    Effect::LoadCategories,
                    self.catalog.reload(),
                    Effect::LoadCart,
                ];
                // People land where their work is: a cashier on the till, scan line ready;
                // an admin in the console; a customer in the catalog.
                self.tab = match role {
                    Role::Staff => Tab::Pos,
                    Role::Admin => Tab::Admin,
                    Role::Customer => Tab::Catalog,
                };
                if !self.tabs().contains(&self.tab) {
                    self.tab = Tab::Catalog;
                }
                match self.tab {
                    Tab::Pos => effects.extend(self.pos.opened()),
                    Tab::Admin => effects.extend(self.admin.open()),
                    _ => {}
                }
                effects
            }
            Outcome::LoggedIn(Err(err)) => {
                self.login.refused(&err);
                Vec::new()
            }
            Outcome::ExitAllowed(result) => match (result, &mut self.overlay) {
                (Ok(()), _) => {
                    self.quit = true;
                    vec![Effect::Quit]
                }
                (Err(err), Some(Overlay::KioskExit(screen))) => {
                    screen.refused(&err);
                    Vec::new()
                }
                (Err(err), _) => self.fail(err),
            },
            Outcome::LoggedOut => {
                self.end_session("Logged out. Your cart is kept for next time.".into());
                if self.kiosk.is_some() {
                    self.status = None; // a clean screen for the next person
                }
                Vec::new()
            }
            Outcome::Product(result) => {
                if let Ok(product) = result {
                    self.catalog.refresh_product(&product);
                }
                Vec::new()
            }
            Outcome::Categories(result) => {
                match result {
                    Ok(categories) => self.catalog.categories = categories,
                    Err(err) => return self.fail(err),
                }
                Vec::new()
            }
            Outcome::Products {
                generation,
                append,
                result,
            } => {
                self.catalog.on_products(generation, append, result);
                Vec::new()
            }
            Outcome::Cart(result) => match result {
                Ok(cart) => {
                    self.cart.set(cart);
                    Vec::new()
                }
                Err(err) => self.fail(err),
            },
            Outcome::CartChanged { result, done } => match result {
                Ok(cart) => {
                    self.cart.set(cart);
                    self.say(done, Level::Info);
                    Vec::new()
                }
                Err(err) => self.fail(err),
            },
            Outcome::OrderPlaced(result) => {
                let method = match &self.overlay {
                    Some(Overlay::Checkout { method, .. }) => Some(*method),
                    _ => None,
                };
                self.overlay = None;
                match result {
                    Ok(detail) => {
                        self.say(
                            format!("Order placed: {}. Now pay.", detail.order.total_amount),
                            Level::Info,
                        );
                        self.tab = Tab::Orders;
                        let mut flow = PayFlow::new(
                            detail.order.id,
                            detail.order.total_amount,
                            method,
                            &self.payments.offered,
                        )
                        .with_phone(detail.order.phone.as_deref());
                        let mut effects: Vec<Effect> = flow.start().into_iter().collect();
                        self.overlay = Some(Overlay::Payment(Box::new(flow)));
                        effects.extend([
                            Effect::LoadCart,
                            Effect::LoadOrders,
                            self.catalog.reload(),
                        ]);
                        effects
                    }
                    Err(err) => {
                        let mut effects = self.fail(err);
                        effects.push(Effect::LoadCart);
                        effects
                    }
                }
            }
            Outcome::Pay(answer) => match answer.error() {
                Some(err @ (Error::Unauthenticated | Error::Inactive)) => self.fail(err.clone()),
                _ => {
                    if let Some(Overlay::Payment(flow)) = &mut self.overlay {
                        flow.on_answer(answer);
                        if flow.is_done() {
                            self.say("Paid. Thank you!".into(), Level::Info);
                            return vec![Effect::LoadOrders];
                        }
                        return Vec::new();
                    }
                    self.pos.on_pay(answer)
                }
            },
            Outcome::Orders(result) => match result {
                Ok(orders) => {
                    self.orders.set(orders);
                    Vec::new()
                }
                Err(err) => self.fail(err),
            },
            Outcome::MoreOrders(result) => match result {
                Ok(older) => {
                    self.orders.extend(older);
                    Vec::new()
                }
                Err(err) => self.fail(err),
            },
            Outcome::Pos(answer) => match answer.error() {
                Some(err @ (Error::Unauthenticated | Error::Inactive)) => self.fail(err.clone()),
                _ => self.pos.on_answer(answer),
            },
            Outcome::Admin(answer) => match answer.error() {
                Some(err @ (Error::Unauthenticated | Error::Inactive)) => self.fail(err.clone()),
                _ => {
                    let saved = matches!(answer, crate::tui::effect::AdminAnswer::Done(Ok(_)));
                    let (mut effects, said) = self.admin.on_answer(answer);
                    self.tell(said);
                    if let Some(sku) = self.adding_for_till.take_if(|_| saved) {
                        // Back to the till, the new product rung up as if scanned again.
                        self.tab = Tab::Pos;
                        self.pos.scan_focused = true;
                        effects.extend(self.on_reply_of_pos(&sku));
                    }
                    effects
                }
            },
            Outcome::OrderCancelled(result) => match result {
                Ok(done) => {
                    self.say(
                        format!(
                            "Order {} cancelled; its items are back on the shelf.",
                            crate::domain::order::short_id(done.order.id)
                        ),
                        Level::Info,
                    );
                    vec![Effect::LoadOrders]
                }
                Err(err) => self.fail(err),
            },
            Outcome::Order(result) => match result {
                Ok(detail) => {
                    if let Some(Overlay::Order(slot)) = &mut self.overlay {
                        *slot = Some(Box::new(detail));
                    }
                    Vec::new()
                }
                Err(err) => {
                    self.overlay = None;
                    self.fail(err)
                }
            },
        }
    }

    /// KRA answered the invoice of the order on screen: it is read again, to show KRA's
    /// signature and checker code.
    fn reload_invoiced_order(&self, invoice: Uuid) -> Option<Effect> {
        match &self.overlay {
            Some(Overlay::Order(Some(detail)))
                if detail
                    .fiscal
                    .as_ref()
                    .is_some_and(|f| f.fiscal.id == invoice) =>
            {
                Some(Effect::LoadOrder {
                    order_id: detail.order.id,
                })
            }
            _ => None,
        }
    }

    /// A payment being waited for changed (its callback came): ask for it now rather than
    /// at the next poll.
    fn on_payment_changed(&mut self, id: Uuid) -> Vec<Effect> {
        let waiting = match &self.overlay {
            Some(Overlay::Payment(flow)) => flow.waits_for(id),
            _ => self.pos.waits_for(id),
        };
        if waiting {
            vec![Effect::Pay(crate::tui::effect::PayRequest::Status(id))]
        } else {
            Vec::new()
        }
    }

    /// Refreshes what is on screen about a product that changed elsewhere.
    fn on_product_changed(&mut self, id: Uuid) -> Vec<Effect> {
        if self.session.is_none() {
            return Vec::new();
        }
        let mut effects = Vec::new();
        if self.catalog.products.iter().any(|p| p.id == id) {
            effects.push(Effect::LoadProduct { product_id: id });
        }
        let in_cart = self
            .cart
            .cart
            .as_ref()
            .is_some_and(|c| c.lines.iter().any(|l| l.product_id == id));
        if in_cart {
            effects.push(Effect::LoadCart);
        }
        if self.pos.holds(id) {
            effects.push(Effect::Pos(PosRequest::Refresh(vec![id])));
        }
        if self.tab == Tab::Admin && self.admin.popup.is_none() && self.admin.shows_product(id) {
            effects.push(self.admin.reload());
        }
        effects
    }

    /// Shows an error where the person is. An ended session goes back to the login screen.
    fn fail(&mut self, err: Error) -> Vec<Effect> {
        if self.session.is_some() && matches!(err, Error::Unauthenticated | Error::Inactive) {
            self.end_session(err.to_string());
        } else {
            self.say(err.to_string(), Level::Error);
        }
        Vec::new()
    }

    fn end_session(&mut self, message: String) {
        let shop = std::mem::take(&mut self.shop_name);
        let payments = std::mem::take(&mut self.payments);
        let low_stock = self.admin.low_threshold;
        *self = App {
            database_ok: self.database_ok,
            kiosk: self.kiosk,
            ceiling: self.ceiling,
            ..App::new(shop, self.theme)
                .with_payments(payments)
                .with_low_stock(low_stock)
        };
        self.say(message, Level::Info);
    }

    fn say(&mut self, message: String, level: Level) {
        self.status = Some((message, level));
    }

    fn tell(&mut self, said: Option<Said>) {
        match said {
            Some(Ok(news)) => self.say(news, Level::Info),
            Some(Err(problem)) => self.say(problem, Level::Error),
            None => {}
        }
    }
}

fn calls_service(effect: &Effect) -> bool {
    !matches!(effect, Effect::Debounce { .. } | Effect::Quit)
}

fn parse_quantity(text: &str) -> Result<i32, String> {
    match text.trim().parse::<i32>() {
        Ok(q) if (1..=crate::service::cart::MAX_QUANTITY).contains(&q) => Ok(q),
        _ => Err(format!(
            "Enter a whole number from 1 to {}.",
            crate::service::cart::MAX_QUANTITY
        )),
    }
}

/// "100-5000", "-500" (up to), "1000-" (from), or "" (any price).
fn parse_price_range(text: &str) -> Result<(Option<Money>, Option<Money>), String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok((None, None));
    }
    let (min, max) = text.split_once('-').unwrap_or((text, text));
    let parse = |field, s: &str| match s.trim() {
        "" => Ok(None),
        s => Money::parse(field, s).map(Some).map_err(|e| e.to_string()),
    };
    let (min, max) = (parse("From", min)?, parse("To", max)?);
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return Err("The first price must be the lower one.".into());
    }
    Ok((min, max))
}

/// A service answer as a message.
pub fn done(outcome: Outcome) -> Msg {
    Msg::Done(Box::new(outcome))
}

/// A key press with no modifiers (tests and the fuzz test build keys with it).
pub fn key(code: KeyCode) -> Msg {
    Msg::Event(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Ctrl and a letter, as tests press it.
pub fn ctrl(letter: char) -> Msg {
    Msg::Event(AppEvent::Key(KeyEvent::new(
        KeyCode::Char(letter),
        KeyModifiers::CONTROL,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Role;

    fn session() -> Session {
        Session {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            username: "amina".into(),
            role: Role::Customer,
        }
    }

    /// Logged in where M-Pesa and PayPal are set up, and no card terminal.
    fn logged_in() -> App {
        let mut app = App::new("Duka", Theme::plain()).with_payments(PaymentOptions {
            offered: vec![PaymentMethod::Mpesa, PaymentMethod::Paypal],
            pretend: false,
        });
        app.update(done(Outcome::LoggedIn(Ok(session()))));
        app
    }

    #[test]
    fn logging_in_opens_the_catalog_and_loads_it() {
        let mut app = App::new("Duka", Theme::plain());
        let effects = app.update(done(Outcome::LoggedIn(Ok(session()))));
        assert_eq!(app.tab, Tab::Catalog);
        assert!(effects.contains(&Effect::LoadCategories));
        assert!(effects.contains(&Effect::LoadCart));
        assert!(effects.iter().any(|e| matches!(e, Effect::Search { .. })));
    }

    #[test]
    fn a_cashier_lands_on_the_till_and_an_admin_in_the_console() {
        let mut app = App::new("Duka", Theme::plain());
        let cashier = Session {
            role: Role::Staff,
            ..session()
        };
        let effects = app.update(done(Outcome::LoggedIn(Ok(cashier))));
        assert_eq!(app.tab, Tab::Pos);
        assert!(app.pos.scan_focused);
        assert!(effects.contains(&Effect::Pos(PosRequest::LoadHeld)));

        let mut app = App::new("Duka", Theme::plain());
        let admin = Session {
            role: Role::Admin,
            ..session()
        };
        let effects = app.update(done(Outcome::LoggedIn(Ok(admin))));
        assert_eq!(app.tab, Tab::Admin);
        assert!(effects.iter().any(|e| matches!(e, Effect::Admin(_))));
    }

    #[test]
    fn an_admin_at_a_till_terminal_gets_the_till_and_never_the_console() {
        let mut app = App::new("Duka", Theme::plain()).with_ceiling(Role::Staff);
        let admin = Session {
            role: Role::Admin,
            ..session()
        };
        app.update(done(Outcome::LoggedIn(Ok(admin))));
        assert_eq!(app.tab, Tab::Pos);
        assert_eq!(app.tabs(), [Tab::Catalog, Tab::Cart, Tab::Orders, Tab::Pos]);
        app.update(key(KeyCode::Char('5')));
        assert_ne!(app.tab, Tab::Admin);
        app.update(done(Outcome::LoggedOut));
        assert_eq!(
            app.ceiling,
            Role::Staff,
            "logging out keeps the terminal's kind"
        );
    }

    #[test]
    fn number_keys_switch_tabs_unless_typing() {
        let mut app = logged_in();
        assert_eq!(app.update(key(KeyCode::Char('2'))), vec![Effect::LoadCart]);
        assert_eq!(app.tab, Tab::Cart);
        app.update(key(KeyCode::Char('3')));
        assert_eq!(app.tab, Tab::Orders);
        app.update(key(KeyCode::Char('1')));
        app.update(key(KeyCode::Char('/')));
        app.update(key(KeyCode::Char('2')));
        assert_eq!(
            app.tab,
            Tab::Catalog,
            "a digit typed in the search box is text"
        );
        assert_eq!(app.catalog.search.value(), "2");
    }

    #[test]
    fn q_asks_before_quitting_and_ctrl_c_does_not() {
        let mut app = logged_in();
        app.update(key(KeyCode::Char('q')));
        assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
        app.update(key(KeyCode::Char('n')));
        assert!(app.overlay.is_none() && !app.quit);
        assert_eq!(app.update(ctrl('c')), vec![Effect::Quit]);
        assert!(app.quit);
    }

    #[test]
    fn checkout_places_one_order_however_often_enter_is_pressed() {
        let mut app = logged_in();
        app.update(done(Outcome::Cart(Ok(crate::domain::cart::CartView {
            lines: vec![crate::domain::cart::CartLine {
                product_id: Uuid::nil(),
                name: "Chai".into(),
                sku: "CHAI".into(),
                quantity: 1,
                price_seen: Money::from_cents(100),
                price: Money::from_cents(100),
                stock_quantity: 5,
                is_archived: false,
            }],
        }))));
        app.update(key(KeyCode::Char('2')));
        app.update(key(KeyCode::Char('c')));
        let mut no_card = app.clone();
        no_card.update(key(KeyCode::Char('c')));
        assert!(
            matches!(
                no_card.update(key(KeyCode::Enter)).as_slice(),
                [Effect::PlaceOrder {
                    method: PaymentMethod::Mpesa,
                    ..
                }]
            ),
            "card is not offered without a card terminal"
        );
        app.update(key(KeyCode::Char('p')));
        let first = app.update(key(KeyCode::Enter));
        let second = app.update(key(KeyCode::Enter));
        assert!(matches!(
            first.as_slice(),
            [Effect::PlaceOrder {
                method: PaymentMethod::Paypal,
                ..
            }]
        ));
        assert!(second.is_empty());
    }

    #[test]
    fn a_lost_session_goes_back_to_login_with_the_reason() {
        let mut app = logged_in();
        app.update(done(Outcome::Cart(Err(Error::Inactive))));
        assert!(app.session.is_none());
        assert_eq!(app.status.unwrap().0, Error::Inactive.to_string());
    }

    #[test]
    fn an_unreachable_database_is_shown_and_the_cart_kept() {
        let mut app = logged_in();
        app.cart.cart = Some(crate::domain::cart::CartView { lines: Vec::new() });
        app.update(done(Outcome::OrderPlaced(Err(Error::Unavailable))));
        assert!(!app.database_ok);
        assert_eq!(app.status.as_ref().unwrap().1, Level::Error);
        assert!(app.session.is_some() && app.cart.cart.is_some());
    }

    #[test]
    fn a_product_changed_elsewhere_is_refreshed_where_it_is_shown() {
        let mut app = logged_in();
        let shown = Uuid::from_u128(1);
        let mut product = crate::domain::catalog::Product::sample(shown, "Chai");
        app.catalog.products = vec![product.clone()];
        assert_eq!(
            app.update(Msg::Changed(Change::Product(shown))),
            vec![Effect::LoadProduct { product_id: shown }]
        );
        assert!(
            app.update(Msg::Changed(Change::Product(Uuid::from_u128(2))))
                .is_empty()
        );
        product.stock_quantity = 0;
        app.update(done(Outcome::Product(Ok(product))));
        assert_eq!(app.catalog.products[0].stock_quantity, 0);
    }

    fn tick(app: &mut App, times: usize) -> Vec<Effect> {
        (0..times)
            .flat_map(|_| app.update(Msg::Event(AppEvent::Tick)))
            .collect()
    }

    #[test]
    fn a_kiosk_logs_an_idle_customer_out_and_only_then() {
        let mut app = logged_in().with_kiosk(Some(Kiosk::new(TICK * 10)));
        assert!(tick(&mut app, 9).is_empty());
        app.update(key(KeyCode::Char('j'))); // activity starts the count again
        assert!(tick(&mut app, 9).is_empty());
        assert_eq!(tick(&mut app, 1), vec![Effect::Logout]);
    }

    #[test]
    fn a_kiosk_shows_customer_screens_only_and_logs_in_customers_only() {
        let mut kiosk = App::new("Duka", Theme::plain()).with_kiosk(Some(Kiosk::new(TICK * 1000)));
        for c in "cashier".chars() {
            kiosk.update(key(KeyCode::Char(c)));
        }
        kiosk.update(key(KeyCode::Tab));
        for c in "till roll paper".chars() {
            kiosk.update(key(KeyCode::Char(c)));
        }
        let asked = kiosk.update(key(KeyCode::Enter));
        assert!(
            matches!(asked.as_slice(), [Effect::CustomerLogin { username, .. }] if username == "cashier"),
            "{asked:?}"
        );
        // Whoever got a session there, tabs 4 Till and 5 Admin are not offered.
        kiosk.update(done(Outcome::LoggedIn(Ok(Session {
            role: Role::Admin,
            ..session()
        }))));
        assert_eq!(kiosk.tabs(), [Tab::Catalog, Tab::Cart, Tab::Orders]);
        kiosk.update(key(KeyCode::Char('5')));
        assert_ne!(kiosk.tab, Tab::Admin);
    }

    #[test]
    fn logging_out_or_ctrl_c_with_sales_on_the_till_asks_first() {
        let mut app = logged_in();
        app.session = Some(Session {
            role: Role::Staff,
            ..session()
        });
        app.pos.held.push(crate::domain::held::HeldSale {
            key: Uuid::nil(),
            label: "walk-in · Chai".into(),
            customer: None,
            lines: Vec::new(),
            discounts: Vec::new(),
            held_at: chrono::Utc::now(),
        });
        assert!(app.update(key(KeyCode::Char('L'))).is_empty(), "asks first");
        assert!(matches!(app.overlay, Some(Overlay::ConfirmLogout)));
        assert_eq!(app.update(key(KeyCode::Char('y'))), vec![Effect::Logout]);
        assert!(app.update(ctrl('c')).is_empty());
        assert!(!app.quit && matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    }

    fn order_detail(
        status: crate::domain::order::OrderStatus,
    ) -> crate::domain::order::OrderDetail {
        crate::domain::order::OrderDetail {
            order: crate::domain::order::OrderSummary {
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
            },
            items: Vec::new(),
            payment: None,
            parts: Vec::new(),
            after_sale: Vec::new(),
            fiscal: None,
        }
    }

    #[test]
    fn a_customer_cancels_a_pending_order_from_its_history() {
        let mut app = logged_in();
        let detail = order_detail(crate::domain::order::OrderStatus::Pending);
        app.overlay = Some(Overlay::Order(Some(Box::new(detail))));
        assert!(app.update(key(KeyCode::Char('c'))).is_empty(), "asks first");
        assert_eq!(
            app.update(key(KeyCode::Char('y'))),
            vec![Effect::CancelOrder {
                order_id: Uuid::from_u128(7)
            }]
        );
    }

    #[test]
    fn a_receipt_waiting_for_kra_is_printed_as_it_is_when_the_session_ends() {
        for leave in [ctrl('c'), key(KeyCode::Char('L'))] {
            let mut app = logged_in();
            let mut receipt = crate::domain::receipt::tests::sample();
            let mut print = crate::domain::etims::tests::signed_print();
            print.fiscal.signed = None;
            print.fiscal.state = crate::domain::etims::InvoiceState::Pending;
            receipt.fiscal = Some(print);
            let sold = app.update(done(Outcome::Pos(crate::tui::effect::PosAnswer::Sold(Ok(
                Box::new(receipt),
            )))));
            assert!(sold.is_empty(), "waits for KRA: {sold:?}");
            let effects = app.update(leave);
            assert!(
                matches!(
                    &effects[..],
                    [Effect::Pos(PosRequest::Issue(r)), Effect::Quit | Effect::Logout]
                        if r.fiscal.as_ref().is_some_and(|f| f.awaits_kra())
                ),
                "{effects:?}"
            );
        }
    }

    #[test]
    fn an_order_on_screen_is_read_again_once_kra_answers_its_invoice() {
        let mut app = logged_in();
        let mut detail = order_detail(crate::domain::order::OrderStatus::Paid);
        let mut print = crate::domain::etims::tests::signed_print();
        print.fiscal.signed = None;
        print.fiscal.state = crate::domain::etims::InvoiceState::Pending;
        let invoice = print.fiscal.id;
        detail.fiscal = Some(print);
        app.overlay = Some(Overlay::Order(Some(Box::new(detail))));
        let answered = |id| Msg::Changed(Change::InvoiceAnswered(id));
        assert!(
            app.update(answered(Uuid::from_u128(99))).is_empty(),
            "another invoice"
        );
        assert_eq!(
            app.update(answered(invoice)),
            vec![Effect::LoadOrder {
                order_id: Uuid::from_u128(7)
            }]
        );
    }

    /// The screen's text after drawing `app` at `width`×`height`.
    fn drawn(app: &App, width: u16, height: u16) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| crate::tui::view::draw(app, frame))
            .unwrap();
        let buffer = terminal.backend().buffer();
        buffer.content().iter().map(|cell| cell.symbol()).collect()
    }

    #[test]
    fn a_paid_order_shows_its_tax_invoice_and_kras_qr_code_where_it_fits() {
        let mut app = logged_in();
        let mut detail = order_detail(crate::domain::order::OrderStatus::Paid);
        detail.fiscal = Some(crate::domain::etims::tests::signed_print());
        let signature = detail
            .fiscal
            .as_ref()
            .unwrap()
            .fiscal
            .signed
            .as_ref()
            .unwrap()
            .signature
            .clone();
        app.overlay = Some(Overlay::Order(Some(Box::new(detail))));
        // A kiosk's tall screen: the invoice, the signature and the code to scan.
        let tall = drawn(&app, 100, 80);
        assert!(
            tall.contains("CU invoice") && tall.contains(&signature[..8]),
            "{tall}"
        );
        assert!(tall.contains("▀▀▀▀▀▀▀"), "no QR code on a tall screen");
        assert!(tall.contains("Esc: close"));
        // A small window: the invoice's text, and what the code needs instead of a cut one.
        let small = drawn(&app, 80, 30);
        assert!(small.contains("CU invoice"));
        assert!(!small.contains("▀▀▀▀▀▀▀"));
        assert!(small.contains("shows in a taller window"), "{small}");
        assert!(small.contains("Esc: close"));
        // The smallest window the app draws: the invoice in one line, the keys still shown.
        let least = drawn(&app, 60, 16);
        assert!(
            least.contains("Tax invoice KRACU0100000001/42 · signed by KRA"),
            "{least}"
        );
        assert!(least.contains("Esc: close"), "{least}");
    }

    #[test]
    fn an_idle_kiosk_counts_down_the_last_seconds_and_leaves_a_clean_screen() {
        // 30 s of quiet allowed: nothing shows for the first 15.
        let mut app = logged_in().with_kiosk(Some(Kiosk::new(std::time::Duration::from_secs(30))));
        let ticks_per_second = 1000 / TICK.as_millis() as usize;
        tick(&mut app, 14 * ticks_per_second);
        assert_eq!(app.idle_countdown(), None);
        tick(&mut app, 2 * ticks_per_second);
        let shown = app.idle_countdown().expect("counting down");
        assert!((13..=15).contains(&shown), "{shown}");
        app.update(key(KeyCode::Down)); // any key: still there
        assert_eq!(app.idle_countdown(), None);
        let limit = app.kiosk.unwrap().idle_limit_ticks as usize;
        assert_eq!(tick(&mut app, limit), vec![Effect::Logout]);
        app.update(done(Outcome::LoggedOut));
        assert!(
            app.session.is_none() && app.status.is_none(),
            "nothing left for the next person"
        );
    }

    #[test]
    fn leaving_a_kiosk_takes_an_admin_password() {
        let mut app = logged_in().with_kiosk(Some(Kiosk::new(TICK * 1000)));
        assert!(app.update(ctrl('c')).is_empty());
        assert!(!app.quit && matches!(app.overlay, Some(Overlay::KioskExit(_))));
        for c in "admin".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        app.update(key(KeyCode::Tab));
        for c in "guess".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        let asked = app.update(key(KeyCode::Enter));
        assert!(
            matches!(asked.as_slice(), [Effect::AuthorizeExit { username, .. }] if username == "admin")
        );
        app.update(done(Outcome::ExitAllowed(Err(Error::InvalidCredentials))));
        assert!(!app.quit, "a wrong password keeps the kiosk running");
        app.update(done(Outcome::ExitAllowed(Ok(()))));
        assert!(app.quit);
    }

    #[test]
    fn quantities_and_price_ranges_are_checked_in_their_popups() {
        assert_eq!(parse_quantity(" 3 "), Ok(3));
        assert!(parse_quantity("0").is_err() && parse_quantity("lots").is_err());
        assert_eq!(
            parse_price_range("100-5,000"),
            Ok((
                Some(Money::from_cents(10_000)),
                Some(Money::from_cents(500_000))
            ))
        );
        assert_eq!(
            parse_price_range("-500"),
            Ok((None, Some(Money::from_cents(50_000))))
        );
        assert_eq!(
            parse_price_range("1000-"),
            Ok((Some(Money::from_cents(100_000)), None))
        );
        assert!(parse_price_range("500-100").is_err());
        assert!(parse_price_range("abc").is_err());
    }

    #[test]
    fn a_payment_confirmed_elsewhere_is_asked_for_at_once_while_waited_for() {
        use crate::domain::payment::{PaymentStatus, PaymentSummary};
        use crate::tui::effect::{PayAnswer, PayRequest};
        let mut app = logged_in();
        let payment = PaymentSummary {
            id: Uuid::from_u128(5),
            order_id: Uuid::from_u128(1),
            user_id: Uuid::nil(),
            amount: Money::from_cents(100),
            method: PaymentMethod::Card,
            status: PaymentStatus::Pending,
            transaction_id: None,
            paid_at: None,
            confirmed_by: None,
            failure_reason: None,
            created_at: chrono::Utc::now(),
            gateway_ref: None,
            card_brand: None,
            card_last4: None,
            request_state: None,
            taken_by: None,
        };
        let mut flow = PayFlow::new(
            payment.order_id,
            payment.amount,
            Some(PaymentMethod::Card),
            &[PaymentMethod::Card],
        );
        flow.start();
        app.overlay = Some(Overlay::Payment(Box::new(flow)));
        app.update(done(Outcome::Pay(PayAnswer::Payment(Ok(payment)))));
        assert!(
            app.update(Msg::Changed(Change::Payment(Uuid::from_u128(6))))
                .is_empty()
        );
        assert_eq!(
            app.update(Msg::Changed(Change::Payment(Uuid::from_u128(5)))),
            vec![Effect::Pay(PayRequest::Status(Uuid::from_u128(5)))]
        );
    }
}
