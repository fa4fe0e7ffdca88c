//! `ptrtrace serve CONFIG`: a long-running exporter in the style of Prometheus's
//! blackbox_exporter (docs/monitoring.md). The configured addresses of each interval are traced
//! as one batch per round, `GET /metrics` exposes the latest trace of each, `GET /probe?target=`
//! traces one address on demand. SIGHUP reloads the configuration (a bad one is reported and
//! the old one kept); SIGTERM and Ctrl-C stop it (exit 0). Every trace of the process shares
//! one token bucket per server address, so the politeness bound holds across all targets.

mod clients;
mod config;
mod http;
mod metrics;
mod page;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use ptrtrace_core::dnssec::validate::Validator;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::run::{Batch, judged_batch};
use ptrtrace_core::targets::Population;
use ptrtrace_core::trace::pace::Lane;
use ptrtrace_core::trace::{self, Session};

pub use config::ServeConfig;
use metrics::State;

use crate::cli::parse_target;
use crate::exit::{Exit, Failure, Outcome};
use crate::run::real_config;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The HTTP side's shared state. A reload replaces the trace configuration, the per-client
/// interval and the probe semaphore (probes running keep their permit of the old one).
struct Http {
    state: Arc<State>,
    cfg: Mutex<(Arc<Session>, Duration)>,
    busy: Mutex<Arc<Semaphore>>,
    /// When each client last had a probe (clients.rs).
    clients: Mutex<clients::Clients>,
    /// The history file, for the page's history chart.
    store: Mutex<Store>,
    /// The configured targets' latest rounds, as the page shows them.
    kept: page::Kept,
}

/// The configuration of `/probe` traces: the rounds' own, taking from the on-demand share of
/// the same per-address buckets (and the same RRL pacer).
fn on_demand(rounds: &Arc<Session>) -> Arc<Session> {
    let mut cfg = (**rounds).clone();
    cfg.pacing = rounds.pacing.lane(Lane::OnDemand);
    Arc::new(cfg)
}

/// Says when `at` reaches beyond loopback: /probe is then a trace service for whoever can
/// reach it (docs/security.md "serve").
fn warn_if_exposed(at: SocketAddr) {
    if !at.ip().is_loopback() {
        eprintln!(
            "ptrtrace: warning: listening on {at}, beyond loopback: whoever reaches it can make this host trace addresses through /probe (one per client per [probe] per_client_interval, [probe] concurrency at once; docs/security.md)"
        );
    }
}

async fn bind(at: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(at)
        .await
        .map_err(|e| format!("cannot listen on {at}: {e}"))
}

/// The history file, if any, and how long it keeps rounds.
type Store = Option<Arc<(Mutex<crate::history::History>, Duration)>>;

/// Opens the history a configuration names (an unwritable file is an error, not a surprise
/// later).
fn open_store(conf: &ServeConfig) -> Result<Store, String> {
    Ok(conf
        .history
        .as_ref()
        .map(|(p, keep)| crate::history::History::open(p).map(|h| (Mutex::new(h), *keep)))
        .transpose()?
        .map(Arc::new))
}

/// `serve`.
pub async fn run(path: &Path, listen: Option<SocketAddr>) -> Outcome {
    metrics::start_clock();
    let conf = ServeConfig::load(path).map_err(Failure::bad_input)?;
    let (mut trace_cfg, _) = real_config(&conf.opts)?;
    // Rounds and /probe each have their own share of every address's budget: a probe never
    // waits behind a round's queue (docs/monitoring.md "Rounds and /probe").
    trace_cfg.pacing = trace_cfg.pacing.lane(Lane::Rounds);
    let trace_cfg = Arc::new(trace_cfg);
    let at = listen.unwrap_or(conf.listen);
    let listener = bind(at).await.map_err(Failure::cannot_run)?;
    let store = open_store(&conf).map_err(Failure::cannot_run)?;
    let state = State::new();
    let http = Arc::new(Http {
        state: Arc::clone(&state),
        cfg: Mutex::new((on_demand(&trace_cfg), conf.probe_interval)),
        busy: Mutex::new(Arc::new(Semaphore::new(conf.probe_concurrency))),
        clients: Mutex::new(clients::Clients::new(clients::MAX_CLIENTS)),
        store: Mutex::new(store),
        kept: page::Kept::default(),
    });
    // Signals are caught from before the line that says serve is ready.
    let stop = crate::exit::stop_signal();
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    eprintln!(
        "ptrtrace: serving metrics of {} addresses on http://{at}/metrics, the web page on http://{at}/",
        conf.targets.len()
    );
    warn_if_exposed(at);
    let (listeners, listener_rx) = tokio::sync::watch::channel(Arc::new(listener));
    let tasks = schedule(&conf.targets, &trace_cfg, &http);
    let reloader = tokio::spawn(reload_on_hangup(
        hup,
        Reload {
            path: path.to_path_buf(),
            listen_given: listen.is_some(),
            conf,
            listeners,
        },
        tasks,
        Arc::clone(&trace_cfg),
        Arc::clone(&http),
    ));
    let app = axum::Router::new()
        .route("/", get(page::index))
        .route("/style.css", get(page::style))
        .route("/metrics", get(metrics_page))
        .route("/probe", get(probe))
        .with_state(http);
    http::serve(listener_rx, app, state, stop).await;
    reloader.abort();
    Ok(Exit::Ok)
}

/// Targets traced together in one chunk of a round (as `--concurrency` for batches).
const CHUNK: usize = 256;

/// Traces the targets of each interval as one batch per round (`trace::trace_batch`): zone
/// cuts, zone checks, NS lookups and forward names are asked once per round, not once per
/// target, and zone transfers answer later targets where servers allow them. Each target's
/// report is recorded as soon as its chunk finishes (in the history file, the metrics and the
/// page's kept rounds). A round that overruns its interval is followed at once by the next.
fn schedule(
    targets: &[(IpAddr, Duration)],
    cfg: &Arc<Session>,
    http: &Arc<Http>,
) -> tokio::task::JoinSet<()> {
    let store = http.store.lock().map_or(None, |s| s.clone());
    let mut groups: std::collections::BTreeMap<Duration, Vec<IpAddr>> = Default::default();
    for &(ip, every) in targets {
        groups.entry(every).or_default().push(ip);
    }
    let mut set = tokio::task::JoinSet::new();
    for (every, ips) in groups {
        let (mut cfg, http, store) = (Arc::clone(cfg), Arc::clone(http), store.clone());
        if cfg.spread.is_some() {
            // Spread probing counts this batch's own targets per zone.
            let mut own = (*cfg).clone();
            own.spread = Some(Arc::new(Population::of_addrs(ips.iter().copied())));
            cfg = Arc::new(own);
        }
        set.spawn(async move {
            loop {
                let started = tokio::time::Instant::now();
                let mut local: Option<(ptrtrace_core::model::LocalKind, usize)> = None;
                judged_batch(ips.iter().copied(), Batch::new(&cfg, CHUNK), |report| {
                    if let Some(l) = &report.walk.local {
                        local.get_or_insert((l.kind, 0)).1 += 1;
                    }
                    // One transaction per target: a stop loses at most the target in flight.
                    // The history first: a round seen in /metrics is in the history too.
                    if let Some(store) = &store
                        && let Ok(mut h) = store.0.lock()
                        && let Err(e) = h.record(&report)
                    {
                        eprintln!("ptrtrace: cannot write the history: {e}");
                    }
                    // The page's copy before the metrics too: once /metrics shows a round, the
                    // page shows it.
                    http.kept.record(&report);
                    http.state.record(report.target(), &report);
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

/// What a reload compares the new configuration with, and replaces.
struct Reload {
    path: PathBuf,
    /// `--listen` was given: the command line wins over the file's `listen`.
    listen_given: bool,
    conf: ServeConfig,
    listeners: tokio::sync::watch::Sender<Arc<TcpListener>>,
}

/// SIGHUP: reads the configuration again and applies all of it or none. A good one replaces
/// the targets, the trace options (the per-address buckets and the RRL pacer carry over),
/// `[probe]`, the history file and `keep`, and `listen` (the new address is bound first; the
/// old one closes). A bad file, or a new listen address or history file that cannot be opened,
/// is reported on stderr in one line and the old configuration is kept whole.
async fn reload_on_hangup(
    hup: Option<tokio::signal::unix::Signal>,
    mut r: Reload,
    mut tasks: tokio::task::JoinSet<()>,
    mut cfg: Arc<Session>,
    http: Arc<Http>,
) {
    let Some(mut hup) = hup else {
        // No signal handling here: run without reloads.
        std::future::pending::<()>().await;
        return;
    };
    while hup.recv().await.is_some() {
        match prepare(&r).await {
            Err(e) => eprintln!("ptrtrace: reload failed, keeping the old configuration: {e}"),
            Ok((conf, mut new_cfg, listener, store)) => {
                new_cfg.pacing = cfg.pacing.clone();
                cfg = Arc::new(new_cfg);
                tasks.abort_all();
                let keep: HashSet<IpAddr> = conf.targets.iter().map(|(ip, _)| *ip).collect();
                http.state.keep_only(&keep);
                http.kept.keep_only(&keep);
                // The history file lives in `http.store` (the page reads it too); a reload
                // that names another one replaces it there.
                if let (Some(new), Ok(mut s)) = (store, http.store.lock()) {
                    *s = new;
                }
                tasks = schedule(&conf.targets, &cfg, &http);
                if let Ok(mut c) = http.cfg.lock() {
                    *c = (on_demand(&cfg), conf.probe_interval);
                }
                if conf.probe_concurrency != r.conf.probe_concurrency
                    && let Ok(mut b) = http.busy.lock()
                {
                    *b = Arc::new(Semaphore::new(conf.probe_concurrency));
                }
                let mut moved = String::new();
                if let Some(l) = listener {
                    let at = conf.listen;
                    let old = Arc::downgrade(&r.listeners.borrow());
                    let _ = r.listeners.send(Arc::new(l));
                    // Said once the old port is closed (the accept loop lets it go at once).
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        while old.strong_count() > 0 {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    })
                    .await;
                    moved = format!("; now listening on http://{at}/metrics");
                    warn_if_exposed(at);
                }
                eprintln!(
                    "ptrtrace: configuration reloaded: {} addresses{moved}",
                    conf.targets.len()
                );
                r.conf = conf;
            }
        }
    }
}

/// A reloaded configuration's parts, each ready to use: the configuration, its trace
/// configuration, a listener when `listen` moved, the history when its file or `keep` changed.
async fn prepare(
    r: &Reload,
) -> Result<(ServeConfig, Session, Option<TcpListener>, Option<Store>), String> {
    let conf = ServeConfig::load(&r.path)?;
    let (cfg, _) = real_config(&conf.opts).map_err(|f| f.message)?;
    let listener = if !r.listen_given && conf.listen != r.conf.listen {
        Some(bind(conf.listen).await?)
    } else {
        None
    };
    let store = if conf.history == r.conf.history {
        None
    } else {
        Some(open_store(&conf)?)
    };
    Ok((conf, cfg, listener, store))
}

async fn metrics_page(AxState(http): AxState<Arc<Http>>) -> Response {
    ([(header::CONTENT_TYPE, OPENMETRICS)], http.state.encode()).into_response()
}

/// `GET /probe?target=ADDR[&format=json|dot]`: one trace now, its metrics (or its report as
/// JSON or DOT). One probe per client (an IPv4 address or an IPv6 /64) per `[probe]
/// per_client_interval` over all targets (429 otherwise), at most `[probe] concurrency` at
/// once (503 otherwise, and a 503 costs the client nothing), every query through the
/// process's per-server buckets: the endpoint cannot be turned into a query amplifier
/// (docs/security.md).
async fn probe(
    AxState(http): AxState<Arc<Http>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(raw) = q.get("target") else {
        return (StatusCode::BAD_REQUEST, "give ?target=ADDRESS\n").into_response();
    };
    let format = q.get("format").map_or("metrics", String::as_str);
    if !["metrics", "json", "dot"].contains(&format) {
        return (
            StatusCode::BAD_REQUEST,
            "format: metrics (the default), json or dot\n",
        )
            .into_response();
    }
    let (target, report) = match limited_trace(&http, client, raw).await {
        Ok(t) => t,
        Err(refused) => return refused,
    };
    match format {
        "json" => match ptrtrace_core::report::json::render(std::slice::from_ref(&report), "serve")
        {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        "dot" => (
            [(header::CONTENT_TYPE, "text/vnd.graphviz; charset=utf-8")],
            ptrtrace_core::report::dot::render(&report),
        )
            .into_response(),
        _ => (
            [(header::CONTENT_TYPE, OPENMETRICS)],
            metrics::encode_one(target, &report),
        )
            .into_response(),
    }
}

/// One trace of `raw` now, under /probe's limits (the target parsed before anything else
/// sees it); the response to send instead when it is refused.
async fn limited_trace(
    http: &Http,
    client: SocketAddr,
    raw: &str,
) -> Result<(IpAddr, TargetReport), Response> {
    let target = match parse_target(raw) {
        Ok(t) => t,
        Err(e) => return Err((StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()),
    };
    let admitted = admit(http, client, target).map_err(IntoResponse::into_response)?;
    Ok((target, admitted.trace(http, None, None).await))
}

/// A trace let through /probe's limits: it holds its place among the `[probe] concurrency`
/// running until it is dropped.
struct Admitted {
    target: IpAddr,
    cfg: Arc<Session>,
    _permit: tokio::sync::OwnedSemaphorePermit,
    /// `ptrtrace_probes_running`, one less when this is dropped (finished or abandoned).
    running: prometheus_client::metrics::gauge::Gauge,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.running.dec();
    }
}

/// Why a trace was not let through /probe's limits.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// `[probe] concurrency` traces run (not charged to the client): `503`.
    Busy,
    /// The client had one within `[probe] per_client_interval` (`gap`); it may ask again
    /// after `wait`: `429`.
    TooSoon { wait: Duration, gap: Duration },
    /// A lock was poisoned: `500`.
    Internal,
}

impl Refused {
    /// The status, and the `Retry-After` seconds where the client may come back.
    fn status(self) -> (StatusCode, Option<u64>) {
        match self {
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, Some(5)),
            Self::TooSoon { wait, .. } => (StatusCode::TOO_MANY_REQUESTS, Some(wait.as_secs() + 1)),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, None),
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let words = match self {
            Self::Busy => "too many probes running\n".to_string(),
            Self::TooSoon { gap, .. } => format!("one probe per {gap:?} per client\n"),
            Self::Internal => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
        let (status, after) = self.status();
        let mut response = (status, words).into_response();
        if let Some(after) = after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, after.into());
        }
        response
    }
}

/// Lets a trace of `target` for `client` through /probe's limits (the page's fresh traces
/// too), or says why not.
fn admit(http: &Http, client: SocketAddr, target: IpAddr) -> Result<Admitted, Refused> {
    let (Ok((cfg, gap)), Ok(busy)) = (
        http.cfg.lock().map(|c| (Arc::clone(&c.0), c.1)),
        http.busy.lock().map(|b| Arc::clone(&b)),
    ) else {
        return Err(Refused::Internal);
    };
    // Busy first: a probe turned away for want of room is not charged to the client.
    let Ok(permit) = busy.try_acquire_owned() else {
        return Err(Refused::Busy);
    };
    let Ok(mut clients) = http.clients.lock() else {
        return Err(Refused::Internal);
    };
    let now = Instant::now();
    if let Some(wait) = clients.wait(client.ip(), now, gap) {
        return Err(Refused::TooSoon { wait, gap });
    }
    clients.charge(client.ip(), now, gap);
    let running = http.state.probes_running.clone();
    running.inc();
    Ok(Admitted {
        target,
        cfg,
        _permit: permit,
        running,
    })
}

impl Admitted {
    /// The trace, judged; its progress to `events`, stopped early when `cancel` turns true.
    async fn trace(
        self,
        http: &Http,
        events: Option<tokio::sync::mpsc::UnboundedSender<trace::Event>>,
        cancel: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> TargetReport {
        let walk = trace::trace_rounds(self.target, &self.cfg, events, cancel).await;
        drop(self);
        let report = TargetReport::judged(walk, &Validator::now());
        http.state.record_local(&report);
        report
    }
}
