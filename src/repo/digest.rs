//! SHA-256 digests of chart archives and indexes, and the check of an archive against the
//! digest its index lists.
//!
//! `helm repo index` writes each entry's `digest` as the lowercase hex SHA-256 of the `.tgz`
//! (`pkg/provenance`'s `DigestFile`). Helm itself does not check it on download; Wheelhouse
//! does, so a corrupted, truncated or swapped archive is never rendered.

use sha2::{Digest as _, Sha256};

/// A digest problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The index lists something that is not a SHA-256 hex digest.
    #[error(
        "the index lists digest \"{digest}\", which is not a sha256 hex string (64 hex digits)"
    )]
    Malformed {
        /// The digest as written.
        digest: String,
    },
    /// The downloaded bytes hash to something else than the index says.
    #[error(
        "chart archive digest mismatch: index says sha256:{expected}, downloaded sha256:{actual}"
    )]
    Mismatch {
        /// The index's digest (lowercase hex).
        expected: String,
        /// The digest of the downloaded bytes (lowercase hex).
        actual: String,
    },
}

/// The lowercase hex SHA-256 of `data` (64 characters).
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Normalises an index digest: optional `sha256:` prefix dropped, hex lowercased.
///
/// # Errors
/// [`DigestError::Malformed`] unless it is 64 hex digits.
pub fn normalize(digest: &str) -> Result<String, DigestError> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DigestError::Malformed {
            digest: digest.to_owned(),
        });
    }
    Ok(hex.to_ascii_lowercase())
}

/// Checks `data` against an index digest; returns the (lowercase hex) digest of `data`.
///
/// # Errors
/// [`DigestError::Malformed`] for a malformed expected digest, [`DigestError::Mismatch`]
/// naming both digests when they differ.
pub fn verify(expected: &str, data: &[u8]) -> Result<String, DigestError> {
    let expected = normalize(expected)?;
    let actual = sha256_hex(data);
    if actual != expected {
        return Err(DigestError::Mismatch { expected, actual });
    }
    Ok(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifies() {
        // sha256("abc") from FIPS 180-2.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex(b"abc"), abc);
        assert_eq!(verify(abc, b"abc"), Ok(abc.to_owned()));
        assert_eq!(
            verify(&format!("sha256:{}", abc.to_uppercase()), b"abc"),
            Ok(abc.to_owned())
        );
        let err = verify(abc, b"abd").err();
        let Some(DigestError::Mismatch { expected, actual }) = err.clone() else {
            panic!("want a mismatch, got {err:?}");
        };
        assert_eq!(expected, abc);
        assert_eq!(actual, sha256_hex(b"abd"));
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains(&format!("index says sha256:{abc}")),
            "{message}"
        );
        assert!(
            message.contains(&format!("downloaded sha256:{actual}")),
            "{message}"
        );
        assert!(matches!(
            verify("abc", b"abc"),
            Err(DigestError::Malformed { .. })
        ));
    }
}
