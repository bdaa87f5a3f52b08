//! Register, log in, log out, change password; login throttling.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::login::Attempt;
use crate::db::users::NewUser;
use crate::db::{self, Db};
use crate::domain::discount::Approval;
use crate::domain::password::{MAX_CHARS, check_new_password};
use crate::domain::user::{Actor, Role, Session, UserAccount};
use crate::domain::values::{Email, Phone, Username};
use crate::domain::{Error, Result};
use crate::service::access::authorize;
use crate::service::limits::{Limits, Recent};
use crate::service::password;

/// What a new account is made from; every field is validated by the service.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub phone: String,
    pub password: String,
}

impl NewAccount {
    /// Every field's problem at once, in the form's order (the register screen shows them
    /// all); the service checks the same again.
    pub fn problems(&self) -> Vec<Error> {
        let phone = match self.phone.trim() {
            "" => Ok(()),
            raw => Phone::parse(raw).map(drop),
        };
        [
            Username::parse(&self.username).map(drop),
            Email::parse(&self.email).map(drop),
            phone,
            check_new_password(&self.password, self.username.trim()),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect()
    }
}

/// Never shows the password.
impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("phone", &self.phone)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct Auth {
    db: Db,
    limits: Limits,
    counters: TerminalCounters,
}

/// What one terminal has done lately, counted apart from every other terminal (a shop
/// server keeps one per terminal key, whatever the number of its sessions).
#[derive(Clone)]
pub struct TerminalCounters {
    /// Accounts made at this terminal in the last hour.
    registrations: Recent,
    /// Failed logins at this terminal in the last lock period, whatever the username.
    failures: Recent,
}

impl TerminalCounters {
    pub fn new(limits: &Limits) -> TerminalCounters {
        TerminalCounters {
            registrations: Recent::new(Duration::from_secs(3600)),
            failures: Recent::new(limits.failed_logins_window),
        }
    }
}

impl Auth {
    /// Logins through `db` tell its viewer who is logged in; `counters` are its terminal's.
    pub fn new(db: Db, limits: Limits, counters: TerminalCounters) -> Self {
        Auth {
            db,
            limits,
            counters,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A customer signs up (at a kiosk, say) and is logged in. One terminal makes at most
    /// the limit's accounts an hour: a fresh account per unpaid order goes only so far.
    pub async fn register(&self, account: NewAccount) -> Result<Session> {
        if let Some(problem) = account.problems().into_iter().next() {
            return Err(problem);
        }
        if !self
            .counters
            .registrations
            .try_one(self.limits.registrations_per_hour)
        {
            return Err(Error::Conflict(
                "This terminal has made all the accounts it may this hour; please ask at the counter."
                    .into(),
            ));
        }
        let (username, hash) = self.create(account, Role::Customer).await?;
        let (_, digest) = password::split(&hash);
        // Logging in says who the new account is: a kiosk may not look accounts up.
        let attempt = self
            .db
            .write(async |c| db::login::attempt(c, &username, digest, true, true).await)
            .await?;
        let Attempt::Right {
            session: Some(id),
            account,
        } = attempt
        else {
            let attempt = format!("{attempt:?}");
            return Err(Error::internal("opening a new account's session", &attempt));
        };
        self.db.viewer().set(Some(id));
        self.db
            .write(async |c| {
                db::login::record(c, &username, Some(account.user_id), "registered").await
            })
            .await?;
        Ok(session_of(id, account))
    }

    /// Creates an account of any role. Only the operator's CLI calls this (whoever runs it
    /// holds the database credentials already); no screen reaches it.
    pub async fn create_account(&self, account: NewAccount, role: Role) -> Result<UserAccount> {
        let (username, _) = self.create(account, role).await?;
        let made = match db::users::credentials(&mut *self.db.read().await?, &username).await? {
            Some(user) => db::users::by_id(&mut *self.db.read().await?, user.id).await?,
            None => None,
        };
        made.ok_or_else(|| Error::NotFound("The new account".into()))
    }

    /// The new account's username and password hash.
    async fn create(&self, account: NewAccount, role: Role) -> Result<(String, String)> {
        let checked = CheckedAccount::new(account, role).await?;
        self.db.write(async |c| checked.insert(c).await).await?;
        Ok((checked.username.as_str().to_owned(), checked.hash))
    }

    /// Checks the password and opens a session. The database charges the attempt to the
    /// username before it compares the digest, so even parallel guesses get the policy's
    /// `max_failures` tries per lock period (migration 9); an unknown username takes as
    /// long as a wrong password.
    pub async fn login(&self, username: &str, password: &str) -> Result<Session> {
        let session = self.check_login(username, password, false).await?;
        self.db.viewer().set(Some(session.id));
        Ok(session)
    }

    /// A login at a customer's screen (a kiosk). A staff name is answered like a wrong
    /// password before anything is charged or compared (the database does it): a staff
    /// password typed where strangers watch opens nothing, and guessing there cannot lock
    /// staff out. The kiosk's login screen says that staff log in at a till.
    pub async fn login_customer(&self, username: &str, password: &str) -> Result<Session> {
        let session = self.check_login(username, password, true).await?;
        self.db.viewer().set(Some(session.id));
        Ok(session)
    }

    async fn check_login(
        &self,
        username: &str,
        password: &str,
        customers_only: bool,
    ) -> Result<Session> {
        // Many failures here, whatever the usernames, pause logins at this terminal.
        let pause = self
            .counters
            .failures
            .wait(self.limits.failed_logins_per_terminal);
        if !pause.is_zero() {
            return Err(Error::Conflict(format!(
                "Too many failed logins at this terminal. Try again in {} minute(s).",
                pause.as_secs().div_ceil(60).max(1)
            )));
        }
        let result = self
            .check_password(username, password, customers_only)
            .await;
        if matches!(
            result,
            Err(Error::InvalidCredentials | Error::Locked { .. })
        ) {
            self.counters.failures.note();
        }
        result
    }

    /// One login attempt, recorded by the database, which also says who it is when the
    /// password is right; nothing here looks the name up first (that would tell whether it
    /// exists).
    async fn check_password(
        &self,
        username: &str,
        password: &str,
        customers_only: bool,
    ) -> Result<Session> {
        let key = username.trim().to_lowercase();
        // No username has control characters (and PostgreSQL text cannot hold NUL).
        if key.is_empty() || key.len() > 254 || key.chars().any(char::is_control) {
            return Err(Error::InvalidCredentials);
        }
        let setting = db::users::password_setting(&mut *self.db.read().await?, &key).await?;
        let digest = self.checked_digest(password, setting).await?;
        match self
            .db
            .write(async |c| db::login::attempt(c, &key, &digest, true, customers_only).await)
            .await?
        {
            Attempt::Right {
                session: Some(id),
                account,
            } => {
                tracing::info!(username = %account.username, "logged in");
                Ok(session_of(id, account))
            }
            Attempt::Locked(until) => Err(locked_for(until)),
            Attempt::Inactive => Err(Error::Inactive),
            Attempt::Wrong | Attempt::Right { session: None, .. } => {
                tracing::info!(username = %key, "login failed");
                Err(Error::InvalidCredentials)
            }
        }
    }

    /// The digest of `password` under the stored setting (the database answers an unknown
    /// name with a decoy setting, so it costs the same time as a wrong password). Empty for
    /// a password longer than any we accept, or no setting: it cannot be right, but it is
    /// still charged.
    async fn checked_digest(&self, password: &str, setting: Option<String>) -> Result<String> {
        let Some(setting) = setting.filter(|_| password.chars().count() <= MAX_CHARS) else {
            return Ok(String::new());
        };
        Ok(password::digest(password.to_owned(), setting)
            .await?
            .unwrap_or_default())
    }

    /// Lets a kiosk close: only an admin's password will do. The attempt is throttled and
    /// recorded like any login; the session it opens is closed at once.
    pub async fn authorize_exit(&self, username: &str, password: &str) -> Result<()> {
        // Checked without becoming this terminal's viewer: the customer stays logged in.
        let session = self.check_login(username, password, false).await?;
        let role = session.role;
        self.db
            .write(async |c| db::sessions::close(c, session.id).await)
            .await?;
        if role < Role::Admin {
            return Err(Error::Forbidden("admins"));
        }
        Ok(())
    }

    /// An admin approves, at the cashier's till, discounts over the cashier's limit for the
    /// sale `sale_key`. The password is checked (throttled, recorded) like a login; the
    /// session it opens is the database's proof that an admin was there, closed as the
    /// approval is written. Audited at the cashier's session, naming the admin.
    pub async fn approve_discount(
        &self,
        actor: &Actor,
        sale_key: Uuid,
        username: &str,
        password: &str,
    ) -> Result<Approval> {
        // Only staff ask, so nobody else spends an admin's login attempts.
        authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        let cashier = actor.session()?;
        let admin = self.check_login(username, password, false).await?;
        if admin.role < Role::Admin {
            self.db
                .write(async |c| db::sessions::close(c, admin.id).await)
                .await?;
            return Err(Error::Forbidden("admins"));
        }
        // The database checks again and closes the admin's session with the approval.
        let mut tx = self.db.begin().await?;
        let id = db::discounts::approve(&mut *tx, cashier.id, sale_key, admin.id).await?;
        db::audit::record(
            &mut *tx,
            cashier.user_id,
            "discount.approve",
            "sale",
            Some(sale_key),
            json!({ "approval": id, "admin": admin.username }),
        )
        .await?;
        tx.commit().await?;
        Ok(Approval {
            id,
            admin: admin.username,
        })
    }

    /// Ends the session: anything it tries afterwards is refused.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        let session = actor.session()?;
        self.db
            .write(async |c| db::sessions::close(c, session.id).await)
            .await?;
        if self.db.viewer().get() == Some(session.id) {
            self.db.viewer().set(None);
        }
        self.db
            .write(async |c| {
                db::login::record(c, &session.username, Some(session.user_id), "logout").await
            })
            .await?;
        Ok(())
    }

    /// The current password is checked like a login (and charged like one), so this form
    /// is no way around the throttle.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> Result<()> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        let setting =
            db::users::password_setting(&mut *self.db.read().await?, &me.username).await?;
        let digest = self.checked_digest(current, setting).await?;
        match self
            .db
            .write(async |c| db::login::attempt(c, &me.username, &digest, false, false).await)
            .await?
        {
            Attempt::Right { .. } => {}
            Attempt::Locked(until) => return Err(locked_for(until)),
            Attempt::Wrong | Attempt::Inactive => {
                return Err(Error::invalid("Current password", "is not right"));
            }
        }
        check_new_password(new, &me.username)?;
        let hash = password::hash(new.to_owned()).await?;
        self.db
            .write(async |c| db::users::set_password_hash(c, me.user_id, &hash).await)
            .await?;
        Ok(())
    }
}

fn locked_for(until: chrono::DateTime<Utc>) -> Error {
    let seconds = (until - Utc::now()).num_seconds().max(1);
    Error::Locked {
        minutes: (seconds + 59) / 60,
    }
}

/// The session the database opened for `account`.
fn session_of(id: uuid::Uuid, account: db::login::Account) -> Session {
    Session {
        id,
        user_id: account.user_id,
        username: account.username,
        role: Role::from_flags(account.is_staff, account.is_admin),
    }
}

/// A new account whose fields are checked and whose password is hashed (slow: done before
/// any transaction opens), ready to insert.
pub(crate) struct CheckedAccount {
    pub username: Username,
    email: Email,
    phone: Option<Phone>,
    hash: String,
    role: Role,
}

impl CheckedAccount {
    pub(crate) async fn new(account: NewAccount, role: Role) -> Result<CheckedAccount> {
        let username = Username::parse(&account.username)?;
        let email = Email::parse(&account.email)?;
        let phone = match account.phone.trim() {
            "" => None,
            raw => Some(Phone::parse(raw)?),
        };
        check_new_password(&account.password, username.as_str())?;
        let hash = password::hash(account.password).await?;
        Ok(CheckedAccount {
            username,
            email,
            phone,
            hash,
            role,
        })
    }

    pub(crate) async fn insert(&self, conn: &mut PgConnection) -> sqlx::Result<()> {
        let (is_staff, is_admin) = self.role.flags();
        db::users::insert(
            conn,
            &NewUser {
                username: self.username.as_str(),
                email: self.email.as_str(),
                phone: self.phone.as_ref().map(Phone::as_str),
                password_hash: &self.hash,
                is_staff,
                is_admin,
            },
        )
        .await
    }
}
