use proptest::prelude::*;

use super::super::{Choice, Question};
use super::{parse, write};

/// Every question type Moodle exports, one each, plus the multichoice variants Palpate refuses.
const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category>
      <text>$course$/top/Anatomy/Shoulder</text>
    </category>
  </question>
  <question type="multichoice">
    <name><text>Rotator cuff</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Which muscle <b>initiates</b> abduction?</p><p>Pick one.</p>]]></text>
    </questiontext>
    <generalfeedback format="html"><text>&lt;p&gt;See &amp;quot;Gray&amp;#39;s&amp;quot;&lt;/p&gt;</text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>Supraspinatus</text>
      <feedback format="html"><text><![CDATA[<p>Yes: first 15&deg;</p>]]></text></feedback></answer>
    <answer fraction="0" format="html"><text>Deltoid</text><feedback><text>Later.</text></feedback></answer>
    <answer fraction="-33.33333" format="html"><text>Teres minor</text></answer>
    <answer fraction="0" format="plain_text"><text>Subscapularis &lt;b&gt;</text></answer>
    <tags><tag><text>level:recall</text></tag><tag><text> topic:rotator cuff </text></tag></tags>
  </question>
  <question type="truefalse"><name><text>TF</text></name>
    <questiontext format="html"><text>The sky is blue.</text></questiontext>
    <answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
  </question>
  <question type="shortanswer"><name><text>SA</text></name><questiontext><text>Name it.</text></questiontext></question>
  <question type="numerical"><name><text>NUM</text></name><questiontext><text>How many?</text></questiontext></question>
  <question type="matching"><name><text>MATCH</text></name><questiontext><text>Match.</text></questiontext></question>
  <question type="essay"><name><text>ESSAY</text></name><questiontext><text>Discuss.</text></questiontext></question>
  <question type="cloze"><name><text>CLOZE</text></name><questiontext><text>A {1:SHORTANSWER:=b}</text></questiontext></question>
  <question type="description"><name><text>DESC</text></name><questiontext><text>Read this.</text></questiontext></question>
  <question type="ddwtos"><name><text>DD</text></name><questiontext><text>Drag.</text></questiontext></question>
  <question type="gapselect"><name><text>GAP</text></name><questiontext><text>Select.</text></questiontext></question>
  <question type="calculated"><name><text>CALC</text></name><questiontext><text>{a}+{b}</text></questiontext></question>
  <question type="random"><name><text>RANDOM</text></name><questiontext><text>0</text></questiontext></question>
  <question type="ordering"><name><text>ORDER</text></name><questiontext><text>Order.</text></questiontext></question>
  <question type="multichoice"><name><text>Several</text></name><questiontext><text>Which two?</text></questiontext>
    <single>false</single><answer fraction="50"><text>a</text></answer><answer fraction="50"><text>b</text></answer>
  </question>
  <question type="multichoice"><name><text>Partial</text></name><questiontext><text>Best?</text></questiontext>
    <answer fraction="100"><text>a</text></answer><answer fraction="50"><text>b</text></answer>
  </question>
  <question type="multichoice"><name><text>Picture</text></name>
    <questiontext format="html"><text><![CDATA[<p>What is this? <img src="@@PLUGINFILE@@/x.png"></p>]]></text>
    <file name="x.png" encoding="base64">iVBORw0KGgo=</file></questiontext>
    <answer fraction="100"><text>a</text></answer>
  </question>
  <question type="multichoice"><name><text>Attachment</text></name>
    <questiontext format="html"><text>Listen.</text><file name="a.mp3" encoding="base64">SUQz</file></questiontext>
    <answer fraction="100"><text>a</text></answer>
  </question>
  <question type="hotpotato"><name><text>ODD</text></name><questiontext><text>?</text></questiontext></question>
  <question type="category"><category><text>$course$/top</text></category></question>
  <question type="multichoice"><questiontext format="moodle_auto_format"><text>Line one
line two</text></questiontext><answer fraction="100.0000000"><text>x</text></answer></question>
</quiz>
"#;

#[test]
fn reads_multichoice_and_reports_every_other_type() {
    let p = parse(SAMPLE).unwrap();
    assert_eq!(p.questions.len(), 2, "{:#?}", p.skipped);
    let q = &p.questions[0];
    assert_eq!(q.line, 9);
    assert_eq!(q.name.as_deref(), Some("Rotator cuff"));
    assert_eq!(q.category.as_deref(), Some("Anatomy/Shoulder"));
    assert_eq!(q.stem, "Which muscle initiates abduction?\n\nPick one.");
    assert_eq!(q.general_feedback, "See \"Gray's\"");
    assert_eq!(q.tags, ["level:recall", "topic:rotator cuff"]);
    let texts: Vec<_> = q
        .choices
        .iter()
        .map(|c| (c.text.as_str(), c.correct))
        .collect();
    assert_eq!(
        texts,
        [
            ("Supraspinatus", true),
            ("Deltoid", false),
            ("Teres minor", false),
            ("Subscapularis <b>", false)
        ]
    );
    assert_eq!(q.choices[0].feedback, "Yes: first 15&deg;");
    assert_eq!(q.choices[1].feedback, "Later.");
    let last = &p.questions[1];
    assert_eq!(
        (last.name.as_deref(), last.category.as_deref()),
        (None, None)
    );
    assert_eq!(last.stem, "Line one\nline two");
    assert!(last.choices[0].correct);

    let skipped: Vec<(usize, &str, &str)> = p
        .skipped
        .iter()
        .map(|s| {
            (
                s.line,
                s.name.as_deref().unwrap_or(""),
                s.reason.split(':').next().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (23, "TF", "True/false question"),
            (27, "SA", "Short answer question"),
            (28, "NUM", "Numeric answer question"),
            (29, "MATCH", "Matching question"),
            (30, "ESSAY", "Essay question"),
            (31, "CLOZE", "Cloze (embedded answers) question"),
            (32, "DESC", "Description only, no question."),
            (33, "DD", "Drag and drop into text question"),
            (34, "GAP", "Select missing words question"),
            (35, "CALC", "Calculated question"),
            (
                36,
                "RANDOM",
                "Random question (drawn from a category when the quiz runs)"
            ),
            (37, "ORDER", "Ordering question"),
            (
                38,
                "Several",
                "Multiple answers question (several options can be chosen)"
            ),
            (
                41,
                "Partial",
                "Multiple answers question (an option gives partial credit)"
            ),
            (
                44,
                "Picture",
                "Contains an image (Palpate questions are text only)."
            ),
            (
                49,
                "Attachment",
                "Contains attached files (Palpate questions are text only)."
            ),
            (53, "ODD", "Question of type \"hotpotato\""),
        ]
    );
    assert_eq!(p.skipped[0].excerpt, "The sky is blue.");
}

#[test]
fn refuses_what_is_not_a_moodle_export_and_keeps_what_precedes_a_break() {
    let e = parse("GIFT? ::Q:: What {=a ~b}").unwrap_err();
    assert!(e.message.contains("no <quiz>"), "{e:?}");
    let e = parse("<?xml version=\"1.0\"?>\n<html><body/></html>").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("<html>"));
    assert!(parse("<quiz").is_err());
    assert_eq!(parse("<quiz/>").unwrap(), Default::default());

    let broken = "<quiz>\n<question type=\"multichoice\"><questiontext><text>Q</text></questiontext>\
                  <answer fraction=\"100\"><text>a</text></answer></question>\n\
                  <question type=\"multichoice\"><questiontext><text>R</questiontext>\n</quiz>";
    let p = parse(broken).unwrap();
    assert_eq!(p.questions.len(), 1);
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.skipped[0].line, 3);
    assert!(
        p.skipped[0]
            .reason
            .starts_with("The XML breaks off at line 3"),
        "{:?}",
        p.skipped
    );
}

#[test]
fn categories_lose_only_the_moodle_context() {
    use super::read::strip_context;
    assert_eq!(strip_context("$course$/top/2.D"), "2.D");
    assert_eq!(strip_context("$system$/top/A/B"), "A/B");
    assert_eq!(strip_context("$course$/Default for X/Y"), "Default for X/Y");
    assert_eq!(strip_context("$course$/top"), "");
    assert_eq!(strip_context("$course$"), "");
    assert_eq!(strip_context("Plain/Path"), "Plain/Path");
    assert_eq!(strip_context("$odd"), "$odd");
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
            stem: "Piriformis — ‘syndrome’ 😀 <&\"'>\nSecond line\n\nNew paragraph ]]> end".into(),
            choices: vec![
                choice(
                    "Sciatic <nerve> & \"artery\"",
                    true,
                    "Because <it> ]]> is & so",
                ),
                choice("Femoral", false, ""),
                choice("Obturator 'n'", false, "No: it's medial."),
                choice("Tibial", false, "Line 1\nLine 2"),
            ],
            general_feedback: "Gray's Anatomy, 42nd ed. <p. 1337>".into(),
            tags: vec![
                "level:recall".into(),
                "topic:hip & <gluteal>".into(),
                "author:Jane Doe".into(),
            ],
            ..Default::default()
        },
        Question {
            name: Some("2D-015".into()),
            category: Some("2.D".into()),
            stem: "Short?".into(),
            choices: vec![choice("a", false, ""), choice("b", true, "")],
            ..Default::default()
        },
        Question {
            name: Some("1A-001".into()),
            category: None,
            stem: "No category".into(),
            choices: vec![choice("x", true, "fx")],
            general_feedback: String::new(),
            tags: vec![],
            ..Default::default()
        },
        Question {
            name: Some("3C-001 with spaces".into()),
            category: Some("$odd/category: with $ signs".into()),
            stem: "Last".into(),
            choices: vec![choice("y", true, "")],
            ..Default::default()
        },
    ]
}

#[test]
fn written_questions_read_back_unchanged() {
    let questions = sample_questions();
    let xml = write(&questions);
    let p = parse(&xml).unwrap();
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    assert_eq!(p.questions.len(), questions.len());
    for (got, want) in p.questions.iter().zip(&questions) {
        assert!(got.line > 0);
        let got = Question {
            line: 0,
            ..got.clone()
        };
        assert_eq!(&got, want);
    }
    assert_eq!(xml.matches("type=\"category\"").count(), 3, "{xml}");
    assert!(xml.contains("<text>$course$/top/2.D</text>"));
    assert!(xml.contains("<answernumbering>ABCD</answernumbering>"));
    assert!(xml.contains("<idnumber>2D-014</idnumber>"));
    assert_eq!(
        write(&[]),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n</quiz>\n"
    );
}

macro_rules! fixture {
    ($file:literal) => {
        include_str!(concat!("../../../../../tests/fixtures/moodle/xml/", $file))
    };
}

/// (line, name, start of the reason) of each skipped question.
fn skipped(text: &str) -> Vec<(usize, String, String)> {
    let p = parse(text).unwrap();
    assert!(p.questions.is_empty());
    p.skipped
        .iter()
        .map(|s| {
            let reason = s.reason.split(':').next().unwrap_or("").to_string();
            (s.line, s.name.clone().unwrap_or_default(), reason)
        })
        .collect()
}

fn owned(v: &[(usize, &str, &str)]) -> Vec<(usize, String, String)> {
    v.iter()
        .map(|(l, n, r)| (*l, n.to_string(), r.to_string()))
        .collect()
}

#[test]
fn moodle_fixture_multichoice_with_sound_and_flags_is_skipped_for_its_images() {
    assert_eq!(
        skipped(fixture!("multichoice.xml")),
        owned(&[(
            12,
            "Greeting",
            "Contains an image (Palpate questions are text only)."
        )])
    );
}

#[test]
fn moodle_fixture_truefalse_is_skipped_as_true_false() {
    let tf = "True/false question";
    assert_eq!(
        skipped(fixture!("truefalse.xml")),
        owned(&[
            (12, "Moodle acronym (False)", tf),
            (40, "Moodle acronym (True)", tf)
        ])
    );
}

#[test]
fn moodle_fixture_nested_categories_hold_only_true_false_and_essay() {
    let tf = "True/false question";
    assert_eq!(
        skipped(fixture!("nested_categories_with_questions.xml")),
        owned(&[
            (15, "Iota Question", tf),
            (55, "Kappa Essay Question", "Essay question"),
            (83, "Kappa Question", tf),
            (123, "Lambda Question", tf),
            (163, "Mu Question", tf),
        ])
    );
}

#[test]
fn moodle_fixture_broken_cloze_questions_are_skipped_as_cloze() {
    let cloze = "Cloze (embedded answers) question";
    assert_eq!(
        skipped(fixture!("broken_cloze_questions.xml")),
        owned(&[
            (4, "Multianswer question without subquestions", cloze),
            (20, "Multichoice subquestion without choices", cloze),
            (36, "Multichoice subquestion with only one choice", cloze),
            (
                52,
                "Multichoice subquestion with no completely correct answer",
                cloze
            ),
            (68, "Numerical subquestion with buggy answer", cloze),
        ])
    );
}

#[test]
fn moodle_fixture_old_image_tag_counts_as_an_image() {
    assert_eq!(
        skipped(fixture!("sample_questions_with_old_image_tag.xml")),
        owned(&[
            (
                16,
                "cloze question with image",
                "Cloze (embedded answers) question"
            ),
            (
                36,
                "mcq with image",
                "Contains an image (Palpate questions are text only)."
            ),
        ])
    );
}

/// An entity-like `&` followed by multi-byte characters (once made `text::decode_entities`
/// slice inside a character).
#[test]
fn an_ampersand_before_dashes_does_not_panic() {
    let xml = "<quiz><question type=\"multichoice\"><questiontext><text>A&amp;——————</text>\
               </questiontext><answer fraction=\"100\"><text>x</text></answer></question></quiz>";
    assert_eq!(parse(xml).unwrap().questions[0].stem, "A&——————");
}

fn cases() -> u32 {
    crate::domain::bank::interchange::fuzz_cases()
}

/// A valid file with random edits: characters inserted or deleted at random places.
fn mutated() -> impl Strategy<Value = String> {
    let base = write(&sample_questions()) + SAMPLE;
    let edits = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            any::<bool>(),
            "[<>/&;\\]\\[!\"a-zé—😀 =\n-]{0,3}",
        ),
        1..12,
    );
    edits.prop_map(move |edits| {
        let mut s: Vec<char> = base.chars().collect();
        for (at, insert, text) in edits {
            let i = at.index(s.len() + 1);
            if insert {
                s.splice(i..i, text.chars());
            } else {
                let end = (i + text.len() + 1).min(s.len());
                s.drain(i.min(end)..end);
            }
        }
        s.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]
    #[test]
    fn fuzz_never_panics(s in "\\PC{0,400}") {
        let _ = parse(&s);
    }

    #[test]
    fn fuzz_never_panics_on_mutated_files(s in mutated()) {
        let _ = parse(&s);
    }

    #[test]
    fn fuzz_never_panics_on_xml_like_text(s in "(<quiz>|<question type=\"multichoice\">|<text>|</text>|<answer fraction=\"[-0-9.]{0,4}\">|</answer>|<!\\[CDATA\\[|\\]\\]>|&[a-z#0-9]{0,5};|[a-z <>/]){0,60}") {
        let _ = parse(&s);
    }
}
