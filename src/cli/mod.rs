//! The command line: open the app, or run one of the operator's commands.

pub mod callbacks;
pub mod seed;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use sqlx::PgPool;

use crate::config::Settings;
use crate::domain::user::Role;
use crate::service::Services;
use crate::service::auth::NewAccount;
use crate::tui::app::{App, Kiosk, PaymentOptions};
use crate::tui::theme::Theme;
use crate::{MIGRATOR, db};

#[derive(Debug, Parser)]
#[command(
    name = "bytemtaani",
    version,
    about = "ByteMtaani Terminal: point-of-sale, admin console and kiosk"
)]
pub struct Cli {
    /// A settings file to use instead of the one in your config directory.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Kiosk mode: customer screens only, idle customers logged out, and leaving the app
    /// takes an admin's password.
    #[arg(long)]
    pub kiosk: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if missing and apply all migrations.
    Migrate,
    /// Load data into the database.
    Seed(SeedArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Receive M-Pesa STK Push callbacks over HTTP (and reconcile payments on a timer).
    Callbacks {
        /// The address to listen on, e.g. 127.0.0.1:8089 behind an HTTPS reverse proxy.
        #[arg(long, value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// Start even though a payment provider is the sandbox (pretend: no money moves).
        /// Without it the receiver refuses, so a real shop never settles pretend payments.
        #[arg(long)]
        allow_sandbox: bool,
    },
    /// Re-ask providers about pending payments and cancel orders unpaid for too long, once.
    Reconcile,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Load the demo shop: categories, products and three demo users.
    #[arg(long, required = true)]
    pub demo: bool,
    /// How many products the catalog should hold (up to 1,000,000).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub products: i64,
    /// Add the demo's logins (public passwords) even though the database holds real
    /// accounts. Without it such a database is refused.
    #[arg(long)]
    pub add_demo_logins_beside_real_accounts: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password comes from BYTEMTAANI_PASSWORD, else it is asked for.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// Point-of-sale staff.
        #[arg(long, conflicts_with = "admin")]
        staff: bool,
        /// Administrator (also staff).
        #[arg(long)]
        admin: bool,
    },
}

pub async fn run(cli: Cli, settings: Settings) -> Result<()> {
    match cli.command {
        Some(Command::Migrate) => migrate(&settings).await,
        Some(Command::Seed(args)) => {
            let pool = connect(&settings).await?;
            let services = Services::new(pool.clone(), settings.setup()?);
            seed::demo(
                &pool,
                &services,
                args.products,
                args.add_demo_logins_beside_real_accounts,
            )
            .await
        }
        Some(Command::User(UserCommand::Create {
            username,
            email,
            phone,
            staff,
            admin,
        })) => {
            let role = match (staff, admin) {
                (_, true) => Role::Admin,
                (true, false) => Role::Staff,
                _ => Role::Customer,
            };
            let password = new_password()?;
            let pool = connect(&settings).await?;
            let services = Services::new(pool, settings.setup()?);
            let account = NewAccount {
                username,
                email,
                phone,
                password,
            };
            let user = services.auth.create_account(account, role).await?;
            println!("Created {} ({role}).", user.username);
            Ok(())
        }
        Some(Command::Callbacks {
            listen,
            allow_sandbox,
        }) => {
            let setup = settings.setup()?;
            if setup.gateways.pretend() && !allow_sandbox {
                bail!(
                    "a payment provider is the sandbox (pretend: no money moves): set \
                     payments.mpesa, payments.paypal and payments.card to real providers or \
                     \"off\", or start with --allow-sandbox to try the receiver out"
                );
            }
            let services = Services::new(connect(&settings).await?, setup);
            callbacks::listen(services, listen, reconcile_every(&settings)).await
        }
        Some(Command::Reconcile) => {
            let services = Services::new(connect(&settings).await?, settings.setup()?);
            let done = services.payments.reconcile().await?;
            println!(
                "Checked {} pending payment(s), {} now paid; cancelled {} unpaid order(s).",
                done.payments_checked, done.payments_settled, done.orders_cancelled
            );
            Ok(())
        }
        None => {
            let setup = settings.setup()?;
            // The pool tells the database who logs in through these services.
            let access = settings.database.terminal_role()?.map(|role| db::Access {
                role,
                viewer: setup.viewer.clone(),
            });
            let pool = db::connect_lazy(
                &settings.database.url,
                settings.database.max_connections,
                access,
            )
            .context("reading the database URL")?;
            let services = Services::new(pool, setup);
            tokio::spawn(
                services
                    .payments
                    .clone()
                    .keep_reconciling(reconcile_every(&settings)),
            );
            let idle = std::time::Duration::from_secs(settings.kiosk.idle_logout_secs);
            let kiosk = cli.kiosk.then(|| Kiosk::new(idle));
            let payments = PaymentOptions {
                offered: services.payments.offered(),
                pretend: services.payments.pretend(),
            };
            let app = App::new(settings.shop.name.clone(), Theme::from_env())
                .with_payments(payments)
                .with_kiosk(kiosk)
                .with_low_stock(settings.stock.low_threshold);
            crate::tui::terminal::run_in_terminal(services, app).await
        }
    }
}

fn reconcile_every(settings: &Settings) -> std::time::Duration {
    std::time::Duration::from_secs(settings.payments.reconcile_every_secs)
}

async fn migrate(settings: &Settings) -> Result<()> {
    if db::create_database_if_missing(&settings.database.url)
        .await
        .context("creating the database (is PostgreSQL running?)")?
    {
        println!("Created the database.");
    }
    let pool = db::connect(&settings.database.url, 2).await?;
    MIGRATOR.run(&pool).await.context("applying migrations")?;
    let login = &settings.login;
    db::login::set_policy(&pool, login.max_failures, login.lock_minutes)
        .await
        .context("setting the login policy")?;
    println!(
        "Database is up to date; logins lock for {} minutes after {} failures.",
        login.lock_minutes, login.max_failures
    );
    Ok(())
}

async fn connect(settings: &Settings) -> Result<PgPool> {
    let pool = db::connect(&settings.database.url, settings.database.max_connections)
        .await
        .context("connecting to the database (has `bytemtaani migrate` been run?)")?;
    Ok(pool)
}

/// BYTEMTAANI_PASSWORD, or asked twice without echo.
fn new_password() -> Result<String> {
    if let Ok(password) = std::env::var("BYTEMTAANI_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!("set BYTEMTAANI_PASSWORD or run this in a terminal to be asked for the password");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Password again: ")?;
    if first != again {
        bail!("the passwords differ");
    }
    Ok(first)
}
