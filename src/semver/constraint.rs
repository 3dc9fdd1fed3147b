//! Version constraints as Masterminds/semver v3.5.0 parses and evaluates them
//! (`constraints.go`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::go_quote::quote;
use super::grammar::{self, Operator};
use super::version::{Version, compare_prerelease};
use super::{Error, MAX_CONSTRAINT_GROUPS, MAX_CONSTRAINT_LEN};

/// A parsed constraint such as `>=1.2.3 <2.0.0 || ^3.0` (Go: `Constraints`).
///
/// Syntax (Go: `NewConstraint`):
/// - `||` separates alternatives ("groups"); a version satisfies the constraint when it
///   satisfies every item of some group.
/// - Items in a group are separated by spaces, or by a comma with optional spaces.
/// - An item is an operator (`=` or none, `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`),
///   optional spaces, and a version that may use `x`, `X` or `*` for its major, minor or patch
///   (everything after the first wildcard is ignored; missing parts count as wildcards).
/// - `A - B` (spaces required around the dash) means `>= A, <= B`.
///
/// Prereleases (Go: `Check`): a version with a prerelease only satisfies a group in which at
/// least one item's version has a prerelease (whatever its numbers; this is why Kubernetes
/// charts write `>=1.25.0-0` to admit `v1.33.0-gke.1000`), unless
/// [`Constraints::include_prerelease`] is set.
///
/// `Display` is Go's `String()`: groups joined by ` || `, items joined by a space, each item as
/// its operator spelling followed by its version text as written.
#[derive(Debug, Clone)]
pub struct Constraints {
    groups: Vec<Group>,
    include_prerelease: bool,
}

/// One `||` alternative.
#[derive(Debug, Clone)]
struct Group {
    items: Vec<Constraint>,
    /// Whether some item's version has a prerelease, which lets prerelease versions through.
    has_prerelease: bool,
}

/// Which part of a constraint's version was a wildcard (or missing). Go tracks this with the
/// `dirty`, `minorDirty` and `patchDirty` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wildcard {
    /// `1.2.3`: no wildcard.
    None,
    /// `*`, `x.2.3`: the bound is `0.0.0` (only `dirty` in Go).
    Major,
    /// `1`, `1.x`: the bound is `1.0.0` (`minorDirty`).
    Minor,
    /// `1.2`, `1.2.x`: the bound is `1.2.0` (`patchDirty`).
    Patch,
}

/// One `operator version` item.
#[derive(Debug, Clone)]
struct Constraint {
    operator: Operator,
    /// The operator as written (for `Display`).
    operator_text: &'static str,
    /// The version as written, e.g. `v1.2.x+meta` (Go: `orig`).
    text: String,
    /// The version with wildcards replaced by zeros and metadata of wildcard versions dropped.
    bound: Version,
    wildcard: Wildcard,
}

/// Why a version does not satisfy one constraint item (Go: the errors `Validate` collects).
///
/// `Display` is the exact Go message. `version` is the version's `String()` form and
/// `constraint` the item's version text as written (without its operator).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsatisfied {
    /// A prerelease version met a group whose items have no prerelease.
    #[error(
        "{} is a prerelease version and the constraint is only looking for release versions",
        quote(.version)
    )]
    Prerelease {
        /// The version.
        version: String,
    },
    /// `!=`: the version is the excluded one (or inside the excluded wildcard range).
    #[error("{} is equal to {}", quote(.version), quote(.constraint))]
    EqualTo {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `>`: the version is not above the bound.
    #[error("{} is less than or equal to {}", quote(.version), quote(.constraint))]
    NotGreater {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `<`: the version is not below the bound.
    #[error("{} is greater than or equal to {}", quote(.version), quote(.constraint))]
    NotLess {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `>=`, `~`, `^`: the version is below the bound.
    #[error("{} is less than {}", quote(.version), quote(.constraint))]
    Less {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `<=`: the version is above the bound.
    #[error("{} is greater than {}", quote(.version), quote(.constraint))]
    Greater {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `=`: the version differs from the bound.
    #[error("{} is not equal to {}", quote(.version), quote(.constraint))]
    NotEqual {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `~`, `^`: the major numbers differ.
    #[error("{} does not have same major version as {}", quote(.version), quote(.constraint))]
    MajorDiffers {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `~`: the minor numbers differ.
    #[error(
        "{} does not have same major and minor version as {}",
        quote(.version),
        quote(.constraint)
    )]
    MinorDiffersTilde {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `^0.y`: the minor numbers differ where the bound's minor is set.
    #[error(
        "{} does not have same minor version as {}. Expected minor versions to match when constraint major version is 0",
        quote(.version),
        quote(.constraint)
    )]
    MinorDiffersCaret {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `^0.0`: the version has a minor number above 0.
    #[error("{} does not have same minor version as {}", quote(.version), quote(.constraint))]
    MinorNotZero {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
    /// `^0.0.z`: the patch numbers differ.
    #[error(
        "{} does not equal {}. Expect version and constraint to equal when major and minor versions are 0",
        quote(.version),
        quote(.constraint)
    )]
    PatchDiffers {
        /// The version.
        version: String,
        /// The item's version text.
        constraint: String,
    },
}

impl Constraints {
    /// Parses a constraint string (Go: `NewConstraint`). See the type docs for the syntax.
    ///
    /// # Errors
    /// [`Error::ConstraintTooLong`] over 512 bytes; [`Error::TooManyConstraintGroups`] over 32
    /// `||` groups (counted after hyphen ranges are rewritten); then, group by group,
    /// [`Error::ImproperConstraint`] for a group that is not a list of items (an empty string
    /// or empty group included) and [`Error::ConstraintParser`] for an item whose version does
    /// not parse.
    pub fn parse(constraint: &str) -> Result<Constraints, Error> {
        if constraint.len() > MAX_CONSTRAINT_LEN {
            return Err(Error::ConstraintTooLong);
        }
        let rewritten = grammar::rewrite_hyphen_ranges(constraint);
        let texts: Vec<&str> = rewritten.split("||").collect();
        if texts.len() > MAX_CONSTRAINT_GROUPS {
            return Err(Error::TooManyConstraintGroups);
        }
        let mut groups = Vec::with_capacity(texts.len());
        for text in texts {
            if !grammar::is_valid_group(text) {
                return Err(Error::ImproperConstraint {
                    group: text.to_string(),
                });
            }
            let items = grammar::items(text)
                .iter()
                .map(|item| Constraint::from_item(text, item))
                .collect::<Result<Vec<_>, _>>()?;
            let has_prerelease = items.iter().any(|c| !c.bound.prerelease().is_empty());
            groups.push(Group {
                items,
                has_prerelease,
            });
        }
        Ok(Constraints {
            groups,
            include_prerelease: false,
        })
    }

    /// Lets prerelease versions satisfy every group, not only groups with a prerelease item
    /// (Go: the `IncludePrerelease` field; Helm never sets it).
    pub fn include_prerelease(mut self, include: bool) -> Self {
        self.include_prerelease = include;
        self
    }

    /// Whether `version` satisfies the constraint (Go: `Check`).
    pub fn check(&self, version: &Version) -> bool {
        self.groups.iter().any(|group| {
            let include = self.include_prerelease || group.has_prerelease;
            group
                .items
                .iter()
                .all(|item| item.check(version, include).is_ok())
        })
    }

    /// Like [`Constraints::check`], but explains a failure (Go: `Validate`, used by
    /// `helm lint`).
    ///
    /// # Errors
    /// When no group is satisfied: every reason from every group in order, each failing item
    /// contributing one; a prerelease version rejected only for being a prerelease is reported
    /// once (the first time) for the whole constraint.
    pub fn validate(&self, version: &Version) -> Result<(), Vec<Unsatisfied>> {
        let mut reasons = Vec::new();
        let mut prerelease_reported = false;
        for group in &self.groups {
            let include = self.include_prerelease || group.has_prerelease;
            let mut satisfied = true;
            for item in &group.items {
                if !include && !version.prerelease().is_empty() {
                    if !prerelease_reported {
                        reasons.push(Unsatisfied::Prerelease {
                            version: version.to_string(),
                        });
                        prerelease_reported = true;
                    }
                    satisfied = false;
                } else if let Err(reason) = item.check(version, include) {
                    reasons.push(reason);
                    satisfied = false;
                }
            }
            if satisfied {
                return Ok(());
            }
        }
        Err(reasons)
    }
}

impl Constraint {
    /// Builds an item from its scanned spans in `group` (Go: `parseConstraint`).
    fn from_item(group: &str, item: &grammar::Item) -> Result<Constraint, Error> {
        let part = |span: &Option<std::ops::Range<usize>>| span.clone().and_then(|s| group.get(s));
        let text = group.get(item.token.whole.clone()).unwrap_or_default();
        let major = group.get(item.token.major.clone()).unwrap_or_default();
        let minor = part(&item.token.minor);
        let patch = part(&item.token.patch);
        let prerelease = part(&item.token.prerelease)
            .map(|p| format!("-{p}"))
            .unwrap_or_default();
        let is_wild = |p: Option<&str>| p.is_none_or(|p| matches!(p, "x" | "X" | "*"));
        let (wildcard, bound_text) = if is_wild(Some(major)) {
            (Wildcard::Major, format!("0.0.0{prerelease}"))
        } else if is_wild(minor) {
            (Wildcard::Minor, format!("{major}.0.0{prerelease}"))
        } else if is_wild(patch) {
            let minor = minor.unwrap_or_default();
            (Wildcard::Patch, format!("{major}.{minor}.0{prerelease}"))
        } else {
            (Wildcard::None, text.to_string())
        };
        let bound = Version::parse(&bound_text).map_err(|_| Error::ConstraintParser)?;
        Ok(Constraint {
            operator: item.operator,
            operator_text: item.operator_text,
            text: text.to_string(),
            bound,
            wildcard,
        })
    }

    /// Checks one item; `include_prerelease` says whether prerelease versions may pass.
    fn check(&self, version: &Version, include_prerelease: bool) -> Result<(), Unsatisfied> {
        if !include_prerelease && !version.prerelease().is_empty() {
            return Err(Unsatisfied::Prerelease {
                version: version.to_string(),
            });
        }
        match self.operator {
            Operator::Equal => self.check_equal(version),
            Operator::NotEqual => self.check_not_equal(version),
            Operator::Greater => self.check_greater(version),
            Operator::Less => self.require(version < &self.bound, version, Rule::NotLess),
            Operator::GreaterEqual => self.require(version >= &self.bound, version, Rule::Less),
            Operator::LessEqual => self.check_less_equal(version),
            Operator::Tilde => self.check_tilde(version),
            Operator::Caret => self.check_caret(version),
        }
    }

    /// `Ok` when `holds`, else the reason built from the version and this item's text.
    fn require(&self, holds: bool, version: &Version, rule: Rule) -> Result<(), Unsatisfied> {
        if holds {
            Ok(())
        } else {
            Err(self.reason(version, rule))
        }
    }

    fn reason(&self, version: &Version, rule: Rule) -> Unsatisfied {
        rule.reason(version.to_string(), self.text.clone())
    }

    /// `=` or no operator: equality, or the tilde rule when the version has a wildcard.
    fn check_equal(&self, version: &Version) -> Result<(), Unsatisfied> {
        if self.wildcard != Wildcard::None {
            return self.check_tilde(version);
        }
        self.require(version == &self.bound, version, Rule::NotEqual)
    }

    /// `!=`: a wildcard excludes its whole range; the prerelease must also match to be
    /// excluded for `x.y.*`. A major wildcard (`!=*`) only excludes the bound `0.0.0[-pre]`.
    fn check_not_equal(&self, version: &Version) -> Result<(), Unsatisfied> {
        let bound = &self.bound;
        if self.wildcard != Wildcard::None {
            if bound.major() != version.major() {
                return Ok(());
            }
            if self.wildcard == Wildcard::Minor {
                return Err(self.reason(version, Rule::EqualTo));
            }
            if bound.minor() != version.minor() {
                return Ok(());
            }
            if self.wildcard == Wildcard::Patch {
                let prerelease_differs = (!version.prerelease().is_empty()
                    || !bound.prerelease().is_empty())
                    && compare_prerelease(version.prerelease(), bound.prerelease())
                        != Ordering::Equal;
                return self.require(prerelease_differs, version, Rule::EqualTo);
            }
            if bound.patch() != version.patch() {
                return Ok(());
            }
        }
        self.require(version != bound, version, Rule::EqualTo)
    }

    /// `>`: with a wildcard, greater means outside the whole wildcard range.
    fn check_greater(&self, version: &Version) -> Result<(), Unsatisfied> {
        let bound = &self.bound;
        let holds = match self.wildcard {
            Wildcard::None => version > bound,
            _ if version.major() != bound.major() => version.major() > bound.major(),
            Wildcard::Minor => false,
            Wildcard::Patch => version.minor() > bound.minor(),
            // Both majors are 0 here.
            Wildcard::Major => version > bound,
        };
        self.require(holds, version, Rule::NotGreater)
    }

    /// `<=`: with a wildcard, anything inside the wildcard range passes.
    fn check_less_equal(&self, version: &Version) -> Result<(), Unsatisfied> {
        let bound = &self.bound;
        let holds = if self.wildcard == Wildcard::None {
            version <= bound
        } else {
            version.major() <= bound.major()
                && !(version.major() == bound.major()
                    && version.minor() > bound.minor()
                    && self.wildcard != Wildcard::Minor)
        };
        self.require(holds, version, Rule::Greater)
    }

    /// `~`: at least the bound, same major, and same minor unless the minor was a wildcard;
    /// a bound of exactly `0.0.0` without a minor/patch wildcard admits everything above it.
    fn check_tilde(&self, version: &Version) -> Result<(), Unsatisfied> {
        let bound = &self.bound;
        if version < bound {
            return Err(self.reason(version, Rule::Less));
        }
        let zero = bound.major() == 0 && bound.minor() == 0 && bound.patch() == 0;
        if zero && !matches!(self.wildcard, Wildcard::Minor | Wildcard::Patch) {
            return Ok(());
        }
        if version.major() != bound.major() {
            return Err(self.reason(version, Rule::MajorDiffers));
        }
        if version.minor() != bound.minor() && self.wildcard != Wildcard::Minor {
            return Err(self.reason(version, Rule::MinorDiffersTilde));
        }
        Ok(())
    }

    /// `^`: at least the bound and below the next change of its leftmost non-zero part
    /// (`^1.2.3` < 2.0.0, `^0.2.3` < 0.3.0, `^0.0.3` = 0.0.3); `^1.x` keeps the major, `^0.1.x`
    /// the minor. A major wildcard (`^*`) behaves like `^0.0.0`.
    fn check_caret(&self, version: &Version) -> Result<(), Unsatisfied> {
        let bound = &self.bound;
        if version < bound {
            return Err(self.reason(version, Rule::Less));
        }
        if bound.major() > 0 || self.wildcard == Wildcard::Minor {
            let same = version.major() == bound.major();
            return self.require(same, version, Rule::MajorDiffers);
        }
        if version.major() > 0 {
            return Err(self.reason(version, Rule::MajorDiffers));
        }
        if bound.minor() > 0 || self.wildcard == Wildcard::Patch {
            let same = version.minor() == bound.minor();
            return self.require(same, version, Rule::MinorDiffersCaret);
        }
        if version.minor() > 0 {
            return Err(self.reason(version, Rule::MinorNotZero));
        }
        let same = version.patch() == bound.patch();
        self.require(same, version, Rule::PatchDiffers)
    }
}

impl fmt::Display for Constraints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (g, group) in self.groups.iter().enumerate() {
            if g > 0 {
                f.write_str(" || ")?;
            }
            for (i, item) in group.items.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{}{}", item.operator_text, item.text)?;
            }
        }
        Ok(())
    }
}

impl FromStr for Constraints {
    type Err = Error;

    /// Same as [`Constraints::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Constraints::parse(text)
    }
}

/// The rule an item failed, before the version and constraint texts are attached.
#[derive(Debug, Clone, Copy)]
enum Rule {
    EqualTo,
    NotGreater,
    NotLess,
    Less,
    Greater,
    NotEqual,
    MajorDiffers,
    MinorDiffersTilde,
    MinorDiffersCaret,
    MinorNotZero,
    PatchDiffers,
}

impl Rule {
    fn reason(self, version: String, constraint: String) -> Unsatisfied {
        match self {
            Rule::EqualTo => Unsatisfied::EqualTo {
                version,
                constraint,
            },
            Rule::NotGreater => Unsatisfied::NotGreater {
                version,
                constraint,
            },
            Rule::NotLess => Unsatisfied::NotLess {
                version,
                constraint,
            },
            Rule::Less => Unsatisfied::Less {
                version,
                constraint,
            },
            Rule::Greater => Unsatisfied::Greater {
                version,
                constraint,
            },
            Rule::NotEqual => Unsatisfied::NotEqual {
                version,
                constraint,
            },
            Rule::MajorDiffers => Unsatisfied::MajorDiffers {
                version,
                constraint,
            },
            Rule::MinorDiffersTilde => Unsatisfied::MinorDiffersTilde {
                version,
                constraint,
            },
            Rule::MinorDiffersCaret => Unsatisfied::MinorDiffersCaret {
                version,
                constraint,
            },
            Rule::MinorNotZero => Unsatisfied::MinorNotZero {
                version,
                constraint,
            },
            Rule::PatchDiffers => Unsatisfied::PatchDiffers {
                version,
                constraint,
            },
        }
    }
}

// Every expectation below is also a row of testdata/oracle.tsv (produced by the Go library);
// these tests name the rule each one demonstrates.
#[cfg(test)]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::*;

    fn check(constraint: &str, version: &str) -> bool {
        let constraints = Constraints::parse(constraint).expect("valid constraint");
        constraints.check(&Version::parse(version).expect("valid version"))
    }

    fn reasons(constraint: &str, version: &str) -> Vec<String> {
        let constraints = Constraints::parse(constraint).expect("valid constraint");
        match constraints.validate(&Version::parse(version).expect("valid version")) {
            Ok(()) => Vec::new(),
            Err(reasons) => reasons.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn prereleases_pass_only_groups_that_mention_a_prerelease() {
        assert!(!check(">=1.25.0", "v1.33.0-gke.1000"));
        assert!(check(">=1.25.0-0", "v1.33.0-gke.1000"));
        assert!(check(">=1.25.0-0", "1.25.0-0"));
        // Any item of the group may carry the prerelease, on any version numbers.
        assert!(check(">1.0.0 <1.2.3-beta", "1.2.3-alpha"));
        assert!(!check(">1.0.0 <1.2.3-beta", "1.0.0-beta.2"));
        let included = Constraints::parse(">=1.25.0")
            .expect("valid")
            .include_prerelease(true);
        assert!(included.check(&Version::parse("v1.33.0-gke.1000").expect("valid")));
    }

    #[test]
    fn tilde_keeps_major_and_minor() {
        assert!(check("~1.2.3", "1.2.4"));
        assert!(!check("~1.2.3", "1.3.0"));
        assert!(!check("~1.2.3", "1.2.2"));
        assert!(check("~1", "1.5.0"));
        assert!(!check("~1", "2.0.0"));
    }

    #[test]
    fn caret_keeps_the_leftmost_non_zero_part() {
        assert!(check("^1.2", "1.5.0"));
        assert!(!check("^1.2", "2.0.0"));
        assert!(check("^0.2.3", "0.2.4"));
        assert!(!check("^0.2.3", "0.3.0"));
        assert!(check("^0.0.3", "0.0.3"));
        assert!(!check("^0.0.3", "0.0.4"));
        // A major wildcard is treated like ^0.0.0.
        assert!(check("^*", "0.0.0"));
        assert!(!check("^*", "1.0.0"));
    }

    #[test]
    fn wildcards_cover_their_whole_range() {
        assert!(!check("!=1.2.x", "1.2.4"));
        assert!(check("!=1.2.x", "1.3.0"));
        assert!(!check(">1.x", "1.5.0"));
        assert!(check(">1.x", "2.0.0"));
        assert!(check("<=1.x", "1.5.0"));
        assert!(!check("<=1.x", "2.0.0"));
        // `<=*` keeps major 0 only.
        assert!(check("<=*", "0.0.0"));
        assert!(!check("<=*", "1.0.0"));
    }

    #[test]
    fn hyphen_ranges_and_alternatives() {
        assert!(check("1.2 - 1.4.5", "1.2.0"));
        assert!(check("1.2 - 1.4.5", "1.4.5"));
        assert!(!check("1.2 - 1.4.5", "1.4.6"));
        assert!(check("<1.0.0 || >=2.0.0", "0.2.0"));
        assert!(!check("<1.0.0 || >=2.0.0", "1.5.0"));
        assert!(check("<1.0.0 || >=2.0.0", "2.0.0"));
    }

    #[test]
    fn display_normalizes_operators_and_separators() {
        let shown = |c: &str| Constraints::parse(c).expect("valid").to_string();
        assert_eq!(shown(">= 1.0.0 , < 2.0.0"), ">=1.0.0 <2.0.0");
        assert_eq!(shown("1.2 - 1.4.5"), ">=1.2 <=1.4.5");
        assert_eq!(shown("1||2 - 3"), ">=1 || 2 <=3");
        assert_eq!(shown("~> 1.2"), "~>1.2");
    }

    #[test]
    fn parse_errors_match_go() {
        let error = |c: &str| Constraints::parse(c).err().map(|e| e.to_string());
        assert_eq!(error("").as_deref(), Some("improper constraint: \"\""));
        assert_eq!(
            error("1.2.3 ||").as_deref(),
            Some("improper constraint: \"\"")
        );
        assert_eq!(
            error(">=1.2.3<2.0").as_deref(),
            Some("improper constraint: \">=1.2.3<2.0\"")
        );
        assert_eq!(
            error("1.0 - 2.0 - 3.0").as_deref(),
            Some("improper constraint: \">= 1.0, <= 2.0 - 3.0\"")
        );
        assert_eq!(
            error("1.2.3-01").as_deref(),
            Some("constraint parser error")
        );
        assert_eq!(error("1|2").as_deref(), Some("constraint parser error"));
        assert_eq!(
            error(&"1".repeat(513)).as_deref(),
            Some("constraint string is too long (max 512 bytes)")
        );
    }

    #[test]
    fn validate_explains_each_failed_item() {
        assert_eq!(
            reasons("<1.0.0 || >=2.0.0", "1.0.0"),
            [
                "\"1.0.0\" is greater than or equal to \"1.0.0\"",
                "\"1.0.0\" is less than \"2.0.0\""
            ]
        );
        assert_eq!(
            reasons("^0.2.3", "0.3.0"),
            [
                "\"0.3.0\" does not have same minor version as \"0.2.3\". Expected minor versions to match when constraint major version is 0"
            ]
        );
        assert_eq!(
            reasons("<1.0.0 || >=2.0.0", "1.2.3-beta"),
            [
                "\"1.2.3-beta\" is a prerelease version and the constraint is only looking for release versions"
            ]
        );
        assert!(reasons("<1.0.0 || >=2.0.0", "0.3.0").is_empty());
    }
}
