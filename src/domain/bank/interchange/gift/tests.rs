//! Tests of the GIFT reader and writer (in their own file to keep `gift.rs` short).

use super::*;
use proptest::prelude::*;

/// Every question type, one after the other (line numbers matter to the test below).
const SAMPLE: &str = "// A sample bank
$CATEGORY: $course$/top/Anatomy

// question: 1  name: Q1
// [id:2D-001] [tag:level:recall] [tag:topic:rotator cuff]
::Q1::Which muscle\\: abducts the arm?{
  =Deltoid#Right: the middle fibres.
  ~Biceps#Flexes the elbow.
  ~Pectoralis major
  ~Latissimus dorsi # Adducts.
  ####Kendall, Muscles
}

::TF::The sun rises in the east.{T}

::Num::When was Grant born?{#1822:1}

::Match::Match these.{=a -> b =c -> d}

::Short::Who's buried in Grant's tomb?{=no one =nobody}

::Essay::Tell me about it.{}

Just a description.

Grant is {~buried =entombed ~living} in Grant's tomb.

::Partial::Pick two.{~%50%a ~%50%b ~c ~d}

::Img::[html]<p>What is this? <img src=\"x.png\"></p>{=a ~b ~c ~d}

::Unclosed::What
is {=a ~b

::Html::[html]<p>The <b>biceps</b> &amp; triceps</p>{=[plain]yes ~<i>no</i>#[html]<b>no</b> ~%100%x ~%-50%y}

$CATEGORY: $course$/top/Physiology
Heart rate rises with?{=exercise ~sleep ~rest ~fasting}
";

#[test]
fn reads_every_question_type() {
    let p = parse(SAMPLE);
    let skipped: Vec<(usize, Option<&str>, &str)> = p
        .skipped
        .iter()
        .map(|s| (s.line, s.name.as_deref(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (14, Some("TF"), why::TRUE_FALSE),
            (16, Some("Num"), why::NUMERIC),
            (18, Some("Match"), why::MATCHING),
            (20, Some("Short"), why::SHORT_ANSWER),
            (22, Some("Essay"), why::ESSAY),
            (24, None, why::DESCRIPTION),
            (26, None, why::MISSING_WORD),
            (28, Some("Partial"), why::PARTIAL),
            (30, Some("Img"), why::MEDIA),
            (
                33,
                Some("Unclosed"),
                "Unclosed answer block: '{' at line 33 has no '}' (an empty line ends a \
                 question, so an answer block cannot contain one)."
            ),
        ]
    );
    assert_eq!(p.skipped[0].excerpt, "The sun rises in the east.");
    assert_eq!(p.questions.len(), 3);
    let q = &p.questions[0];
    assert_eq!(q.line, 6);
    assert_eq!(q.name.as_deref(), Some("Q1"));
    assert_eq!(q.category.as_deref(), Some("$course$/top/Anatomy"));
    assert_eq!(q.stem, "Which muscle: abducts the arm?");
    assert_eq!(q.tags, vec!["level:recall", "topic:rotator cuff"]);
    assert_eq!(q.general_feedback, "Kendall, Muscles");
    let got: Vec<(&str, bool, &str)> = q
        .choices
        .iter()
        .map(|c| (c.text.as_str(), c.correct, c.feedback.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Deltoid", true, "Right: the middle fibres."),
            ("Biceps", false, "Flexes the elbow."),
            ("Pectoralis major", false, ""),
            ("Latissimus dorsi", false, "Adducts."),
        ]
    );
    let h = &p.questions[1];
    assert_eq!(h.line, 35);
    assert_eq!(h.stem, "The biceps & triceps");
    let got: Vec<(&str, bool, &str)> = h
        .choices
        .iter()
        .map(|c| (c.text.as_str(), c.correct, c.feedback.as_str()))
        .collect();
    // `~%100%` with the others at zero or below is one right answer, not partial credit.
    assert_eq!(
        got,
        vec![
            ("yes", true, ""),
            ("no", false, "no"),
            ("x", true, ""),
            ("y", false, "")
        ]
    );
    let last = &p.questions[2];
    assert_eq!((last.line, last.name.as_deref()), (38, None));
    assert_eq!(last.category.as_deref(), Some("$course$/top/Physiology"));
    assert!(last.tags.is_empty());
}

#[test]
fn malformed_blocks_are_reported_with_their_line() {
    let f = "::A::Q one?{=a ~b ~c ~d}\n::B::Q two?{=a ~b ~c ~d}\n\n\
             Stray } here {=a ~b}\n\n\
             Nested {=a {~b} ~c}\n\n\
             ::No end Which?{=a ~b}\n\n\
             // [id:X-1] only comments name me\nNamed by id?{=a ~b \\~ c ~d}\n";
    let p = parse(f);
    let skipped: Vec<(usize, &str)> = p
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (1, why::RUN_ON),
            (
                4,
                "Unmatched '}' at line 4: answer blocks open with '{' (write \\} for a \
                 literal brace)."
            ),
            (
                6,
                "'{' at line 6 opens an answer block inside another (write \\{ for a literal \
                 brace)."
            ),
            (
                8,
                "The question name opened with '::' at line 8 is not closed with '::'."
            ),
        ]
    );
    assert_eq!(p.skipped[0].name.as_deref(), Some("A"));
    assert_eq!(p.questions.len(), 1);
    let q = &p.questions[0];
    assert_eq!((q.line, q.name.as_deref()), (11, Some("X-1")));
    let texts: Vec<&str> = q.choices.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, vec!["a", "b ~ c", "d"]);
}

#[test]
fn escapes_follow_moodle() {
    let p = parse("[markdown]Use \\\\n, \\n and \\{x\\}?{=a\\#1 # f\\=g ~b\\\\c}");
    let q = &p.questions[0];
    assert_eq!(q.stem, "Use \\n, \n and {x}?");
    assert_eq!(q.choices[0].text, "a#1");
    assert_eq!(q.choices[0].feedback, "f=g");
    assert_eq!(q.choices[1].text, "b\\c");
    let p = parse("// [tag:a\\]b] [tag:  ] [tag:x\ty] [id:first] [id:second]\nQ?{=a ~b}");
    assert_eq!(p.questions[0].tags, vec!["a]b"]);
    assert_eq!(p.questions[0].name.as_deref(), Some("first"));
}

fn sample_questions() -> Vec<Question> {
    let choice = |text: &str, correct: bool, feedback: &str| Choice {
        text: text.into(),
        correct,
        feedback: feedback.into(),
    };
    vec![
        Question {
            name: Some("2D-014".into()),
            category: Some("2.D".into()),
            stem: "Piriformis — ‘syndrome’ 😀: which {nerve} is\ncompressed?\n\
                   Pick = one ~ # \\n"
                .into(),
            choices: vec![
                choice("Sciatic", true, "It runs under: the piriformis {usually}."),
                choice("[html]Femoral", false, "%50% of = students ~ pick this #"),
                choice("%100%Obturator", false, "[plain] not\nthis"),
                choice("Pudendal \\ nerve", false, ""),
            ],
            general_feedback: "Travell & Simons, vol. 2 — ch. 10 ####".into(),
            tags: vec![
                "level:recall".into(),
                "topic:rotator cuff".into(),
                "author:Jane ]Doe[".into(),
            ],
            ..Question::default()
        },
        Question {
            name: Some("2D-015".into()),
            category: Some("2.D".into()),
            stem: "Second <b>question</b> & more".into(),
            choices: vec![
                choice("a", false, "x"),
                choice("b", false, "y"),
                choice("c", true, "z"),
                choice("d", false, "w"),
            ],
            ..Question::default()
        },
        Question {
            name: Some("3A-001".into()),
            category: Some("3.A".into()),
            stem: "Third".into(),
            choices: vec![choice("one", true, ""), choice("two", false, "")],
            general_feedback: "ref".into(),
            tags: vec!["difficulty:hard".into()],
            ..Question::default()
        },
    ]
}

#[test]
fn round_trip_keeps_every_field() {
    let qs = sample_questions();
    let written = write(&qs);
    let p = parse(&written);
    assert!(p.skipped.is_empty(), "{written}\n{:?}", p.skipped);
    assert_eq!(p.questions.len(), qs.len(), "{written}");
    for (a, b) in qs.iter().zip(&p.questions) {
        assert_eq!(b.name, a.name);
        let category = a.category.as_ref().map(|c| format!("$course$/top/{c}"));
        assert_eq!(b.category, category);
        assert_eq!(b.stem, a.stem);
        assert_eq!(b.choices, a.choices);
        assert_eq!(b.general_feedback, a.general_feedback);
        assert_eq!(b.tags, a.tags);
    }
    assert_eq!(written.matches("$CATEGORY:").count(), 2);
    // A category read from a GIFT file is written back as it was.
    let again = write(&p.questions);
    assert_eq!(again, written);
    assert_eq!(parse(&again), p);
}

#[test]
fn reads_moodles_fixture() {
    let f = include_str!("../../../../../tests/fixtures/moodle/gift/questions.gift.txt");
    let p = parse(f);
    let skipped: Vec<(usize, Option<&str>, &str)> = p
        .skipped
        .iter()
        .map(|s| (s.line, s.name.as_deref(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (2, Some("Q8"), why::ESSAY),
            (5, Some("Moodle activities"), why::MATCHING),
            (22, Some("colours"), why::PARTIAL),
            (31, Some("Q5"), why::NUMERIC),
            (34, Some("Shortanswer"), why::SHORT_ANSWER),
            (41, Some("Q1"), why::TRUE_FALSE),
            (46, Some("2-08 TSL"), why::TRUE_FALSE),
            (49, Some("2-08 TSL"), why::TRUE_FALSE),
        ]
    );
    assert_eq!(
        p.skipped[1].excerpt,
        "Match the activity to the description."
    );
    assert_eq!(p.questions.len(), 1);
    let q = &p.questions[0];
    assert_eq!((q.line, q.name.as_deref()), (14, Some("Q2")));
    assert_eq!(q.stem, "What's between orange and green in the spectrum?");
    let got: Vec<(&str, bool, &str)> = q
        .choices
        .iter()
        .map(|c| (c.text.as_str(), c.correct, c.feedback.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("yellow", true, "right; good!"),
            ("red", false, "wrong, it's yellow"),
            ("blue", false, "wrong, it's yellow"),
        ]
    );
    assert_eq!(
        super::super::refusal(q).as_deref(),
        Some("Palpate questions have exactly four options; this one has 3.")
    );
}

fn cases() -> u32 {
    crate::domain::bank::interchange::fuzz_cases()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]
    #[test]
    fn fuzz_never_panics(s in "\\PC{0,400}") {
        let _ = parse(&s);
    }

    #[test]
    fn fuzz_gift_syntax_never_panics(s in "[{}~=#:%\\\\\\[\\]/ \nTF0-9a-z$>-]{0,300}") {
        let _ = parse(&s);
    }

    #[test]
    fn fuzz_mutated_sample_never_panics(
        edits in proptest::collection::vec((0usize..2000, any::<char>(), any::<bool>()), 0..12)
    ) {
        let mut chars: Vec<char> = SAMPLE.chars().collect();
        for (pos, c, insert) in edits {
            let p = pos % (chars.len() + 1);
            if insert || p == chars.len() { chars.insert(p, c) } else { chars.remove(p); }
        }
        let s: String = chars.into_iter().collect();
        let _ = parse(&s);
    }

    #[test]
    fn written_text_reads_back(
        stem in "\\PC{1,60}",
        texts in proptest::collection::vec("\\PC{1,30}", 4),
        feedback in "\\PC{0,30}",
        key in 0usize..4,
    ) {
        let stem = stem.trim().to_string();
        let texts: Vec<String> = texts.iter().map(|t| t.trim().to_string()).collect();
        prop_assume!(!stem.is_empty() && texts.iter().all(|t| !t.is_empty()));
        let q = Question {
            name: Some("X-1".into()),
            stem,
            choices: texts
                .iter()
                .enumerate()
                .map(|(i, t)| Choice {
                    text: t.clone(),
                    correct: i == key,
                    feedback: feedback.trim().into(),
                })
                .collect(),
            ..Question::default()
        };
        let media = |t: &str| text::has_media(t);
        prop_assume!(!media(&q.stem));
        prop_assume!(!q.choices.iter().any(|c| media(&c.text) || media(&c.feedback)));
        let p = parse(&write(std::slice::from_ref(&q)));
        prop_assert_eq!(p.questions.len(), 1);
        prop_assert_eq!(&p.questions[0].stem, &q.stem);
        prop_assert_eq!(&p.questions[0].choices, &q.choices);
    }
}
