//! `palpate bank …`: validate, lint, import, export and count the question bank.

use super::*;

fn print_problems(problems: &[crate::domain::bank::format::Problem]) {
    for p in problems {
        eprintln!("{p}");
    }
    eprintln!("{} problem(s); nothing was imported.", problems.len());
}

fn print_counts(title: &str, m: &std::collections::BTreeMap<String, usize>, total: usize) {
    println!("{title}:");
    for (k, v) in m {
        let pct = if total > 0 {
            100.0 * *v as f64 / total as f64
        } else {
            0.0
        };
        println!("  {k:<14} {v:>5}  {pct:>5.1}%");
    }
}

pub(super) async fn bank_command(cmd: BankCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        BankCommand::Validate { dir } => bank_validate(&dir),
        BankCommand::Lint { dir, json } => bank_lint(dir, json),
        BankCommand::Import {
            path,
            format,
            author,
            subarea,
        } => match format_arg(&format)? {
            None => bank_import(&path, settings).await,
            Some(f) => interchange::import(&path, f, author, subarea, settings).await,
        },
        BankCommand::Export {
            dir,
            format,
            area,
            status,
            author,
        } => match format_arg(&format)? {
            None => bank_export(&dir, settings).await,
            Some(f) => {
                let filter = crate::domain::bank::ItemFilter {
                    area,
                    status,
                    author,
                    ..Default::default()
                };
                interchange::export(&dir, f, filter, settings).await
            }
        },
        BankCommand::Stats { json } => bank_stats(json, settings).await,
    }
}

/// `--format`: `None` for Palpate's own bank folder.
fn format_arg(s: &str) -> anyhow::Result<Option<crate::domain::bank::interchange::Format>> {
    if s.eq_ignore_ascii_case("palpate") {
        return Ok(None);
    }
    crate::domain::bank::interchange::Format::parse(s)
        .map(Some)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "unknown format {s:?}: use palpate, gift, aiken, moodle_xml, qti3 or csv"
            )
        })
}

/// `palpate bank validate`: parses a bank folder and prints its problems or its counts.
fn bank_validate(dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let files = bank::read_dir(dir)?;
    let cards = bank::parse(&files).and_then(|b| {
        crate::domain::bank::flashcards::parse(&files, &b.taxonomy).map(|deck| (b, deck))
    });
    match cards {
        Ok((b, deck)) => {
            let s = bank::stats_of(b.items.iter().map(|i| (i.status.as_str(), &i.content)));
            println!(
                "{}: {} items and {} flashcards ({} muscles, {} landmarks, {} terms), no problems.",
                dir.display(),
                s.total,
                deck.len(),
                deck.muscles.len(),
                deck.landmarks.len(),
                deck.terms.len()
            );
            print_counts("key positions", &s.by_key, s.total);
            print_counts("areas", &s.by_area, s.total);
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            println!("{} problem(s).", problems.len());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `palpate bank lint`: prints the item-writing findings and the bank-level rates (or JSON).
fn bank_lint(dir: Option<PathBuf>, json: bool) -> anyhow::Result<ExitCode> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("question_bank"));
    let files = bank::read_dir(&dir)?;
    let report = crate::domain::bank::lint::lint_bank(&files).map_err(anyhow::Error::msg)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for f in report.errors.iter().chain(&report.warnings) {
            println!("{f}");
        }
        let b = &report.bank;
        println!(
            "{} items: {} error(s), {} warning(s), {} reviewed exception(s).",
            b.items,
            report.errors.len(),
            report.warnings.len(),
            report.accepted
        );
        println!(
            "key longest {:.1} %, key shortest {:.1} % (chance 25 %); keys at A/B/C/D {}; absolute words in {:.1} % of keys and {:.1} % of distractors; hedges in {:.1} % and {:.1} %",
            b.key_longest.rate * 100.0,
            b.key_shortest.rate * 100.0,
            b.key_position
                .values()
                .map(|r| format!("{:.1} %", r.rate * 100.0))
                .collect::<Vec<_>>()
                .join(" / "),
            b.absolute_in_keys * 100.0,
            b.absolute_in_distractors * 100.0,
            b.hedge_in_keys * 100.0,
            b.hedge_in_distractors * 100.0
        );
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `palpate bank import`: imports a valid bank folder into the database.
async fn bank_import(dir: &std::path::Path, mut settings: Settings) -> anyhow::Result<ExitCode> {
    let files = bank::read_dir(dir)?;
    let parsed = match bank::parse(&files) {
        Ok(b) => b,
        Err(problems) => {
            print_problems(&problems);
            return Ok(ExitCode::FAILURE);
        }
    };
    settings.import_bank_on_start = false;
    let state = startup::prepare(settings, Clock::system()).await?;
    let now = state.clock.now();
    let report = state
        .db(move |c| bank::import_blocking(c, &parsed, "palpate bank import", now))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "imported: {} new item(s), {} new version(s), {} status change(s), {} unchanged",
        report.created, report.new_versions, report.status_changes, report.unchanged
    );
    Ok(ExitCode::SUCCESS)
}

/// `palpate bank export`: writes the database's bank, with the shipped taxonomy files, to a folder.
async fn bank_export(dir: &std::path::Path, settings: Settings) -> anyhow::Result<ExitCode> {
    let state = startup::prepare(settings, Clock::system()).await?;
    let files = state
        .db(bank::export_blocking)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    std::fs::create_dir_all(dir.join("items"))?;
    for f in bank::shipped_files()
        .into_iter()
        .filter(|f| !f.path.starts_with("items/"))
    {
        std::fs::write(dir.join(&f.path), f.text)?;
    }
    for (path, text) in &files {
        std::fs::write(dir.join(path), text)?;
    }
    println!("wrote {} file(s) to {}", files.len(), dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `palpate bank stats`: counts the database's items (a table, or JSON).
async fn bank_stats(json: bool, settings: Settings) -> anyhow::Result<ExitCode> {
    let state = startup::prepare(settings, Clock::system()).await?;
    let s = state
        .db(bank::stats_blocking)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!("total items: {}", s.total);
        print_counts("areas", &s.by_area, s.total);
        print_counts("sub-areas", &s.by_subarea, s.total);
        print_counts("status", &s.by_status, s.total);
        print_counts("cognitive level", &s.by_level, s.total);
        print_counts("difficulty", &s.by_difficulty, s.total);
        print_counts("pillars", &s.by_pillar, s.total);
        print_counts("key positions", &s.by_key, s.total);
    }
    Ok(ExitCode::SUCCESS)
}
