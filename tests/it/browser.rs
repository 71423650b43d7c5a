//! The approval journey in a real browser: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`), through the real pages.
//! When chromedriver is missing the test says so and passes, except under CI
//! (`CI=true`), where `.ci/run` installs it and a missing driver is a failure.

use std::{process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::helpers::{DEMO_PASSWORD, spawn};

const DRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: std::process::Child,
    url: String,
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.profile).ok();
    }
}

async fn start_driver() -> Option<Driver> {
    if !std::path::Path::new(DRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("CI").is_err(),
            "chromium and chromium-driver are required under CI (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping the browser journey: {DRIVER} or {CHROMIUM} is not installed");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = std::process::Command::new(DRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let profile = std::env::temp_dir().join(format!("portal-chromium-{}-{port}", std::process::id()));
    let driver = Driver { child, url, profile };
    for _ in 0..100 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok_and(|r| r.status().is_success()) {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn browser(driver: &Driver) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        }
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!("an object") };
    ClientBuilder::new(HttpConnector::new()).capabilities(caps).connect(&driver.url).await.expect("browser session")
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.ok();
    field.send_keys(value).await.expect("type");
}

/// Sets a date field's value directly (typing into a date widget depends on locale).
async fn set_date(c: &Client, id: &str, value: &str) {
    c.execute("document.getElementById(arguments[0]).value = arguments[1];", vec![json!(id), json!(value)])
        .await
        .expect("set date");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("click");
}

/// Waits (up to ten seconds, while a form's page loads) until the page's main part
/// contains `needle`; returns that text, or fails with what the page said.
async fn expect_text(c: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(main) = c.find(Locator::Css("main")).await
            && let Ok(text) = main.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never said {needle:?}; it says: {last}");
}

async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.expect("login page");
    fill(c, "input[name=email]", email).await;
    fill(c, "input[name=password]", DEMO_PASSWORD).await;
    click(c, "form button[type=submit]").await;
    expect_text(c, "Welcome").await;
}

async fn sign_out(c: &Client) {
    click(c, "form[action='/logout'] button").await;
    expect_text(c, "Sign in").await;
}

#[tokio::test]
async fn a_discount_goes_from_bob_through_two_approvers_in_a_real_browser() {
    let Some(driver) = start_driver().await else { return };
    let app = spawn().await;
    let base = app.base.clone();
    let c = browser(&driver).await;
    let close = (chrono::Utc::now().date_naive() + chrono::Duration::days(40)).to_string();

    sign_in(&c, &base, "bob@blueharbor.example").await;
    c.goto(&format!("{base}/requests")).await.expect("requests");
    click(&c, "a[href='/requests/new?kind=deal_registration']").await;
    fill(&c, "#customer_name", "Wayne Enterprises").await;
    fill(&c, "#customer_domain", "wayne.example").await;
    set_date(&c, "close_date", &close).await;
    fill(&c, "#amount", "90000").await;
    fill(&c, "#products", "Data-centre switches").await;
    click(&c, "button[value=submit]").await;
    expect_text(&c, "submitted for approval").await;

    c.goto(&format!("{base}/requests/new?kind=discount")).await.expect("discount form");
    fill(&c, "#list_amount", "90000").await;
    fill(&c, "#discount_percent", "35").await;
    fill(&c, "#justification", "Wayne compares us with two rivals").await;
    click(&c, "button[value=submit]").await;
    expect_text(&c, "Channel manager review").await;
    let url = c.current_url().await.expect("url");
    let id: i64 = url.path().trim_start_matches("/requests/").parse().expect("request id");
    sign_out(&c).await;

    for (approver, step) in
        [("manager@acme.example", "Channel manager review"), ("finance@acme.example", "Finance review")]
    {
        sign_in(&c, &base, approver).await;
        c.goto(&format!("{base}/approvals")).await.expect("queue");
        click(&c, &format!("a[href='/requests/{id}']")).await;
        expect_text(&c, &format!("Your decision: {step}")).await;
        fill(&c, "#comment", "Approved in the browser").await;
        click(&c, "button[value=approve]").await;
        expect_text(&c, "Your approval is recorded").await;
        sign_out(&c).await;
    }

    sign_in(&c, &base, "bob@blueharbor.example").await;
    c.goto(&format!("{base}/requests/{id}")).await.expect("request");
    let page = expect_text(&c, "Status\nApproved").await;
    for line in ["Max Manager approved", "Fay Finance approved", "Bob Blueharbor submitted it"] {
        assert!(page.contains(line), "timeline lacks {line}: {page}");
    }
    c.close().await.ok();
}
