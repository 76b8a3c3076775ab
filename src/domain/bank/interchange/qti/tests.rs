use proptest::prelude::*;

use super::super::{Choice, Question};
use super::item::{Item, read_item};
use super::write::zip_files;
use super::{parse_package, write_package};

const NS: &str = "xmlns=\"http://www.imsglobal.org/xsd/imsqtiasi_v3p0\"";

/// A QTI 3.0 single-choice item with every kind of feedback.
fn qti3_item() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item {NS} identifier="q1" title="Rotator cuff" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>B</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="FEEDBACK" cardinality="single" base-type="identifier"/>
  <qti-item-body>
    <p>Which muscle <strong>initiates</strong> abduction?</p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1" shuffle="true">
      <qti-prompt>Pick one &amp; only one.</qti-prompt>
      <qti-simple-choice identifier="A">Deltoid<qti-feedback-inline outcome-identifier="FEEDBACK" identifier="A" show-hide="show">Later.</qti-feedback-inline></qti-simple-choice>
      <qti-simple-choice identifier="B">Supraspinatus</qti-simple-choice>
      <qti-simple-choice identifier="C">Teres &lt;minor&gt;</qti-simple-choice>
      <qti-simple-choice identifier="D">Subscapularis</qti-simple-choice>
    </qti-choice-interaction>
    <qti-feedback-block outcome-identifier="FEEDBACK" identifier="C" show-hide="show"><p>External rotator.</p></qti-feedback-block>
  </qti-item-body>
  <qti-modal-feedback outcome-identifier="FEEDBACK" identifier="B" show-hide="show"><qti-content-body><p>Yes: the first 15°.</p></qti-content-body></qti-modal-feedback>
  <qti-modal-feedback outcome-identifier="FEEDBACK" identifier="D" show-hide="hide">Not shown for D.</qti-modal-feedback>
  <qti-modal-feedback outcome-identifier="FEEDBACK" identifier="RESPONSE_correct" show-hide="show">Correct!</qti-modal-feedback>
  <qti-modal-feedback outcome-identifier="GENERAL_FEEDBACK" identifier="GENERAL" show-hide="show"><qti-content-body><p>Gray's Anatomy.</p></qti-content-body></qti-modal-feedback>
</qti-assessment-item>
"#
    )
}

/// A QTI 2.1 item (camelCase names), correct answer given by a mapping.
const QTI21_ITEM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="choice21" title="" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <mapping defaultValue="0"><mapEntry mapKey="ChoiceA" mappedValue="0"/><mapEntry mapKey="ChoiceB" mappedValue="1"/></mapping>
  </responseDeclaration>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <prompt>Old <em>style</em>?</prompt>
      <simpleChoice identifier="ChoiceA">No</simpleChoice>
      <simpleChoice identifier="ChoiceB">Yes</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="ChoiceA" showHide="show">Wrong way round.</modalFeedback>
</assessmentItem>"#;

/// An item whose body is `body` (and one response declaration).
fn item_with(body: &str, decl: &str) -> String {
    format!(
        "<qti-assessment-item {NS} identifier=\"x\" title=\"T\">\n<qti-response-declaration identifier=\"RESPONSE\" {decl}>\
         <qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>\n\
         <qti-item-body><p>Stem</p>{body}</qti-item-body></qti-assessment-item>"
    )
}

fn choice(maxc: &str) -> String {
    format!(
        "<qti-choice-interaction response-identifier=\"RESPONSE\" {maxc}><qti-simple-choice identifier=\"A\">a\
         </qti-simple-choice><qti-simple-choice identifier=\"B\">b</qti-simple-choice></qti-choice-interaction>"
    )
}

fn reason(text: &str) -> String {
    match read_item(text) {
        Ok(Item::Skipped { reason, .. }) => reason,
        other => panic!("expected a skipped item, got {other:?}"),
    }
}

#[test]
fn reads_a_qti3_choice_item_with_its_feedback() {
    let Item::Question(q) = read_item(&qti3_item()).unwrap() else {
        panic!("not imported")
    };
    assert_eq!(q.line, 2);
    assert_eq!(q.name.as_deref(), Some("Rotator cuff"));
    assert_eq!(
        q.stem,
        "Which muscle initiates abduction?\nPick one & only one."
    );
    let got: Vec<(&str, bool, &str)> = q
        .choices
        .iter()
        .map(|c| (c.text.as_str(), c.correct, c.feedback.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("Deltoid", false, "Later."),
            ("Supraspinatus", true, "Yes: the first 15°."),
            ("Teres <minor>", false, "External rotator."),
            ("Subscapularis", false, ""),
        ]
    );
    assert_eq!(q.general_feedback, "Gray's Anatomy.");
}

#[test]
fn reads_qti21_items_and_mappings() {
    let Item::Question(q) = read_item(QTI21_ITEM).unwrap() else {
        panic!("not imported")
    };
    assert_eq!(
        q.name.as_deref(),
        Some("choice21"),
        "empty title falls back to the identifier"
    );
    assert_eq!(q.stem, "Old style?");
    assert_eq!(q.choices.len(), 2);
    assert!(!q.choices[0].correct && q.choices[1].correct);
    assert_eq!(q.choices[0].feedback, "Wrong way round.");
}

#[test]
fn other_items_are_skipped_with_plain_reasons() {
    let single = "cardinality=\"single\" base-type=\"identifier\"";
    assert!(
        reason(&item_with(&choice("max-choices=\"2\""), single))
            .starts_with("Multiple answers question (several")
    );
    assert!(
        reason(&item_with(&choice("max-choices=\"0\""), single))
            .starts_with("Multiple answers question (several")
    );
    let multiple = "cardinality=\"multiple\" base-type=\"identifier\"";
    assert!(
        reason(&item_with(&choice(""), multiple)).starts_with("Multiple answers question (several")
    );
    let partial = QTI21_ITEM.replace("mappedValue=\"0\"", "mappedValue=\"0.5\"");
    assert!(
        reason(&partial).starts_with("Multiple answers question (an option gives partial credit)")
    );
    let cases = [
        (
            "<qti-text-entry-interaction response-identifier=\"RESPONSE\"/>",
            "Fill-in-the-blank (text entry) question",
        ),
        (
            "<qti-extended-text-interaction response-identifier=\"RESPONSE\"/>",
            "Essay (extended text) question",
        ),
        (
            "<qti-match-interaction response-identifier=\"RESPONSE\"/>",
            "Matching question",
        ),
        (
            "<orderInteraction responseIdentifier=\"RESPONSE\"/>",
            "Ordering question",
        ),
        (
            "<qti-hotspot-interaction response-identifier=\"RESPONSE\"/>",
            "Click on an image (hotspot) question",
        ),
        (
            "<p>x <qti-inline-choice-interaction response-identifier=\"RESPONSE\"/></p>",
            "Drop-down in a sentence",
        ),
        (
            "<qti-gap-match-interaction response-identifier=\"RESPONSE\"/>",
            "Drag words into gaps",
        ),
        (
            "<qti-frobnicate-interaction/>",
            "Question with a <qti-frobnicate-interaction>",
        ),
        (
            "<qti-end-attempt-interaction title=\"Done\"/>",
            "No question to answer in this item",
        ),
        ("<p>Nothing to do</p>", "No question to answer in this item"),
    ];
    for (body, want) in cases {
        let r = reason(&item_with(body, single));
        assert!(r.starts_with(want), "{body}: {r}");
    }
    let two = format!("{}{}", choice(""), "<qti-text-entry-interaction/>");
    assert!(
        reason(&item_with(&two, single))
            .starts_with("Several questions in one item (2 interactions)")
    );
    let picture = item_with(
        &format!("<p><img src=\"x.png\" alt=\"x\"/></p>{}", choice("")),
        single,
    );
    assert_eq!(
        reason(&picture),
        "Contains an image (Palpate questions are text only)."
    );
    let maths = item_with(&format!("<math><mi>x</mi></math>{}", choice("")), single);
    assert!(reason(&maths).starts_with("Contains a formula"));
    assert!(matches!(
        read_item(&item_with(&choice(""), single)),
        Ok(Item::Question(_))
    ));
}

#[test]
fn broken_or_foreign_xml_is_an_error() {
    let e =
        read_item("<qti-assessment-item>\n<qti-item-body>\n</qti-assessment-item>").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.starts_with("The item's XML is broken"), "{e:?}");
    assert!(read_item("<html/>").unwrap_err().message.contains("<html>"));
    assert!(
        read_item("<manifest/>")
            .unwrap_err()
            .message
            .contains("manifest alone")
    );
    assert!(read_item("just text").is_err());
}

fn manifest(resources: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<manifest xmlns=\"http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1\" \
         xmlns:lom=\"http://ltsc.ieee.org/xsd/LOM\" identifier=\"m\">\n<resources>\n{resources}</resources>\n</manifest>"
    )
}

#[test]
fn reads_a_package_following_its_manifest() {
    let resources = "<resource identifier=\"a\" type=\"imsqti_item_xmlv3p0\" href=\"items/a.xml\">\
        <metadata><lom:lom><lom:general><lom:keyword><lom:string>topic:shoulder</lom:string></lom:keyword>\
        <lom:keyword><lom:string>category:Anatomy/Upper limb</lom:string></lom:keyword></lom:general></lom:lom></metadata>\
        <file href=\"items/a.xml\"/></resource>\n\
        <resource identifier=\"b\" type=\"imsqti_item_xmlv2p1\"><file href=\"items/b%20old.xml\"/></resource>\n\
        <resource identifier=\"c\" type=\"imsqti_item_xmlv3p0\" href=\"items/missing.xml\"/>\n\
        <resource identifier=\"d\" type=\"imsqti_item_xmlv3p0\" href=\"./items/../items/essay.xml\"/>\n\
        <resource identifier=\"e\" type=\"imsqti_item_xmlv3p0\" href=\"items/broken.xml\"/>\n\
        <resource identifier=\"t\" type=\"imsqti_test_xmlv3p0\" href=\"test.xml\"/>\n\
        <resource identifier=\"w\" type=\"webcontent\" href=\"img/x.png\"/>\n";
    let essay = item_with("<qti-extended-text-interaction/>", "cardinality=\"single\"");
    let files = vec![
        ("pkg/imsmanifest.xml".to_string(), manifest(resources)),
        ("pkg/items/a.xml".to_string(), qti3_item()),
        ("pkg/items/b old.xml".to_string(), QTI21_ITEM.to_string()),
        ("pkg/items/essay.xml".to_string(), essay),
        (
            "pkg/items/broken.xml".to_string(),
            "<qti-assessment-item>\n<oops>".to_string(),
        ),
    ];
    let p = parse_package(&zip_files(&files)).unwrap();
    let entries: Vec<_> = p
        .questions
        .iter()
        .map(|q| q.entry.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(entries, ["pkg/items/a.xml", "pkg/items/b old.xml"]);
    let a = &p.questions[0];
    assert_eq!(a.category.as_deref(), Some("Anatomy/Upper limb"));
    assert_eq!(a.tags, ["topic:shoulder"]);
    assert_eq!(p.questions[1].line, 2);
    let skipped: Vec<_> = p
        .skipped
        .iter()
        .map(|s| {
            (
                s.entry.as_deref().unwrap_or(""),
                s.line,
                s.reason.split(':').next().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "pkg/items/missing.xml",
                0,
                "Line 6 of imsmanifest.xml lists pkg/items/missing.xml, but the package does not contain this file."
            ),
            ("pkg/items/essay.xml", 1, "Essay (extended text) question"),
            (
                "pkg/items/broken.xml",
                2,
                "The item's XML is broken (the file ends before <oops> is closed)."
            ),
        ]
    );
}

#[test]
fn refuses_what_is_not_a_package() {
    let e = parse_package(b"PK\x03\x04 not really").unwrap_err();
    assert_eq!(e.line, 0);
    assert!(
        e.message
            .starts_with("This is not a ZIP file: upload the QTI content package (.zip)")
    );
    let e = parse_package(&zip_files(&[("items/a.xml".into(), qti3_item())])).unwrap_err();
    assert!(e.message.contains("no imsmanifest.xml"), "{e:?}");
    let bad_manifest = zip_files(&[("imsmanifest.xml".into(), "<manifest>\n<resources>".into())]);
    assert!(
        parse_package(&bad_manifest)
            .unwrap_err()
            .message
            .starts_with("imsmanifest.xml is not readable XML")
    );
    let empty = zip_files(&[("imsmanifest.xml".into(), String::new())]);
    assert!(
        parse_package(&empty)
            .unwrap_err()
            .message
            .contains("no <manifest>")
    );
    let e = parse_package(manifest("").as_bytes()).unwrap_err();
    assert!(e.message.contains("manifest alone"), "{e:?}");
}

#[test]
fn a_single_item_file_is_read_on_its_own() {
    let mut bytes = b"\xEF\xBB\xBF\r\n".to_vec();
    bytes.extend(qti3_item().replace('\n', "\r\n").as_bytes());
    let p = parse_package(&bytes).unwrap();
    assert_eq!(p.questions.len(), 1);
    assert_eq!(p.questions[0].entry, None);
    assert_eq!(p.questions[0].line, 3);
    let p = parse_package(item_with("<qti-text-entry-interaction/>", "").as_bytes()).unwrap();
    assert_eq!(p.skipped.len(), 1);
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
            stem: "Piriformis — ‘syndrome’ 😀 <&\"'>\nSecond line\n\nNew paragraph".into(),
            choices: vec![
                choice("Sciatic <nerve> & \"artery\"", true, "Because <it> is & so"),
                choice("Femoral", false, ""),
                choice("Obturator 'n'", false, "No: it's medial.\nSee above."),
                choice("Tibial", false, "x"),
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
            name: Some("2D-014".into()),
            category: Some("A/B c".into()),
            stem: "Same name, no general feedback".into(),
            choices: vec![choice("a", false, ""), choice("b", true, "")],
            ..Default::default()
        },
        Question {
            name: Some("ünïcode / name".into()),
            category: None,
            stem: "No category, no correct option".into(),
            choices: (0..30)
                .map(|i| choice(&format!("option {i}"), false, ""))
                .collect(),
            ..Default::default()
        },
    ]
}

#[test]
fn written_packages_read_back_unchanged() {
    let questions = sample_questions();
    let bytes = write_package(&questions);
    assert_eq!(
        bytes,
        write_package(&questions),
        "the package is the same every time"
    );
    let p = parse_package(&bytes).unwrap();
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    let entries: Vec<_> = p
        .questions
        .iter()
        .map(|q| q.entry.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        entries,
        [
            "items/item-2D-014.xml",
            "items/item-2D-014-2.xml",
            "items/item--n-code---name.xml"
        ]
    );
    for (got, want) in p.questions.iter().zip(&questions) {
        assert_eq!(got.line, 2);
        let got = Question {
            line: 0,
            entry: None,
            ..got.clone()
        };
        assert_eq!(&got, want);
    }
    let unnamed = Question {
        name: None,
        ..questions[1].clone()
    };
    let p = parse_package(&write_package(&[unnamed])).unwrap();
    assert_eq!(p.questions[0].name.as_deref(), Some("item-1"));
    assert!(
        parse_package(&write_package(&[]))
            .unwrap()
            .questions
            .is_empty()
    );
}

/// See the Moodle XML test of the same name.
#[test]
fn an_ampersand_before_dashes_does_not_panic() {
    let item = item_with(&choice(""), "cardinality=\"single\"")
        .replace("<p>Stem</p>", "<p>R&amp;D——————</p>");
    let Ok(Item::Question(q)) = read_item(&item) else {
        panic!("not imported")
    };
    assert_eq!(q.stem, "R&D——————");
}

fn cases() -> u32 {
    crate::domain::bank::interchange::fuzz_cases()
}

/// A valid item with random characters inserted or deleted.
fn mutated_item() -> impl Strategy<Value = String> {
    let base = qti3_item() + QTI21_ITEM;
    let edits = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            any::<bool>(),
            "[<>/&;\"a-zé—😀= \n-]{0,3}",
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

/// A valid package with random bytes overwritten.
fn damaged_package() -> impl Strategy<Value = Vec<u8>> {
    let base = write_package(&sample_questions());
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8).prop_map(
        move |flips| {
            let mut b = base.clone();
            for (at, byte) in flips {
                let i = at.index(b.len());
                if let Some(x) = b.get_mut(i) {
                    *x = byte;
                }
            }
            b
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]
    #[test]
    fn fuzz_never_panics(s in "\\PC{0,400}") {
        let _ = read_item(&s);
        let _ = parse_package(s.as_bytes());
    }

    #[test]
    fn fuzz_never_panics_on_mutated_items(s in mutated_item()) {
        let _ = read_item(&s);
    }

    #[test]
    fn fuzz_never_panics_on_random_bytes(b in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_package(&b);
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(&b);
        let _ = parse_package(&zip);
    }

    #[test]
    fn fuzz_never_panics_on_damaged_packages(b in damaged_package()) {
        let _ = parse_package(&b);
    }
}
