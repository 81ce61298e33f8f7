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
    /// (hash of the lowercased word, word number), sorted: one-word phrases.
    singles: Index,
    /// (hash of two consecutive lowercased words, number of the first), sorted: longer
    /// phrases start with common words ("how do I…", "I have…"); a pair is rare.
    pairs: Index,
}

/// Sorted (hash, word number) with a bloom filter of the hashes: most phrases are not
/// in the text, and the filter says so without the binary search.
struct Index {
    entries: Vec<(u64, u32)>,
    bloom: [u64; 64],
}

impl Index {
    fn new(mut entries: Vec<(u64, u32)>) -> Self {
        entries.sort_unstable();
        let mut bloom = [0u64; 64];
        for &(h, _) in &entries {
            bloom[(h >> 6) as usize & 63] |= 1 << (h & 63);
        }
        Self { entries, bloom }
    }

    /// Whether hash `h` may be in the index (no false negatives).
    fn may_have(&self, h: u64) -> bool {
        self.bloom[(h >> 6) as usize & 63] & (1 << (h & 63)) != 0
    }

    /// The word numbers with hash `h`, in text order.
    fn get(&self, h: u64) -> impl Iterator<Item = usize> + '_ {
        let start = if self.may_have(h) {
            self.entries.partition_point(|&(k, _)| k < h)
        } else {
            self.entries.len()
        };
        self.entries[start..]
            .iter()
            .take_while(move |&&(k, _)| k == h)
            .map(|&(_, i)| i as usize)
    }
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
        let hashes: Vec<u64> = words
            .iter()
            .map(|&(s, e)| word_hash(&source[s as usize..e as usize]))
            .collect();
        let singles = Index::new(hashes.iter().zip(0u32..).map(|(&h, i)| (h, i)).collect());
        let pairs = Index::new(
            hashes
                .windows(2)
                .zip(0u32..)
                .map(|(w, i)| (pair_hash(w[0], w[1]), i))
                .collect(),
        );
        Self {
            source,
            lower,
            words,
            singles,
            pairs,
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
        let mut words = pattern_words(pattern);
        let first = word_hash(words.next()?);
        if !self.singles.may_have(first) {
            return None;
        }
        let starts: &mut dyn Iterator<Item = usize> = match words.next() {
            None => &mut self.singles.get(first),
            Some(second) => &mut self.pairs.get(pair_hash(first, word_hash(second))),
        };
        for i in starts {
            if let Some(last) = self.phrase_at(i, pattern_words(pattern)) {
                return Some(&self.source[self.words[i].0 as usize..self.words[last].1 as usize]);
            }
        }
        None
    }

    /// Whether the phrase's words start at word `i`; if so, the number of its last word.
    fn phrase_at<'p>(&self, i: usize, phrase: impl Iterator<Item = &'p str>) -> Option<usize> {
        let mut last = i;
        for (j, w) in (i..).zip(phrase) {
            if j >= self.words.len() || !eq_lower(w, self.word(j)) {
                return None;
            }
            last = j;
        }
        Some(last)
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

/// The hash of two consecutive words.
fn pair_hash(first: u64, second: u64) -> u64 {
    (first.rotate_left(23) ^ second).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A hash of the lowercased word's UTF-8 bytes, eight bytes per multiplication:
/// equal for words equal but for case. ASCII words (almost all) are lowercased eight
/// bytes at a time.
fn word_hash(word: &str) -> u64 {
    let mut h = WordHasher::default();
    if word.is_ascii() {
        let chunks = word.as_bytes().chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            h.mix(lower_ascii8(le_u64(c)));
        }
        return h.finish(lower_ascii8(le_u64(rest)), word.len());
    }
    let (mut buf, mut n, mut len) = ([0u8; 8], 0, 0);
    let mut utf8 = [0u8; 4];
    for c in lower_chars(word) {
        for &b in c.encode_utf8(&mut utf8).as_bytes() {
            buf[n] = b;
            n += 1;
            len += 1;
            if n == 8 {
                h.mix(u64::from_le_bytes(buf));
                (buf, n) = ([0; 8], 0);
            }
        }
    }
    h.finish(u64::from_le_bytes(buf), len)
}

/// Up to eight bytes as a little-endian number, zero-padded (a short slice is read
/// byte by byte: a `memcpy` call here costs more than the hash).
fn le_u64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .take(8)
        .enumerate()
        .fold(0, |v, (i, &b)| v | (u64::from(b) << (8 * i)))
}

/// Eight ASCII bytes (little-endian) with `A`-`Z` lowercased, without a branch.
fn lower_ascii8(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // ASCII: no byte exceeds 0x7f, so the additions below never carry into a neighbour.
    let at_least_a = v + ONES * u64::from(0x80 - b'A');
    let above_z = v + ONES * u64::from(0x80 - b'Z' - 1);
    let upper = (at_least_a ^ above_z) & (ONES * 0x80);
    v | (upper >> 2)
}

#[derive(Default)]
struct WordHasher {
    h: u64,
}

impl WordHasher {
    #[inline]
    fn mix(&mut self, chunk: u64) {
        self.h = (self.h ^ chunk)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }

    /// Mixes the last (zero-padded, possibly empty) chunk and the length.
    fn finish(mut self, last: u64, len: usize) -> u64 {
        self.mix(last);
        self.mix(len as u64);
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
    fn hashes_ignore_case_on_every_path() {
        assert_eq!(word_hash("X-Frame"), word_hash("x-frame"));
        assert_eq!(
            word_hash("ABCDEFGHIJKLMNOPQ"),
            word_hash("abcdefghijklmnopq")
        );
        assert_eq!(word_hash("SICHERHEITSLÜCKE"), word_hash("sicherheitslücke"));
        // The ASCII and the general path agree: "K" (Kelvin sign) lowercases to "k".
        assert_eq!(word_hash("\u{212A}elvin"), word_hash("kelvin"));
        assert_ne!(word_hash("abc"), word_hash("abd"));
        assert_ne!(word_hash("abcdefgh"), word_hash("abcdefgh\0"));
        assert_eq!(lower_ascii8(le_u64(b"AZaz@[`{")), le_u64(b"azaz@[`{"));
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
