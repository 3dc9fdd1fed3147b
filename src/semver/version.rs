//! A semantic version as Masterminds/semver v3.5.0 models it (`version.go`).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use super::grammar::{identifiers, is_identifier_byte};
use super::{Error, MAX_VERSION_LEN};

/// A parsed version: `major.minor.patch`, an optional prerelease and optional build metadata,
/// plus the text it was parsed from.
///
/// Ordering ([`Ord`]) follows Go's `Version.Compare`: numbers first; a version with a
/// prerelease sorts before the same version without one; prereleases compare identifier by
/// identifier (numeric identifiers numerically and below alphanumeric ones, alphanumeric ones
/// byte-wise, fewer identifiers first when all shared ones are equal); build metadata and the
/// original text are ignored. Equality ([`PartialEq`]) and [`Hash`] agree with that ordering,
/// so `1.0.0+a == v1.0.0+b`.
///
/// `Display` is Go's `String()`: `major.minor.patch[-prerelease][+metadata]`, never with a `v`.
#[derive(Debug, Clone)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    prerelease: String,
    metadata: String,
    original: String,
}

impl Version {
    /// Parses a version leniently, as Go's `NewVersion` does (with the library defaults Helm
    /// keeps: `CoerceNewVersion = true`).
    ///
    /// Accepted: an optional lowercase `v`, a major number, then optionally `.minor` and
    /// `.patch` (missing ones are 0; leading zeros are allowed and dropped), then optionally
    /// `-prerelease` and `+metadata` made of dot-separated identifiers over `[0-9A-Za-z-]`.
    /// Nothing else may surround it (no spaces).
    ///
    /// # Errors
    /// [`Error::VersionTooLong`] over 256 bytes; [`Error::InvalidSemVer`] when the shape is
    /// wrong; [`Error::SegmentOutOfRange`] when a number exceeds `u64` (checked major, minor,
    /// patch in that order); [`Error::SegmentStartsZero`] when a numeric prerelease identifier
    /// has a leading zero.
    pub fn parse(text: &str) -> Result<Version, Error> {
        if text.len() > MAX_VERSION_LEN {
            return Err(Error::VersionTooLong);
        }
        let bytes = text.as_bytes();
        let mut pos = usize::from(bytes.first() == Some(&b'v'));
        let major = digits(bytes, &mut pos).ok_or(Error::InvalidSemVer)?;
        let minor = dot_digits(bytes, &mut pos);
        let patch = dot_digits(bytes, &mut pos);
        let prerelease = identifiers(bytes, &mut pos, b'-');
        let metadata = identifiers(bytes, &mut pos, b'+');
        if pos != bytes.len() {
            return Err(Error::InvalidSemVer);
        }
        let slice = |span: Option<std::ops::Range<usize>>| span.and_then(|s| text.get(s));
        let number = |span: Option<std::ops::Range<usize>>| -> Result<u64, Error> {
            match slice(span) {
                None => Ok(0),
                Some(segment) => segment.parse().map_err(|_| Error::SegmentOutOfRange {
                    segment: segment.to_string(),
                }),
            }
        };
        let version = Version {
            major: number(Some(major))?,
            minor: number(minor)?,
            patch: number(patch)?,
            prerelease: slice(prerelease).unwrap_or_default().to_string(),
            metadata: slice(metadata).unwrap_or_default().to_string(),
            original: text.to_string(),
        };
        if !version.prerelease.is_empty() {
            validate_prerelease(&version.prerelease)?;
        }
        Ok(version)
    }

    /// Parses a version strictly, as Go's `StrictNewVersion` does: exactly
    /// `major.minor.patch[-prerelease][+metadata]`, no `v`, no leading zeros.
    ///
    /// # Errors
    /// In the order Go checks: [`Error::EmptyString`]; [`Error::VersionTooLong`] over 256
    /// bytes; [`Error::InvalidSemVer`] with fewer than three dot-separated parts;
    /// [`Error::InvalidMetadata`] / [`Error::InvalidPrerelease`] /
    /// [`Error::SegmentStartsZero`] for a bad metadata or prerelease (split off the third part
    /// at its first `+`, then its first `-`); [`Error::InvalidCharacters`] or
    /// [`Error::SegmentStartsZero`] for a bad number; [`Error::StrictSegmentEmpty`] or
    /// [`Error::StrictSegmentOutOfRange`] when a number is empty or exceeds `u64`.
    pub fn parse_strict(text: &str) -> Result<Version, Error> {
        if text.is_empty() {
            return Err(Error::EmptyString);
        }
        if text.len() > MAX_VERSION_LEN {
            return Err(Error::VersionTooLong);
        }
        let mut parts = text.splitn(3, '.');
        let (Some(major), Some(minor), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::InvalidSemVer);
        };
        let (rest, metadata) = match rest.split_once('+') {
            Some((rest, metadata)) => {
                validate_metadata(metadata)?;
                (rest, metadata)
            }
            None => (rest, ""),
        };
        let (patch, prerelease) = match rest.split_once('-') {
            Some((patch, prerelease)) => {
                validate_prerelease(prerelease)?;
                (patch, prerelease)
            }
            None => (rest, ""),
        };
        for part in [major, minor, patch] {
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::InvalidCharacters);
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(Error::SegmentStartsZero);
            }
        }
        let number = |part: &str| -> Result<u64, Error> {
            if part.is_empty() {
                return Err(Error::StrictSegmentEmpty);
            }
            part.parse().map_err(|_| Error::StrictSegmentOutOfRange {
                segment: part.to_string(),
            })
        };
        Ok(Version {
            major: number(major)?,
            minor: number(minor)?,
            patch: number(patch)?,
            prerelease: prerelease.to_string(),
            metadata: metadata.to_string(),
            original: text.to_string(),
        })
    }

    /// The text this version was parsed from (Go: `Original()`); after an `inc_*` or `set_*`
    /// call, `String()` with the original's `v` prefix kept.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The major number.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor number (0 when the text had none).
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch number (0 when the text had none).
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// The prerelease without its `-`, or `""`.
    pub fn prerelease(&self) -> &str {
        &self.prerelease
    }

    /// The build metadata without its `+`, or `""`.
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// Go's `IncMajor`: next major, minor and patch 0, no prerelease or metadata.
    ///
    /// # Errors
    /// [`Error::IncrementOverflow`] when the major is `u64::MAX` (Go panics).
    pub fn inc_major(&self) -> Result<Version, Error> {
        let major = self
            .major
            .checked_add(1)
            .ok_or(Error::IncrementOverflow { part: "major" })?;
        Ok(self.derive(major, 0, 0, "", ""))
    }

    /// Go's `IncMinor`: next minor, patch 0, no prerelease or metadata.
    ///
    /// # Errors
    /// [`Error::IncrementOverflow`] when the minor is `u64::MAX` (Go panics).
    pub fn inc_minor(&self) -> Result<Version, Error> {
        let minor = self
            .minor
            .checked_add(1)
            .ok_or(Error::IncrementOverflow { part: "minor" })?;
        Ok(self.derive(self.major, minor, 0, "", ""))
    }

    /// Go's `IncPatch`: a prerelease version becomes its release (same patch); otherwise the
    /// patch goes up by one. Prerelease and metadata are dropped either way.
    ///
    /// # Errors
    /// [`Error::IncrementOverflow`] when the patch must grow and is `u64::MAX` (Go panics).
    pub fn inc_patch(&self) -> Result<Version, Error> {
        let patch = if self.prerelease.is_empty() {
            self.patch
                .checked_add(1)
                .ok_or(Error::IncrementOverflow { part: "patch" })?
        } else {
            self.patch
        };
        Ok(self.derive(self.major, self.minor, patch, "", ""))
    }

    /// Go's `SetPrerelease`: the same version with `prerelease` (no leading `-`; `""` removes
    /// it).
    ///
    /// # Errors
    /// [`Error::InvalidPrerelease`] for an empty identifier or a character outside
    /// `[0-9A-Za-z-]`; [`Error::SegmentStartsZero`] for a numeric identifier with a leading
    /// zero.
    pub fn set_prerelease(&self, prerelease: &str) -> Result<Version, Error> {
        if !prerelease.is_empty() {
            validate_prerelease(prerelease)?;
        }
        Ok(self.derive(
            self.major,
            self.minor,
            self.patch,
            prerelease,
            &self.metadata,
        ))
    }

    /// Go's `SetMetadata`: the same version with `metadata` (no leading `+`; `""` removes it).
    ///
    /// # Errors
    /// [`Error::InvalidMetadata`] for an empty identifier or a character outside
    /// `[0-9A-Za-z-]`.
    pub fn set_metadata(&self, metadata: &str) -> Result<Version, Error> {
        if !metadata.is_empty() {
            validate_metadata(metadata)?;
        }
        Ok(self.derive(
            self.major,
            self.minor,
            self.patch,
            &self.prerelease,
            metadata,
        ))
    }

    /// A modified copy whose original text is its `String()`, keeping a leading `v` of this
    /// version's original (Go: `originalVPrefix`).
    fn derive(&self, major: u64, minor: u64, patch: u64, prerelease: &str, metadata: &str) -> Self {
        let mut next = Version {
            major,
            minor,
            patch,
            prerelease: prerelease.to_string(),
            metadata: metadata.to_string(),
            original: String::new(),
        };
        let prefix = if self.original.starts_with('v') {
            "v"
        } else {
            ""
        };
        next.original = format!("{prefix}{next}");
        next
    }
}

/// Consumes a non-empty run of ASCII digits at `*pos`.
fn digits(bytes: &[u8], pos: &mut usize) -> Option<std::ops::Range<usize>> {
    let start = *pos;
    let len = bytes.get(start..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_digit()).count()
    });
    if len == 0 {
        return None;
    }
    *pos = start + len;
    Some(start..start + len)
}

/// Consumes `.` plus digits at `*pos` if both are there.
fn dot_digits(bytes: &[u8], pos: &mut usize) -> Option<std::ops::Range<usize>> {
    if bytes.get(*pos) != Some(&b'.') {
        return None;
    }
    let mut after = *pos + 1;
    let span = digits(bytes, &mut after)?;
    *pos = after;
    Some(span)
}

/// Go's `validatePrerelease`: non-empty dot-separated identifiers over `[0-9A-Za-z-]`;
/// all-digit identifiers must not have a leading zero.
fn validate_prerelease(prerelease: &str) -> Result<(), Error> {
    for identifier in prerelease.split('.') {
        if identifier.is_empty() {
            return Err(Error::InvalidPrerelease);
        }
        if identifier.bytes().all(|b| b.is_ascii_digit()) {
            if identifier.len() > 1 && identifier.starts_with('0') {
                return Err(Error::SegmentStartsZero);
            }
        } else if !identifier.bytes().all(is_identifier_byte) {
            return Err(Error::InvalidPrerelease);
        }
    }
    Ok(())
}

/// Go's `validateMetadata`: non-empty dot-separated identifiers over `[0-9A-Za-z-]`.
fn validate_metadata(metadata: &str) -> Result<(), Error> {
    let valid = metadata
        .split('.')
        .all(|identifier| !identifier.is_empty() && identifier.bytes().all(is_identifier_byte));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidMetadata)
    }
}

/// Go's `comparePrerelease`: identifier by identifier, a missing identifier sorting first.
pub(super) fn compare_prerelease(left: &str, right: &str) -> Ordering {
    let mut left_parts = left.split('.');
    let mut right_parts = right.split('.');
    loop {
        match (left_parts.next(), right_parts.next()) {
            (None, None) => return Ordering::Equal,
            (l, r) => {
                let order = compare_identifier(l.unwrap_or(""), r.unwrap_or(""));
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// Go's `comparePrePart`: equal text is equal; an absent (empty) identifier is lowest; numbers
/// (identifiers that parse as `u64`, so overlong digit strings count as text) sort below text
/// and numerically among themselves; text compares byte-wise.
fn compare_identifier(left: &str, right: &str) -> Ordering {
    if left == right {
        return Ordering::Equal;
    }
    if left.is_empty() {
        return Ordering::Less;
    }
    if right.is_empty() {
        return Ordering::Greater;
    }
    let as_number = |s: &str| -> Option<u64> {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    match (as_number(left), as_number(right)) {
        (Some(l), Some(r)) => l.cmp(&r),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => left.as_bytes().cmp(right.as_bytes()),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(
                || match (self.prerelease.is_empty(), other.prerelease.is_empty()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => compare_prerelease(&self.prerelease, &other.prerelease),
                },
            )
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Versions that compare equal have the same numbers and the same prerelease text.
        (self.major, self.minor, self.patch, &self.prerelease).hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.prerelease.is_empty() {
            write!(f, "-{}", self.prerelease)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

impl FromStr for Version {
    type Err = Error;

    /// Same as [`Version::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Version::parse(text)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).expect("valid version")
    }

    #[test]
    fn lenient_parse_fills_missing_parts_and_keeps_the_original() {
        let version = v("v1.2");
        assert_eq!(version.to_string(), "1.2.0");
        assert_eq!(version.original(), "v1.2");
        assert_eq!(
            (version.major(), version.minor(), version.patch()),
            (1, 2, 0)
        );
        let version = v("01.002.3-rc.1+build.5");
        assert_eq!(version.to_string(), "1.2.3-rc.1+build.5");
        assert_eq!(version.prerelease(), "rc.1");
        assert_eq!(version.metadata(), "build.5");
        assert_eq!(v("1-beta").to_string(), "1.0.0-beta");
    }

    #[test]
    fn lenient_parse_errors_match_go() {
        let err = |text: &str| Version::parse(text).err().map(|e| e.to_string());
        assert_eq!(err("").as_deref(), Some("invalid semantic version"));
        assert_eq!(err("V1.2.3").as_deref(), Some("invalid semantic version"));
        assert_eq!(err("1.2.3-").as_deref(), Some("invalid semantic version"));
        assert_eq!(
            err("1.2.3-a_b").as_deref(),
            Some("invalid semantic version")
        );
        assert_eq!(
            err("1.2.3-01").as_deref(),
            Some("version segment starts with 0")
        );
        assert_eq!(
            err("18446744073709551616").as_deref(),
            Some(
                "error parsing version segment: strconv.ParseUint: parsing \"18446744073709551616\": value out of range"
            )
        );
        assert_eq!(
            err(&"1".repeat(257)).as_deref(),
            Some("version string is too long (max 256 bytes)")
        );
        // Build metadata may have leading zeros.
        assert!(Version::parse("1.2.3+01").is_ok());
    }

    #[test]
    fn strict_parse_rejects_what_lenient_parse_coerces() {
        let err = |text: &str| Version::parse_strict(text).err();
        assert_eq!(err(""), Some(Error::EmptyString));
        assert_eq!(err("1.2"), Some(Error::InvalidSemVer));
        assert_eq!(err("v1.2.3"), Some(Error::InvalidCharacters));
        assert_eq!(err("01.2.3"), Some(Error::SegmentStartsZero));
        assert_eq!(err("1..3"), Some(Error::StrictSegmentEmpty));
        assert_eq!(err("1.2.3+"), Some(Error::InvalidMetadata));
        assert_eq!(err("1.2.3-a_b"), Some(Error::InvalidPrerelease));
        assert!(Version::parse_strict("1.2.3-rc.1+build").is_ok());
    }

    #[test]
    fn ordering_follows_semver_precedence() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        // Metadata and the `v` prefix are ignored.
        assert_eq!(v("v1.0.0+a"), v("1.0.0+b"));
        // Numbers too large for u64 compare as text, so above every number.
        assert!(v("1.0.0-18446744073709551616") > v("1.0.0-18446744073709551615"));
    }

    #[test]
    fn increments_keep_the_v_prefix_in_original() {
        let version = v("v1.2.3-beta+meta");
        let patch = version.inc_patch().expect("no overflow");
        assert_eq!(
            (patch.to_string().as_str(), patch.original()),
            ("1.2.3", "v1.2.3")
        );
        let minor = version.inc_minor().expect("no overflow");
        assert_eq!(minor.original(), "v1.3.0");
        let major = v("18446744073709551615.0.0").inc_major();
        assert_eq!(
            major.err().map(|e| e.to_string()).as_deref(),
            Some("major version increment would overflow uint64")
        );
    }
}
