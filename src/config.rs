//! Settings, read from `PORTAL_*` environment variables. A malformed value or an
//! unknown `PORTAL_` name stops start-up with a message that names the setting, so a
//! typo never falls back silently to a default.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name}: {problem}")]
    Malformed { name: &'static str, problem: String },
    #[error("{0}: unknown setting (known: {known})", known = KNOWN.join(", "))]
    Unknown(String),
}

const KNOWN: &[&str] = &[
    "PORTAL_DATABASE_URL",
    "PORTAL_DATABASE_POOL",
    "PORTAL_BIND",
    "PORTAL_SECURE_COOKIES",
    "PORTAL_POLICIES",
    "PORTAL_SESSION_IDLE_MINUTES",
    "PORTAL_SESSION_ABSOLUTE_HOURS",
    "PORTAL_LOGIN_MAX_FAILURES",
    "PORTAL_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "PORTAL_LOGIN_LOCKOUT_SECONDS",
    "PORTAL_TRUST_FORWARDED",
    "PORTAL_SMTP_URL",
    "PORTAL_MAIL_FROM",
    "PORTAL_BASE_URL",
    "PORTAL_TEST_DATABASE_URL",
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    /// Connections to PostgreSQL (see `store::default_pool_size`).
    pub database_pool: u32,
    pub bind: SocketAddr,
    /// Adds `Secure` to cookies; required whenever the portal is reached over HTTPS.
    pub secure_cookies: bool,
    /// A folder of `.polar` files to load instead of the built-in policy.
    pub policies: Option<PathBuf>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub throttle: ThrottleSettings,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a proxy).
    pub trust_forwarded: bool,
    /// Where emails go out (`smtp://…` or `smtps://…`); without it they are logged.
    pub smtp_url: Option<String>,
    /// The sender of the portal's emails.
    pub mail_from: String,
    /// The portal's public address, for links in emails.
    pub base_url: String,
    /// Rows per batch of a streamed CSV download.
    pub export_batch: u64,
    /// Streamed downloads that may run at once (each holds a pooled connection).
    pub export_slots: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottleSettings {
    pub max_failures_per_account: u32,
    pub max_failures_per_address: u32,
    pub lockout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://portal.db?mode=rwc".into(),
            database_pool: crate::store::default_pool_size(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: false,
            policies: None,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            throttle: ThrottleSettings {
                max_failures_per_account: 5,
                max_failures_per_address: 20,
                lockout: Duration::from_secs(60),
            },
            trust_forwarded: false,
            smtp_url: None,
            mail_from: "Partner Portal <portal@localhost>".into(),
            base_url: "http://127.0.0.1:8080".into(),
            export_batch: 5000,
            export_slots: 2,
        }
    }
}

impl Settings {
    /// Reads the process environment.
    ///
    /// # Errors
    /// See [`Settings::from_vars`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Builds settings from `(name, value)` pairs; names not starting with `PORTAL_`
    /// are ignored.
    ///
    /// # Errors
    /// An unknown `PORTAL_` name or a value that does not parse.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut s = Settings::default();
        for (name, value) in vars {
            if !name.starts_with("PORTAL_") {
                continue;
            }
            let Some(&known) = KNOWN.iter().find(|k| **k == name) else {
                return Err(ConfigError::Unknown(name));
            };
            let bad = |problem: &str| ConfigError::Malformed { name: known, problem: problem.into() };
            let value = value.trim();
            match known {
                "PORTAL_DATABASE_URL" => {
                    if !(value.starts_with("sqlite:")
                        || value.starts_with("postgres://")
                        || value.starts_with("postgresql://"))
                    {
                        return Err(bad("expected sqlite://FILE or postgres://USER@HOST/DB"));
                    }
                    s.database_url = value.to_owned();
                }
                "PORTAL_DATABASE_POOL" => {
                    s.database_pool = parse_count(value, 4, 1000)
                        .ok_or_else(|| bad("expected a count of connections between 4 and 1000"))?
                        as u32
                }
                "PORTAL_BIND" => {
                    s.bind = value.parse().map_err(|_| bad("expected an address such as 127.0.0.1:8080"))?
                }
                "PORTAL_SECURE_COOKIES" => {
                    s.secure_cookies = parse_bool(value).ok_or_else(|| bad("expected true or false"))?
                }
                "PORTAL_TRUST_FORWARDED" => {
                    s.trust_forwarded = parse_bool(value).ok_or_else(|| bad("expected true or false"))?
                }
                "PORTAL_POLICIES" => {
                    if value.is_empty() {
                        return Err(bad("expected a folder of .polar files"));
                    }
                    s.policies = Some(PathBuf::from(value));
                }
                "PORTAL_SESSION_IDLE_MINUTES" => {
                    s.session_idle = Duration::from_secs(
                        60 * parse_count(value, 1, 24 * 60)
                            .ok_or_else(|| bad("expected minutes between 1 and 1440"))?,
                    )
                }
                "PORTAL_SESSION_ABSOLUTE_HOURS" => {
                    s.session_absolute = Duration::from_secs(
                        3600 * parse_count(value, 1, 24 * 30).ok_or_else(|| bad("expected hours between 1 and 720"))?,
                    )
                }
                "PORTAL_LOGIN_MAX_FAILURES" => {
                    s.throttle.max_failures_per_account =
                        parse_count(value, 1, 1000).ok_or_else(|| bad("expected a count between 1 and 1000"))? as u32
                }
                "PORTAL_LOGIN_MAX_FAILURES_PER_ADDRESS" => {
                    s.throttle.max_failures_per_address = parse_count(value, 1, 100_000)
                        .ok_or_else(|| bad("expected a count between 1 and 100000"))?
                        as u32
                }
                "PORTAL_LOGIN_LOCKOUT_SECONDS" => {
                    s.throttle.lockout = Duration::from_secs(
                        parse_count(value, 1, 86_400).ok_or_else(|| bad("expected seconds between 1 and 86400"))?,
                    )
                }
                "PORTAL_SMTP_URL" => {
                    if !(value.starts_with("smtp://") || value.starts_with("smtps://")) {
                        return Err(bad("expected smtp://[USER:PASSWORD@]HOST[:PORT] or smtps://…"));
                    }
                    s.smtp_url = Some(value.to_owned());
                }
                "PORTAL_MAIL_FROM" => {
                    if value.parse::<lettre::message::Mailbox>().is_err() {
                        return Err(bad("expected an address such as Partner Portal <portal@example.com>"));
                    }
                    s.mail_from = value.to_owned();
                }
                "PORTAL_BASE_URL" => {
                    if !(value.starts_with("http://") || value.starts_with("https://")) {
                        return Err(bad("expected http://… or https://…"));
                    }
                    s.base_url = value.trim_end_matches('/').to_owned();
                }
                // Read by the test suite only; accepted here so it never stops a server.
                "PORTAL_TEST_DATABASE_URL" => {}
                _ => unreachable!("every KNOWN name has an arm"),
            }
        }
        if s.session_idle > s.session_absolute {
            return Err(ConfigError::Malformed {
                name: "PORTAL_SESSION_IDLE_MINUTES",
                problem: "longer than PORTAL_SESSION_ABSOLUTE_HOURS".into(),
            });
        }
        Ok(s)
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_count(value: &str, min: u64, max: u64) -> Option<u64> {
    value.parse::<u64>().ok().filter(|n| (min..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn defaults_apply_without_settings() {
        let s = Settings::from_vars(vars(&[("HOME", "/root")])).expect("defaults");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(s.database_url.starts_with("sqlite:"));
        assert!(!s.secure_cookies);
    }

    #[test]
    fn malformed_values_name_the_setting() {
        let err = Settings::from_vars(vars(&[("PORTAL_BIND", "localhost")])).unwrap_err();
        assert!(err.to_string().starts_with("PORTAL_BIND:"), "{err}");
        let err = Settings::from_vars(vars(&[("PORTAL_SECURE_COOKIES", "maybe")])).unwrap_err();
        assert!(err.to_string().starts_with("PORTAL_SECURE_COOKIES:"), "{err}");
        let err = Settings::from_vars(vars(&[("PORTAL_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().starts_with("PORTAL_DATABASE_URL:"), "{err}");
        for pool in ["3", "0", "-4", "many", "1001"] {
            let err = Settings::from_vars(vars(&[("PORTAL_DATABASE_POOL", pool)])).unwrap_err();
            assert!(err.to_string().starts_with("PORTAL_DATABASE_POOL:"), "{pool}: {err}");
        }
    }

    #[test]
    fn the_database_pool_is_two_connections_per_core_unless_set() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from) as u32;
        let s = Settings::from_vars(vars(&[])).expect("defaults");
        assert_eq!(s.database_pool, (2 * cores).max(4));
        let s = Settings::from_vars(vars(&[("PORTAL_DATABASE_POOL", "12")])).expect("set");
        assert_eq!(s.database_pool, 12);
    }

    #[test]
    fn unknown_settings_are_refused() {
        let err = Settings::from_vars(vars(&[("PORTAL_BINDD", "127.0.0.1:1")])).unwrap_err();
        assert_eq!(err, ConfigError::Unknown("PORTAL_BINDD".into()));
    }

    #[test]
    fn values_parse() {
        let s = Settings::from_vars(vars(&[
            ("PORTAL_SECURE_COOKIES", "true"),
            ("PORTAL_SESSION_IDLE_MINUTES", "5"),
            ("PORTAL_LOGIN_LOCKOUT_SECONDS", "2"),
        ]))
        .expect("valid");
        assert!(s.secure_cookies);
        assert_eq!(s.session_idle, Duration::from_secs(300));
        assert_eq!(s.throttle.lockout, Duration::from_secs(2));
    }
}
