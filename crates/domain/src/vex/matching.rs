//! Pairing a scanner's findings with a project's statements (placeholder).
