//! Reading Moodle XML: `<quiz>` of `<question type="…">`.

use super::super::{Choice, FileError, Parsed, Question, text};
use super::dom::{self, Element};

/// Reads a Moodle XML file (already decoded: no BOM, LF line ends).
pub fn parse(input: &str) -> Result<Parsed, FileError> {
    let doc = dom::read(input);
    let Some(quiz) = doc.root.as_ref().filter(|r| r.name == "quiz") else {
        return Err(not_moodle(input, &doc));
    };
    let mut parsed = Parsed::default();
    let mut category: Option<String> = None;
    for q in quiz.children_named("question") {
        if !q.complete {
            break;
        }
        let line = text::line_at(input, q.offset);
        let kind = q.attr(&["type"]).unwrap_or("").trim().to_ascii_lowercase();
        if kind == "category" {
            category = category_of(q);
            continue;
        }
        match read_question(q, &kind) {
            Ok(mut question) => {
                question.line = line;
                question.category = category.clone();
                parsed.questions.push(question);
            }
            Err((name, stem, reason)) => parsed.skip(line, name, &stem, reason),
        }
    }
    if let Some((offset, message)) = &doc.error {
        let line = text::line_at(input, *offset);
        parsed.skip(
            line,
            None,
            "",
            format!("The XML breaks off at line {line} ({message}); questions from there on were not read."),
        );
    }
    Ok(parsed)
}

/// The error for a file whose root is not `<quiz>`.
fn not_moodle(input: &str, doc: &dom::Doc) -> FileError {
    match (&doc.root, &doc.error) {
        (None, Some((offset, message))) => FileError {
            line: text::line_at(input, *offset),
            message: format!("This is not readable XML ({message}). Export the questions from Moodle as \"Moodle XML format\"."),
        },
        (Some(root), _) => FileError {
            line: text::line_at(input, root.offset),
            message: format!(
                "This XML file is not a Moodle question export: its top element is <{}>, not <quiz>.",
                root.name
            ),
        },
        (None, None) => FileError {
            line: 1,
            message: "This is not a Moodle XML file: there is no <quiz> element. Export the questions from Moodle as \"Moodle XML format\".".into(),
        },
    }
}

/// The category a `type="category"` question sets, with Moodle's context prefix
/// (`$course$/top/`, `$system$/`, …) removed; `None` for the top category.
fn category_of(q: &Element) -> Option<String> {
    let c = q.child("category")?;
    let raw = match c.child("text") {
        Some(t) => t.own_text(),
        None => c.own_text(),
    };
    let path = strip_context(raw.trim());
    (!path.is_empty()).then(|| path.to_string())
}

/// `$course$/top/Anatomy/Shoulder` → `Anatomy/Shoulder`; other paths are kept as written.
pub(super) fn strip_context(path: &str) -> &str {
    let rest = match path
        .strip_prefix('$')
        .and_then(|p| p.split_once("$/").map(|(_, r)| r))
    {
        Some(r) => r,
        None if path.starts_with('$') && path.ends_with('$') => "",
        None => path,
    };
    if rest == "top" {
        ""
    } else {
        rest.strip_prefix("top/").unwrap_or(rest)
    }
}

/// What a skipped question is reported with: name, stem (plain) and reason.
type Refused = (Option<String>, String, String);

/// A `<question>` as a multiple-choice [`Question`] (line and category set by the caller), or
/// why it is skipped.
fn read_question(q: &Element, kind: &str) -> Result<Question, Refused> {
    let plain = |e: &Element| {
        text::tidy(
            &e.child("text")
                .map_or_else(|| e.own_text(), |t| t.own_text()),
        )
    };
    let name = [q.child("name"), q.child("idnumber")]
        .into_iter()
        .flatten()
        .map(plain)
        .find(|n| !n.is_empty());
    let format = q
        .child("questiontext")
        .and_then(|t| t.attr(&["format"]))
        .unwrap_or("html")
        .to_string();
    let (stem_html, stem) = field(q.child("questiontext"), &format);
    let refuse = |reason: String| (name.clone(), stem.clone(), reason);
    if kind != "multichoice" {
        return Err(refuse(type_reason(kind)));
    }
    if !single(q) {
        return Err(refuse(MULTIPLE.into()));
    }
    let mut choices = vec![];
    let mut html = stem_html;
    for a in q.children_named("answer") {
        let fraction = fraction(a);
        if fraction > 0.0 && fraction < 99.99 {
            return Err(refuse(PARTIAL.into()));
        }
        let (ahtml, text) = match a.child("text") {
            Some(_) => field(Some(a), &format),
            None => (a.own_text(), text::tidy(&a.own_text())),
        };
        let (fhtml, feedback) = field(a.child("feedback"), &format);
        choices.push(Choice {
            text,
            correct: fraction >= 99.99,
            feedback,
        });
        html.push_str(&ahtml);
        html.push_str(&fhtml);
    }
    let (gf_html, general_feedback) = field(q.child("generalfeedback"), &format);
    html.push_str(&gf_html);
    if has_old_image(q) {
        html.push_str("<img>");
    }
    let has_files = q.any(&|e| e.name == "file");
    if let Some(reason) = dom::media_reason(&html, has_files) {
        return Err(refuse(reason.into()));
    }
    let tags = q
        .child("tags")
        .map(|t| {
            t.children_named("tag")
                .map(|tag| {
                    tag.child("text")
                        .map_or_else(|| tag.own_text(), |x| x.own_text())
                })
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Question {
        line: 0,
        entry: None,
        name,
        category: None,
        stem,
        choices,
        general_feedback,
        tags,
    })
}

const MULTIPLE: &str = "Multiple answers question (several options can be chosen): Palpate asks for the single best answer.";
const PARTIAL: &str = "Multiple answers question (an option gives partial credit): Palpate asks for the single best answer.";

/// Moodle's `<single>`: absent, `true` or `1` mean one answer; `false`, `0` or empty mean several.
fn single(q: &Element) -> bool {
    match q.child("single") {
        None => true,
        Some(s) => !matches!(s.own_text().trim(), "false" | "0" | ""),
    }
}

/// An answer's `fraction` attribute in percent (0 when absent or unreadable).
fn fraction(a: &Element) -> f64 {
    a.attr(&["fraction"])
        .and_then(|f| f.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite())
        .unwrap_or(0.0)
}

/// Moodle 1.9's `<image>` / `<image_base64>` fields.
fn has_old_image(q: &Element) -> bool {
    ["image", "image_base64"]
        .iter()
        .any(|n| q.child(n).is_some_and(|i| !i.own_text().trim().is_empty()))
}

/// A text field (`<questiontext>`, `<answer>`, `<feedback>`, …): its HTML source (Moodle stores
/// HTML as text, in CDATA or escaped) and its plain text, read in the field's `format` (or the
/// question's). `moodle_auto_format` keeps its line breaks.
fn field(field: Option<&Element>, default_format: &str) -> (String, String) {
    let Some(t) = field.and_then(|f| f.child("text")) else {
        return (String::new(), String::new());
    };
    let format = field
        .and_then(|f| f.attr(&["format"]))
        .unwrap_or(default_format);
    let html = t.inner_html(true, &|_| None);
    match format {
        "plain_text" | "markdown" => {
            let plain = text::tidy(&html);
            (text::escape_xml(&html), plain)
        }
        "moodle_auto_format" => {
            let html = html.trim().replace('\n', "<br>");
            let plain = text::html_to_text(&html);
            (html, plain)
        }
        _ => {
            // In HTML a line break in the source is a space; breaks are written as <br> or <p>.
            let plain = text::html_to_text(&html.replace(['\n', '\t'], " "));
            (html, plain)
        }
    }
}

/// The reason a question of another Moodle type is not imported, in plain words.
fn type_reason(kind: &str) -> String {
    let r = match kind {
        "truefalse" => "True/false question: Palpate questions have four options.",
        "shortanswer" => "Short answer question: not a multiple-choice question.",
        "numerical" => "Numeric answer question: not a multiple-choice question.",
        "match" | "matching" => "Matching question: not a multiple-choice question.",
        "randomsamatch" => "Random short-answer matching question: not a multiple-choice question.",
        "essay" => "Essay question: not a multiple-choice question.",
        "cloze" | "multianswer" => {
            "Cloze (embedded answers) question: not a multiple-choice question."
        }
        "description" => "Description only, no question.",
        "ddwtos" => "Drag and drop into text question: not a multiple-choice question.",
        "gapselect" => "Select missing words question: not a multiple-choice question.",
        "ddimageortext" => "Drag and drop onto image question: not a multiple-choice question.",
        "ddmarker" => "Drag and drop markers question: not a multiple-choice question.",
        "ordering" => "Ordering question: not a multiple-choice question.",
        "calculated" | "calculatedsimple" => "Calculated question: not a multiple-choice question.",
        "calculatedmulti" => {
            "Calculated multichoice question (the options are formulas): not a plain multiple-choice question."
        }
        "multichoiceset" => {
            "Multiple answers question (all-or-nothing): Palpate asks for the single best answer."
        }
        "random" => {
            "Random question (drawn from a category when the quiz runs): it holds no question of its own."
        }
        "" => "Question without a type: not read.",
        other => return format!("Question of type \"{other}\": not a multiple-choice question."),
    };
    r.to_string()
}
