//! Page benchmark: signs in as each role, discovers every page the role may open by
//! following the links of the pages themselves (plus the lists' filters, sorts and
//! deep pages), and times each one single-user. Prints one Markdown table and exits
//! non-zero when a page misses its budget (p99 ≤ 50 ms), or when a page of the router
//! was reached by no role.
//!
//! Run by `ops/bench/pages.sh`, against a server it started on the bench data set:
//! `PAGES_BASE=http://127.0.0.1:8184 PAGES_DB=SQLite cargo bench --bench pages`.
//! `PAGES_ROLES` is a list of `role=email` pairs separated by commas.

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    time::{Duration, Instant},
};

use partner_portal::http::PAGES;

const BUDGET: Duration = Duration::from_millis(50);
const ROUNDS: usize = 60;
const PER_PATTERN: usize = 2;
/// How many "Next" pages a crawl follows down a list, for its deep pages.
const DEEP: usize = 40;

/// Filters and sorts of the lists, asked of every role that reaches the list.
const FILTERS: &[&str] = &[
    "/requests?sort=oldest",
    "/requests?sort=amount",
    "/requests?sort=updated",
    "/requests?status=in_review",
    "/requests?kind=mdf&status=withdrawn",
    "/requests?kind=discount&sort=amount",
    "/requests?status=changes_requested&sort=amount",
    "/requests?status=draft&sort=updated",
    "/requests?from=2026-01-01&to=2026-03-31",
    "/requests?q=customer1",
    // A word nothing has, and one few have whose pieces nearly every request has
    // ("customer"): the trigram indexes answer both.
    "/requests?q=no-such-customer",
    "/requests?q=customer12345",
    "/orgs?q=reseller",
    "/orgs?q=no-such-partner",
    "/reports/pipeline?from=2026-01-01&until=2026-07-01",
    "/reports/pipeline?status=approved",
    "/reports/mdf?quarter=2026-Q2",
    "/reports/audit?outcome=denied",
];

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn sign_in(base: &str, email: &str) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let form = http.get(format!("{base}/login")).send().await.expect("login page").text().await.expect("body");
        let token = field(&form, "csrf_token").expect("csrf token");
        let answer = http
            .post(format!("{base}/login"))
            .form(&[("csrf_token", token.as_str()), ("email", email), ("password", "portal-demo")])
            .send()
            .await
            .expect("sign in");
        assert_eq!(answer.status().as_u16(), 303, "sign-in of {email}");
        Client { http, base: base.to_owned() }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let answer = self.http.get(format!("{}{path}", self.base)).send().await.expect("GET");
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap_or_default())
    }
}

fn field(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    Some(body[start..start + body[start..].find('"')?].to_owned())
}

/// Every same-site link of a page, unescaped.
fn links(body: &str) -> Vec<String> {
    body.match_indices("href=\"/")
        .filter_map(|(i, m)| {
            let rest = &body[i + m.len() - 1..];
            Some(rest[..rest.find('"')?].replace("&amp;", "&"))
        })
        .filter(|l| !l.starts_with("/static") && !l.contains(".csv") && !l.starts_with("/logout"))
        .collect()
}

/// The route a path belongs to: numeric segments become `{id}`.
fn route(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) { "{id}" } else { s })
        .collect();
    let joined = segments.join("/");
    if joined.is_empty() { "/".to_owned() } else { joined }
}

/// What a URL is counted as: its route and the names of its query parameters.
fn pattern(url: &str) -> String {
    let mut names: Vec<&str> = url
        .split_once('?')
        .map(|(_, q)| q.split('&').filter_map(|p| p.split('=').next()).collect())
        .unwrap_or_default();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() { route(url) } else { format!("{}?{}", route(url), names.join("&")) }
}

/// The pages a role reaches: a breadth-first walk from the dashboard, a few URLs per
/// pattern, the lists' filters, and a list's page `DEEP` "Next"s down.
async fn discover(client: &Client) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_owned()]);
    queue.extend(FILTERS.iter().map(|f| (*f).to_owned()));
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    while let Some(url) = queue.pop_front() {
        let (status, body) = client.get(&url).await;
        if status != 200 {
            continue;
        }
        let urls = found.entry(pattern(&url)).or_default();
        // The filters above are all timed; links found are a few per pattern.
        if urls.len() < PER_PATTERN || FILTERS.contains(&url.as_str()) {
            urls.push(url.clone());
        }
        for link in links(&body) {
            let full = found.get(&pattern(&link)).is_some_and(|u| u.len() >= PER_PATTERN);
            if !full && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    for list in ["/requests", "/requests?sort=amount", "/orgs"] {
        let mut url = list.to_owned();
        let mut depth = 0;
        while depth < DEEP {
            let (status, body) = client.get(&url).await;
            let next = links(&body).into_iter().find(|l| l.contains("after="));
            match next {
                Some(next) if status == 200 => url = next,
                _ => break,
            }
            depth += 1;
        }
        if depth > 1 {
            found.entry(format!("{} (page {})", pattern(&url), depth + 1)).or_default().push(url);
        }
    }
    found
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(client: &Client, url: &str) -> Vec<Duration> {
    let start = Instant::now();
    client.get(url).await;
    let first = start.elapsed();
    // A page far over budget is timed a few times only, or once: its verdict is clear.
    if first > 40 * BUDGET {
        return vec![first];
    }
    let rounds = if first > 10 * BUDGET { 3 } else { ROUNDS };
    for _ in 0..3 {
        client.get(url).await;
    }
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let (status, _) = client.get(url).await;
        times.push(start.elapsed());
        assert_eq!(status, 200, "{url}");
    }
    times.sort_unstable();
    times
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let base = std::env::var("PAGES_BASE").unwrap_or_else(|_| "http://127.0.0.1:8184".to_owned());
    let db = std::env::var("PAGES_DB").unwrap_or_else(|_| "?".to_owned());
    let roles = std::env::var("PAGES_ROLES").unwrap_or_else(|_| {
        "vendor admin=admin@acme.example,finance=finance@acme.example,channel manager=manager@acme.example,\
         partner admin=alice@northwind.example,member=bob@blueharbor.example,viewer=dan@cedar.example"
            .to_owned()
    });
    let mut missed = Vec::new();
    let mut reached: BTreeSet<String> = BTreeSet::new();
    println!("| database | role | page | URLs | p50 | p99 | within 50 ms |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for pair in roles.split(',') {
        let (role, email) = pair.split_once('=').expect("role=email");
        let client = Client::sign_in(&base, email.trim()).await;
        let pages = discover(&client).await;
        for (pattern, urls) in &pages {
            reached.insert(route(pattern.split(' ').next().unwrap_or(pattern)));
            let mut times = Vec::new();
            for url in urls {
                times.extend(measure(&client, url).await);
            }
            times.sort_unstable();
            let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
            let ok = p99 <= BUDGET;
            if !ok {
                missed.push(format!("{role} {pattern}: p99 {}", ms(p99)));
            }
            println!(
                "| {db} | {role} | `{pattern}` | {} | {} | {} | {} |",
                urls.len(),
                ms(p50),
                ms(p99),
                if ok { "yes" } else { "**no**" }
            );
        }
    }
    let unreached: Vec<&&str> = PAGES.iter().filter(|p| !reached.contains(**p)).collect();
    if !unreached.is_empty() {
        println!("\nPages no role reached: {unreached:?}");
    }
    if !missed.is_empty() {
        println!("\nOver budget:\n- {}", missed.join("\n- "));
    }
    if !missed.is_empty() || !unreached.is_empty() {
        std::process::exit(1);
    }
}
