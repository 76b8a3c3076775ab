//! Writing a QTI 3.0 content package: `imsmanifest.xml` and one item file per question.

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::super::{Question, text};

/// The identifier of the general-feedback modal feedback, and of its outcome.
pub const GENERAL: &str = "GENERAL";
pub const GENERAL_OUTCOME: &str = "GENERAL_FEEDBACK";

const ASI_NS: &str = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0";
const ASI_XSD: &str =
    "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0p1_v1p0.xsd";
const CP_NS: &str = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1";
const LOM_NS: &str = "http://ltsc.ieee.org/xsd/LOM";

/// Writes the questions as a QTI 3.0 content package (ZIP bytes).
pub fn write_package(questions: &[Question]) -> Vec<u8> {
    let ids = identifiers(questions);
    let mut files = vec![("imsmanifest.xml".to_string(), manifest(questions, &ids))];
    for (q, id) in questions.iter().zip(&ids) {
        files.push((format!("items/{id}.xml"), item(q, id)));
    }
    zip_files(&files)
}

/// A ZIP of `(name, content)` files, deflated, dated 1980-01-01 so that output is reproducible.
pub(super) fn zip_files(files: &[(String, String)]) -> Vec<u8> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in files {
        // Writing to memory cannot fail; a failure would leave an incomplete archive that the
        // reader reports, so errors are not propagated.
        let _ = zip.start_file(name.as_str(), options);
        let _ = zip.write_all(content.as_bytes());
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// One identifier per question, from its name (`2D-014` → `item-2D-014`), unique in the package.
fn identifiers(questions: &[Question]) -> Vec<String> {
    let mut ids: Vec<String> = vec![];
    for (i, q) in questions.iter().enumerate() {
        let clean: String = q
            .name
            .as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .take(60)
            .collect();
        let base = if clean.is_empty() {
            format!("item-{}", i + 1)
        } else {
            format!("item-{clean}")
        };
        let mut id = base.clone();
        let mut n = 2;
        while ids.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
            id = format!("{base}-{n}");
            n += 1;
        }
        ids.push(id);
    }
    ids
}

/// The identifier of the `i`-th choice: A … Z, then C27, C28, …
pub fn choice_id(i: usize) -> String {
    match u8::try_from(i) {
        Ok(n) if n < 26 => char::from(b'A' + n).to_string(),
        _ => format!("C{}", i + 1),
    }
}

/// Plain text as XHTML inline content (line breaks as `<br/>`).
fn inline(s: &str) -> String {
    text::escape_xml(s).replace('\n', "<br/>")
}

fn manifest(questions: &[Question], ids: &[String]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"{CP_NS}\" xmlns:lom=\"{LOM_NS}\" \
         identifier=\"palpate-questions\">\n  <metadata>\n    <schema>QTI Package</schema>\n    \
         <schemaversion>3.0.0</schemaversion>\n  </metadata>\n  <organizations/>\n  <resources>\n"
    );
    for (q, id) in questions.iter().zip(ids) {
        let href = format!("items/{id}.xml");
        let _ = writeln!(
            out,
            "    <resource identifier=\"{id}\" type=\"imsqti_item_xmlv3p0\" href=\"{href}\">\n      <metadata>\n        \
             <lom:lom>\n          <lom:general>"
        );
        for t in &q.tags {
            let _ = writeln!(
                out,
                "            <lom:keyword><lom:string>{}</lom:string></lom:keyword>",
                text::escape_xml(t)
            );
        }
        out.push_str("          </lom:general>\n");
        if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
            let c = text::escape_xml(c);
            let _ = writeln!(
                out,
                "          <lom:classification>\n            <lom:purpose><lom:source>LOMv1.0</lom:source>\
                 <lom:value>discipline</lom:value></lom:purpose>\n            <lom:taxonPath>\n              \
                 <lom:source><lom:string>Palpate sub-areas</lom:string></lom:source>\n              \
                 <lom:taxon><lom:id>{c}</lom:id><lom:entry><lom:string>{c}</lom:string></lom:entry></lom:taxon>\n            \
                 </lom:taxonPath>\n          </lom:classification>"
            );
        }
        let _ = writeln!(
            out,
            "        </lom:lom>\n      </metadata>\n      <file href=\"{href}\"/>\n    </resource>"
        );
    }
    out.push_str("  </resources>\n</manifest>\n");
    out
}

/// One item file: response and outcome declarations, the stem and choice interaction, response
/// processing (score, and FEEDBACK set to the chosen option), and modal feedback.
fn item(q: &Question, id: &str) -> String {
    let title = text::escape_xml(q.name.as_deref().unwrap_or(""));
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qti-assessment-item xmlns=\"{ASI_NS}\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{ASI_NS} {ASI_XSD}\" \
         identifier=\"{id}\" title=\"{title}\" adaptive=\"false\" time-dependent=\"false\">\n  \
         <qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"identifier\">\n"
    );
    let correct: Vec<String> = q
        .choices
        .iter()
        .enumerate()
        .filter(|(_, c)| c.correct)
        .map(|(i, _)| choice_id(i))
        .collect();
    if !correct.is_empty() {
        out.push_str("    <qti-correct-response>\n");
        for c in &correct {
            let _ = writeln!(out, "      <qti-value>{c}</qti-value>");
        }
        out.push_str("    </qti-correct-response>\n");
    }
    let _ = write!(
        out,
        "  </qti-response-declaration>\n  \
         <qti-outcome-declaration identifier=\"SCORE\" cardinality=\"single\" base-type=\"float\">\n    \
         <qti-default-value><qti-value>0</qti-value></qti-default-value>\n  </qti-outcome-declaration>\n  \
         <qti-outcome-declaration identifier=\"MAXSCORE\" cardinality=\"single\" base-type=\"float\">\n    \
         <qti-default-value><qti-value>1</qti-value></qti-default-value>\n  </qti-outcome-declaration>\n  \
         <qti-outcome-declaration identifier=\"FEEDBACK\" cardinality=\"single\" base-type=\"identifier\"/>\n  \
         <qti-outcome-declaration identifier=\"{GENERAL_OUTCOME}\" cardinality=\"single\" base-type=\"identifier\"/>\n  \
         <qti-item-body>\n"
    );
    if !q.stem.is_empty() {
        let _ = writeln!(out, "    <p>{}</p>", inline(&q.stem));
    }
    out.push_str("    <qti-choice-interaction response-identifier=\"RESPONSE\" max-choices=\"1\" shuffle=\"true\">\n");
    for (i, c) in q.choices.iter().enumerate() {
        let _ = writeln!(
            out,
            "      <qti-simple-choice identifier=\"{}\">{}</qti-simple-choice>",
            choice_id(i),
            inline(&c.text)
        );
    }
    out.push_str("    </qti-choice-interaction>\n  </qti-item-body>\n");
    out.push_str(&response_processing());
    for (i, c) in q.choices.iter().enumerate() {
        modal_feedback(&mut out, "FEEDBACK", &choice_id(i), &c.feedback);
    }
    modal_feedback(&mut out, GENERAL_OUTCOME, GENERAL, &q.general_feedback);
    out.push_str("</qti-assessment-item>\n");
    out
}

/// Match-correct scoring written out (SCORE = MAXSCORE when RESPONSE is correct), FEEDBACK set to
/// the chosen option, and the general-feedback outcome set so that its modal feedback shows.
fn response_processing() -> String {
    format!(
        "  <qti-response-processing>\n    <qti-response-condition>\n      <qti-response-if>\n        \
         <qti-match>\n          <qti-variable identifier=\"RESPONSE\"/>\n          \
         <qti-correct identifier=\"RESPONSE\"/>\n        </qti-match>\n        \
         <qti-set-outcome-value identifier=\"SCORE\">\n          <qti-variable identifier=\"MAXSCORE\"/>\n        \
         </qti-set-outcome-value>\n      </qti-response-if>\n    </qti-response-condition>\n    \
         <qti-set-outcome-value identifier=\"FEEDBACK\">\n      <qti-variable identifier=\"RESPONSE\"/>\n    \
         </qti-set-outcome-value>\n    <qti-set-outcome-value identifier=\"{GENERAL_OUTCOME}\">\n      \
         <qti-base-value base-type=\"identifier\">{GENERAL}</qti-base-value>\n    </qti-set-outcome-value>\n  \
         </qti-response-processing>\n"
    )
}

fn modal_feedback(out: &mut String, outcome: &str, id: &str, plain: &str) {
    if plain.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  <qti-modal-feedback outcome-identifier=\"{outcome}\" identifier=\"{id}\" show-hide=\"show\">\n    \
         <qti-content-body><p>{}</p></qti-content-body>\n  </qti-modal-feedback>",
        inline(plain)
    );
}
