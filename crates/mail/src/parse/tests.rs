//! The parser's unit tests: headers, charsets, MIME, machine mail, bounds.
use super::*;

#[test]
fn a_plain_message_is_read() {
    let raw = b"From: Ann =?utf-8?q?Researcher_=C3=A9?= <ann@example.net>\r\n\
To: security@example.org\r\nSubject: =?UTF-8?B?WFNTIGluIGxvZ2luIOKAlCDmvI/mtJ4=?=\r\n  folded\r\n\
Message-ID: <abc@example.net>\r\nIn-Reply-To: <x@embargo>\r\nReferences: <a@b> <x@embargo>\r\n\r\nHello,\r\nthe bug.\r\n";
    let m = parse(raw).unwrap();
    assert_eq!(m.message_id, "abc@example.net");
    assert_eq!(m.subject, "XSS in login \u{2014} \u{6f0f}\u{6d1e} folded");
    assert_eq!(
        m.from.as_ref().unwrap().name.as_deref(),
        Some("Ann Researcher \u{e9}")
    );
    assert_eq!(m.from.as_ref().unwrap().address, "ann@example.net");
    assert_eq!(m.thread_ids, vec!["x@embargo", "a@b", "x@embargo"]);
    assert_eq!(m.recipients, vec!["security@example.org"]);
    assert_eq!(m.text, "Hello,\nthe bug.");
    assert!(m.automatic.is_none());
    assert!(!m.html_only);
}

#[test]
fn legacy_charsets_are_decoded() {
    let mut raw = b"From: a@example.net\r\nSubject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n".to_vec();
    raw.extend_from_slice(&[0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea]);
    let m = parse(&raw).unwrap();
    assert_eq!(m.subject, "\u{65e5}\u{672c}\u{8a9e}");
    assert_eq!(m.text, "\u{65e5}\u{672c}\u{8a9e}");
}

#[test]
fn html_only_mail_is_converted_and_flagged() {
    let raw =
        b"From: a@example.net\r\nContent-Type: text/html\r\n\r\n<p>The <b>bug</b> is here</p>";
    let m = parse(raw).unwrap();
    assert!(m.html_only);
    assert!(m.text.contains("The bug is here"), "{}", m.text);
}

#[test]
fn attachments_and_broken_mime_are_tolerated() {
    let raw = b"From: a@example.net\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: application/pdf; name=\"r\xc3\xa9port.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX\r\nContent-Type: image/png\r\n\r\n\x89PNG truncated without end boundary";
    let m = parse(raw).unwrap();
    assert_eq!(m.text, "see attached");
    assert_eq!(m.attachments.len(), 2);
    assert_eq!(m.attachments[0].content_type, "application/pdf");
    assert_eq!(m.attachments[0].content, b"%PDF-1.4\n");
    assert!(m.attachments.iter().all(Attachment::is_rich));
    assert_eq!(m.own_words(), 2);
}

#[test]
fn bounces_and_auto_replies_are_recognised() {
    for (header, kind) in [
        ("Auto-Submitted: auto-replied", AutoKind::AutoReply),
        ("Return-Path: <>", AutoKind::Bounce),
        ("X-Autoreply: yes", AutoKind::AutoReply),
        ("From: MAILER-DAEMON@mx.example.net", AutoKind::Bounce),
        ("From: postmaster@mx.example.net", AutoKind::Bounce),
        (
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b",
            AutoKind::Bounce,
        ),
        (
            "Content-Type: multipart/report; report-type=disposition-notification; boundary=b",
            AutoKind::AutoReply,
        ),
    ] {
        let raw = format!("{header}\r\nSubject: away\r\n\r\nI am away\r\n");
        let m = parse(raw.as_bytes()).unwrap();
        assert_eq!(m.automatic.map(|a| a.kind), Some(kind), "{header}");
    }
    let ooo =
        b"From: a@example.net\r\nSubject: Automatic reply: Re: [EMB-0123456789AB]\r\n\r\naway\r\n";
    assert_eq!(
        parse(ooo).unwrap().automatic.map(|a| a.kind),
        Some(AutoKind::AutoReply)
    );
    let raw = b"Auto-Submitted: no\r\nFrom: a@example.net\r\n\r\nhi\r\n";
    let m = parse(raw).unwrap();
    assert!(m.automatic.is_none() && m.no_auto_answer.is_none());
}

#[test]
fn list_and_platform_mail_is_a_report_that_no_machine_answers() {
    for header in [
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "Precedence: junk",
        "From: no-reply@platform.example",
        "From: do_not_reply@platform.example",
    ] {
        let raw = format!("{header}\r\nSubject: RCE\r\n\r\nthe bug\r\n");
        let m = parse(raw.as_bytes()).unwrap();
        assert!(m.automatic.is_none(), "{header}: not a bounce");
        assert!(m.no_auto_answer.is_some(), "{header}");
    }
    for header in ["Precedence: list", "List-Id: <sec.example.org>"] {
        let raw =
            format!("From: Ann <ann@example.net>\r\n{header}\r\nSubject: RCE\r\n\r\nthe bug\r\n");
        let m = parse(raw.as_bytes()).unwrap();
        assert!(
            m.list && m.automatic.is_none() && m.no_auto_answer.is_none(),
            "{header}"
        );
        assert_eq!(m.author.unwrap().address, "ann@example.net", "{header}");
    }
}

#[test]
fn the_author_behind_a_list_that_rewrote_from() {
    let list = "List-Post: <mailto:sec@lists.example.org>\r\nList-Id: <sec.lists.example.org>\r\n";
    let parse = |extra: &str| {
        let raw = format!(
            "From: \"Ann via sec\" <sec@lists.example.org>\r\n{list}{extra}Subject: RCE\r\n\r\nthe bug\r\n"
        );
        parse(raw.as_bytes()).unwrap()
    };
    let m = parse("X-Original-From: Ann Example <ann@example.net>\r\n");
    let a = m.author.unwrap();
    assert_eq!(a.address, "ann@example.net");
    assert_eq!(a.name.as_deref(), Some("Ann Example"));
    assert_eq!(
        parse("Reply-To: ann@example.net\r\n")
            .author
            .unwrap()
            .address,
        "ann@example.net"
    );
    assert!(
        parse("Reply-To: sec@lists.example.org\r\n")
            .author
            .is_none(),
        "the list is never the author"
    );
    assert!(parse("").author.is_none());
}

#[test]
fn the_parent_is_in_reply_to_else_the_newest_reference() {
    let m = parse(
        b"From: a@example.net\r\nIn-Reply-To: <p@x>\r\nReferences: <a@x> <p@x>\r\n\r\nhi\r\n",
    )
    .unwrap();
    assert_eq!(m.in_reply_to.as_deref(), Some("p@x"));
    let m = parse(b"From: a@example.net\r\nReferences: <a@x> <b@x>\r\n\r\nhi\r\n").unwrap();
    assert_eq!(m.in_reply_to.as_deref(), Some("b@x"));
}

#[test]
fn no_message_id_gets_a_stable_digest_and_empty_input_is_refused() {
    let raw = b"From: a@example.net\r\n\r\nbody\r\n";
    assert_eq!(
        parse(raw).unwrap().message_id,
        parse(raw).unwrap().message_id
    );
    assert!(matches!(parse(b" \r\n"), Err(MailError::Refused(_))));
}

/// A multipart message of `n` tiny parts, every other one an attachment.
fn many_parts(n: usize) -> Vec<u8> {
    let mut raw =
        b"From: a@example.net\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n".to_vec();
    for i in 0..n {
        if i % 2 == 0 {
            raw.extend_from_slice(b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        } else {
            raw.extend_from_slice(b"--B\r\nContent-Type: application/octet-stream\r\n\r\ny\r\n");
        }
    }
    raw.extend_from_slice(b"--B--\r\n");
    raw
}

#[test]
fn parts_and_attachments_are_bounded() {
    let limits = ParseLimits {
        max_parts: 20,
        max_attachments: 5,
    };
    // 1 root + 8 parts, 4 of them attachments: within both bounds.
    let m = parse_bounded(&many_parts(8), &limits).unwrap();
    assert_eq!(m.attachments.len(), 4);
    // 6 attachments: one too many.
    let err = parse_bounded(&many_parts(12), &limits).unwrap_err();
    assert!(
        matches!(&err, MailError::TooComplex(w) if w == "the message has 6 attachments; the limit is 5"),
        "{err:?}"
    );
    let err = parse_bounded(&many_parts(40), &limits).unwrap_err();
    assert!(
        matches!(&err, MailError::TooComplex(w) if w.contains("more MIME parts than the limit of 20")),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 65, "never worth retrying");
    assert!(
        crate::server::smtp_reply(&err).starts_with("552 5.3.4 "),
        "{}",
        crate::server::smtp_reply(&err)
    );
}

#[test]
fn parts_of_attached_messages_count_too() {
    let inner = String::from_utf8(many_parts(30)).unwrap();
    let raw = format!(
        "From: a@example.net\r\nContent-Type: multipart/mixed; boundary=O\r\n\r\n--O\r\n\
         Content-Type: text/plain\r\n\r\nsee the forwarded mail\r\n--O\r\n\
         Content-Type: message/rfc822\r\n\r\n{inner}\r\n--O--\r\n"
    );
    let limits = ParseLimits {
        max_parts: 20,
        max_attachments: 5,
    };
    assert!(matches!(
        parse_bounded(raw.as_bytes(), &limits),
        Err(MailError::TooComplex(_))
    ));
    assert!(parse(raw.as_bytes()).is_ok(), "within the defaults");
}

#[test]
fn control_characters_are_replaced() {
    assert_eq!(
        clean_text("a\x1b[31mred\r\nb\x0c"),
        "a\u{FFFD}[31mred\nb\u{FFFD}"
    );
    assert_eq!(one_line(" a\r\n\tb  c "), "a b c");
}
