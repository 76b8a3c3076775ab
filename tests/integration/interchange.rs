//! Instructors bring questions in (GIFT, CSV, …) with a preview first, and take them out in every
//! format: in the browser, the JSON API and the CLI.

use crate::db_tests;
use crate::helpers::{Client, Page, TestApp, upload_to};
use palpate::domain::accounts::Role;
use std::process::Command;

/// Two importable questions (one with a category naming sub-area 2.D), a true/false question on
/// line 12 and a three-option question on line 14.
const GIFT: &str = "// Palpate import test
$CATEGORY: $course$/top/Palpate/2.D

::Shoulder abduction::Which muscle initiates abduction of the arm at the shoulder?{
=Supraspinatus#It starts the first 15 degrees of abduction.
~Deltoid#The deltoid takes over after the first 15 degrees.
~Teres minor#It rotates the arm laterally.
~Subscapularis#It rotates the arm medially.
####Rotator cuff actions
}

::True or false::The trapezius elevates the scapula.{T}

::Three options::Which bone is lateral in the forearm?{=Radius ~Ulna ~Humerus}

$CATEGORY: $course$/top/Somewhere else

::No category::Which nerve supplies the deltoid muscle?{=Axillary nerve ~Radial nerve ~Median nerve ~Ulnar nerve}
";

async fn upload_gift(c: &Client, format: &str, bytes: Vec<u8>) -> Page {
    upload_to(
        c,
        "/bank/import",
        "/bank/import",
        &[("format", format)],
        Some(("file", "moodle-questions.gift.txt", bytes)),
    )
    .await
}

fn first_link(page: &Page, prefix: &str) -> String {
    let i = page
        .body
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in:\n{}", page.body));
    page.body[i..].split('"').next().unwrap().to_string()
}

async fn import_preview_confirm_and_export_in_the_browser(app: TestApp) {
    let teacher = app
        .logged_in("teacher@example.com", &[Role::Instructor])
        .await;

    // Wrong input is refused next to its field.
    let r = upload_gift(&teacher, "", GIFT.as_bytes().to_vec()).await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"format-error\">Choose the format of the file.");
    let r = upload_gift(
        &teacher,
        "gift",
        b"ok\nok\ncaf\xE9 question{=a ~b ~c ~d}".to_vec(),
    )
    .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Line 3: The file is not UTF-8 text.");
    r.assert_contains("<option value=\"gift\" selected>");

    // The preview: what will be imported, where, what still needs work, what will not and why.
    let r = upload_gift(&teacher, "gift", GIFT.as_bytes().to_vec()).await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let preview_url = r.location.clone().unwrap();
    let p = teacher.get(&preview_url).await;
    assert_eq!(p.status(), 200);
    p.assert_contains("2 questions can be imported, 2 cannot");
    p.assert_contains("Which muscle initiates abduction of the arm at the shoulder?");
    p.assert_contains("suggested: 2.D Locations, attachments and actions of muscles");
    p.assert_contains("line 12");
    p.assert_contains("True/false");
    p.assert_contains("line 14");
    p.assert_contains("exactly four options; this one has 3");
    p.assert_contains("Add at least one topic tag.");

    // Other people never see someone's pending import.
    let other = app
        .logged_in("other@example.com", &[Role::Instructor])
        .await;
    assert_eq!(other.get(&preview_url).await.status(), 404);
    let student = app.logged_in("student@example.com", &[Role::Student]).await;
    assert_eq!(student.get(&preview_url).await.status(), 403);

    // A ticked question with no sub-area is refused next to it, with the choices kept.
    let form = [
        ("include_0", "on"),
        ("subarea_0", "2.D"),
        ("include_1", "on"),
        ("subarea_1", ""),
        ("default_subarea", ""),
    ];
    let r = teacher.submit(&preview_url, &preview_url, &form).await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"subarea_1-error\">Choose the sub-area this question goes to");
    r.assert_contains("name=\"include_1\" value=\"on\" checked");

    let form = [
        ("include_0", "on"),
        ("subarea_0", "2.D"),
        ("include_1", "on"),
        ("subarea_1", ""),
        ("default_subarea", "2.E"),
    ];
    let r = teacher.submit(&preview_url, &preview_url, &form).await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let list = teacher.get(r.location.as_deref().unwrap()).await;
    list.assert_contains("Imported 2 questions as drafts.");
    list.assert_contains("Which nerve supplies the deltoid muscle?");
    list.assert_contains("2E-");
    // The pending import is gone once confirmed.
    assert_eq!(teacher.get(&preview_url).await.status(), 404);

    // The draft is the importer's, and cannot go to review before it is complete.
    let item_url = first_link(&list, "/bank/items/2D-");
    let item = teacher.get(&item_url).await;
    item.assert_contains("Supraspinatus");
    item.assert_contains("Draft");
    let r = teacher
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "submit")],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let item = teacher.get(&item_url).await;
    item.assert_contains("not ready for review");
    item.assert_contains("Give at least one topic tag");
    item.assert_contains("Draft");

    // The same file again: the question now in the bank is flagged and left unticked.
    let r = upload_gift(&teacher, "gift", GIFT.as_bytes().to_vec()).await;
    let p = teacher.get(r.location.as_deref().unwrap()).await;
    p.assert_contains("Looks like 2D-");
    p.assert_contains("name=\"include_0\" value=\"on\">");
    let r = teacher
        .submit(
            r.location.as_deref().unwrap(),
            &format!("{}/discard", r.location.as_deref().unwrap()),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);

    // Export: the file in each format, with what the bank holds.
    let r = teacher.get("/bank/export").await;
    r.assert_contains("Moodle XML");
    let gift = teacher.get("/bank/export?format=gift&status=draft").await;
    assert_eq!(gift.status(), 200);
    gift.assert_contains("Which muscle initiates abduction");
    gift.assert_contains("::2D-");
    let xml = teacher.get("/bank/export?format=moodle_xml").await;
    xml.assert_contains("<question type=\"multichoice\">");
    let qti = teacher
        .http
        .get(format!("{}/bank/export?format=qti3", teacher.base))
        .send()
        .await
        .unwrap();
    assert_eq!(qti.headers()["content-type"], "application/zip");
    assert!(qti.bytes().await.unwrap().starts_with(b"PK"));
    assert_eq!(teacher.get("/bank/export?format=pdf").await.status(), 422);
    assert_eq!(student.get("/bank/export?format=gift").await.status(), 403);
}

async fn import_and_export_through_the_api(app: TestApp) {
    app.user("api-teacher@example.com", &[Role::Instructor])
        .await;
    app.user("api-student@example.com", &[Role::Student]).await;
    let token = app.api_token("api-teacher@example.com").await;
    let student = app.api_token("api-student@example.com").await;
    let http = reqwest::Client::new();
    let csv = "stem,option_a,option_b,option_c,option_d,key,subarea,topics\n\
               Which application suits a fresh ankle sprain?,Moist heat,Ice over a thin barrier,Paraffin,Hot stones,B,4.D,cryotherapy\n\
               Which two?,a,b,c,d,Z,4.D,x\n";
    let post = |tok: &str, format: &str| {
        http.post(format!(
            "{}/api/v1/bank/imports?format={format}&file_name=class.csv",
            app.addr
        ))
        .bearer_auth(tok.to_string())
        .body(csv)
        .send()
    };
    assert_eq!(post(&student, "csv").await.unwrap().status(), 403);
    let r = post(&token, "pdf").await.unwrap();
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap());
    let r = post(&token, "csv").await.unwrap();
    assert_eq!(r.status(), 201);
    let preview: serde_json::Value = r.json().await.unwrap();
    assert_eq!(preview["items"][0]["subarea"], "4.D");
    assert_eq!(preview["items"][0]["key"], "B");
    assert_eq!(preview["not_imported"][0]["place"], "line 3");
    let id = preview["id"].as_str().unwrap();
    let r = http
        .post(format!("{}/api/v1/bank/imports/{id}/confirm", app.addr))
        .bearer_auth(&token)
        .json(&serde_json::json!({"choices": {"0": "9.Z"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "subarea_0");
    let r = http
        .post(format!("{}/api/v1/bank/imports/{id}/confirm", app.addr))
        .bearer_auth(&token)
        .json(&serde_json::json!({"choices": {"0": "4.D"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let new_id = created["created"][0].as_str().unwrap().to_string();
    assert!(new_id.starts_with("4D-"), "{created}");

    let r = http
        .get(format!(
            "{}/api/v1/bank/export?format=csv&status=draft",
            app.addr
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.starts_with("id,subarea,level"), "{text}");
    assert!(
        text.contains(&new_id) && text.contains("Ice over a thin barrier"),
        "{text}"
    );
}

db_tests!(
    import_preview_confirm_and_export_in_the_browser,
    import_and_export_through_the_api,
);

/// `palpate bank import --format gift FILE` prints JSON (and only JSON) on stdout, reports a bad
/// file as FILE:LINE, and with --author creates the drafts; `bank export --format` writes a file.
#[test]
fn cli_imports_and_exports_other_formats() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_palpate");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        Command::new(exe)
            .args(args)
            .env("PALPATE_DATA_DIR", dir.path())
            .env("PALPATE_DATABASE_URL", &db)
            .env("PALPATE_PASSWORD", "operator password")
            .env("PALPATE_LOG", "info")
            .output()
            .unwrap()
    };
    let file = dir.path().join("q.gift.txt");
    std::fs::write(&file, GIFT).unwrap();
    let f = file.to_str().unwrap();
    let out = run(&["bank", "import", "--format", "gift", f]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["questions"], 2);
    let lines: Vec<u64> = report["not_imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [12, 14]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nothing was created"));

    let bad = dir.path().join("bad.gift.txt");
    std::fs::write(&bad, b"ok\nok\ncaf\xE9").unwrap();
    let out = run(&["bank", "import", "--format", "gift", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.gift.txt:3: The file is not UTF-8"),
        "{stderr}"
    );

    let out = run(&[
        "users",
        "create",
        "--email",
        "t@example.com",
        "--name",
        "Terry Teacher",
        "--role",
        "instructor",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "bank",
        "import",
        "--format",
        "gift",
        f,
        "--author",
        "t@example.com",
        "--subarea",
        "2.E",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let created: Vec<&str> = report["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(created.len(), 2, "{report}");
    assert!(
        created.iter().any(|id| id.starts_with("2D-"))
            && created.iter().any(|id| id.starts_with("2E-"))
    );

    let out_dir = dir.path().join("out");
    let out = run(&[
        "bank",
        "export",
        "--format",
        "qti3",
        "--status",
        "draft",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let zip = std::fs::read(report["file"].as_str().unwrap()).unwrap();
    assert!(zip.starts_with(b"PK"));
}
