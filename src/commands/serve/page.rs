//! serve's web page (docs/monitoring.md "The web page"): `GET /` is a form for one address
//! and the configured targets with their latest verdicts; `GET /?target=ADDRESS` shows a
//! configured target's latest round ([`Kept`]), or traces the address now under `/probe`'s
//! limits in a page that streams the trace's progress ([`streamed`]); either shows the
//! headline, the receiver's answer, the findings cause first with their advice, and the
//! delegation graph as inline SVG drawn by ptrtrace itself (`ptrtrace_core::report::svg`),
//! with links to the same trace as JSON and DOT.
//!
//! Templates are maud's: checked at compile time, every interpolated value escaped. Nothing
//! is loaded from elsewhere: the style sheet is in the binary (`/style.css`), there is no
//! script, and the Content-Security-Policy says so.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use ptrtrace_core::diagnose::Severity;
use ptrtrace_core::report::{TargetReport, svg};
use ptrtrace_core::trace::Event;

use super::{Http, Refused};
use crate::cli::parse_target;

/// No script, no frame, nothing from elsewhere: the page's style sheet and form only.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The style sheet, from the binary.
const STYLE: &str = include_str!("page.css");

/// Targets listed on the index page (the rest are counted).
const LISTED: usize = 200;

/// `GET /style.css`.
pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// `GET /` and `GET /?target=ADDRESS[&fresh=1][&history=24h|7d|30d]`.
pub async fn index(
    AxState(http): AxState<Arc<Http>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let raw = q.get("target").map(|t| t.trim()).filter(|t| !t.is_empty());
    let Some(raw) = raw else {
        return page(StatusCode::OK, &form(None), &targets(&http));
    };
    let Ok(target) = parse_target(raw) else {
        let words = format!("{raw:?} is not an IP address.");
        return refused_page(raw, (StatusCode::BAD_REQUEST, None), &words);
    };
    let window = q
        .get("history")
        .and_then(|w| Window::parse(w))
        .unwrap_or(Window::Week);
    // A configured target shows its latest round, unless a fresh trace is asked for.
    if !q.contains_key("fresh")
        && let Some((section, finished)) = http.kept.get(target)
    {
        let main = html! {
            p.kept {
                "From serve's latest round, finished " (ago(finished.elapsed())) " ago. "
                a href={ "/?target=" (target) "&fresh=1" } { "Trace it again now" }
            }
            (PreEscaped(&*section))
            (history_section(&http, target, window))
        };
        return page(StatusCode::OK, &form(Some(raw)), &main);
    }
    match super::admit(&http, client, target) {
        Ok(admitted) => streamed(http, admitted, form(Some(raw)), window),
        Err(refused) => {
            let words = match refused {
                Refused::TooSoon { .. } => {
                    "One trace per client per interval: try again in a little while."
                }
                Refused::Busy => "Too many traces are running: try again in a few seconds.",
                Refused::Internal => "The trace could not run.",
            };
            refused_page(raw, refused.status(), words)
        }
    }
}

/// The page for a trace refused with `status` (and `Retry-After` seconds, if any), saying why
/// in `words`.
fn refused_page(raw: &str, (status, after): (StatusCode, Option<u64>), words: &str) -> Response {
    let mut response = page(
        status,
        &form(Some(raw)),
        &html! { p.error role="alert" { (words) } },
    );
    if let Some(after) = after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, after.into());
    }
    response
}

/// "42 s", "3 min", "2 h": how long ago a round finished.
fn ago(d: Duration) -> String {
    match d.as_secs() {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// The whole document around `main`.
fn page(status: StatusCode, form: &Markup, main: &Markup) -> Response {
    let (before, after) = frame(form);
    (status, HEADERS, format!("{before}{}{after}", main.0)).into_response()
}

/// The headers of every page.
const HEADERS: [(header::HeaderName, &str); 4] = [
    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// The document up to `main`'s content, and from its end: a streamed page sends the first
/// at once and the second last.
fn frame(form: &Markup) -> (String, String) {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "ptrtrace" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    h1 { a href="/" { "ptrtrace" } }
                    p { "Which DNS server breaks an address's reverse DNS, and what mail receivers answer." }
                }
                (form)
                main { (PreEscaped(MARK)) }
                footer {
                    p { "Also: " a href="/metrics" { "/metrics" } " (OpenMetrics) · " code { "/probe?target=ADDRESS&format=json" } }
                }
            }
        }
    }
    .into_string();
    split_at_mark(&doc)
}

/// Where a document is cut in two (a comment no value can produce: values are escaped).
const MARK: &str = "<!--ptrtrace:cut-->";

/// `doc` before and after [`MARK`].
fn split_at_mark(doc: &str) -> (String, String) {
    match doc.split_once(MARK) {
        Some((before, after)) => (before.to_string(), after.to_string()),
        None => (doc.to_string(), String::new()),
    }
}

/// A fresh trace as a page that arrives while the trace runs (chunked): the document's start
/// and a progress list at once, a line per zone reached and at most one a second in between,
/// then the report (the style sheet hides the progress list once the report is there). No
/// script: a browser renders the lines as they come. The trace runs in its own task and keeps
/// its place among /probe's running traces until it ends; a client that leaves stops it.
fn streamed(http: Arc<Http>, admitted: super::Admitted, form: Markup, window: Window) -> Response {
    let target = admitted.target;
    let (before, after) = frame(&form);
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(PROGRESS_BUFFER);
    let (opening, closing) = split_at_mark(
        &html! {
            section.progress aria-labelledby="progress" {
                h2 id="progress" { "Tracing " (target) }
                p { "Asking every server of every zone from the root, each address separately; this takes a few seconds." }
                ol.lines aria-live="polite" { (PreEscaped(MARK)) }
            }
        }
        .into_string(),
    );
    let _ = tx.try_send(format!("{before}{opening}"));
    tokio::spawn(async move {
        let (cancel, stop) = tokio::sync::watch::channel(false);
        let (events, mut progress) = tokio::sync::mpsc::unbounded_channel();
        let trace = admitted.trace(&http, Some(events), Some(stop));
        tokio::pin!(trace);
        let mut lines = Lines::default();
        let report = loop {
            tokio::select! {
                report = &mut trace => break report,
                Some(event) = progress.recv() => {
                    // Progress is best effort: a slow reader misses lines, never slows the
                    // trace; a reader gone stops it.
                    if let Some(line) = lines.line(&event)
                        && let Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) = tx.try_send(line)
                    {
                        cancel.send_replace(true);
                    }
                }
            }
        };
        let end = html! {
            div.report {
                (report_section(&report))
                (history_section(&http, target, window))
            }
        };
        let _ = tx.send(format!("{closing}{}{after}", end.0)).await;
    });
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::convert::Infallible>(chunk), rx))
    });
    (StatusCode::OK, HEADERS, axum::body::Body::from_stream(body)).into_response()
}

/// Progress lines waiting for a slow reader, at most.
const PROGRESS_BUFFER: usize = 64;

/// Which progress events become lines.
struct Lines {
    start: Instant,
    zones: HashSet<String>,
    last: Option<Instant>,
}

impl Default for Lines {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            zones: HashSet::new(),
            last: None,
        }
    }
}

impl Lines {
    /// A line for the first probe finished in a zone, and otherwise at most one a second.
    fn line(&mut self, event: &Event) -> Option<String> {
        let Event::Progress {
            sent,
            done,
            pending,
            zone,
        } = event;
        let zone = zone.to_string();
        let new = !self.zones.contains(&zone);
        let now = Instant::now();
        if !new && self.last.is_some_and(|t| now - t < Duration::from_secs(1)) {
            return None;
        }
        self.last = Some(now);
        let at = format!("{:.1} s", (now - self.start).as_secs_f64());
        let probes = if *done == 1 { "probe" } else { "probes" };
        let line = html! {
            li {
                span.at { (at) } " "
                @if new { code { (zone) } " reached: " }
                (sent) " queries sent, " (done) " " (probes) " done, " (pending) " waiting"
                @if !new { " (latest: " code { (zone) } ")" }
            }
        };
        self.zones.insert(zone);
        Some(line.into_string())
    }
}

/// The page of each configured target's latest round, for `GET /?target=` without a trace:
/// its report section as the page shows it (findings, graph, links), rendered when the round
/// finishes. At most [`KEPT`] targets, the lowest addresses (those the index lists); a target
/// beyond them is traced afresh.
#[derive(Default)]
pub struct Kept(Mutex<BTreeMap<IpAddr, (Arc<str>, Instant)>>);

/// Targets whose latest round the page keeps (each some tens of kilobytes: docs/monitoring.md).
pub const KEPT: usize = LISTED;

impl Kept {
    /// Keeps `report`'s section, in place of its target's previous one.
    pub fn record(&self, report: &TargetReport) {
        let target = report.target();
        // A target above the kept ones is not rendered only to be dropped (a /16 is 65 536).
        let above = self.0.lock().is_ok_and(|m| {
            m.len() >= KEPT
                && !m.contains_key(&target)
                && m.last_key_value().is_some_and(|(last, _)| *last < target)
        });
        if above {
            return;
        }
        let section: Arc<str> = report_section(report).into_string().into();
        if let Ok(mut m) = self.0.lock() {
            m.insert(target, (section, Instant::now()));
            while m.len() > KEPT {
                m.pop_last();
            }
        }
    }

    /// When the target's latest round finished, when it is kept.
    fn finished(&self, target: IpAddr) -> Option<Instant> {
        self.0.lock().ok()?.get(&target).map(|(_, at)| *at)
    }

    /// The target's latest round, when kept: its section and when it finished.
    fn get(&self, target: IpAddr) -> Option<(Arc<str>, Instant)> {
        self.0.lock().ok()?.get(&target).cloned()
    }

    /// Forgets targets no longer configured (a reload).
    pub fn keep_only(&self, targets: &HashSet<IpAddr>) {
        if let Ok(mut m) = self.0.lock() {
            m.retain(|t, _| targets.contains(t));
        }
    }
}

/// The form: one address (prefixes stay on the command line).
fn form(value: Option<&str>) -> Markup {
    html! {
        form method="get" action="/" {
            label for="target" { "IP address" }
            input id="target" name="target" type="text" required
                inputmode="text" autocomplete="off" spellcheck="false"
                placeholder="203.0.113.25" value=[value];
            button type="submit" { "Trace" }
        }
    }
}

/// The configured targets with their latest round's verdict, each a link to that round.
fn targets(http: &Http) -> Markup {
    let (list, total) = http.state.verdicts(LISTED);
    html! {
        section aria-labelledby="targets" {
            h2 id="targets" { "Configured targets" }
            @if list.is_empty() {
                p { "No round has finished yet." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Address" } th scope="col" { "Latest verdict" } th scope="col" { "Round finished" } } }
                    tbody {
                        @for (ip, verdict) in &list {
                            tr {
                                td { a href={ "/?target=" (ip) } { (ip) } }
                                td { span class={ "verdict " (verdict) } { (verdict) } }
                                td { @if let Some(at) = http.kept.finished(*ip) { (ago(at.elapsed())) " ago" } }
                            }
                        }
                    }
                }
                @if total > list.len() {
                    p { (total - list.len()) " more not listed." }
                }
            }
        }
    }
}

/// The spans the history chart offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    Day,
    Week,
    Month,
}

impl Window {
    const ALL: [Self; 3] = [Self::Day, Self::Week, Self::Month];

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.word() == s)
    }

    fn word(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
        }
    }

    fn seconds(self) -> f64 {
        match self {
            Self::Day => 86_400.0,
            Self::Week => 7.0 * 86_400.0,
            Self::Month => 30.0 * 86_400.0,
        }
    }
}

/// The target's servers over `window` from serve's history file (`ptrtrace history -f svg`'s
/// picture), when serve keeps one and it holds the target; nothing otherwise.
fn history_section(http: &Http, target: std::net::IpAddr, window: Window) -> Markup {
    let Some(store) = http.store.lock().ok().and_then(|s| s.clone()) else {
        return html! {};
    };
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        - window.seconds();
    let rows = match store.0.lock() {
        Ok(h) => h.servers(target, since).unwrap_or_default(),
        Err(_) => return html! {},
    };
    if rows.is_empty() {
        return html! {};
    }
    let title = format!("Servers of {target} over the last {}", window.word());
    html! {
        section.history aria-labelledby="history" {
            h2 id="history" { "History" }
            p {
                "Loss and reply time of each server address, round by round, from serve's history file: "
                @for (i, w) in Window::ALL.iter().enumerate() {
                    @if i > 0 { " · " }
                    @if *w == window {
                        strong { (w.word()) }
                    } @else {
                        a href={ "/?target=" (target) "&history=" (w.word()) } { (w.word()) }
                    }
                }
                ". "
                code { "ptrtrace history " (target) } " tells the same in words."
            }
            figure { (PreEscaped(crate::history::picture::svg(&title, &rows))) }
        }
    }
}

/// One trace: headline, receiver, findings (the graph's text alternative), the graph, links.
fn report_section(r: &TargetReport) -> Markup {
    let d = &r.diagnosis;
    let target = r.target();
    let shown: Vec<_> = d
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    let facts: Vec<_> = d
        .findings
        .iter()
        .filter(|f| f.severity < Severity::Warning)
        .collect();
    html! {
        section aria-labelledby="headline" {
            h2 id="headline" {
                span class={ "verdict " (d.verdict.as_str()) } { (d.verdict.as_str().to_uppercase()) }
                " " (target)
            }
            p.headline { (r.headline()) }
            @let phrase = d.receiver.phrase();
            @if !phrase.is_empty() {
                p.receiver { "What a receiver answers: " (phrase) "." }
            }
            p.links {
                "This trace as "
                a href={ "/probe?target=" (target) "&format=json" } { "JSON" }
                " · "
                a href={ "/probe?target=" (target) "&format=dot" } { "DOT" }
                " (each link traces again). "
                (r.walk.queries_sent) " queries in " (format!("{:.1}", Duration::from_millis(r.walk.elapsed_ms).as_secs_f64())) " s."
            }
        }
        section aria-labelledby="findings" {
            h2 id="findings" { "Findings" }
            @if shown.is_empty() {
                p { "No problem found." }
            } @else {
                ol.findings {
                    @for f in &shown {
                        li class={ "finding " (f.severity.as_str()) } data-kind=(f.kind.as_str()) {
                            @if f.caused_by.is_some() { span.symptom { "↳ " } }
                            strong { (f.severity.as_str()) " · " (f.kind.as_str()) }
                            " " (f.message)
                            p.advice { (f.advice) }
                        }
                    }
                }
            }
            @if !facts.is_empty() {
                details {
                    summary { (facts.len()) " facts worth knowing" }
                    ul { @for f in &facts { li { strong { (f.kind.as_str()) } " " (f.message) } } }
                }
            }
        }
        section aria-labelledby="graph" {
            h2 id="graph" { "Delegation" }
            p.hint { "Every server address of every zone on the path; point at one (or focus it with Tab) for its evidence. The findings above say the same in words." }
            figure {
                (PreEscaped(svg::render(r)))
            }
        }
    }
}
