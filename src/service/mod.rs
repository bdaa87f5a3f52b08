//! Use cases. Every call takes the acting session and checks, against the database, that it
//! is still open and allowed; multi-step writes run in one transaction.

mod access;
pub mod admin_catalog;
pub mod admin_users;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod gateways;
pub mod limits;
pub mod orders;
mod password;
pub mod payments;
pub mod pos;
pub mod receipts;
pub mod reports;
pub mod terminals;

use sqlx::PgPool;

use crate::domain::receipt::Shop;

pub use admin_catalog::AdminCatalog;
pub use admin_users::AdminUsers;
pub use auth::Auth;
pub use cart::Cart;
pub use catalog::Catalog;
pub use orders::Orders;
pub use payments::Payments;
pub use pos::Pos;
pub use receipts::Receipts;
pub use reports::Reports;
pub use terminals::Terminals;

/// Everything the screens (and the CLI) may call, cheap to clone into tasks.
#[derive(Clone)]
pub struct Services {
    pub auth: Auth,
    pub catalog: Catalog,
    pub cart: Cart,
    pub orders: Orders,
    pub payments: Payments,
    pub admin: AdminCatalog,
    pub users: AdminUsers,
    pub pos: Pos,
    pub receipts: Receipts,
    pub reports: Reports,
    pub terminals: Terminals,
}

/// What the services need besides the database, from the config.
#[derive(Debug, Clone)]
pub struct Setup {
    pub shop: Shop,
    pub receipts: Receipts,
    /// Where report exports are written.
    pub exports: std::path::PathBuf,
    pub gateways: gateways::Gateways,
    /// Unpaid till orders older than this are cancelled by reconciliation.
    pub unpaid_after: std::time::Duration,
    /// What a customer ordering on their own may hold.
    pub customers: limits::Limits,
    /// Who is logged in at this terminal, told to the database under a terminal role.
    pub viewer: crate::db::Viewer,
}

impl Services {
    /// The services for one session at a terminal the shop server runs: the same pool, its
    /// own logged-in session, that terminal's counters.
    pub fn at_terminal(&self, counters: auth::TerminalCounters) -> Services {
        Services {
            auth: self.auth.at_terminal(counters),
            ..self.clone()
        }
    }

    pub fn new(pool: PgPool, setup: Setup) -> Self {
        let payments = Payments::new(
            pool.clone(),
            setup.gateways.clone(),
            setup.unpaid_after,
            setup.customers.unpaid_after,
        );
        Services {
            auth: Auth::new(pool.clone(), setup.viewer, setup.customers),
            catalog: Catalog::new(pool.clone()),
            cart: Cart::new(pool.clone(), setup.customers),
            orders: Orders::new(pool.clone(), payments.clone(), setup.customers),
            payments,
            admin: AdminCatalog::new(pool.clone()),
            users: AdminUsers::new(pool.clone()),
            pos: Pos::new(pool.clone(), setup.shop, setup.gateways),
            receipts: setup.receipts,
            terminals: Terminals::new(pool.clone()),
            reports: Reports::new(pool, setup.exports),
        }
    }
}
