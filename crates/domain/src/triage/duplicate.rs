//! Duplicate detection: the same vulnerability reported twice to a project, found by
//! the CVE and GHSA ids a report names or by near-identical text, without the store
//! ever holding either text in clear.
//!
//! A report's [`Fingerprint`] is made at intake from its sealed text with the
//! installation's [`BlindKey`]: a MinHash signature over its runs of [`SHINGLE_WORDS`]
//! words (the share of equal slots estimates how much of the two texts' phrasing they
//! share), each slot's minimum then keyed, and keyed marks of the ids it names. Keying
//! the 32 minima rather than every phrase keeps the cost to a few dozen keyed hashes
//! a report, while what is stored is still a keyed hash of a phrase: without the key
//! a guessed phrase cannot be checked against it. The store indexes
//! the fingerprint's [`Fingerprint::marks`] (locality-sensitive bands of the signature,
//! and the id marks) so that candidates are found by an index lookup, not by reading
//! every report; [`find_duplicate`] then compares the full fingerprints.

use crate::blind::BlindKey;
use crate::ids::ReportId;

/// Words per shingle: long enough that two unrelated reports rarely share one.
pub const SHINGLE_WORDS: usize = 4;
/// MinHash slots of a signature.
pub const SIGNATURE_SLOTS: usize = 32;
/// Slots per locality-sensitive band, and the bands indexed (from the signature's first
/// slots): two reports that share 60% of their phrasing share one of 8 bands of 2 with
/// a chance of 97% (90% at half), and each report adds only 8 marks to the index.
const BAND_SLOTS: usize = 2;
const BANDS: usize = 8;
/// The share of equal slots from which two texts count as near-identical.
pub const NEAR_IDENTICAL: f64 = 0.6;
/// Fewer shingles than this make no signature: a two-line note says too little.
const MIN_SHINGLES: usize = 12;
/// Bounds on the work per report (a report is at most 64 KB of text).
const MAX_WORDS: usize = 8_000;
const MAX_IDS: usize = 16;
/// A report naming more ids than this is a list (scanner output), not a report of one
/// of them: its ids alone do not make it a duplicate.
const MAX_IDS_FOR_ID_MATCH: usize = 3;

const SHINGLE_PURPOSE: &[u8] = b"triage-minhash-slot";
const ID_PURPOSE: &[u8] = b"triage-id";

/// What duplicate detection keeps of a report: keyed values only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Empty when the text is too short for one.
    signature: Vec<i64>,
    /// Keyed marks of the CVE and GHSA ids named, sorted, at most [`MAX_IDS`].
    ids: Vec<i64>,
    /// How many distinct ids the text named (may exceed the marks kept).
    id_count: usize,
    /// The ids in clear, for the reasons written at intake; never stored.
    id_names: Vec<String>,
}

impl Fingerprint {
    /// The fingerprint of a report's title and text.
    pub fn of(key: &BlindKey, title: &str, text: &str) -> Self {
        let names = ids_named(title, text);
        let id_count = names.len();
        let mut pairs: Vec<(i64, String)> = names
            .into_iter()
            .take(MAX_IDS)
            .map(|n| (key.mark(ID_PURPOSE, n.as_bytes()), n))
            .collect();
        pairs.sort();
        let (ids, id_names) = pairs.into_iter().unzip();
        Self {
            signature: signature(key, title, text),
            ids,
            id_count,
            id_names,
        }
    }

    /// What the store indexes to find candidates: one mark per band of the signature
    /// and one per id (a scanner list's ids are not indexed: they never match alone).
    pub fn marks(&self) -> Vec<i64> {
        let mut marks: Vec<i64> = self
            .signature
            .chunks(BAND_SLOTS)
            .take(BANDS)
            .enumerate()
            .map(|(band, slots)| {
                let mut h = mix(band as u64 ^ 0x5eed_ba4d);
                for s in slots {
                    h = mix(h ^ *s as u64);
                }
                h as i64
            })
            .collect();
        if self.id_count <= MAX_IDS_FOR_ID_MATCH {
            marks.extend(&self.ids);
        }
        marks.sort_unstable();
        marks.dedup();
        marks
    }

    /// The estimated share of phrasing two texts have in common (0 without signatures).
    pub fn similarity(&self, other: &Fingerprint) -> f64 {
        if self.signature.len() != SIGNATURE_SLOTS || other.signature.len() != SIGNATURE_SLOTS {
            return 0.0;
        }
        let same = self
            .signature
            .iter()
            .zip(&other.signature)
            .filter(|(a, b)| a == b)
            .count();
        same as f64 / SIGNATURE_SLOTS as f64
    }

    /// The stored form: the id count, then the id marks and the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 8 * (self.ids.len() + self.signature.len()));
        out.push(1); // format version
        out.push(u8::try_from(self.id_count.min(255)).unwrap_or(255));
        out.push(u8::try_from(self.ids.len()).unwrap_or(0));
        out.push(u8::try_from(self.signature.len()).unwrap_or(0));
        for v in self.ids.iter().chain(&self.signature) {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out
    }

    /// Reads [`Fingerprint::to_bytes`]; `None` if it is not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let [1, id_count, ids, slots, rest @ ..] = bytes else {
            return None;
        };
        let (ids, slots) = (usize::from(*ids), usize::from(*slots));
        if rest.len() != 8 * (ids + slots)
            || ids > MAX_IDS
            || !(slots == 0 || slots == SIGNATURE_SLOTS)
        {
            return None;
        }
        let values: Vec<i64> = rest
            .chunks_exact(8)
            .map(|c| i64::from_be_bytes(c.try_into().expect("chunks of 8")))
            .collect();
        Some(Self {
            ids: values[..ids].to_vec(),
            signature: values[ids..].to_vec(),
            id_count: usize::from(*id_count),
            id_names: vec![],
        })
    }
}

/// A stored report that may be the one a new report repeats.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: ReportId,
    pub fingerprint: Fingerprint,
}

/// The candidate `new` repeats, with the reason, if any: the one whose text is most
/// alike (at least [`NEAR_IDENTICAL`]), else one naming the same CVE or GHSA id when
/// `new` names only a few.
pub fn find_duplicate(new: &Fingerprint, candidates: &[Candidate]) -> Option<(ReportId, String)> {
    let best = candidates
        .iter()
        .map(|c| (c, new.similarity(&c.fingerprint)))
        .filter(|(_, s)| *s >= NEAR_IDENTICAL)
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((c, s)) = best {
        return Some((
            c.id.clone(),
            format!(
                "near-identical to {} (about {:.0}% of its phrasing)",
                c.id,
                s * 100.0
            ),
        ));
    }
    if new.id_count == 0 || new.id_count > MAX_IDS_FOR_ID_MATCH {
        return None;
    }
    candidates.iter().find_map(|c| {
        let shared = new
            .ids
            .iter()
            .position(|m| c.fingerprint.ids.binary_search(m).is_ok())?;
        let name = new.id_names.get(shared).map_or("an id", String::as_str);
        Some((c.id.clone(), format!("names {name}, as {} does", c.id)))
    })
}

/// The CVE and GHSA ids a report names (title first), canonical, without repeats.
fn ids_named(title: &str, text: &str) -> Vec<String> {
    let mut ids = crate::advisory::ids_in(title);
    for id in crate::advisory::ids_in(text) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The MinHash signature of the text's shingles, or nothing for a short text. Words
/// are hashed as they are read (lower-cased, no allocation per word), a shingle's hash
/// is a mix of its words' hashes.
fn signature(key: &BlindKey, title: &str, text: &str) -> Vec<i64> {
    let words: Vec<u64> = [title, text]
        .into_iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(word_hash)
        .collect();
    let mut shingles: Vec<u64> = words
        .windows(SHINGLE_WORDS)
        .map(|w| w.iter().fold(0x0053_4849_4e47_4c45_u64, |h, x| mix(h ^ *x)))
        .collect();
    shingles.sort_unstable();
    shingles.dedup();
    if shingles.len() < MIN_SHINGLES {
        return vec![];
    }
    let mut slots = [u64::MAX; SIGNATURE_SLOTS];
    for h in &shingles {
        for (i, slot) in slots.iter_mut().enumerate() {
            // One hash per shingle, then a cheap permutation per slot.
            *slot = (*slot).min(mix(h ^ SLOT_SEEDS[i]));
        }
    }
    slots
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut data = [0u8; 9];
            data[0] = i as u8;
            data[1..].copy_from_slice(&v.to_be_bytes());
            key.mark(SHINGLE_PURPOSE, &data)
        })
        .collect()
}

/// FNV-1a (64 bits) of a word, lower-cased: a stable hash (the key is applied to the
/// signature's minima).
fn word_hash(word: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buf = [0u8; 4];
    for c in word.chars().flat_map(char::to_lowercase) {
        for b in c.encode_utf8(&mut buf).bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const SLOT_SEEDS: [u64; SIGNATURE_SLOTS] = {
    let mut seeds = [0u64; SIGNATURE_SLOTS];
    let mut i = 0;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while i < SIGNATURE_SLOTS {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        seeds[i] = x;
        i += 1;
    }
    seeds
};

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> BlindKey {
        BlindKey::new(&[7; 32])
    }

    const TEXT: &str = "The upload endpoint of the admin console accepts a file name with ../ \
        sequences and writes the uploaded archive outside the storage directory. Steps: \
        sign in as any user, POST /admin/upload with filename=../../etc/cron.d/x and the \
        body of a cron entry; the entry runs as the service user within a minute.";

    fn id(n: &str) -> ReportId {
        ReportId::parse(n).unwrap()
    }

    #[test]
    fn near_identical_text_is_a_duplicate_and_different_text_is_not() {
        let first = Fingerprint::of(&key(), "Path traversal in upload", TEXT);
        let resent = Fingerprint::of(
            &key(),
            "Path traversal in file upload",
            &format!("Hello team,\n{TEXT}\nRegards, M."),
        );
        let other = Fingerprint::of(
            &key(),
            "XXE in the config importer",
            "The XML configuration importer resolves external entities: a document with a \
             DOCTYPE naming file:///etc/passwd returns the file in the error message shown \
             to the user who imported it, on every version since 2.1.",
        );
        let candidates = [Candidate {
            id: id("EMB-AAAAAAAAAAAA"),
            fingerprint: first.clone(),
        }];
        let (dup, why) = find_duplicate(&resent, &candidates).expect("a duplicate");
        assert_eq!(dup, id("EMB-AAAAAAAAAAAA"));
        assert!(
            why.starts_with("near-identical to EMB-AAAAAAAAAAAA"),
            "{why}"
        );
        assert_eq!(find_duplicate(&other, &candidates), None);
        // The index finds it: they share a band.
        let shared = resent
            .marks()
            .iter()
            .filter(|m| first.marks().contains(m))
            .count();
        assert!(shared > 0);
    }

    #[test]
    fn the_same_cve_id_makes_a_duplicate_unless_it_is_a_list() {
        let first = Fingerprint::of(
            &key(),
            "Log4Shell in the bundled logger",
            "see cve-2021-44228",
        );
        let again = Fingerprint::of(&key(), "JNDI lookup", "This is CVE-2021-44228 again.");
        let list = Fingerprint::of(
            &key(),
            "scan",
            "CVE-2021-44228 CVE-2021-45046 CVE-2022-23302 CVE-2019-17571 GHSA-jfh8-c2jp-5v3q",
        );
        let candidates = [Candidate {
            id: id("EMB-BBBBBBBBBBBB"),
            fingerprint: first.clone(),
        }];
        let (_, why) = find_duplicate(&again, &candidates).unwrap();
        assert_eq!(why, "names CVE-2021-44228, as EMB-BBBBBBBBBBBB does");
        assert_eq!(find_duplicate(&list, &candidates), None);
        assert!(!list.marks().iter().any(|m| first.marks().contains(m)));
    }

    #[test]
    fn fingerprints_round_trip_and_depend_on_the_key() {
        let f = Fingerprint::of(&key(), "t", &format!("{TEXT} GHSA-jfh8-c2jp-5v3q"));
        let back = Fingerprint::from_bytes(&f.to_bytes()).unwrap();
        assert_eq!(
            (back.ids.clone(), back.signature.clone()),
            (f.ids.clone(), f.signature.clone())
        );
        assert_eq!(back.similarity(&f), 1.0);
        assert_eq!(Fingerprint::from_bytes(b"\x02junk"), None);
        assert_eq!(Fingerprint::from_bytes(&f.to_bytes()[..20]), None);
        let other_key = Fingerprint::of(&BlindKey::new(&[8; 32]), "t", TEXT);
        assert!(other_key.similarity(&f) < 0.2);
        // Nothing of the text is in the stored bytes.
        let bytes = f.to_bytes();
        assert!(!bytes.windows(4).any(|w| w == b"GHSA" || w == b"uplo"));
    }

    #[test]
    fn short_texts_have_no_signature() {
        let f = Fingerprint::of(&key(), "hi", "is this secure?");
        assert!(f.signature.is_empty());
        assert_eq!(f.similarity(&f), 0.0);
        assert!(f.marks().is_empty());
    }

    proptest::proptest! {
        /// Any text makes a fingerprint (a panic here would lose the report at intake),
        /// any bytes read back as one or as nothing, and a text is always alike itself.
        #[test]
        fn any_text_and_any_bytes_are_handled(title in "\\PC{0,40}", text in "\\PC{0,600}", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let f = Fingerprint::of(&key(), &title, &text);
            let back = Fingerprint::from_bytes(&f.to_bytes()).expect("own bytes read back");
            proptest::prop_assert_eq!(&back.signature, &f.signature);
            if !f.signature.is_empty() {
                proptest::prop_assert_eq!(f.similarity(&back), 1.0);
            }
            let _ = Fingerprint::from_bytes(&bytes);
            let _ = find_duplicate(&f, &[Candidate { id: id("EMB-CCCCCCCCCCCC"), fingerprint: back }]);
        }
    }
}
