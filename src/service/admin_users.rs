//! What admins do to accounts: find, change role, deactivate, reset a password, read the
//! audit log. Nobody can remove the last admin or lock themselves out.

use crate::domain::values::parse_search;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::{self, Db};
use crate::domain::audit::AuditEntry;
use crate::domain::password::check_new_password;
use crate::domain::user::{Actor, Role, UserAccount, WALK_IN};
use crate::domain::{Error, Result};
use crate::service::access::{Principal, authorize};
use crate::service::auth::{CheckedAccount, NewAccount};
use crate::service::password;

#[derive(Clone)]
pub struct AdminUsers {
    db: Db,
}

fn no_user() -> Error {
    Error::NotFound("The user".into())
}

/// The walk-in account only books till sales; it must never become a login.
fn not_walk_in(user_id: Uuid) -> Result<()> {
    if user_id == WALK_IN {
        return Err(Error::Conflict(
            "The walk-in account books till sales; it cannot be changed.".into(),
        ));
    }
    Ok(())
}

impl AdminUsers {
    pub fn new(db: Db) -> Self {
        AdminUsers { db }
    }

    /// What the console warns of while it holds: active accounts the demo made (their
    /// passwords are public), and payment alerts nobody has resolved.
    pub async fn warnings(&self, actor: &Actor) -> Result<Vec<String>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        let mut warnings = Vec::new();
        let demo = db::users::active_demo_accounts(&mut *self.db.read().await?).await?;
        if !demo.is_empty() {
            warnings.push(format!(
                "Demo logins with public passwords: {}. Deactivate them.",
                demo.join(", ")
            ));
        }
        let alerts = db::alerts::count_open(&mut *self.db.read().await?).await?;
        if alerts > 0 {
            warnings.push(format!(
                "{alerts} payment alert(s) need you: see the Alerts section."
            ));
        }
        Ok(warnings)
    }

    /// Users whose name, email or phone contains `text` (all when empty).
    pub async fn search(&self, actor: &Actor, text: &str) -> Result<Vec<UserAccount>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        let text = parse_search("Search", text)?;
        Ok(db::users::search(&mut *self.db.read().await?, &text, 200).await?)
    }

    /// A new account of any role, made from the console; audited.
    pub async fn create(
        &self,
        actor: &Actor,
        account: NewAccount,
        role: Role,
    ) -> Result<UserAccount> {
        // Refused before the slow password hash for anyone but an admin.
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        let checked = CheckedAccount::new(account, role).await?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        checked.insert(&mut tx).await?;
        let made = match db::users::id_of(&mut *tx, checked.username.as_str()).await? {
            Some(id) => db::users::by_id(&mut *tx, id).await?,
            None => None,
        }
        .ok_or_else(no_user)?;
        let details = json!({ "username": made.username, "role": role });
        audit(&mut tx, By::Admin(&me), "user.create", made.id, details).await?;
        tx.commit().await?;
        Ok(made)
    }

    pub async fn set_role(&self, actor: &Actor, user_id: Uuid, role: Role) -> Result<UserAccount> {
        not_walk_in(user_id)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let updated = change_role(&mut tx, By::Admin(&me), user_id, role).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deactivating ends the user's open sessions at once.
    pub async fn set_active(
        &self,
        actor: &Actor,
        user_id: Uuid,
        active: bool,
    ) -> Result<UserAccount> {
        not_walk_in(user_id)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let updated = change_active(&mut tx, By::Admin(&me), user_id, active).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Sets a new password chosen by the admin and ends the user's sessions.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        user_id: Uuid,
        new_password: &str,
    ) -> Result<()> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        replace_password(&self.db, By::Admin(&me), user_id, new_password).await
    }

    /// The audit log, newest first. `text` filters when not empty: the start of an action
    /// ("stock", "user.role") or exactly who did it ("admin").
    pub async fn audit_log(
        &self,
        actor: &Actor,
        text: &str,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        let text = parse_search("Action or user", text)?;
        Ok(db::audit::list(&mut *self.db.read().await?, &text, limit.clamp(1, 1000)).await?)
    }
}

/// Refuses a change that would leave no active admin. The admin rows stay locked until the
/// transaction ends, so two admins demoting each other at once cannot both get through.
async fn keep_an_admin(tx: &mut PgConnection) -> Result<()> {
    if db::users::lock_active_admins(tx).await? <= 1 {
        return Err(Error::Conflict(
            "This is the last admin; make someone else admin first.".into(),
        ));
    }
    Ok(())
}

/// Who changes an account: an admin logged in at a terminal, or the operator at the shop
/// server's command line (`bytemtaani user`, the database owner's login: no app login).
#[derive(Clone, Copy)]
pub(crate) enum By<'a> {
    Admin(&'a Principal),
    Operator(&'a str),
}

/// Changes a role under the same rules for everyone: the last admin stays admin, and an
/// admin cannot demote themselves.
pub(crate) async fn change_role(
    tx: &mut PgConnection,
    by: By<'_>,
    user_id: Uuid,
    role: Role,
) -> Result<UserAccount> {
    not_walk_in(user_id)?;
    let target = db::users::lock(tx, user_id).await?.ok_or_else(no_user)?;
    if matches!(by, By::Admin(me) if me.user_id == user_id) && role < Role::Admin {
        return Err(Error::Conflict(
            "You cannot take away your own admin rights.".into(),
        ));
    }
    if target.is_admin && role < Role::Admin {
        keep_an_admin(tx).await?;
    }
    let (is_staff, is_admin) = role.flags();
    let updated = db::users::set_roles(&mut *tx, user_id, is_staff, is_admin).await?;
    let details = json!({ "username": target.username, "from": target.role(), "to": role });
    audit(tx, by, "user.role", user_id, details).await?;
    Ok(updated)
}

/// Deactivates (ending the account's sessions at once) or reactivates; the last active admin
/// stays, and an admin cannot deactivate themselves.
pub(crate) async fn change_active(
    tx: &mut PgConnection,
    by: By<'_>,
    user_id: Uuid,
    active: bool,
) -> Result<UserAccount> {
    not_walk_in(user_id)?;
    let target = db::users::lock(tx, user_id).await?.ok_or_else(no_user)?;
    if !active && matches!(by, By::Admin(me) if me.user_id == user_id) {
        return Err(Error::Conflict(
            "You cannot deactivate your own account.".into(),
        ));
    }
    if !active && target.is_admin && target.is_active {
        keep_an_admin(tx).await?;
    }
    let updated = db::users::set_active(&mut *tx, user_id, active).await?;
    if !active {
        db::sessions::close_all(&mut *tx, user_id).await?;
    }
    let action = if active {
        "user.reactivate"
    } else {
        "user.deactivate"
    };
    audit(
        tx,
        by,
        action,
        user_id,
        json!({ "username": target.username }),
    )
    .await?;
    Ok(updated)
}

/// Sets a new password (checked as any new one) and ends the account's sessions.
pub(crate) async fn replace_password(
    db: &Db,
    by: By<'_>,
    user_id: Uuid,
    new_password: &str,
) -> Result<()> {
    not_walk_in(user_id)?;
    let target = db::users::by_id(&mut *db.read().await?, user_id)
        .await?
        .ok_or_else(no_user)?;
    check_new_password(new_password, &target.username)?;
    let hash = password::hash(new_password.to_owned()).await?;
    let mut tx = db.begin().await?;
    db::users::set_password_hash(&mut *tx, user_id, &hash).await?;
    db::sessions::close_all(&mut *tx, user_id).await?;
    let details = json!({ "username": target.username });
    audit(&mut tx, by, "user.password_reset", user_id, details).await?;
    tx.commit().await?;
    Ok(())
}

async fn audit(
    tx: &mut PgConnection,
    by: By<'_>,
    action: &str,
    user_id: Uuid,
    details: serde_json::Value,
) -> Result<()> {
    match by {
        By::Admin(me) => {
            db::audit::record(tx, me.user_id, action, "user", Some(user_id), details).await?
        }
        By::Operator(name) => {
            db::audit::record_by_operator(tx, name, action, "user", Some(user_id), details).await?
        }
    }
    Ok(())
}
