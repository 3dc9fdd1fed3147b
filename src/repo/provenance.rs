//! Verifying a chart's provenance file (`.prov`) as Helm does (`pkg/provenance/sign.go`,
//! `Signatory.Verify`): the file is an OpenPGP clear-signed message; its signature must verify
//! against a key of the keyring, and its text (chart metadata, a `...` line, then YAML with
//! `files: {NAME.tgz: sha256:HEX}`) must list the archive's SHA-256 under the archive's file
//! name. OpenPGP is done by rPGP (the `pgp` crate), pure Rust.
//!
//! The keyring is plain bytes (a Secret's content): public keys as exported by
//! `gpg --export` (binary) or `gpg --export --armor`.

use pgp::composed::{CleartextSignedMessage, Deserializable, SignedPublicKey};
use pgp::types::KeyDetails as _;

use super::digest;

/// Why a chart's provenance does not verify. Nothing should be rendered from the chart.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    /// The keyring holds no usable public key.
    #[error("the keyring holds no OpenPGP public keys (export them with `gpg --export`)")]
    EmptyKeyring {
        /// The parser's error, when parsing failed.
        #[source]
        source: Option<pgp::errors::Error>,
    },
    /// The `.prov` file is not a clear-signed message (Helm: `signature block not found`).
    #[error("signature block not found in the provenance file")]
    NoSignatureBlock {
        /// The parser's error.
        #[source]
        source: pgp::errors::Error,
    },
    /// No key of the keyring made the signature (or the signed text was altered).
    #[error(
        "the provenance signature does not verify with any key of the keyring (signed by key {issuers})"
    )]
    BadSignature {
        /// Issuer key ids named by the signature, hex.
        issuers: String,
    },
    /// The signed text does not have Helm's two-part layout.
    #[error("provenance message block must have at least two parts")]
    MalformedMessage,
    /// The signed text's checksum block is not valid YAML.
    #[error("provenance checksum block is not valid: {message}")]
    MalformedSums {
        /// The decoder's message.
        message: String,
    },
    /// The signed text lists no hash for the archive (Helm's wording).
    #[error("provenance does not contain a SHA for a file named \"{file}\"")]
    NoHashForFile {
        /// The archive's file name.
        file: String,
    },
    /// The archive's SHA-256 differs from the signed one (Helm's wording).
    #[error("sha256 sum does not match for {file}: \"{signed}\" != \"{actual}\"")]
    HashMismatch {
        /// The archive's file name.
        file: String,
        /// The signed hash (`sha256:...`).
        signed: String,
        /// The archive's hash (`sha256:...`).
        actual: String,
    },
}

impl ProvenanceError {
    /// A PascalCase reason for conditions, events and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            ProvenanceError::EmptyKeyring { .. } => "InvalidKeyring",
            _ => "VerificationFailed",
        }
    }
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The signing key's user ids (e.g. `Chart Signer <signer@example.com>`).
    pub signed_by: Vec<String>,
    /// The signing (primary) key's fingerprint, hex.
    pub fingerprint: String,
    /// `sha256:<hex>` of the archive.
    pub file_hash: String,
    /// The file name the hash was listed under.
    pub file_name: String,
}

/// Parses a keyring: binary or ASCII-armored public keys.
///
/// # Errors
/// [`ProvenanceError::EmptyKeyring`] when no key parses.
pub fn parse_keyring(keyring: &[u8]) -> Result<Vec<SignedPublicKey>, ProvenanceError> {
    let armored = keyring
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(5)
        .eq(b"-----".iter());
    let parsed: Result<Vec<SignedPublicKey>, pgp::errors::Error> = if armored {
        SignedPublicKey::from_armor_many(keyring)
            .and_then(|(keys, _)| keys.collect::<Result<Vec<_>, _>>())
    } else {
        SignedPublicKey::from_bytes_many(keyring).and_then(|keys| keys.collect())
    };
    match parsed {
        Ok(keys) if !keys.is_empty() => Ok(keys),
        Ok(_) => Err(ProvenanceError::EmptyKeyring { source: None }),
        Err(source) => Err(ProvenanceError::EmptyKeyring {
            source: Some(source),
        }),
    }
}

/// Verifies `provenance` for the archive bytes `archive` named `file_name` (e.g.
/// `demo-1.0.0.tgz`; with `None`, the single file the provenance lists is used).
///
/// # Errors
/// [`ProvenanceError`]: a keyring without keys, no clear-signed block, a signature no key
/// verifies, a malformed message, no hash for the file, or a different hash.
pub fn verify(
    archive: &[u8],
    file_name: Option<&str>,
    provenance: &[u8],
    keyring: &[u8],
) -> Result<Verification, ProvenanceError> {
    let keys = parse_keyring(keyring)?;
    let text = String::from_utf8_lossy(provenance);
    let (message, _) = CleartextSignedMessage::from_string(&text)
        .map_err(|source| ProvenanceError::NoSignatureBlock { source })?;
    let signer = keys.iter().find(|key| {
        message.verify(*key).is_ok()
            || key
                .public_subkeys
                .iter()
                .any(|sub| message.verify(sub).is_ok())
    });
    let Some(signer) = signer else {
        let issuers: Vec<String> = message
            .signatures()
            .iter()
            .flat_map(|s| s.issuer_key_id())
            .map(|id| {
                id.as_ref()
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<String>()
            })
            .collect();
        return Err(ProvenanceError::BadSignature {
            issuers: if issuers.is_empty() {
                "unknown".to_owned()
            } else {
                issuers.join(", ")
            },
        });
    };
    // The signed text with LF line ends, as Go's clearsign gives it.
    let plain = message.signed_text().replace("\r\n", "\n");
    let sums = plain
        .split_once("\n...\n")
        .map(|(_, sums)| sums)
        .ok_or(ProvenanceError::MalformedMessage)?;
    let decoded = crate::codec::yaml::from_yaml(sums);
    if let Some(error) = decoded.get("Error").and_then(|e| e.as_str()) {
        return Err(ProvenanceError::MalformedSums {
            message: error.to_owned(),
        });
    }
    let files = decoded.get("files").and_then(|f| f.as_object());
    let file_name = match (file_name, files) {
        (Some(name), _) => name.to_owned(),
        (None, Some(files)) if files.len() == 1 => files.keys().next().cloned().unwrap_or_default(),
        (None, _) => String::new(),
    };
    let signed = files
        .and_then(|f| f.get(&file_name))
        .and_then(|v| v.as_str())
        .ok_or_else(|| ProvenanceError::NoHashForFile {
            file: file_name.clone(),
        })?;
    let actual = format!("sha256:{}", digest::sha256_hex(archive));
    if signed != actual {
        return Err(ProvenanceError::HashMismatch {
            file: file_name,
            signed: signed.to_owned(),
            actual,
        });
    }
    Ok(Verification {
        signed_by: signer
            .details
            .users
            .iter()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .collect(),
        fingerprint: format!("{:?}", signer.fingerprint()),
        file_hash: actual,
        file_name,
    })
}
