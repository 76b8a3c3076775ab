//! Checking an item drafted in the web editor (its fields as typed) before it becomes content.

use super::*;

/// An item as typed into the editor (strings as entered).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
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

pub(super) fn split_list(s: &str) -> Vec<String> {
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
