//! Search terms: what the team's search finds a report by, and what a query asks for,
//! as keyed marks only (docs/search.md).
//!
//! A report's searchable text (title, description, thread, reporter, ids, attachment
//! names) is cut into [`Term`]s: single words, pairs of adjacent words (a phrase is
//! then the AND of its pairs), the prefixes of advisory and report ids, e-mail
//! addresses whole and their domains. The store keeps only each term's [`Term::mark`],
//! a keyed hash made with the installation's search key: a copy of the database says
//! which reports share a term, never what the term is, and cannot be checked against a
//! guessed word without the key. A [`Query`] is read from what a member typed into the
//! same terms, so that the store looks up the reports holding every one of them.
//!
//! Tokenising is deliberately simple and the same on both sides: runs of letters and
//! digits (any script; each CJK ideograph or kana is a word of its own, so that text
//! written without spaces pairs up character by character), lower-cased with Unicode's
//! rules. Very common words ([`STOP_WORDS`]) are not indexed: they would match nearly
//! every report and say nothing.

use std::collections::BTreeSet;
use std::fmt;

use crate::DomainError;
use crate::blind::BlindKey;
use crate::ids::ReportId;
use crate::report::Report;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most terms a query may look up (a phrase of n words is n - 1 terms).
pub const MAX_QUERY_TERMS: usize = 8;
/// The shortest id prefix searched for (`GHSA-abc`, `EMB-ABCD`, `CVE-2026`): shorter
/// ones would match nearly every id.
pub const MIN_ID_PREFIX: usize = 8;
/// The most distinct terms one report is indexed by; text beyond is not searchable.
pub const MAX_TERMS_PER_REPORT: usize = 20_000;
/// Longer words are cut to this many characters (both in reports and queries).
const MAX_WORD_CHARS: usize = 40;
/// Tokens read from one text (a report's text is at most 64 KB).
const MAX_TOKENS_PER_TEXT: usize = 16_000;
/// The keyed hash's purpose: search marks never equal duplicate-detection marks.
const PURPOSE: &[u8] = b"search-term v1";

/// Words too common to search by (English: most reports are written in it).
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "i", "in", "is",
    "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "we", "were", "will",
    "with",
];

/// One thing a report can be found by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    /// A word, lower-cased.
    Word(String),
    /// Two words that follow each other (stop words skipped).
    Pair(String, String),
    /// A prefix of a CVE, GHSA or report id, lower-cased, at least [`MIN_ID_PREFIX`] long.
    IdPrefix(String),
    /// A whole e-mail address, lower-cased.
    Email(String),
    /// An address's domain, or a parent domain of it (`example.org` of `a@mx.example.org`).
    Domain(String),
}

impl Term {
    /// The keyed mark the store indexes this term by.
    pub fn mark(&self, key: &BlindKey) -> i64 {
        // A tag per kind and a separator no word contains, so that kinds never collide.
        let data = match self {
            Term::Word(w) => format!("w\0{w}"),
            Term::Pair(a, b) => format!("p\0{a}\0{b}"),
            Term::IdPrefix(p) => format!("i\0{p}"),
            Term::Email(e) => format!("e\0{e}"),
            Term::Domain(d) => format!("d\0{d}"),
        };
        key.mark(PURPOSE, data.as_bytes())
    }
}

/// A piece of text as the tokenizer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    /// A whole id in a report; an id prefix in a query. Lower-cased.
    Id(String),
    Email(String),
    /// `@example.org` in a query.
    Domain(String),
}

/// Reading a report's text or a query: only a query reads id prefixes and `@domain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Document,
    Query,
}

/// The texts of a report the search reads, besides its thread and attachment names:
/// its id, title, description, affected versions, reporter, CVE id and summary.
pub fn report_texts(report: &Report) -> Vec<String> {
    let mut texts = vec![
        report.id.to_string(),
        report.title.clone(),
        report.description.clone(),
    ];
    texts.extend(report.affected_versions.clone());
    texts.extend(report.reporter.name.clone());
    texts.extend(report.reporter.email.as_ref().map(ToString::to_string));
    texts.extend(report.reporter.credit.clone());
    texts.extend(report.cve.as_ref().map(ToString::to_string));
    texts.extend(report.cve_summary.clone());
    texts
}

/// The terms `text` is found by, without repeats.
pub fn document_terms(text: &str) -> BTreeSet<Term> {
    let mut terms = BTreeSet::new();
    let mut previous: Option<String> = None;
    for token in tokens(text, Mode::Document).take(MAX_TOKENS_PER_TEXT) {
        match token {
            Token::Word(w) => {
                if is_stop_word(&w) {
                    continue;
                }
                if let Some(p) = previous.take() {
                    terms.insert(Term::Pair(p, w.clone()));
                }
                terms.insert(Term::Word(w.clone()));
                previous = Some(w);
            }
            Token::Id(id) => {
                // Every prefix from the shortest searched for: `CVE-2026-12` finds
                // CVE-2026-12345. Ids are ASCII, so byte lengths are characters.
                for end in MIN_ID_PREFIX..=id.len() {
                    terms.insert(Term::IdPrefix(id[..end].to_string()));
                }
            }
            Token::Email(address) => {
                if let Some((_, domain)) = address.rsplit_once('@') {
                    for d in parent_domains(domain) {
                        terms.insert(Term::Domain(d.to_string()));
                    }
                }
                terms.insert(Term::Email(address));
            }
            Token::Domain(_) => {}
        }
    }
    terms
}

/// The sorted, distinct marks of `texts`' terms, at most [`MAX_TERMS_PER_REPORT`].
pub fn marks<'a>(key: &BlindKey, texts: impl IntoIterator<Item = &'a str>) -> Vec<i64> {
    let mut out = BTreeSet::new();
    for text in texts {
        for term in document_terms(text) {
            if out.len() >= MAX_TERMS_PER_REPORT {
                return out.into_iter().collect();
            }
            out.insert(term.mark(key));
        }
    }
    out.into_iter().collect()
}

/// A member's search: reports holding every one of its terms.
#[derive(Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
}

impl fmt::Debug for Query {
    /// What was searched for may name an embargoed CVE: never in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Query({} terms)", self.terms.len())
    }
}

impl Query {
    /// Reads a query: words, `"quoted phrases"`, id prefixes (`CVE-2026-12`,
    /// `GHSA-abcd`, `EMB-4F2K`), e-mail addresses and `@domain`s. `None` for a blank
    /// query (no search); an error that says what to change for one that is too long,
    /// too short an id prefix, or nothing but very common words.
    pub fn parse(q: &str) -> Result<Option<Query>, DomainError> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(None);
        }
        let chars = q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(DomainError::invalid(
                "q",
                format!("the search is {chars} characters long; at most {MAX_QUERY_CHARS}"),
            ));
        }
        let mut terms: Vec<Term> = Vec::new();
        let mut push = |t: Term| {
            if !terms.contains(&t) {
                terms.push(t);
            }
        };
        let mut common = None;
        // Between quotes is a phrase; an unclosed quote runs to the end.
        for (i, part) in q.split('"').enumerate() {
            let phrase = i % 2 == 1;
            let mut words: Vec<String> = Vec::new();
            for token in tokens(part, Mode::Query) {
                match token {
                    Token::Word(w) if is_stop_word(&w) => common = Some(w),
                    Token::Word(w) => words.push(w),
                    Token::Id(p) => {
                        if p.len() < MIN_ID_PREFIX {
                            return Err(DomainError::invalid(
                                "q",
                                format!(
                                    "{:?} is too short to search ids by: give at least \
                                     {MIN_ID_PREFIX} characters (such as CVE-2026 or GHSA-abc)",
                                    p.to_uppercase()
                                ),
                            ));
                        }
                        push(Term::IdPrefix(p));
                    }
                    Token::Email(e) => push(Term::Email(e)),
                    Token::Domain(d) => push(Term::Domain(d)),
                }
            }
            if phrase && words.len() > 1 {
                for pair in words.windows(2) {
                    push(Term::Pair(pair[0].clone(), pair[1].clone()));
                }
            } else {
                words.into_iter().for_each(|w| push(Term::Word(w)));
            }
        }
        if terms.is_empty() {
            return Err(DomainError::invalid(
                "q",
                match common {
                    Some(w) => format!("{w:?} is too common to search for; add a less common word"),
                    None => "the search has no words, ids or addresses to look for".into(),
                },
            ));
        }
        if terms.len() > MAX_QUERY_TERMS {
            return Err(DomainError::invalid(
                "q",
                format!(
                    "the search asks for {} terms (words, pairs of words in phrases, ids, \
                     addresses); at most {MAX_QUERY_TERMS}",
                    terms.len()
                ),
            ));
        }
        Ok(Some(Query { terms }))
    }

    /// The terms a matching report holds, each once.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The marks the store looks up, in the query's order.
    pub fn marks(&self, key: &BlindKey) -> Vec<i64> {
        self.terms.iter().map(|t| t.mark(key)).collect()
    }
}

fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.contains(&w)
}

/// A domain and its parents of at least two labels: `mx.example.org`, `example.org`.
fn parent_domains(domain: &str) -> impl Iterator<Item = &str> {
    let dots = domain.matches('.').count();
    domain
        .match_indices('.')
        .map(|(i, _)| i + 1)
        .take(dots.saturating_sub(1))
        .map(|i| &domain[i..])
        .chain(std::iter::once(domain).filter(move |_| dots > 0))
}

/// Characters that hold a chunk together: letters, digits and what ids and addresses
/// are written with.
fn in_chunk(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+')
}

/// The tokens of `text`, in order.
fn tokens(text: &str, mode: Mode) -> impl Iterator<Item = Token> + '_ {
    text.split(|c: char| !in_chunk(c))
        .filter(|chunk| !chunk.is_empty())
        .flat_map(move |chunk| chunk_tokens(chunk, mode))
}

/// The tokens of one chunk: an e-mail address, an id, or words.
fn chunk_tokens(raw: &str, mode: Mode) -> Vec<Token> {
    let chunk = raw.trim_matches(|c: char| !c.is_alphanumeric());
    if chunk.is_empty() {
        return vec![];
    }
    if mode == Mode::Query && raw.starts_with('@') && is_domain(chunk) {
        return vec![Token::Domain(chunk.to_lowercase())];
    }
    if let Some((local, domain)) = chunk.rsplit_once('@')
        && !local.is_empty()
        && !local.contains('@')
        && is_domain(domain)
    {
        // The address, and its words (a name in the local part is searchable too).
        let mut out = vec![Token::Email(chunk.to_lowercase())];
        out.extend(words(chunk));
        return out;
    }
    match mode {
        Mode::Document => {
            if let Some(len) = crate::advisory::id_at(chunk) {
                let mut out = vec![Token::Id(chunk[..len].to_ascii_lowercase())];
                out.extend(words(&chunk[len..]));
                return out;
            }
            if let Ok(id) = ReportId::parse(chunk) {
                return vec![Token::Id(id.as_str().to_ascii_lowercase())];
            }
        }
        Mode::Query => {
            if looks_like_id_prefix(chunk) {
                return vec![Token::Id(chunk.to_ascii_lowercase())];
            }
        }
    }
    words(chunk).collect()
}

/// `CVE-2026-1`, `GHSA-abcd-`, `EMB-4F2`: the start of an id, as a query writes it.
fn looks_like_id_prefix(chunk: &str) -> bool {
    let Some((scheme, rest)) = chunk.split_once('-') else {
        return false;
    };
    let rest_ok = |allowed: fn(char) -> bool| !rest.is_empty() && rest.chars().all(allowed);
    match scheme.to_ascii_lowercase().as_str() {
        "cve" => rest_ok(|c| c.is_ascii_digit() || c == '-'),
        "ghsa" => rest.len() <= 14 && rest_ok(|c| c.is_ascii_alphanumeric() || c == '-'),
        // Report ids are Crockford base 32: no I, L, O or U.
        "emb" => {
            rest.len() <= 12
                && rest_ok(|c| {
                    c.is_ascii_alphanumeric()
                        && !matches!(c.to_ascii_uppercase(), 'I' | 'L' | 'O' | 'U')
                })
        }
        _ => false,
    }
}

/// Labels of letters, digits and hyphens, at least two of them.
fn is_domain(s: &str) -> bool {
    let mut labels = 0;
    for label in s.split('.') {
        if label.is_empty() || !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

/// The words of a chunk: runs of letters and digits, each CJK ideograph or kana on its
/// own, lower-cased and cut to [`MAX_WORD_CHARS`].
fn words(chunk: &str) -> impl Iterator<Item = Token> + '_ {
    chunk
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .flat_map(split_ideographs)
        .map(|w| {
            Token::Word(
                w.chars()
                    .flat_map(char::to_lowercase)
                    .take(MAX_WORD_CHARS)
                    .collect(),
            )
        })
}

/// Splits a run of letters so that each ideograph stands alone.
fn split_ideographs(word: &str) -> Vec<&str> {
    if !word.chars().any(is_ideograph) {
        return vec![word];
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if is_ideograph(c) {
            if start < i {
                out.push(&word[start..i]);
            }
            out.push(&word[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < word.len() {
        out.push(&word[start..]);
    }
    out
}

/// Han ideographs and Japanese kana: scripts written without spaces between words.
fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> Term {
        Term::Word(w.into())
    }
    fn pair(a: &str, b: &str) -> Term {
        Term::Pair(a.into(), b.into())
    }
    fn parse(q: &str) -> Vec<Term> {
        Query::parse(q).unwrap().unwrap().terms().to_vec()
    }
    fn error(q: &str) -> String {
        Query::parse(q).unwrap_err().to_string()
    }
    /// Whether a report of `text` is found by `q`: every query term is a document term.
    fn finds(text: &str, q: &str) -> bool {
        let doc = document_terms(text);
        parse(q).iter().all(|t| doc.contains(t))
    }

    #[test]
    fn words_are_case_folded_and_common_words_dropped() {
        let terms = document_terms("The Upload of ÉTÉ files");
        assert!(terms.contains(&word("upload")) && terms.contains(&word("été")));
        assert!(!terms.contains(&word("the")) && !terms.contains(&word("of")));
        assert!(finds("The Upload of ÉTÉ files", "upload été"));
        assert!(finds("The Upload of ÉTÉ files", "UPLOAD"));
        assert!(!finds("The Upload of ÉTÉ files", "download"));
        // A query is an AND of its terms.
        assert!(!finds("The Upload of ÉTÉ files", "upload download"));
        assert_eq!(parse("Upload  the UPLOAD"), [word("upload")]);
    }

    #[test]
    fn phrases_are_pairs_of_adjacent_words() {
        let text = "It allows remote code execution via the template engine.";
        assert!(finds(text, r#""remote code execution""#));
        assert!(
            finds(text, r#""execution via the template""#),
            "stop words skipped"
        );
        assert!(!finds(text, r#""code remote""#), "order matters");
        assert!(!finds(
            "remote users; code execution",
            r#""remote code execution""#
        ));
        assert_eq!(
            parse(r#"xss "remote code execution"#),
            [
                word("xss"),
                pair("remote", "code"),
                pair("code", "execution")
            ],
            "an unclosed quote runs to the end"
        );
        assert_eq!(
            parse(r#""upload""#),
            [word("upload")],
            "a one-word phrase is a word"
        );
    }

    #[test]
    fn ids_are_found_by_their_prefixes() {
        let text = "Same as cve-2026-12345 (see GHSA-jfh8-c2jp-5v3q and EMB-4F2K8QZ1MMXA).";
        for q in [
            "CVE-2026-12345",
            "CVE-2026-12",
            "cve-2026",
            "GHSA-jfh8",
            "ghsa-JFH8-c2jp-5v3q",
            "EMB-4F2K",
            "emb-4f2k8qz1mmxa",
        ] {
            assert!(finds(text, q), "{q}");
        }
        assert!(!finds(text, "CVE-2026-13"));
        assert!(!finds(text, "CVE-2026-123456"));
        // An id is not its parts: "2026" alone is a word nobody wrote.
        assert!(!document_terms(text).contains(&word("2026")));
        let err = error("CVE-20");
        assert!(
            err.contains(r#""CVE-20" is too short to search ids by"#),
            "{err}"
        );
        // Something that only starts like an id is words.
        assert_eq!(parse("cve-list"), [word("cve"), word("list")]);
    }

    #[test]
    fn addresses_whole_by_domain_and_by_name() {
        let text = "From: Mallory.Smith@Mail.Example.ORG";
        assert!(finds(text, "mallory.smith@mail.example.org"));
        assert!(finds(text, "@example.org"));
        assert!(finds(text, "@mail.example.org"));
        assert!(finds(text, "mallory"));
        assert!(
            !document_terms(text).contains(&Term::Domain("org".into())),
            "a bare top-level domain is not a domain term"
        );
        assert!(!finds(text, "eve@mail.example.org"));
        assert_eq!(parse("@Example.org"), [Term::Domain("example.org".into())]);
    }

    #[test]
    fn unicode_text_and_cjk_pairs() {
        let text = "Überlauf im Parser: 远程代码执行 в модуле";
        assert!(finds(text, "überlauf"));
        assert!(finds(text, "МОДУЛЕ"));
        // Ideographs pair up: a phrase of them is found, a different one is not.
        assert!(finds(text, r#""代码执行""#));
        assert!(!finds(text, r#""执行代码""#));
        assert!(finds(text, "远程代码执行"), "unquoted: every character");
    }

    #[test]
    fn queries_are_bounded_with_a_clear_message() {
        assert_eq!(Query::parse("   ").unwrap(), None);
        let long = "x".repeat(MAX_QUERY_CHARS + 1);
        assert!(error(&long).contains("201 characters long; at most 200"));
        let err = error("one two three four five six seven eight nine");
        assert!(
            err.contains("asks for 9 terms") && err.contains("at most 8"),
            "{err}"
        );
        assert!(error("the of").contains(r#""of" is too common to search for"#));
        assert!(error("!!! ---").contains("no words, ids or addresses"));
        // Terms repeated count once.
        assert_eq!(parse("a b b b b b b b b b b c").len(), 2);
        assert_eq!(
            format!("{:?}", Query::parse("CVE-2026-1234").unwrap().unwrap()),
            "Query(1 terms)",
            "never the text"
        );
    }

    #[test]
    fn marks_are_keyed_distinct_per_kind_and_bounded() {
        let key = BlindKey::new(&[3; 32]);
        let other = BlindKey::new(&[4; 32]);
        let w = word("upload");
        assert_eq!(w.mark(&key), w.mark(&key));
        assert_ne!(w.mark(&key), w.mark(&other));
        assert_ne!(w.mark(&key), Term::IdPrefix("upload".into()).mark(&key));
        assert_ne!(pair("a", "bc").mark(&key), pair("ab", "c").mark(&key));
        let q = Query::parse("upload").unwrap().unwrap();
        assert!(marks(&key, ["An upload bug"]).contains(&q.marks(&key)[0]));
        let huge: String = (0..30_000).map(|i| format!("w{i} ")).collect();
        assert_eq!(marks(&key, [huge.as_str()]).len(), MAX_TERMS_PER_REPORT);
    }

    proptest::proptest! {
        /// Any text indexes and any query parses or is refused, without a panic; a
        /// query of words taken from a text finds it.
        #[test]
        fn any_text_and_query(text in "\\PC{0,300}", q in "\\PC{0,220}") {
            let doc = document_terms(&text);
            if let Ok(Some(query)) = Query::parse(&q) {
                proptest::prop_assert!(query.terms().len() <= MAX_QUERY_TERMS);
            }
            let first_words: String = text.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
            if let Ok(Some(query)) = Query::parse(&first_words) {
                for t in query.terms() {
                    if matches!(t, Term::Word(_)) {
                        proptest::prop_assert!(doc.contains(t), "{t:?}");
                    }
                }
            }
        }
    }
}
