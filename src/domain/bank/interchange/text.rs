//! Text helpers shared by the parsers: decoding uploads, HTML to plain text, excerpts.

use super::FileError;

/// UTF-8 with or without a BOM; CRLF and lone CR become LF. Invalid UTF-8 is refused with the
/// line it is on.
pub fn decode(bytes: &[u8]) -> Result<String, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(normalize_newlines(s)),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            Err(FileError {
                line,
                message: "The file is not UTF-8 text. Save it as UTF-8 (in Excel: \"CSV UTF-8\") and upload it again.".into(),
            })
        }
    }
}

pub fn normalize_newlines(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

/// The first 80 characters of a text on one line, for reports.
pub fn excerpt(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(80).collect();
    if one_line.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// 1-based line of a byte offset.
pub fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Whether HTML text shows an image, audio, video or an embedded object (which Palpate items
/// cannot carry).
pub fn has_media(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    [
        "<img", "<audio", "<video", "<object", "<embed", "<iframe", "<svg", "<math",
    ]
    .iter()
    .any(|t| lower.contains(t))
}

/// HTML (as Moodle and QTI store text) to plain text: tags dropped, `<br>`/`<p>`/`<li>` become
/// line breaks, the common entities and numeric character references decoded, runs of blank lines
/// and spaces collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            out.push_str(&decode_entities(after));
            rest = "";
            break;
        };
        let tag = after[1..gt].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4"
        ) {
            out.push('\n');
        }
        rest = &after[gt + 1..];
    }
    out.push_str(&decode_entities(rest));
    tidy(&out)
}

/// Collapses spaces within lines and blank lines between them; trims the ends.
pub fn tidy(s: &str) -> String {
    let lines: Vec<String> = s
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut out: Vec<&str> = vec![];
    for l in &lines {
        if l.is_empty() && out.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        out.push(l);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and `&#…;` references; anything
/// else is left as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = (0..=after.len().min(12))
            .rev()
            .find(|&i| after.is_char_boundary(i))
            .unwrap_or(0);
        let semi = after[..end].find(';');
        let decoded = semi.and_then(|i| {
            let name = &after[1..i];
            let ch = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            ch.map(|c| (c, i))
        });
        match decoded {
            Some((c, i)) => {
                out.push(c);
                rest = &after[i + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes text for HTML/XML content and attributes.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Plain text as HTML paragraphs (line breaks kept), for formats that store HTML.
pub fn text_to_html(s: &str) -> String {
    escape_xml(s).replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_strips_bom_and_crlf_and_refuses_latin1_with_its_line() {
        assert_eq!(decode(b"\xEF\xBB\xBFa\r\nb\rc").unwrap(), "a\nb\nc");
        let e = decode(b"ok\nok\ncaf\xE9").unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            html_to_text(
                "<p>The <b>biceps</b> &amp; triceps&nbsp;&#x2014; see<br/>below</p><p></p>"
            ),
            "The biceps & triceps — see\nbelow"
        );
        assert_eq!(
            decode_entities("a &bogus; & b &#99999999;"),
            "a &bogus; & b &#99999999;"
        );
        assert!(has_media("<p><IMG src=x></p>"));
        assert!(!has_media("<p>image of nothing</p>"));
    }
}
