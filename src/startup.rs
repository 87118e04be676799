//! Builds the application from settings: store, use cases, router, listener, housekeeping.
//! Tests and benchmarks build it the same way, on port 0, with a clock of their choosing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::render::Renderer;
use crate::mail::{Mailer, worker};
use crate::service::Portal;
use crate::web::{self, AppState, WebSettings};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    portal: Portal,
    mailer: Arc<Mailer>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Build(#[from] crate::service::BuildError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Mail(String),
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// How often expired sessions and closed address windows are swept from the database.
const SWEEP_INTERVAL: StdDuration = StdDuration::from_secs(300);

impl Application {
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let portal = Portal::build(settings, clock).await?;
        let mailer = Arc::new(Mailer::from_settings(settings).map_err(StartError::Mail)?);
        let address = settings.http.listen;
        let listener = TcpListener::bind(address).await.map_err(|source| StartError::Listen { address, source })?;
        let state = AppState {
            portal: portal.clone(),
            web: Arc::new(WebSettings::from_settings(settings)),
            renderer: Arc::new(Renderer::from_settings(settings)),
        };
        let router = web::router(state, settings);
        Ok(Self { listener, router, portal, mailer })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn portal(&self) -> &Portal {
        &self.portal
    }

    /// Serves until `shutdown` resolves (or forever).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), StartError> {
        // The background tasks end with the server, also when this future is dropped.
        let _sweeper = AbortOnDrop(tokio::spawn(sweep_expired_sessions(self.portal.clone())));
        let _worker = AbortOnDrop(tokio::spawn(worker::run(
            self.portal.clone(),
            self.mailer.clone(),
            self.portal.mail_wake.clone(),
        )));
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await.map_err(StartError::Serve)
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn sweep_expired_sessions(portal: Portal) {
    let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        ticker.tick().await;
        match portal.sweep_expired().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired sessions and secure messages removed"),
            Err(error) => tracing::warn!(%error, "could not remove expired sessions"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
