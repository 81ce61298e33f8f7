//! Advisory ids in text: CVE (`CVE-2021-44228`) and GitHub (`GHSA-jfh8-c2jp-5v3q`) ids
//! found where reports, scanner output and VEX documents write them, and their
//! canonical spelling. One reading of an id for triage (duplicates), scanner reports,
//! pasted scanner output and statements alike.

/// The length of the CVE or GHSA id at the start of `s` (any case), if one starts there.
/// A CVE id's number ends at its last digit (`CVE-2021-12345-libc6` starts with one).
pub fn id_at(s: &str) -> Option<usize> {
    cve_len(s).or_else(|| ghsa_len(s))
}

/// Every CVE and GHSA id in `text` that starts a word (in a URL too), as written, in
/// order.
pub fn find_ids(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    text.char_indices().filter_map(move |(i, _)| {
        if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
            return None;
        }
        let rest = &text[i..];
        id_at(rest).map(|len| &rest[..len])
    })
}

/// The distinct CVE and GHSA ids of `text`, canonical, in the order first named.
pub fn ids_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in find_ids(text).map(canonical) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Whether `s` is a whole CVE id (any case).
pub fn is_cve(s: &str) -> bool {
    cve_len(s) == Some(s.len())
}

/// An id's canonical spelling: `CVE-…` upper case, `GHSA-` then its body in lower case
/// (as GitHub writes it); any other id as given, trimmed.
pub fn canonical(id: &str) -> String {
    let id = id.trim();
    if cve_len(id) == Some(id.len()) {
        id.to_ascii_uppercase()
    } else if ghsa_len(id) == Some(id.len()) {
        format!("GHSA-{}", id[5..].to_ascii_lowercase())
    } else {
        id.to_string()
    }
}

/// `CVE-YYYY-NNNN…`: the length of the id at the start of `s`.
fn cve_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 13 || !b[..4].eq_ignore_ascii_case(b"CVE-") {
        return None;
    }
    let year = b[4..8].iter().all(u8::is_ascii_digit) && b[8] == b'-';
    let digits = b[9..].iter().take_while(|c| c.is_ascii_digit()).count();
    (year && (4..=19).contains(&digits)).then_some(9 + digits)
}

/// `GHSA-xxxx-xxxx-xxxx`: the length of the id at the start of `s`.
fn ghsa_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 19 || !b[..5].eq_ignore_ascii_case(b"GHSA-") {
        return None;
    }
    let groups = b[5..19].chunks(5).all(|g| {
        g[..4].iter().all(u8::is_ascii_alphanumeric) && g.get(4).is_none_or(|&c| c == b'-')
    });
    let ends = b.get(19).is_none_or(|c| !c.is_ascii_alphanumeric());
    (groups && ends).then_some(19)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_where_they_are_written_and_spelled_one_way() {
        let text = "see cve-2021-44228, https://github.com/advisories/GHSA-JFH8-c2jp-5v3q and \
                    CVE-2021-12345-libc6; not XCVE-2019-1549, CVE-19-1 or GHSA-xx";
        assert_eq!(
            find_ids(text).collect::<Vec<_>>(),
            ["cve-2021-44228", "GHSA-JFH8-c2jp-5v3q", "CVE-2021-12345"]
        );
        assert_eq!(
            ids_in(&format!("{text} CVE-2021-44228")),
            ["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q", "CVE-2021-12345"]
        );
        assert!(
            is_cve("CVE-2022-42003")
                && !is_cve("CVE-2022-42003x")
                && !is_cve("GHSA-jfh8-c2jp-5v3q")
        );
        assert_eq!(canonical(" ghsa-JJJH-jjxp-wpff "), "GHSA-jjjh-jjxp-wpff");
        assert_eq!(canonical("SNYK-JAVA-1"), "SNYK-JAVA-1");
    }
}
