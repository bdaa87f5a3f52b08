//! The one place that decides whether an actor may do something.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::db;
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Result};

/// The acting user as the database knows them right now.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub user_id: Uuid,
    /// The open session: what the database's own checks take as proof of who acts.
    pub session: Uuid,
    pub username: String,
    pub role: Role,
}

impl Principal {
    pub fn is_staff(&self) -> bool {
        self.role >= Role::Staff
    }

    /// Owners see their own things; staff see everyone's.
    pub fn may_act_for(&self, owner: Uuid) -> bool {
        self.user_id == owner || self.is_staff()
    }
}

/// Checks that `actor`'s session is open, its user active, and its role at least `needs`.
/// Refusals are logged (OWASP ASVS 16.3.2).
pub(crate) async fn authorize(
    ex: impl PgExecutor<'_>,
    actor: &Actor,
    needs: Role,
) -> Result<Principal> {
    let session = actor.session()?;
    let Some(user) = db::sessions::user(ex, session.id, session.user_id).await? else {
        tracing::warn!(user = %session.user_id, "refused: session unknown or ended");
        return Err(Error::Unauthenticated);
    };
    if !user.is_active {
        tracing::warn!(user = %user.username, "refused: account deactivated");
        return Err(Error::Inactive);
    }
    let role = Role::from_flags(user.is_staff, user.is_admin);
    if role < needs {
        tracing::warn!(user = %user.username, %role, needs = %needs, "refused: role too low");
        return Err(Error::Forbidden(needs.plural()));
    }
    Ok(Principal {
        user_id: session.user_id,
        session: session.id,
        username: user.username,
        role,
    })
}
