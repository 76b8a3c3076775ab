//! `palpate calibrate`: the command-line contract (JSON on stdout, clear messages for bad input).

use std::process::Command;

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_palpate"))
        .args(args)
        .env("PALPATE_DATA_DIR", dir)
        .output()
        .unwrap()
}

/// Answers of 400 people to 6 items of rising difficulty (deterministic pseudo-random draws).
fn responses() -> serde_json::Value {
    let mut rows = vec![];
    for p in 0..400 {
        let theta = -2.0 + 4.0 * ((p * 37) % 400) as f64 / 400.0;
        for i in 0..6 {
            let b = -1.25 + 0.5 * i as f64;
            let prob = 1.0 / (1.0 + (-(theta - b)).exp());
            // A person answers right when the model's chance beats a pseudo-random draw.
            let mut x = (p * 1_000_003 + i * 7_919 + 12_345) as u64;
            for _ in 0..3 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
            }
            let draw = (x >> 33) as f64 / (1u64 << 31) as f64;
            rows.push(serde_json::json!({"person": format!("p{p}"), "item": format!("Q{i}"), "correct": draw < prob}));
        }
    }
    serde_json::json!({ "responses": rows })
}

#[test]
fn calibrate_prints_the_contract_as_json_and_refuses_bad_input_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.json");
    std::fs::write(&r, responses().to_string()).unwrap();
    let r = r.to_str().unwrap();
    let out = run(
        dir.path(),
        &["calibrate", "--responses", r, "--model", "2pl", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is only JSON");
    for key in [
        "model",
        "items",
        "iterations",
        "converged",
        "log_likelihood",
        "wall_time_s",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["model"], "2pl");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    for key in ["id", "a", "b", "c", "se_a", "se_b", "se_c", "n", "fit"] {
        assert!(items[0].get(key).is_some(), "{key} missing in {}", items[0]);
    }
    // Difficulty rises with the item number, as generated.
    let b: Vec<f64> = (0..6)
        .map(|i| {
            items.iter().find(|x| x["id"] == format!("Q{i}")).unwrap()["b"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(b.windows(2).all(|w| w[0] < w[1]), "{b:?}");

    // Anchors that do not appear, answers that are not true/false, an unknown model.
    let a = dir.path().join("a.json");
    std::fs::write(
        &a,
        r#"{"items": [{"id": "Z9", "a": 1.0, "b": 0.0, "c": 0.0}]}"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"responses": [{"person": "p", "item": "Q", "correct": 1}]}"#,
    )
    .unwrap();
    for (args, says) in [
        (
            vec![
                "calibrate",
                "--responses",
                r,
                "--anchor",
                a.to_str().unwrap(),
            ],
            "anchor item \"Z9\" has no responses",
        ),
        (
            vec!["calibrate", "--responses", bad.to_str().unwrap()],
            "expected a boolean",
        ),
        (
            vec!["calibrate", "--responses", r, "--model", "4pl"],
            "--model must be 2pl or 3pl",
        ),
    ] {
        let out = run(dir.path(), &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty());
    }
}
