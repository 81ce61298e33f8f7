//! Limits and clean-up for free text that people type into reports and records.

use crate::DomainError;

/// Largest report description accepted on any channel (256 KiB).
pub const MAX_DESCRIPTION_BYTES: usize = 256 * 1024;
/// Largest single-line field (titles, names, versions).
pub const MAX_LINE_CHARS: usize = 300;

/// A required single-line field: trimmed, non-empty, no control characters, bounded.
pub fn required_line(field: &'static str, value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    optional_line(field, v).map(|o| o.unwrap_or_default())
}

/// An optional single-line field: empty means absent.
pub fn optional_line(field: &'static str, value: &str) -> Result<Option<String>, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > MAX_LINE_CHARS {
        return Err(DomainError::invalid(
            field,
            format!("is longer than {MAX_LINE_CHARS} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must be a single line without control characters",
        ));
    }
    Ok(Some(v.to_string()))
}

/// A required multi-line text: line endings normalised to `\n`, bounded in bytes,
/// no control characters other than newline and tab.
pub fn required_text(
    field: &'static str,
    value: &str,
    max_bytes: usize,
) -> Result<String, DomainError> {
    if value.len() > max_bytes {
        return Err(DomainError::invalid(
            field,
            format!("is {} bytes; the limit is {} bytes", value.len(), max_bytes),
        ));
    }
    let normalised = value.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = normalised.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DomainError::invalid(
            field,
            "contains control characters; send plain text",
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_bounded() {
        assert_eq!(
            required_line("title", "  XSS in login  ").unwrap(),
            "XSS in login"
        );
        assert!(required_line("title", "   ").is_err());
        assert!(required_line("title", "a\nb").is_err());
        assert!(required_line("title", &"x".repeat(301)).is_err());
        assert_eq!(optional_line("versions", "").unwrap(), None);
    }

    #[test]
    fn text_is_normalised_and_bounded() {
        assert_eq!(required_text("d", "a\r\nb\r", 100).unwrap(), "a\nb");
        let err = required_text("d", &"x".repeat(101), 100).unwrap_err();
        assert!(err.to_string().contains("limit is 100 bytes"), "{err}");
        assert!(required_text("d", "bell\u{7}", 100).is_err());
        assert!(required_text("d", " \n ", 100).is_err());
    }
}
