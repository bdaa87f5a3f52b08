//! The terminals the shop server lets in over SSH: added and revoked by the operator on
//! behalf of a named admin (audited), listed in the console, and looked up by the key a
//! connection has proved it holds.

use russh::keys::{HashAlg, PublicKey};
use serde_json::json;
use uuid::Uuid;

use crate::db::terminals::NewTerminal;
use crate::db::{self, Db};
use crate::domain::terminal::{Terminal, TerminalKind, parse_terminal_name};
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Result};
use crate::service::access::authorize;

#[derive(Clone)]
pub struct Terminals {
    db: Db,
}

/// The key as stored: algorithm and base64, without the comment (which the holder may
/// change at will), so the same key always matches.
pub fn key_text(key: &PublicKey) -> Result<String> {
    PublicKey::new(key.key_data().clone(), "")
        .to_openssh()
        .map_err(|_| bad_key())
}

pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn bad_key() -> Error {
    Error::Invalid {
        field: "key",
        message: "give one OpenSSH public key, e.g. \"ssh-ed25519 AAAA... kiosk-3\"".into(),
    }
}

fn parse_key(text: &str) -> Result<PublicKey> {
    PublicKey::from_openssh(text.trim()).map_err(|_| bad_key())
}

impl Terminals {
    pub fn new(db: Db) -> Self {
        Terminals { db }
    }

    /// The operator's command: `by` names the active admin it is done for (the audit log
    /// names them). Returns the terminal's key fingerprint.
    pub async fn add(
        &self,
        by: &str,
        name: &str,
        kind: TerminalKind,
        public_key: &str,
    ) -> Result<String> {
        let name = parse_terminal_name(name)?;
        let key = parse_key(public_key)?;
        let (text, fingerprint) = (key_text(&key)?, fingerprint(&key));
        let mut tx = self.db.begin().await?;
        let admin = self.operating_admin(&mut tx, by).await?;
        let new = NewTerminal {
            name: &name,
            kind,
            public_key: &text,
            fingerprint: &fingerprint,
            added_by: admin,
        };
        let id = db::terminals::add(&mut tx, &new).await.map_err(|err| {
            if db::is_unique_violation(&err, "terminals_name_in_use") {
                Error::Conflict(format!("A terminal in use is already named {name}."))
            } else if db::is_unique_violation(&err, "terminals_key_in_use") {
                Error::Conflict("A terminal in use already has this key; revoke it first.".into())
            } else {
                err.into()
            }
        })?;
        let details = json!({ "name": name, "kind": kind.as_str(), "fingerprint": fingerprint });
        db::audit::record(
            &mut *tx,
            admin,
            "terminal.add",
            "terminal",
            Some(id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(fingerprint)
    }

    /// The operator's command: the terminal can no longer connect, and the shop's server
    /// ends its open sessions within seconds.
    pub async fn revoke(&self, by: &str, name: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let admin = self.operating_admin(&mut tx, by).await?;
        let Some(id) = db::terminals::revoke(&mut tx, name.trim(), admin).await? else {
            return Err(Error::NotFound(format!(
                "A terminal in use named {}",
                name.trim()
            )));
        };
        let details = json!({ "name": name.trim() });
        db::audit::record(
            &mut *tx,
            admin,
            "terminal.revoke",
            "terminal",
            Some(id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The operator's list (the command line works as the database owner).
    pub async fn list_all(&self) -> Result<Vec<Terminal>> {
        Ok(db::terminals::list(&mut *self.db.read().await?).await?)
    }

    /// The console's list.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<Terminal>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        self.list_all().await
    }

    /// The ids of the terminals in use (the server ends the sessions of any other).
    pub async fn in_use(&self) -> Result<std::collections::HashSet<Uuid>> {
        let ids = db::terminals::in_use(&mut *self.db.read().await?).await?;
        Ok(ids.into_iter().collect())
    }

    /// The terminal in use that holds this key, if any.
    pub async fn by_key(&self, key: &PublicKey) -> Result<Option<Terminal>> {
        Ok(db::terminals::in_use_by_key(&mut *self.db.read().await?, &key_text(key)?).await?)
    }

    async fn operating_admin(&self, conn: &mut sqlx::PgConnection, by: &str) -> Result<Uuid> {
        match db::users::credentials(&mut *conn, by.trim()).await? {
            Some(user) if user.is_admin && user.is_active => Ok(user.id),
            _ => Err(Error::Invalid {
                field: "by",
                message: format!("{} is not an active admin", by.trim()),
            }),
        }
    }
}
