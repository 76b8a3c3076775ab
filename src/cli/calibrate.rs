//! `palpate calibrate`: reads the responses and anchors files, runs the calibration, prints it.

use std::process::ExitCode;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponsesFile {
    responses: Vec<ResponseRow>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseRow {
    person: serde_json::Value,
    item: serde_json::Value,
    correct: bool,
}

#[derive(serde::Deserialize)]
struct AnchorFile {
    items: Vec<AnchorRow>,
}

#[derive(serde::Deserialize)]
struct AnchorRow {
    id: serde_json::Value,
    a: f64,
    b: f64,
    #[serde(default)]
    c: f64,
}

/// An id given as a string or a number, as text.
fn id_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn calibrate_command(
    responses: &std::path::Path,
    model: &str,
    anchor: Option<&std::path::Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use crate::domain::irt::calibrate::{Anchor, Model, Response, calibrate};
    let model = match model {
        "2pl" | "2PL" => Model::TwoPl,
        "3pl" | "3PL" => Model::ThreePl,
        other => anyhow::bail!("--model must be 2pl or 3pl, not {other:?}"),
    };
    let text = std::fs::read_to_string(responses)
        .map_err(|e| anyhow::anyhow!("{}: {e}", responses.display()))?;
    let file: ResponsesFile = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (expected {{\"responses\": [{{\"person\", \"item\", \"correct\": true or false}}]}})",
            responses.display()
        )
    })?;
    let rows: Vec<Response> = file
        .responses
        .iter()
        .map(|r| Response {
            person: id_text(&r.person),
            item: id_text(&r.item),
            correct: r.correct,
        })
        .collect();
    let anchors: Vec<Anchor> = match anchor {
        None => vec![],
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            let f: AnchorFile = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: {e} (expected {{\"items\": [{{\"id\", \"a\", \"b\", \"c\"}}]}})",
                    p.display()
                )
            })?;
            f.items
                .iter()
                .map(|i| Anchor {
                    id: id_text(&i.id),
                    a: i.a,
                    b: i.b,
                    c: i.c,
                })
                .collect()
        }
    };
    let started = std::time::Instant::now();
    let cal = calibrate(&rows, &anchors, model, 500, |it, ll| {
        if it % 10 == 0 {
            eprintln!("calibrate: iteration {it}, log-likelihood {ll:.1}");
        }
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let wall = started.elapsed().as_secs_f64();
    if json {
        let mut v = serde_json::to_value(&cal)?;
        v["wall_time_s"] = serde_json::json!(wall);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{} items, {} iterations{}, log-likelihood {:.1}, {wall:.2} s",
            cal.items.len(),
            cal.iterations,
            if cal.converged {
                ""
            } else {
                " (not converged)"
            },
            cal.log_likelihood
        );
        for i in &cal.items {
            println!(
                "{:<16} a {:6.3}  b {:7.3}  c {:5.3}  n {:6}  fit {:.3}{}",
                i.id,
                i.a,
                i.b,
                i.c,
                i.n,
                i.fit,
                if i.anchored { "  (anchor)" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `palpate calibrate --stored`: calibrates the answers in the database, stores the run and prints
/// it as JSON.
pub(super) async fn stored_command(settings: crate::config::Settings) -> anyhow::Result<ExitCode> {
    use crate::services::calibration::{self, Source};
    let state = crate::startup::prepare(settings, crate::clock::Clock::system()).await?;
    let summary = calibration::run(&state, Source::Command, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(ExitCode::SUCCESS)
}
