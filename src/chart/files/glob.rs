//! Glob patterns as `github.com/gobwas/glob` v0.2.3 compiles and matches them with `/` as the
//! only separator, which is what Helm's `.Files.Glob` uses (pkg/engine/files.go).
//!
//! Syntax (from the library's lexer and parser, syntax/lexer/lexer.go, syntax/ast/parser.go):
//! `*` any run of characters without `/`; `**` any run at all; `?` one character other than
//! `/`; `[abc]`, `[!abc]` one character in (not in) the list; `[a-z]`, `[!a-z]` one character
//! in (not in) the range; `{x,y}` alternatives (nestable; an unclosed `{` is closed at the end);
//! `\` makes the next character literal (a trailing `\` is dropped); a NUL character ends the
//! pattern. Lists and ranges do not exclude `/`. Malformed classes (`[]`, `[a`, `[z-a]`,
//! `[a-bc]`) are compile errors, on which Helm falls back to `**` (match everything).

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(Vec<char>),
    Any,
    Super,
    Single,
    List { chars: Vec<char>, not: bool },
    Range { lo: char, hi: char, not: bool },
    AnyOf(Vec<Vec<Node>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Text(Vec<char>),
    Any,
    Super,
    Single,
    RangeOpen,
    RangeClose,
    Not,
    RangeLo(char),
    RangeHi(char),
    TermsOpen,
    TermsClose,
    Separator,
}

/// Why a pattern does not compile (the library's texts are not surfaced by Helm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadGlob;

const EOF: char = '\0';

struct Lexer {
    data: Vec<char>,
    pos: usize,
    last_width: usize,
    terms_level: usize,
    tokens: Vec<Token>,
}

impl Lexer {
    fn read(&mut self) -> char {
        match self.data.get(self.pos) {
            Some(c) => {
                self.pos += 1;
                self.last_width = 1;
                *c
            }
            None => {
                self.last_width = 0;
                EOF
            }
        }
    }

    fn unread(&mut self) {
        self.pos -= self.last_width;
    }

    fn peek(&self) -> char {
        self.data.get(self.pos).copied().unwrap_or(EOF)
    }

    /// Tokenizes the whole pattern; `Err` for the lexer's errors.
    fn run(mut self) -> Result<Vec<Token>, BadGlob> {
        loop {
            let r = self.read();
            match r {
                EOF => return Ok(self.tokens),
                '{' => {
                    self.terms_level += 1;
                    self.tokens.push(Token::TermsOpen);
                }
                ',' if self.terms_level > 0 => self.tokens.push(Token::Separator),
                '}' if self.terms_level > 0 => {
                    self.tokens.push(Token::TermsClose);
                    self.terms_level -= 1;
                }
                '[' => {
                    self.tokens.push(Token::RangeOpen);
                    self.fetch_range()?;
                }
                '?' => self.tokens.push(Token::Single),
                '*' => {
                    if self.read() == '*' {
                        self.tokens.push(Token::Super);
                    } else {
                        self.unread();
                        self.tokens.push(Token::Any);
                    }
                }
                _ => {
                    self.unread();
                    let breakers: &[char] = if self.terms_level > 0 {
                        &['?', '*', '[', '{', '}', ',']
                    } else {
                        &['?', '*', '[', '{']
                    };
                    self.fetch_text(breakers);
                }
            }
        }
    }

    fn fetch_range(&mut self) -> Result<(), BadGlob> {
        let mut want_hi = false;
        let mut want_close = false;
        let mut seen_not = false;
        loop {
            let r = self.read();
            if r == EOF {
                return Err(BadGlob);
            }
            if want_close {
                if r != ']' {
                    return Err(BadGlob);
                }
                self.tokens.push(Token::RangeClose);
                return Ok(());
            }
            if want_hi {
                self.tokens.push(Token::RangeHi(r));
                want_close = true;
                continue;
            }
            if !seen_not && r == '!' {
                self.tokens.push(Token::Not);
                seen_not = true;
                continue;
            }
            if self.peek() == '-' {
                self.pos += 1;
                self.tokens.push(Token::RangeLo(r));
                want_hi = true;
                continue;
            }
            self.unread();
            self.fetch_text(&[']']);
            want_close = true;
        }
    }

    fn fetch_text(&mut self, breakers: &[char]) {
        let mut data = Vec::new();
        let mut escaped = false;
        loop {
            let r = self.read();
            if r == EOF {
                break;
            }
            if !escaped {
                if r == '\\' {
                    escaped = true;
                    continue;
                }
                if breakers.contains(&r) {
                    self.unread();
                    break;
                }
            }
            escaped = false;
            data.push(r);
        }
        if !data.is_empty() {
            self.tokens.push(Token::Text(data));
        }
    }
}

impl Glob {
    /// Compiles `pattern` as `glob.Compile(pattern, '/')` does.
    ///
    /// # Errors
    /// [`BadGlob`] where the library's lexer or parser fails.
    pub fn compile(pattern: &str) -> Result<Glob, BadGlob> {
        let lexer = Lexer {
            data: pattern.chars().collect(),
            pos: 0,
            last_width: 0,
            terms_level: 0,
            tokens: Vec::new(),
        };
        let tokens = lexer.run()?;
        Ok(Glob {
            nodes: parse(tokens)?,
        })
    }

    /// The pattern Helm falls back to when compiling fails: `**`.
    pub fn match_all() -> Glob {
        Glob {
            nodes: vec![Node::Super],
        }
    }

    /// Whether the whole of `name` matches.
    pub fn is_match(&self, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        let seq: Vec<&Node> = self.nodes.iter().collect();
        match_seq(&seq, &chars)
    }
}

/// Builds the tree as the library's parser does: a stack of open `{…}` groups, each holding
/// its finished alternatives and the one being filled.
fn parse(tokens: Vec<Token>) -> Result<Vec<Node>, BadGlob> {
    struct Group {
        outer: Vec<Node>,
        alts: Vec<Vec<Node>>,
    }
    let mut current: Vec<Node> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut it = tokens.into_iter();
    while let Some(tok) = it.next() {
        match tok {
            Token::Text(t) => current.push(Node::Text(t)),
            Token::Any => current.push(Node::Any),
            Token::Super => current.push(Node::Super),
            Token::Single => current.push(Node::Single),
            Token::TermsOpen => groups.push(Group {
                outer: std::mem::take(&mut current),
                alts: Vec::new(),
            }),
            Token::Separator => {
                let g = groups.last_mut().ok_or(BadGlob)?;
                g.alts.push(std::mem::take(&mut current));
            }
            Token::TermsClose => {
                let mut g = groups.pop().ok_or(BadGlob)?;
                g.alts.push(std::mem::take(&mut current));
                current = g.outer;
                current.push(Node::AnyOf(g.alts));
            }
            Token::RangeOpen => current.push(parse_range(&mut it)?),
            _ => return Err(BadGlob),
        }
    }
    // Unclosed groups are closed at the end, as the library's tree already holds them.
    while let Some(mut g) = groups.pop() {
        g.alts.push(std::mem::take(&mut current));
        current = g.outer;
        current.push(Node::AnyOf(g.alts));
    }
    Ok(current)
}

fn parse_range(it: &mut impl Iterator<Item = Token>) -> Result<Node, BadGlob> {
    let mut not = false;
    let mut lo = EOF;
    let mut hi = EOF;
    let mut chars: Vec<char> = Vec::new();
    for tok in it.by_ref() {
        match tok {
            Token::Not => not = true,
            Token::RangeLo(c) => lo = c,
            Token::RangeHi(c) => {
                hi = c;
                if hi < lo {
                    return Err(BadGlob);
                }
            }
            Token::Text(t) => chars = t,
            Token::RangeClose => {
                let is_range = lo != EOF && hi != EOF;
                let is_chars = !chars.is_empty();
                if is_chars == is_range {
                    return Err(BadGlob);
                }
                return Ok(if is_range {
                    Node::Range { lo, hi, not }
                } else {
                    Node::List { chars, not }
                });
            }
            _ => {}
        }
    }
    Err(BadGlob)
}

fn match_seq(seq: &[&Node], s: &[char]) -> bool {
    let Some((node, rest)) = seq.split_first() else {
        return s.is_empty();
    };
    match node {
        Node::Text(t) => s.starts_with(t) && match_seq(rest, &s[t.len()..]),
        Node::Single => s.first().is_some_and(|c| *c != '/') && match_seq(rest, &s[1..]),
        Node::List { chars, not } => {
            s.first().is_some_and(|c| chars.contains(c) != *not) && match_seq(rest, &s[1..])
        }
        Node::Range { lo, hi, not } => {
            s.first().is_some_and(|c| (lo <= c && c <= hi) != *not) && match_seq(rest, &s[1..])
        }
        Node::Any => {
            for i in 0..=s.len() {
                if i > 0 && s[i - 1] == '/' {
                    break;
                }
                if match_seq(rest, &s[i..]) {
                    return true;
                }
            }
            false
        }
        Node::Super => (0..=s.len()).any(|i| match_seq(rest, &s[i..])),
        Node::AnyOf(alts) => alts.iter().any(|alt| {
            let mut v: Vec<&Node> = alt.iter().collect();
            v.extend_from_slice(rest);
            match_seq(&v, s)
        }),
    }
}
