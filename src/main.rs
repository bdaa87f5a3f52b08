use anyhow::Result;
use clap::Parser;

use bytemtaani::cli::{self, Cli};
use bytemtaani::config::{Settings, project_dirs};

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    let _log_guard = init_logging();
    tracing::info!(?settings, "starting");
    cli::run(cli, settings).await
}

/// Logs go to a file in the data directory, never to the screen the app draws on.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = project_dirs()?.data_dir().join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let (writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::daily(dir, "bytemtaani.log"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BYTEMTAANI_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    Some(guard)
}
