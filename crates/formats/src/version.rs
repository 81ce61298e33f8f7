//! A tolerant version order for the versions people really write in CVE records:
//! `2.4.59`, `11.0.0-M1`, `9.0.0.M11`, `1.0.0rc1`, `6.x`, `6.10.*`, `v1.2`.
//!
//! It is a total order over all strings (garbage included), so range checks never
//! crash on a record: a version is read as a sequence of tokens, numbers compared as
//! numbers, words before numbers (a pre-release `-M1`, `rc1`, `beta` is lower than the
//! release), wildcards (`x`, `*`) above everything, and missing tokens count as `0`
//! (`1.0` == `1.0.0`). Separators (`.`, `-`, `_`, `+`, spaces) only split tokens.

use std::cmp::Ordering;

/// One token of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// A word: pre-release or qualifier, ranked (`dev` < `alpha` < `beta` < `milestone` <
    /// `rc` < `snapshot` < other words, then by text).
    Word(u8, String),
    /// Digits without leading zeros ("" for zero), compared by length then text so that
    /// any number of digits works.
    Num(&'a str),
    /// `x`, `X` or `*`: any version in that position, above every number.
    Wild,
}

impl Ord for Token<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        use Token::*;
        match (self, other) {
            (Word(ra, a), Word(rb, b)) => ra.cmp(rb).then_with(|| a.cmp(b)),
            (Word(..), _) => Ordering::Less,
            (_, Word(..)) => Ordering::Greater,
            (Num(a), Num(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Num(_), Wild) => Ordering::Less,
            (Wild, Num(_)) => Ordering::Greater,
            (Wild, Wild) => Ordering::Equal,
        }
    }
}

impl PartialOrd for Token<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Words that mean "the release itself" (Maven's `.Final`, `-GA`).
const RELEASE_WORDS: [&str; 3] = ["final", "ga", "release"];

fn word_rank(w: &str) -> u8 {
    match w {
        "dev" | "pre" | "preview" | "ea" => 0,
        "alpha" | "a" => 1,
        "beta" | "b" => 2,
        "milestone" | "m" => 3,
        "rc" | "cr" => 4,
        "snapshot" => 5,
        _ => 6,
    }
}

fn tokens(v: &str) -> Vec<Token<'_>> {
    let v = v.trim();
    // A leading "v" as in "v1.2.3" is a habit, not part of the version.
    let v = match v.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    };
    let mut out = Vec::new();
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Token::Num(v[start..i].trim_start_matches('0')));
        } else if b.is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let w = v[start..i].to_ascii_lowercase();
            if w == "x" {
                out.push(Token::Wild);
            } else if !RELEASE_WORDS.contains(&w.as_str()) {
                out.push(Token::Word(word_rank(&w), w));
            }
        } else if b == b'*' {
            out.push(Token::Wild);
            i += 1;
        } else if b.is_ascii() {
            i += 1;
        } else {
            // Non-ASCII text: one word per character run, compared as text.
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii() {
                i += 1;
            }
            out.push(Token::Word(6, v[start..i].to_string()));
        }
    }
    out
}

/// Compares two versions in the tolerant order described in the module docs.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ta, tb) = (tokens(a), tokens(b));
    let zero = Token::Num("");
    for i in 0..ta.len().max(tb.len()) {
        let x = ta.get(i).unwrap_or(&zero);
        let y = tb.get(i).unwrap_or(&zero);
        match x.cmp(y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

/// True when `v` reads like a version number at all (starts with a digit after an
/// optional `v`): the range checks only judge such versions.
pub fn looks_like_version(v: &str) -> bool {
    let v = v.trim();
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    v.starts_with(|c: char| c.is_ascii_digit())
}

/// True when `v` is a SemVer 2.0 version (`1.2.3`, `1.2.3-rc.1+build`), as OSV's SEMVER
/// ranges require.
pub fn is_semver(v: &str) -> bool {
    let (core, rest) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let numeric = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3 || !parts.iter().all(|p| numeric(p)) {
        return false;
    }
    let (pre, build) = match rest.find('+') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let pre_ok = match pre.strip_prefix('-') {
        None => pre.is_empty(),
        Some(p) => p
            .split('.')
            .all(|id| ident(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id))),
    };
    pre_ok && build.is_none_or(|b| b.split('.').all(ident))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering::*;

    #[test]
    fn orders_real_versions() {
        let cases = [
            ("1.0", "1.0.0", Equal),
            ("2.4.9", "2.4.59", Less),
            ("11.0.0-M1", "11.0.0", Less),
            ("11.0.0-M1", "11.0.0-M10", Less),
            ("9.0.0.M11", "9.0.0.M15", Less),
            ("1.0.0rc1", "1.0.0", Less),
            ("1.0.0-alpha", "1.0.0-beta", Less),
            ("1.0.0-rc.1", "1.0.0-SNAPSHOT", Less),
            ("6.x", "6.10", Greater),
            ("6.10.*", "6.10.5", Greater),
            ("v1.2.3", "1.2.3", Equal),
            ("3.2.11.Final", "3.2.11", Equal),
            ("18.12.06", "18.12.07", Less),
            ("99999999999999999999999", "1", Greater),
            ("0", "0.9.0", Less),
            ("1.23.0-0", "1.23.1", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn garbage_does_not_crash() {
        for v in [
            "",
            "n/a",
            "< 34.3.1",
            "Apache SOAP*",
            "4.0.4, 3.6.3, 3.5.8",
            "1c325aac10a8",
            "版本 2",
            "--",
            "∞",
        ] {
            assert_eq!(compare(v, v), Equal);
            let _ = compare(v, "1.0");
        }
    }

    #[test]
    fn semver_is_strict() {
        for ok in ["1.2.3", "0.0.0", "11.0.0-M1", "1.0.0-rc.1+b.5"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.2", "01.2.3", "1.2.3.4", "v1.2.3", "1.x.0", "1.0.0-", "1.0.0-01",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    fn version() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            4 => (0u32..30).prop_map(|n| n.to_string()),
            1 => prop::sample::select(vec!["M", "rc", "alpha", "beta", "SNAPSHOT", "x", "*", "Final", "sp", "foo", "00", "v"]).prop_map(String::from),
        ];
        let sep = prop::sample::select(vec![".", "-", "", "_", "+"]);
        prop::collection::vec((token, sep), 0..6)
            .prop_map(|parts| parts.into_iter().map(|(t, s)| format!("{t}{s}")).collect())
    }

    proptest! {
        #[test]
        fn antisymmetric(a in version(), b in version()) {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
        }

        #[test]
        fn transitive(a in version(), b in version(), c in version()) {
            let mut v = [a, b, c];
            v.sort_by(|x, y| compare(x, y));
            prop_assert_ne!(compare(&v[0], &v[1]), Greater);
            prop_assert_ne!(compare(&v[1], &v[2]), Greater);
            prop_assert_ne!(compare(&v[0], &v[2]), Greater, "{:?}", v);
        }

        #[test]
        fn reflexive_and_total_on_any_text(a in ".{0,12}", b in ".{0,12}") {
            prop_assert_eq!(compare(&a, &a), Equal);
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
        }
    }
}
