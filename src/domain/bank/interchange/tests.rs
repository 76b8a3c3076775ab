//! Round trips: Palpate item → each format → Palpate item keeps every field the format carries.

use super::*;
use crate::domain::bank::{Item, Status};

fn item(id: &str, stem: &str) -> Item {
    Item {
        id: id.into(),
        status: Status::Approved,
        content: ItemContent {
            subarea: "2.D".into(),
            level: Level::Application,
            difficulty: Difficulty::Hard,
            pillars: vec![Pillar::Kinesiology, Pillar::Anatomy],
            topics: vec!["rotator cuff".into(), "abduction".into()],
            stem: stem.into(),
            options: [
                "Supraspinatus".into(),
                "Teres minor {lateral} ~ = # : \\ \"q\" <b>&amp;</b>".into(),
                "Infraspinatus — ‘external’ rotator 😀".into(),
                "Subscapularis".into(),
            ],
            key: 0,
            rationales: [
                "It initiates abduction (first 15°).".into(),
                "Teres minor rotates laterally; it does not abduct.".into(),
                "Infraspinatus rotates laterally.".into(),
                "Subscapularis rotates medially.".into(),
            ],
            reference: "Rotator cuff actions; Muscolino, Kinesiology ch. 9".into(),
            author: "Dana Reyes".into(),
            enemies: vec!["2D-003".into()],
        },
    }
}

fn items() -> Vec<Item> {
    vec![
        item(
            "2D-001",
            "A client lifts the arm from the side.\nWhich muscle starts the movement?",
        ),
        item(
            "2D-002",
            "Which muscle of the cuff starts abduction: the {first} 15° & more?",
        ),
    ]
}

#[test]
fn exports_join_source_wraps_and_keep_paragraphs() {
    let q = from_item(&item(
        "2D-009",
        "The client lifts the arm\nfrom the side.\n\nWhich muscle   starts it?",
    ));
    assert_eq!(
        q.stem,
        "The client lifts the arm from the side.\n\nWhich muscle starts it?"
    );
    for format in [Format::MoodleXml, Format::Qti3, Format::Gift, Format::Csv] {
        let text = String::from_utf8_lossy(&write(format, std::slice::from_ref(&q))).into_owned();
        assert!(!text.contains("arm<br"), "{format:?}: {text}");
        assert!(!text.contains("arm\\n"), "{format:?}: {text}");
    }
}

/// What survives a round trip through `format`.
fn carried(format: Format, original: &ItemContent, back: &ItemContent) {
    assert_eq!(back.options, original.options, "{format:?}: options");
    assert_eq!(back.key, original.key, "{format:?}: key");
    if format == Format::Aiken {
        // Aiken carries the question, the options and the answer only.
        assert_eq!(
            back.stem.split_whitespace().collect::<Vec<_>>(),
            original.stem.split_whitespace().collect::<Vec<_>>(),
            "{format:?}: stem"
        );
        return;
    }
    // Line breaks that only wrap the source become spaces on the way out.
    assert_eq!(back.stem, unwrap_lines(&original.stem), "{format:?}: stem");
    assert_eq!(
        back.rationales, original.rationales,
        "{format:?}: rationales"
    );
    assert_eq!(back.reference, original.reference, "{format:?}: reference");
    assert_eq!(back.subarea, original.subarea, "{format:?}: sub-area");
    assert_eq!(back.level, original.level, "{format:?}: level");
    assert_eq!(
        back.difficulty, original.difficulty,
        "{format:?}: difficulty"
    );
    assert_eq!(back.pillars, original.pillars, "{format:?}: pillars");
    assert_eq!(back.topics, original.topics, "{format:?}: topics");
    assert_eq!(back.author, original.author, "{format:?}: author");
    assert_eq!(back.enemies, original.enemies, "{format:?}: enemies");
}

#[test]
fn every_format_round_trips_what_it_can_carry() {
    let items = items();
    let questions: Vec<Question> = items.iter().map(from_item).collect();
    for format in Format::ALL {
        let bytes = write(format, &questions);
        let parsed = parse(format, &bytes)
            .unwrap_or_else(|e| panic!("{format:?}: {e}\n{}", String::from_utf8_lossy(&bytes)));
        assert!(
            parsed.skipped.is_empty(),
            "{format:?}: {:?}",
            parsed.skipped
        );
        assert_eq!(parsed.questions.len(), items.len(), "{format:?}");
        for (q, it) in parsed.questions.iter().zip(&items) {
            assert!(q.line >= 1, "{format:?}: line {}", q.line);
            // Moodle formats write the category as a path ("$course$/top/2.D").
            let sub = q
                .category
                .as_deref()
                .and_then(|c| c.rsplit('/').next())
                .unwrap_or("2.D")
                .to_string();
            let (back, _) = to_content(q, &sub, "Importer").unwrap();
            if format != Format::Aiken {
                assert_eq!(q.name.as_deref(), Some(it.id.as_str()), "{format:?}: name");
            }
            carried(format, &it.content, &back);
        }
    }
}

#[test]
fn bom_and_windows_line_ends_read_like_plain_utf8() {
    let questions: Vec<Question> = items().iter().map(from_item).collect();
    for format in [Format::Gift, Format::Aiken, Format::MoodleXml, Format::Csv] {
        let plain = write(format, &questions);
        let text = String::from_utf8(plain.clone()).unwrap();
        let mut windows = b"\xEF\xBB\xBF".to_vec();
        windows.extend(text.replace('\n', "\r\n").into_bytes());
        let a = parse(format, &plain).unwrap();
        let b = parse(format, &windows).unwrap();
        assert_eq!(a.questions.len(), b.questions.len(), "{format:?}");
        for (x, y) in a.questions.iter().zip(&b.questions) {
            assert_eq!(x.stem, y.stem, "{format:?}");
            assert_eq!(x.choices, y.choices, "{format:?}");
        }
    }
}

#[test]
fn what_palpate_cannot_take_is_refused_with_a_reason() {
    let q = |n: usize, correct: usize| Question {
        stem: "Which?".into(),
        choices: (0..n)
            .map(|i| Choice {
                text: format!("option {i}"),
                correct: i < correct,
                feedback: String::new(),
            })
            .collect(),
        ..Default::default()
    };
    assert!(
        refusal(&q(3, 1))
            .unwrap()
            .contains("exactly four options; this one has 3")
    );
    assert!(refusal(&q(4, 2)).unwrap().contains("single best answer"));
    assert!(
        refusal(&q(4, 0))
            .unwrap()
            .contains("No option is marked correct")
    );
    assert_eq!(refusal(&q(4, 1)), None);
    let (content, todo) = to_content(&q(4, 1), "2.D", "Importer").unwrap();
    assert_eq!((content.author.as_str(), content.key), ("Importer", 0));
    assert!(
        todo.iter()
            .any(|t| t.contains("rationale for option A, B, C, D")),
        "{todo:?}"
    );
    assert!(todo.iter().any(|t| t.contains("reference")), "{todo:?}");
}
