use super::Invalid;

/// An email address, trimmed and lower-cased so that equality is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// Empty, longer than 254 characters, without exactly one `@` between a non-empty
    /// local part and a dotted domain, or containing spaces or control characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_lowercase();
        let bad = || Invalid::new("Enter an email address such as name@example.com.");
        if value.is_empty() || value.len() > 254 {
            return Err(bad());
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        // The common address forms only: no quoted local parts or IP literals, which
        // no partner uses and which would only widen what we have to escape.
        let local_ok = local.chars().all(|c| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
        let domain_chars_ok = domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || !domain_ok || !local_ok || !domain_chars_ok {
            return Err(bad());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized() {
        let email = Email::parse("  Bob@BlueHarbor.Example ").expect("valid");
        assert_eq!(email.as_str(), "bob@blueharbor.example");
    }

    #[test]
    fn malformed_emails_are_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "bob",
            "bob@",
            "@example.com",
            "bob@example",
            "b ob@example.com",
            "a@b@c.com",
            "bob@.com",
            "<b>@x.com",
            "a@b_c.com",
            "\"a b\"@x.com",
            long.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
