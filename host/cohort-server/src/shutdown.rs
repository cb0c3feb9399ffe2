//! Shutdown signals: the future that resolves on SIGTERM or SIGINT (Ctrl-C). The server then stops accepting,
//! lets in-flight requests finish within the grace period, stops the group-commit writer after its last commit
//! and flushes sled.

/// Resolves when the process receives SIGTERM or SIGINT; the signal's name.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
