//! `bytemtaani backup`: the shop's database saved with PostgreSQL's own `pg_dump` (custom
//! format, what `pg_restore` reads), into the data directory or a given folder, keeping the
//! last N. A dump is written under a temporary name and renamed once whole, so a failed or
//! interrupted backup never passes for one. The login's password goes to `pg_dump` in its
//! environment, never on its command line (where `ps` would show it).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Utc;

use crate::domain::clock::shop_time;

/// Names of backups start so: `bytemtaani-20261130-142301.dump`.
const PREFIX: &str = "bytemtaani-";
const SUFFIX: &str = ".dump";

/// Dumps the database at `url` into `dir`, then removes all but the newest `keep` backups
/// there. Returns the new file.
pub async fn backup(url: &str, dir: &Path, keep: usize) -> Result<PathBuf> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("making {}", dir.display()))?;
    let name = format!(
        "{PREFIX}{}{SUFFIX}",
        shop_time(Utc::now()).format("%Y%m%d-%H%M%S")
    );
    let path = dir.join(&name);
    let partial = dir.join(format!(".{name}.partial"));
    let mut url = url::Url::parse(url).context("reading the database URL")?;
    let password = url.password().map(str::to_owned);
    let _ = url.set_password(None);
    let mut command = tokio::process::Command::new("pg_dump");
    command
        .arg("--format=custom")
        .arg("--file")
        .arg(&partial)
        .arg("--dbname")
        .arg(url.as_str());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let done = command
        .status()
        .await
        .context("running pg_dump (PostgreSQL's client tools must be installed)")?;
    if !done.success() {
        let _ = tokio::fs::remove_file(&partial).await;
        bail!("pg_dump failed ({done}); no backup was written");
    }
    tokio::fs::rename(&partial, &path).await?;
    prune(dir, keep).await?;
    Ok(path)
}

/// Removes the oldest backups in `dir` beyond the newest `keep` (names sort by time).
async fn prune(dir: &Path, keep: usize) -> Result<()> {
    let mut backups = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
            backups.push(name);
        }
    }
    backups.sort();
    let old = backups.len().saturating_sub(keep);
    for name in &backups[..old] {
        tokio::fs::remove_file(dir.join(name)).await?;
    }
    Ok(())
}
