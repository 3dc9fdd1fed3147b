//! Reading a gzipped tar chart archive held in memory into chart files, as Helm's
//! `archive.LoadArchiveFiles` (pkg/chart/loader/archive/archive.go) does, plus stricter checks.
//!
//! Helm's rules, in its order, per entry: directories and PAX headers are skipped; the first
//! path element (the chart directory) is dropped, using `\` as the separator if the name has
//! one; absolute paths, paths that clean to `.`, paths starting with `..` and `X:/` drive
//! paths are rejected; an entry named `Chart.yaml` at the top level (outside any directory)
//! is rejected; the total of file sizes must stay below the chart limit; a UTF-8 BOM is
//! stripped from each file.
//!
//! Stricter than Helm (which stores such entries as ordinary files): symbolic and hard links,
//! character and block devices, FIFOs and other special entries are rejected, as are two
//! entries with the same cleaned path, files over the per-file limit (Helm 4.3.1 keeps the
//! 5 MiB constant but no longer enforces it) and names that are not UTF-8.
//!
//! Limits are enforced while streaming: file data is read through a limit, and the whole
//! decompressed tar stream (headers and skipped data included) is capped, so a
//! decompression bomb is never inflated past [`Limits::max_stream_bytes`].

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use tar::EntryType;

use super::{Limits, LoadError};
use crate::chart::model::File;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Counts decompressed bytes and fails once more than `cap` have been produced.
struct CappedReader<R> {
    inner: R,
    read: u64,
    cap: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read > self.cap {
            return Err(io::Error::other(StreamCapExceeded));
        }
        // Never ask for more than one byte past the cap.
        let allowed = (self.cap + 1 - self.read).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..allowed])?;
        self.read += n as u64;
        if self.read > self.cap {
            return Err(io::Error::other(StreamCapExceeded));
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct StreamCapExceeded;

impl std::fmt::Display for StreamCapExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed archive stream exceeds its cap")
    }
}

impl std::error::Error for StreamCapExceeded {}

/// Maps an I/O error from the gzip/tar stream to a load error; `entry` is the entry being
/// read, if any.
fn stream_error(e: &io::Error, limits: &Limits, entry: Option<&str>) -> LoadError {
    if e.get_ref()
        .is_some_and(|inner| inner.is::<StreamCapExceeded>())
    {
        return LoadError::ArchiveStreamTooLarge {
            entry: entry.map(str::to_owned),
            limit: limits.max_stream_bytes,
        };
    }
    LoadError::Archive {
        entry: entry.map(str::to_owned),
        message: e.to_string(),
    }
}

/// Reads every file of a `.tgz` chart archive.
///
/// Returns the files in archive order with names relative to the chart directory
/// (`templates/x.yaml`), BOM stripped.
///
/// # Errors
/// [`LoadError::NotGzip`] when the data does not start like gzip; [`LoadError::Archive`] for a
/// corrupt stream; the path errors ([`LoadError::AbsolutePath`],
/// [`LoadError::OutsideBaseDirectory`], [`LoadError::ParentDirectory`],
/// [`LoadError::IllegalName`], [`LoadError::ChartYamlNotInBase`]), the stricter entry errors
/// ([`LoadError::Link`], [`LoadError::SpecialEntry`], [`LoadError::DuplicateEntry`],
/// [`LoadError::NonUtf8Name`]), the size errors ([`LoadError::ChartTooLarge`],
/// [`LoadError::FileTooLarge`], [`LoadError::ArchiveStreamTooLarge`]) and
/// [`LoadError::EmptyArchive`]. Each names the offending entry as written in the archive.
pub fn read_archive(data: &[u8], limits: &Limits) -> Result<Vec<File>, LoadError> {
    // Go's gzip.NewReader checks the magic bytes and method before anything else.
    // Go's gzip.NewReader reads the 10-byte header first, then checks magic and method.
    if data.len() < 10 {
        return Err(LoadError::Archive {
            entry: None,
            message: if data.is_empty() {
                "EOF"
            } else {
                "unexpected EOF"
            }
            .to_owned(),
        });
    }
    if data[0] != 0x1f || data[1] != 0x8b || data[2] != 8 {
        return Err(LoadError::NotGzip);
    }
    let reader = CappedReader {
        inner: MultiGzDecoder::new(data),
        read: 0,
        cap: limits.max_stream_bytes,
    };
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| stream_error(&e, limits, None))?;

    let mut files: Vec<File> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut remaining = limits.max_chart_bytes;
    let mut last_entry: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| stream_error(&e, limits, last_entry.as_deref()))?;
        let raw_name = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_name).into_owned();
        last_entry = Some(shown.clone());
        let kind = entry.header().entry_type();

        // Go's archive/tar turns an old-style regular file whose name ends in '/' into a
        // directory.
        let is_dir = kind.is_dir() || (kind == EntryType::Regular && raw_name.ends_with(b"/"));
        if is_dir || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let Ok(name) = String::from_utf8(raw_name) else {
            return Err(LoadError::NonUtf8Name { entry: shown });
        };
        let rel = chart_relative_name(&name)?;

        match kind {
            EntryType::Regular | EntryType::Continuous => {}
            EntryType::Symlink | EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                return Err(LoadError::Link {
                    entry: name,
                    target,
                    hard: kind == EntryType::Link,
                });
            }
            other => {
                return Err(LoadError::SpecialEntry {
                    entry: name,
                    kind: entry_kind_name(other),
                });
            }
        }
        if !seen.insert(rel.clone()) {
            return Err(LoadError::DuplicateEntry {
                entry: name,
                path: rel,
            });
        }

        let size = entry.header().size().map_err(|e| LoadError::Archive {
            entry: Some(name.clone()),
            message: e.to_string(),
        })?;
        if size > remaining {
            return Err(LoadError::ChartTooLarge {
                entry: name,
                limit: limits.max_chart_bytes,
            });
        }
        if size > limits.max_file_bytes {
            return Err(LoadError::FileTooLarge {
                entry: name,
                size,
                limit: limits.max_file_bytes,
            });
        }
        let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
        let written = (&mut entry)
            .take(remaining.min(limits.max_file_bytes + 1))
            .read_to_end(&mut buf)
            .map_err(|e| stream_error(&e, limits, Some(&name)))? as u64;
        if written > limits.max_file_bytes {
            return Err(LoadError::FileTooLarge {
                entry: name,
                size: written,
                limit: limits.max_file_bytes,
            });
        }
        remaining -= written;
        // Helm also fails when the budget is used up exactly.
        if written < size || remaining == 0 {
            return Err(LoadError::ChartTooLarge {
                entry: name,
                limit: limits.max_chart_bytes,
            });
        }
        let data = match buf.strip_prefix(UTF8_BOM) {
            Some(rest) => rest.to_vec(),
            None => buf,
        };
        files.push(File::new(rel, data));
    }
    if files.is_empty() {
        return Err(LoadError::EmptyArchive);
    }
    Ok(files)
}

/// Helm's name rules for one archive entry: drop the chart directory, normalise the
/// separator, clean, and reject what points outside the chart.
fn chart_relative_name(name: &str) -> Result<String, LoadError> {
    let delimiter = if name.contains('\\') { '\\' } else { '/' };
    let mut parts = name.split(delimiter);
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let joined = rest.join("/");
    if joined.starts_with('/') {
        return Err(LoadError::AbsolutePath {
            entry: name.to_owned(),
        });
    }
    let cleaned = go_clean(&joined);
    if cleaned == "." {
        return Err(LoadError::OutsideBaseDirectory {
            entry: name.to_owned(),
        });
    }
    if cleaned.starts_with("..") {
        return Err(LoadError::ParentDirectory {
            entry: name.to_owned(),
        });
    }
    let b = cleaned.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        return Err(LoadError::IllegalName {
            entry: name.to_owned(),
        });
    }
    if first == "Chart.yaml" {
        return Err(LoadError::ChartYamlNotInBase {
            entry: name.to_owned(),
        });
    }
    Ok(cleaned)
}

/// Go's `path.Clean`: lexical cleaning of a slash-separated path.
pub(crate) fn go_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

fn entry_kind_name(kind: EntryType) -> &'static str {
    match kind {
        EntryType::Char => "character device",
        EntryType::Block => "block device",
        EntryType::Fifo => "FIFO",
        EntryType::GNUSparse => "GNU sparse file",
        EntryType::GNULongName | EntryType::GNULongLink => "GNU long name header",
        _ => "unsupported entry type",
    }
}
