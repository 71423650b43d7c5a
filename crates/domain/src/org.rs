use super::Invalid;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// # Errors
            /// A value that is not one of `ALL`.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                match raw.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Invalid::new(format!(
                        concat!("Choose a ", $what, ": {}."),
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }
    };
}

string_enum!(
    /// The vendor runs the portal; partners are its distributors and resellers.
    OrgKind, "kind of organization" { Vendor => "vendor", Partner => "partner" }
);
string_enum!(
    /// A partner's program tier.
    Tier, "tier" { Registered => "registered", Silver => "silver", Gold => "gold", Platinum => "platinum" }
);
string_enum!(OrgStatus, "status" { Active => "active", Suspended => "suspended" });
string_enum!(UserStatus, "status" { Invited => "invited", Active => "active", Disabled => "disabled" });

fn bounded_text(raw: &str, what: &str, max: usize) -> Result<String, Invalid> {
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return Err(Invalid::new(format!("Enter {what}.")));
    }
    if value.chars().count() > max {
        return Err(Invalid::new(format!("Keep {what} under {max} characters.")));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(format!("{what} contains characters that are not allowed.")));
    }
    Ok(value)
}

/// An organization's display name: 1–120 characters, inner white space folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    /// # Errors
    /// Empty, too long, or with control characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded_text(raw, "the organization's name", 120).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name: 1–120 characters, inner white space folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// # Errors
    /// Empty, too long, or with control characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded_text(raw, "a name", 120).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Raw fields of the new-partner form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct NewPartnerForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub tier: String,
    /// Empty for an independent partner or distributor.
    #[serde(default)]
    pub parent_id: String,
}

/// A new partner, parsed.
#[derive(Debug)]
pub struct NewPartner {
    pub name: OrgName,
    pub tier: Tier,
    pub parent_id: Option<i64>,
}

impl NewPartnerForm {
    /// # Errors
    /// The first field that does not parse.
    pub fn parse(&self) -> Result<NewPartner, Invalid> {
        let parent_id = match self.parent_id.trim() {
            "" => None,
            raw => Some(crate::parse_id(raw).map_err(|_| Invalid::new("Choose a parent from the list."))?),
        };
        Ok(NewPartner { name: OrgName::parse(&self.name)?, tier: Tier::parse(&self.tier)?, parent_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_folded_and_bounded() {
        assert_eq!(OrgName::parse("  Blue   Harbor IT ").map(|n| n.0), Ok("Blue Harbor IT".into()));
        assert!(OrgName::parse("   ").is_err());
        assert!(OrgName::parse(&"x".repeat(121)).is_err());
        assert!(PersonName::parse("Bob\u{7}").is_err());
    }

    #[test]
    fn unknown_enum_values_are_refused() {
        assert_eq!(Tier::parse("gold"), Ok(Tier::Gold));
        assert!(Tier::parse("diamond").is_err());
        assert!(OrgStatus::parse("").is_err());
    }
}
