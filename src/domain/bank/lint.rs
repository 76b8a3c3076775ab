//! The item-writing linter: machine checks for the cueing flaws that let a test-wise candidate find
//! the key without the content (absolute or hedging words in only one option, a stem word echoed
//! only by the key, a key much longer or shorter than every distractor, duplicate options), and
//! bank-level rates (key longest, key shortest, key position) against what chance gives.
//!
//! An item may carry a reviewed exception in its file: `[item.lint_ok]` with `rule = "reason"`.

use super::format::{SourceFile, parse_item_file};
use super::taxonomy::Taxonomy;
use super::{Item, ItemContent, KEYS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The rules, with their severity and what they mean (shown by `--json` and in the README).
pub const RULES: [(&str, Severity, &str); 7] = [
    (
        "absolute-word",
        Severity::Error,
        "the key is the only option with, or the only one without, an absolute word (always, never, only, all, none, every, must, guaranteed, completely, entirely)",
    ),
    (
        "hedge-word",
        Severity::Error,
        "the key is the only option with, or the only one without, a hedge (may, might, can, usually, often, generally, typically, sometimes, likely, probably)",
    ),
    (
        "duplicate-options",
        Severity::Error,
        "two options are identical after normalising case, punctuation, articles and spacing",
    ),
    (
        "key-length",
        Severity::Error,
        "the key is at least 1.75 times as long as every distractor, or at most half as long as every distractor (and 12 characters or more apart)",
    ),
    (
        "stem-word-in-key",
        Severity::Warning,
        "a content word of the stem is repeated in the key and in no distractor",
    ),
    (
        "near-duplicate-options",
        Severity::Warning,
        "two options share at least 80 % of their words",
    ),
    (
        "key-length-soft",
        Severity::Warning,
        "the key is at least 1.4 times as long as every distractor (and 12 characters or more apart)",
    ),
];

const ABSOLUTE: [&str; 12] = [
    "always",
    "never",
    "only",
    "all",
    "none",
    "every",
    "must",
    "guaranteed",
    "guarantees",
    "completely",
    "entirely",
    "invariably",
];
const HEDGE: [&str; 11] = [
    "may",
    "might",
    "can",
    "usually",
    "often",
    "generally",
    "typically",
    "sometimes",
    "likely",
    "probably",
    "possibly",
];
const STOP: [&str; 59] = [
    "the",
    "and",
    "with",
    "that",
    "this",
    "what",
    "which",
    "when",
    "where",
    "while",
    "from",
    "into",
    "than",
    "then",
    "they",
    "them",
    "their",
    "there",
    "these",
    "those",
    "have",
    "has",
    "had",
    "been",
    "being",
    "were",
    "will",
    "would",
    "should",
    "could",
    "does",
    "done",
    "most",
    "more",
    "best",
    "about",
    "after",
    "before",
    "over",
    "under",
    "your",
    "client",
    "clients",
    "therapist",
    "therapists",
    "massage",
    "session",
    "sessions",
    "first",
    "next",
    "each",
    "some",
    "such",
    "other",
    "also",
    "just",
    "very",
    "for",
    "are",
];

/// One finding: where, which item, which rule, what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub item: Option<String>,
    pub rule: String,
    pub severity: Severity,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(id) = &self.item {
            write!(f, "{id}: ")?;
        }
        write!(f, "{sev}: {}: {}", self.rule, self.message)
    }
}

/// A bank-level rate against what chance gives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub count: usize,
    pub n: usize,
    pub rate: f64,
    pub chance: f64,
    /// (rate − chance) / standard error under chance.
    pub z: f64,
}

impl Rate {
    fn new(count: usize, n: usize, chance: f64) -> Rate {
        let rate = if n > 0 { count as f64 / n as f64 } else { 0.0 };
        let se = (chance * (1.0 - chance) / n.max(1) as f64).sqrt();
        Rate {
            count,
            n,
            rate,
            chance,
            z: if se > 0.0 { (rate - chance) / se } else { 0.0 },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BankFigures {
    pub items: usize,
    /// Items whose key is the strictly longest option.
    pub key_longest: Rate,
    /// Items whose key is the strictly shortest option.
    pub key_shortest: Rate,
    /// Share of keys at A, B, C, D.
    pub key_position: BTreeMap<String, Rate>,
    /// Share of keys, and of distractors, with an absolute word.
    pub absolute_in_keys: f64,
    pub absolute_in_distractors: f64,
    pub hedge_in_keys: f64,
    pub hedge_in_distractors: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// Findings an item's reviewed `lint_ok` accepts, with the reason.
    pub accepted: usize,
    pub bank: BankFigures,
}

fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn has_any(s: &str, list: &[&str]) -> Option<String> {
    tokens(s).into_iter().find(|w| list.contains(&w.as_str()))
}

/// A crude stem: lower case without a plural or verb ending, enough to match "twitch"/"twitches".
fn stem_of(w: &str) -> String {
    for suffix in ["ing", "es", "ed", "s"] {
        if let Some(base) = w.strip_suffix(suffix)
            && base.len() >= 4
        {
            return base.to_string();
        }
    }
    w.to_string()
}

fn normalised(s: &str) -> String {
    tokens(s)
        .into_iter()
        .filter(|w| !["a", "an", "the"].contains(&w.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn chars(s: &str) -> usize {
    s.trim().chars().count()
}

/// The item-level findings for one item (rule name, message), before exceptions.
pub fn check_item(item: &Item) -> Vec<(&'static str, String)> {
    let c = &item.content;
    let mut out = word_cues(c);
    out.extend(duplicate_options(c));
    out.extend(key_length(c));
    out.extend(stem_word_in_key(c));
    out
}

/// Absolute words or hedges in only the key, or in every distractor but not the key.
fn word_cues(c: &ItemContent) -> Vec<(&'static str, String)> {
    let key = c.key;
    let mut out = vec![];
    for (rule, list, what) in [
        ("absolute-word", &ABSOLUTE[..], "an absolute word"),
        ("hedge-word", &HEDGE[..], "a hedge"),
    ] {
        let with: Vec<usize> = (0..4)
            .filter(|&i| has_any(&c.options[i], list).is_some())
            .collect();
        if with == [key] {
            let w = has_any(&c.options[key], list).unwrap_or_default();
            out.push((
                rule,
                format!("only the key ({}) has {what} (\"{w}\")", KEYS[key]),
            ));
        } else if with.len() == 3 && !with.contains(&key) {
            out.push((
                rule,
                format!(
                    "every distractor has {what} and the key ({}) has none",
                    KEYS[key]
                ),
            ));
        }
    }
    out
}

/// Pairs of options that say the same, or nearly (the same words in another order are allowed).
fn duplicate_options(c: &ItemContent) -> Vec<(&'static str, String)> {
    let mut out = vec![];
    for (i, key_a) in KEYS.iter().enumerate().take(4) {
        for (j, key_b) in KEYS.iter().enumerate().take(4).skip(i + 1) {
            let (a, b) = (normalised(&c.options[i]), normalised(&c.options[j]));
            if a == b {
                out.push((
                    "duplicate-options",
                    format!("options {key_a} and {key_b} say the same"),
                ));
                continue;
            }
            let (ta, tb): (Vec<String>, Vec<String>) = (tokens(&a), tokens(&b));
            let (mut sa, mut sb) = (ta.clone(), tb.clone());
            sa.sort();
            sb.sort();
            if sa == sb {
                // The same words in another order: a deliberate sequence question (layers, steps).
                continue;
            }
            let common = ta.iter().filter(|w| tb.contains(w)).count();
            let union = ta.len() + tb.len() - common;
            if union > 0 && common as f64 / union as f64 >= 0.8 {
                out.push((
                    "near-duplicate-options",
                    format!("options {key_a} and {key_b} share {common} of {union} words"),
                ));
            }
        }
    }
    out
}

/// A key visibly much longer or much shorter than every distractor.
fn key_length(c: &ItemContent) -> Option<(&'static str, String)> {
    let key = c.key;
    let k = chars(&c.options[key]) as f64;
    let others: Vec<f64> = (0..4)
        .filter(|&i| i != key)
        .map(|i| chars(&c.options[i]) as f64)
        .collect();
    let longest = others.iter().cloned().fold(0.0, f64::max);
    let shortest = others.iter().cloned().fold(f64::INFINITY, f64::min);
    // Short options (single terms) differ a lot in ratio but not to the eye: a flaw needs both.
    let visible = |a: f64, b: f64| (a - b).abs() >= 12.0;
    let (rule, which, other) = if k >= 1.75 * longest && visible(k, longest) {
        ("key-length", "longest", longest)
    } else if k >= 1.4 * longest && visible(k, longest) {
        ("key-length-soft", "longest", longest)
    } else if k * 2.0 <= shortest && visible(k, shortest) {
        ("key-length", "shortest", shortest)
    } else {
        return None;
    };
    Some((
        rule,
        format!(
            "the key ({}) has {k} characters, the {which} distractor {other}",
            KEYS[key]
        ),
    ))
}

/// A content word of the stem repeated in the key and in no distractor.
fn stem_word_in_key(c: &ItemContent) -> Option<(&'static str, String)> {
    let key = c.key;
    let stem_words: Vec<String> = tokens(&c.stem)
        .into_iter()
        .filter(|w| {
            w.len() >= 4 && !STOP.contains(&w.as_str()) && !w.chars().all(|c| c.is_ascii_digit())
        })
        .map(|w| stem_of(&w))
        .collect();
    let in_option =
        |i: usize| -> Vec<String> { tokens(&c.options[i]).iter().map(|w| stem_of(w)).collect() };
    let key_words = in_option(key);
    let distractor_words: Vec<String> = (0..4).filter(|&i| i != key).flat_map(in_option).collect();
    let mut echoed: Vec<&String> = stem_words
        .iter()
        .filter(|w| key_words.contains(w) && !distractor_words.contains(w))
        .collect();
    echoed.dedup();
    let w = echoed.first()?;
    Some((
        "stem-word-in-key",
        format!(
            "\"{w}…\" from the stem is repeated in the key ({}) and in no distractor",
            KEYS[key]
        ),
    ))
}

fn severity(rule: &str) -> Severity {
    RULES
        .iter()
        .find(|(r, _, _)| *r == rule)
        .map(|(_, s, _)| *s)
        .unwrap_or(Severity::Error)
}

#[derive(Deserialize)]
struct ExceptionsFile {
    #[serde(default)]
    item: Vec<ExceptionsItem>,
}

#[derive(Deserialize)]
struct ExceptionsItem {
    id: Option<String>,
    #[serde(default)]
    lint_ok: BTreeMap<String, String>,
}

/// Lints the item files of a bank folder (paths relative to it, `items/…`). Files that do not
/// parse are reported as errors of the rule "invalid" (run `palpate bank validate` for detail).
pub fn lint_files(files: &[SourceFile], taxonomy: &Taxonomy) -> Report {
    let mut errors = vec![];
    let mut warnings = vec![];
    let mut accepted = 0;
    let mut all: Vec<Item> = vec![];
    for file in files.iter().filter(|f| f.path.starts_with("items/")) {
        let mut problems = vec![];
        let items = parse_item_file(file, taxonomy, &mut problems);
        for p in problems {
            errors.push(Finding {
                file: p.file,
                line: p.line,
                item: p.item,
                rule: "invalid".into(),
                severity: Severity::Error,
                message: format!("{}: {}", p.field, p.message),
            });
        }
        let exceptions: BTreeMap<String, BTreeMap<String, String>> =
            toml::from_str::<ExceptionsFile>(&file.text)
                .map(|f| {
                    f.item
                        .into_iter()
                        .filter_map(|i| Some((i.id?.trim().to_string(), i.lint_ok)))
                        .collect()
                })
                .unwrap_or_default();
        for (item, line) in items {
            let ok = exceptions.get(&item.id);
            if let Some(ok) = ok {
                for (rule, reason) in ok {
                    if !RULES.iter().any(|(r, _, _)| r == rule) || reason.trim().is_empty() {
                        errors.push(Finding {
                            file: file.path.clone(),
                            line,
                            item: Some(item.id.clone()),
                            rule: "lint-ok".into(),
                            severity: Severity::Error,
                            message: format!(
                                "lint_ok names {rule:?}: give a known rule and the reviewer's reason"
                            ),
                        });
                    }
                }
            }
            for (rule, message) in check_item(&item) {
                if ok.is_some_and(|ok| ok.get(rule).is_some_and(|r| !r.trim().is_empty())) {
                    accepted += 1;
                    continue;
                }
                let f = Finding {
                    file: file.path.clone(),
                    line,
                    item: Some(item.id.clone()),
                    rule: rule.into(),
                    severity: severity(rule),
                    message,
                };
                match f.severity {
                    Severity::Error => errors.push(f),
                    Severity::Warning => warnings.push(f),
                }
            }
            all.push(item);
        }
    }
    let bank = figures(&all);
    let file = "items/".to_string();
    let mut bank_warning = |what: &str, r: &Rate| {
        if r.z.abs() > 2.0 {
            warnings.push(Finding {
                file: file.clone(),
                line: 0,
                item: None,
                rule: "bank-rate".into(),
                severity: Severity::Warning,
                message: format!(
                    "{what}: {:.1} % of {} items against {:.1} % by chance ({:+.1} standard errors)",
                    r.rate * 100.0,
                    r.n,
                    r.chance * 100.0,
                    r.z
                ),
            });
        }
    };
    bank_warning("key is the longest option", &bank.key_longest);
    bank_warning("key is the shortest option", &bank.key_shortest);
    for (letter, r) in &bank.key_position {
        bank_warning(&format!("key at {letter}"), r);
    }
    Report {
        errors,
        warnings,
        accepted,
        bank,
    }
}

/// Lints a whole bank folder's files (`taxonomy.toml` and `items/*.toml`).
pub fn lint_bank(files: &[SourceFile]) -> Result<Report, String> {
    let taxonomy = files
        .iter()
        .find(|f| f.path == "taxonomy.toml")
        .ok_or("the bank folder has no taxonomy.toml")?;
    let taxonomy = Taxonomy::parse(&taxonomy.text)?;
    Ok(lint_files(files, &taxonomy))
}

/// Bank-level figures over the items.
pub fn figures(items: &[Item]) -> BankFigures {
    let n = items.len();
    let (mut longest, mut shortest, mut lens_distinct) = (0, 0, 0);
    let mut pos = [0usize; 4];
    let (mut abs_k, mut abs_d, mut hedge_k, mut hedge_d) = (0, 0, 0, 0);
    for item in items {
        let c = &item.content;
        let lens: Vec<usize> = c.options.iter().map(|o| chars(o)).collect();
        let k = lens[c.key];
        let others = (0..4).filter(|&i| i != c.key).map(|i| lens[i]);
        if others.clone().all(|l| k > l) {
            longest += 1;
        }
        if others.clone().all(|l| k < l) {
            shortest += 1;
        }
        let mut sorted = lens.clone();
        sorted.dedup();
        lens_distinct += usize::from(sorted.len() == 4);
        pos[c.key] += 1;
        for (i, o) in c.options.iter().enumerate() {
            let a = usize::from(has_any(o, &ABSOLUTE).is_some());
            let h = usize::from(has_any(o, &HEDGE).is_some());
            if i == c.key {
                abs_k += a;
                hedge_k += h;
            } else {
                abs_d += a;
                hedge_d += h;
            }
        }
    }
    let _ = lens_distinct;
    let share = |x: usize, d: usize| if d > 0 { x as f64 / d as f64 } else { 0.0 };
    BankFigures {
        items: n,
        key_longest: Rate::new(longest, n, 0.25),
        key_shortest: Rate::new(shortest, n, 0.25),
        key_position: KEYS
            .iter()
            .enumerate()
            .map(|(i, l)| (l.to_string(), Rate::new(pos[i], n, 0.25)))
            .collect(),
        absolute_in_keys: share(abs_k, n),
        absolute_in_distractors: share(abs_d, 3 * n),
        hedge_in_keys: share(hedge_k, n),
        hedge_in_distractors: share(hedge_d, 3 * n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bank::{Difficulty, ItemContent, Level, Status};

    fn item(stem: &str, options: [&str; 4], key: usize) -> Item {
        Item {
            id: "9X-001".into(),
            status: Status::Approved,
            content: ItemContent {
                subarea: "1.A".into(),
                level: Level::Application,
                difficulty: Difficulty::Medium,
                pillars: vec![],
                topics: vec!["t".into()],
                stem: stem.into(),
                options: options.map(String::from),
                key,
                rationales: ["r"; 4].map(String::from),
                reference: "r".into(),
                author: "a".into(),
                enemies: vec![],
            },
        }
    }

    fn rules(i: &Item) -> Vec<&'static str> {
        check_item(i).into_iter().map(|(r, _)| r).collect()
    }

    const CLEAN: [&str; 4] = [
        "Infraspinatus tendon",
        "Supraspinatus tendon",
        "Teres minor tendon",
        "Subscapularis tendon",
    ];
    const STEM: &str = "A client feels pain at the top of the shoulder when lifting the arm sideways between 60 and 120 degrees. Which structure is most likely irritated?";

    #[test]
    fn a_clean_item_passes() {
        assert!(
            rules(&item(STEM, CLEAN, 1)).is_empty(),
            "{:?}",
            check_item(&item(STEM, CLEAN, 1))
        );
    }

    #[test]
    fn only_the_key_hedged_or_only_the_key_without_an_absolute() {
        let hedged = item(
            STEM,
            [
                "Infraspinatus tendon",
                "Probably the supraspinatus",
                "Teres minor tendon",
                "Subscapularis tendon",
            ],
            1,
        );
        assert_eq!(rules(&hedged), ["hedge-word"]);
        let absolutes = item(
            "Which statement about ice on an acute sprain is right?",
            [
                "It always stops swelling",
                "It never helps after an hour",
                "It eases pain and limits swelling",
                "It must stay on for an hour",
            ],
            2,
        );
        assert_eq!(rules(&absolutes), ["absolute-word"]);
        let key_only_absolute = item(
            STEM,
            [
                "Infraspinatus tendon",
                "Always the supraspinatus",
                "Teres minor tendon",
                "Subscapularis tendon",
            ],
            1,
        );
        assert_eq!(rules(&key_only_absolute), ["absolute-word"]);
    }

    #[test]
    fn duplicate_and_near_duplicate_options() {
        let dup = item(
            STEM,
            [
                "The infraspinatus tendon",
                "Supraspinatus tendon",
                "infraspinatus  tendon.",
                "Subscapularis tendon",
            ],
            1,
        );
        assert!(rules(&dup).contains(&"duplicate-options"));
        let near = item(
            "Which action fits a client with a fresh ankle sprain?",
            [
                "Apply ice over a thin towel for fifteen minutes",
                "Apply ice over a thin towel for fifteen minutes twice",
                "Apply moist heat to the ankle",
                "Massage deeply around the ankle",
            ],
            0,
        );
        assert!(rules(&near).contains(&"near-duplicate-options"));
    }

    #[test]
    fn a_key_much_longer_or_shorter_than_every_distractor() {
        let long = item(
            STEM,
            [
                "Infraspinatus",
                "The supraspinatus tendon where it passes under the acromion",
                "Teres minor",
                "Subscapularis",
            ],
            1,
        );
        assert_eq!(rules(&long), ["key-length"]);
        let short = item(
            STEM,
            [
                "The infraspinatus tendon at its insertion",
                "Biceps",
                "The teres minor tendon behind the joint",
                "The subscapularis tendon at the front",
            ],
            1,
        );
        assert_eq!(rules(&short), ["key-length"]);
    }

    #[test]
    fn a_stem_word_echoed_only_by_the_key() {
        let clang = item(
            "Pressing a taut band makes a brief, visible twitch. What is this called?",
            [
                "A tender point",
                "A local twitch response",
                "A protective spasm",
                "A stretch reflex",
            ],
            1,
        );
        assert_eq!(rules(&clang), ["stem-word-in-key"]);
    }

    #[test]
    fn bank_rates_are_compared_with_chance() {
        let items: Vec<Item> = (0..40)
            .map(|_| {
                item(
                    STEM,
                    [
                        "Short",
                        "The longest option of all four here",
                        "Medium one",
                        "Medium two",
                    ],
                    1,
                )
            })
            .collect();
        let f = figures(&items);
        assert_eq!(f.key_longest.count, 40);
        assert!(f.key_longest.z > 2.0);
        assert!(f.key_position["B"].z > 2.0);
    }
}
