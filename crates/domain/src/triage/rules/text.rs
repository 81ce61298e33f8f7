//! The text the rules read: one bounded copy of a report's title and description, an
//! ASCII-lowercased twin for punctuation-level searches, its words, and an index of
//! those words so that each policy phrase costs a binary search, not a scan.
//!
//! A phrase matches whole words in order, case-insensitively, ignoring punctuation and
//! spacing between them: "X-Frame-Options" matches "x frame options" and
//! "X-FRAME-OPTIONS", never "x-frame-optionsfoo". Matching is per word so that a few
//! hundred phrases cost a few microseconds on a message of a few KB.

/// Bytes of the description read (a larger report is judged on its beginning).
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;
/// Bytes of the title read.
const MAX_TITLE_BYTES: usize = 1024;
/// Words indexed (a 64 KB text of one-letter words has about 32 K).
const MAX_WORDS: usize = 16 * 1024;

/// A report's text, prepared once per classification.
pub struct Text {
    /// Title, a blank line, description (each bounded).
    source: String,
    /// `source` with ASCII letters lowercased: the same byte offsets.
    lower: String,
    /// Where the description starts in `source`.
    description_start: usize,
    /// Byte spans of the words (runs of letters and digits), in order.
    words: Vec<(u32, u32)>,
    /// (hash of the lowercased word, word number), sorted.
    index: Vec<(u64, u32)>,
}

impl Text {
    pub fn new(title: &str, description: &str) -> Self {
        let title = prefix(title, MAX_TITLE_BYTES);
        let description = prefix(description, MAX_DESCRIPTION_BYTES);
        let mut source = String::with_capacity(title.len() + 2 + description.len());
        source.push_str(title);
        source.push_str("\n\n");
        let description_start = source.len();
        source.push_str(description);
        let lower = source.to_ascii_lowercase();
        let words = word_spans(&source);
        let mut index: Vec<(u64, u32)> = words
            .iter()
            .enumerate()
            .map(|(i, &(s, e))| (word_hash(&source[s as usize..e as usize]), i as u32))
            .collect();
        index.sort_unstable();
        Self {
            source,
            lower,
            description_start,
            words,
            index,
        }
    }

    /// The title and description as read.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The same text with ASCII letters lowercased (same byte offsets as `source`).
    pub fn lower(&self) -> &str {
        &self.lower
    }

    /// The description alone, as read.
    pub fn description(&self) -> &str {
        &self.source[self.description_start..]
    }

    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// The `i`th word as written.
    pub fn word(&self, i: usize) -> &str {
        let (s, e) = self.words[i];
        &self.source[s as usize..e as usize]
    }

    /// Where `pattern` first occurs, as the text wrote it, if it does.
    pub fn find(&self, pattern: &str) -> Option<&str> {
        let mut rest = pattern_words(pattern);
        let first = rest.next()?;
        let h = word_hash(first);
        let start = self.index.partition_point(|&(k, _)| k < h);
        for &(k, i) in &self.index[start..] {
            if k != h {
                break;
            }
            let i = i as usize;
            if let Some(last) = self.phrase_at(i, first, pattern_words(pattern).skip(1)) {
                return Some(&self.source[self.words[i].0 as usize..self.words[last].1 as usize]);
            }
        }
        None
    }

    /// Whether the phrase starts at word `i`; if so, the number of its last word.
    fn phrase_at<'p>(
        &self,
        i: usize,
        first: &str,
        rest: impl Iterator<Item = &'p str>,
    ) -> Option<usize> {
        if !eq_lower(first, self.word(i)) {
            return None;
        }
        let mut j = i;
        for w in rest {
            j += 1;
            if j >= self.words.len() || !eq_lower(w, self.word(j)) {
                return None;
            }
        }
        Some(j)
    }

    /// The distinct entries of `patterns` the text contains (the first `max` found, in
    /// the list's order), each with the text's own words for it, in the text's order.
    pub fn find_all<'t, 'p>(
        &'t self,
        patterns: impl IntoIterator<Item = &'p str>,
        max: usize,
    ) -> Vec<Hit<'t, 'p>> {
        let mut hits = Vec::new();
        for p in patterns {
            if hits.len() >= max {
                break;
            }
            if let Some(quote) = self.find(p) {
                hits.push(Hit { pattern: p, quote });
            }
        }
        hits.sort_by_key(|h| h.quote.as_ptr() as usize);
        hits
    }
}

/// One phrase found: the policy's pattern and the text's words for it.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'t, 'p> {
    pub pattern: &'p str,
    pub quote: &'t str,
}

/// The words of a pattern (runs of letters and digits).
pub fn pattern_words(p: &str) -> impl Iterator<Item = &str> {
    p.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A short, one-line rendering of a quote for a reason: whitespace collapsed, at most
/// 60 characters.
pub fn quote(s: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::with_capacity(s.len().min(MAX + 3));
    let mut count = 0;
    for w in s.split_whitespace() {
        if count > 0 {
            out.push(' ');
            count += 1;
        }
        for c in w.chars() {
            if count >= MAX {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

fn word_spans(s: &str) -> Vec<(u32, u32)> {
    let mut words = Vec::with_capacity(s.len() / 6);
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                words.push((st as u32, i as u32));
                start = None;
                if words.len() >= MAX_WORDS {
                    return words;
                }
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        words.push((st as u32, s.len() as u32));
    }
    words
}

fn lower_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

fn eq_lower(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    lower_chars(a).eq(lower_chars(b))
}

/// FNV-1a over the lowercased characters: equal for words equal but for case.
fn word_hash(word: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut add = |c: char| {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    if word.is_ascii() {
        word.bytes()
            .for_each(|b| add(char::from(b.to_ascii_lowercase())));
    } else {
        lower_chars(word).for_each(add);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_ignoring_case_and_punctuation() {
        let t = Text::new(
            "Missing X-FRAME-OPTIONS",
            "The header x frame\noptions is absent; SICHERHEITSLÜCKE found. optionsfoo",
        );
        assert_eq!(t.find("x-frame-options"), Some("X-FRAME-OPTIONS"));
        assert_eq!(t.find("frame options is"), Some("frame\noptions is"));
        assert_eq!(t.find("sicherheitslücke"), Some("SICHERHEITSLÜCKE"));
        assert_eq!(t.find("option"), None);
        assert_eq!(t.find("options absent"), None);
        assert_eq!(t.find("..."), None);
        let hits = t.find_all(["absent", "nothing", "header", "found"], 2);
        let quotes: Vec<&str> = hits.iter().map(|h| h.quote).collect();
        assert_eq!(quotes, ["header", "absent"]);
        assert_eq!(t.description().lines().next(), Some("The header x frame"));
    }

    #[test]
    fn input_is_bounded_on_character_boundaries() {
        let long = "é".repeat(MAX_DESCRIPTION_BYTES);
        let t = Text::new("t", &long);
        assert!(t.description().len() <= MAX_DESCRIPTION_BYTES);
        assert_eq!(prefix("aé", 2), "a");
        assert_eq!(quote("  a\n\n b  "), "a b");
        assert!(quote(&"x".repeat(100)).ends_with('…'));
    }
}
