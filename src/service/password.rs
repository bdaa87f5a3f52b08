//! Argon2id with OWASP's minimum parameters (m=19 MiB, t=2, p=1), stored as PHC strings.
//! Hashing is CPU-heavy, so it runs on the blocking pool, never on the async workers.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::domain::{Error, Result};

pub(crate) async fn hash(password: String) -> Result<String> {
    run_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| Error::internal("hashing a password", &err))
    })
    .await
}

/// Ok(false) for a wrong password; Err only when the stored hash itself is broken.
pub(crate) async fn verify(password: String, phc: String) -> Result<bool> {
    run_blocking(move || {
        // A stored value that is not a hash (the walk-in account's "!") matches nothing.
        let Ok(parsed) = PasswordHash::new(&phc) else {
            tracing::warn!("a stored password hash cannot be read; login refused");
            return Ok(false);
        };
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

/// A hash to verify against when the username is unknown, so that answering "no such
/// user" costs the same time as a wrong password and reveals nothing.
pub(crate) async fn decoy_hash() -> Result<String> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(decoy) = DECOY.get() {
        return Ok(decoy.clone());
    }
    let fresh = hash(uuid::Uuid::new_v4().to_string()).await?;
    Ok(DECOY.get_or_init(|| fresh).clone())
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::internal("a password task", &err))?
}
