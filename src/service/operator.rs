//! The operator's way back in: `bytemtaani user list|password|unlock|deactivate|activate|role`
//! on the shop's server, for when no admin can log in (the only admin forgot the password, or
//! is locked out). It acts with no app login, so only the database owner's pool builds it:
//! the command line holds that login; terminals never do. The rules are an admin's (the last
//! admin stays), and every change is audited as the operator.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::{self, Db};
use crate::domain::user::{Role, UserAccount};
use crate::domain::{Error, Result};
use crate::service::admin_users::{By, change_active, change_role, replace_password};

pub struct Operator {
    db: Db,
    /// Who runs the command (the server's OS user), as the audit log names them.
    name: String,
}

/// An account as `user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLine {
    pub account: UserAccount,
    /// Locked out of logging in until then, after too many failures.
    pub locked_until: Option<DateTime<Utc>>,
}

impl Operator {
    pub fn new(pool: PgPool, name: impl Into<String>) -> Self {
        Operator {
            db: Db::from(pool),
            name: name.into(),
        }
    }

    /// Every account, by username, with its lock if any.
    pub async fn accounts(&self) -> Result<Vec<AccountLine>> {
        let mut conn = self.db.read().await?;
        let locked = db::login::locked(&mut *conn).await?;
        let accounts = db::users::search(&mut *conn, "", i64::MAX).await?;
        Ok(accounts
            .into_iter()
            .map(|account| {
                let key = account.username.to_lowercase();
                let locked_until = locked.iter().find(|(k, _)| *k == key).map(|(_, at)| *at);
                AccountLine {
                    account,
                    locked_until,
                }
            })
            .collect())
    }

    /// A new password (checked as any new one); the account's sessions end.
    pub async fn reset_password(&self, username: &str, new_password: &str) -> Result<()> {
        let id = self.id_of(username).await?;
        replace_password(&self.db, By::Operator(&self.name), id, new_password).await
    }

    /// Lifts a lock after failed logins; false when the name was not locked.
    pub async fn unlock(&self, username: &str) -> Result<bool> {
        let id = self.id_of(username).await?;
        let mut tx = self.db.begin().await?;
        let unlocked = db::login::unlock(&mut *tx, username).await?;
        if unlocked {
            db::audit::record_by_operator(
                &mut *tx,
                &self.name,
                "user.unlock",
                "user",
                Some(id),
                serde_json::json!({ "username": username.trim().to_lowercase() }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(unlocked)
    }

    pub async fn set_active(&self, username: &str, active: bool) -> Result<UserAccount> {
        let id = self.id_of(username).await?;
        let mut tx = self.db.begin().await?;
        let updated = change_active(&mut tx, By::Operator(&self.name), id, active).await?;
        tx.commit().await?;
        Ok(updated)
    }

    pub async fn set_role(&self, username: &str, role: Role) -> Result<UserAccount> {
        let id = self.id_of(username).await?;
        let mut tx = self.db.begin().await?;
        let updated = change_role(&mut tx, By::Operator(&self.name), id, role).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn id_of(&self, username: &str) -> Result<Uuid> {
        db::users::id_of(&mut *self.db.read().await?, username.trim())
            .await?
            .ok_or_else(|| Error::NotFound(format!("The user {}", username.trim())))
    }
}
