//! A content-addressed cache of verified chart archives on disk, shared by every release that
//! uses the same chart version.
//!
//! Layout: one file per archive, `<dir>/<sha256 hex>.tgz`, written to a temporary name and
//! renamed into place, so a reader never sees a partial file. An in-memory index (digest to
//! size and last use) answers lookups without touching the disk, and bounds the total size:
//! when an insert takes the cache over its bound, the least recently used archives are
//! deleted. Reads re-hash the file, so a corrupted file is dropped and counts as a miss.
//! [`ChartCache::open`] rebuilds the index from the directory (last use from file times).
//!
//! The API is synchronous file I/O on small files; async callers may use `spawn_blocking`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::digest;

/// Default bound on the total size of cached archives, in bytes (1 GiB).
pub const DEFAULT_MAX_CACHE_BYTES: u64 = 1024 * 1024 * 1024;

/// A cache failure (always an I/O problem with the cache directory).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The directory could not be created or listed.
    #[error("chart cache directory {path} is not usable")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An archive could not be written.
    #[error("failed to write chart archive {path} into the cache")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// One cached archive as the index knows it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    size: u64,
    last_used: u64,
}

#[derive(Debug, Default)]
struct State {
    slots: HashMap<String, Slot>,
    /// Last-use tick to digest: the first entry is the least recently used.
    by_use: BTreeMap<u64, String>,
    total: u64,
    tick: u64,
}

impl State {
    fn touch(&mut self, digest: &str) -> bool {
        self.tick += 1;
        let tick = self.tick;
        let Some(slot) = self.slots.get_mut(digest) else {
            return false;
        };
        self.by_use.remove(&slot.last_used);
        slot.last_used = tick;
        self.by_use.insert(tick, digest.to_owned());
        true
    }

    fn remove(&mut self, digest: &str) -> Option<Slot> {
        let slot = self.slots.remove(digest)?;
        self.by_use.remove(&slot.last_used);
        self.total -= slot.size;
        Some(slot)
    }

    fn add(&mut self, digest: String, size: u64) {
        self.remove(&digest);
        self.tick += 1;
        self.by_use.insert(self.tick, digest.clone());
        self.slots.insert(
            digest,
            Slot {
                size,
                last_used: self.tick,
            },
        );
        self.total += size;
    }
}

/// The result of [`ChartCache::insert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    /// The archive's SHA-256 (lowercase hex), its key in the cache.
    pub digest: String,
    /// False when the archive alone is larger than the cache's bound and was not kept.
    pub stored: bool,
    /// Digests evicted to make room.
    pub evicted: Vec<String>,
}

/// The chart archive cache. Cheap to share (`Arc<ChartCache>`); all methods take `&self`.
#[derive(Debug)]
pub struct ChartCache {
    dir: PathBuf,
    max_bytes: u64,
    state: Mutex<State>,
    temp_counter: AtomicU64,
}

impl ChartCache {
    /// Opens (creating if needed) a cache in `dir` bounded to `max_bytes` of archives.
    ///
    /// Files named `<64 hex>.tgz` are taken into the index, least recently modified first;
    /// leftover temporary files are removed; if the directory holds more than `max_bytes`,
    /// the oldest archives are evicted.
    ///
    /// # Errors
    /// [`CacheError::Directory`] when the directory cannot be created or read.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<ChartCache, CacheError> {
        let dir = dir.into();
        let dir_error = |source| CacheError::Directory {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(dir_error)?;
        let mut found: Vec<(SystemTime, String, u64)> = Vec::new();
        for item in std::fs::read_dir(&dir).map_err(dir_error)? {
            let item = item.map_err(dir_error)?;
            let name = item.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(item.path());
                continue;
            }
            let Some(digest) = name.strip_suffix(".tgz") else {
                continue;
            };
            if digest::normalize(digest).as_deref() != Ok(digest) {
                continue;
            }
            let Ok(meta) = item.metadata() else { continue };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            found.push((modified, digest.to_owned(), meta.len()));
        }
        found.sort();
        let mut state = State::default();
        for (_, digest, size) in found {
            state.add(digest, size);
        }
        let cache = ChartCache {
            dir,
            max_bytes,
            state: Mutex::new(state),
            temp_counter: AtomicU64::new(0),
        };
        cache.evict_over_bound(None);
        Ok(cache)
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The size bound in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn path_of(&self, digest: &str) -> PathBuf {
        self.dir.join(format!("{digest}.tgz"))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent-enough state (sizes only).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an archive with this digest (hex, optionally `sha256:`-prefixed) is indexed.
    pub fn contains(&self, digest: &str) -> bool {
        digest::normalize(digest).is_ok_and(|d| self.lock().slots.contains_key(&d))
    }

    /// Number of archives held.
    pub fn len(&self) -> usize {
        self.lock().slots.len()
    }

    /// Whether the cache holds no archive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total bytes of archives held.
    pub fn total_bytes(&self) -> u64 {
        self.lock().total
    }

    /// The digests held, least recently used first.
    pub fn digests(&self) -> Vec<String> {
        self.lock().by_use.values().cloned().collect()
    }

    /// The archive with this digest, marking it most recently used; `None` when absent,
    /// unreadable or corrupted (a corrupted file is removed).
    pub fn get(&self, digest: &str) -> Option<Vec<u8>> {
        let digest = digest::normalize(digest).ok()?;
        if !self.lock().touch(&digest) {
            return None;
        }
        let path = self.path_of(&digest);
        match std::fs::read(&path) {
            Ok(data) if digest::sha256_hex(&data) == digest => {
                // Keep last use across restarts (best effort).
                if let Ok(file) = std::fs::File::options().append(true).open(&path) {
                    let _ = file.set_modified(SystemTime::now());
                }
                Some(data)
            }
            _ => {
                self.lock().remove(&digest);
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores an archive under its SHA-256 and evicts least recently used archives while the
    /// total exceeds the bound. An archive larger than the bound is not stored.
    ///
    /// # Errors
    /// [`CacheError::Write`] when the file cannot be written or renamed into place.
    pub fn insert(&self, data: &[u8]) -> Result<Inserted, CacheError> {
        let digest = digest::sha256_hex(data);
        let size = data.len() as u64;
        if size > self.max_bytes {
            return Ok(Inserted {
                digest,
                stored: false,
                evicted: Vec::new(),
            });
        }
        if self.lock().touch(&digest) && self.path_of(&digest).exists() {
            return Ok(Inserted {
                digest,
                stored: true,
                evicted: Vec::new(),
            });
        }
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = self
            .dir
            .join(format!("{digest}.{}.{n}.tmp", std::process::id()));
        let final_path = self.path_of(&digest);
        let write = std::fs::write(&temp, data).and_then(|()| std::fs::rename(&temp, &final_path));
        if let Err(source) = write {
            let _ = std::fs::remove_file(&temp);
            return Err(CacheError::Write {
                path: final_path,
                source,
            });
        }
        self.lock().add(digest.clone(), size);
        let evicted = self.evict_over_bound(Some(&digest));
        Ok(Inserted {
            digest,
            stored: true,
            evicted,
        })
    }

    /// Removes least recently used archives (never `keep`) until the total fits the bound.
    fn evict_over_bound(&self, keep: Option<&str>) -> Vec<String> {
        let mut evicted = Vec::new();
        let mut state = self.lock();
        while state.total > self.max_bytes {
            let victim = state
                .by_use
                .values()
                .find(|d| Some(d.as_str()) != keep)
                .cloned();
            let Some(victim) = victim else { break };
            state.remove(&victim);
            let _ = std::fs::remove_file(self.path_of(&victim));
            evicted.push(victim);
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests fail loudly on setup errors")]
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "wheelhouse-cache-test-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn stores_by_digest_and_evicts_least_recently_used() {
        let dir = temp_dir("lru");
        let cache = ChartCache::open(&dir, 25).expect("open");
        let a = cache.insert(&[b'a'; 10]).expect("a");
        let b = cache.insert(&[b'b'; 10]).expect("b");
        assert!(a.stored && b.stored);
        assert_eq!(a.digest, digest::sha256_hex(&[b'a'; 10]));
        assert!(dir.join(format!("{}.tgz", a.digest)).is_file());
        // Using `a` makes `b` the least recently used.
        assert_eq!(cache.get(&a.digest), Some(vec![b'a'; 10]));
        let c = cache.insert(&[b'c'; 10]).expect("c");
        assert_eq!(c.evicted, vec![b.digest.clone()]);
        assert!(!cache.contains(&b.digest));
        assert!(!dir.join(format!("{}.tgz", b.digest)).exists());
        assert_eq!(cache.total_bytes(), 20);
        assert_eq!(cache.digests(), vec![a.digest.clone(), c.digest.clone()]);
        // Too large for the bound: not stored, nothing evicted.
        let big = cache.insert(&[b'x'; 26]).expect("big");
        assert!(!big.stored && big.evicted.is_empty());
        assert_eq!(cache.len(), 2);

        // Reopening rebuilds the index from the directory.
        drop(cache);
        let reopened = ChartCache::open(&dir, 25).expect("reopen");
        assert_eq!(reopened.len(), 2);
        assert!(reopened.contains(&a.digest) && reopened.contains(&c.digest));
        // A smaller bound evicts on open.
        drop(reopened);
        let small = ChartCache::open(&dir, 10).expect("small");
        assert_eq!(small.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn corrupted_file_is_a_miss() {
        let dir = temp_dir("corrupt");
        let cache = ChartCache::open(&dir, 1000).expect("open");
        let a = cache.insert(b"chart bytes").expect("insert");
        std::fs::write(dir.join(format!("{}.tgz", a.digest)), b"tampered").expect("tamper");
        assert_eq!(cache.get(&a.digest), None);
        assert!(!cache.contains(&a.digest));
        assert_eq!(cache.total_bytes(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
