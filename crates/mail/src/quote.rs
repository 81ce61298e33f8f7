//! A reply's own text: the message it quotes recognised by the quote headers that real
//! mail clients write, and taken out.
//!
//! Replies by mail are relayed (a team member's to the reporter) and stored, so what
//! they quote must go: a team member's reply to an internal notice quotes that notice.
//! Two kinds of quote:
//!
//! - `>` lines, under an attribution such as Gmail's "On Tue, Dec 1, 2026 at 10:00 AM
//!   Ann <ann@example.net> wrote:" (in several languages, possibly wrapped). The `>`
//!   lines go and the attribution with them; unmarked lines after them stay, since
//!   they are the reply of someone who answers below or between the quoted lines.
//! - Everything below a header after which nothing is marked: Outlook's header block
//!   (`From:`/`Sent:`/`To:`/`Subject:`, localised, after a line of underscores or on
//!   its own), "-----Original Message-----", a forward, or an attribution whose quote
//!   has no `>` marks (a reply written in HTML and read as text).
//!
//! What decides: a known separator, or a line that has the whole shape of a client's
//! header (an attribution starts like one, ends like one and carries a date or a
//! time), so a sentence that merely contains "wrote:" is left alone.

/// A reply's own text, without the quoted message and without `>` lines; the text
/// unchanged if nothing of its own would be left.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut own: Vec<&str> = Vec::new();
    // Whether something was taken out since the last line kept: two blank lines that
    // met only because a quote between them went become one.
    let mut removed = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_quoted(line) {
            removed = true;
            i += 1;
            continue;
        }
        match header_at(&lines, i) {
            Some(Header::Cut) => break,
            Some(Header::Attribution(n)) => {
                let quote_follows = lines[i + n..]
                    .iter()
                    .find(|l| !l.trim().is_empty())
                    .is_some_and(|l| is_quoted(l));
                if !quote_follows {
                    break;
                }
                removed = true;
                i += n;
            }
            None => {
                let blank = line.trim().is_empty();
                let after_blank = own.last().is_none_or(|l| l.trim().is_empty());
                if !(blank && after_blank && (removed || own.is_empty())) {
                    own.push(line);
                }
                removed = false;
                i += 1;
            }
        }
    }
    let own = own.join("\n").trim_end().to_string();
    if own.trim().is_empty() {
        text.to_string()
    } else {
        own
    }
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

enum Header {
    /// The quoted message starts here and runs to the end.
    Cut,
    /// An attribution over this many lines: the quote below it is either `>` lines or,
    /// without marks, the rest of the text.
    Attribution(usize),
}

/// The quote header starting at line `i`, if one does.
fn header_at(lines: &[&str], i: usize) -> Option<Header> {
    let line = normalise(lines[i]);
    if is_separator(&line) || header_block_at(lines, i) {
        return Some(Header::Cut);
    }
    // Outlook's rule above its header block.
    if line.len() >= 10 && line.chars().all(|c| c == '_') {
        let next = (i + 1..lines.len()).find(|&j| !lines[j].trim().is_empty());
        if next.is_some_and(|j| header_block_at(lines, j)) {
            return Some(Header::Cut);
        }
    }
    // An attribution, on one line or wrapped over two or three.
    let mut joined = String::new();
    for n in 1..=3 {
        let Some(next) = lines.get(i + n - 1) else {
            break;
        };
        if n > 1 && (next.trim().is_empty() || is_quoted(next)) {
            break;
        }
        joined.push(' ');
        joined.push_str(next);
        let candidate = normalise(&joined);
        if candidate.chars().count() > 300 {
            break;
        }
        if is_attribution(&candidate) {
            return Some(Header::Attribution(n));
        }
    }
    // "Ann <ann@example.net> writes:" right above `>` lines, in any of the languages:
    // a header by its position, when it names an address or a date.
    if attribution_verb(&line)
        && (line.contains('@') || line.chars().any(|c| c.is_ascii_digit()))
        && lines
            .get(i + 1..)
            .and_then(|rest| rest.iter().find(|l| !l.trim().is_empty()))
            .is_some_and(|l| is_quoted(l))
    {
        return Some(Header::Attribution(1));
    }
    None
}

/// Lower case, one space for any run of white space (also the no-break spaces French
/// puts before a colon), trimmed.
fn normalise(line: &str) -> String {
    line.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// "-----Original Message-----" and its translations, the forward markers of Gmail,
/// Thunderbird and Outlook ("---------- Forwarded message ---------"), and Apple
/// Mail's "Begin forwarded message:".
fn is_separator(line: &str) -> bool {
    const DASHED: &[&str] = &[
        "original message",
        "ursprüngliche nachricht",
        "originalnachricht",
        "message d'origine",
        "mensaje original",
        "messaggio originale",
        "oorspronkelijk bericht",
        "forwarded message",
        "weitergeleitete nachricht",
        "message transféré",
        "mensaje reenviado",
        "messaggio inoltrato",
        "doorgestuurd bericht",
    ];
    const FORWARD: &[&str] = &[
        "begin forwarded message:",
        "anfang der weitergeleiteten nachricht:",
        "début du message réexpédié :",
        "début du message réexpédié:",
        "inicio del mensaje reenviado:",
        "inizio messaggio inoltrato:",
        "begin doorgestuurd bericht:",
    ];
    if line.starts_with("--") && line.ends_with("--") {
        let phrase = line.trim_matches(|c| c == '-' || c == ' ');
        return DASHED.contains(&phrase);
    }
    FORWARD.contains(&line)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    From,
    Sent,
    To,
    Cc,
    Subject,
}

/// The field a line of a quoted message's header names, in the languages Outlook
/// writes them in: "From: …", "Von: …", "De : …", "*Sent:* …".
fn field(line: &str) -> Option<Field> {
    let line = normalise(line);
    let (label, _) = line.trim_start_matches('*').split_once(':')?;
    let label = label.trim_end_matches(['*', ' ']);
    Some(match label {
        "from" | "von" | "de" | "da" | "van" => Field::From,
        "sent" | "date" | "gesendet" | "datum" | "envoyé" | "envoye" | "enviado" | "enviado el"
        | "fecha" | "inviato" | "data" | "verzonden" => Field::Sent,
        "to" | "an" | "à" | "a" | "para" | "aan" => Field::To,
        "cc" => Field::Cc,
        "subject" | "betreff" | "objet" | "asunto" | "oggetto" | "onderwerp" => Field::Subject,
        _ => return None,
    })
}

/// Whether line `i` starts a quoted message's header: a `From` line, then (before a
/// blank line) at least two of `Sent`/`Date`, `To`, `Cc` and `Subject`, one of them
/// the date. What Outlook writes, with or without the rule above it.
fn header_block_at(lines: &[&str], i: usize) -> bool {
    if field(lines[i]) != Some(Field::From) {
        return false;
    }
    let mut seen = Vec::new();
    // A long `To:` or `Cc:` wraps onto unlabelled lines.
    for line in lines.iter().skip(i + 1).take(8) {
        if line.trim().is_empty() {
            break;
        }
        if let Some(f) = field(line)
            && f != Field::From
            && !seen.contains(&f)
        {
            seen.push(f);
        }
    }
    seen.len() >= 2 && seen.contains(&Field::Sent)
}

/// How an attribution starts, and the verb it ends with (or, where the name follows
/// the verb, has before the name).
const ATTRIBUTIONS: &[(&str, &str, bool)] = &[
    // "On Tue, Dec 1, 2026 at 10:00 AM Ann <ann@example.net> wrote:"
    ("on ", "wrote", false),
    ("on ", "writes", false),
    // "Am 01.12.2026 um 10:00 schrieb Ann <ann@example.net>:"
    ("am ", "schrieb", true),
    // "Le mar. 1 déc. 2026 à 10:00, Ann <ann@example.net> a écrit :"
    ("le ", "a écrit", false),
    // "El mar, 1 dic 2026 a las 10:00, Ann (<ann@example.net>) escribió:"
    ("el ", "escribió", false),
    ("el ", "escribio", false),
    // "Il giorno mar 1 dic 2026 alle ore 10:00 Ann <ann@example.net> ha scritto:"
    ("il ", "ha scritto", false),
    // "Op di 1 dec. 2026 om 10:00 schreef Ann <ann@example.net>:"
    ("op ", "schreef", true),
    // "Em ter., 1 de dez. de 2026 às 10:00, Ann <ann@example.net> escreveu:"
    ("em ", "escreveu", false),
    // "Den 1 dec. 2026 kl. 10:00 skrev Ann <ann@example.net>:"
    ("den ", "skrev", true),
];

/// Whether a (normalised) line ends in a colon after one of the attribution verbs.
fn attribution_verb(line: &str) -> bool {
    ATTRIBUTIONS
        .iter()
        .any(|&(_, verb, before_name)| verb_ends(line, verb, before_name))
}

fn verb_ends(line: &str, verb: &str, before_name: bool) -> bool {
    let Some(body) = line.strip_suffix(':') else {
        return false;
    };
    let body = format!(" {}", body.trim_end());
    body.ends_with(&format!(" {verb}")) || (before_name && body.contains(&format!(" {verb} ")))
}

/// A whole attribution, as clients write it: its opening word, its verb at the end,
/// and the date or time of the quoted message. "On reflection, she wrote:" is prose.
fn is_attribution(line: &str) -> bool {
    ATTRIBUTIONS.iter().any(|&(opener, verb, before_name)| {
        line.starts_with(opener) && verb_ends(line, verb, before_name)
    }) && has_date_or_time(line)
}

/// A time ("10:00"), a year ("2026") or a numeric date ("12/1/26", "01.12.26").
fn has_date_or_time(line: &str) -> bool {
    let b = line.as_bytes();
    let digits_at = |i: usize| {
        b.get(i..).map_or(0, |rest| {
            rest.iter().take_while(|c| c.is_ascii_digit()).count()
        })
    };
    let mut i = 0;
    while i < b.len() {
        let n = digits_at(i);
        if n == 0 {
            i += 1;
            continue;
        }
        let end = i + n;
        let starts_word = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if n == 4 && starts_word && (b[i..].starts_with(b"19") || b[i..].starts_with(b"20")) {
            return true;
        }
        if let Some(&sep) = b.get(end) {
            let after = digits_at(end + 1);
            if sep == b':' && n <= 2 && after == 2 {
                return true;
            }
            // Day, month and year with the same separator between them.
            let third = end + 1 + after;
            if matches!(sep, b'/' | b'.' | b'-')
                && n <= 4
                && (1..=4).contains(&after)
                && b.get(third) == Some(&sep)
                && digits_at(third + 1) > 0
            {
                return true;
            }
        }
        i = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text of the internal notice every sample quotes: none of it may survive.
    const INTERNAL: &[&str] = &[
        "EMB-0123456789AB",
        "CVE request",
        "requested a CVE",
        "Summary:",
        "Deserialization",
        "Reporter:",
        "rita@research.example.net",
        "Disclosure date",
        "Internal note",
        "security/connect-rce",
        "disclosure tracker",
        "embargo.example.org",
    ];

    /// `sample` reduced to exactly `own`, with nothing of the quoted notice left.
    fn check(sample: &str, own: &str) {
        assert!(
            INTERNAL.iter().all(|t| sample.contains(t)),
            "the sample quotes the whole notice"
        );
        let stripped = strip_quoted(sample);
        assert_eq!(stripped, own);
        for t in INTERNAL {
            assert!(!stripped.contains(t), "{t:?} survived:\n{stripped}");
        }
    }

    macro_rules! sample {
        ($name:literal) => {
            include_str!(concat!("../tests/fixtures/replies/", $name, ".txt"))
        };
    }

    #[test]
    fn outlook_desktop_rule_and_header_block() {
        check(
            sample!("outlook_desktop"),
            "Hi Rita,\n\nthanks for the detailed report. We reproduced the problem on 3.6.0 and the\n\
             fix will ship in 3.7.1 next week; we will send you the advisory draft before.\n\n\
             Best regards,\nBob Builder\nApache Kafka PMC",
        );
    }

    #[test]
    fn outlook_web_bare_header_block() {
        check(
            sample!("outlook_web"),
            "Hi Rita,\n\nwe confirmed the issue and are preparing a fix. Could you tell us which\n\
             connector configuration you used for the proof of concept?\n\nThanks,\nBob",
        );
    }

    #[test]
    fn outlook_german() {
        check(
            sample!("outlook_german"),
            "Hallo Rita,\n\nvielen Dank für den ausführlichen Bericht. Wir haben das Problem nachvollzogen,\n\
             die Korrektur erscheint mit Version 3.7.1.\n\nViele Grüße\nBernd Baumann",
        );
    }

    #[test]
    fn outlook_french_with_no_break_spaces() {
        check(
            sample!("outlook_french"),
            "Bonjour Rita,\n\nmerci pour ce rapport détaillé. Nous avons reproduit le problème ; le\n\
             correctif sera publié dans la version 3.7.1.\n\nCordialement,\nBernard Bâtisseur",
        );
    }

    #[test]
    fn outlook_original_message() {
        check(
            sample!("outlook_original_message"),
            "Rita,\n\nThe fix is merged and will be in 3.7.1. We plan to publish on December 15.\n\nBob",
        );
    }

    #[test]
    fn outlook_ursprungliche_nachricht() {
        check(
            sample!("outlook_ursprungliche_nachricht"),
            "Hallo Rita,\n\ndie Korrektur ist eingespielt und erscheint am 15. Dezember.\n\nGruß\nBernd",
        );
    }

    #[test]
    fn gmail() {
        check(
            sample!("gmail"),
            "Hi Rita,\n\nWe reproduced it and the fix is in review. We will ask you to check the\n\
             draft advisory before we publish.\n\nCheers,\nBob",
        );
    }

    #[test]
    fn gmail_attribution_wrapped_over_two_lines() {
        check(
            sample!("gmail_wrapped"),
            "Hi Rita,\n\nConfirmed on our side as well; 3.7.1 will carry the fix.\n\nBob",
        );
    }

    #[test]
    fn gmail_forward() {
        check(
            sample!("gmail_forward"),
            "Ann, please take a look at this one before we answer the reporter.",
        );
    }

    #[test]
    fn apple_mail_macos() {
        check(
            sample!("apple_mail_macos"),
            "Hi Rita,\n\nThanks, we have a fix and will release it on December 15.\n\nBob",
        );
    }

    #[test]
    fn apple_mail_ios_attribution_inside_the_quote() {
        check(
            sample!("apple_mail_ios"),
            "Thanks Rita, we are on it and will get back to you this week.\n\nSent from my iPhone",
        );
    }

    #[test]
    fn apple_mail_forward() {
        check(sample!("apple_forward"), "Ann, FYI, see below.\n\nBob");
    }

    #[test]
    fn thunderbird_reply_below_the_quote() {
        check(
            sample!("thunderbird"),
            "Hi Rita,\n\nwe reproduced the issue and the fix will be in 3.7.1.\n\n-- \nBob Builder\nApache Kafka PMC",
        );
    }

    #[test]
    fn german_attribution() {
        check(
            sample!("attribution_german"),
            "Hallo Rita,\n\ndanke, wir melden uns, sobald die Korrektur veröffentlicht ist.\n\nBernd",
        );
    }

    #[test]
    fn french_attribution() {
        check(
            sample!("attribution_french"),
            "Bonjour Rita,\n\nmerci, nous vous tiendrons informée de la publication.\n\nBernard",
        );
    }

    #[test]
    fn spanish_attribution() {
        check(
            sample!("attribution_spanish"),
            "Hola Rita,\n\ngracias, la corrección saldrá en la versión 3.7.1.\n\nBruno",
        );
    }

    #[test]
    fn italian_attribution_above_an_unmarked_quote() {
        check(
            sample!("attribution_italian"),
            "Ciao Rita,\n\ngrazie, la correzione sarà nella versione 3.7.1.\n\nBruno",
        );
    }

    #[test]
    fn dutch_attribution() {
        check(
            sample!("attribution_dutch"),
            "Hoi Rita,\n\nbedankt, de oplossing komt in versie 3.7.1.\n\nBram",
        );
    }

    /// The cases of `parse::strip_quoted`, whose contract this is.
    #[test]
    fn quoted_text_is_stripped_from_replies() {
        assert_eq!(
            strip_quoted(
                "Fixed in 1.2.\n\nOn Sat, 21 Nov 2026 at 10:00, Rita <rita@example.net> wrote:\n> the bug\n> more\n"
            ),
            "Fixed in 1.2."
        );
        assert_eq!(
            strip_quoted(
                "Thanks.\nOn Sat, 21 Nov 2026 at 10:00, Rita\n<rita@example.net> wrote:\n> x\n"
            ),
            "Thanks."
        );
        assert_eq!(
            strip_quoted("> point one\nagreed\n> point two\nalso\n"),
            "agreed\nalso"
        );
        assert_eq!(
            strip_quoted("Yes.\n-----Original Message-----\nFrom: x\n"),
            "Yes."
        );
        assert_eq!(strip_quoted("> only quotes\n"), "> only quotes\n");
        assert_eq!(
            strip_quoted("Plain text, nothing quoted."),
            "Plain text, nothing quoted."
        );
    }

    #[test]
    fn more_attributions_of_real_clients() {
        for attribution in [
            // Thunderbird, Apple Mail, Gmail in German, Portuguese, mutt, Evolution.
            "On 12/1/26 10:00, Ann Example wrote:",
            "On 1 Dec 2026, at 10:00, Ann <ann@example.net> wrote:",
            "Am Di., 1. Dez. 2026 um 10:00 Uhr schrieb Ann Example <ann@example.net>:",
            "Am 01.12.26 um 10:00 schrieb Ann Example:",
            "Le 01/12/2026 à 10:00, Ann Example a écrit\u{a0}:",
            "El 1/12/26 a las 10:00, Ann Example escribió:",
            "Il 01/12/26 10:00, Ann Example ha scritto:",
            "Em ter., 1 de dez. de 2026 às 10:00, Ann <ann@example.net> escreveu:",
            "On Tue, Dec 01, 2026 at 10:00:00AM +0100, Ann Example wrote:",
            "On Tue, 2026-12-01 at 10:00 +0100, Ann Example wrote:",
        ] {
            // Above an unmarked quote (HTML read as text): everything below goes.
            let text = format!("Own text.\n\n{attribution}\nQuoted secret.\n");
            assert_eq!(strip_quoted(&text), "Own text.", "{attribution}");
        }
        // Gnus and friends: no date, but an address and the quote right below.
        assert_eq!(
            strip_quoted("Agreed.\n\nAnn Example <ann@example.net> writes:\n\n> secret\n"),
            "Agreed."
        );
    }

    #[test]
    fn prose_that_mentions_wrote_is_kept() {
        for text in [
            "As the reporter wrote: the parser crashes on empty input.\nWe fixed it.",
            "On reflection, I think what Ann wrote:\nis right, and we should ship 3.7.1.",
            "On Tuesday the reporter wrote:\nthe fix works for them.",
            "From: our side, nothing to add.\nThanks.",
        ] {
            assert_eq!(strip_quoted(text), text);
        }
        // A quote introduced in prose: the `>` lines go, the text around them stays.
        assert_eq!(
            strip_quoted("On reflection, the reporter wrote:\n> it crashes\nand I agree.\n"),
            "On reflection, the reporter wrote:\nand I agree."
        );
        // A lone rule is a signature's, not Outlook's.
        assert_eq!(
            strip_quoted("Fixed.\n__________\nBob, Kafka PMC\n"),
            "Fixed.\n__________\nBob, Kafka PMC"
        );
    }

    #[test]
    fn answers_between_the_quoted_lines_are_kept() {
        assert_eq!(
            strip_quoted(
                "On 12/1/26 10:00, Ann Example wrote:\n> Which version?\n\n3.6.0.\n\n> And the config?\n\nThe default one.\n"
            ),
            "3.6.0.\n\nThe default one."
        );
    }

    #[test]
    fn a_bold_outlook_header_read_from_html() {
        assert_eq!(
            strip_quoted(
                "Done.\n\n*From:* Embargo <security@example.org>\n*Sent:* Tuesday, December 1, 2026 10:00 AM\n*To:* Bob\n*Subject:* secret\n\nsecret\n"
            ),
            "Done."
        );
    }
}
