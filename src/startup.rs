//! Builds the application from settings: store, use cases, router, listener, housekeeping.
//! Tests and benchmarks build it the same way, on port 0, with a clock of their choosing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Mailer;
use crate::mail::render::Renderer;
use crate::service::Portal;
use crate::service::outbox::{self, Lease};
use crate::web::server::{self, ConnectionLimits};
use crate::web::{self, AppState, WebSettings};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// The operator's listener (metrics and probes), when `http.admin_listen` is set.
    admin: Option<(TcpListener, axum::Router)>,
    limits: ConnectionLimits,
    portal: Portal,
    mailer: Arc<Mailer>,
    lease: Lease,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Build(#[from] crate::service::BuildError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Mail(String),
}

/// How often expired sessions and closed address windows are swept from the database.
const SWEEP_INTERVAL: StdDuration = StdDuration::from_secs(300);

impl Application {
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let portal = Portal::build(settings, clock).await?;
        let public_url = &settings.http.public_url;
        let mailer =
            Arc::new(Mailer::from_settings(&settings.mail, &settings.branding, public_url).map_err(StartError::Mail)?);
        let listener = bind(settings.http.listen).await?;
        let state = AppState {
            portal: portal.clone(),
            web: Arc::new(WebSettings::from_settings(settings)),
            renderer: Arc::new(Renderer::from_settings(&settings.mail, &settings.branding, public_url)),
        };
        let admin = match settings.http.admin_listen {
            Some(address) => Some((bind(address).await?, web::admin_router(state.clone()))),
            None => None,
        };
        if let Some(address) = admin.as_ref().and_then(|(listener, _)| listener.local_addr().ok()) {
            tracing::info!(%address, "admin listener (metrics, health) listening");
        }
        if let Some(dir) = &state.web.dev_mailbox {
            tracing::warn!(dir = %dir.display(), "the dev mailbox is on at /dev/mailbox: it shows every message sent");
        }
        let router = web::router(state);
        Ok(Self {
            listener,
            router,
            admin,
            limits: limits(settings),
            portal,
            mailer,
            lease: Lease::from_settings(&settings.mail),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where the admin listener is bound, when there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|(listener, _)| listener.local_addr().ok())
    }

    pub fn portal(&self) -> &Portal {
        &self.portal
    }

    /// Serves until `shutdown` resolves (or forever), then stops gracefully: no new connections,
    /// requests in flight and the mail worker's current message get the grace period to finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), StartError> {
        let (stop, stopping) = watch::channel(false);
        // The background tasks end with the server, also when this future is dropped.
        let _sweeper = AbortOnDrop(tokio::spawn(sweep_expired_sessions(self.portal.clone())));
        let mut worker = AbortOnDrop(tokio::spawn(outbox::run(
            self.portal.clone(),
            self.mailer.clone(),
            self.lease,
            stopping.clone(),
        )));
        let limits = self.limits;
        let public = server::serve(self.listener, self.router, limits, stopping.clone());
        let admin = async {
            if let Some((listener, router)) = self.admin {
                server::serve(listener, router, limits, stopping.clone()).await;
            }
        };
        let signal = async move {
            shutdown.await;
            tracing::info!("stopping: no new connections; finishing requests in flight");
            let _ = stop.send(true);
        };
        let mail = async {
            let mut stopping = stopping.clone();
            server::stopped(&mut stopping).await;
            if tokio::time::timeout(limits.shutdown_grace, &mut worker.0).await.is_err() {
                tracing::warn!(
                    "the mail worker was stopped mid-delivery; that message is taken again when its lease ends"
                );
            }
        };
        tokio::join!(public, admin, signal, mail);
        // The newest entries since the last logged head are covered by the logs too.
        if let Err(error) = self.portal.log_audit_head().await {
            tracing::warn!(error = %error, "the audit head could not be read to log it");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

async fn bind(address: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(address).await.map_err(|source| StartError::Listen { address, source })
}

fn limits(settings: &Settings) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: StdDuration::from_secs(settings.http.header_read_timeout_seconds),
        max_connections: settings.http.max_connections,
        shutdown_grace: StdDuration::from_secs(settings.http.shutdown_grace_seconds),
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
