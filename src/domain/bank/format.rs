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
    check_item_id(&mut ctx, start, &r.id);
    let status = item_status(&mut ctx, &r.status);
    let level = required_choice(
        &mut ctx,
        start,
        "level",
        &r.level,
        "recall, application or analysis",
        Level::parse,
    );
    let difficulty = required_choice(
        &mut ctx,
        start,
        "difficulty",
        &r.difficulty,
        "easy, medium or hard",
        Difficulty::parse,
    );
    let pillars = pillars(&mut ctx, &r.pillars);
    let topics = topics(&mut ctx, start, &r.topics);
    let stem = required_text(&mut ctx, start, "stem", &r.stem, 1500);
    if let (Some(stem), Some(s)) = (&stem, &r.stem)
        && let Some(p) = stem_problem(stem)
    {
        ctx.add(s.span().start, "stem", p);
    }
    let options = options(&mut ctx, start, &r.options);
    let rationales = four(&mut ctx, start, "rationales", &r.rationales, 1500);
    let key = required_choice(&mut ctx, start, "key", &r.key, "A, B, C or D", |k| {
        KEYS.iter().position(|c| c.to_string() == k)
    });
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

/// Checks that the item has an id of 4-24 letters, digits, '-' or '_', starting with a letter or digit.
fn check_item_id(ctx: &mut Ctx, item_start: usize, v: &Option<Spanned<String>>) {
    match v {
        None => ctx.add(item_start, "id", "missing"),
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
}

/// Parses the optional status (approved when absent).
fn item_status(ctx: &mut Ctx, v: &Option<Spanned<String>>) -> Option<Status> {
    match v {
        None => Some(Status::Approved),
        Some(s) => Status::parse(s.get_ref().trim()).or_else(|| {
            ctx.add(
                s.span().start,
                "status",
                "must be draft, in_review, returned, approved or retired",
            );
            None
        }),
    }
}

/// Parses a required one-of field (level, difficulty, key); `choices` is said when it is missing or wrong.
fn required_choice<T>(
    ctx: &mut Ctx,
    item_start: usize,
    field: &str,
    v: &Option<Spanned<String>>,
    choices: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    match v {
        None => {
            ctx.add(item_start, field, format!("missing: {choices}"));
            None
        }
        Some(s) => parse(s.get_ref().trim()).or_else(|| {
            ctx.add(
                s.span().start,
                field,
                format!("{:?} is not {choices}", s.get_ref()),
            );
            None
        }),
    }
}

/// Parses the optional pillars, each known and listed once.
fn pillars(ctx: &mut Ctx, v: &Option<Spanned<Vec<String>>>) -> Vec<Pillar> {
    let mut pillars = vec![];
    if let Some(p) = v {
        for name in p.get_ref() {
            match Pillar::parse(name.trim()) {
                Some(x) if !pillars.contains(&x) => pillars.push(x),
                Some(_) => ctx.add(p.span().start, "pillars", format!("{name:?} listed twice")),
                None => ctx.add(p.span().start, "pillars", format!("{name:?} is not one of anatomy, physiology, kinesiology, pathology, techniques")),
            }
        }
    }
    pillars
}

/// Parses the required topic tags: at least one, 1 to 60 characters each, duplicates dropped.
fn topics(ctx: &mut Ctx, item_start: usize, v: &Option<Spanned<Vec<String>>>) -> Vec<String> {
    let mut topics = vec![];
    match v {
        None => ctx.add(item_start, "topics", "missing: give at least one topic tag"),
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
    topics
}

/// Parses the four options and checks each against the writing rules and the others.
fn options(
    ctx: &mut Ctx,
    item_start: usize,
    v: &Option<Spanned<BTreeMap<String, Spanned<String>>>>,
) -> Option<[String; 4]> {
    let options = four(ctx, item_start, "options", v, 400);
    if let (Some(opts), Some(map)) = (&options, v) {
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
    options
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

mod draft;
pub use draft::*;

#[cfg(test)]
mod tests;
