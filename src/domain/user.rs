//! Who is acting: a role from the user's flags, and the session a login opens.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Error;

/// The account till sales to unnamed customers are booked to (migration 3). It cannot log in.
pub const WALK_IN: Uuid = Uuid::from_u128(0xa);

/// Ordered: every role may do what the roles before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

impl Role {
    pub fn from_flags(is_staff: bool, is_admin: bool) -> Role {
        if is_admin {
            Role::Admin
        } else if is_staff {
            Role::Staff
        } else {
            Role::Customer
        }
    }

    /// The flags stored for this role (admins are staff too).
    pub fn flags(self) -> (bool, bool) {
        (self >= Role::Staff, self == Role::Admin)
    }

    /// The plural that an error message names: "Only admins can do that."
    pub fn plural(self) -> &'static str {
        match self {
            Role::Customer => "customers",
            Role::Staff => "staff",
            Role::Admin => "admins",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        })
    }
}

/// What a successful login returns. The service layer re-checks it against the database
/// on every call, so a forged or ended session, or a deactivated user, is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub role: Role,
}

/// The caller of a service: nobody yet, or a logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User(Session),
}

impl Actor {
    pub fn session(&self) -> Result<&Session, Error> {
        match self {
            Actor::Anonymous => Err(Error::Unauthenticated),
            Actor::User(session) => Ok(session),
        }
    }
}

impl From<Session> for Actor {
    fn from(session: Session) -> Self {
        Actor::User(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_come_from_flags_and_back() {
        for role in [Role::Customer, Role::Staff, Role::Admin] {
            let (staff, admin) = role.flags();
            assert_eq!(Role::from_flags(staff, admin), role);
        }
        assert!(Role::Admin > Role::Staff && Role::Staff > Role::Customer);
    }

    #[test]
    fn anonymous_has_no_session() {
        assert_eq!(Actor::Anonymous.session(), Err(Error::Unauthenticated));
    }
}

/// A user as admins see them (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UserAccount {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub phone: Option<String>,
    pub is_staff: bool,
    pub is_admin: bool,
    pub is_active: bool,
    pub date_joined: chrono::DateTime<chrono::Utc>,
}

impl UserAccount {
    pub fn role(&self) -> Role {
        Role::from_flags(self.is_staff, self.is_admin)
    }
}
