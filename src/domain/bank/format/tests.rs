use super::*;

const TAX: &str = include_str!("../../../../question_bank/taxonomy.toml");

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
        stem_problem("A client who has not eaten feels dizzy. What should the therapist do first?")
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
