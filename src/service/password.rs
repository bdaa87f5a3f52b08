//! Argon2id with OWASP's minimum parameters (m=19 MiB, t=2, p=1), stored as PHC strings.
//! Only the database compares digests (see migration 6). Hashing is CPU-heavy, so it runs
//! on the blocking pool, never on the async workers, and only as many at once as there are
//! cores: each takes 19 MiB, and 500 kiosks logging in together on one shop server would
//! otherwise want 9 GB at once.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, Params};

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

/// The Argon2 digest of `password` under a stored hash's algorithm, parameters and salt
/// (`setting`, the hash without its digest): the database compares it with the stored one,
/// so no terminal ever reads a password hash. None when `setting` cannot be read.
pub(crate) async fn digest(password: String, setting: String) -> Result<Option<String>> {
    run_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&setting) else {
            tracing::warn!("a stored password hash cannot be read; login refused");
            return Ok(None);
        };
        let (Some(salt), Ok(params)) = (parsed.salt, Params::try_from(&parsed)) else {
            return Ok(None);
        };
        let hashed = Argon2::default()
            .hash_password_customized(
                password.as_bytes(),
                Some(parsed.algorithm),
                parsed.version,
                params,
                salt,
            )
            .map_err(|err| Error::internal("hashing a password", &err))?;
        Ok(hashed.hash.map(|output| output.to_string()))
    })
    .await
}

/// A PHC string as its setting (algorithm, parameters, salt) and its digest, which follows
/// the last `$`.
pub(crate) fn split(phc: &str) -> (&str, &str) {
    phc.rsplit_once('$').unwrap_or((phc, ""))
}

static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|err| Error::internal("waiting to hash a password", &err))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::internal("a password task", &err))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_digest_from_the_setting_is_the_stored_one_only_for_the_right_password() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        let (setting, stored_digest) = split(&stored);
        assert!(setting.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let right = digest("correct horse battery".into(), setting.into()).await;
        assert_eq!(right.unwrap().as_deref(), Some(stored_digest));
        let wrong = digest("correct horse batterz".into(), setting.into()).await;
        assert_ne!(wrong.unwrap().as_deref(), Some(stored_digest));
    }

    #[tokio::test]
    async fn an_unreadable_setting_gives_no_digest() {
        assert_eq!(digest("pw".into(), "!".into()).await.unwrap(), None);
    }
}
