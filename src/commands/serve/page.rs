//! serve's web page (docs/monitoring.md "The web page"): `GET /` is a form for one address
//! and the configured targets with their latest verdicts; `GET /?target=ADDRESS` traces it
//! now under `/probe`'s limits and shows the headline, the receiver's answer, the findings
//! cause first with their advice, and the delegation graph as inline SVG drawn by ptrtrace
//! itself (`ptrtrace_core::report::svg`), with links to the same trace as JSON and DOT.
//!
//! Templates are maud's: checked at compile time, every interpolated value escaped. Nothing
//! is loaded from elsewhere: the style sheet is in the binary (`/style.css`), there is no
//! script, and the Content-Security-Policy says so.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use ptrtrace_core::diagnose::Severity;
use ptrtrace_core::report::{TargetReport, svg};

use super::Http;

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

/// `GET /` and `GET /?target=ADDRESS`.
pub async fn index(
    AxState(http): AxState<Arc<Http>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let raw = q.get("target").map(|t| t.trim()).filter(|t| !t.is_empty());
    let Some(raw) = raw else {
        return page(StatusCode::OK, &form(None), &targets(&http));
    };
    match super::limited_trace(&http, client, raw).await {
        Ok((target, report)) => {
            let window = q
                .get("history")
                .and_then(|w| Window::parse(w))
                .unwrap_or(Window::Week);
            let main = html! {
                (report_section(&report))
                (history_section(&http, target, window))
            };
            page(StatusCode::OK, &form(Some(raw)), &main)
        }
        Err(refused) => {
            let status = refused.status();
            let words = match status {
                StatusCode::BAD_REQUEST => format!("{raw:?} is not an IP address."),
                StatusCode::TOO_MANY_REQUESTS => {
                    "One trace per client per interval: try again in a little while.".into()
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    "Too many traces are running: try again in a few seconds.".into()
                }
                _ => "The trace could not run.".into(),
            };
            page(
                status,
                &form(Some(raw)),
                &html! { p.error role="alert" { (words) } },
            )
        }
    }
}

/// The whole document around `main`.
fn page(status: StatusCode, form: &Markup, main: &Markup) -> Response {
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
                main { (main) }
                footer {
                    p { "Also: " a href="/metrics" { "/metrics" } " (OpenMetrics) · " code { "/probe?target=ADDRESS&format=json" } }
                }
            }
        }
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        doc.into_string(),
    )
        .into_response()
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

/// The configured targets with their latest round's verdict, each a link to a fresh trace.
fn targets(http: &Http) -> Markup {
    let (list, total) = http.state.verdicts(LISTED);
    html! {
        section aria-labelledby="targets" {
            h2 id="targets" { "Configured targets" }
            @if list.is_empty() {
                p { "No round has finished yet." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Address" } th scope="col" { "Latest verdict" } } }
                    tbody {
                        @for (ip, verdict) in &list {
                            tr {
                                td { a href={ "/?target=" (ip) } { (ip) } }
                                td { span class={ "verdict " (verdict) } { (verdict) } }
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
                " (each link traces again). "
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
                " (each link traces again)"
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
