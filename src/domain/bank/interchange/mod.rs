//! Question interchange: the formats instructors bring their banks in (GIFT, Aiken, Moodle XML,
//! QTI 3.0, CSV) read into one neutral [`Question`], and Palpate items written back out.
//!
//! Every parser returns the questions it could read and, item by item, what it did not import and
//! why ([`Skipped`]), with the 1-based line where the question starts. Only single-best-answer
//! multiple choice maps to Palpate; other question types are reported, never dropped silently.
//! Parsers never panic on any input (fuzzed in `tests`).
//!
//! Mapping (the same in every format that can carry the field):
//! - option feedback ⇄ the option's rationale; general feedback ⇄ the item's reference note;
//! - question name ⇄ the item id; category ⇄ the sub-area (a suggestion the importer confirms);
//! - tags ⇄ `level:…`, `difficulty:…`, `pillar:…`, `topic:…`, `enemy:…`, `author:…`.

pub mod aiken;
pub mod csv;
pub mod gift;
pub mod moodle_xml;
pub mod qti;
pub mod suggest;
pub mod text;

use super::{Difficulty, Item, ItemContent, KEYS, Level, Pillar};
use serde::{Deserialize, Serialize};

/// The formats Palpate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Gift,
    Aiken,
    MoodleXml,
    Qti3,
    Csv,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Gift,
        Format::Aiken,
        Format::MoodleXml,
        Format::Qti3,
        Format::Csv,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Gift => "gift",
            Format::Aiken => "aiken",
            Format::MoodleXml => "moodle_xml",
            Format::Qti3 => "qti3",
            Format::Csv => "csv",
        }
    }
    /// Accepts the API/CLI names and a few common spellings ("xml", "moodlexml", "qti").
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "gift" => Some(Format::Gift),
            "aiken" => Some(Format::Aiken),
            "moodle_xml" | "moodlexml" | "xml" | "moodle" => Some(Format::MoodleXml),
            "qti3" | "qti" | "qti_3" | "qti30" => Some(Format::Qti3),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Format::Gift => "GIFT (Moodle)",
            Format::Aiken => "Aiken (Moodle)",
            Format::MoodleXml => "Moodle XML",
            Format::Qti3 => "QTI 3.0 content package (ZIP)",
            Format::Csv => "CSV spreadsheet",
        }
    }
    /// The file name an export of this format is offered under.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Gift => "palpate-questions.gift.txt",
            Format::Aiken => "palpate-questions.aiken.txt",
            Format::MoodleXml => "palpate-questions.moodle.xml",
            Format::Qti3 => "palpate-questions.qti3.zip",
            Format::Csv => "palpate-questions.csv",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Gift | Format::Aiken => "text/plain; charset=utf-8",
            Format::MoodleXml => "application/xml",
            Format::Qti3 => "application/zip",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// One answer option as a file states it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
    pub correct: bool,
    /// Feedback shown for this option (becomes its rationale).
    pub feedback: String,
}

/// A multiple-choice question read from a file, before it becomes a Palpate item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// 1-based line (or, for ZIP packages, the entry's first line) where the question starts.
    pub line: usize,
    /// The file inside a package, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The question's name or identifier in the file (Palpate writes its item id here).
    pub name: Option<String>,
    /// The category (GIFT `$CATEGORY:`, Moodle category, CSV column), as written.
    pub category: Option<String>,
    pub stem: String,
    pub choices: Vec<Choice>,
    /// General feedback (becomes the reference note).
    pub general_feedback: String,
    /// `level:recall`, `topic:rotator cuff`, …; formats without tags leave this empty.
    pub tags: Vec<String>,
}

/// A question the file holds that Palpate does not import, and why (a plain sentence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    pub name: Option<String>,
    /// The start of the question's text, for the instructor to recognise it.
    pub excerpt: String,
    pub reason: String,
}

/// What a parser read from one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    pub questions: Vec<Question>,
    pub skipped: Vec<Skipped>,
}

impl Parsed {
    pub(crate) fn skip(
        &mut self,
        line: usize,
        name: Option<String>,
        text: &str,
        reason: impl Into<String>,
    ) {
        self.skipped.push(Skipped {
            line,
            entry: None,
            name,
            excerpt: text::excerpt(text),
            reason: reason.into(),
        });
    }
}

/// Why a whole file could not be read (not a ZIP, not XML at all, …).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FileError {
    pub line: usize,
    pub message: String,
}

/// Reads a file of the given format. `bytes` may start with a UTF-8 BOM and use CRLF line ends.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Parsed, FileError> {
    match format {
        Format::Qti3 => qti::parse_package(bytes),
        Format::Gift => Ok(gift::parse(&text::decode(bytes)?)),
        Format::Aiken => Ok(aiken::parse(&text::decode(bytes)?)),
        Format::MoodleXml => moodle_xml::parse(&text::decode(bytes)?),
        Format::Csv => csv::parse(&text::decode(bytes)?),
    }
}

/// Writes questions in the given format (for QTI, the bytes of a ZIP content package).
pub fn write(format: Format, questions: &[Question]) -> Vec<u8> {
    match format {
        Format::Gift => gift::write(questions).into_bytes(),
        Format::Aiken => aiken::write(questions).into_bytes(),
        Format::MoodleXml => moodle_xml::write(questions).into_bytes(),
        Format::Qti3 => qti::write_package(questions),
        Format::Csv => csv::write(questions).into_bytes(),
    }
}

/// A Palpate item as a neutral question: name = id, category = sub-area code, rationales as option
/// feedback, reference as general feedback, the remaining fields as tags.
pub fn from_item(item: &Item) -> Question {
    let c = &item.content;
    let mut tags = vec![
        format!("level:{}", c.level.as_str()),
        format!("difficulty:{}", c.difficulty.as_str()),
    ];
    tags.extend(c.pillars.iter().map(|p| format!("pillar:{}", p.as_str())));
    tags.extend(c.topics.iter().map(|t| format!("topic:{t}")));
    tags.extend(c.enemies.iter().map(|e| format!("enemy:{e}")));
    if !c.author.is_empty() {
        tags.push(format!("author:{}", c.author));
    }
    Question {
        line: 0,
        entry: None,
        name: Some(item.id.clone()),
        category: Some(c.subarea.clone()),
        stem: unwrap_lines(&c.stem),
        choices: c
            .options
            .iter()
            .zip(&c.rationales)
            .enumerate()
            .map(|(i, (o, r))| Choice {
                text: unwrap_lines(o),
                correct: i == c.key,
                feedback: unwrap_lines(r),
            })
            .collect(),
        general_feedback: unwrap_lines(&c.reference),
        tags,
    }
}

/// Text as another platform should show it: the line breaks that only wrap the bank's source
/// files become spaces; a blank line (a new paragraph) stays.
pub fn unwrap_lines(s: &str) -> String {
    s.split("\n\n")
        .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// What an imported question still needs before it can go to review (plain sentences).
pub type Todo = Vec<String>;

/// Turns a question into item content under `subarea`, or says why it cannot be a Palpate item.
/// Missing rationales, reference or topics do not refuse the question: they are listed as work
/// left (the draft cannot be submitted for review until they are written).
pub fn to_content(
    q: &Question,
    subarea: &str,
    author: &str,
) -> Result<(ItemContent, Todo), String> {
    if let Some(reason) = refusal(q) {
        return Err(reason);
    }
    let key = q.choices.iter().position(|c| c.correct).unwrap_or(0);
    let mut todo = Todo::new();
    let tag = |prefix: &str| -> Vec<String> {
        q.tags
            .iter()
            .filter_map(|t| t.strip_prefix(prefix).map(|v| v.trim().to_string()))
            .filter(|v| !v.is_empty())
            .collect()
    };
    let level = tag("level:").first().and_then(|l| Level::parse(l));
    let difficulty = tag("difficulty:")
        .first()
        .and_then(|d| Difficulty::parse(d));
    if level.is_none() {
        todo.push("Check the cognitive level (set to recall).".into());
    }
    if difficulty.is_none() {
        todo.push("Check the difficulty (set to medium).".into());
    }
    let mut topics = tag("topic:");
    topics.dedup();
    if topics.is_empty() {
        todo.push("Add at least one topic tag.".into());
    }
    let options: [String; 4] = std::array::from_fn(|i| q.choices[i].text.trim().to_string());
    let rationales: [String; 4] = std::array::from_fn(|i| q.choices[i].feedback.trim().to_string());
    let missing: Vec<String> = rationales
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_empty())
        .map(|(i, _)| KEYS[i].to_string())
        .collect();
    if !missing.is_empty() {
        todo.push(format!(
            "Write the rationale for option {}.",
            missing.join(", ")
        ));
    }
    if q.general_feedback.trim().is_empty() {
        todo.push("Name the concept or standard the item rests on (reference).".into());
    }
    Ok((
        ItemContent {
            subarea: subarea.to_string(),
            level: level.unwrap_or(Level::Recall),
            difficulty: difficulty.unwrap_or(Difficulty::Medium),
            pillars: tag("pillar:")
                .iter()
                .filter_map(|p| Pillar::parse(p))
                .collect(),
            topics,
            stem: q.stem.trim().to_string(),
            options,
            key,
            rationales,
            reference: q.general_feedback.trim().to_string(),
            author: tag("author:")
                .into_iter()
                .next()
                .unwrap_or_else(|| author.to_string()),
            enemies: tag("enemy:"),
        },
        todo,
    ))
}

/// Why a parsed multiple-choice question cannot become a Palpate item, if it cannot.
pub fn refusal(q: &Question) -> Option<String> {
    let correct = q.choices.iter().filter(|c| c.correct).count();
    if q.stem.trim().is_empty() {
        Some("The question has no text.".into())
    } else if q.stem.chars().count() > 1500 {
        Some("The question is longer than 1,500 characters.".into())
    } else if q.choices.len() != 4 {
        Some(format!(
            "Palpate questions have exactly four options; this one has {}.",
            q.choices.len()
        ))
    } else if correct == 0 {
        Some("No option is marked correct.".into())
    } else if correct > 1 {
        Some(
            "More than one option is marked correct; Palpate asks for the single best answer."
                .into(),
        )
    } else if q.choices.iter().any(|c| c.text.trim().is_empty()) {
        Some("An option has no text.".into())
    } else if q.choices.iter().any(|c| c.text.chars().count() > 400) {
        Some("An option is longer than 400 characters.".into())
    } else {
        None
    }
}

/// Cases per fuzz test: `PALPATE_FUZZ_CASES` (256 by default; the figures in the README come from
/// `PALPATE_FUZZ_CASES=1000000 cargo test --release --lib interchange:: -- fuzz`).
#[cfg(test)]
pub(crate) fn fuzz_cases() -> u32 {
    std::env::var("PALPATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

#[cfg(test)]
mod tests;
