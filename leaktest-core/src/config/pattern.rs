//! Test name patterns of `Leaktest.toml` overrides: `parser::*`, `*_roundtrip`,
//! `cache::lru_?`.

/// A pattern over test names as `--list` shows them (`module::path::function`,
/// without the crate): `*` stands for any run of characters (`::` included),
/// `?` for any one character; everything else matches itself, and the
/// pattern must match the whole name.
///
/// ```
/// use leaktest_core::config::Pattern;
///
/// let pattern = Pattern::new("parser::*");
/// assert!(pattern.matches("parser::parses_headers"));
/// assert!(pattern.matches("parser::deep::nested"));
/// assert!(!pattern.matches("lexer::parser::x"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
}

impl Pattern {
    /// The pattern written as `text`.
    pub fn new(text: impl Into<String>) -> Pattern {
        Pattern { text: text.into() }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let pattern: Vec<char> = self.text.chars().collect();
        let name: Vec<char> = name.chars().collect();
        // Greedy matching with backtracking to the last `*`: linear in
        // practice, and never exponential.
        let (mut p, mut n) = (0, 0);
        let mut last_star: Option<(usize, usize)> = None;
        while n < name.len() {
            match pattern.get(p) {
                Some('*') => {
                    last_star = Some((p, n));
                    p += 1;
                }
                Some('?') => {
                    p += 1;
                    n += 1;
                }
                Some(&c) if c == name[n] => {
                    p += 1;
                    n += 1;
                }
                _ => match last_star {
                    Some((star, matched)) => {
                        p = star + 1;
                        n = matched + 1;
                        last_star = Some((star, matched + 1));
                    }
                    None => return false,
                },
            }
        }
        pattern[p..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        let cases = [
            ("parser::*", "parser::a", true),
            ("parser::*", "parser::", true),
            ("parser::*", "parsers::a", false),
            ("*_roundtrip", "net::tcp_roundtrip", true),
            ("*_roundtrip", "net::tcp_roundtrip_slow", false),
            ("cache::lru_?", "cache::lru_1", true),
            ("cache::lru_?", "cache::lru_10", false),
            ("*", "anything::at::all", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("exact::name", "exact::name", true),
            ("exact::name", "exact::name2", false),
            ("**x", "abx", true),
            ("é*", "éa", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                Pattern::new(pattern).matches(name),
                expected,
                "{pattern} against {name}"
            );
        }
    }
}
