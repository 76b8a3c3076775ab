//! `palpate bank import --format F FILE` and `palpate bank export --format F DIR`: questions in
//! other platforms' formats from the command line; `palpate classes …`: the classes they teach
//! with. Prints JSON (or CSV) on stdout; logs go to stderr.

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::bank::ItemFilter;
use crate::domain::bank::interchange::Format;
use crate::error::AppError;
use crate::services::{accounts, interchange};
use crate::startup;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn message(e: &AppError) -> String {
    match e {
        AppError::Fields(f) => f.0.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// Reads FILE; with `author` (an instructor's e-mail) creates the importable questions as their
/// drafts, each in its category's sub-area or `subarea`; without, only reports what it would do.
pub async fn import(
    path: &Path,
    format: Format,
    author: Option<String>,
    subarea: Option<String>,
    settings: Settings,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(path)?;
    let started = Instant::now();
    let parsed = match interchange::parse_upload(format, &bytes) {
        Ok(p) => p,
        Err(e) => {
            // "Line N: reason" → "FILE:N: reason", the form editors jump to.
            let m = message(&e);
            let m = m
                .strip_prefix("Line ")
                .and_then(|r| r.split_once(": "))
                .map(|(n, r)| format!("{}:{n}: {r}", path.display()))
                .unwrap_or_else(|| format!("{}: {m}", path.display()));
            eprintln!("{m}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let parse_s = started.elapsed().as_secs_f64();
    let not_imported: Vec<_> = parsed
        .skipped
        .iter()
        .map(|s| json!({"line": s.line, "entry": s.entry, "name": s.name, "reason": s.reason}))
        .collect();
    let mut report = json!({
        "format": format.as_str(),
        "file": path.display().to_string(),
        "bytes": bytes.len(),
        "questions": parsed.questions.len(),
        "not_imported": not_imported,
        "parse_s": parse_s,
    });
    let Some(email) = author else {
        eprintln!(
            "Nothing was created: give --author EMAIL (an instructor) to create these questions as drafts."
        );
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    };
    let state = startup::prepare(settings, Clock::system()).await?;
    let Some(user) = accounts::find_by_email(&state, email.trim().to_lowercase())
        .await
        .map_err(|e| anyhow::anyhow!(message(&e)))?
    else {
        eprintln!("No account has the e-mail address {email}.");
        return Ok(ExitCode::FAILURE);
    };
    let account = state
        .db(move |c| accounts::load_account(c, user.id))
        .await
        .map_err(|e| anyhow::anyhow!(message(&e)))?
        .ok_or_else(|| anyhow::anyhow!("the account {email} is gone"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let store_started = Instant::now();
    let outcome = async {
        account.require(crate::domain::accounts::Role::Instructor)?;
        let id = interchange::keep_parsed(&state, &account, format, &name, parsed).await?;
        let preview = interchange::preview(&state, &account, id.clone()).await?;
        let mut choices = BTreeMap::new();
        let mut unplaced = vec![];
        for it in &preview.items {
            match it.subarea.clone().or_else(|| subarea.clone()) {
                Some(code) => {
                    choices.insert(it.index, code);
                }
                None => unplaced.push(json!({"place": it.place, "name": it.name,
                    "reason": "No sub-area: the category names none; give --subarea CODE."})),
            }
        }
        let created = if choices.is_empty() {
            interchange::discard(&state, &account, id).await?;
            vec![]
        } else {
            interchange::confirm(&state, &account, id, choices).await?
        };
        Ok::<_, AppError>((created, unplaced))
    }
    .await;
    match outcome {
        Ok((created, unplaced)) => {
            report["created"] = json!(created);
            report["unplaced"] = json!(unplaced);
            report["store_s"] = json!(store_started.elapsed().as_secs_f64());
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{}", message(&e));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Writes the items matching the filter to DIR in `format`; prints the file written as JSON.
pub async fn export(
    dir: &Path,
    format: Format,
    filter: ItemFilter,
    settings: Settings,
) -> anyhow::Result<ExitCode> {
    let state = startup::prepare(settings, Clock::system()).await?;
    let bytes = interchange::export(&state, filter, format)
        .await
        .map_err(|e| anyhow::anyhow!(message(&e)))?;
    std::fs::create_dir_all(dir)?;
    let file = dir.join(format.file_name());
    std::fs::write(&file, &bytes)?;
    println!(
        "{}",
        serde_json::to_string_pretty(
            &json!({"format": format.as_str(), "file": file.display().to_string(), "bytes": bytes.len()})
        )?
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Subcommand)]
pub enum ClassesCommand {
    /// Every class: id, name, term, exam (JSON).
    List,
    /// A class's gradebook: JSON, or CSV with --csv (current members, their work since joining).
    Gradebook {
        /// The class's number (from `palpate classes list`).
        id: i64,
        #[arg(long)]
        csv: bool,
    },
}

pub async fn classes_command(cmd: ClassesCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let state = startup::prepare(settings, Clock::system()).await?;
    let fail = |e: AppError| anyhow::anyhow!(message(&e));
    match cmd {
        ClassesCommand::List => {
            let list = crate::services::classes::all_classes(&state)
                .await
                .map_err(fail)?;
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        ClassesCommand::Gradebook { id, csv } => {
            let g = match crate::services::classes::gradebook_for_operator(&state, id).await {
                Ok(g) => g,
                Err(e) => {
                    eprintln!("{}", message(&e));
                    return Ok(ExitCode::FAILURE);
                }
            };
            if csv {
                print!(
                    "{}",
                    crate::services::classes::gradebook_csv(&g).map_err(fail)?
                );
            } else {
                println!("{}", serde_json::to_string_pretty(&g)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
