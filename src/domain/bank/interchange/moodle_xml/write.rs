//! Writing Moodle XML: a category question whenever the category changes, then one
//! `multichoice` question per [`Question`].

use std::fmt::Write as _;

use super::super::{Question, text};

/// Writes questions as a Moodle XML `<quiz>`.
pub fn write(questions: &[Question]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
    let mut current: Option<&str> = None;
    for q in questions {
        let category = q
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if category != current {
            write_category(&mut out, category);
            current = category;
        }
        write_question(&mut out, q);
    }
    out.push_str("</quiz>\n");
    out
}

/// `<question type="category">` for `$course$/top/<category>` (the top category for none).
fn write_category(out: &mut String, category: Option<&str>) {
    let path = match category {
        Some(c) => format!("$course$/top/{c}"),
        None => "$course$/top".to_string(),
    };
    let _ = write!(
        out,
        "  <question type=\"category\">\n    <category>\n      <text>{}</text>\n    </category>\n  </question>\n\n",
        text::escape_xml(&path)
    );
}

fn write_question(out: &mut String, q: &Question) {
    let name = text::escape_xml(q.name.as_deref().unwrap_or(""));
    let _ = write!(
        out,
        "  <question type=\"multichoice\">\n    <name>\n      <text>{name}</text>\n    </name>\n"
    );
    html_field(out, "questiontext", &q.stem, 4);
    html_field(out, "generalfeedback", &q.general_feedback, 4);
    let _ = write!(
        out,
        "    <defaultgrade>1</defaultgrade>\n    <penalty>0</penalty>\n    <hidden>0</hidden>\n    \
         <idnumber>{name}</idnumber>\n    <single>true</single>\n    <shuffleanswers>true</shuffleanswers>\n    \
         <answernumbering>ABCD</answernumbering>\n    <showstandardinstruction>0</showstandardinstruction>\n"
    );
    for field in [
        "correctfeedback",
        "partiallycorrectfeedback",
        "incorrectfeedback",
    ] {
        html_field(out, field, "", 4);
    }
    for c in &q.choices {
        let fraction = if c.correct { 100 } else { 0 };
        let _ = write!(
            out,
            "    <answer fraction=\"{fraction}\" format=\"html\">\n      <text>{}</text>\n",
            cdata(&c.text)
        );
        html_field(out, "feedback", &c.feedback, 6);
        out.push_str("    </answer>\n");
    }
    if !q.tags.is_empty() {
        out.push_str("    <tags>\n");
        for t in &q.tags {
            let _ = writeln!(out, "      <tag><text>{}</text></tag>", text::escape_xml(t));
        }
        out.push_str("    </tags>\n");
    }
    out.push_str("  </question>\n\n");
}

/// `<field format="html"><text>…</text></field>` at the given indentation.
fn html_field(out: &mut String, field: &str, plain: &str, indent: usize) {
    let pad = " ".repeat(indent);
    let _ = write!(
        out,
        "{pad}<{field} format=\"html\">\n{pad}  <text>{}</text>\n{pad}</{field}>\n",
        cdata(plain)
    );
}

/// Plain text as HTML in a CDATA section (empty text stays empty). The HTML escapes `>`, so the
/// section cannot be closed early by the text.
fn cdata(plain: &str) -> String {
    if plain.is_empty() {
        String::new()
    } else {
        format!("<![CDATA[{}]]>", text::text_to_html(plain))
    }
}
