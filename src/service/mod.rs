//! Use cases. Every call takes the acting session and checks, against the database, that it
//! is still open and allowed; multi-step writes run in one transaction.

mod access;
pub mod admin_catalog;
pub mod admin_users;
mod announce;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod etims;
pub mod gateways;
pub mod limits;
pub mod operator;
pub mod orders;
mod password;
pub mod payments;
pub mod pos;
pub mod receipts;
pub mod reports;
pub mod returns;
pub mod shifts;
pub mod terminals;

use crate::db::{Db, TerminalRole};
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
pub use returns::Returns;
pub use shifts::Shifts;
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
    pub returns: Returns,
    pub shifts: Shifts,
    pub terminals: Terminals,
    pub etims: etims::EtimsQueue,
    db: Db,
    setup: Setup,
    stock: announce::StockAnnouncer,
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
    /// KRA's eTIMS: off (the default) or who sends and what receipts print.
    pub etims: etims::EtimsSetup,
}

impl Services {
    /// The services of a terminal (or an operator's command) working through `db`.
    pub fn new(db: impl Into<Db>, setup: Setup) -> Self {
        let db = db.into();
        let counters = auth::TerminalCounters::new(&setup.customers);
        let stock = announce::StockAnnouncer::new(db.pool().clone());
        Services::build(
            db.clone(),
            db.clone(),
            setup,
            counters,
            Catalog::new(db),
            stock,
        )
    }

    /// The services for one session of the shop server: the same pool and live changes,
    /// working as `role` with a logged-in session of its own, and its terminal's counters.
    pub fn at_terminal(&self, role: TerminalRole, counters: auth::TerminalCounters) -> Services {
        let db = self.db.working_as(role);
        let catalog = self.catalog.working_through(db.clone());
        let stock = self.stock.clone();
        Services::build(
            db,
            self.db.clone(),
            self.setup.clone(),
            counters,
            catalog,
            stock,
        )
    }

    /// `provider` settles what payment providers confirm (see `Payments`).
    fn build(
        db: Db,
        provider: Db,
        setup: Setup,
        counters: auth::TerminalCounters,
        catalog: Catalog,
        stock: announce::StockAnnouncer,
    ) -> Self {
        let payments = Payments::new(
            db.clone(),
            provider.clone(),
            setup.gateways.clone(),
            setup.unpaid_after,
            setup.customers.unpaid_after,
        );
        Services {
            auth: Auth::new(db.clone(), setup.customers, counters),
            catalog,
            cart: Cart::new(db.clone(), setup.customers),
            orders: Orders::new(
                db.clone(),
                payments.clone(),
                setup.customers,
                setup.etims.clone(),
                stock.clone(),
            ),
            payments,
            admin: AdminCatalog::new(db.clone()),
            users: AdminUsers::new(db.clone()),
            pos: Pos::new(db.clone(), &setup, stock.clone()),
            receipts: setup.receipts.clone(),
            returns: Returns::new(db.clone(), &setup),
            shifts: Shifts::new(db.clone(), setup.shop.clone()),
            terminals: Terminals::new(db.clone()),
            reports: Reports::new(db.clone(), setup.exports.clone()),
            etims: etims::EtimsQueue::new(db.clone(), provider, setup.etims.clone()),
            db,
            setup,
            stock,
        }
    }
}
