//! The Secret that stores one release revision, as Helm 4.3.1's Secrets storage driver
//! (`pkg/storage/driver/secrets.go`, `newSecretsObject`; key from `pkg/storage/storage.go`
//! `makeKey`) builds and reads it. Pure: the caller passes the time.
//!
//! - name `sh.helm.release.v1.<release>.v<revision>`, type `helm.sh/release.v1`;
//! - labels: the release's own labels, then `createdAt` (on create) or `modifiedAt` (on
//!   update) as Unix seconds, then `name`, `owner=helm`, `status`, `version`. Helm sets only
//!   one of the two times per write, so an updated Secret loses `createdAt` unless the
//!   release's labels carried it (they do when the release was read from a listing);
//! - data key `release`: [`super::codec::encode_release`]'s text;
//! - no namespace in the object: the API path gives it.
//!
//! Kubernetes refuses Secrets whose data exceed [`MAX_SECRET_DATA_BYTES`]; Helm only learns
//! this when the write fails. [`release_secret`] refuses such a record before anything is
//! written.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::ObjectMeta;

use super::codec::{self, CodecError};
use super::model::Release;

/// Prefix of storage object names (Helm: `storage.HelmStorageType`).
pub const STORAGE_NAME_PREFIX: &str = "sh.helm.release.v1";
/// The Secret type (Helm: `"helm.sh/release.v1"` in `newSecretsObject`).
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// The data key holding the encoded record.
pub const DATA_KEY: &str = "release";
/// Value of the `owner` label.
pub const OWNER: &str = "helm";
/// Label: release name.
pub const LABEL_NAME: &str = "name";
/// Label: `helm`.
pub const LABEL_OWNER: &str = "owner";
/// Label: the revision's status.
pub const LABEL_STATUS: &str = "status";
/// Label: the revision number.
pub const LABEL_VERSION: &str = "version";
/// Label: Unix seconds of the create.
pub const LABEL_CREATED_AT: &str = "createdAt";
/// Label: Unix seconds of the last update.
pub const LABEL_MODIFIED_AT: &str = "modifiedAt";
/// The labels Helm manages (Helm: `systemLabels` in `util.go`).
pub const SYSTEM_LABELS: [&str; 6] = [
    LABEL_NAME,
    LABEL_OWNER,
    LABEL_STATUS,
    LABEL_VERSION,
    LABEL_CREATED_AT,
    LABEL_MODIFIED_AT,
];
/// The most data bytes a Secret may hold: the sum of its data values' lengths must not exceed
/// 1 MiB (Kubernetes `core.MaxSecretSize`, checked in `ValidateSecret`).
pub const MAX_SECRET_DATA_BYTES: usize = 1024 * 1024;

/// Errors from building or reading a release Secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The record could not be encoded.
    #[error("could not encode release {name:?} revision {revision}")]
    Encode {
        /// Release name.
        name: String,
        /// Revision.
        revision: u32,
        /// What failed.
        #[source]
        source: CodecError,
    },
    /// The encoded record exceeds the Secret size limit.
    #[error(
        "release {name:?} revision {revision} is {size} bytes when encoded, more than the \
         {limit} bytes a Kubernetes Secret can hold"
    )]
    TooLarge {
        /// Release name.
        name: String,
        /// Revision.
        revision: u32,
        /// Length of the encoded record (base64 of gzip of JSON) in bytes.
        size: usize,
        /// [`MAX_SECRET_DATA_BYTES`].
        limit: usize,
    },
    /// The Secret has no `release` data.
    #[error("secret {secret:?} has no {DATA_KEY:?} data")]
    MissingData {
        /// Secret name.
        secret: String,
    },
    /// The Secret's data is not a readable record.
    #[error("secret {secret:?} does not hold a readable release record")]
    Decode {
        /// Secret name.
        secret: String,
        /// What failed.
        #[source]
        source: CodecError,
    },
}

/// How a Secret is being written, which decides its time label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretWrite {
    /// A new Secret: `createdAt` is set.
    Create,
    /// A replacement of an existing Secret: `modifiedAt` is set.
    Update,
}

/// Which labels a read release keeps (Helm's driver differs between reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelView {
    /// All of the Secret's labels (Helm's `List` and `Query`: history, deployed queries).
    All,
    /// Only labels that are not [`SYSTEM_LABELS`] (Helm's `Get` of one revision).
    WithoutSystemLabels,
}

/// `sh.helm.release.v1.<name>.v<revision>` (Helm: `makeKey`).
pub fn secret_name(release_name: &str, revision: u32) -> String {
    format!("{STORAGE_NAME_PREFIX}.{release_name}.v{revision}")
}

/// The encoded record and its size, refusing a record the API server would refuse.
///
/// Returns the `release` data value ([`codec::encode_release`]'s text); its length is the
/// Secret's data size.
///
/// # Errors
/// [`SecretError::Encode`], [`SecretError::TooLarge`] when the encoded record is longer than
/// [`MAX_SECRET_DATA_BYTES`].
pub fn encode_checked(release: &Release) -> Result<String, SecretError> {
    let encoded = codec::encode_release(release).map_err(|source| SecretError::Encode {
        name: release.name.clone(),
        revision: release.revision,
        source,
    })?;
    if encoded.len() > MAX_SECRET_DATA_BYTES {
        return Err(SecretError::TooLarge {
            name: release.name.clone(),
            revision: release.revision,
            size: encoded.len(),
            limit: MAX_SECRET_DATA_BYTES,
        });
    }
    Ok(encoded)
}

/// The Secret Helm's driver would write for `release` at `now_unix` (seconds since the Unix
/// epoch), for a create or an update.
///
/// # Errors
/// [`SecretError::Encode`], [`SecretError::TooLarge`] (see [`encode_checked`]).
pub fn release_secret(
    release: &Release,
    write: SecretWrite,
    now_unix: i64,
) -> Result<Secret, SecretError> {
    let encoded = encode_checked(release)?;
    let mut labels: BTreeMap<String, String> = release.labels.clone();
    let time_label = match write {
        SecretWrite::Create => LABEL_CREATED_AT,
        SecretWrite::Update => LABEL_MODIFIED_AT,
    };
    labels.insert(time_label.to_owned(), now_unix.to_string());
    labels.insert(LABEL_NAME.to_owned(), release.name.clone());
    labels.insert(LABEL_OWNER.to_owned(), OWNER.to_owned());
    labels.insert(
        LABEL_STATUS.to_owned(),
        release.info.status.as_str().to_owned(),
    );
    labels.insert(LABEL_VERSION.to_owned(), release.revision.to_string());
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(&release.name, release.revision)),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        type_: Some(SECRET_TYPE.to_owned()),
        data: Some(BTreeMap::from([(
            DATA_KEY.to_owned(),
            ByteString(encoded.into_bytes()),
        )])),
        ..Secret::default()
    })
}

/// The release stored in a Secret, with its labels as `view` says (Helm: `decodeRelease` and
/// the label handling of the driver's `Get`, `List` and `Query`).
///
/// # Errors
/// [`SecretError::MissingData`], [`SecretError::Decode`].
pub fn release_from_secret(secret: &Secret, view: LabelView) -> Result<Release, SecretError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let data = secret
        .data
        .as_ref()
        .and_then(|d| d.get(DATA_KEY))
        .ok_or_else(|| SecretError::MissingData {
            secret: name.clone(),
        })?;
    let mut release = codec::decode_release(&data.0).map_err(|source| SecretError::Decode {
        secret: name,
        source,
    })?;
    let labels = secret.metadata.labels.clone().unwrap_or_default();
    release.labels = match view {
        LabelView::All => labels,
        LabelView::WithoutSystemLabels => labels
            .into_iter()
            .filter(|(key, _)| !SYSTEM_LABELS.contains(&key.as_str()))
            .collect(),
    };
    Ok(release)
}

/// Whether `value` is a valid label value (Kubernetes `IsValidLabelValue`: at most 63
/// characters, empty or alphanumeric at both ends with `-`, `_`, `.` inside). Helm's driver
/// refuses to query with other values.
pub fn is_valid_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() > 63 {
        return false;
    }
    match (bytes.first(), bytes.last()) {
        (None, _) | (_, None) => true,
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::model::Info;
    use crate::release::status::ReleaseStatus;

    fn fixture(file: &str) -> Secret {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/release/testdata")
            .join(file);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn labels_of(secret: &Secret) -> BTreeMap<String, String> {
        secret.metadata.labels.clone().unwrap_or_default()
    }

    /// Helm's own Secret (written by `helm install` then updated to `superseded` by `helm
    /// upgrade`) and ours for the same record and time have the same name, type and labels.
    #[test]
    fn shape_matches_helm_written_secret() {
        for file in [
            "helm4-podinfo-v1.secret.json",
            "helm4-podinfo-v2.secret.json",
        ] {
            let helm = fixture(file);
            let release = release_from_secret(&helm, LabelView::WithoutSystemLabels)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(release.labels.is_empty(), "no custom labels");
            let helm_labels = labels_of(&helm);
            // Both revisions were last written by an update (modifiedAt only).
            let modified: i64 = helm_labels
                .get(LABEL_MODIFIED_AT)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{file}: modifiedAt"));
            let ours = release_secret(&release, SecretWrite::Update, modified)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(ours.metadata.name, helm.metadata.name);
            assert_eq!(ours.type_, helm.type_);
            assert_eq!(labels_of(&ours), helm_labels, "{file}");
            let back = release_from_secret(&ours, LabelView::WithoutSystemLabels)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, release);
        }
    }

    #[test]
    fn create_sets_created_at_and_custom_labels_survive_under_system_ones() {
        let release = Release {
            name: "web".into(),
            revision: 4,
            info: Info {
                status: ReleaseStatus::PendingUpgrade,
                ..Info::default()
            },
            labels: BTreeMap::from([
                ("team".to_owned(), "a".to_owned()),
                ("status".to_owned(), "stale".to_owned()),
            ]),
            ..Release::default()
        };
        let secret = release_secret(&release, SecretWrite::Create, 1_700_000_000)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            secret.metadata.name.as_deref(),
            Some("sh.helm.release.v1.web.v4")
        );
        assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
        let expected: BTreeMap<String, String> = [
            ("createdAt", "1700000000"),
            ("name", "web"),
            ("owner", "helm"),
            ("status", "pending-upgrade"),
            ("team", "a"),
            ("version", "4"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(labels_of(&secret), expected);
        let all = release_from_secret(&secret, LabelView::All).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.labels, expected);
        let own = release_from_secret(&secret, LabelView::WithoutSystemLabels)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(own.labels.keys().collect::<Vec<_>>(), ["team"]);
    }

    #[test]
    fn size_guard_refuses_records_over_one_mebibyte() {
        // Incompressible content: a pseudo-random manifest of 1200 KiB stays past 1 MiB once gzipped and
        // base64-encoded.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let manifest: String = (0..1200 * 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'!' + (state % 90) as u8)
            })
            .collect();
        let release = Release {
            name: "big".into(),
            revision: 1,
            manifest,
            ..Release::default()
        };
        match release_secret(&release, SecretWrite::Create, 0) {
            Err(SecretError::TooLarge { size, limit, .. }) => {
                assert!(size > limit);
                assert_eq!(limit, 1_048_576);
                let encoded = codec::encode_release(&release).unwrap_or_default();
                assert_eq!(size, encoded.len());
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        let small = Release {
            name: "small".into(),
            revision: 1,
            ..Release::default()
        };
        assert!(release_secret(&small, SecretWrite::Create, 0).is_ok());
    }

    #[test]
    fn label_values() {
        assert!(is_valid_label_value(""));
        assert!(is_valid_label_value("my-release.v2_x"));
        assert!(!is_valid_label_value("-x"));
        assert!(!is_valid_label_value("a,b"));
        assert!(!is_valid_label_value(&"a".repeat(64)));
    }

    #[test]
    fn missing_data_is_an_error() {
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("sh.helm.release.v1.x.v1".into()),
                ..ObjectMeta::default()
            },
            ..Secret::default()
        };
        assert!(matches!(
            release_from_secret(&secret, LabelView::All),
            Err(SecretError::MissingData { .. })
        ));
    }
}
