//! Reading one QTI item file (`<qti-assessment-item>`, or QTI 2.x `<assessmentItem>`).

use super::super::moodle_xml::dom::{self, Element};
use super::super::{Choice, FileError, Question, text};

/// What one item file holds: a multiple-choice question, or why it is not imported.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Question(Question),
    Skipped {
        line: usize,
        name: Option<String>,
        /// The stem (plain text), for the excerpt.
        stem: String,
        reason: String,
    },
}

/// An element name in one spelling: QTI 3 `qti-simple-choice` and QTI 2 `simpleChoice` both
/// give `simple-choice`.
pub fn norm(name: &str) -> String {
    let name = name.strip_prefix("qti-").unwrap_or(name);
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether an element is called `name` (in [`norm`] spelling).
fn is(e: &Element, name: &str) -> bool {
    norm(&e.name) == name
}

/// An attribute in QTI 3 (`response-identifier`) or QTI 2 (`responseIdentifier`) spelling.
fn attr<'a>(e: &'a Element, kebab: &str) -> Option<&'a str> {
    let mut camel = String::new();
    let mut up = false;
    for c in kebab.chars() {
        if c == '-' {
            up = true;
        } else if up {
            camel.push(c.to_ascii_uppercase());
            up = false;
        } else {
            camel.push(c);
        }
    }
    e.attr(&[kebab, &camel]).map(str::trim)
}

/// Reads an item file (decoded text). Unreadable XML, or a file that is not an item, is an
/// error (the package reader reports it as a skipped entry).
pub fn read_item(input: &str) -> Result<Item, FileError> {
    let doc = dom::read(input);
    let root = match (&doc.root, &doc.error) {
        (_, Some((offset, message))) => {
            return Err(FileError {
                line: text::line_at(input, *offset),
                message: format!("The item's XML is broken ({message})."),
            });
        }
        (Some(root), None) => root,
        (None, None) => {
            return Err(FileError {
                line: 1,
                message: "The file holds no XML element.".into(),
            });
        }
    };
    if !is(root, "assessment-item") {
        let message = if is(root, "manifest") {
            "This is the package's manifest alone: upload the whole QTI content package (.zip)."
                .to_string()
        } else {
            format!(
                "This is not a QTI item: its top element is <{}>, not <qti-assessment-item>.",
                root.name
            )
        };
        return Err(FileError {
            line: text::line_at(input, root.offset),
            message,
        });
    }
    let line = text::line_at(input, root.offset);
    Ok(match read_root(root) {
        Ok(mut q) => {
            q.line = line;
            Item::Question(q)
        }
        Err((name, stem, reason)) => Item::Skipped {
            line,
            name,
            stem,
            reason,
        },
    })
}

/// Name, stem and reason of an item that is not imported.
type Refused = (Option<String>, String, String);

const MULTIPLE: &str = "Multiple answers question (several options can be chosen): Palpate asks for the single best answer.";
const PARTIAL: &str = "Multiple answers question (an option gives partial credit): Palpate asks for the single best answer.";

/// The question in an item's root element, or why it is skipped.
fn read_root(root: &Element) -> Result<Question, Refused> {
    let name = ["title", "identifier"]
        .iter()
        .filter_map(|a| root.attr(&[a]))
        .map(text::tidy)
        .find(|n| !n.is_empty());
    let empty = Element::default();
    let body = root
        .elements()
        .find(|e| is(e, "item-body"))
        .unwrap_or(&empty);
    let interactions = body.find_all(&|e| is_interaction(e));
    let stem_html = body.inner_html(false, &|e| {
        if is_interaction(e) {
            Some(
                e.elements()
                    .find(|p| is(p, "prompt"))
                    .map(xhtml)
                    .unwrap_or_default(),
            )
        } else if is_feedback(e) || is(e, "rubric-block") || is(e, "template-block") {
            Some(String::new())
        } else {
            None
        }
    });
    let stem = text::html_to_text(&stem_html);
    let refuse = |reason: String| (name.clone(), stem.clone(), reason);
    let interaction = match interactions.as_slice() {
        [] => {
            return Err(refuse(
                "No question to answer in this item (it has no interaction).".into(),
            ));
        }
        [one] => *one,
        many => {
            return Err(refuse(format!(
                "Several questions in one item ({} interactions): a Palpate question has one.",
                many.len()
            )));
        }
    };
    let kind = norm(&interaction.name);
    if kind != "choice-interaction" {
        return Err(refuse(interaction_reason(&kind, &interaction.name)));
    }
    let decl = declaration(root, attr(interaction, "response-identifier").unwrap_or(""));
    let max_choices = attr(interaction, "max-choices").map_or(Some(1), |m| m.parse::<u64>().ok());
    let cardinality = decl
        .and_then(|d| attr(d, "cardinality"))
        .unwrap_or("single");
    if max_choices != Some(1) || matches!(cardinality, "multiple" | "ordered") {
        return Err(refuse(MULTIPLE.into()));
    }
    let correct = correct_ids(decl).map_err(|_| refuse(PARTIAL.into()))?;
    let feedback = Feedback::of(root, body);
    let mut html = stem_html;
    let mut choices = vec![];
    for c in interaction.find_all(&|e| is(e, "simple-choice")) {
        let id = attr(c, "identifier").unwrap_or("");
        let choice_html = c.inner_html(false, &|e| is_feedback(e).then(String::new));
        let mut feedback_html: Vec<String> = c
            .find_all(&|e| is(e, "feedback-inline"))
            .into_iter()
            .filter(|f| shown(f))
            .map(xhtml)
            .collect();
        feedback_html.extend(feedback.for_choice(id));
        html.push_str(&choice_html);
        html.push_str(&feedback_html.concat());
        choices.push(Choice {
            text: text::html_to_text(&choice_html),
            correct: correct.iter().any(|k| k == id),
            feedback: join_plain(&feedback_html),
        });
    }
    let general = feedback.general(&choices_ids(interaction));
    html.push_str(&general.concat());
    if let Some(reason) = dom::media_reason(&html, false) {
        return Err(refuse(reason.into()));
    }
    Ok(Question {
        line: 0,
        entry: None,
        name,
        category: None,
        stem,
        choices,
        general_feedback: join_plain(&general),
        tags: vec![],
    })
}

/// Interactions, except the "end attempt" button, which asks nothing.
fn is_interaction(e: &Element) -> bool {
    let n = norm(&e.name);
    n.ends_with("-interaction") && n != "end-attempt-interaction"
}

fn is_feedback(e: &Element) -> bool {
    matches!(
        norm(&e.name).as_str(),
        "feedback-inline" | "feedback-block" | "modal-feedback"
    )
}

/// Whether feedback shows when its identifier is the outcome's value (`show-hide="show"`,
/// the default), rather than when it is not.
fn shown(f: &Element) -> bool {
    attr(f, "show-hide") != Some("hide")
}

/// Content as XHTML (text escaped), for [`text::html_to_text`].
fn xhtml(e: &Element) -> String {
    e.inner_html(false, &|_| None)
}

/// Plain text of several HTML pieces, one paragraph each.
fn join_plain(pieces: &[String]) -> String {
    let parts: Vec<String> = pieces
        .iter()
        .map(|h| text::html_to_text(h))
        .filter(|t| !t.is_empty())
        .collect();
    parts.join("\n\n")
}

/// The response declaration an interaction answers (the first one when none matches).
fn declaration<'a>(root: &'a Element, response: &str) -> Option<&'a Element> {
    let decls: Vec<&Element> = root
        .elements()
        .filter(|e| is(e, "response-declaration"))
        .collect();
    decls
        .iter()
        .find(|d| attr(d, "identifier") == Some(response))
        .or(decls.first())
        .copied()
}

/// The identifiers of the correct choices: the correct response, or else the best-scored
/// entries of the mapping. `Err` when the mapping gives partial credit.
fn correct_ids(decl: Option<&Element>) -> Result<Vec<String>, ()> {
    let Some(decl) = decl else { return Ok(vec![]) };
    if let Some(correct) = decl.elements().find(|e| is(e, "correct-response")) {
        return Ok(correct
            .elements()
            .filter(|v| is(v, "value"))
            .map(|v| v.own_text().trim().to_string())
            .collect());
    }
    let entries: Vec<(String, f64)> = decl
        .find_all(&|e| is(e, "map-entry"))
        .into_iter()
        .filter_map(|m| {
            let value = attr(m, "mapped-value")?
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())?;
            Some((attr(m, "map-key")?.to_string(), value))
        })
        .collect();
    let best = entries.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    if entries.iter().any(|(_, v)| *v > 0.0 && *v < best) {
        return Err(());
    }
    Ok(entries
        .into_iter()
        .filter(|(_, v)| best > 0.0 && *v == best)
        .map(|(k, _)| k)
        .collect())
}

fn choices_ids(interaction: &Element) -> Vec<String> {
    interaction
        .find_all(&|e| is(e, "simple-choice"))
        .into_iter()
        .filter_map(|c| attr(c, "identifier").map(str::to_string))
        .collect()
}

/// Modal feedback and feedback blocks of an item: `(identifier, html)`.
struct Feedback(Vec<(String, String)>);

impl Feedback {
    fn of(root: &Element, body: &Element) -> Feedback {
        let mut all: Vec<&Element> = body.find_all(&|e| is(e, "feedback-block"));
        all.extend(root.elements().filter(|e| is(e, "modal-feedback")));
        Feedback(
            all.into_iter()
                .filter(|f| shown(f))
                .map(|f| {
                    let content = f.elements().find(|c| is(c, "content-body")).unwrap_or(f);
                    (
                        attr(f, "identifier").unwrap_or("").to_string(),
                        xhtml(content),
                    )
                })
                .collect(),
        )
    }

    /// The feedback shown for a choice (its identifier set as the feedback outcome).
    fn for_choice(&self, id: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(i, _)| i == id)
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Feedback tied to no choice, except "correct"/"incorrect" messages: the general feedback.
    fn general(&self, choice_ids: &[String]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(i, _)| !choice_ids.contains(i) && !i.to_ascii_lowercase().contains("correct"))
            .map(|(_, h)| h.clone())
            .collect()
    }
}

/// Why an item of another interaction type is not imported, in plain words.
fn interaction_reason(kind: &str, raw: &str) -> String {
    let r = match kind {
        "text-entry-interaction" => {
            "Fill-in-the-blank (text entry) question: not a multiple-choice question."
        }
        "extended-text-interaction" => {
            "Essay (extended text) question: not a multiple-choice question."
        }
        "match-interaction" => "Matching question: not a multiple-choice question.",
        "associate-interaction" => "Pairing (associate) question: not a multiple-choice question.",
        "order-interaction" | "graphic-order-interaction" => {
            "Ordering question: not a multiple-choice question."
        }
        "gap-match-interaction" | "graphic-gap-match-interaction" => {
            "Drag words into gaps (gap match) question: not a multiple-choice question."
        }
        "inline-choice-interaction" => {
            "Drop-down in a sentence (inline choice) question: not a multiple-choice question."
        }
        "hotspot-interaction"
        | "graphic-associate-interaction"
        | "select-point-interaction"
        | "position-object-interaction" => {
            "Click on an image (hotspot) question: Palpate questions are text only."
        }
        "hottext-interaction" => {
            "Select words in a passage (hot text) question: not a multiple-choice question."
        }
        "slider-interaction" => "Slider question: not a multiple-choice question.",
        "upload-interaction" => "File upload question: not a multiple-choice question.",
        "drawing-interaction" => "Drawing question: not a multiple-choice question.",
        "media-interaction" => "Sound or video question: Palpate questions are text only.",
        "custom-interaction" | "portable-custom-interaction" => {
            "Custom interaction (made for one delivery system): not a multiple-choice question."
        }
        _ => return format!("Question with a <{raw}>: not a multiple-choice question."),
    };
    r.to_string()
}
