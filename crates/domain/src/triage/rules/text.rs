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
    /// Byte spans of the words (runs of letters and digits), in order.
    words: Vec<(u32, u32)>,
    /// (hash of the lowercased word, word number), sorted.
    index: Vec<(u64, u32)>,
    /// One bit per word hash (its low 12 bits): most phrases' first word is not in the
    /// text, and this says so without the binary search.
    bloom: [u64; 64],
}

impl Text {
    pub fn new(title: &str, description: &str) -> Self {
        let title = prefix(title, MAX_TITLE_BYTES);
        let description = prefix(description, MAX_DESCRIPTION_BYTES);
        let mut source = String::with_capacity(title.len() + 2 + description.len());
        source.push_str(title);
        source.push_str("\n\n");
        source.push_str(description);
        let lower = source.to_ascii_lowercase();
        let words = word_spans(&source);
        let mut index: Vec<(u64, u32)> = words
            .iter()
            .enumerate()
            .map(|(i, &(s, e))| (word_hash(&source[s as usize..e as usize]), i as u32))
            .collect();
        index.sort_unstable();
        let mut bloom = [0u64; 64];
        for &(h, _) in &index {
            bloom[(h >> 6) as usize & 63] |= 1 << (h & 63);
        }
        Self {
            source,
            lower,
            words,
            index,
            bloom,
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

    /// The `i`th word as written.
    fn word(&self, i: usize) -> &str {
        let (s, e) = self.words[i];
        &self.source[s as usize..e as usize]
    }

    /// Where `pattern` first occurs, as the text wrote it, if it does.
    pub fn find(&self, pattern: &str) -> Option<&str> {
        let mut rest = pattern_words(pattern);
        let first = rest.next()?;
        let h = word_hash(first);
        if self.bloom[(h >> 6) as usize & 63] & (1 << (h & 63)) == 0 {
            return None;
        }
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
    pub fn find_all<'p>(
        &self,
        patterns: impl IntoIterator<Item = &'p str>,
        max: usize,
    ) -> Vec<&str> {
        let mut hits = Vec::new();
        for p in patterns {
            if hits.len() >= max {
                break;
            }
            if let Some(quote) = self.find(p) {
                hits.push(quote);
            }
        }
        hits.sort_by_key(|h| h.as_ptr() as usize);
        hits
    }
}

/// The words of a pattern (runs of letters and digits).
pub fn pattern_words(p: &str) -> Words<'_> {
    Words { s: p, pos: 0 }
}

/// Runs of letters and digits; bytes below 0x80 are classified without decoding, as
/// almost every pattern is ASCII.
pub struct Words<'a> {
    s: &'a str,
    pos: usize,
}

impl Words<'_> {
    /// Whether the non-ASCII character at `pos` (a boundary) is a letter or digit, and
    /// its length. Box drawing (U+2500 to U+259F, scanners' tables) without decoding.
    fn decode(&self, pos: usize) -> (bool, usize) {
        let b = self.s.as_bytes();
        if b[pos] == 0xe2 && b.get(pos + 1).is_some_and(|c| (0x94..=0x96).contains(c)) {
            return (false, 3);
        }
        let c = self.s[pos..].chars().next().unwrap_or(' ');
        (c.is_alphanumeric(), c.len_utf8())
    }

    /// Moves past characters while their being a letter or digit is `word`.
    #[inline]
    fn skip(&mut self, word: bool) {
        let b = self.s.as_bytes();
        while let Some(&c) = b.get(self.pos) {
            if c < 0x80 {
                if c.is_ascii_alphanumeric() != word {
                    return;
                }
                self.pos += 1;
            } else {
                let (w, n) = self.decode(self.pos);
                if w != word {
                    return;
                }
                self.pos += n;
            }
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        self.skip(false);
        let start = self.pos;
        self.skip(true);
        (self.pos > start).then(|| &self.s[start..self.pos])
    }
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
    let base = s.as_ptr() as usize;
    for w in pattern_words(s).take(MAX_WORDS) {
        let start = w.as_ptr() as usize - base;
        words.push((start as u32, (start + w.len()) as u32));
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

/// A hash of the lowercased word's UTF-8 bytes, eight bytes per multiplication:
/// equal for words equal but for case.
fn word_hash(word: &str) -> u64 {
    let mut h = WordHasher::default();
    if word.is_ascii() {
        word.bytes().for_each(|b| h.push(b.to_ascii_lowercase()));
    } else {
        let mut buf = [0u8; 4];
        for c in lower_chars(word) {
            c.encode_utf8(&mut buf).bytes().for_each(|b| h.push(b));
        }
    }
    h.finish()
}

#[derive(Default)]
struct WordHasher {
    h: u64,
    chunk: u64,
    len: u32,
}

impl WordHasher {
    #[inline]
    fn push(&mut self, b: u8) {
        self.chunk = (self.chunk << 8) | u64::from(b);
        self.len += 1;
        if self.len.is_multiple_of(8) {
            self.mix();
        }
    }

    #[inline]
    fn mix(&mut self) {
        self.h = (self.h ^ self.chunk)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
        self.chunk = 0;
    }

    fn finish(mut self) -> u64 {
        self.chunk ^= u64::from(self.len) << 56;
        self.mix();
        // SplitMix64's finaliser: the bloom filter uses the low bits.
        let mut z = self.h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
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
        assert_eq!(hits, ["header", "absent"]);
    }

    #[test]
    fn input_is_bounded_on_character_boundaries() {
        let long = "é".repeat(MAX_DESCRIPTION_BYTES);
        let t = Text::new("t", &long);
        assert!(t.source().len() <= MAX_DESCRIPTION_BYTES + 3);
        assert_eq!(prefix("aé", 2), "a");
        assert_eq!(quote("  a\n\n b  "), "a b");
        assert!(quote(&"x".repeat(100)).ends_with('…'));
    }
}
