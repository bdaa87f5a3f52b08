//! Settings: the commented defaults in `config/default.toml` (built in), then the user's
//! file, then environment variables (DATABASE_URL first).

use std::fmt;
use std::path::{Path, PathBuf};

use std::time::Duration;

use anyhow::{Context, Result, bail};
use directories::ProjectDirs;
use serde::Deserialize;

use crate::db::TerminalRole;
use crate::domain::receipt::Shop;
use crate::gateway::daraja::{Daraja, DarajaConfig};
use crate::gateway::etims::{Device, Etims};
use crate::gateway::paypal::{Paypal, PaypalConfig};
use crate::service::Setup;
use crate::service::etims::EtimsSetup;
use crate::service::gateways::{Gateways, TillConfirmations};
use crate::service::limits::Limits;
use crate::service::receipts::{Printer, Receipts};

const DEFAULTS: &str = include_str!("../../config/default.toml");

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub shop: Shop,
    pub receipts: ReceiptSettings,
    pub reports: ReportSettings,
    pub payments: PaymentSettings,
    pub login: LoginSettings,
    pub till: TillSettings,
    pub kiosk: KioskSettings,
    pub stock: StockSettings,
    pub server: ServerSettings,
    pub etims: EtimsSettings,
}

/// KRA's eTIMS (see `[etims]` in config/default.toml).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtimsSettings {
    /// "off", "oscu" or "sandbox".
    pub mode: String,
    pub base_url: String,
    pub branch: String,
    pub scu_id: String,
    pub verify_url: String,
    /// KRA's item class for the open-price line (goods the shop has not entered).
    pub open_price_item_class: String,
}

impl EtimsSettings {
    pub fn enabled(&self) -> Result<bool> {
        match self.mode.as_str() {
            "off" => Ok(false),
            "oscu" | "sandbox" => Ok(true),
            other => bail!("etims.mode must be \"off\", \"oscu\" or \"sandbox\", not {other:?}"),
        }
    }

    /// The branch id, as KRA writes it: two digits.
    pub fn branch(&self) -> Result<String> {
        let branch = self.branch.trim();
        if branch.len() != 2 || !branch.chars().all(|c| c.is_ascii_digit()) {
            bail!(
                "etims.branch is KRA's two-digit branch id (\"00\" for the head office), not {branch:?}"
            );
        }
        Ok(branch.to_owned())
    }

    /// The open-price line's item class: KRA's code, up to 10 digits (empty: not set).
    pub fn open_price_item_class(&self) -> Result<String> {
        let class = self.open_price_item_class.trim();
        if class.len() > 10 || !class.chars().all(|c| c.is_ascii_digit()) {
            bail!(
                "etims.open_price_item_class is KRA's item class: up to 10 digits, not {class:?}"
            );
        }
        Ok(class.to_owned())
    }

    /// Who sends to KRA: the sandbox, or OSCU with the device's key from the environment
    /// (where it is set: only the shop's server needs it). None when off.
    pub fn sender(&self, pin: &str, var: impl Fn(&str) -> Option<String>) -> Result<Option<Etims>> {
        Ok(match self.mode.as_str() {
            "oscu" => secret(&var, "BYTEMTAANI_ETIMS_CMC_KEY")
                .ok()
                .map(|cmc_key| {
                    Etims::oscu(
                        &self.base_url,
                        Device {
                            pin: pin.to_owned(),
                            branch: self.branch.trim().to_owned(),
                            cmc_key,
                        },
                    )
                }),
            "sandbox" => Some(Etims::sandbox()),
            _ => {
                self.enabled()?;
                None
            }
        })
    }
}

/// `bytemtaani serve`: the shop's SSH server for every kiosk, till and console.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: std::net::SocketAddr,
    /// Empty: `ssh_host_ed25519_key` in the app's data directory.
    pub host_key: PathBuf,
    pub max_sessions: usize,
    pub max_per_source: usize,
    pub new_per_minute: usize,
    pub idle_timeout_secs: u64,
}

impl ServerSettings {
    pub fn host_key_path(&self) -> PathBuf {
        if self.host_key.as_os_str().is_empty() {
            dir_or_data("", "ssh_host_ed25519_key")
        } else {
            self.host_key.clone()
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    /// "kiosk", "till" or "admin": the database role this terminal works as (migration 6);
    /// empty for the connecting login's own rights (operators, the payment receiver).
    pub role: String,
}

impl DatabaseSettings {
    /// The terminal role to work as, if one is named.
    pub fn terminal_role(&self) -> Result<Option<TerminalRole>> {
        match self.role.trim() {
            "" => Ok(None),
            name => TerminalRole::parse(name).map(Some).with_context(|| {
                format!("database.role is {name:?}; use \"kiosk\", \"till\", \"admin\" or \"\"")
            }),
        }
    }
}

/// Shows the URL without its password, so settings can be logged.
impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_password(&self.url))
            .field("max_connections", &self.max_connections)
            .field("role", &self.role)
            .finish()
    }
}

/// Which provider takes each payment method, and how unpaid orders are tidied.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// "off", "daraja" or "sandbox".
    pub mpesa: String,
    /// "off", "paypal" or "sandbox".
    pub paypal: String,
    /// "off" or "sandbox": a card terminal for customers' own screens (none is integrated).
    pub card: String,
    pub sandbox_delay_secs: u64,
    pub unpaid_cancel_minutes: u64,
    pub reconcile_every_secs: u64,
    /// "off", "daraja" or "sandbox": who confirms payments to the shop's till number.
    pub till_confirmations: String,
    pub daraja: DarajaSettings,
    pub paypal_api: PaypalSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DarajaSettings {
    pub base_url: String,
    pub shortcode: String,
    pub transaction_type: String,
    pub callback_url: String,
    /// The till number (Buy Goods) or paybill customers pay to themselves.
    pub c2b_shortcode: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaypalSettings {
    pub base_url: String,
    pub currency: String,
    pub kes_per_unit: rust_decimal::Decimal,
}

/// A secret from `var` (the environment; never a file in git).
fn secret(var: &impl Fn(&str) -> Option<String>, name: &str) -> Result<String> {
    var(name)
        .filter(|v| !v.is_empty())
        .with_context(|| format!("{name} must be set in the environment"))
}

/// The secret last part of the address Safaricom posts till payments to: only Safaricom
/// (given it by C2B Register URL) knows where to post, since C2B confirmations carry no
/// signature. Only the receiver holds it; tills and kiosks never need it.
fn till_token(var: &impl Fn(&str) -> Option<String>) -> Result<Option<String>> {
    let Some(token) = var("BYTEMTAANI_C2B_TOKEN").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if token.len() < 24 || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        bail!(
            "BYTEMTAANI_C2B_TOKEN must be at least 24 letters and digits (e.g. `openssl rand -hex 16`)"
        );
    }
    Ok(Some(token))
}

impl PaymentSettings {
    /// The providers chosen, with their credentials from the environment.
    pub fn gateways(&self) -> Result<Gateways> {
        self.gateways_from(|name| std::env::var(name).ok())
    }

    /// The providers chosen, with their credentials from `var`.
    pub fn gateways_from(&self, var: impl Fn(&str) -> Option<String>) -> Result<Gateways> {
        let mut gateways = Gateways::none(Duration::from_secs(self.sandbox_delay_secs));
        match self.mpesa.as_str() {
            "off" => {}
            "sandbox" => gateways = gateways.with_sandbox_mpesa(),
            "daraja" => {
                let d = &self.daraja;
                gateways = gateways.with_daraja(Daraja::new(DarajaConfig {
                    base_url: d.base_url.clone(),
                    consumer_key: secret(&var, "BYTEMTAANI_DARAJA_CONSUMER_KEY")?,
                    consumer_secret: secret(&var, "BYTEMTAANI_DARAJA_CONSUMER_SECRET")?,
                    shortcode: d.shortcode.clone(),
                    passkey: secret(&var, "BYTEMTAANI_DARAJA_PASSKEY")?,
                    callback_url: d.callback_url.clone(),
                    transaction_type: d.transaction_type.clone(),
                }));
            }
            other => {
                bail!("payments.mpesa must be \"off\", \"daraja\" or \"sandbox\", not {other:?}")
            }
        }
        match self.paypal.as_str() {
            "off" => {}
            "sandbox" => gateways = gateways.with_sandbox_paypal(),
            "paypal" => {
                let p = &self.paypal_api;
                gateways = gateways.with_paypal(Paypal::new(PaypalConfig {
                    base_url: p.base_url.clone(),
                    client_id: secret(&var, "BYTEMTAANI_PAYPAL_CLIENT_ID")?,
                    secret: secret(&var, "BYTEMTAANI_PAYPAL_SECRET")?,
                    currency: p.currency.clone(),
                    kes_per_unit: p.kes_per_unit,
                }));
            }
            other => {
                bail!("payments.paypal must be \"off\", \"paypal\" or \"sandbox\", not {other:?}")
            }
        }
        let till = match self.till_confirmations.as_str() {
            "off" => TillConfirmations::Off,
            "sandbox" => TillConfirmations::Sandbox,
            "daraja" => TillConfirmations::Daraja {
                short_code: self.daraja.c2b_shortcode.clone(),
                token: till_token(&var)?,
            },
            other => bail!(
                "payments.till_confirmations must be \"off\", \"daraja\" or \"sandbox\", not {other:?}"
            ),
        };
        gateways = gateways.with_till_confirmations(till);
        match self.card.as_str() {
            "off" => {}
            "sandbox" => gateways = gateways.with_sandbox_card(),
            other => bail!(
                "payments.card must be \"off\" or \"sandbox\" (no real card terminal is integrated; \
                 the till takes the terminal's reference), not {other:?}"
            ),
        }
        Ok(gateways)
    }
}

/// Where report exports go. Empty: the app's data directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    pub dir: String,
}

/// Where receipts go besides the screen. Empty values mean "not configured".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSettings {
    pub dir: String,
    pub printer: String,
}

/// The login policy; `bytemtaani migrate` writes it into the database, which enforces it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    pub max_failures: i32,
    pub lock_minutes: i32,
    pub terminal_max_failures: usize,
}

/// The till's policy; `bytemtaani migrate` writes it into the database, which enforces it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TillSettings {
    pub discount_limit_percent: rust_decimal::Decimal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskSettings {
    pub idle_logout_secs: u64,
    pub max_units_per_line: i32,
    pub max_unpaid_orders: i64,
    pub unpaid_cancel_minutes: u64,
    pub registrations_per_hour: usize,
    /// Lets `--kiosk` run with this machine's own database login (see README, Deployment).
    pub allow_direct_database: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockSettings {
    pub low_threshold: i32,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database)
            .field("shop", &self.shop)
            .field("receipts", &self.receipts)
            .field("reports", &self.reports)
            .field("payments", &self.payments)
            .field("login", &self.login)
            .field("kiosk", &self.kiosk)
            .field("stock", &self.stock)
            .finish()
    }
}

/// A directory setting: as written, or `name` in the app's data directory when empty.
fn dir_or_data(setting: &str, name: &str) -> PathBuf {
    match setting.trim() {
        "" => data_dir(name),
        dir => PathBuf::from(dir),
    }
}

/// `name` in the app's data directory (here, when there is none).
pub fn data_dir(name: &str) -> PathBuf {
    project_dirs().map_or_else(|| PathBuf::from(name), |dirs| dirs.data_dir().join(name))
}

impl Settings {
    /// What the services need besides the database.
    pub fn setup(&self) -> Result<Setup> {
        Ok(Setup {
            shop: self.shop.clone(),
            receipts: Receipts::new(
                dir_or_data(&self.receipts.dir, "receipts"),
                Printer::from_setting(&self.receipts.printer),
            ),
            exports: dir_or_data(&self.reports.dir, "reports"),
            gateways: self.payments.gateways()?,
            unpaid_after: Duration::from_secs(self.payments.unpaid_cancel_minutes * 60),
            customers: Limits {
                max_units_per_line: self.kiosk.max_units_per_line,
                max_unpaid_orders: self.kiosk.max_unpaid_orders,
                unpaid_after: Duration::from_secs(self.kiosk.unpaid_cancel_minutes * 60),
                registrations_per_hour: self.kiosk.registrations_per_hour,
                failed_logins_per_terminal: self.login.terminal_max_failures,
                failed_logins_window: Duration::from_secs(
                    u64::try_from(self.login.lock_minutes).unwrap_or(15) * 60,
                ),
            },
            etims: self.etims_setup(|name| std::env::var(name).ok())?,
        })
    }

    /// eTIMS as configured, with the device's key from `var`.
    pub fn etims_setup(&self, var: impl Fn(&str) -> Option<String>) -> Result<EtimsSetup> {
        let e = &self.etims;
        Ok(EtimsSetup {
            on: e.enabled()?,
            sender: e.sender(&self.shop.kra_pin, var)?.map(std::sync::Arc::new),
            pin: self.shop.kra_pin.clone(),
            branch: e.branch()?,
            scu_id: e.scu_id.clone(),
            verify_url: e.verify_url.clone(),
        })
    }
}

pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("ke", "ByteMtaani", "bytemtaani")
}

/// The user's settings file: `explicit` when given, else the one in the config directory.
pub fn user_file(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| project_dirs().map(|dirs| dirs.config_dir().join("config.toml")))
}

impl Settings {
    /// The built-in defaults alone (tests and the demo start from them).
    pub fn built_in() -> Settings {
        toml::from_str(DEFAULTS).expect("the built-in defaults parse")
    }

    /// Loads defaults, the user's file (a missing default file is fine; a missing explicit
    /// one is an error), then the environment.
    pub fn load(explicit: Option<&Path>) -> Result<Settings> {
        let mut table: toml::Table = toml::from_str(DEFAULTS).context("built-in defaults")?;
        if let Some(path) = user_file(explicit) {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let user: toml::Table = toml::from_str(&text)
                        .with_context(|| format!("reading {}", path.display()))?;
                    merge(&mut table, user);
                }
                Err(err) if explicit.is_none() && err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
            }
        }
        let mut settings: Settings = table.try_into().context("settings")?;
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(url) = var("DATABASE_URL").filter(|v| !v.is_empty()) {
            self.database.url = url;
        }
        if let Some(max) = var("BYTEMTAANI_DB_MAX_CONNECTIONS") {
            self.database.max_connections = max.parse().context("BYTEMTAANI_DB_MAX_CONNECTIONS")?;
        }
        if let Some(role) = var("BYTEMTAANI_DB_ROLE") {
            self.database.role = role;
        }
        Ok(())
    }
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(into)), toml::Value::Table(from)) => merge(into, from),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Settings {
        toml::from_str::<toml::Table>(DEFAULTS)
            .unwrap()
            .try_into()
            .unwrap()
    }

    #[test]
    fn defaults_parse_and_name_the_local_database() {
        let s = defaults();
        assert_eq!(s.database.url, "postgres://localhost/bytemtaani");
        assert_eq!(s.login.max_failures, 5);
        assert_eq!(s.login.lock_minutes, 15);
    }

    #[test]
    fn a_user_file_overrides_single_keys() {
        let mut table: toml::Table = toml::from_str(DEFAULTS).unwrap();
        merge(
            &mut table,
            toml::from_str("[shop]\nname = \"Duka\"").unwrap(),
        );
        let s: Settings = table.try_into().unwrap();
        assert_eq!(s.shop.name, "Duka");
        assert_eq!(s.shop.address, "Moi Avenue, Nairobi");
    }

    #[test]
    fn the_environment_wins() {
        let mut s = defaults();
        s.apply_env(|name| {
            (name == "DATABASE_URL").then(|| "postgres://db.example/shop".to_owned())
        })
        .unwrap();
        assert_eq!(s.database.url, "postgres://db.example/shop");
        assert!(s.apply_env(|_| Some("many".to_owned())).is_err());
    }

    #[test]
    fn a_terminal_names_its_database_role() {
        let mut s = defaults();
        assert_eq!(s.database.terminal_role().unwrap(), None);
        s.database.role = "kiosk".into();
        let role = s.database.terminal_role().unwrap().unwrap();
        assert_eq!(role.role_name(), "bytemtaani_kiosk");
        s.database.role = "postgres".into();
        let err = s.database.terminal_role().err().unwrap();
        assert!(err.to_string().contains("\"kiosk\", \"till\", \"admin\""));
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let mut s = defaults();
        s.database.url = "postgres://shop:hunter22@db/shop".into();
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn only_the_receiver_needs_the_till_payments_token() {
        let mut s = defaults();
        s.payments.till_confirmations = "daraja".into();
        let till = s.payments.gateways_from(|_| None).unwrap();
        assert!(matches!(
            till.till_confirmations(),
            TillConfirmations::Daraja { token: None, .. }
        ));
        let token = "0123456789abcdef0123456789abcdef".to_owned();
        let receiver = s
            .payments
            .gateways_from(|name| (name == "BYTEMTAANI_C2B_TOKEN").then(|| token.clone()))
            .unwrap();
        assert!(matches!(
            receiver.till_confirmations(),
            TillConfirmations::Daraja { token: Some(t), .. } if *t == token
        ));
        let guessable = s
            .payments
            .gateways_from(|name| (name == "BYTEMTAANI_C2B_TOKEN").then(|| "shop".to_owned()));
        assert!(guessable.is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let mut table: toml::Table = toml::from_str(DEFAULTS).unwrap();
        merge(
            &mut table,
            toml::from_str("[shop]\nnmae = \"typo\"").unwrap(),
        );
        assert!(table.try_into::<Settings>().is_err());
    }
}
