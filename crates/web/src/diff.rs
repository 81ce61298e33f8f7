//! A line diff for the record history (a record's pretty JSON), by `similar` (Myers).

use similar::{Algorithm, ChangeTag, capture_diff_slices};

/// Most lines compared; a longer text is compared as a whole replacement.
const MAX_LINES: usize = 2000;

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// ' ' kept, '-' removed, '+' added.
    pub op: char,
    pub text: String,
}

/// The lines of `old` and `new`, each marked kept, removed or added.
pub fn lines(old: &str, new: &str) -> Vec<Line> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let line = |op: char, t: &str| Line {
        op,
        text: t.to_string(),
    };
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        return a
            .iter()
            .map(|t| line('-', t))
            .chain(b.iter().map(|t| line('+', t)))
            .collect();
    }
    capture_diff_slices(Algorithm::Myers, &a, &b)
        .iter()
        .flat_map(|op| op.iter_changes(&a, &b))
        .map(|c| {
            let op = match c.tag() {
                ChangeTag::Equal => ' ',
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
            };
            line(op, c.value())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_lines() {
        let d = lines("a\nb\nc\n", "a\nx\nc\nd\n");
        let s: Vec<String> = d.iter().map(|l| format!("{}{}", l.op, l.text)).collect();
        assert_eq!(s, [" a", "-b", "+x", " c", "+d"]);
    }
}
