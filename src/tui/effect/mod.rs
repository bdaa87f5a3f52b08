//! Work the app asks for, run on tokio tasks against the services. Each result comes back
//! as a message; the UI never waits on the database.

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

use crate::domain::cart::CartView;
use crate::domain::catalog::{Category, Page, Product, ProductQuery};
use crate::domain::order::{CancelOutcome, OrderDetail, OrderSummary};
use crate::domain::payment::PaymentMethod;
use crate::domain::user::{Actor, Session};
use crate::domain::{Error, Result};
use crate::service::Services;
use crate::service::auth::NewAccount;
use crate::tui::app::{Msg, done};

mod admin;
mod pay;
mod pos;

pub use admin::{AdminAnswer, AdminRequest, Change, NewAccountForm};
pub use pay::{PayAnswer, PayRequest};
pub use pos::{PosAnswer, PosRequest, ShiftRequest};

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Login {
        username: String,
        password: Secret,
    },
    /// A login at a kiosk: customers only.
    CustomerLogin {
        username: String,
        password: Secret,
    },
    Register(NewAccount),
    /// An admin's credentials to leave kiosk mode.
    AuthorizeExit {
        username: String,
        password: Secret,
    },
    Logout,
    LoadCategories,
    /// `generation` ties the answer to the query that asked, so a late answer for text the
    /// person has since changed is dropped.
    Search {
        generation: u64,
        query: ProductQuery,
        append: bool,
    },
    /// Sends `Msg::SearchDue(generation)` after a pause in typing.
    Debounce {
        generation: u64,
    },
    LoadProduct {
        product_id: Uuid,
    },
    LoadCart,
    AddToCart {
        product_id: Uuid,
        quantity: i32,
    },
    SetQuantity {
        product_id: Uuid,
        quantity: i32,
    },
    RemoveLine {
        product_id: Uuid,
    },
    AcceptPrices,
    PlaceOrder {
        checkout_key: Uuid,
        method: PaymentMethod,
    },
    LoadOrders,
    /// The page of orders placed before `after`.
    MoreOrders {
        after: Box<OrderSummary>,
    },
    LoadOrder {
        order_id: Uuid,
    },
    /// A customer cancels their own pending order.
    CancelOrder {
        order_id: Uuid,
    },
    /// Paying for an order through a provider.
    Pay(PayRequest),
    /// Work for the till.
    Pos(PosRequest),
    /// Work for the admin console.
    Admin(AdminRequest),
    Quit,
}

/// A password on its way to the service; never shown by Debug (logs, test output).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A service call's answer, carried back to the update step.
#[derive(Debug, Clone)]
pub enum Outcome {
    LoggedIn(Result<Session>),
    LoggedOut,
    ExitAllowed(Result<()>),
    Categories(Result<Vec<Category>>),
    Product(Result<Product>),
    Products {
        generation: u64,
        append: bool,
        result: Result<Page<Product>>,
    },
    Cart(Result<CartView>),
    /// The cart after a change, with what to tell the person.
    CartChanged {
        result: Result<CartView>,
        done: String,
    },
    OrderPlaced(Result<OrderDetail>),
    Orders(Result<Vec<OrderSummary>>),
    MoreOrders(Result<Vec<OrderSummary>>),
    Order(Result<OrderDetail>),
    OrderCancelled(Result<CancelOutcome>),
    Pay(PayAnswer),
    Pos(PosAnswer),
    Admin(AdminAnswer),
}

impl Outcome {
    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::LoggedIn(Err(e))
            | Outcome::ExitAllowed(Err(e))
            | Outcome::Categories(Err(e))
            | Outcome::Products { result: Err(e), .. }
            | Outcome::Cart(Err(e))
            | Outcome::CartChanged { result: Err(e), .. }
            | Outcome::OrderPlaced(Err(e))
            | Outcome::Orders(Err(e))
            | Outcome::MoreOrders(Err(e))
            | Outcome::Order(Err(e))
            | Outcome::OrderCancelled(Err(e)) => Some(e),
            Outcome::Pay(answer) => answer.error(),
            Outcome::Pos(answer) => answer.error(),
            Outcome::Admin(answer) => answer.error(),
            _ => None,
        }
    }
}

pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(150);
const RELISTEN: Duration = Duration::from_secs(2);

/// Runs one effect on its own task; the answer arrives on `tx`.
pub fn spawn(effect: Effect, services: &Services, actor: Actor, tx: UnboundedSender<Msg>) {
    let s = services.clone();
    tokio::spawn(async move {
        let outcome = match effect {
            Effect::Quit => return,
            Effect::Debounce { generation } => {
                tokio::time::sleep(SEARCH_DEBOUNCE).await;
                let _ = tx.send(Msg::SearchDue(generation));
                return;
            }
            Effect::Login { username, password } => {
                Outcome::LoggedIn(s.auth.login(&username, &password.0).await)
            }
            Effect::CustomerLogin { username, password } => {
                Outcome::LoggedIn(s.auth.login_customer(&username, &password.0).await)
            }
            Effect::Register(account) => Outcome::LoggedIn(s.auth.register(account).await),
            Effect::AuthorizeExit { username, password } => {
                Outcome::ExitAllowed(s.auth.authorize_exit(&username, &password.0).await)
            }
            Effect::Logout => {
                if let Err(err) = s.auth.logout(&actor).await {
                    tracing::warn!(%err, "logout");
                }
                Outcome::LoggedOut
            }
            Effect::LoadCategories => Outcome::Categories(s.catalog.categories().await),
            Effect::Search {
                generation,
                query,
                append,
            } => Outcome::Products {
                generation,
                append,
                result: s.catalog.search(&query).await,
            },
            Effect::LoadProduct { product_id } => {
                Outcome::Product(s.catalog.product(product_id).await)
            }
            Effect::LoadCart => Outcome::Cart(s.cart.view(&actor).await),
            Effect::AddToCart {
                product_id,
                quantity,
            } => Outcome::CartChanged {
                result: s.cart.add(&actor, product_id, quantity).await,
                done: format!("Added {quantity} to the cart."),
            },
            Effect::SetQuantity {
                product_id,
                quantity,
            } => Outcome::CartChanged {
                result: s.cart.set_quantity(&actor, product_id, quantity).await,
                done: format!("Quantity set to {quantity}."),
            },
            Effect::RemoveLine { product_id } => Outcome::CartChanged {
                result: s.cart.remove(&actor, product_id).await,
                done: "Removed from the cart.".into(),
            },
            Effect::AcceptPrices => Outcome::CartChanged {
                result: s.cart.accept_prices(&actor).await,
                done: "New prices accepted.".into(),
            },
            Effect::PlaceOrder {
                checkout_key,
                method,
            } => Outcome::OrderPlaced(place_order(&s, &actor, checkout_key, method).await),
            Effect::LoadOrders => Outcome::Orders(s.orders.history(&actor, None).await),
            Effect::MoreOrders { after } => {
                Outcome::MoreOrders(s.orders.history(&actor, Some(&after)).await)
            }
            Effect::LoadOrder { order_id } => {
                Outcome::Order(s.orders.detail(&actor, order_id).await)
            }
            Effect::CancelOrder { order_id } => {
                Outcome::OrderCancelled(s.orders.cancel(&actor, order_id).await)
            }
            Effect::Pay(request) => Outcome::Pay(pay::run(&s, &actor, request).await),
            Effect::Pos(request) => Outcome::Pos(pos::run(&s, &actor, request).await),
            Effect::Admin(request) => Outcome::Admin(admin::run(&s, &actor, request).await),
        };
        let _ = tx.send(done(outcome));
    });
}

/// Forwards product and payment changes from PostgreSQL to the app for as long as it runs, listening
/// again after a lost connection.
pub fn watch_changes(services: &Services, tx: UnboundedSender<Msg>) {
    let catalog = services.catalog.clone();
    tokio::spawn(async move {
        loop {
            match catalog.changes().await {
                Ok(mut changes) => loop {
                    tokio::select! {
                        change = changes.next() => match change {
                            Some(change) if tx.send(Msg::Changed(change)).is_ok() => {}
                            Some(_) => return,
                            None => break,
                        },
                        // The screen closed: stop listening for it.
                        () = tx.closed() => return,
                    }
                },
                Err(err) => tracing::warn!(%err, "live changes: cannot listen yet"),
            }
            tokio::select! {
                () = tokio::time::sleep(RELISTEN) => {}
                () = tx.closed() => return,
            }
        }
    });
}

/// Places the order and opens its one payment, pending, with the method chosen; the payment
/// popup then starts the provider.
async fn place_order(
    s: &Services,
    actor: &Actor,
    key: Uuid,
    method: PaymentMethod,
) -> Result<OrderDetail> {
    let placed = s.orders.place_from_cart(actor, key).await?;
    s.payments.open(actor, placed.order.id, method).await?;
    s.orders.detail(actor, placed.order.id).await
}
