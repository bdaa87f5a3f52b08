//! The command line: open the app, or run one of the operator's commands.

pub mod backup;
pub mod callbacks;
pub mod seed;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use futures::StreamExt;
use sqlx::PgPool;

use crate::config::Settings;
use crate::domain::clock::shop_time;
use crate::domain::order::short_id;
use crate::domain::terminal::TerminalKind;
use crate::domain::user::Role;
use crate::service::Services;
use crate::service::auth::NewAccount;
use crate::service::gateways::TillConfirmations;
use crate::service::operator::Operator;
use crate::service::payments::TillOutcome;
use crate::tui::app::{AppSetup, PaymentOptions};
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
    /// Run every kiosk, till and console over SSH from this one process (settings in
    /// [server]); terminals get in by their registered key (`terminal add`).
    Serve {
        /// Listen here instead of server.listen, e.g. 0.0.0.0:2222.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// Also receive M-Pesa callbacks here (as `callbacks --listen` does), so the
        /// providers' credentials live in this one process.
        #[arg(long, value_name = "ADDR")]
        callbacks: Option<std::net::SocketAddr>,
        /// With --callbacks: start even though a payment provider is the sandbox.
        #[arg(long, requires = "callbacks")]
        allow_sandbox: bool,
    },
    /// The terminals `serve` lets in, each by its SSH key.
    #[command(subcommand)]
    Terminal(TerminalCommand),
    /// Safaricom's side of M-Pesa.
    #[command(subcommand)]
    Mpesa(MpesaCommand),
    /// KRA's side of eTIMS.
    #[command(subcommand)]
    Etims(EtimsCommand),
    /// The pretend providers' customer (payments.* = "sandbox" only: no money moves).
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Save the database with pg_dump (custom format, for pg_restore), keeping the last few.
    Backup {
        /// The folder for backups (default: `backups` in the data directory).
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// How many backups to keep there; older ones are removed.
        #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u16).range(1..))]
        keep: u16,
    },
}

#[derive(Debug, Subcommand)]
pub enum TerminalCommand {
    /// Let a terminal in: its key's kind decides what its sessions open.
    Add {
        /// Lower-case letters, digits and dashes, e.g. kiosk-3.
        #[arg(long)]
        name: String,
        /// kiosk (the kiosk app), till (till and customer screens) or admin (the console).
        #[arg(long, value_parser = parse_kind)]
        kind: TerminalKind,
        /// The terminal's OpenSSH public key, e.g. "ssh-ed25519 AAAA... kiosk-3".
        #[arg(long)]
        key: String,
        /// The active admin this is done for (named in the audit log).
        #[arg(long, value_name = "ADMIN")]
        by: String,
    },
    /// Every terminal, in use or revoked.
    List,
    /// Stop letting a terminal in.
    Revoke {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "ADMIN")]
        by: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum EtimsCommand {
    /// Ask KRA (selectInitOsdcInfo, at etims.base_url) for this device's key and control
    /// unit id, for the shop's PIN and etims.branch; done once per device.
    Init {
        /// The device serial number registered with KRA.
        #[arg(long)]
        serial: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MpesaCommand {
    /// Tell Safaricom (C2B Register URL) to post every payment made to the till number
    /// (payments.daraja.c2b_shortcode) to this receiver; done once per short code.
    RegisterC2b {
        /// The receiver's public https address for till payments, ending in /mpesa/c2b
        /// (the secret BYTEMTAANI_C2B_TOKEN is added after it).
        #[arg(long)]
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Pay the shop's till number from a pretend phone, as a customer does with Lipa na
    /// M-Pesa: Safaricom's confirmation reaches the shop and the SMS's code is printed, to
    /// type at the till (payments.till_confirmations = "sandbox").
    TillPayment {
        /// Shillings, e.g. 1250 or 99.50.
        #[arg(long)]
        amount: String,
        /// The paying phone, as Safaricom shows it.
        #[arg(long, default_value = "2547 ***** 149")]
        phone: String,
        /// The SMS's code, when it was typed at the till before this confirmation came.
        #[arg(long)]
        code: Option<String>,
    },
}

fn parse_kind(text: &str) -> std::result::Result<TerminalKind, String> {
    TerminalKind::parse(text).ok_or_else(|| "use kiosk, till or admin".to_owned())
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
    /// Every account: its role, whether it may log in, and any lock after failed logins.
    List,
    /// A new password for an account (from BYTEMTAANI_PASSWORD, else asked twice without
    /// echo); its open sessions end. The way back in when no admin can log in.
    Password {
        #[arg(long)]
        username: String,
    },
    /// Lifts the lock on an account after too many failed logins.
    Unlock {
        #[arg(long)]
        username: String,
    },
    /// Stops an account logging in; its open sessions end. The last admin stays.
    Deactivate {
        #[arg(long)]
        username: String,
    },
    /// Lets a deactivated account log in again.
    Activate {
        #[arg(long)]
        username: String,
    },
    /// Makes an account a customer, staff or an admin. The last admin stays.
    Role {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["customer", "staff", "admin"])]
        role: String,
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
        Some(Command::User(command)) => user(&settings, command).await,
        Some(Command::Callbacks {
            listen,
            allow_sandbox,
        }) => {
            let setup = settings.setup()?;
            refuse_pretend_receiver(&setup, allow_sandbox)?;
            refuse_unsendable_etims(&setup)?;
            let services = Services::new(connect(&settings).await?, setup);
            keep_working(&services, &settings);
            callbacks::listen(services, listen).await
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
        Some(Command::Serve {
            listen,
            callbacks,
            allow_sandbox,
        }) => {
            let receiver = callbacks.map(|address| (address, allow_sandbox));
            serve(&settings, listen, receiver).await
        }
        Some(Command::Etims(EtimsCommand::Init { serial })) => {
            let e = &settings.etims;
            let device = crate::gateway::etims::initialise(
                &e.base_url,
                &settings.shop.kra_pin,
                &e.branch()?,
                &serial,
            )
            .await
            .map_err(|err| anyhow::anyhow!(crate::gateway::etims::trouble(err)))?;
            println!(
                "KRA initialised device {serial} for {} branch {}.\n\
                 Set etims.scu_id = \"{}\" in the config, and BYTEMTAANI_ETIMS_CMC_KEY={} in \
                 the environment of the shop's server (keep it secret: it signs as the shop).",
                settings.shop.kra_pin,
                e.branch()?,
                device.scu_id,
                device.cmc_key
            );
            Ok(())
        }
        Some(Command::Mpesa(MpesaCommand::RegisterC2b { url })) => {
            let answer = settings
                .payments
                .gateways()?
                .register_till_number(&url)
                .await?;
            println!(
                "Safaricom answered \"{answer}\": payments to till {} are posted to {}/<BYTEMTAANI_C2B_TOKEN>/confirmation.",
                settings.payments.daraja.c2b_shortcode,
                url.trim_end_matches('/')
            );
            Ok(())
        }
        Some(Command::Sandbox(SandboxCommand::TillPayment {
            amount,
            phone,
            code,
        })) => {
            let amount = crate::domain::Money::parse("Amount", &amount)?;
            let services = Services::new(connect(&settings).await?, settings.setup()?);
            let (code, outcome) = services
                .payments
                .sandbox_till_payment(amount, &phone, code.as_deref())
                .await?;
            println!(
                "M-Pesa SMS: {code} Confirmed. {amount} paid to the shop's till (SANDBOX: no money)."
            );
            if let TillOutcome::Settled(order) = outcome {
                println!(
                    "It settled sale {} at the till, which was waiting for it.",
                    short_id(order)
                );
            }
            Ok(())
        }
        Some(Command::Backup { to, keep }) => {
            let dir = to.unwrap_or_else(|| crate::config::data_dir("backups"));
            let path = backup::backup(&settings.database.url, &dir, usize::from(keep)).await?;
            let size = std::fs::metadata(&path)?.len();
            println!(
                "Backed up to {} ({} KB); the last {keep} are kept.",
                path.display(),
                size.div_ceil(1024)
            );
            Ok(())
        }
        Some(Command::Terminal(command)) => {
            let services = Services::new(connect(&settings).await?, settings.setup()?);
            terminal(&services, command).await
        }
        None => {
            if cli.kiosk && !settings.kiosk.allow_direct_database {
                bail!(
                    "a kiosk run with this machine's own database login hands that login to \
                     whoever escapes it: serve kiosks with `bytemtaani serve` (README, \
                     Deployment), or set kiosk.allow_direct_database = true"
                );
            }
            let setup = settings.setup()?;
            let pool = db::connect_lazy(&settings.database.url, settings.database.max_connections)
                .context("reading the database URL")?;
            refuse_inheriting_login(&pool).await?;
            // Under a terminal role every transaction tells the database who logs in here.
            let db = match settings.database.terminal_role()? {
                Some(role) => db::Db::from(pool).working_as(role),
                None => db::Db::from(pool),
            };
            let services = Services::new(db, setup);
            // A terminal under a terminal role leaves reconciling to the shop's server (or
            // the payment receiver): N terminals would ask the providers N times.
            if settings.database.terminal_role()?.is_none() {
                keep_working(&services, &settings);
            }
            let app =
                app_setup(&settings, &services).app(Theme::from_env(), cli.kiosk, Role::Admin);
            crate::tui::terminal::run_in_terminal(services, app).await
        }
    }
}

fn app_setup(settings: &Settings, services: &Services) -> AppSetup {
    AppSetup {
        shop_name: settings.shop.name.clone(),
        payments: PaymentOptions {
            offered: services.payments.offered(),
            pretend: services.payments.pretend(),
        },
        kiosk_idle: std::time::Duration::from_secs(settings.kiosk.idle_logout_secs),
        low_stock: settings.stock.low_threshold,
    }
}

/// A terminal's login must be NOINHERIT (see `db::roles`). Checked when the database
/// answers quickly; an app started while it is down says so on screen instead.
async fn refuse_inheriting_login(pool: &PgPool) -> Result<()> {
    let check = db::roles::inherits_a_terminal_role(pool);
    if let Ok(Ok(true)) = tokio::time::timeout(std::time::Duration::from_secs(3), check).await {
        bail!(
            "this database login has a terminal role's rights without becoming the role \
             (INHERIT), so the database's checks of the role do not hold for it: run \
             `alter role <login> noinherit` as the database owner (README, Deployment)"
        );
    }
    Ok(())
}

/// The shop server: SSH for every terminal, one pool, one reconciler, and with `receiver`
/// (its address, and whether a sandbox provider is allowed) the M-Pesa callbacks too.
async fn serve(
    settings: &Settings,
    listen: Option<std::net::SocketAddr>,
    receiver: Option<(std::net::SocketAddr, bool)>,
) -> Result<()> {
    if settings.database.terminal_role()?.is_some() {
        bail!(
            "serve runs with the database login's own rights and tells the database who is \
             logged in itself; leave database.role empty"
        );
    }
    let pool = connect(settings).await?;
    if !db::roles::can_become_terminals(&pool).await? {
        bail!(
            "the server's database login cannot work as the terminal roles: as the database \
             owner run `grant bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin to <login>`"
        );
    }
    // The receiver is listening before the terminals can connect.
    let setup = settings.setup()?;
    let callbacks = match receiver {
        Some((address, allow_sandbox)) => {
            refuse_pretend_receiver(&setup, allow_sandbox)?;
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening for M-Pesa callbacks on {address}"))?;
            Some(listener)
        }
        None => None,
    };
    let server = &settings.server;
    let key = crate::serve::host_key(&server.host_key_path())?;
    let listener = tokio::net::TcpListener::bind(listen.unwrap_or(server.listen))
        .await
        .context("listening for SSH")?;
    refuse_unsendable_etims(&setup)?;
    let services = Services::new(pool, setup);
    keep_working(&services, settings);
    if let Some(listener) = callbacks {
        println!("Receiving M-Pesa callbacks at {}.", listener.local_addr()?);
        tokio::spawn(callbacks::serve(
            listener,
            services.clone(),
            Default::default(),
        ));
    }
    println!(
        "Serving terminals over SSH on {} (host key {}).",
        listener.local_addr()?,
        crate::serve::fingerprint(&key)
    );
    let limits = crate::serve::Limits {
        max_sessions: server.max_sessions,
        max_per_source: server.max_per_source,
        new_per_minute: server.new_per_minute,
        idle: std::time::Duration::from_secs(server.idle_timeout_secs),
    };
    let app = app_setup(settings, &services);
    crate::serve::serve(listener, services, app, key, limits, stop_signal()).await?;
    println!("Stopped.");
    Ok(())
}

/// SIGTERM (a service manager stopping the server) or Ctrl+C.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn terminal(services: &Services, command: TerminalCommand) -> Result<()> {
    let terminals = &services.terminals;
    match command {
        TerminalCommand::Add {
            name,
            kind,
            key,
            by,
        } => {
            let fingerprint = terminals.add(&by, &name, kind, &key).await?;
            println!("Added {} ({kind}), key {fingerprint}.", name.trim());
        }
        TerminalCommand::List => {
            for t in terminals.list_all().await? {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    None => "in use".to_owned(),
                };
                println!(
                    "{:<20} {:<6} {}  added {} by {}  {state}",
                    t.name,
                    t.kind,
                    t.fingerprint,
                    t.added_at.format("%Y-%m-%d %H:%M"),
                    t.added_by
                );
            }
        }
        TerminalCommand::Revoke { name, by } => {
            terminals.revoke(&by, &name).await?;
            println!("Revoked {}.", name.trim());
        }
    }
    Ok(())
}

/// A receiver settles what providers send: never pretend money unless told.
fn refuse_pretend_receiver(setup: &crate::service::Setup, allow_sandbox: bool) -> Result<()> {
    if matches!(
        setup.gateways.till_confirmations(),
        TillConfirmations::Daraja { token: None, .. }
    ) {
        bail!(
            "payments.till_confirmations is \"daraja\": set BYTEMTAANI_C2B_TOKEN (the secret end \
             of the address registered with Safaricom) where the receiver runs"
        );
    }
    if setup.gateways.pretend() && !allow_sandbox {
        bail!(
            "a payment provider is the sandbox (pretend: no money moves): set \
             payments.mpesa, payments.paypal and payments.card to real providers or \
             \"off\", or start with --allow-sandbox to try the receiver out"
        );
    }
    Ok(())
}

/// The shop's background work, run by one process: asking payment providers about what is
/// pending, and sending eTIMS invoices to KRA.
fn keep_working(services: &Services, settings: &Settings) {
    let every = std::time::Duration::from_secs(settings.payments.reconcile_every_secs);
    tokio::spawn(services.payments.clone().keep_reconciling(every));
    let (catalog, etims) = (services.catalog.clone(), services.etims.clone());
    tokio::spawn(async move {
        // Without the shop's changes (the database away at start), the timer alone sends.
        let heard = match catalog.changes().await {
            Ok(changes) => changes.left_stream(),
            Err(err) => {
                tracing::warn!(%err, "eTIMS: sending every {ETIMS_EVERY:?} only");
                futures::stream::empty().right_stream()
            }
        };
        etims.keep_sending(ETIMS_EVERY, heard).await
    });
}

/// How often the shop's server looks for invoices to send (one indexed query when none).
const ETIMS_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The process that sends invoices to KRA needs the device's key when eTIMS is on.
fn refuse_unsendable_etims(setup: &crate::service::Setup) -> Result<()> {
    if setup.etims.on && setup.etims.sender.is_none() {
        bail!(
            "etims.mode is \"oscu\": set BYTEMTAANI_ETIMS_CMC_KEY (the key KRA gave this \
             device) where the shop's server runs, or invoices are numbered and never sent"
        );
    }
    Ok(())
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
    let limit = settings.till.discount_limit_percent;
    if !(rust_decimal::Decimal::ZERO..=rust_decimal::Decimal::ONE_HUNDRED).contains(&limit) {
        anyhow::bail!("[till] discount_limit_percent is a percent, 0 to 100 (it is {limit})");
    }
    db::discounts::set_limit(&pool, limit)
        .await
        .context("setting the cashiers' discount limit")?;
    let etims = &settings.etims;
    db::etims::set_policy(&pool, etims.enabled()?, &etims.branch()?)
        .await
        .context("setting eTIMS on or off")?;
    db::etims_items::set_open_price_class(&pool, &etims.open_price_item_class()?)
        .await
        .context("setting the open-price line's item class")?;
    println!(
        "Database is up to date; logins lock for {} minutes after {} failures; cashiers give \
         up to {limit}% off a line without an admin; eTIMS invoices {}.",
        login.lock_minutes,
        login.max_failures,
        match etims.enabled()? {
            true => format!("on (branch {})", etims.branch.trim()),
            false => "off".to_owned(),
        }
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
/// Who runs an operator's command, for the audit log: the server's OS user.
fn operator_name() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|name| !name.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// `bytemtaani user …`: accounts made, and the operator's way back in (list, password,
/// unlock, deactivate, activate, role), audited as the operator.
async fn user(settings: &Settings, command: UserCommand) -> Result<()> {
    let operator =
        || async { anyhow::Ok(Operator::new(connect(settings).await?, operator_name())) };
    match command {
        UserCommand::Create {
            username,
            email,
            phone,
            staff,
            admin,
        } => {
            let role = match (staff, admin) {
                (_, true) => Role::Admin,
                (true, false) => Role::Staff,
                _ => Role::Customer,
            };
            let password = new_password()?;
            let services = Services::new(connect(settings).await?, settings.setup()?);
            let account = NewAccount {
                username,
                email,
                phone,
                password,
            };
            let user = services.auth.create_account(account, role).await?;
            println!("Created {} ({role}).", user.username);
        }
        UserCommand::List => {
            for line in operator().await?.accounts().await? {
                let account = &line.account;
                let state = match (account.is_active, line.locked_until) {
                    (false, _) => "deactivated".to_owned(),
                    (true, Some(until)) => {
                        format!("locked until {}", shop_time(until).format("%d/%m/%Y %H:%M"))
                    }
                    (true, None) => "active".to_owned(),
                };
                println!("{:<32} {:<9} {state}", account.username, account.role());
            }
        }
        UserCommand::Password { username } => {
            operator()
                .await?
                .reset_password(&username, &new_password()?)
                .await?;
            println!("New password set for {username}; their sessions ended.");
        }
        UserCommand::Unlock { username } => match operator().await?.unlock(&username).await? {
            true => println!("{username} may log in again."),
            false => println!("{username} was not locked."),
        },
        UserCommand::Deactivate { username } => {
            let account = operator().await?.set_active(&username, false).await?;
            println!("{} can no longer log in.", account.username);
        }
        UserCommand::Activate { username } => {
            let account = operator().await?.set_active(&username, true).await?;
            println!("{} may log in again.", account.username);
        }
        UserCommand::Role { username, role } => {
            let role = match role.as_str() {
                "admin" => Role::Admin,
                "staff" => Role::Staff,
                _ => Role::Customer,
            };
            let account = operator().await?.set_role(&username, role).await?;
            println!("{} is now {}.", account.username, account.role());
        }
    }
    Ok(())
}

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
