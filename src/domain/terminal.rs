//! A terminal the shop server (`bytemtaani serve`) lets in over SSH, known by its public
//! key. The key's kind decides what its sessions may open; people still log in inside.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::user::Role;
use crate::domain::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TerminalKind {
    Kiosk,
    Till,
    Admin,
}

impl TerminalKind {
    pub fn parse(text: &str) -> Option<TerminalKind> {
        match text {
            "kiosk" => Some(TerminalKind::Kiosk),
            "till" => Some(TerminalKind::Till),
            "admin" => Some(TerminalKind::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TerminalKind::Kiosk => "kiosk",
            TerminalKind::Till => "till",
            TerminalKind::Admin => "admin",
        }
    }

    /// The highest role whose screens a session at this terminal shows, whoever logs in: a
    /// till never opens the console, a kiosk shows customer screens only.
    pub fn ceiling(self) -> Role {
        match self {
            TerminalKind::Kiosk => Role::Customer,
            TerminalKind::Till => Role::Staff,
            TerminalKind::Admin => Role::Admin,
        }
    }
}

impl fmt::Display for TerminalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    pub id: Uuid,
    pub name: String,
    pub kind: TerminalKind,
    /// SHA256:..., as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Lower-case letters, digits and dashes ("kiosk-3"): it is shown in logs and the console.
pub fn parse_terminal_name(text: &str) -> Result<String> {
    let name = text.trim();
    let fits = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !fits {
        return Err(Error::Invalid {
            field: "name",
            message: "use up to 40 lower-case letters, digits and dashes, e.g. kiosk-3".into(),
        });
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_name_is_plain_and_short() {
        assert_eq!(parse_terminal_name(" kiosk-3 ").unwrap(), "kiosk-3");
        for bad in ["", "-x", "Kiosk", "till 2", "a;b", &"k".repeat(41)] {
            assert!(parse_terminal_name(bad).is_err(), "{bad:?} was taken");
        }
    }

    #[test]
    fn a_till_never_shows_the_console_and_a_kiosk_only_customer_screens() {
        assert_eq!(TerminalKind::Kiosk.ceiling(), Role::Customer);
        assert_eq!(TerminalKind::Till.ceiling(), Role::Staff);
        assert_eq!(TerminalKind::Admin.ceiling(), Role::Admin);
        for kind in [TerminalKind::Kiosk, TerminalKind::Till, TerminalKind::Admin] {
            assert_eq!(TerminalKind::parse(kind.as_str()), Some(kind));
        }
    }
}
