//! Reading a chart directory into chart files, as Helm 4.3.1's `loader.LoadDir`
//! (pkg/chart/v2/loader/directory.go) with `sympath.Walk` (internal/sympath/walk.go) does.
//!
//! The walk visits names in byte order within each directory, follows symbolic links (to
//! files and to directories, as Helm does; a link cycle is an error here, where Helm would
//! recurse until the OS refuses), applies `.helmignore` rules (a skipped directory is not
//! entered), refuses irregular files (devices, sockets, FIFOs), reads files against the
//! chart's byte budget, and strips a UTF-8 BOM. This is the only part of `chart` that touches
//! the file system.
//!
//! `templates/` is read before the rest (see [`read_dir_observed`]); the files are returned,
//! and every error is reported, as the walk in byte order would.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::ignore::IgnoreRules;
use super::{Limits, LoadError};
use crate::chart::model::File;

/// Reads the files of the chart rooted at `root` (which must be a directory), honouring
/// `root/.helmignore`. Names are relative to `root` and slash-separated.
///
/// # Errors
/// [`LoadError::Io`] for file system failures (with the path), [`LoadError::Ignore`] for a bad
/// `.helmignore`, [`LoadError::IrregularFile`], [`LoadError::SymlinkLoop`],
/// [`LoadError::NonUtf8Name`], and the size errors [`LoadError::DirectoryTooLarge`] and
/// [`LoadError::FileTooLarge`].
pub fn read_dir(root: &Path, limits: &Limits) -> Result<Vec<File>, LoadError> {
    read_dir_observed(root, limits, &mut |_| {})
}

/// [`read_dir`] calling `on_file` with each file as soon as it is read, so that work on the
/// files can start while the rest are read. The files of the chart's `templates/` directory
/// come first (parsing them is the longest step of rendering a large chart, and in byte order
/// they come after `charts/` and `crds/`), then the others in walk order; `on_file` sees each
/// file once. The returned files are in walk order.
///
/// # Errors
/// As [`read_dir`].
pub fn read_dir_observed(
    root: &Path,
    limits: &Limits,
    on_file: &mut dyn FnMut(&File),
) -> Result<Vec<File>, LoadError> {
    let ignore_file = root.join(".helmignore");
    let rules = match fs::read(&ignore_file) {
        Ok(text) => IgnoreRules::parse(&text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => IgnoreRules::defaults(),
        Err(e) => return Err(LoadError::io(&ignore_file, e)),
    };
    let mut walker = Walker {
        rules,
        limits,
        remaining: limits.max_chart_bytes,
        files: Vec::new(),
        stack: Vec::new(),
        buffer: Vec::new(),
        on_file,
        read_first: None,
        already_read: HashMap::new(),
        read_bytes: Vec::new(),
    };
    walker.read_first = Some(walker.read_first_pass(root));
    walker.walk_dir(root, "")?;
    Ok(walker.files)
}

/// The directory of the chart root whose files are read before the others.
const READ_FIRST: &str = "templates";

/// The files the first pass read from [`READ_FIRST`], in walk order, with the bytes each
/// read took from the budget (before a BOM was stripped).
struct ReadFirst {
    files: Vec<(File, u64)>,
    /// Whether the pass read the whole directory. When it stopped (an error, or the byte
    /// budget), the walk in order reads the directory again, taking the files read here from
    /// `files` instead of the disk, and reports what stopped the pass where the walk meets it.
    complete: bool,
}

struct Walker<'a> {
    rules: IgnoreRules,
    limits: &'a Limits,
    remaining: u64,
    files: Vec<File>,
    /// Canonical paths of the directories being walked, to detect link cycles.
    stack: Vec<PathBuf>,
    /// Read buffer, reused for every file.
    buffer: Vec<u8>,
    on_file: &'a mut dyn FnMut(&File),
    /// The first pass's files, until the walk in order reaches [`READ_FIRST`].
    read_first: Option<ReadFirst>,
    /// Files of an incomplete first pass by name, for the walk in order to take.
    already_read: HashMap<String, (File, u64)>,
    /// The bytes each of `files` took from the budget.
    read_bytes: Vec<u64>,
}

impl Walker<'_> {
    /// Reads [`READ_FIRST`] as the walk would meet it from `root` (same links, rules and
    /// limits, with the whole byte budget), calling `on_file` for each file. Any error stops
    /// the pass without being reported: the walk in order meets it again.
    fn read_first_pass(&mut self, root: &Path) -> ReadFirst {
        let complete = match fs::canonicalize(root) {
            Ok(canonical) => {
                self.stack.push(canonical);
                self.visit(&root.join(READ_FIRST), READ_FIRST).is_ok()
            }
            Err(_) => false,
        };
        // An error leaves the directories it was in on the stack.
        self.stack.clear();
        self.remaining = self.limits.max_chart_bytes;
        let files = std::mem::take(&mut self.files);
        let read_bytes = std::mem::take(&mut self.read_bytes);
        ReadFirst {
            files: files.into_iter().zip(read_bytes).collect(),
            complete,
        }
    }

    /// Takes a file the first pass read into the walk in order: the byte budget is charged
    /// here, in walk order, so a chart over it names the same file as without the first pass.
    fn admit_read_first(&mut self, (file, size): (File, u64)) -> Result<(), LoadError> {
        if size > self.remaining {
            return Err(LoadError::DirectoryTooLarge {
                path: file.name,
                limit: self.limits.max_chart_bytes,
            });
        }
        self.remaining -= size;
        self.files.push(file);
        self.read_bytes.push(size);
        Ok(())
    }

    fn walk_dir(&mut self, dir: &Path, rel: &str) -> Result<(), LoadError> {
        let canonical = fs::canonicalize(dir).map_err(|e| LoadError::io(dir, e))?;
        if self.stack.contains(&canonical) {
            return Err(LoadError::SymlinkLoop {
                path: dir.display().to_string(),
            });
        }
        self.stack.push(canonical);
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| LoadError::io(dir, e))? {
            let entry = entry.map_err(|e| LoadError::io(dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(LoadError::NonUtf8Name {
                    entry: entry.path().display().to_string(),
                });
            };
            names.push(name.to_owned());
        }
        // Go's sort.Strings: byte order.
        names.sort_unstable();
        for name in names {
            let path = dir.join(&name);
            let rel_name = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            self.visit(&path, &rel_name)?;
        }
        self.stack.pop();
        Ok(())
    }

    fn visit(&mut self, path: &Path, rel: &str) -> Result<(), LoadError> {
        let mut meta = fs::symlink_metadata(path).map_err(|e| LoadError::io(path, e))?;
        if meta.file_type().is_symlink() {
            // sympath resolves the link and walks on with the resolved file's info but the
            // link's own path.
            meta = fs::metadata(path).map_err(|e| LoadError::Io {
                path: path.display().to_string(),
                message: format!("error evaluating symlink: {e}"),
            })?;
        }
        if meta.is_dir() {
            if self.rules.ignores(rel, true) {
                return Ok(());
            }
            if rel == READ_FIRST
                && let Some(first) = self.read_first.take()
            {
                if first.complete {
                    return first
                        .files
                        .into_iter()
                        .try_for_each(|file| self.admit_read_first(file));
                }
                self.already_read = first
                    .files
                    .into_iter()
                    .map(|(file, size)| (file.name.clone(), (file, size)))
                    .collect();
            }
            return self.walk_dir(path, rel);
        }
        if self.rules.ignores(rel, false) {
            return Ok(());
        }
        if !meta.is_file() {
            return Err(LoadError::IrregularFile {
                path: path.display().to_string(),
            });
        }
        let size = meta.len();
        if size > self.remaining {
            return Err(LoadError::DirectoryTooLarge {
                path: rel.to_owned(),
                limit: self.limits.max_chart_bytes,
            });
        }
        if size > self.limits.max_file_bytes {
            return Err(LoadError::FileTooLarge {
                entry: rel.to_owned(),
                size,
                limit: self.limits.max_file_bytes,
            });
        }
        if let Some(read) = self.already_read.remove(rel) {
            return self.admit_read_first(read);
        }
        let file = fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
        // One buffer for every file, then one exact copy into the shared contents: reading
        // into a fresh vector and converting it would allocate and copy each file twice.
        let data = &mut self.buffer;
        data.clear();
        data.reserve(size as usize + 1);
        // Read at most one byte past what is allowed: files can grow while we read.
        let cap = self.remaining.min(self.limits.max_file_bytes) + 1;
        file.take(cap)
            .read_to_end(data)
            .map_err(|e| LoadError::io(path, e))?;
        let read = data.len() as u64;
        if read > self.remaining {
            return Err(LoadError::DirectoryTooLarge {
                path: rel.to_owned(),
                limit: self.limits.max_chart_bytes,
            });
        }
        if read > self.limits.max_file_bytes {
            return Err(LoadError::FileTooLarge {
                entry: rel.to_owned(),
                size: read,
                limit: self.limits.max_file_bytes,
            });
        }
        self.remaining -= read;
        let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        let file = File::new(rel, data);
        (self.on_file)(&file);
        self.files.push(file);
        self.read_bytes.push(read);
        Ok(())
    }
}
