//! The HTTP API, on actix-web 4.
//!
//! Threads: actix runs `http_workers` worker threads (one per core by
//! default), each with its own single-threaded async runtime and its own
//! copy of the [`App`]; they share one [`AppState`]. The event store's writer
//! thread is separate (see `agora_events::log`), so a handler awaiting an
//! append never blocks other requests on its worker.
//!
//! Handlers are thin: parse, call one function, map the result. Every error
//! is a problem document from [`problem`], including unknown routes (404)
//! and wrong methods (405). [`app`] builds the whole application without a
//! socket, so handlers can be tested in-process.

mod api;
mod audit;
mod auth;
mod body;
mod clock;
mod command;
mod contents;
mod contracts;
mod dashboard;
mod days;
mod fields;
mod health;
mod integrity;
mod ledger;
mod library;
mod memberships;
mod metrics;
mod openapi;
mod partners;
mod policy;
pub(crate) mod problem;
mod ratelimit;
mod reads;
mod recommendations;
mod requests;
mod requirements;
mod route_label;
mod sessions;
mod shutdown;
mod users;
mod vendors;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service as _, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpRequest, HttpServer, web};
use agora_events::LogStore;
use anyhow::Context;

use crate::config::Settings;
use crate::domain::Domain;
use crate::models::Models;
use problem::{ApiError, ProblemKind};

/// What every handler can reach.
pub(crate) struct AppState {
    /// The event store.
    pub(crate) store: LogStore,
    /// The domain services.
    pub(crate) domain: Domain,
    /// Longest wait of a read with `?min_position=`.
    pub(crate) read_wait: Duration,
    /// Largest request body accepted.
    pub(crate) max_body_bytes: usize,
    /// How long a login's token lives.
    pub(crate) session_ttl: Duration,
    /// Login attempt limits.
    pub(crate) login_limits: LoginLimits,
    /// Login and registration attempt counters.
    pub(crate) limiter: ratelimit::RateLimiter,
    /// The bound on concurrent password hashing.
    pub(crate) password_work: ratelimit::WorkGate,
    /// Requests served, by route.
    pub(crate) requests: requests::RequestMetrics,
    /// Largest `k` of a recommendation request.
    pub(crate) max_k: usize,
    /// The model workers (loaded in the background).
    pub(crate) models: Models,
    /// Bid scoring settings and the embedding cache of bid rankings.
    pub(crate) ranking: requirements::ranking::BidRanking,
    /// The key that signs audit checkpoints.
    pub(crate) signing_key: ed25519_dalek::SigningKey,
}

/// Login and registration attempts allowed per window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoginLimits {
    /// Per account and client address pair, per 15 minutes.
    pub(crate) per_account: u32,
    /// Per account from all addresses, per 15 minutes.
    pub(crate) per_account_total: u32,
    /// Per client address, per minute.
    pub(crate) per_address: u32,
    /// Registrations per client address, per minute.
    pub(crate) registrations_per_address: u32,
}

impl AppState {
    /// Starts the domain over `store`. Must run inside an actix `System`.
    pub(crate) fn start(settings: &Settings, store: LogStore) -> anyhow::Result<Self> {
        let domain = Domain::start(settings, Arc::new(store.clone()))?;
        let models = Models::start(&settings.models, domain.projections.near_dup.clone());
        Ok(Self {
            store,
            domain,
            read_wait: Duration::from_millis(settings.read_wait_ms),
            max_body_bytes: settings.max_body_bytes,
            session_ttl: Duration::from_secs(settings.session_ttl_secs),
            login_limits: LoginLimits {
                per_account: settings.login_attempts_per_account,
                per_account_total: settings.login_attempts_per_account_total,
                per_address: settings.login_attempts_per_address,
                registrations_per_address: settings.registrations_per_address,
            },
            limiter: ratelimit::RateLimiter::default(),
            password_work: ratelimit::WorkGate::new(
                match settings.password_hash_concurrency {
                    0 => std::thread::available_parallelism().map_or(1, usize::from),
                    n => n,
                },
                settings.password_hash_queue,
            ),
            requests: requests::RequestMetrics::default(),
            max_k: settings.recommender.max_k.max(1),
            models,
            ranking: requirements::ranking::BidRanking::new(&settings.matching),
            signing_key: crate::checkpoint::signing_key(settings)?,
        })
    }

    /// The verification score publishing requires, in basis points, if
    /// `models.require_verification_to_publish` is set.
    pub(crate) fn publish_requirement(&self) -> Option<u32> {
        let settings = self.models.settings();
        settings
            .require_verification_to_publish
            .then_some(settings.min_verification_score_bps)
    }
}

impl std::ops::Deref for AppState {
    type Target = Domain;
    fn deref(&self) -> &Domain {
        &self.domain
    }
}

/// The application: every route, and the problem-document fallbacks.
pub(crate) fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let json = web::JsonConfig::default()
        .limit(state.max_body_bytes)
        .error_handler(|error, _| problem::from_json_error(&error).into());
    let query = web::QueryConfig::default()
        .error_handler(|error, _| problem::invalid_request(&error).into());
    let path = web::PathConfig::default()
        .error_handler(|error, _| problem::invalid_request(&error).into());
    let observed = state.clone();
    App::new()
        .wrap_fn(move |request, service| {
            let started = std::time::Instant::now();
            let method = route_label::method_label(request.method());
            let route = route_label::RouteSlot::attach(&request);
            let state = observed.clone();
            let answer = service.call(request);
            async move {
                let answer = answer.await;
                let status = match &answer {
                    Ok(response) => response.status().as_u16(),
                    Err(error) => error.as_response_error().status_code().as_u16(),
                };
                state
                    .requests
                    .record(route.label(), method, status, started.elapsed());
                answer
            }
        })
        .app_data(state)
        .app_data(json)
        .app_data(query)
        .app_data(path)
        .configure(routes)
        .default_service(web::to(not_found))
}

/// Registers every route of the table in [`api`], one resource per path
/// (405 for a method the path does not take), each behind its rows'
/// policies: the router checks who may call before any extractor runs.
fn routes(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&'static str> = Vec::new();
    let endpoints = api::endpoints();
    for endpoint in &endpoints {
        if !paths.contains(&endpoint.path) {
            paths.push(endpoint.path);
        }
    }
    // The router tries resources in order, one pattern at a time: the
    // busiest (content reads and commands) go first.
    paths.sort_by_key(|path| !path.starts_with("/v1/contents"));
    for path in paths {
        let rows: Vec<&openapi::Endpoint> = endpoints.iter().filter(|e| e.path == path).collect();
        let policies: Vec<(actix_web::http::Method, policy::Policy)> =
            rows.iter().map(|e| (e.method.http(), e.policy)).collect();
        let mut resource = web::resource(path).default_service(web::to(method_not_allowed));
        for row in rows {
            if let Some(route) = &row.route {
                resource = resource.route(route());
            }
        }
        cfg.service(resource.wrap_fn(move |request, service| {
            route_label::RouteSlot::fill(&request, path);
            let method = request.method();
            let denied = policies
                .iter()
                .find(|(m, _)| {
                    m == method
                        || (m == actix_web::http::Method::GET
                            && method == actix_web::http::Method::HEAD)
                })
                .and_then(|(_, rule)| policy::check(&request, rule).err());
            match denied {
                Some(problem) => futures::future::Either::Left(std::future::ready(Ok(
                    request.error_response(problem)
                ))),
                None => futures::future::Either::Right(service.call(request)),
            }
        }));
    }
}

/// The answer for a path no route has.
async fn not_found(request: HttpRequest) -> Result<&'static str, ApiError> {
    Err(ApiError::new(
        ProblemKind::NotFound,
        format!("no route for {} {}", request.method(), request.path()),
    ))
}

/// The answer for a route that exists, with a method it does not take.
pub(crate) async fn method_not_allowed(request: HttpRequest) -> Result<&'static str, ApiError> {
    Err(ApiError::new(
        ProblemKind::MethodNotAllowed,
        format!("{} does not accept {}", request.path(), request.method()),
    ))
}

/// Binds `settings.listen`, prints `listening on http://ADDR` for each bound
/// address on stdout, and serves until SIGINT or SIGTERM, then shuts down
/// gracefully (requests in flight get `shutdown_timeout_secs`).
pub(crate) async fn serve(state: web::Data<AppState>, settings: &Settings) -> anyhow::Result<()> {
    let mut server = HttpServer::new(move || app(state.clone()))
        .shutdown_signal(shutdown::on_signal()?)
        .shutdown_timeout(settings.shutdown_timeout_secs);
    if settings.http_workers > 0 {
        server = server.workers(settings.http_workers);
    }
    let server = server
        .bind(&settings.listen)
        .with_context(|| format!("listening on {}", settings.listen))?;
    announce(&server.addrs());
    server.run().await.context("running the HTTP server")?;
    tracing::info!("HTTP server stopped");
    Ok(())
}

/// Tells whoever started us where we listen: one line per address on
/// stdout, flushed. Best effort: a closed stdout must not stop the server.
fn announce(addrs: &[SocketAddr]) {
    let mut out = std::io::stdout().lock();
    for addr in addrs {
        tracing::info!(%addr, "listening");
        if let Err(error) = writeln!(out, "listening on http://{addr}").and_then(|()| out.flush()) {
            tracing::warn!(%error, "could not print the address on stdout");
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::test;
    use agora_events::{EventStore, ExpectedVersion, LogConfig, NewEvent, StreamName};

    use super::*;

    fn open_store() -> (tempfile::TempDir, LogStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LogStore::open(dir.path(), LogConfig::default()).expect("open store");
        (dir, store)
    }

    /// The application state over `store` in `dir`.
    fn state(dir: &tempfile::TempDir, store: LogStore) -> web::Data<AppState> {
        let settings = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        web::Data::new(AppState::start(&settings, store).expect("domain starts"))
    }

    async fn body_text(response: ServiceResponse<impl MessageBody>) -> String {
        let bytes = test::read_body(response).await;
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[actix_web::test]
    async fn readyz_reports_the_store_head() {
        let (dir, store) = open_store();
        // Not a user stream: the users projection skips it and stays healthy.
        let stream = StreamName::new("ledger-1").expect("stream name");
        let events = vec![
            NewEvent::new("Happened", b"a".to_vec()),
            NewEvent::new("HappenedAgain", b"b".to_vec()),
        ];
        store
            .append(&stream, ExpectedVersion::NoStream, events)
            .await
            .expect("append");
        let service = test::init_service(app(state(&dir, store))).await;
        let response = test::call_service(
            &service,
            test::TestRequest::get().uri("/readyz").to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let json: serde_json::Value =
            serde_json::from_str(&body_text(response).await).expect("JSON body");
        assert_eq!(json["store"]["head_position"], 1);
        assert_eq!(json["store"]["events"], 2);
        assert_eq!(json["store"]["streams"], 1);
    }

    #[actix_web::test]
    async fn metrics_count_appends() {
        let (dir, store) = open_store();
        let stream = StreamName::new("s").expect("stream name");
        store
            .append(
                &stream,
                ExpectedVersion::Any,
                vec![NewEvent::new("Happened", b"x".to_vec())],
            )
            .await
            .expect("append");
        let service = test::init_service(app(state(&dir, store))).await;
        let response = test::call_service(
            &service,
            test::TestRequest::get().uri("/metrics").to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = body_text(response).await;
        assert!(text.contains("\nagora_events_appended_total 1\n"), "{text}");
    }

    #[actix_web::test]
    async fn wrong_methods_and_paths_are_problems() {
        let (dir, store) = open_store();
        let service = test::init_service(app(state(&dir, store))).await;
        let response = test::call_service(
            &service,
            test::TestRequest::post().uri("/healthz").to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let response =
            test::call_service(&service, test::TestRequest::get().uri("/nope").to_request()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some(problem::PROBLEM_JSON)
        );
    }
}
