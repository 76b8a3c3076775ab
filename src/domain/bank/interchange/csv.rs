//! CSV: one row per question, with a header row. The columns (order free, names case-insensitive;
//! only `stem`, `option_a` … `option_d` and `key` are required):
//!
//! | column | meaning |
//! |---|---|
//! | `id` | the item id (Palpate writes it; on import it is shown, a new id is given) |
//! | `subarea` | sub-area code such as `2.D` (a suggestion the importer confirms) |
//! | `level` | recall, application or analysis |
//! | `difficulty` | easy, medium or hard |
//! | `pillars` | pillars separated by `;` (anatomy; physiology; kinesiology; pathology; techniques) |
//! | `topics` | topic tags separated by `;` |
//! | `stem` | the question |
//! | `option_a` … `option_d` | the four options |
//! | `key` | the letter of the correct option, A to D |
//! | `rationale_a` … `rationale_d` | why each option is right or wrong |
//! | `reference` | the concept or standard the item rests on |
//! | `author` | who wrote it |
//! | `enemies` | ids of items that must not appear on the same exam, separated by `;` |
//!
//! Spreadsheet names are accepted too: `question` for `stem`, `answer` or `correct` for `key`,
//! `a` … `d` for the options, `category` for `subarea`.

use super::{Choice, FileError, Parsed, Question, text};
use std::collections::HashMap;

pub const COLUMNS: [&str; 18] = [
    "id",
    "subarea",
    "level",
    "difficulty",
    "pillars",
    "topics",
    "stem",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "key",
    "rationale_a",
    "rationale_b",
    "rationale_c",
    "rationale_d",
    "reference",
    "author",
];

/// The last column (kept out of `COLUMNS` so the array above reads as the table).
const ENEMIES: &str = "enemies";

fn canonical(header: &str) -> String {
    let h = header.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    match h.as_str() {
        "question" | "question_text" => "stem".into(),
        "answer" | "correct" | "correct_answer" => "key".into(),
        "a" | "b" | "c" | "d" => format!("option_{h}"),
        "category" | "sub_area" => "subarea".into(),
        _ => h,
    }
}

/// Parses a CSV file (comma-separated, RFC 4180 quoting; multi-line cells allowed).
pub fn parse(input: &str) -> Result<Parsed, FileError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(input.as_bytes());
    let headers = reader.headers().map_err(|e| FileError {
        line: 1,
        message: format!("The header row could not be read: {}", plain(&e)),
    })?;
    let cols: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (canonical(h), i))
        .collect();
    let missing: Vec<&str> = [
        "stem", "option_a", "option_b", "option_c", "option_d", "key",
    ]
    .into_iter()
    .filter(|c| !cols.contains_key(*c))
    .collect();
    if !missing.is_empty() {
        return Err(FileError {
            line: 1,
            message: format!(
                "The header row lacks the column(s) {}. The first row must name the columns (see the list of CSV columns).",
                missing.join(", ")
            ),
        });
    }
    let mut out = Parsed::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                out.skip(
                    line,
                    None,
                    "",
                    format!("This row could not be read: {}", plain(&e)),
                );
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let get = |name: &str| {
            cols.get(name)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        row(&mut out, line, &get);
    }
    Ok(out)
}

fn row(out: &mut Parsed, line: usize, get: &dyn Fn(&str) -> String) {
    let name = Some(get("id")).filter(|s| !s.is_empty());
    let stem = get("stem");
    let key = get("key").to_ascii_uppercase();
    let Some(k) = ["A", "B", "C", "D"].iter().position(|l| *l == key) else {
        out.skip(
            line,
            name,
            &stem,
            format!(
                "The key column must be a letter from A to D (found \"{}\").",
                text::excerpt(&key)
            ),
        );
        return;
    };
    let choices = ["a", "b", "c", "d"]
        .iter()
        .enumerate()
        .map(|(i, l)| Choice {
            text: get(&format!("option_{l}")),
            correct: i == k,
            feedback: get(&format!("rationale_{l}")),
        })
        .collect();
    let mut tags = vec![];
    for (col, prefix) in [
        ("level", "level"),
        ("difficulty", "difficulty"),
        ("author", "author"),
    ] {
        let v = get(col);
        if !v.is_empty() {
            tags.push(format!("{prefix}:{v}"));
        }
    }
    for (col, prefix) in [
        ("pillars", "pillar"),
        ("topics", "topic"),
        (ENEMIES, "enemy"),
    ] {
        for v in get(col).split(';').map(str::trim).filter(|v| !v.is_empty()) {
            tags.push(format!("{prefix}:{v}"));
        }
    }
    out.questions.push(Question {
        line,
        entry: None,
        name,
        category: Some(get("subarea")).filter(|s| !s.is_empty()),
        stem,
        choices,
        general_feedback: get("reference"),
        tags,
    });
}

/// The csv crate's message without its internal position notation.
fn plain(e: &::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text.".into(),
        ::csv::ErrorKind::UnequalLengths { .. } => {
            "it has a different number of cells from the header.".into()
        }
        _ => "the quoting is broken (a cell opens a quote it does not close).".into(),
    }
}

/// Writes questions as CSV with every column of the table above, in that order.
pub fn write(questions: &[Question]) -> String {
    let mut w = ::csv::WriterBuilder::new().from_writer(vec![]);
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.push(ENEMIES);
    let _ = w.write_record(&header);
    for q in questions {
        let tag = |prefix: &str, sep: &str| {
            q.tags
                .iter()
                .filter_map(|t| t.strip_prefix(prefix))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let choice = |i: usize| q.choices.get(i).cloned().unwrap_or_default();
        let key = q
            .choices
            .iter()
            .position(|c| c.correct)
            .and_then(|i| ["A", "B", "C", "D"].get(i))
            .unwrap_or(&"");
        let rec: Vec<String> = vec![
            q.name.clone().unwrap_or_default(),
            q.category.clone().unwrap_or_default(),
            tag("level:", "; "),
            tag("difficulty:", "; "),
            tag("pillar:", "; "),
            tag("topic:", "; "),
            q.stem.clone(),
            choice(0).text,
            choice(1).text,
            choice(2).text,
            choice(3).text,
            key.to_string(),
            choice(0).feedback,
            choice(1).feedback,
            choice(2).feedback,
            choice(3).feedback,
            q.general_feedback.clone(),
            tag("author:", "; "),
            tag("enemy:", "; "),
        ];
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spreadsheet_headers_multiline_cells_and_bad_keys() {
        let f = "Question,A,B,C,D,Answer,Category\n\
                 \"Which muscle\nabducts the arm?\",Deltoid,Biceps,Pectoralis major,Latissimus dorsi,a,1.B\n\
                 Which bone?,Ulna,Radius,Tibia,Femur,E,\n\
                 ,,,,,,\n";
        let p = parse(f).unwrap();
        assert_eq!(p.questions.len(), 1);
        let q = &p.questions[0];
        assert_eq!(
            (q.line, q.stem.as_str()),
            (2, "Which muscle\nabducts the arm?")
        );
        assert!(q.choices[0].correct && !q.choices[1].correct);
        assert_eq!(q.category.as_deref(), Some("1.B"));
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].line, 4);
        assert!(
            p.skipped[0].reason.contains("found \"E\""),
            "{:?}",
            p.skipped
        );
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused_on_line_1() {
        let e = parse("name,text\nx,y\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("stem, option_a"), "{}", e.message);
    }

    fn cases() -> u32 {
        crate::domain::bank::interchange::fuzz_cases()
    }

    const SAMPLE: &str = "stem,option_a,option_b,option_c,option_d,key,topics\n\
                          \"Q, \"\"quoted\"\"\",a,b,c,d,B,x;y\n";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]
        #[test]
        fn fuzz_never_panics(s in "\\PC{0,400}") {
            let _ = parse(&s);
        }

        #[test]
        fn fuzz_mutated_sample_never_panics(edits in proptest::collection::vec((0usize..200, any::<char>(), any::<bool>()), 0..8)) {
            let mut chars: Vec<char> = SAMPLE.chars().collect();
            for (pos, c, insert) in edits {
                let p = pos % (chars.len() + 1);
                if insert || p == chars.len() { chars.insert(p, c) } else { chars.remove(p); }
            }
            let s: String = chars.into_iter().collect();
            let _ = parse(&s);
        }
    }
}
