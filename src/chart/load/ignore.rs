//! `.helmignore` rules exactly as Helm 4.3.1's `pkg/ignore` (rules.go) applies them when
//! loading a chart directory, with Go's `path/filepath.Match` (Unix) as the glob matcher.
//!
//! Rule syntax: one rule per line, surrounding spaces trimmed; empty lines and lines starting
//! with `#` are skipped; `**` anywhere is an error; a rule that `filepath.Match` rejects when
//! matched against `abc` is an error. A leading `!` negates, a trailing `/` restricts the rule
//! to directories, a leading `/` (or any `/` inside) matches the whole relative path, and a
//! rule without `/` matches the base name. The default rule `templates/.?*` is appended.
//!
//! Evaluation is Helm's, including its quirks: rules are tried in order and the first that
//! decides wins; a directory-only rule is skipped for files; a negated rule *ignores*
//! everything it does not match (and every file when it is directory-only); a rule whose
//! pattern turns out malformed only when matching (Go's `Match` checks lazily) matches
//! nothing.

use super::LoadError;

/// Parsed `.helmignore` rules plus Helm's default rule.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: String,
    shape: GlobShape,
    kind: MatchKind,
    negate: bool,
    must_dir: bool,
}

/// What a glob can be matched as without Go's general matcher. Every path of a chart is
/// matched against every rule, and most rules are literal names or `*.ext`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlobShape {
    /// No `*`, `?`, `[` or `\`: matches exactly itself.
    Literal,
    /// `*` then a literal: a name ending in the literal with no `/` before it.
    StarThenLiteral,
    /// Anything else: [`go_match`].
    General,
}

impl GlobShape {
    fn of(glob: &str) -> GlobShape {
        let is_meta = |c: char| matches!(c, '*' | '?' | '[' | '\\');
        match glob.strip_prefix('*') {
            Some(rest) if !rest.is_empty() && !rest.contains(is_meta) => GlobShape::StarThenLiteral,
            Some(_) => GlobShape::General,
            None if glob.contains(is_meta) => GlobShape::General,
            None => GlobShape::Literal,
        }
    }
}

impl Pattern {
    /// `go_match(glob, subject)`, with a pattern that fails only when matched (Go checks
    /// lazily) matching nothing.
    fn matches(&self, subject: &str) -> bool {
        match self.shape {
            GlobShape::Literal => subject == self.glob,
            GlobShape::StarThenLiteral => subject
                .strip_suffix(&self.glob[1..])
                .is_some_and(|head| !head.contains('/')),
            GlobShape::General => go_match(&self.glob, subject).unwrap_or(false),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchKind {
    /// Leading `/` (removed) or a `/` inside: the whole relative path.
    Path,
    /// No `/`: the last path element.
    Base,
}

impl IgnoreRules {
    /// Rules parsed from `.helmignore` text (a UTF-8 BOM on the first line is ignored), with
    /// Helm's default rule `templates/.?*` added after them.
    ///
    /// # Errors
    /// [`LoadError::Ignore`] with Helm's message: `double-star (**) syntax is not supported`
    /// or `syntax error in pattern`, and the 1-based line.
    pub fn parse(text: &[u8]) -> Result<IgnoreRules, LoadError> {
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        let mut rules = IgnoreRules::default();
        // bufio.Scanner's ScanLines: split at '\n', drop one '\r' before it.
        let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        for (i, line) in lines.into_iter().enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = String::from_utf8_lossy(line);
            rules.add(&line).map_err(|message| LoadError::Ignore {
                line: i + 1,
                message,
            })?;
        }
        rules.add_defaults();
        Ok(rules)
    }

    /// Only Helm's default rule (`templates/.?*`), for charts without `.helmignore`.
    pub fn defaults() -> IgnoreRules {
        let mut rules = IgnoreRules::default();
        rules.add_defaults();
        rules
    }

    fn add_defaults(&mut self) {
        // The default rule is well-formed, so this cannot fail.
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, rule: &str) -> Result<(), String> {
        let rule = rule.trim_matches(go_is_space);
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".to_owned());
        }
        go_match(rule, "abc").map_err(|BadPattern| "syntax error in pattern".to_owned())?;
        let mut rest = rule;
        let negate = rest.starts_with('!');
        if negate {
            rest = &rest[1..];
        }
        let must_dir = rest.ends_with('/');
        if must_dir {
            rest = &rest[..rest.len() - 1];
        }
        let (glob, kind) = if let Some(after) = rest.strip_prefix('/') {
            (after, MatchKind::Path)
        } else if rest.contains('/') {
            (rest, MatchKind::Path)
        } else {
            (rest, MatchKind::Base)
        };
        self.patterns.push(Pattern {
            glob: glob.to_owned(),
            shape: GlobShape::of(glob),
            kind,
            negate,
            must_dir,
        });
        Ok(())
    }

    /// Whether `path` (slash-separated, relative to the chart root, e.g. `templates/x.yaml`)
    /// is ignored; `is_dir` tells whether it names a directory (whose whole subtree is then
    /// skipped by the loader).
    pub fn ignores(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let subject = match p.kind {
                MatchKind::Path => path,
                MatchKind::Base => go_base(path),
            };
            let matched = p.matches(subject);
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

/// Go's `unicode.IsSpace`, which `strings.TrimSpace` uses.
fn go_is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `filepath.Base` on Unix.
fn go_base(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// `filepath.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// Go's `path/filepath.Match` on Unix (separator `/`), byte for byte: `*` any run of
/// non-`/` bytes, `?` one non-`/` character, `[…]`/`[^…]` classes with ranges, `\` escapes.
/// Like Go, a malformed pattern is reported only if matching reaches the bad part.
pub(crate) fn go_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains(&b'/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut p = pattern;
    let mut star = false;
    while let [b'*', rest @ ..] = p {
        p = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'\\' if i + 1 < p.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => return (star, &p[..i], &p[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, p, &[])
}

/// Go's `utf8.DecodeRune`: the rune and its width; invalid input gives U+FFFD, width 1.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    if s.is_empty() {
        return (0xFFFD, 0);
    }
    let len = match s[0] {
        0x00..=0x7F => return (u32::from(s[0]), 1),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (0xFFFD, 1),
    };
    match s.get(..len).and_then(|b| std::str::from_utf8(b).ok()) {
        Some(text) => text
            .chars()
            .next()
            .map_or((0xFFFD, 1), |c| (u32::from(c), len)),
        None => (0xFFFD, 1),
    }
}

fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<(&'a [u8], bool), BadPattern> {
    let mut failed = false;
    while !chunk.is_empty() {
        failed = failed || s.is_empty();
        match chunk[0] {
            b'[' => {
                let mut r = 0u32;
                if !failed {
                    let (rr, n) = decode_rune(s);
                    r = rr;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if chunk.first() == Some(&b'^') {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    matched = matched || (lo <= r && r <= hi);
                    nrange += 1;
                }
                failed = failed || matched == negated;
            }
            b'?' => {
                if !failed {
                    failed = s[0] == b'/';
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            c => {
                let mut lit = c;
                if c == b'\\' {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        Some(b) => lit = *b,
                        None => return Err(BadPattern),
                    }
                }
                if !failed {
                    failed = lit != s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        Ok((&[], false))
    } else {
        Ok((s, true))
    }
}

fn get_esc(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let mut chunk = chunk;
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        _ => {}
    }
    let (r, n) = decode_rune(chunk);
    let bad = r == 0xFFFD && n == 1;
    let rest = &chunk[n..];
    // Go checks both and reports the same error either way.
    if bad || rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::{GlobShape, Pattern, go_match};

    /// The shortcuts for literal and `*literal` globs agree with Go's matcher.
    #[test]
    fn glob_shapes_match_as_go_match_does() {
        let globs = [
            "OWNERS",
            ".git",
            "a/b",
            "*.swp",
            "*~",
            "*.tgz",
            "*a/b",
            "*/",
            "*x*",
            "a*",
            "?a",
            "[ab]",
            "a\\*",
            "*",
            "**",
            "*[",
            "kube-prometheus-*.tgz",
            "",
        ];
        let names = [
            "",
            "OWNERS",
            "x/OWNERS",
            ".git",
            "a/b",
            "a/b/c",
            "x.swp",
            ".swp",
            "d/x.swp",
            "~",
            "x~",
            "x/~",
            "xa/b",
            "x/a/b",
            "ab",
            "a",
            "*a",
            "a*",
            "x",
            "/",
            "kube-prometheus-1.tgz",
            "é.swp",
            "[",
        ];
        for glob in globs {
            let pattern = Pattern {
                glob: glob.to_owned(),
                shape: GlobShape::of(glob),
                kind: super::MatchKind::Path,
                negate: false,
                must_dir: false,
            };
            for name in names {
                assert_eq!(
                    pattern.matches(name),
                    go_match(glob, name).unwrap_or(false),
                    "{glob:?} on {name:?} ({:?})",
                    pattern.shape
                );
            }
        }
        assert_eq!(GlobShape::of("OWNERS"), GlobShape::Literal);
        assert_eq!(GlobShape::of("*.swp"), GlobShape::StarThenLiteral);
        assert_eq!(GlobShape::of("*.s?p"), GlobShape::General);
        assert_eq!(GlobShape::of("*"), GlobShape::General);
    }
}
