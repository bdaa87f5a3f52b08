//! Helpers shared by the service tests: each test gets its own fresh database from
//! `#[sqlx::test]`, and these build the people and products it needs.
#![allow(dead_code)] // each test file uses its own subset

pub mod providers;
pub mod pty;
pub mod screens;
pub mod ssh;

use bytemtaani::db::Db;
use bytemtaani::domain::catalog::{Category, Product, ProductForm};
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::service::auth::NewAccount;
use bytemtaani::service::etims::EtimsSetup;
use bytemtaani::service::gateways::Gateways;
use bytemtaani::service::limits::Limits;
use bytemtaani::service::{Receipts, Services, Setup};
use sqlx::PgPool;

pub const PASSWORD: &str = "correct horse battery";
/// How long the sandbox's pretend customer takes to answer in tests.
pub const SANDBOX_DELAY: std::time::Duration = std::time::Duration::from_millis(200);

pub fn services(pool: &PgPool) -> Services {
    services_through(pool.clone().into())
}

/// Services working through `db` (a terminal role's, say).
pub fn services_through(db: Db) -> Services {
    services_limited(db, Gateways::sandbox(SANDBOX_DELAY), unlimited())
}

/// Services paying through `gateways`. Customers are not limited here beyond what a test
/// needs (tests/kiosk_limits.rs tests the shop's limits).
pub fn services_with(pool: &PgPool, gateways: Gateways) -> Services {
    services_limited(pool.clone().into(), gateways, unlimited())
}

fn unlimited() -> Limits {
    Limits {
        max_units_per_line: 999,
        max_unpaid_orders: 1_000,
        unpaid_after: std::time::Duration::from_secs(30 * 60),
        registrations_per_hour: 10_000,
        failed_logins_per_terminal: 10_000,
        failed_logins_window: std::time::Duration::from_secs(60),
    }
}

/// Services holding customers to `customers`.
pub fn services_limited(db: Db, gateways: Gateways, customers: Limits) -> Services {
    Services::new(db, setup(gateways, customers))
}

fn setup(gateways: Gateways, customers: Limits) -> Setup {
    let scratch = std::env::temp_dir().join("bytemtaani-tests");
    Setup {
        shop: bytemtaani::config::Settings::built_in().shop,
        receipts: Receipts::new(scratch.join("receipts"), None),
        exports: scratch.join("reports"),
        gateways,
        unpaid_after: std::time::Duration::from_secs(30 * 60),
        customers,
        etims: Default::default(),
    }
}

/// The control unit id and branch the eTIMS tests' shop has.
pub const SCU_ID: &str = "KRACU0100000001";
pub const BRANCH: &str = "00";

/// The eTIMS set-up of a shop sending through `sender` (the database numbers invoices
/// once [`etims_on`] has run).
pub fn etims_setup(sender: bytemtaani::gateway::etims::Etims) -> EtimsSetup {
    let built_in = bytemtaani::config::Settings::built_in();
    EtimsSetup {
        on: true,
        sender: Some(std::sync::Arc::new(sender)),
        pin: built_in.shop.kra_pin,
        branch: BRANCH.into(),
        scu_id: SCU_ID.into(),
        verify_url: built_in.etims.verify_url,
    }
}

/// Turns eTIMS on in the database, as `bytemtaani migrate` does for `[etims]` on.
pub async fn etims_on(pool: &PgPool) {
    bytemtaani::db::etims::set_policy(pool, true, BRANCH)
        .await
        .unwrap();
}

/// Services of a shop with eTIMS on, sending through `sender`, working through `db`.
pub fn services_with_etims(db: Db, sender: bytemtaani::gateway::etims::Etims) -> Services {
    let mut setup = setup(Gateways::sandbox(SANDBOX_DELAY), unlimited());
    setup.etims = etims_setup(sender);
    Services::new(db, setup)
}

/// The services of a terminal the shop's server runs as `role`: each transaction becomes
/// the role and names the terminal's logged-in session; what providers confirm is settled
/// with the server's own rights.
pub fn served(owner: &Services, role: bytemtaani::db::TerminalRole) -> Services {
    let limits = bytemtaani::config::Settings::built_in()
        .setup()
        .unwrap()
        .customers;
    owner.at_terminal(
        role,
        bytemtaani::service::auth::TerminalCounters::new(&limits),
    )
}

/// A plain connection to the test database working as `role`, with `session` as the
/// logged-in viewer: what a person at a terminal's shell could open.
pub async fn plain(pool: &PgPool, role: &str, session: Option<uuid::Uuid>) -> sqlx::PgConnection {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect_with(&pool.connect_options())
        .await
        .unwrap();
    sqlx::Executor::execute(&mut conn, format!("set role {role}").as_str())
        .await
        .unwrap();
    let session = session.map(|id| id.to_string()).unwrap_or_default();
    sqlx::query("select set_config('bytemtaani.session', $1, false)")
        .bind(session)
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

/// Creates a user of `role` (password [`PASSWORD`]) without logging them in.
pub async fn create_account(s: &Services, username: &str, role: Role) {
    s.auth
        .create_account(
            NewAccount {
                username: username.into(),
                email: format!("{username}@example.co.ke"),
                phone: String::new(),
                password: PASSWORD.into(),
            },
            role,
        )
        .await
        .expect("create account");
}

/// Creates a user of `role` and logs them in.
pub async fn login_as(s: &Services, username: &str, role: Role) -> Actor {
    create_account(s, username, role).await;
    s.auth
        .login(username, PASSWORD)
        .await
        .expect("login")
        .into()
}

/// A staff member logged in at a till with a shift open (no float): no till sale or
/// return is taken without one.
pub async fn at_till(s: &Services, username: &str) -> Actor {
    let cashier = login_as(s, username, Role::Staff).await;
    on_shift(s, &cashier).await;
    cashier
}

/// Opens a shift for someone already logged in (an admin selling at the till).
pub async fn on_shift(s: &Services, staff: &Actor) {
    s.shifts.open(staff, "0").await.expect("open a shift");
}

pub async fn category(s: &Services, admin: &Actor, name: &str) -> Category {
    s.admin
        .create_category(admin, name)
        .await
        .expect("create category")
}

pub fn form(category: &Category, name: &str, sku: &str, price: &str) -> ProductForm {
    ProductForm {
        name: name.into(),
        sku: sku.into(),
        price: price.into(),
        category_id: Some(category.id),
        description: format!("{name} for the demo shop"),
        // KRA's class for phones: eTIMS registers each product with its class.
        item_class: "4321150300".into(),
        ..Default::default()
    }
}

pub async fn product(
    s: &Services,
    admin: &Actor,
    category: &Category,
    name: &str,
    price: &str,
    stock: i32,
) -> Product {
    let sku = name
        .to_uppercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    s.admin
        .create_product(admin, &form(category, name, &sku, price), stock)
        .await
        .expect("create product")
}

/// An admin and one category, which most tests start from.
pub async fn shop(s: &Services) -> (Actor, Category) {
    let admin = login_as(s, "admin", Role::Admin).await;
    let cat = category(s, &admin, "Phones").await;
    (admin, cat)
}

/// The id of an order's payment.
pub async fn payment_of(pool: &PgPool, order_id: uuid::Uuid) -> uuid::Uuid {
    sqlx::query_scalar("select id from payments where order_id = $1")
        .bind(order_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub async fn stock(pool: &PgPool, product: &Product) -> i32 {
    sqlx::query_scalar("select stock_quantity from products where id = $1")
        .bind(product.id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The single number a `select count(*) …` (or any bigint query) returns.
pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A line of `quantity` units of `product` at its shelf price.
pub fn line(product: &Product, quantity: i32) -> bytemtaani::domain::order::OrderLine {
    bytemtaani::domain::order::OrderLine {
        product_id: product.id,
        quantity,
        agreed_price: product.price,
    }
}

/// A till sale of `lines` paid in cash, exactly; its order's id.
pub async fn cash_sale(
    s: &Services,
    cashier: &Actor,
    lines: Vec<bytemtaani::domain::order::OrderLine>,
) -> bytemtaani::domain::Result<uuid::Uuid> {
    let total: bytemtaani::domain::Money =
        lines.iter().map(|l| l.agreed_price.times(l.quantity)).sum();
    s.pos
        .sell(
            cashier,
            bytemtaani::service::pos::Sale {
                key: uuid::Uuid::new_v4(),
                customer: None,
                lines,
                discounts: Vec::new(),
                approval: None,
                tender: bytemtaani::service::pos::Tender::Cash { handed: total },
            },
        )
        .await
        .map(|r| r.order_id)
}
