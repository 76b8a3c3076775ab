//! Text-only PDF documents (transcripts, certificates), written with `pdf-writer`: US Letter pages,
//! a bold title, wrapped and paginated lines. Lines in Latin-1 (and the WinAnsi punctuation) use the
//! standard Helvetica fonts, so their text stays plain in the file; any other line is set in DejaVu
//! Sans, embedded as a subset with a ToUnicode map, so every name prints and can be copied.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use std::collections::BTreeMap;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const PER_PAGE: usize = 58;
const WIDTH: usize = 95;

/// The byte for `c` in WinAnsiEncoding, if it has one.
fn winansi(c: char) -> Option<u8> {
    Some(match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        _ => return None,
    })
}

/// Control characters become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
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

/// The embedded font: glyph ids and widths for the characters a document uses.
struct Unicode {
    face: ttf_parser::Face<'static>,
    glyphs: BTreeMap<u16, char>,
}

impl Unicode {
    fn new() -> Option<Unicode> {
        Some(Unicode {
            face: ttf_parser::Face::parse(FONT, 0).ok()?,
            glyphs: BTreeMap::new(),
        })
    }

    /// The line as two-byte glyph ids (Identity-H), remembering each glyph's character.
    fn encode(&mut self, line: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(line.len() * 2);
        for c in line.chars() {
            let gid = self.face.glyph_index(c).map(|g| g.0).unwrap_or(0);
            if gid != 0 {
                self.glyphs.entry(gid).or_insert(c);
            }
            out.extend_from_slice(&gid.to_be_bytes());
        }
        out
    }

    fn width(&self, gid: u16) -> f32 {
        let per_em = self.face.units_per_em() as f32;
        let adv = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0) as f32;
        adv * 1000.0 / per_em
    }

    /// Writes the Type0 font, its CID font, descriptor, subset font file and ToUnicode map.
    fn write(&self, pdf: &mut Pdf, alloc: &mut Ref, type0: Ref) {
        let (cid, descriptor, file, cmap) =
            (alloc.bump(), alloc.bump(), alloc.bump(), alloc.bump());
        let name = Name(b"DejaVuSans");
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let mut font = pdf.cid_font(cid);
        font.subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(info)
            .font_descriptor(descriptor)
            .default_width(self.width(0))
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = font.widths();
        for gid in self.glyphs.keys() {
            widths.consecutive(*gid, [self.width(*gid)]);
        }
        widths.finish();
        font.finish();
        let scale = 1000.0 / self.face.units_per_em() as f32;
        let b = self.face.global_bounding_box();
        pdf.font_descriptor(descriptor)
            .name(name)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                b.x_min as f32 * scale,
                b.y_min as f32 * scale,
                b.x_max as f32 * scale,
                b.y_max as f32 * scale,
            ))
            .italic_angle(0.0)
            .ascent(self.face.ascender() as f32 * scale)
            .descent(self.face.descender() as f32 * scale)
            .cap_height(self.face.capital_height().unwrap_or(700) as f32 * scale)
            .stem_v(80.0)
            .font_file2(file);
        let mut gids: Vec<u16> = vec![0];
        gids.extend(self.glyphs.keys());
        let subset = subsetter::subset(FONT, 0, subsetter::Profile::pdf(&gids))
            .unwrap_or_else(|_| FONT.to_vec());
        pdf.stream(file, &subset);
        let mut map = UnicodeCmap::new(Name(b"Palpate-UTF16"), info);
        for (gid, c) in &self.glyphs {
            map.pair(*gid, *c);
        }
        pdf.cmap(cmap, &map.finish());
    }
}

/// How one line is set: in Helvetica (WinAnsi bytes) or in the embedded font (glyph ids).
enum Run {
    Latin(Vec<u8>),
    Glyphs(Vec<u8>),
}

fn run(line: &str, unicode: &mut Option<Unicode>) -> Run {
    let latin: Option<Vec<u8>> = line.chars().map(winansi).collect();
    match (latin, unicode.as_mut()) {
        (Some(bytes), _) => Run::Latin(bytes),
        (None, Some(u)) => Run::Glyphs(u.encode(line)),
        // Without the font (it always parses), characters outside WinAnsi show as '?'.
        (None, None) => Run::Latin(line.chars().map(|c| winansi(c).unwrap_or(b'?')).collect()),
    }
}

/// A document: a bold title, then the lines (wrapped), paginated.
pub fn document(title: &str, lines: &[String]) -> Vec<u8> {
    let wrapped: Vec<String> = lines.iter().flat_map(|l| wrap(&clean(l), WIDTH)).collect();
    let pages: Vec<&[String]> = if wrapped.is_empty() {
        vec![&[]]
    } else {
        wrapped.chunks(PER_PAGE).collect()
    };
    let n = pages.len();
    let mut alloc = Ref::new(1);
    let (catalog, tree, helvetica, bold, type0) = (
        alloc.bump(),
        alloc.bump(),
        alloc.bump(),
        alloc.bump(),
        alloc.bump(),
    );
    let page_ids: Vec<(Ref, Ref)> = (0..n).map(|_| (alloc.bump(), alloc.bump())).collect();
    let mut unicode = Unicode::new();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(n as i32);
    for (id, base) in [(helvetica, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    // Set every line first: the embedded font is written only if some line needs it.
    let title = run(&clean(title), &mut unicode);
    let mut runs: Vec<Vec<Run>> = pages
        .iter()
        .map(|chunk| chunk.iter().map(|l| run(l, &mut unicode)).collect())
        .collect();
    let embedded = unicode.as_ref().filter(|u| !u.glyphs.is_empty());
    let mut title = Some(title);
    for (i, lines) in runs.drain(..).enumerate() {
        let (page_id, content_id) = page_ids[i];
        let mut c = Content::new();
        c.begin_text();
        let show = |c: &mut Content, r: Run, latin: &[u8], size: f32| match r {
            Run::Latin(bytes) => {
                c.set_font(Name(latin), size);
                c.show(Str(&bytes));
            }
            Run::Glyphs(bytes) => {
                c.set_font(Name(b"F3"), size);
                c.show(Str(&bytes));
            }
        };
        c.next_line(50.0, 750.0);
        if let Some(t) = title.take() {
            show(&mut c, t, b"F2", 14.0);
            c.next_line(0.0, -36.0);
        }
        for line in lines {
            show(&mut c, line, b"F1", 9.0);
            c.next_line(0.0, -12.0);
        }
        c.end_text();
        c.begin_text();
        c.set_font(Name(b"F1"), 8.0);
        c.next_line(50.0, 30.0);
        c.show(Str(format!("Page {} of {n}", i + 1).as_bytes()));
        c.end_text();
        pdf.stream(content_id, &c.finish());
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, 612.0, 792.0))
            .parent(tree)
            .contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), helvetica);
        fonts.pair(Name(b"F2"), bold);
        if embedded.is_some() {
            fonts.pair(Name(b"F3"), type0);
        }
        fonts.finish();
        resources.finish();
    }
    if let Some(u) = embedded {
        u.write(&mut pdf, &mut alloc, type0);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(pdf: &[u8]) -> String {
        String::from_utf8_lossy(pdf).into_owned()
    }

    #[test]
    fn latin_lines_stay_plain_text_and_paginate() {
        let lines: Vec<String> = (0..130)
            .map(|i| format!("Line {i} (with parentheses) and a back\\slash – café"))
            .collect();
        let pdf = document("Transcript", &lines);
        assert!(pdf.starts_with(b"%PDF-"));
        let t = text(&pdf);
        assert!(t.contains("/Count 3"), "130 lines take three pages");
        // The line in WinAnsi bytes (pdf-writer writes it as a hex string: it has bytes above 127).
        let want: String = "Line 129 (with parentheses) and a back\\slash – café"
            .chars()
            .map(|c| format!("{:02X}", winansi(c).unwrap()))
            .collect();
        assert!(
            t.contains(&format!("<{want}>")),
            "the last line, in WinAnsi"
        );
        assert!(t.contains("(Transcript) Tj"), "ASCII stays plain text");
        assert!(
            !t.contains("/FontFile2"),
            "no font embedded when Helvetica covers it"
        );
    }

    #[test]
    fn any_name_prints_with_the_embedded_font() {
        let names = [
            "Łukasz Wiśniewski",
            "Nguyễn Thị Hà",
            "Ιωάννα Παππά",
            "Светлана",
        ];
        let lines: Vec<String> = names.iter().map(|n| format!("Issued to {n}")).collect();
        let pdf = document("Certificate for Zoë Ağaoğlu", &lines);
        let t = text(&pdf);
        assert!(t.contains("/FontFile2") && t.contains("/Identity-H") && t.contains("/ToUnicode"));
        assert!(!t.contains("Issued to ?"), "no character replaced by '?'");
        // Every character of the names is mapped back to Unicode, so it can be copied and searched.
        let face = ttf_parser::Face::parse(FONT, 0).unwrap();
        for c in names.concat().chars().filter(|c| !c.is_ascii()) {
            let gid = face.glyph_index(c).expect("DejaVu has the glyph").0;
            let hex = format!("<{gid:04X}> <{:04X}>", c as u32);
            assert!(t.contains(&hex), "ToUnicode maps {c} ({hex})");
        }
        // The subset is much smaller than the whole font.
        assert!(pdf.len() < FONT.len() / 4, "{} bytes", pdf.len());
    }
}
