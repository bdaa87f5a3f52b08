//! One line of the audit log: who did what to which record, when.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_username: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    /// What the row is about, by name: the product's name, the user's username.
    pub subject: Option<String>,
    pub details: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}
