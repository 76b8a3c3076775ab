//! A small text-only PDF writer (PDF 1.4, the built-in Helvetica font, US Letter pages): enough for
//! transcripts, with no dependency and no fonts to ship.

fn escape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            // Helvetica in WinAnsi covers Latin-1; anything else becomes '?'.
            c if (c as u32) < 32 => out.push(' '),
            c if (c as u32) < 256 => out.push(c),
            '–' | '—' => out.push('-'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '…' => out.push_str("..."),
            '→' => out.push_str("->"),
            _ => out.push('?'),
        }
    }
    out
}

/// Wraps a line to about `width` characters at spaces.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    for word in line.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    out.push(cur);
    out
}

/// A document: a bold title, then the lines (wrapped), paginated.
pub fn document(title: &str, lines: &[String]) -> Vec<u8> {
    let wrapped: Vec<String> = lines.iter().flat_map(|l| wrap(l, 95)).collect();
    let per_page = 58;
    let pages: Vec<&[String]> = if wrapped.is_empty() {
        vec![&[]]
    } else {
        wrapped.chunks(per_page).collect()
    };
    let n = pages.len();
    // Objects: 1 catalog, 2 pages, 3 font, 4 bold font, then for each page: page, content.
    let mut objects: Vec<Vec<u8>> = vec![];
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    for (i, chunk) in pages.iter().enumerate() {
        let mut content = String::from("BT\n");
        let mut y = 750;
        if i == 0 {
            content.push_str(&format!("/F2 14 Tf 50 {y} Td ({}) Tj\n", escape(title)));
            y -= 24;
            content.push_str("/F1 9 Tf 0 -24 Td\n");
        } else {
            content.push_str(&format!("/F1 9 Tf 50 {y} Td\n"));
        }
        for line in chunk.iter() {
            content.push_str(&format!("({}) Tj 0 -12 Td\n", escape(line)));
        }
        content.push_str(&format!(
            "ET\nBT /F1 8 Tf 50 30 Td (Page {} of {n}) Tj ET\n",
            i + 1
        ));
        let _ = y;
        objects.push(format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>", 6 + 2 * i).into_bytes());
        let bytes: Vec<u8> = content
            .chars()
            .map(|c| if (c as u32) < 256 { c as u8 } else { b'?' })
            .collect();
        let mut stream = format!("<< /Length {} >>\nstream\n", bytes.len()).into_bytes();
        stream.extend_from_slice(&bytes);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = vec![];
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(obj);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_valid_looking_pdf_with_escaped_text() {
        let lines: Vec<String> = (0..130)
            .map(|i| format!("Line {i} (with parentheses) and a back\\slash – café"))
            .collect();
        let pdf = super::document("Transcript", &lines);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 3"), "130 lines take three pages");
        assert!(text.contains("\\(with parentheses\\)"));
        // The xref offsets point at the objects.
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[xref_at..].starts_with(b"xref"));
    }
}
