//! Helm 4's release records and their storage in Secrets, compatible with the `helm` CLI.
//!
//! Every revision of a release is one record ([`model::Release`]) stored in a Secret
//! `sh.helm.release.v1.<name>.v<revision>` of type `helm.sh/release.v1` in the storage
//! namespace, as Helm 4.3.1's Secrets driver writes it; `helm list`, `helm history`, `helm get`
//! and `helm status` read what Wheelhouse writes and the other way round.
//!
//! - [`model`]: the record (name, namespace, revision, info, chart, config, manifest, hooks,
//!   apply method) in Helm's JSON shape, and the record form of a loaded chart.
//! - [`status`]: statuses with their wire strings, and the status changes of each action.
//! - [`timestamp`]: times as Go writes them in records.
//! - [`codec`]: `base64(gzip(JSON))` encoding with Go's JSON bytes; plain-JSON legacy reading.
//! - [`secret`]: the Secret's name, type, labels and data; the 1 MiB size guard (pure).
//! - [`history`]: last/deployed revision and pruning rules (pure).
//! - [`storage`]: [`storage::SecretStorage`], the Kubernetes I/O.

pub mod codec;
pub mod history;
pub mod model;
pub mod secret;
pub mod status;
pub mod storage;
pub mod timestamp;

pub use model::Release;
pub use status::ReleaseStatus;
pub use storage::{SecretStorage, StorageError};
