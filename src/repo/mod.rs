//! Chart sources: classic HTTP chart repositories and their `index.yaml`, version
//! resolution, chart downloads with digest checks, and a shared on-disk chart cache.
//!
//! ```text
//!  RepositoryOptions ──► RepositoryClient ──fetch_index──► bytes ──Index::parse──► Index
//!  (URL, auth, PEM)            │                                                  │ resolve(name, constraint)
//!                              │                                                  ▼
//!                              └──────────── fetch_chart(cache, name, ChartVersion)
//!                                   cache hit by digest, or download → digest check →
//!                                   archive check → ChartCache::insert → FetchedChart
//! ```
//!
//! Typical use by a controller (inputs are plain data, e.g. Secret contents):
//!
//! ```rust,no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use wheelhouse::repo::http::{BasicAuth, IndexFetch, RepositoryOptions};
//! use wheelhouse::repo::{ChartCache, Index, RepositoryClient, fetch_chart};
//!
//! let client = RepositoryClient::new(RepositoryOptions {
//!     basic_auth: Some(BasicAuth { username: "u".into(), password: "p".into() }),
//!     ..RepositoryOptions::new("https://charts.example.com/stable")
//! })?;
//! let cache = ChartCache::open("/var/cache/wheelhouse/charts", 1 << 30)?;
//! // Conditional fetch: pass the validators of the previous fetch, if any.
//! if let IndexFetch::Fetched(fetched) = client.fetch_index(None).await? {
//!     let index = Index::parse(&fetched.data)?; // share as Arc<Index>
//!     let version = index.resolve("podinfo", "^6")?;
//!     let chart = fetch_chart(&client, Some(&cache), "podinfo", version).await?;
//!     println!("{} {} from cache: {}", fetched.revision, chart.digest, chart.from_cache);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! OCI: [`oci::OciClient::pull_chart`] with an [`oci::OciReference`]; provenance:
//! [`provenance::verify`]. Every error type has `reason()` for conditions and events.
//!
//! - [`index`]: the compact index and Helm's resolution rules (pure).
//! - [`url`]: chart URL resolution and credential scoping (pure).
//! - [`digest`]: SHA-256 digests and their check (pure).
//! - [`http`]: the reqwest client (I/O).
//! - [`cache`]: the content-addressed archive cache (file I/O).
//! - [`oci`]: charts in OCI registries (I/O, `oci-client`).
//! - [`provenance`]: `.prov` verification (pure, rPGP).

pub mod cache;
pub mod digest;
pub mod http;
pub mod index;
pub mod oci;
pub mod provenance;
pub mod url;

pub use cache::ChartCache;
pub use http::{RepositoryClient, RepositoryOptions, fetch_chart};
pub use index::{ChartVersion, Index};
