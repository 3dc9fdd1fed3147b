//! Splitting rendered template output into YAML documents as Helm 4.3.1 does
//! (`pkg/release/v1/util/manifest.go`, `SplitManifests`).

/// The documents of one rendered file, in order, as Helm's `SplitManifests` yields them.
///
/// Rules (Helm's, not YAML's):
/// - leading Unicode white space of the whole text is removed first, so a separator may
///   follow blank lines at the start;
/// - a separator is `---` at the start of a line plus any spaces and tabs after it; whatever
///   else follows on that line (`foo` in `---foo`, `# c` in `--- # c`, a fourth `-`) stays at
///   the start of the next document;
/// - documents that are empty or only white space are dropped, the others lose their
///   leading white space and keep their trailing white space.
///
/// Returns slices of `text`.
pub fn split_manifests(text: &str) -> Vec<&str> {
    let text = text.trim_start();
    // Go: regexp `(?m)^---[ \t]*` with Split; `^` matches at the start and after `\n`.
    let bytes = text.as_bytes();
    // Separators are found with one vectorised search for "\n---" (rendered output can be
    // megabytes), plus a check at the very start.
    let after_newline = memchr::memmem::Finder::new(b"\n---");
    let mut piece_start = 0;
    let mut pieces: Vec<&str> = Vec::new();
    let mut line_start = if bytes.starts_with(b"---") {
        Some(0)
    } else {
        after_newline.find(bytes).map(|at| at + 1)
    };
    while let Some(start) = line_start {
        let mut end = start + 3;
        while end < bytes.len() && (bytes[end] == b' ' || bytes[end] == b'\t') {
            end += 1;
        }
        pieces.push(&text[piece_start..start]);
        piece_start = end;
        // The rest of this line is not at a line start: the next separator follows a newline
        // at or after `end`.
        line_start = after_newline.find(&bytes[end..]).map(|at| end + at + 1);
    }
    pieces.push(&text[piece_start..]);
    pieces
        .into_iter()
        .filter(|piece| !piece.trim().is_empty())
        .map(str::trim_start)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_keeps_the_rest_of_its_line() {
        assert_eq!(
            split_manifests("a: 1\n---foo\nb: 2\n"),
            ["a: 1\n", "foo\nb: 2\n"]
        );
        assert_eq!(split_manifests("a: 1\n----\n"), ["a: 1\n", "-\n"]);
    }

    #[test]
    fn separator_at_start_after_leading_blank_lines() {
        assert_eq!(split_manifests("\n \n---\na: 1\n---\n\n"), ["a: 1\n"]);
    }

    #[test]
    fn indented_dashes_are_not_separators() {
        assert_eq!(split_manifests("a: 1\n ---\nb: 2"), ["a: 1\n ---\nb: 2"]);
    }

    #[test]
    fn consecutive_separators_on_one_line_count_once() {
        // `------` is one separator followed by `---` that is not at a line start.
        assert_eq!(split_manifests("a\n------\nb"), ["a\n", "---\nb"]);
    }
}
