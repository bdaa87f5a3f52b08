//! Register, log in, log out, change password; login throttling.

use chrono::Utc;
use sqlx::PgPool;

use crate::db;
use crate::db::Viewer;
use crate::db::users::{Credentials, NewUser};
use crate::domain::password::{MAX_CHARS, check_new_password};
use crate::domain::user::{Actor, Role, Session, UserAccount};
use crate::domain::values::{Email, Phone, Username};
use crate::domain::{Error, Result};
use crate::service::access::authorize;
use crate::service::password;

/// After `max_failures` failed logins a username is locked for `lock_minutes`.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub max_failures: i32,
    pub lock_minutes: i32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: 5,
            lock_minutes: 15,
        }
    }
}

/// What a new account is made from; every field is validated by the service.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub phone: String,
    pub password: String,
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
    pool: PgPool,
    policy: LoginPolicy,
    viewer: Viewer,
}

impl Auth {
    pub fn new(pool: PgPool, policy: LoginPolicy, viewer: Viewer) -> Self {
        Auth {
            pool,
            policy,
            viewer,
        }
    }

    /// A customer signs up (at a kiosk, say) and is logged in.
    pub async fn register(&self, account: NewAccount) -> Result<Session> {
        let (user, hash) = self.create(account, Role::Customer).await?;
        let (_, digest) = password::split(&hash);
        let id = db::sessions::open(&self.pool, &user.username, digest)
            .await?
            .ok_or_else(|| Error::internal("opening a new account's session", &"no session"))?;
        self.viewer.set(Some(id));
        db::login::record(&self.pool, &user.username, Some(user.id), "registered").await?;
        Ok(Session {
            id,
            user_id: user.id,
            username: user.username,
            role: Role::Customer,
        })
    }

    /// Creates an account of any role. Only the operator's CLI calls this (whoever runs it
    /// holds the database credentials already); no screen reaches it.
    pub async fn create_account(&self, account: NewAccount, role: Role) -> Result<UserAccount> {
        let (user, _) = self.create(account, role).await?;
        db::users::by_id(&self.pool, user.id)
            .await?
            .ok_or_else(|| Error::NotFound("The new account".into()))
    }

    /// The new account and its password hash.
    async fn create(&self, account: NewAccount, role: Role) -> Result<(Credentials, String)> {
        let username = Username::parse(&account.username)?;
        let email = Email::parse(&account.email)?;
        let phone = match account.phone.trim() {
            "" => None,
            raw => Some(Phone::parse(raw)?),
        };
        check_new_password(&account.password, username.as_str())?;
        let hash = password::hash(account.password).await?;
        let (is_staff, is_admin) = role.flags();
        db::users::insert(
            &self.pool,
            &NewUser {
                username: username.as_str(),
                email: email.as_str(),
                phone: phone.as_ref().map(Phone::as_str),
                password_hash: &hash,
                is_staff,
                is_admin,
            },
        )
        .await?;
        let user = db::users::credentials(&self.pool, username.as_str())
            .await?
            .ok_or_else(|| Error::NotFound("The new account".into()))?;
        Ok((user, hash))
    }

    /// Checks the password and opens a session. Attempts are charged to the username before
    /// the password is checked, so even parallel guesses get `max_failures` tries per lock
    /// period; an unknown username takes as long as a wrong password.
    pub async fn login(&self, username: &str, password: &str) -> Result<Session> {
        let session = self.check_login(username, password).await?;
        self.viewer.set(Some(session.id));
        Ok(session)
    }

    async fn check_login(&self, username: &str, password: &str) -> Result<Session> {
        let key = username.trim().to_lowercase();
        // No username has control characters (and PostgreSQL text cannot hold NUL).
        if key.is_empty() || key.len() > 254 || key.chars().any(char::is_control) {
            return Err(Error::InvalidCredentials);
        }
        let charge = db::login::charge(&self.pool, &key, self.policy.lock_minutes).await?;
        if let Some(until) = charge.locked_until.filter(|until| *until > Utc::now()) {
            db::login::record(&self.pool, &key, None, "locked").await?;
            return Err(locked_for(until));
        }
        if charge.failures > self.policy.max_failures {
            let until = db::login::lock(&self.pool, &key, self.policy.lock_minutes).await?;
            db::login::record(&self.pool, &key, None, "locked").await?;
            return Err(locked_for(until));
        }

        let user = db::users::credentials(&self.pool, &key).await?;
        let setting = match &user {
            Some(_) => db::users::password_setting(&self.pool, &key).await?,
            None => None,
        };
        // A password longer than any we accept cannot be right; it is still charged.
        let digest = if password.chars().count() <= MAX_CHARS {
            self.digest(password.to_owned(), setting).await?
        } else {
            None
        };
        let verified = match &digest {
            Some(digest) => db::users::password_matches(&self.pool, &key, digest).await?,
            None => false,
        };
        let known = user.is_some();
        let (Some(user), Some(digest)) = (user.filter(|_| verified), digest) else {
            if charge.failures >= self.policy.max_failures {
                db::login::lock(&self.pool, &key, self.policy.lock_minutes).await?;
            }
            let outcome = if known {
                "wrong_password"
            } else {
                "unknown_user"
            };
            db::login::record(&self.pool, &key, None, outcome).await?;
            tracing::info!(username = %key, outcome, "login failed");
            return Err(Error::InvalidCredentials);
        };
        db::login::clear(&self.pool, &key).await?;
        if !user.is_active {
            db::login::record(&self.pool, &key, Some(user.id), "inactive").await?;
            return Err(Error::Inactive);
        }
        let Some(id) = db::sessions::open(&self.pool, &key, &digest).await? else {
            // Deactivated or given a new password between the check and now.
            return Err(Error::InvalidCredentials);
        };
        db::login::record(&self.pool, &key, Some(user.id), "success").await?;
        tracing::info!(username = %user.username, "logged in");
        Ok(Session {
            id,
            user_id: user.id,
            username: user.username,
            role: Role::from_flags(user.is_staff, user.is_admin),
        })
    }

    /// The digest of `password` under the stored setting, or under a decoy one when there is
    /// none, so that an unknown username costs the same time as a wrong password.
    async fn digest(&self, password: String, setting: Option<String>) -> Result<Option<String>> {
        let setting = match setting {
            Some(setting) => setting,
            None => password::decoy_setting().await?,
        };
        password::digest(password, setting).await
    }

    /// Lets a kiosk close: only an admin's password will do. The attempt is throttled and
    /// recorded like any login; the session it opens is closed at once.
    pub async fn authorize_exit(&self, username: &str, password: &str) -> Result<()> {
        // Checked without becoming this terminal's viewer: the customer stays logged in.
        let session = self.check_login(username, password).await?;
        let role = session.role;
        db::sessions::close(&self.pool, session.id).await?;
        if role < Role::Admin {
            return Err(Error::Forbidden("admins"));
        }
        Ok(())
    }

    /// Ends the session: anything it tries afterwards is refused.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        let session = actor.session()?;
        db::sessions::close(&self.pool, session.id).await?;
        if self.viewer.get() == Some(session.id) {
            self.viewer.set(None);
        }
        db::login::record(
            &self.pool,
            &session.username,
            Some(session.user_id),
            "logout",
        )
        .await?;
        Ok(())
    }

    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> Result<()> {
        let me = authorize(&self.pool, actor, Role::Customer).await?;
        let setting = db::users::password_setting(&self.pool, &me.username).await?;
        let right = match self.digest(current.to_owned(), setting).await? {
            Some(digest) => db::users::password_matches(&self.pool, &me.username, &digest).await?,
            None => false,
        };
        if !right {
            return Err(Error::invalid("Current password", "is not right"));
        }
        check_new_password(new, &me.username)?;
        let hash = password::hash(new.to_owned()).await?;
        db::users::set_password_hash(&self.pool, me.user_id, &hash).await?;
        Ok(())
    }
}

fn locked_for(until: chrono::DateTime<Utc>) -> Error {
    let seconds = (until - Utc::now()).num_seconds().max(1);
    Error::Locked {
        minutes: (seconds + 59) / 60,
    }
}
