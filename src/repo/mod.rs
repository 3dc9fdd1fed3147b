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
//! - [`index`]: the compact index and Helm's resolution rules (pure).
//! - [`url`]: chart URL resolution and credential scoping (pure).
//! - [`digest`]: SHA-256 digests and their check (pure).
//! - [`http`]: the reqwest client (I/O).
//! - [`cache`]: the content-addressed archive cache (file I/O).

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
