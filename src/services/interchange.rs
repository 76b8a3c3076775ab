//! Importing and exporting questions in other platforms' formats (GIFT, Aiken, Moodle XML,
//! QTI 3.0, CSV; see [`crate::domain::bank::interchange`]).
//!
//! An import is two steps. `start_import` reads the upload and keeps what it parsed as a pending
//! import of the instructor's; `preview` shows every question with the sub-area it will go to, the
//! work it still needs and any near-identical item; `confirm` creates the chosen questions as
//! drafts authored by the importer, which then go through review like any other.

use super::AppState;
use super::accounts::Account;
use super::bank::{self as bankops, content_of, taxonomy};
use crate::domain::bank::interchange::{
    self as ic, FileError, Format, Parsed, Question, Skipped, suggest,
};
use crate::domain::bank::{Item, ItemContent, KEYS, Status};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{DbConn, bank as db, imports};
use serde::Serialize;
use std::collections::BTreeMap;

/// Uploads larger than this are refused (a 5,000-question GIFT file is about 5 MB).
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;

/// One question of an import preview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewItem {
    /// Position in the import (what `confirm` refers to).
    pub index: usize,
    /// Where it starts: "line 12" or "items/q3.xml, line 4".
    pub place: String,
    pub name: Option<String>,
    pub stem: String,
    pub options: Vec<String>,
    /// A–D.
    pub key: String,
    pub category: Option<String>,
    /// The sub-area it will go to unless the instructor chooses another (code, e.g. "2.D").
    pub subarea: Option<String>,
    /// The suggested sub-area's label ("2.D Muscle actions").
    pub subarea_label: Option<String>,
    /// What the draft still needs before it can be submitted for review.
    pub todo: Vec<String>,
    /// An existing item (id) or an earlier question of this file it nearly repeats.
    pub duplicate_of: Option<String>,
}

/// A question the file holds that will not be imported.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotImported {
    pub place: String,
    pub name: Option<String>,
    pub excerpt: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportPreview {
    pub id: String,
    pub format: String,
    pub format_label: String,
    pub file_name: String,
    pub items: Vec<PreviewItem>,
    pub not_imported: Vec<NotImported>,
    pub duplicates: usize,
}

/// Where in the upload a question is: "item3.xml, line 4"; a whole-file entry (line 0) by its name.
fn place(line: usize, entry: Option<&str>) -> String {
    match (entry, line) {
        (Some(e), 0) => e.to_string(),
        (Some(e), _) => format!("{e}, line {line}"),
        (None, 0) => "the whole file".to_string(),
        (None, _) => format!("line {line}"),
    }
}

fn file_error(e: FileError) -> AppError {
    let msg = if e.line > 0 {
        format!("Line {}: {}", e.line, e.message)
    } else {
        e.message
    };
    AppError::invalid("file", msg)
}

/// Parses an upload; questions Palpate cannot take are moved to the skipped list with the reason.
pub fn parse_upload(format: Format, bytes: &[u8]) -> AppResult<Parsed> {
    if bytes.len() > MAX_UPLOAD {
        return Err(AppError::invalid(
            "file",
            format!("The file is larger than {} MB.", MAX_UPLOAD / 1024 / 1024),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::invalid("file", "The file is empty."));
    }
    if format == Format::Csv && bytes.starts_with(b"PK\x03\x04") {
        return Err(AppError::invalid(
            "file",
            "This file is a ZIP archive, such as an Excel workbook, not a CSV file. In Excel choose File › Save As › \"CSV UTF-8\", and upload that file.",
        ));
    }
    if format != Format::Qti3 && bytes.starts_with(b"PK\x03\x04") {
        return Err(AppError::invalid(
            "file",
            format!(
                "This file is a ZIP archive, not {}. Choose \"{}\" as the format, or upload the file itself rather than a ZIP of it.",
                format.label(),
                Format::Qti3.label()
            ),
        ));
    }
    let parsed = ic::parse(format, bytes).map_err(file_error)?;
    let mut out = Parsed {
        questions: vec![],
        skipped: parsed.skipped,
    };
    for q in parsed.questions {
        match ic::refusal(&q) {
            Some(reason) => out.skipped.push(Skipped {
                line: q.line,
                entry: q.entry.clone(),
                name: q.name.clone(),
                excerpt: ic::text::excerpt(&q.stem),
                reason,
            }),
            None => out.questions.push(q),
        }
    }
    out.skipped
        .sort_by(|a, b| (&a.entry, a.line).cmp(&(&b.entry, b.line)));
    Ok(out)
}

/// Reads an upload and keeps it as a pending import of `user`; returns its id.
#[tracing::instrument(level = "debug", skip_all, fields(format = format.as_str(), bytes = bytes.len()))]
pub async fn start_import(
    state: &AppState,
    user: &Account,
    format: Format,
    file_name: &str,
    bytes: Vec<u8>,
) -> AppResult<String> {
    let parsed = tokio::task::spawn_blocking(move || parse_upload(format, &bytes))
        .await
        .map_err(AppError::internal)??;
    keep_parsed(state, user, format, file_name, parsed).await
}

/// Keeps an already parsed file as a pending import of `user`; returns its id.
pub async fn keep_parsed(
    state: &AppState,
    user: &Account,
    format: Format,
    file_name: &str,
    parsed: Parsed,
) -> AppResult<String> {
    if parsed.questions.is_empty() && parsed.skipped.is_empty() {
        return Err(AppError::invalid(
            "file",
            format!(
                "No questions were found in this file. Is it really {}?",
                format.label()
            ),
        ));
    }
    let payload = serde_json::to_string(&parsed).map_err(AppError::internal)?;
    let id = uuid::Uuid::new_v4().to_string();
    let row = imports::ImportRow {
        id: id.clone(),
        user_id: user.id,
        format: format.as_str().into(),
        file_name: file_name.chars().take(200).collect(),
        payload,
        created_at: state.clock.now(),
    };
    let stale = state.clock.now() - time::Duration::days(7);
    state
        .tx(move |c| {
            imports::delete_older_than(c, stale)?;
            Ok(imports::insert(c, &row)?)
        })
        .await?;
    Ok(id)
}

fn load(c: &mut DbConn, id: &str, user_id: i64) -> AppResult<(imports::ImportRow, Parsed)> {
    let row = imports::find(c, id, user_id)?.ok_or_else(|| {
        AppError::NotFound("This import was confirmed, discarded or never started.".into())
    })?;
    let parsed: Parsed = serde_json::from_str(&row.payload)
        .map_err(|e| AppError::internal(anyhow::anyhow!("import {id}: stored payload: {e}")))?;
    Ok((row, parsed))
}

fn subarea_label(code: &str) -> Option<String> {
    taxonomy()
        .subarea(code)
        .map(|(_, s)| format!("{} {}", s.code, s.name))
}

/// The preview of a pending import of `user`.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn preview(state: &AppState, user: &Account, id: String) -> AppResult<ImportPreview> {
    let uid = user.id;
    let author = user.name.clone();
    state
        .db(move |c| {
            let (row, parsed) = load(c, &id, uid)?;
            let known: Vec<(String, String)> = db::all_latest(c)?
                .into_iter()
                .filter_map(|(i, v)| content_of(&v).ok().map(|ct| (i.id, ct.stem)))
                .collect();
            Ok(build_preview(row, parsed, &known, &author))
        })
        .await
}

fn build_preview(
    row: imports::ImportRow,
    parsed: Parsed,
    known: &[(String, String)],
    author: &str,
) -> ImportPreview {
    let stems: Vec<String> = parsed.questions.iter().map(|q| q.stem.clone()).collect();
    let places: Vec<String> = parsed
        .questions
        .iter()
        .map(|q| place(q.line, q.entry.as_deref()))
        .collect();
    let dups = suggest::near_duplicates(known, &stems, |n| {
        let q = &parsed.questions[n];
        match (q.line, &q.entry) {
            (0, None) => "another question of this file".to_string(),
            _ => format!("the question at {} of this file", places[n]),
        }
    });
    let items: Vec<PreviewItem> = parsed
        .questions
        .iter()
        .zip(dups)
        .enumerate()
        .map(|(index, (q, duplicate_of))| {
            let subarea = q
                .category
                .as_deref()
                .and_then(|cat| suggest::subarea_for(taxonomy(), cat));
            let todo = ic::to_content(q, subarea.as_deref().unwrap_or(""), author)
                .map(|(_, t)| t)
                .unwrap_or_default();
            PreviewItem {
                index,
                place: places[index].clone(),
                name: q.name.clone(),
                stem: q.stem.clone(),
                options: q.choices.iter().map(|c| c.text.clone()).collect(),
                key: q
                    .choices
                    .iter()
                    .position(|c| c.correct)
                    .map(|i| KEYS[i.min(3)].to_string())
                    .unwrap_or_default(),
                category: q.category.clone(),
                subarea_label: subarea.as_deref().and_then(subarea_label),
                subarea,
                todo,
                duplicate_of,
            }
        })
        .collect();
    let duplicates = items.iter().filter(|i| i.duplicate_of.is_some()).count();
    let format = Format::parse(&row.format).unwrap_or(Format::Gift);
    ImportPreview {
        id: row.id,
        format: format.as_str().into(),
        format_label: format.label().into(),
        file_name: row.file_name,
        items,
        not_imported: parsed
            .skipped
            .into_iter()
            .map(|s| NotImported {
                place: place(s.line, s.entry.as_deref()),
                name: s.name,
                excerpt: s.excerpt,
                reason: s.reason,
            })
            .collect(),
        duplicates,
    }
}

/// Creates the chosen questions of a pending import as drafts authored by `user`, in one
/// transaction, and removes the pending import. `choices` maps a question's index to the sub-area
/// code it goes to; questions without an entry (or with an empty code) are not imported.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id, n = choices.len()))]
pub async fn confirm(
    state: &AppState,
    user: &Account,
    id: String,
    choices: BTreeMap<usize, String>,
) -> AppResult<Vec<String>> {
    let (clock, uid, name) = (state.clock.clone(), user.id, user.name.clone());
    let ids = state
        .tx(move |c| {
            let (_, parsed) = load(c, &id, uid)?;
            let drafts = chosen_drafts(&parsed.questions, &choices, &name)?;
            let now = clock.now();
            let mut next: BTreeMap<String, u32> = BTreeMap::new();
            let mut ids = Vec::with_capacity(drafts.len());
            for content in drafts {
                let item_id = next_free_id(c, &mut next, &content.subarea)?;
                db::insert_item(
                    c,
                    &item_id,
                    &content.subarea,
                    content.area(),
                    Status::Draft.as_str(),
                    None,
                    Some(uid),
                    now,
                )?;
                bankops::store_version(
                    c,
                    &item_id,
                    1,
                    Status::Draft.as_str(),
                    &content,
                    Some(uid),
                    now,
                )?;
                db::insert_event(
                    c,
                    &item_id,
                    1,
                    Some(uid),
                    &name,
                    "imported as draft",
                    None,
                    now,
                )?;
                ids.push(item_id);
            }
            imports::delete(c, &id)?;
            Ok(ids)
        })
        .await?;
    Ok(ids)
}

fn chosen_drafts(
    questions: &[Question],
    choices: &BTreeMap<usize, String>,
    author: &str,
) -> AppResult<Vec<ItemContent>> {
    let mut errors = FieldErrors::default();
    let mut out = vec![];
    for (&index, code) in choices {
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        let field = format!("subarea_{index}");
        let Some(q) = questions.get(index) else {
            errors.add(&field, "This question is not part of the import.");
            continue;
        };
        if taxonomy().subarea(code).is_none() {
            errors.add(&field, "Choose the sub-area this question goes to.");
            continue;
        }
        // Enemies name items of the exporting bank; they are not kept across banks.
        match ic::to_content(q, code, author) {
            Ok((mut content, _)) => {
                content.enemies.clear();
                content.author = author.to_string();
                out.push(content)
            }
            Err(reason) => errors.add(&field, reason),
        }
    }
    errors.into_result()?;
    if out.is_empty() {
        return Err(AppError::invalid(
            "choices",
            "Choose at least one question to import.",
        ));
    }
    Ok(out)
}

/// The next free id of a sub-area within one transaction ("2D-0NN"), remembering what it handed out.
fn next_free_id(
    c: &mut DbConn,
    next: &mut BTreeMap<String, u32>,
    subarea: &str,
) -> AppResult<String> {
    let n = match next.get(subarea) {
        Some(n) => *n,
        None => bankops::highest_number(c, subarea)? + 1,
    };
    next.insert(subarea.to_string(), n + 1);
    Ok(bankops::item_id(subarea, n))
}

/// Discards a pending import of `user`.
pub async fn discard(state: &AppState, user: &Account, id: String) -> AppResult<()> {
    let uid = user.id;
    state
        .tx(move |c| {
            load(c, &id, uid)?;
            imports::delete(c, &id)?;
            Ok(())
        })
        .await
}

/// The items matching `filter` (their latest versions) written in `format`.
#[tracing::instrument(level = "debug", skip_all, fields(format = format.as_str()))]
pub async fn export(state: &AppState, filter: db::Filter, format: Format) -> AppResult<Vec<u8>> {
    let items = state
        .db(move |c| {
            let (rows, _) = db::search(c, &filter, 1_000_000, 0)?;
            rows.into_iter()
                .map(|(i, v)| {
                    Ok(Item {
                        status: Status::parse(&i.status).unwrap_or(Status::Draft),
                        content: content_of(&v)?,
                        id: i.id,
                    })
                })
                .collect::<AppResult<Vec<Item>>>()
        })
        .await?;
    write_items(items, format).await
}

async fn write_items(items: Vec<Item>, format: Format) -> AppResult<Vec<u8>> {
    let questions: Vec<Question> = items.iter().map(ic::from_item).collect();
    tokio::task::spawn_blocking(move || ic::write(format, &questions))
        .await
        .map_err(AppError::internal)
}

/// The questions of a class's assignments (as they are in the bank now), for one of its teachers.
#[tracing::instrument(level = "debug", skip_all, fields(class_id, format = format.as_str()))]
pub async fn export_class(
    state: &AppState,
    user: &Account,
    class_id: i64,
    format: Format,
) -> AppResult<Vec<u8>> {
    let uid = user.id;
    let items = state
        .db(move |c| {
            super::classes::taught(c, uid, class_id)?;
            let mut items = vec![];
            for id in crate::store::classes::class_items(c, class_id)? {
                let Some(item) = db::find_item(c, &id)? else {
                    continue;
                };
                // The item row is read above for its status; its latest version directly.
                if let Some(v) = db::find_version(c, &id, item.latest_version)? {
                    let content = content_of(&v)?;
                    let status = Status::parse(&item.status).unwrap_or(Status::Draft);
                    items.push(Item {
                        id,
                        status,
                        content,
                    });
                }
            }
            Ok(items)
        })
        .await?;
    write_items(items, format).await
}

#[cfg(test)]
mod tests {
    use super::{Format, ic, parse_upload, place};
    use crate::error::AppError;

    fn refusal(format: Format, bytes: &[u8]) -> String {
        match parse_upload(format, bytes) {
            Err(AppError::Invalid { field, message }) if field == "file" => message,
            other => panic!("not refused next to the file: {other:?}"),
        }
    }

    /// A QTI package (a ZIP) uploaded as Moodle XML or GIFT is named for what it is, not "not UTF-8".
    #[test]
    fn a_zip_sent_as_a_text_format_is_named_for_what_it_is() {
        let zip = ic::write(Format::Qti3, &[]);
        for format in [Format::MoodleXml, Format::Gift, Format::Aiken] {
            let m = refusal(format, &zip);
            assert!(
                m.contains("ZIP archive") && m.contains(format.label()),
                "{m}"
            );
            assert!(!m.contains("UTF-8"), "{m}");
        }
        // A spreadsheet saved as a workbook instead of CSV is told how to save it.
        let m = refusal(Format::Csv, &zip);
        assert!(
            m.contains("Excel workbook") && m.contains("CSV UTF-8"),
            "{m}"
        );
    }

    /// A problem with a whole package entry names the entry, never "line 0".
    #[test]
    fn places_never_say_line_0() {
        assert_eq!(place(0, Some("items/q1.xml")), "items/q1.xml");
        assert_eq!(place(4, Some("items/q1.xml")), "items/q1.xml, line 4");
        assert_eq!(place(7, None), "line 7");
        assert!(!place(0, None).contains('0'));
    }
}
