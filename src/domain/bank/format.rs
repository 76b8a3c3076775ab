//! The bank file format (TOML, one file per sub-area; see question_bank/README.md): parsing with
//! file:line problems, validation against the writing rules, and export back to the same format.

use super::taxonomy::{Blueprint, Taxonomy, parse_blueprints};
use super::{Difficulty, Item, ItemContent, KEYS, Level, Pillar, Status};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use toml::Spanned;

/// One problem found in a bank: where, which item, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub item: Option<String>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(id) = &self.item {
            write!(f, "{id}: ")?;
        }
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A bank file's path (relative to the bank folder, with `/`) and its text.
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// A parsed, valid bank.
#[derive(Debug, Clone)]
pub struct Bank {
    pub taxonomy: Taxonomy,
    pub blueprints: Vec<Blueprint>,
    pub items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    subarea: Option<Spanned<String>>,
    #[serde(default)]
    item: Vec<Spanned<RawItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Option<Spanned<String>>,
    status: Option<Spanned<String>>,
    level: Option<Spanned<String>>,
    difficulty: Option<Spanned<String>>,
    pillars: Option<Spanned<Vec<String>>>,
    topics: Option<Spanned<Vec<String>>>,
    stem: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    reference: Option<Spanned<String>>,
    author: Option<Spanned<String>>,
    enemies: Option<Spanned<Vec<String>>>,
    options: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    rationales: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// Reviewed exceptions to the linter (`rule = "reason"`), read by `lint`.
    #[serde(rename = "lint_ok")]
    _lint_ok: Option<BTreeMap<String, String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

const BANNED_OPTIONS: [&str; 6] = [
    "all of the above",
    "none of the above",
    "both a and b",
    "all of these",
    "none of these",
    "a and b",
];

/// Words that make a lead-in negative. Checked in the stem's final question, and in capitals anywhere.
const NEGATIVE_WORDS: [&str; 4] = ["not", "except", "least", "never"];

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
}

/// The writing rule a stem breaks, if any.
pub fn stem_problem(stem: &str) -> Option<String> {
    if let Some(w) = words(stem).find(|w| {
        NEGATIVE_WORDS.iter().any(|n| n.eq_ignore_ascii_case(w))
            && w.chars().all(|c| c.is_uppercase())
    }) {
        return Some(format!(
            "negatively worded stem ({w}): ask for the best answer instead"
        ));
    }
    let trimmed = stem.trim_end();
    let last_question = trimmed
        .trim_end_matches(['?', '.', ':'])
        .rsplit(['.', '?', '!', '\n'])
        .next()
        .unwrap_or(trimmed);
    if let Some(w) =
        words(last_question).find(|w| NEGATIVE_WORDS.iter().any(|n| n.eq_ignore_ascii_case(w)))
    {
        return Some(format!(
            "negatively worded lead-in ({w:?}): ask for the best answer instead"
        ));
    }
    None
}

pub fn option_problem(text: &str) -> Option<String> {
    let lower = text.trim().trim_end_matches('.').to_lowercase();
    BANNED_OPTIONS
        .iter()
        .find(|b| lower == **b || lower.starts_with(&format!("{b} ")))
        .map(|b| format!("\"{b}\" options are not allowed: write four independent options"))
}

struct Ctx<'a> {
    path: &'a str,
    text: &'a str,
    item: Option<String>,
    problems: &'a mut Vec<Problem>,
}

impl Ctx<'_> {
    fn add(&mut self, offset: usize, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.path.to_string(),
            line: line_of(self.text, offset),
            item: self.item.clone(),
            field: field.to_string(),
            message: message.into(),
        });
    }
}

fn required_text(
    ctx: &mut Ctx,
    item_start: usize,
    field: &str,
    v: &Option<Spanned<String>>,
    max: usize,
) -> Option<String> {
    match v {
        None => {
            ctx.add(item_start, field, "missing");
            None
        }
        Some(s) => {
            let t = s.get_ref().trim();
            if t.is_empty() {
                ctx.add(s.span().start, field, "must not be empty");
                None
            } else if t.chars().count() > max {
                ctx.add(
                    s.span().start,
                    field,
                    format!("too long ({} characters; at most {max})", t.chars().count()),
                );
                None
            } else {
                Some(t.to_string())
            }
        }
    }
}

fn four(
    ctx: &mut Ctx,
    item_start: usize,
    field: &str,
    v: &Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    max: usize,
) -> Option<[String; 4]> {
    let Some(map) = v else {
        ctx.add(item_start, field, "missing: give A, B, C and D");
        return None;
    };
    let mut out: [String; 4] = Default::default();
    let mut ok = true;
    for k in map.get_ref().keys() {
        if !KEYS.iter().any(|c| c.to_string() == *k) {
            ctx.add(
                map.span().start,
                &format!("{field}.{k}"),
                "unknown letter: only A, B, C and D",
            );
            ok = false;
        }
    }
    for (i, letter) in KEYS.iter().enumerate() {
        let name = format!("{field}.{letter}");
        match map.get_ref().get(&letter.to_string()) {
            None => {
                ctx.add(map.span().start, &name, "missing");
                ok = false;
            }
            Some(s) => match required_text(ctx, s.span().start, &name, &Some(s.clone()), max) {
                Some(t) => out[i] = t,
                None => ok = false,
            },
        }
    }
    ok.then_some(out)
}

/// Parses and checks one item table. Problems are appended; `None` when the item is unusable.
fn parse_item(
    path: &str,
    text: &str,
    subarea: &str,
    raw: &Spanned<RawItem>,
    problems: &mut Vec<Problem>,
) -> Option<Item> {
    let start = raw.span().start;
    let r = raw.get_ref();
    let id = r.id.as_ref().map(|s| s.get_ref().trim().to_string());
    let mut ctx = Ctx {
        path,
        text,
        item: id.clone(),
        problems,
    };
    let before = ctx.problems.len();
    match &r.id {
        None => ctx.add(start, "id", "missing"),
        Some(s) => {
            let v = s.get_ref().trim();
            let valid = v.len() >= 4
                && v.len() <= 24
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
            if !valid {
                ctx.add(
                    s.span().start,
                    "id",
                    "use 4-24 letters, digits, '-' or '_', e.g. 2D-001",
                );
            }
        }
    }
    let status = match &r.status {
        None => Some(Status::Approved),
        Some(s) => Status::parse(s.get_ref().trim()).or_else(|| {
            ctx.add(
                s.span().start,
                "status",
                "must be draft, in_review, returned, approved or retired",
            );
            None
        }),
    };
    let level = match &r.level {
        None => {
            ctx.add(start, "level", "missing: recall, application or analysis");
            None
        }
        Some(s) => Level::parse(s.get_ref().trim()).or_else(|| {
            ctx.add(
                s.span().start,
                "level",
                format!("{:?} is not recall, application or analysis", s.get_ref()),
            );
            None
        }),
    };
    let difficulty = match &r.difficulty {
        None => {
            ctx.add(start, "difficulty", "missing: easy, medium or hard");
            None
        }
        Some(s) => Difficulty::parse(s.get_ref().trim()).or_else(|| {
            ctx.add(
                s.span().start,
                "difficulty",
                format!("{:?} is not easy, medium or hard", s.get_ref()),
            );
            None
        }),
    };
    let mut pillars = vec![];
    if let Some(p) = &r.pillars {
        for name in p.get_ref() {
            match Pillar::parse(name.trim()) {
                Some(x) if !pillars.contains(&x) => pillars.push(x),
                Some(_) => ctx.add(p.span().start, "pillars", format!("{name:?} listed twice")),
                None => ctx.add(p.span().start, "pillars", format!("{name:?} is not one of anatomy, physiology, kinesiology, pathology, techniques")),
            }
        }
    }
    let mut topics = vec![];
    match &r.topics {
        None => ctx.add(start, "topics", "missing: give at least one topic tag"),
        Some(t) => {
            for tag in t.get_ref() {
                let tag = tag.trim();
                if tag.is_empty() || tag.chars().count() > 60 {
                    ctx.add(
                        t.span().start,
                        "topics",
                        "a topic tag must have 1 to 60 characters",
                    );
                } else if !topics.iter().any(|x| x == tag) {
                    topics.push(tag.to_string());
                }
            }
            if t.get_ref().is_empty() {
                ctx.add(t.span().start, "topics", "give at least one topic tag");
            }
        }
    }
    let stem = required_text(&mut ctx, start, "stem", &r.stem, 1500);
    if let (Some(stem), Some(s)) = (&stem, &r.stem) {
        if let Some(p) = stem_problem(stem) {
            ctx.add(s.span().start, "stem", p);
        }
    }
    let options = four(&mut ctx, start, "options", &r.options, 400);
    if let (Some(opts), Some(map)) = (&options, &r.options) {
        for (i, o) in opts.iter().enumerate() {
            if let Some(p) = option_problem(o) {
                ctx.add(map.span().start, &format!("options.{}", KEYS[i]), p);
            }
            for (j, other) in opts.iter().enumerate().skip(i + 1) {
                if o.eq_ignore_ascii_case(other) {
                    ctx.add(
                        map.span().start,
                        &format!("options.{}", KEYS[j]),
                        format!("same text as option {}", KEYS[i]),
                    );
                }
            }
        }
    }
    let rationales = four(&mut ctx, start, "rationales", &r.rationales, 1500);
    let key = match &r.key {
        None => {
            ctx.add(start, "key", "missing: A, B, C or D");
            None
        }
        Some(k) => KEYS
            .iter()
            .position(|c| c.to_string() == k.get_ref().trim())
            .or_else(|| {
                ctx.add(
                    k.span().start,
                    "key",
                    format!("{:?} is not A, B, C or D", k.get_ref()),
                );
                None
            }),
    };
    let reference = required_text(&mut ctx, start, "reference", &r.reference, 400);
    let author = required_text(&mut ctx, start, "author", &r.author, 100);
    let enemies: Vec<String> = r
        .enemies
        .as_ref()
        .map(|e| e.get_ref().iter().map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    if ctx.problems.len() > before {
        return None;
    }
    Some(Item {
        id: id?,
        status: status?,
        content: ItemContent {
            subarea: subarea.to_string(),
            level: level?,
            difficulty: difficulty?,
            pillars,
            topics,
            stem: stem?,
            options: options?,
            key: key?,
            rationales: rationales?,
            reference: reference?,
            author: author?,
            enemies,
        },
    })
}

/// Parses one item file. Returns its items (only the valid ones) and appends problems.
pub fn parse_item_file(
    file: &SourceFile,
    taxonomy: &Taxonomy,
    problems: &mut Vec<Problem>,
) -> Vec<(Item, usize)> {
    let raw: RawFile = match toml::from_str(&file.text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(&file.text, s.start)).unwrap_or(1);
            let msg = e.message().to_string();
            problems.push(Problem {
                file: file.path.clone(),
                line,
                item: None,
                field: "toml".into(),
                message: msg,
            });
            return vec![];
        }
    };
    let Some(sub) = raw.subarea else {
        problems.push(Problem {
            file: file.path.clone(),
            line: 1,
            item: None,
            field: "subarea".into(),
            message: "missing: every item file starts with subarea = \"<code>\"".into(),
        });
        return vec![];
    };
    let code = sub.get_ref().trim().to_string();
    if taxonomy.subarea(&code).is_none() {
        problems.push(Problem {
            file: file.path.clone(),
            line: line_of(&file.text, sub.span().start),
            item: None,
            field: "subarea".into(),
            message: format!("{code:?} is not a sub-area in taxonomy.toml"),
        });
        return vec![];
    }
    raw.item
        .iter()
        .filter_map(|it| {
            let line = line_of(&file.text, it.span().start);
            parse_item(&file.path, &file.text, &code, it, problems).map(|i| (i, line))
        })
        .collect()
}

/// Parses and validates a whole bank: `taxonomy.toml`, `blueprints.toml` and `items/*.toml`.
/// Either every item is valid, or every problem is reported.
pub fn parse_bank(files: &[SourceFile]) -> Result<Bank, Vec<Problem>> {
    let mut problems = vec![];
    let find = |name: &str| files.iter().find(|f| f.path == name);
    let problem = |file: &str, field: &str, message: String| Problem {
        file: file.into(),
        line: 1,
        item: None,
        field: field.into(),
        message,
    };
    let taxonomy = match find("taxonomy.toml").map(|f| Taxonomy::parse(&f.text)) {
        Some(Ok(t)) => t,
        Some(Err(e)) => return Err(vec![problem("taxonomy.toml", "taxonomy", e)]),
        None => {
            return Err(vec![problem(
                "taxonomy.toml",
                "taxonomy",
                "missing: the bank needs its taxonomy.toml".into(),
            )]);
        }
    };
    let blueprints = match find("blueprints.toml").map(|f| parse_blueprints(&f.text, &taxonomy)) {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            problems.push(problem("blueprints.toml", "blueprint", e));
            vec![]
        }
        None => vec![],
    };
    let mut items = vec![];
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    let mut item_files: Vec<&SourceFile> = files
        .iter()
        .filter(|f| f.path.starts_with("items/") && f.path.ends_with(".toml"))
        .collect();
    item_files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in item_files {
        for (item, line) in parse_item_file(f, &taxonomy, &mut problems) {
            if let Some((pf, pl)) = seen.get(&item.id) {
                problems.push(Problem {
                    file: f.path.clone(),
                    line,
                    item: Some(item.id.clone()),
                    field: "id".into(),
                    message: format!("duplicate id (first used at {pf}:{pl})"),
                });
                continue;
            }
            seen.insert(item.id.clone(), (f.path.clone(), line));
            items.push((item, f.path.clone(), line));
        }
    }
    for (item, file, line) in &items {
        for e in &item.content.enemies {
            if e == &item.id {
                problems.push(Problem {
                    file: file.clone(),
                    line: *line,
                    item: Some(item.id.clone()),
                    field: "enemies".into(),
                    message: "an item cannot be its own enemy".into(),
                });
            } else if !seen.contains_key(e) {
                problems.push(Problem {
                    file: file.clone(),
                    line: *line,
                    item: Some(item.id.clone()),
                    field: "enemies".into(),
                    message: format!("unknown item id {e:?}"),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(Bank {
            taxonomy,
            blueprints,
            items: items.into_iter().map(|(i, _, _)| i).collect(),
        })
    } else {
        problems.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
        Err(problems)
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn multiline(s: &str) -> String {
    let mut out = String::from("\"\"\"\n");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push('\n'),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push_str("\"\"\"");
    out
}

fn list(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
    )
}

/// Writes the items of one sub-area in the bank file format.
pub fn export_file(subarea: &str, items: &[&Item]) -> String {
    let mut out = format!("subarea = {}\n", quote(subarea));
    for it in items {
        let c = &it.content;
        out.push_str("\n[[item]]\n");
        out.push_str(&format!("id = {}\n", quote(&it.id)));
        if it.status != Status::Approved {
            out.push_str(&format!("status = {}\n", quote(it.status.as_str())));
        }
        out.push_str(&format!("level = {}\n", quote(c.level.as_str())));
        out.push_str(&format!("difficulty = {}\n", quote(c.difficulty.as_str())));
        let pillars: Vec<String> = c.pillars.iter().map(|p| p.as_str().to_string()).collect();
        out.push_str(&format!("pillars = {}\n", list(&pillars)));
        out.push_str(&format!("topics = {}\n", list(&c.topics)));
        out.push_str(&format!("stem = {}\n", multiline(&c.stem)));
        out.push_str(&format!("key = {}\n", quote(&c.key_letter().to_string())));
        out.push_str(&format!("reference = {}\n", quote(&c.reference)));
        out.push_str(&format!("author = {}\n", quote(&c.author)));
        out.push_str(&format!("enemies = {}\n", list(&c.enemies)));
        out.push_str("\n[item.options]\n");
        for (i, o) in c.options.iter().enumerate() {
            out.push_str(&format!("{} = {}\n", KEYS[i], quote(o)));
        }
        out.push_str("\n[item.rationales]\n");
        for (i, r) in c.rationales.iter().enumerate() {
            out.push_str(&format!("{} = {}\n", KEYS[i], quote(r)));
        }
    }
    out
}

/// File name for a sub-area's items: `items/<code>-<slug of its name>.toml`.
pub fn file_name(taxonomy: &Taxonomy, subarea: &str) -> String {
    let name = taxonomy
        .subarea(subarea)
        .map(|(_, s)| s.name.as_str())
        .unwrap_or("items");
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    format!("items/{subarea}-{}.toml", slug.trim_matches('-'))
}

/// The whole bank as files (taxonomy and blueprints are written by the caller as they are).
pub fn export_items(taxonomy: &Taxonomy, items: &[Item]) -> Vec<(String, String)> {
    let mut by_sub: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for it in items {
        by_sub
            .entry(it.content.subarea.as_str())
            .or_default()
            .push(it);
    }
    by_sub
        .into_iter()
        .map(|(sub, mut its)| {
            its.sort_by(|a, b| a.id.cmp(&b.id));
            (file_name(taxonomy, sub), export_file(sub, &its))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAX: &str = include_str!("../../../question_bank/taxonomy.toml");

    fn bank_with(items_toml: &str) -> Result<Bank, Vec<Problem>> {
        parse_bank(&[
            SourceFile {
                path: "taxonomy.toml".into(),
                text: TAX.into(),
            },
            SourceFile {
                path: "items/2.D-x.toml".into(),
                text: items_toml.into(),
            },
        ])
    }

    const GOOD: &str = r#"subarea = "2.D"

[[item]]
id = "2D-001"
level = "application"
difficulty = "medium"
pillars = ["anatomy", "kinesiology"]
topics = ["rotator cuff"]
stem = """
A client has pain lifting the arm sideways between 60 and 120 degrees. Which tendon is most likely irritated?"""
key = "B"
reference = "Painful arc"
author = "palpate"

[item.options]
A = "Infraspinatus"
B = "Supraspinatus"
C = "Teres minor"
D = "Subscapularis"

[item.rationales]
A = "Lateral rotator."
B = "Pinched under the acromion in mid-range abduction."
C = "Lateral rotator below infraspinatus."
D = "Medial rotator on the front of the scapula."
"#;

    #[test]
    fn a_good_item_parses() {
        let bank = bank_with(GOOD).unwrap();
        assert_eq!(bank.items.len(), 1);
        let it = &bank.items[0];
        assert_eq!(it.content.key_letter(), 'B');
        assert_eq!(it.content.area(), "2");
        assert!(it.content.stem.starts_with("A client"));
        assert_eq!(it.status, Status::Approved);
    }

    #[test]
    fn problems_name_file_line_item_and_field() {
        let bad = GOOD
            .replace("key = \"B\"", "key = \"E\"")
            .replace("D = \"Subscapularis\"", "D = \"All of the above\"");
        let problems = bank_with(&bad).unwrap_err();
        let key = problems.iter().find(|p| p.field == "key").unwrap();
        assert_eq!(key.file, "items/2.D-x.toml");
        assert_eq!(key.line, 11);
        assert_eq!(key.item.as_deref(), Some("2D-001"));
        assert!(
            problems
                .iter()
                .any(|p| p.field == "options.D" && p.message.contains("all of the above"))
        );
        assert_eq!(
            key.to_string(),
            "items/2.D-x.toml:11: 2D-001: key: \"E\" is not A, B, C or D"
        );
    }

    #[test]
    fn negative_stems_are_refused() {
        assert!(stem_problem("Which muscle is NOT a rotator cuff muscle?").is_some());
        assert!(stem_problem("All of the following are signs of DVT except which?").is_some());
        assert!(stem_problem("Which is the least appropriate response?").is_some());
        assert!(
            stem_problem(
                "A client who has not eaten feels dizzy. What should the therapist do first?"
            )
            .is_none()
        );
    }

    #[test]
    fn missing_rationale_and_duplicate_ids_are_reported() {
        let two = format!("{GOOD}\n{}", &GOOD[GOOD.find("[[item]]").unwrap()..])
            .replace("D = \"Medial rotator on the front of the scapula.\"\n", "");
        let problems = bank_with(&two).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.field == "rationales.D" && p.message == "missing")
        );
        let toml_err = bank_with("subarea = \"2.D\"\n[[item]]\nid = \"x\" oops").unwrap_err();
        assert_eq!(toml_err[0].field, "toml");
        assert_eq!(toml_err[0].line, 3);
        let dup = format!("{GOOD}\n{}", &GOOD[GOOD.find("[[item]]").unwrap()..]);
        let problems = bank_with(&dup).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.field == "id" && p.message.starts_with("duplicate id")),
            "{problems:?}"
        );
    }

    #[test]
    fn export_then_parse_is_lossless() {
        let mut bank = bank_with(GOOD).unwrap();
        bank.items[0].content.stem =
            "Line one with \"quotes\" and a back\\slash.\nLine two: which is best?".into();
        bank.items[0].status = Status::Retired;
        let files = export_items(&bank.taxonomy, &bank.items);
        assert_eq!(files.len(), 1);
        assert_eq!(
            files[0].0,
            "items/2.D-locations-attachments-and-actions-of-muscles.toml"
        );
        let again = parse_bank(&[
            SourceFile {
                path: "taxonomy.toml".into(),
                text: TAX.into(),
            },
            SourceFile {
                path: files[0].0.clone(),
                text: files[0].1.clone(),
            },
        ])
        .unwrap();
        assert_eq!(again.items, bank.items);
    }
}

/// An item as typed into the editor (strings as entered).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct DraftInput {
    #[serde(default)]
    pub subarea: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub difficulty: String,
    /// Comma-separated topic tags.
    #[serde(default)]
    pub topics: String,
    #[serde(default)]
    pub pillars: Vec<String>,
    #[serde(default)]
    pub stem: String,
    #[serde(default)]
    pub option_a: String,
    #[serde(default)]
    pub option_b: String,
    #[serde(default)]
    pub option_c: String,
    #[serde(default)]
    pub option_d: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub rationale_a: String,
    #[serde(default)]
    pub rationale_b: String,
    #[serde(default)]
    pub rationale_c: String,
    #[serde(default)]
    pub rationale_d: String,
    #[serde(default)]
    pub reference: String,
    /// Comma-separated item ids.
    #[serde(default)]
    pub enemies: String,
}

impl DraftInput {
    pub fn from_content(c: &ItemContent) -> DraftInput {
        DraftInput {
            subarea: c.subarea.clone(),
            level: c.level.as_str().into(),
            difficulty: c.difficulty.as_str().into(),
            topics: c.topics.join(", "),
            pillars: c.pillars.iter().map(|p| p.as_str().to_string()).collect(),
            stem: c.stem.clone(),
            option_a: c.options[0].clone(),
            option_b: c.options[1].clone(),
            option_c: c.options[2].clone(),
            option_d: c.options[3].clone(),
            key: c.key_letter().to_string(),
            rationale_a: c.rationales[0].clone(),
            rationale_b: c.rationales[1].clone(),
            rationale_c: c.rationales[2].clone(),
            rationale_d: c.rationales[3].clone(),
            reference: c.reference.clone(),
            enemies: c.enemies.join(", "),
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.iter().any(|x| x == p) {
            out.push(p.to_string());
        }
    }
    out
}

/// Checks an editor draft with the same rules as bank files; messages are keyed by form field.
pub fn check_draft(
    d: &DraftInput,
    taxonomy: &Taxonomy,
    author: &str,
) -> Result<ItemContent, BTreeMap<String, String>> {
    let mut e: BTreeMap<String, String> = BTreeMap::new();
    let mut err = |f: &str, m: String| {
        e.entry(f.to_string()).or_insert(m);
    };
    if taxonomy.subarea(d.subarea.trim()).is_none() {
        err("subarea", "Choose the sub-area this item tests.".into());
    }
    let level = Level::parse(d.level.trim());
    if level.is_none() {
        err("level", "Choose recall, application or analysis.".into());
    }
    let difficulty = Difficulty::parse(d.difficulty.trim());
    if difficulty.is_none() {
        err("difficulty", "Choose easy, medium or hard.".into());
    }
    let mut pillars = vec![];
    for p in &d.pillars {
        match Pillar::parse(p) {
            Some(x) if !pillars.contains(&x) => pillars.push(x),
            Some(_) => {}
            None => err("pillars", format!("{p:?} is not a pillar.")),
        }
    }
    let topics = split_list(&d.topics);
    if topics.is_empty() {
        err(
            "topics",
            "Give at least one topic tag, e.g. rotator cuff.".into(),
        );
    } else if topics.iter().any(|t| t.chars().count() > 60) {
        err(
            "topics",
            "A topic tag must have at most 60 characters.".into(),
        );
    }
    let stem = d.stem.trim().to_string();
    if stem.is_empty() {
        err("stem", "Write the question.".into());
    } else if stem.chars().count() > 1500 {
        err("stem", "Keep the stem under 1,500 characters.".into());
    } else if let Some(p) = stem_problem(&stem) {
        err("stem", format!("{}{}", p[..1].to_uppercase(), &p[1..]));
    }
    let opts = [&d.option_a, &d.option_b, &d.option_c, &d.option_d].map(|s| s.trim().to_string());
    let rats = [
        &d.rationale_a,
        &d.rationale_b,
        &d.rationale_c,
        &d.rationale_d,
    ]
    .map(|s| s.trim().to_string());
    for (i, o) in opts.iter().enumerate() {
        let f = format!("option_{}", KEYS[i].to_ascii_lowercase());
        if o.is_empty() {
            err(&f, format!("Write option {}.", KEYS[i]));
        } else if o.chars().count() > 400 {
            err(&f, "Keep options under 400 characters.".into());
        } else if let Some(p) = option_problem(o) {
            err(&f, p);
        } else if opts[..i].iter().any(|x| x.eq_ignore_ascii_case(o)) {
            err(&f, "Two options have the same text.".into());
        }
    }
    for (i, r) in rats.iter().enumerate() {
        let f = format!("rationale_{}", KEYS[i].to_ascii_lowercase());
        if r.is_empty() {
            err(
                &f,
                format!(
                    "Explain why option {} is {}.",
                    KEYS[i],
                    if d.key.trim() == KEYS[i].to_string() {
                        "right"
                    } else {
                        "wrong"
                    }
                ),
            );
        } else if r.chars().count() > 1500 {
            err(&f, "Keep rationales under 1,500 characters.".into());
        }
    }
    let key = KEYS.iter().position(|c| c.to_string() == d.key.trim());
    if key.is_none() {
        err("key", "Mark the correct option.".into());
    }
    let reference = d.reference.trim().to_string();
    if reference.is_empty() {
        err(
            "reference",
            "Name the concept or standard the item rests on.".into(),
        );
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok(ItemContent {
        subarea: d.subarea.trim().to_string(),
        level: level.unwrap_or(Level::Recall),
        difficulty: difficulty.unwrap_or(Difficulty::Medium),
        pillars,
        topics,
        stem,
        options: opts,
        key: key.unwrap_or(0),
        rationales: rats,
        reference,
        author: author.to_string(),
        enemies: split_list(&d.enemies),
    })
}
