//! Approval chains as data: `policies/approvals.toml` lists, per kind of request, the
//! ordered steps, who decides each, when it applies, and its SLA. Parsed and checked
//! once; every mistake is reported with its line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::request::{Fields, RequestKind};

/// Who may decide a step: a role held in the vendor organization, or the relation
/// "account manager of the requesting partner".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decider {
    AccountManager,
    VendorRole(&'static str),
}

impl Decider {
    const VENDOR_ROLES: [&'static str; 4] = ["staff", "channel_manager", "finance", "admin"];

    /// As stored on a step and handed to the policy: `account_manager` or the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Decider::AccountManager => "account_manager",
            Decider::VendorRole(role) => role,
        }
    }

    pub fn label(self) -> String {
        match self {
            Decider::AccountManager => "The partner's account manager".to_owned(),
            Decider::VendorRole("admin") => "A vendor admin".to_owned(),
            Decider::VendorRole(role) => format!("Vendor {}", role.replace('_', " ")),
        }
    }

    /// # Errors
    /// Neither `account_manager` nor a vendor role.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw == "account_manager" {
            return Ok(Decider::AccountManager);
        }
        Self::VENDOR_ROLES.into_iter().find(|r| *r == raw).map(Decider::VendorRole).ok_or_else(|| {
            format!("unknown decider {raw:?}; use account_manager or a vendor role ({})", Self::VENDOR_ROLES.join(", "))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    const ALL: [(&'static str, Op); 6] =
        [(">=", Op::Ge), ("<=", Op::Le), ("==", Op::Eq), ("!=", Op::Ne), (">", Op::Gt), ("<", Op::Lt)];

    fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Op::Gt => left > right,
            Op::Ge => left >= right,
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
        }
    }
}

/// `field op value`, such as `discount_percent > 20`; the value is kept in hundredths,
/// like the request's amounts (cents) and percents (hundredths of a percent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    pub value: i64,
    pub text: String,
}

impl Condition {
    fn parse(raw: &str, kind: RequestKind) -> Result<Self, String> {
        let raw = raw.trim();
        let (at, sym, op) = Op::ALL
            .iter()
            .filter_map(|(sym, op)| raw.find(sym).map(|at| (at, *sym, *op)))
            .min_by_key(|(at, sym, _)| (*at, std::cmp::Reverse(sym.len())))
            .ok_or_else(|| format!("condition {raw:?} has no operator; use one of > >= < <= == !="))?;
        let field = raw[..at].trim();
        let value = raw[at + sym.len()..].trim();
        if !kind.condition_fields().contains(&field) {
            return Err(format!(
                "unknown field {field:?} for {}; conditions may test {}",
                kind.as_str(),
                kind.condition_fields().join(", ")
            ));
        }
        if value.starts_with(['=', '>', '<', '!']) {
            return Err(format!("condition {raw:?} has an unknown operator"));
        }
        let value = super::money::parse_decimal(value, 2)
            .map_err(|why| format!("condition {raw:?}: the value is not a number ({why})"))?;
        Ok(Self { field: field.to_owned(), op, value, text: raw.to_owned() })
    }

    pub fn holds(&self, fields: &Fields) -> bool {
        fields.condition_value(&self.field).is_some_and(|v| self.op.holds(v, self.value))
    }
}

/// One step of a chain as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRule {
    pub name: String,
    pub decider: Decider,
    pub when: Option<Condition>,
    pub sla_hours: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindChain {
    pub steps: Vec<StepRule>,
}

/// Every kind's chain, plus how long a deal registration protects its customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chains {
    pub kinds: BTreeMap<&'static str, KindChain>,
    pub protection_days: i64,
}

/// A mistake in the chain file, with its line (1-based) when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ChainError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    deal_registration: Option<Spanned<RawKind>>,
    #[serde(default)]
    discount: Option<Spanned<RawKind>>,
    #[serde(default)]
    mdf: Option<Spanned<RawKind>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    #[serde(default)]
    protection_days: Option<Spanned<i64>>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Spanned<String>,
    decider: Spanned<String>,
    #[serde(default)]
    when: Option<Spanned<String>>,
    sla_hours: Spanned<i64>,
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

impl Chains {
    /// The built-in chains, carried by the binary.
    pub const BUILTIN: &'static str = include_str!("../../../policies/approvals.toml");

    /// Parses and checks a chain file; `file` names it in errors.
    ///
    /// # Errors
    /// Unknown kinds, fields, deciders, condition fields or operators; a kind without
    /// an unconditional first step; SLAs or protection windows out of bounds.
    pub fn parse(source: &str, file: &str) -> Result<Self, ChainError> {
        let err = |offset: usize, message: String| ChainError {
            file: file.to_owned(),
            line: line_of(source, offset),
            message,
        };
        let raw: RawFile = toml::from_str(source).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            err(offset, e.message().trim().to_owned())
        })?;
        let mut kinds = BTreeMap::new();
        let mut protection_days = 90;
        for (kind, entry) in [
            (RequestKind::DealRegistration, raw.deal_registration),
            (RequestKind::Discount, raw.discount),
            (RequestKind::Mdf, raw.mdf),
        ] {
            let Some(entry) = entry else {
                return Err(err(0, format!("no chain for {}; every kind of request needs one", kind.as_str())));
            };
            let at = entry.span().start;
            let entry = entry.into_inner();
            if let Some(days) = entry.protection_days {
                if kind != RequestKind::DealRegistration {
                    return Err(err(days.span().start, "protection_days applies to deal_registration only".into()));
                }
                if !(1..=730).contains(days.get_ref()) {
                    return Err(err(days.span().start, "protection_days must be between 1 and 730".into()));
                }
                protection_days = *days.get_ref();
            }
            let mut steps = Vec::new();
            for step in entry.steps {
                let step_at = step.span().start;
                let step = step.into_inner();
                let name = step.name.get_ref().trim();
                if name.is_empty() || name.chars().count() > 80 {
                    return Err(err(step.name.span().start, "a step needs a name of at most 80 characters".into()));
                }
                let decider = Decider::parse(step.decider.get_ref()).map_err(|m| err(step.decider.span().start, m))?;
                let when = match &step.when {
                    Some(raw) => Some(Condition::parse(raw.get_ref(), kind).map_err(|m| err(raw.span().start, m))?),
                    None => None,
                };
                let sla = *step.sla_hours.get_ref();
                if !(1..=24 * 90).contains(&sla) {
                    return Err(err(step.sla_hours.span().start, "sla_hours must be between 1 and 2160".into()));
                }
                if steps.is_empty() && when.is_some() {
                    return Err(err(
                        step_at,
                        format!("the first step of {} must apply always (no `when`)", kind.as_str()),
                    ));
                }
                steps.push(StepRule {
                    name: name.to_owned(),
                    decider,
                    when,
                    sla_hours: i32::try_from(sla).unwrap_or(i32::MAX),
                });
            }
            if steps.is_empty() {
                return Err(err(at, format!("{} has no steps", kind.as_str())));
            }
            kinds.insert(kind.as_str(), KindChain { steps });
        }
        Ok(Self { kinds, protection_days })
    }

    /// The built-in file, parsed.
    ///
    /// # Errors
    /// A mistake in the built-in file (caught by the test suite).
    pub fn builtin() -> Result<Self, ChainError> {
        Self::parse(Self::BUILTIN, "approvals.toml (built in)")
    }

    /// The steps that apply to a request with these fields, in order.
    pub fn steps_for(&self, fields: &Fields) -> Vec<StepRule> {
        self.kinds
            .get(fields.kind().as_str())
            .map(|chain| {
                chain.steps.iter().filter(|s| s.when.as_ref().is_none_or(|c| c.holds(fields))).cloned().collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldsInput, request::Fields};

    fn discount(percent: &str) -> Fields {
        let input = FieldsInput {
            currency: "USD".into(),
            list_amount: "20000".into(),
            discount_percent: percent.into(),
            justification: "Competitive displacement".into(),
            ..FieldsInput::default()
        };
        Fields::parse(RequestKind::Discount, &input, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("d"))
            .expect("valid")
    }

    #[test]
    fn the_builtin_chains_follow_the_thresholds() {
        let chains = Chains::builtin().expect("built-in file is valid");
        let names =
            |p: &str| chains.steps_for(&discount(p)).into_iter().map(|s| s.decider.as_str()).collect::<Vec<_>>();
        assert_eq!(names("15"), ["account_manager"]);
        assert_eq!(names("20"), ["account_manager"]);
        assert_eq!(names("20.01"), ["account_manager", "finance"]);
        assert_eq!(names("35"), ["account_manager", "finance"]);
        assert_eq!(names("45"), ["account_manager", "finance", "admin"]);
        assert_eq!(chains.protection_days, 90);
    }

    fn error_of(source: &str) -> ChainError {
        Chains::parse(source, "approvals.toml").expect_err("refused")
    }

    const GOOD_TAIL: &str = "\n[[discount.steps]]\nname = \"AM\"\ndecider = \"account_manager\"\nsla_hours = 24\n\
        \n[[mdf.steps]]\nname = \"AM\"\ndecider = \"account_manager\"\nsla_hours = 24\n";

    #[test]
    fn mistakes_are_reported_with_their_line() {
        let cases = [
            ("[[deal_registration.steps]]\nname = \"x\"\ndecider = \"ceo\"\nsla_hours = 4\n", 3, "unknown decider"),
            (
                "[[deal_registration.steps]]\nname = \"x\"\ndecider = \"finance\"\nsla_hours = 4\n\
                 [[deal_registration.steps]]\nname = \"y\"\ndecider = \"admin\"\nwhen = \"margin > 3\"\nsla_hours = 4\n",
                8,
                "unknown field \"margin\"",
            ),
            (
                "[[deal_registration.steps]]\nname = \"x\"\ndecider = \"finance\"\nsla_hours = 4\n\
                 [[deal_registration.steps]]\nname = \"y\"\ndecider = \"admin\"\nwhen = \"amount >> 3\"\nsla_hours = 4\n",
                8,
                "unknown operator",
            ),
            (
                "[[deal_registration.steps]]\nname = \"x\"\ndecider = \"finance\"\nsla_hours = 4\n\
                 [[deal_registration.steps]]\nname = \"y\"\ndecider = \"admin\"\nwhen = \"amount ~ 3\"\nsla_hours = 4\n",
                8,
                "no operator",
            ),
            ("[[deal_registration.steps]]\nname = \"x\"\ndecider = \"finance\"\nsla_hours = 0\n", 4, "sla_hours"),
            ("[[deal_registration.steps]]\nname = \"x\"\ndecider = \"finance\"\nsla = 4\n", 4, "unknown field"),
            ("[[rebate.steps]]\nname = \"x\"\n", 1, "unknown field `rebate`"),
            (
                "[[deal_registration.steps]]\nname = \"x\"\ndecider = \"finance\"\nwhen = \"amount > 5\"\nsla_hours = 4\n",
                1,
                "first step",
            ),
        ];
        for (head, line, needle) in cases {
            let source = format!("{head}{GOOD_TAIL}");
            let err = error_of(&source);
            assert!(err.message.contains(needle), "{needle}: {err}");
            assert_eq!(err.line, line, "{needle}: {err}");
        }
    }

    #[test]
    fn a_missing_kind_is_an_error() {
        let err = error_of("[[discount.steps]]\nname = \"AM\"\ndecider = \"account_manager\"\nsla_hours = 24\n");
        assert!(err.message.contains("deal_registration"), "{err}");
    }

    #[test]
    fn a_syntax_error_has_its_line() {
        let err = error_of("[deal_registration]\nprotection_days = \n");
        assert_eq!(err.line, 2, "{err}");
    }
}
