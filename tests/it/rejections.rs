//! Refusals before a handler runs (malformed addresses, oversized heads, methods a
//! page does not take, invalid text) answer with the portal's own page; transport
//! security headers.

use reqwest::{StatusCode, header};

use crate::helpers::{Page, spawn, spawn_with};

/// The portal's error page, with its status in the heading and `message` in it.
fn assert_portal_page(page: &Page, status: StatusCode, message: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    let heading = format!("{} · {}", status.as_u16(), status.canonical_reason().expect("reason"));
    assert!(page.text().contains(&heading), "not the portal's page: {:?}", page.body);
    assert!(page.text().contains(message), "{message:?} missing from {:?}", page.text());
    let kind = page.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(kind.starts_with("text/html"), "{kind}");
}

#[tokio::test]
async fn malformed_addresses_get_the_portals_page_with_a_plain_reason() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let page = bob.get("/requests?q=a&q=b").await;
    assert_portal_page(&page, StatusCode::BAD_REQUEST, "This address gives “q” more than once");
    let page = bob.get("/orgs?after=x&after=y").await;
    assert_portal_page(&page, StatusCode::BAD_REQUEST, "“after” more than once");
    // An id that is not UTF-8 names nothing.
    for path in ["/requests/%FF", "/orgs/%C3%28", "/requests/%FF/edit"] {
        assert_portal_page(&bob.get(path).await, StatusCode::NOT_FOUND, "There is nothing here");
    }
    let long = format!("/requests?q={}", "x".repeat(9_000));
    assert_portal_page(&bob.get(&long).await, StatusCode::URI_TOO_LONG, "longer than any this portal serves");
    let response = bob
        .client
        .get(format!("{}/requests", bob.base))
        .header("x-padding", "y".repeat(40_000))
        .send()
        .await
        .expect("GET");
    let page = crate::helpers::Browser::read(response).await;
    assert_portal_page(&page, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "larger than this portal accepts");
    // A page that only takes forms, opened (a state-changing method without the
    // form's token is refused by the CSRF check first).
    let page = bob.get("/logout").await;
    assert_portal_page(&page, StatusCode::METHOD_NOT_ALLOWED, "does not take that kind of request");
}

#[tokio::test]
async fn a_form_field_that_is_not_utf8_is_refused_and_nothing_is_stored() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let before = app.count("organizations", "1=1").await;
    for name in ["M%FCller+Systems", "Caf%C3%A9+%FF"] {
        let response = admin
            .client
            .post(format!("{}/orgs", admin.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("csrf_token={}&name={name}&tier=gold&parent_id=", admin.csrf))
            .send()
            .await
            .expect("POST");
        let page = crate::helpers::Browser::read(response).await;
        assert_portal_page(&page, StatusCode::UNPROCESSABLE_ENTITY, "not text (invalid UTF-8)");
    }
    assert_eq!(app.count("organizations", "1=1").await, before);
    // The same form in valid UTF-8 is stored as typed.
    let page = admin.post("/orgs", &[("name", "Müller Systems"), ("tier", "gold"), ("parent_id", "")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(app.count("organizations", "name = 'Müller Systems'").await, 1);
}

#[tokio::test]
async fn strict_transport_security_is_sent_when_the_portal_is_served_over_https() {
    let secure = spawn_with(|s| s.secure_cookies = true).await;
    for path in ["/login", "/healthz", "/no-such-page"] {
        let page = secure.browser().get(path).await;
        let hsts = page.headers.get(header::STRICT_TRANSPORT_SECURITY).and_then(|v| v.to_str().ok());
        assert_eq!(hsts, Some("max-age=31536000; includeSubDomains"), "{path}");
    }
    let plain = spawn().await;
    let page = plain.browser().get("/login").await;
    assert!(page.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "not over plain HTTP");
}
