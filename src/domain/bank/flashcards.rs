//! Flashcards for what boards test by recall (`question_bank/flashcards/*.toml`): muscles (origin,
//! insertion, action, innervation), bony landmarks and key terms, each shown both ways. Parsed and
//! checked here; `palpate bank validate` reports every problem with its file and line.

use super::format::{Problem, SourceFile};
use super::taxonomy::Taxonomy;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Regions a muscle or landmark is filed under.
pub const REGIONS: [&str; 9] = [
    "head-neck",
    "trunk-back",
    "trunk-front",
    "shoulder",
    "arm",
    "forearm-hand",
    "hip",
    "thigh",
    "leg-foot",
];

/// Longest description, definition, origin, insertion, action or innervation.
pub const MAX_TEXT: usize = 220;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Muscle {
    pub id: String,
    pub name: String,
    pub region: String,
    pub subarea: String,
    pub origin: String,
    pub insertion: String,
    pub action: String,
    pub innervation: String,
    pub reference: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Landmark {
    pub id: String,
    pub name: String,
    pub bone: String,
    pub region: String,
    pub subarea: String,
    pub description: String,
    #[serde(default)]
    pub attachments: String,
    pub palpation: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub id: String,
    pub term: String,
    pub subarea: String,
    pub definition: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeckFile {
    kind: String,
    #[serde(default)]
    muscle: Vec<Muscle>,
    #[serde(default)]
    landmark: Vec<Landmark>,
    #[serde(default)]
    term: Vec<Term>,
}

/// Every card of the bank.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Deck {
    pub muscles: Vec<Muscle>,
    pub landmarks: Vec<Landmark>,
    pub terms: Vec<Term>,
}

impl Deck {
    pub fn len(&self) -> usize {
        self.muscles.len() + self.landmarks.len() + self.terms.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The decks a student studies: muscles, bony landmarks, key terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeckKind {
    Muscles,
    Landmarks,
    Terms,
}

impl DeckKind {
    pub const ALL: [DeckKind; 3] = [DeckKind::Muscles, DeckKind::Landmarks, DeckKind::Terms];
    pub fn code(self) -> &'static str {
        match self {
            DeckKind::Muscles => "muscles",
            DeckKind::Landmarks => "landmarks",
            DeckKind::Terms => "terms",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DeckKind::Muscles => "Muscles",
            DeckKind::Landmarks => "Bony landmarks",
            DeckKind::Terms => "Key terms",
        }
    }
    pub fn parse(code: &str) -> Option<DeckKind> {
        DeckKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One side of a card as studied: a card is shown both ways (name → facts, facts → name), and
/// each way is remembered on its own.
#[derive(Debug, Clone, Serialize)]
pub struct Face {
    /// `<card id>~f` (name first) or `<card id>~r` (facts first).
    pub id: String,
    pub question: String,
    /// What the prompt shows.
    pub prompt: Vec<(String, String)>,
    /// What the answer shows.
    pub answer: Vec<(String, String)>,
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

impl Deck {
    /// Every face of one deck, in file order, both ways for each card.
    pub fn faces(&self, kind: DeckKind) -> Vec<Face> {
        let mut out = vec![];
        let mut both =
            |id: &str, name: (String, String), facts: Vec<(String, String)>, q: [&str; 2]| {
                out.push(Face {
                    id: format!("{id}~f"),
                    question: q[0].into(),
                    prompt: vec![name.clone()],
                    answer: facts.clone(),
                });
                out.push(Face {
                    id: format!("{id}~r"),
                    question: q[1].into(),
                    prompt: facts,
                    answer: vec![name],
                });
            };
        match kind {
            DeckKind::Muscles => {
                for m in &self.muscles {
                    both(
                        &m.id,
                        pair("Muscle", &m.name),
                        vec![
                            pair("Action", &m.action),
                            pair("Origin", &m.origin),
                            pair("Insertion", &m.insertion),
                            pair("Innervation", &m.innervation),
                        ],
                        [
                            "What does this muscle do, where does it attach, and what innervates it?",
                            "Which muscle is this?",
                        ],
                    );
                }
            }
            DeckKind::Landmarks => {
                for l in &self.landmarks {
                    both(
                        &l.id,
                        pair("Landmark", &l.name),
                        vec![
                            pair("Bone", &l.bone),
                            pair("Description", &l.description),
                            pair("How to palpate it", &l.palpation),
                        ],
                        [
                            "Where is this landmark, and how do you find it?",
                            "Which landmark is this?",
                        ],
                    );
                }
            }
            DeckKind::Terms => {
                for t in &self.terms {
                    both(
                        &t.id,
                        pair("Term", &t.term),
                        vec![pair("Definition", &t.definition)],
                        ["What does this term mean?", "Which term is this?"],
                    );
                }
            }
        }
        out
    }
}

/// The line where `id = "<id>"` stands (1 if not found).
fn line_of(text: &str, id: &str) -> usize {
    let needle = format!("\"{id}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with("id") && l.contains(&needle))
        .map_or(1, |i| i + 1)
}

/// Collects the problems of one card.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    taxonomy: &'a Taxonomy,
    problems: &'a mut Vec<Problem>,
    ids: &'a mut HashMap<String, String>,
}

impl Checker<'_> {
    fn add(&mut self, id: &str, field: &str, message: String) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: line_of(self.text, id),
            item: Some(id.to_string()),
            field: field.to_string(),
            message,
        });
    }

    /// Checks what every card has: a unique, well-formed id and a known sub-area.
    fn common(&mut self, id: &str, subarea: &str) {
        let well_formed = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !well_formed {
            self.add(
                id,
                "id",
                "use lower-case letters, digits and hyphens".into(),
            );
        }
        if let Some(other) = self.ids.insert(id.to_string(), self.file.to_string()) {
            self.add(id, "id", format!("duplicate: also in {other}"));
        }
        if self.taxonomy.subarea(subarea).is_none() {
            self.add(
                id,
                "subarea",
                format!("{subarea:?} is not a sub-area of the taxonomy"),
            );
        }
    }

    /// A required text field: present and at most `max` characters.
    fn text(&mut self, id: &str, field: &str, value: &str, max: usize) {
        let n = value.trim().chars().count();
        if n == 0 {
            self.add(id, field, "required".into());
        } else if n > max {
            self.add(id, field, format!("{n} characters; at most {max}"));
        }
    }

    fn region(&mut self, id: &str, region: &str) {
        if !REGIONS.contains(&region) {
            self.add(
                id,
                "region",
                format!("{region:?} is not one of {}", REGIONS.join(", ")),
            );
        }
    }

    fn muscle(&mut self, m: &Muscle) {
        self.common(&m.id, &m.subarea);
        self.region(&m.id, &m.region);
        self.text(&m.id, "name", &m.name, 80);
        for (field, value) in [
            ("origin", &m.origin),
            ("insertion", &m.insertion),
            ("action", &m.action),
            ("innervation", &m.innervation),
        ] {
            self.text(&m.id, field, value, MAX_TEXT);
        }
        self.text(&m.id, "reference", &m.reference, 300);
    }

    fn landmark(&mut self, l: &Landmark) {
        self.common(&l.id, &l.subarea);
        self.region(&l.id, &l.region);
        self.text(&l.id, "name", &l.name, 80);
        self.text(&l.id, "bone", &l.bone, 80);
        self.text(&l.id, "description", &l.description, MAX_TEXT);
        self.text(&l.id, "palpation", &l.palpation, 200);
        if l.attachments.chars().count() > 200 {
            self.add(&l.id, "attachments", "at most 200 characters".into());
        }
    }

    fn term(&mut self, t: &Term) {
        self.common(&t.id, &t.subarea);
        self.text(&t.id, "term", &t.term, 80);
        self.text(&t.id, "definition", &t.definition, MAX_TEXT);
        // The reverse card shows the definition and asks for the term: it must not give it away.
        let definition = t.definition.to_lowercase();
        let term = t.term.to_lowercase();
        let core = term.split(['(', ',']).next().unwrap_or(&term).trim();
        if core.chars().count() >= 4 && definition.contains(core) {
            self.add(
                &t.id,
                "definition",
                format!("contains the term {core:?}, which gives the answer away"),
            );
        }
    }
}

/// Parses and checks every `flashcards/*.toml` among `files`.
pub fn parse(files: &[SourceFile], taxonomy: &Taxonomy) -> Result<Deck, Vec<Problem>> {
    let mut deck = Deck::default();
    let mut problems = vec![];
    let mut ids: HashMap<String, String> = HashMap::new();
    for f in files
        .iter()
        .filter(|f| f.path.starts_with("flashcards/") && f.path.ends_with(".toml"))
    {
        let parsed: DeckFile = match toml::from_str(&f.text) {
            Ok(d) => d,
            Err(e) => {
                let line = e.span().map_or(1, |s| {
                    f.text[..s.start.min(f.text.len())].lines().count().max(1)
                });
                problems.push(Problem {
                    file: f.path.clone(),
                    line,
                    item: None,
                    field: "file".into(),
                    message: e.message().to_string(),
                });
                continue;
            }
        };
        let mut c = Checker {
            file: &f.path,
            text: &f.text,
            taxonomy,
            problems: &mut problems,
            ids: &mut ids,
        };
        let expected = match parsed.kind.as_str() {
            "muscles" => parsed.landmark.is_empty() && parsed.term.is_empty(),
            "landmarks" => parsed.muscle.is_empty() && parsed.term.is_empty(),
            "terms" => parsed.muscle.is_empty() && parsed.landmark.is_empty(),
            _ => false,
        };
        if !expected {
            c.problems.push(Problem {
                file: f.path.clone(),
                line: 1,
                item: None,
                field: "kind".into(),
                message: "kind must be muscles, landmarks or terms, and the file may hold only cards of that kind".into(),
            });
        }
        parsed.muscle.iter().for_each(|m| c.muscle(m));
        parsed.landmark.iter().for_each(|l| c.landmark(l));
        parsed.term.iter().for_each(|t| c.term(t));
        deck.muscles.extend(parsed.muscle);
        deck.landmarks.extend(parsed.landmark);
        deck.terms.extend(parsed.term);
    }
    if problems.is_empty() {
        Ok(deck)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::parse(include_str!("../../../question_bank/taxonomy.toml")).unwrap()
    }

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn problems_name_the_file_line_card_and_field() {
        let text = r#"kind = "terms"

[[term]]
id = "term-ok"
term = "Isometric contraction"
subarea = "2.B"
definition = "Tension without a change in muscle length, so the joint does not move."

[[term]]
id = "term-cue"
term = "Effleurage"
subarea = "9.Z"
definition = "Effleurage is a gliding stroke."
"#;
        let problems = parse(&[file("flashcards/t.toml", text)], &taxonomy()).unwrap_err();
        let fields: Vec<(&str, usize)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.line))
            .collect();
        assert_eq!(
            fields,
            [("subarea", 10), ("definition", 10)],
            "{problems:?}"
        );
        assert!(problems[1].message.contains("gives the answer away"));
        let dup = format!(
            "{text}\n[[term]]\nid = \"term-ok\"\nterm = \"X ray\"\nsubarea = \"1.A\"\ndefinition = \"Imaging.\"\n"
        );
        let problems = parse(&[file("flashcards/t.toml", &dup)], &taxonomy()).unwrap_err();
        assert!(problems.iter().any(|p| p.message.starts_with("duplicate")));
        let broken = parse(
            &[file(
                "flashcards/b.toml",
                "kind = \"terms\"\n[[term]]\nid = 3\n",
            )],
            &taxonomy(),
        )
        .unwrap_err();
        assert_eq!(broken[0].field, "file");
    }

    #[test]
    fn the_shipped_flashcards_are_valid_and_cover_the_boards() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question_bank/flashcards");
        let files: Vec<SourceFile> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| SourceFile {
                path: format!("flashcards/{}", p.file_name().unwrap().to_string_lossy()),
                text: std::fs::read_to_string(&p).unwrap(),
            })
            .collect();
        let deck = match parse(&files, &taxonomy()) {
            Ok(d) => d,
            Err(problems) => panic!(
                "{}",
                problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        assert!(deck.muscles.len() >= 80, "{} muscles", deck.muscles.len());
        assert!(deck.landmarks.len() >= 40);
        for area in 1..=7 {
            let n = deck
                .terms
                .iter()
                .filter(|t| t.subarea.starts_with(&format!("{area}.")))
                .count();
            assert!(n >= 8, "area {area}: {n} terms");
        }
    }
}
