//! Server-rendered pages (maud). Views receive everything they show; they never
//! query the database or ask the policy. maud escapes every interpolated value.

pub mod account;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod notifications;
pub mod orgs;
pub mod reports;
pub mod requests;

use chrono::{DateTime, Datelike, Timelike, Utc};
use maud::{DOCTYPE, Markup, Render, html};

/// The portal's stylesheet, served from `/static/app.css` (no inline styles, so the
/// Content-Security-Policy can forbid them).
pub const STYLESHEET: &str = include_str!("app.css");

/// What the layout shows of the signed-in user.
#[derive(Debug, Clone, Copy)]
pub struct Nav<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub csrf: &'a str,
}

/// A moment as the portal writes it: `2026-12-07` ([`Stamp::day`]) or
/// `2026-12-07 14:05 UTC` ([`Stamp::minute`]). Written digit by digit: chrono's
/// `format` reads its pattern again on every call, a quarter of the requests list's
/// rendering at 25 rows.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    at: DateTime<Utc>,
    minute: bool,
}

impl Stamp {
    pub fn day(at: DateTime<Utc>) -> Self {
        Self { at, minute: false }
    }

    pub fn minute(at: DateTime<Utc>) -> Self {
        Self { at, minute: true }
    }
}

impl Render for Stamp {
    fn render_to(&self, out: &mut String) {
        let year = self.at.year();
        if !(0..=9999).contains(&year) {
            let pattern = if self.minute { "%Y-%m-%d %H:%M UTC" } else { "%Y-%m-%d" };
            out.push_str(&self.at.format(pattern).to_string());
            return;
        }
        let digits = |out: &mut String, n: u32, width: u32| {
            for place in (0..width).rev() {
                out.push(char::from(b'0' + u8::try_from(n / 10u32.pow(place) % 10).unwrap_or(0)));
            }
        };
        digits(out, year.unsigned_abs(), 4);
        out.push('-');
        digits(out, self.at.month(), 2);
        out.push('-');
        digits(out, self.at.day(), 2);
        if self.minute {
            out.push(' ');
            digits(out, self.at.hour(), 2);
            out.push(':');
            digits(out, self.at.minute(), 2);
            out.push_str(" UTC");
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// The frame of every page; `nav` is `None` for signed-out pages.
pub fn page(title: &str, nav: Option<&Nav<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Partner Portal" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Partner Portal" }
                    @if let Some(nav) = nav {
                        nav {
                            a href="/" { "Dashboard" }
                            a href="/requests" { "Requests" }
                            a href="/approvals" { "Approvals" }
                            a href="/orgs" { "Organizations" }
                            a href="/reports" { "Reports" }
                            a href="/notifications" { "Notifications" }
                            a href="/account" title=(nav.email) { (nav.name) }
                            form.inline method="post" action="/logout" {
                                (csrf_field(nav.csrf))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A success message after a change, or an error above a form.
pub fn messages(notice: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        @if let Some(error) = error { p.error role="alert" { (error) } }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use maud::Render;

    use super::Stamp;

    #[test]
    fn a_stamp_reads_as_chrono_writes_it() {
        // Every hour of four years, leap days and year ends included, and the edges.
        let start = Utc.with_ymd_and_hms(2023, 12, 31, 0, 7, 0).unwrap().timestamp();
        let moments = (0..4 * 366 * 24).map(|h| start + h * 3600 + (h % 60) * 60);
        for t in moments.chain([0, 253_402_300_799, -62_167_219_200]) {
            let at = Utc.timestamp_opt(t, 0).unwrap();
            assert_eq!(Stamp::day(at).render().into_string(), at.format("%Y-%m-%d").to_string());
            assert_eq!(Stamp::minute(at).render().into_string(), at.format("%Y-%m-%d %H:%M UTC").to_string());
        }
        let far = Utc.with_ymd_and_hms(12_345, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(Stamp::day(far).render().into_string(), far.format("%Y-%m-%d").to_string());
    }
}
