//! Argon2id with OWASP's minimum parameters (m=19 MiB, t=2, p=1), stored as PHC strings.
//! Only the database compares digests (see migration 6). Hashing is CPU-heavy, so it runs
//! on the blocking pool, never on the async workers, and only as many at once as there are
//! cores: each takes 19 MiB, and 500 kiosks logging in together on one shop server would
//! otherwise want 9 GB at once.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use std::sync::{Mutex, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::domain::{Error, Result};

pub(crate) async fn hash(password: String) -> Result<String> {
    run_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        let params = Params::default();
        let how = (Algorithm::Argon2id, Version::V0x13, params.clone());
        let output = argon2(&password, salt.as_salt(), how)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|err| internal(&err))?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
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
        let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
        let algorithm = Algorithm::try_from(parsed.algorithm);
        let (Some(salt), Ok(params), Ok(version), Ok(algorithm)) =
            (parsed.salt, Params::try_from(&parsed), version, algorithm)
        else {
            return Ok(None);
        };
        let output = argon2(&password, salt, (algorithm, version, params))?;
        Ok(Some(output.to_string()))
    })
    .await
}

fn internal(err: &dyn std::fmt::Display) -> Error {
    Error::internal("hashing a password", &err.to_string())
}

/// The memory of the hashes in flight (at most one per core), kept and reused: allocating
/// and freeing 19 MiB for every login left the allocator holding a copy per thread that
/// ever hashed, hundreds of MB on a busy shop server.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

fn argon2(
    password: &str,
    salt: Salt<'_>,
    (algorithm, version, params): (Algorithm, Version, Params),
) -> Result<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|err| internal(&err))?;
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let blocks_needed = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut blocks = MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop()
        .unwrap_or_default();
    blocks.resize(blocks_needed, Block::default());
    let output = Output::init_with(length, |out| {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut blocks)
            .map_err(password_hash::Error::from)
    })
    .map_err(|err| internal(&err));
    MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(blocks);
    output
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

    /// Hashing reuses its memory; what it makes is what the argon2 crate makes and checks.
    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"chai na mandazi", &salt)
            .unwrap()
            .to_string();
        let (setting, their_digest) = split(&theirs);
        let ours = digest("chai na mandazi".into(), setting.into())
            .await
            .unwrap();
        assert_eq!(ours.as_deref(), Some(their_digest));
        for _ in 0..3 {
            let made = hash("chai na mandazi".into()).await.unwrap();
            let parsed = PasswordHash::new(&made).unwrap();
            assert!(
                Argon2::default()
                    .verify_password(b"chai na mandazi", &parsed)
                    .is_ok()
            );
            assert!(
                Argon2::default()
                    .verify_password(b"chai na mandazI", &parsed)
                    .is_err()
            );
        }
    }

    #[tokio::test]
    async fn an_unreadable_setting_gives_no_digest() {
        assert_eq!(digest("pw".into(), "!".into()).await.unwrap(), None);
    }
}
