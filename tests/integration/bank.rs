//! The question bank: the shipped bank is valid and big enough; import is all-or-nothing,
//! idempotent and versioned; export round-trips; the CLI reports problems by file and line.

use crate::db_tests;
use crate::helpers::{TestApp, test_settings};
use palpate::domain::bank::format::SourceFile;
use palpate::services::bank;
use std::process::Command;

#[test]
fn shipped_bank_is_valid_and_covers_the_blueprint() {
    let parsed = bank::parse(&bank::shipped_files());
    let b = match parsed {
        Ok(b) => b,
        Err(problems) => panic!(
            "shipped bank has problems:\n{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    let stats = bank::stats_of(b.items.iter().map(|i| (i.status.as_str(), &i.content)));
    let approved: Vec<_> = b
        .items
        .iter()
        .filter(|i| i.status == palpate::domain::bank::Status::Approved)
        .collect();
    assert!(
        approved.len() >= 1200,
        "the bank needs at least 1,200 approved items, has {}",
        approved.len()
    );
    for sub in b.taxonomy.areas.iter().flat_map(|a| a.subareas.iter()) {
        let n = approved
            .iter()
            .filter(|i| i.content.subarea == sub.code)
            .count();
        assert!(
            n >= 20,
            "sub-area {} has {n} approved items; at least 20",
            sub.code
        );
    }
    let area_of = |i: &&palpate::domain::bank::Item| i.content.subarea[..1].to_string();
    let mblex = bank::blueprints().iter().find(|b| b.id == "mblex").unwrap();
    for (area, weight) in &mblex.weights {
        let n = approved.iter().filter(|i| area_of(i) == *area).count();
        let share = n as f64 / approved.len() as f64;
        assert!(
            (share - weight).abs() <= 0.01,
            "area {area}: {share:.3} of the bank vs MBLEx weight {weight} (within 1 point)"
        );
    }
    // The NCBTMB form (140 questions by its outline) can be drawn from the approved items.
    let ncbtmb = bank::blueprints()
        .iter()
        .find(|b| b.id == "ncbtmb")
        .unwrap();
    for (area, weight) in &ncbtmb.weights {
        let n = approved.iter().filter(|i| area_of(i) == *area).count();
        let needed = (140.0 * weight).ceil() as usize;
        assert!(
            n >= 2 * needed,
            "area {area}: {n} items for {needed} NCBTMB questions"
        );
    }
    for key in ["A", "B", "C", "D"] {
        let share = stats.by_key[key] as f64 / stats.total as f64;
        assert!(
            (0.20..=0.30).contains(&share),
            "key {key} is the answer for {share:.3} of items; keep keys balanced"
        );
    }
}

/// The clinical topics the bank promises, each with at least five application or analysis items.
#[test]
fn shipped_bank_covers_the_medical_massage_topics() {
    let b = bank::parse(&bank::shipped_files()).unwrap();
    let topics = [
        "tmj disorders",
        "plantar fasciitis",
        "whiplash-associated disorders",
        "thoracic outlet syndrome",
        "carpal tunnel syndrome",
        "piriformis syndrome",
        "adhesive capsulitis",
        "fibromyalgia",
        "lymphedema",
        "manual lymphatic drainage",
        "scar tissue",
        "post-surgical",
        "tension-type headache",
        "low back pain",
        "rotator cuff tendinopathy",
        "lateral epicondylalgia",
        "oncology",
        "prenatal",
        "geriatric",
        "dvt",
        "trigger point therapy",
        "myofascial release",
        "neuromuscular therapy",
        "positional release",
        "muscle energy technique",
        "cross-fiber friction",
        "sports massage",
        "craniosacral therapy",
        "reflexology",
        "physician referral",
        "treatment plans",
        "soap notes",
        "hipaa",
        "insurance billing",
        "cpt codes",
        "scope of practice",
        "medical massage",
        "tens and ultrasound",
        "hot and cold",
    ];
    use palpate::domain::bank::{Level, Status};
    let mut short = vec![];
    for t in topics {
        let n = b
            .items
            .iter()
            .filter(|i| i.status == Status::Approved && i.content.level != Level::Recall)
            .filter(|i| i.content.topics.iter().any(|x| x.eq_ignore_ascii_case(t)))
            .count();
        if n < 5 {
            short.push(format!("{t}: {n}"));
        }
    }
    assert!(
        short.is_empty(),
        "topics under five application/analysis items: {short:?}"
    );
}

/// The shipped bank lints without errors (cueing flaws a machine can find).
#[test]
fn shipped_bank_lints_without_errors() {
    let report = palpate::domain::bank::lint::lint_bank(&bank::shipped_files()).unwrap();
    assert!(
        report.errors.is_empty(),
        "{}",
        report
            .errors
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `palpate bank lint --json` and `palpate bank stats --json` print only JSON on stdout.
#[test]
fn bank_commands_print_only_json() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["bank", "lint", "question_bank", "--json"],
        vec!["bank", "stats", "--json"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_palpate"))
            .args(&args)
            .env("PALPATE_DATA_DIR", dir.path())
            .env(
                "PALPATE_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("p.db").display()),
            )
            .env("PALPATE_LOG", "info")
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        serde_json::from_str::<serde_json::Value>(&stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}):\n{stdout}"));
    }
}

fn small_bank(stem_suffix: &str, status: Option<&str>) -> Vec<SourceFile> {
    let shipped = bank::shipped_files();
    let mut files: Vec<SourceFile> = shipped
        .into_iter()
        .filter(|f| !f.path.starts_with("items/"))
        .collect();
    let status_line = status
        .map(|s| format!("status = \"{s}\"\n"))
        .unwrap_or_default();
    let mut text = String::from("subarea = \"4.D\"\n");
    for n in 1..=3 {
        text.push_str(&format!(
            r#"
[[item]]
id = "T4D-00{n}"
{status_line}level = "application"
difficulty = "easy"
pillars = ["techniques"]
topics = ["cryotherapy"]
stem = "A soccer player sprained an ankle ten minutes ago. Which application is most appropriate now (case {n}){stem_suffix}?"
key = "C"
reference = "Cryotherapy in acute injury"
author = "test"
enemies = []

[item.options]
A = "Moist heat pack"
B = "Paraffin dip"
C = "Ice pack with a barrier"
D = "Hot stone placement"

[item.rationales]
A = "Heat increases bleeding and swelling in an acute injury."
B = "Paraffin is heat: wrong in the acute phase."
C = "Cold limits swelling and pain right after an acute injury."
D = "Heat again, and pressure on an injured joint."
"#
        ));
    }
    files.push(SourceFile {
        path: "items/4.D-test.toml".into(),
        text,
    });
    files
}

async fn import_is_idempotent_and_versioned(app: TestApp) {
    let b1 = bank::parse(&small_bank("", None)).unwrap();
    let now = app.clock.now();
    let first = app
        .state
        .db({
            let b = b1.clone();
            move |c| bank::import_blocking(c, &b, "test", now)
        })
        .await
        .unwrap();
    assert_eq!(first.created, 3);
    let again = app
        .state
        .db({
            let b = b1.clone();
            move |c| bank::import_blocking(c, &b, "test", now)
        })
        .await
        .unwrap();
    assert_eq!(
        again,
        bank::ImportReport {
            unchanged: 3,
            ..Default::default()
        },
        "a re-import changes nothing"
    );

    let b2 = bank::parse(&small_bank(" today", None)).unwrap();
    let changed = app
        .state
        .db(move |c| bank::import_blocking(c, &b2, "test", now))
        .await
        .unwrap();
    assert_eq!(changed.new_versions, 3);
    let versions = app
        .state
        .db(|c| Ok(palpate::store::bank::versions_of(c, "T4D-001")?))
        .await
        .unwrap();
    assert_eq!(versions.len(), 2, "the old version is kept");
    assert_eq!(versions[0].version, 2);
    assert_eq!(versions[1].status, "superseded");
    let item = app
        .state
        .db(|c| Ok(palpate::store::bank::find_item(c, "T4D-001")?))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.live_version, Some(2));

    let b3 = bank::parse(&small_bank(" today", Some("retired"))).unwrap();
    let retired = app
        .state
        .db(move |c| bank::import_blocking(c, &b3, "test", now))
        .await
        .unwrap();
    assert_eq!(retired.status_changes, 3);
    let stats = app.state.db(bank::stats_blocking).await.unwrap();
    assert_eq!(stats.by_status.get("retired"), Some(&3));
    assert_eq!(stats.total, 3, "retiring never deletes");
}

async fn export_then_import_is_lossless(app: TestApp) {
    let b = bank::parse(&small_bank("", None)).unwrap();
    let now = app.clock.now();
    app.state
        .db({
            let b = b.clone();
            move |c| bank::import_blocking(c, &b, "test", now)
        })
        .await
        .unwrap();
    let exported = app.state.db(bank::export_blocking).await.unwrap();
    let mut files: Vec<SourceFile> = bank::shipped_files()
        .into_iter()
        .filter(|f| !f.path.starts_with("items/"))
        .collect();
    files.extend(
        exported
            .into_iter()
            .map(|(path, text)| SourceFile { path, text }),
    );
    let back = bank::parse(&files).unwrap();
    assert_eq!(back.items, b.items);
    let report = app
        .state
        .db(move |c| bank::import_blocking(c, &back, "test", now))
        .await
        .unwrap();
    assert_eq!(report.unchanged, 3);
}

db_tests!(
    import_is_idempotent_and_versioned,
    export_then_import_is_lossless
);

fn write_bank(dir: &std::path::Path, files: &[SourceFile]) {
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &f.text).unwrap();
    }
}

#[test]
fn cli_validate_and_import_refuse_a_bad_bank_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bank_dir = dir.path().join("bank");
    let mut files = small_bank("", None);
    let last = files.len() - 1;
    files[last].text = files[last].text.replacen("key = \"C\"", "key = \"Z\"", 1);
    write_bank(&bank_dir, &files);
    let exe = env!("CARGO_BIN_EXE_palpate");
    let out = Command::new(exe)
        .args(["bank", "validate"])
        .arg(&bank_dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("items/4.D-test.toml:10: T4D-001: key: \"Z\" is not A, B, C or D"),
        "{stdout}"
    );

    // Import: nothing at all goes in.
    let settings = test_settings(
        dir.path(),
        format!("sqlite://{}", dir.path().join("cli.db").display()),
    );
    let run = |args: &[&str]| {
        Command::new(exe)
            .args(args)
            .env("PALPATE_DATA_DIR", dir.path())
            .env("PALPATE_DATABASE_URL", &settings.database_url)
            .env("PALPATE_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&["bank", "import", bank_dir.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was imported"));
    write_bank(&bank_dir, &small_bank("", None));
    let out = run(&["bank", "import", bank_dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 new item(s)"));
    let out = run(&["bank", "stats", "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // `bank import` does not load the shipped bank first: the count is the three items imported.
    assert_eq!(stats["total"], 3);
    assert_eq!(stats["by_area"]["4"], 3);
    assert_eq!(stats["by_key"]["C"], 3);
}
