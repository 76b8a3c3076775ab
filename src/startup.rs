//! Builds the application: database, migrations, templates, mail, background jobs and the HTTP
//! server bound to its listener. Tests call [`Application::build`] with port 0 and drive the real
//! server over HTTP.

use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Mailer;
use crate::services::AppState;
use crate::views::Views;
use crate::{jobs, store, web as site};
use actix_session::SessionMiddleware;
use actix_session::config::PersistentSession;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use tokio::sync::Notify;
use tracing_actix_web::TracingLogger;

pub struct Application {
    pub port: u16,
    pub state: AppState,
    server: Server,
}

impl Application {
    /// Opens (and migrates) the database, then binds the server. Nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Application> {
        let key = settings.session_key()?;
        let key = Key::try_from(&key[..])
            .map_err(|e| anyhow::anyhow!("the session key cannot be used: {e}"))?;
        let state = prepare(settings, clock).await?;
        let listener = TcpListener::bind(&state.settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, state.clone(), key)?;
        tokio::spawn(jobs::outbox::run(state.clone()));
        tokio::spawn(jobs::exams::run(state.clone()));
        tokio::spawn(jobs::ce_reminders::run(state.clone()));
        tokio::spawn(jobs::calibration::run(state.clone()));
        tokio::spawn(jobs::exam_outcomes::run(state.clone()));
        tokio::spawn(jobs::study_reminders::run(state.clone()));
        if store::Backend::of(&state.settings.database_url) == store::Backend::Sqlite {
            tokio::spawn(jobs::checkpoint::run(state.clone()));
        }
        Ok(Application {
            port,
            state,
            server,
        })
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Everything but the HTTP server: used by `serve` and by CLI commands that need the services.
pub async fn prepare(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data directory {}: {e}",
            settings.data_dir.display()
        )
    })?;
    let pool = store::connect_with(
        &settings.database_url,
        settings.db_pool_size,
        settings.sqlite_synchronous_full,
    )?;
    {
        // Migrations and the first bank import run as one step under the start-up lock, so that
        // several instances (or `palpate users create` runs) starting on a fresh database do it
        // once between them.
        let pool = pool.clone();
        let (import, now) = (settings.import_bank_on_start, clock.now());
        let url = settings.database_url.clone();
        let (applied, report) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let mut c = pool.get()?;
            store::with_startup_lock(&url, &mut c, |c| {
                let applied = store::migrate_unlocked(c)?;
                let report = if import {
                    crate::services::bank::import_shipped_if_empty(c, now)?
                } else {
                    None
                };
                Ok((applied, report))
            })
        })
        .await??;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "database migrated");
        }
        if let Some(r) = report {
            tracing::info!(items = r.created, "imported the shipped question bank");
        }
    }
    let db_permits = settings.db_pool_size.max(1) as usize;
    let views = Views::shared()?;
    let mailer = Mailer::from_setting(&settings.mail, &settings.data_dir)?;
    tracing::info!(backend = ?store::Backend::of(&settings.database_url), mail = mailer.describe(), "ready");
    let sqlite_writer = Arc::new(std::sync::Mutex::new(()));
    // SQLite has one writer, so one lane; PostgreSQL commits in parallel, so a few lanes, each
    // still batching, leaving most of the pool to everything else.
    let group_commit = match store::Backend::of(&settings.database_url) {
        store::Backend::Sqlite => {
            store::group::GroupCommit::start(pool.clone(), 1, Some(sqlite_writer.clone()))?
        }
        store::Backend::Postgres => {
            store::group::GroupCommit::start(pool.clone(), (db_permits / 4).max(1), None)?
        }
    };
    let search_limiter = Arc::new(crate::services::directory::SearchLimiter::new(
        settings.rate_limits.search_per_minute.max(1) as usize,
    ));
    Ok(AppState {
        pool,
        settings: Arc::new(settings),
        clock,
        views,
        mailer: Arc::new(mailer),
        outbox_wake: Arc::new(Notify::new()),
        pools: Arc::new(crate::services::exams::PoolCache::default()),
        tokens: Arc::new(crate::services::accounts::TokenCache::default()),
        running_exams: Arc::new(crate::services::exams::RunningExams::default()),
        sqlite_writer,
        db_gate: Arc::new(tokio::sync::Semaphore::new(db_permits)),
        course_exam_finished: crate::services::courses::on_finished,
        group_commit: Arc::new(group_commit),
        search_limiter,
        calibration_running: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    })
}

fn serve(listener: TcpListener, state: AppState, key: Key) -> anyhow::Result<Server> {
    let cookie_secure = state.settings.cookie_secure;
    let workers = state.settings.workers;
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let session = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("palpate_session".into())
            .cookie_secure(cookie_secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(actix_web::cookie::time::Duration::days(14)),
            )
            .build();
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(site::middleware::csrf))
            .wrap(from_fn(site::middleware::error_pages))
            .wrap(session)
            .wrap(site::middleware::security_headers(cookie_secure))
            .wrap(Compress::default())
            .wrap(TracingLogger::default())
            .configure(site::configure)
    })
    .listen(listener)?;
    if let Some(w) = workers {
        server = server.workers(w);
    }
    Ok(server.run())
}
