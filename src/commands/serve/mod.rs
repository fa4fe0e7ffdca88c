//! `ptrtrace serve CONFIG`: a long-running exporter in the style of Prometheus's
//! blackbox_exporter (docs/monitoring.md). The configured addresses of each interval are traced
//! as one batch per round, `GET /metrics` exposes the latest trace of each, `GET /probe?target=`
//! traces one address on demand. SIGHUP reloads the configuration (a bad one is reported and
//! the old one kept); SIGTERM and Ctrl-C stop it (exit 0). Every trace of the process shares
//! one token bucket per server address, so the politeness bound holds across all targets.

mod config;
mod metrics;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use ptrtrace_core::dnssec::validate::Validator;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::report::pipeline::judged_batch;
use ptrtrace_core::targets::Population;
use ptrtrace_core::trace::{self, TraceConfig};

pub use config::ServeConfig;
use metrics::State;

use crate::cli::parse_target;
use crate::commands::trace::real_config;
use crate::exit::{Exit, Failure, Outcome};

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The HTTP side's shared state.
struct Http {
    state: Arc<State>,
    cfg: Mutex<(Arc<TraceConfig>, Duration)>,
    busy: tokio::sync::Semaphore,
    /// When each (client address, target) pair last had a probe.
    last_probe: Mutex<HashMap<(IpAddr, IpAddr), Instant>>,
}

/// `serve`.
pub async fn run(path: &Path, listen: Option<SocketAddr>) -> Outcome {
    metrics::start_clock();
    let conf = ServeConfig::load(path).map_err(Failure::bad_input)?;
    let (trace_cfg, _) = real_config(&conf.opts)?;
    let trace_cfg = Arc::new(trace_cfg);
    let at = listen.unwrap_or(conf.listen);
    let listener = tokio::net::TcpListener::bind(at)
        .await
        .map_err(|e| Failure::cannot_run(format!("cannot listen on {at}: {e}")))?;
    // An unwritable history file is an error at start (exit 3), not a surprise later.
    let store = conf
        .history
        .as_ref()
        .map(|(p, keep)| crate::history::History::open(p).map(|h| (Mutex::new(h), *keep)))
        .transpose()
        .map_err(Failure::cannot_run)?
        .map(Arc::new);
    let state = State::new();
    let http = Arc::new(Http {
        state: Arc::clone(&state),
        cfg: Mutex::new((Arc::clone(&trace_cfg), conf.probe_interval)),
        busy: tokio::sync::Semaphore::new(conf.probe_concurrency),
        last_probe: Mutex::new(HashMap::new()),
    });
    eprintln!(
        "ptrtrace: serving metrics of {} addresses on http://{at}/metrics",
        conf.targets.len()
    );
    let tasks = schedule(&conf.targets, &trace_cfg, &state, store.clone());
    let reloader = tokio::spawn(reload_on_hangup(
        path.to_path_buf(),
        tasks,
        Arc::clone(&trace_cfg),
        Arc::clone(&http),
        store,
    ));
    let app = axum::Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics_page))
        .route("/probe", get(probe))
        .with_state(http);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop_signal())
    .await;
    reloader.abort();
    served.map_err(|e| Failure::cannot_run(format!("the HTTP server failed: {e}")))?;
    Ok(Exit::Ok)
}

/// Targets traced together in one chunk of a round (as `--concurrency` for batches).
const CHUNK: usize = 256;

/// Traces the targets of each interval as one batch per round (`trace::trace_batch`): zone
/// cuts, zone checks, NS lookups and forward names are asked once per round, not once per
/// target, and zone transfers answer later targets where servers allow them. Each target's
/// report is recorded as soon as its chunk finishes. A round that overruns its interval is
/// followed at once by the next.
/// The history file, if any, and how long it keeps rounds.
type Store = Option<Arc<(Mutex<crate::history::History>, Duration)>>;

fn schedule(
    targets: &[(IpAddr, Duration)],
    cfg: &Arc<TraceConfig>,
    state: &Arc<State>,
    store: Store,
) -> tokio::task::JoinSet<()> {
    let mut groups: std::collections::BTreeMap<Duration, Vec<IpAddr>> = Default::default();
    for &(ip, every) in targets {
        groups.entry(every).or_default().push(ip);
    }
    let mut set = tokio::task::JoinSet::new();
    for (every, ips) in groups {
        let (mut cfg, state, store) = (Arc::clone(cfg), Arc::clone(state), store.clone());
        if cfg.spread.is_some() {
            // Spread probing counts this batch's own targets per zone.
            let mut own = (*cfg).clone();
            own.spread = Some(Arc::new(Population::of_addrs(ips.iter().copied())));
            cfg = Arc::new(own);
        }
        set.spawn(async move {
            loop {
                let started = tokio::time::Instant::now();
                let validator = Arc::new(Validator::now());
                let mut local: Option<(ptrtrace_core::model::LocalKind, usize)> = None;
                judged_batch(ips.iter().copied(), &cfg, CHUNK, None, None, validator, |report| {
                    if let Some(l) = &report.walk.local {
                        local.get_or_insert((l.kind, 0)).1 += 1;
                    }
                    state.record(report.target(), &report);
                    // One transaction per target: a stop loses at most the target in flight.
                    if let Some(store) = &store
                        && let Ok(mut h) = store.0.lock()
                        && let Err(e) = h.record(&report)
                    {
                        eprintln!("ptrtrace: cannot write the history: {e}");
                    }
                })
                .await;
                if let Some((kind, n)) = local {
                    eprintln!(
                        "ptrtrace: round of {} addresses: {n} could not be traced here: {}; they are recorded as unknown",
                        ips.len(),
                        crate::exit::local_words(kind)
                    );
                }
                if let Some(store) = &store
                    && let Ok(mut h) = store.0.lock()
                    && let Err(e) = h.prune(store.1)
                {
                    eprintln!("ptrtrace: cannot prune the history: {e}");
                }
                tokio::time::sleep_until(started + every).await;
            }
        });
    }
    set
}

/// SIGHUP: reads the configuration again; a good one replaces the targets and the trace
/// options (the per-address buckets and the RRL pacer carry over), a bad one is reported on
/// stderr in one line and the old one kept.
async fn reload_on_hangup(
    path: PathBuf,
    mut tasks: tokio::task::JoinSet<()>,
    mut cfg: Arc<TraceConfig>,
    http: Arc<Http>,
    store: Store,
) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        // No signal handling here: run without reloads.
        std::future::pending::<()>().await;
        return;
    };
    while hup.recv().await.is_some() {
        let loaded = ServeConfig::load(&path).and_then(|c| {
            real_config(&c.opts)
                .map(|(t, _)| (c, t))
                .map_err(|f| f.message)
        });
        match loaded {
            Err(e) => eprintln!("ptrtrace: reload failed, keeping the old configuration: {e}"),
            Ok((conf, mut new_cfg)) => {
                new_cfg.buckets = Arc::clone(&cfg.buckets);
                new_cfg.pacer = Arc::clone(&cfg.pacer);
                cfg = Arc::new(new_cfg);
                tasks.abort_all();
                let keep: HashSet<IpAddr> = conf.targets.iter().map(|(ip, _)| *ip).collect();
                http.state.keep_only(&keep);
                // The history file stays the one opened at start (a reload does not move it).
                tasks = schedule(&conf.targets, &cfg, &http.state, store.clone());
                if let Ok(mut c) = http.cfg.lock() {
                    *c = (Arc::clone(&cfg), conf.probe_interval);
                }
                eprintln!(
                    "ptrtrace: configuration reloaded: {} addresses",
                    conf.targets.len()
                );
            }
        }
    }
}

async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

async fn index() -> &'static str {
    "ptrtrace serve: GET /metrics (every configured target's latest trace), GET /probe?target=ADDRESS (one trace now)\n"
}

async fn metrics_page(AxState(http): AxState<Arc<Http>>) -> Response {
    ([(header::CONTENT_TYPE, OPENMETRICS)], http.state.encode()).into_response()
}

/// `GET /probe?target=ADDR`: one trace now, its metrics only. One trace of a target per
/// client address per `[probe] per_client_interval` (429 otherwise), at most `[probe]
/// concurrency` at once (503 otherwise), every query through the process's per-server
/// buckets: the endpoint cannot be turned into a query amplifier.
async fn probe(
    AxState(http): AxState<Arc<Http>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(raw) = q.get("target") else {
        return (StatusCode::BAD_REQUEST, "give ?target=ADDRESS\n").into_response();
    };
    let target = match parse_target(raw) {
        Ok(t) => t,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let Ok((cfg, gap)) = http.cfg.lock().map(|c| (Arc::clone(&c.0), c.1)) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    {
        let Ok(mut last) = http.last_probe.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let now = Instant::now();
        let key = (client.ip(), target);
        if let Some(t) = last.get(&key)
            && now.duration_since(*t) < gap
        {
            let wait = (gap - now.duration_since(*t)).as_secs() + 1;
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, wait.to_string())],
                format!("one probe of {target} per {gap:?} per client\n"),
            )
                .into_response();
        }
        last.retain(|_, t| now.duration_since(*t) < gap);
        last.insert(key, now);
    }
    let Ok(_permit) = http.busy.try_acquire() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many probes running\n").into_response();
    };
    let walk = trace::trace_rounds(target, &cfg, None, None).await;
    let report = TargetReport::judged(walk, &Validator::now());
    (
        [(header::CONTENT_TYPE, OPENMETRICS)],
        metrics::encode_one(target, &report),
    )
        .into_response()
}
