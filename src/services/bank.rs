//! Question-bank use-cases: read bank folders, import (all or nothing, idempotent, versioned),
//! export, statistics.

use crate::domain::bank::format::{self, Bank, Problem, SourceFile};
use crate::domain::bank::taxonomy::{Blueprint, Taxonomy, parse_blueprints};
use crate::domain::bank::{Item, ItemContent, Status};
use crate::error::{AppError, AppResult};
use crate::store::{self, DbConn, bank as db};
use rust_embed::RustEmbed;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use time::PrimitiveDateTime;

/// The bank shipped in `question_bank/`, embedded in the binary.
#[derive(RustEmbed)]
#[folder = "question_bank/"]
#[include = "*.toml"]
struct ShippedBank;

pub fn shipped_files() -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = ShippedBank::iter()
        .filter_map(|p| {
            let f = ShippedBank::get(&p)?;
            Some(SourceFile {
                path: p.replace('\\', "/"),
                text: String::from_utf8_lossy(&f.data).into_owned(),
            })
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The shipped taxonomy (areas and sub-areas), parsed once.
pub fn taxonomy() -> &'static Taxonomy {
    static T: OnceLock<Taxonomy> = OnceLock::new();
    T.get_or_init(|| {
        let text = ShippedBank::get("taxonomy.toml")
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .unwrap_or_default();
        Taxonomy::parse(&text).unwrap_or(Taxonomy { areas: vec![] })
    })
}

/// The shipped exam blueprints (MBLEx, NCBTMB), parsed once.
pub fn blueprints() -> &'static [Blueprint] {
    static B: OnceLock<Vec<Blueprint>> = OnceLock::new();
    B.get_or_init(|| {
        let text = ShippedBank::get("blueprints.toml")
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .unwrap_or_default();
        parse_blueprints(&text, taxonomy()).unwrap_or_default()
    })
}

/// Reads `taxonomy.toml`, `blueprints.toml`, every `items/**/*.toml` and every
/// `flashcards/**/*.toml` under `dir`.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<SourceFile>> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a folder", dir.display());
    }
    let mut files = vec![];
    for name in ["taxonomy.toml", "blueprints.toml"] {
        let p = dir.join(name);
        if p.exists() {
            files.push(SourceFile {
                path: name.to_string(),
                text: std::fs::read_to_string(&p)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            });
        }
    }
    let mut stack = vec![dir.join("items"), dir.join("flashcards")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                files.push(SourceFile { path: rel, text });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

pub fn parse(files: &[SourceFile]) -> Result<Bank, Vec<Problem>> {
    format::parse_bank(files)
}

/// Item content → a version row.
fn pillars_column(c: &ItemContent) -> String {
    let mut s = String::from(",");
    for p in &c.pillars {
        s.push_str(p.as_str());
        s.push(',');
    }
    s
}

/// Stores `content` as version `version` of `item_id`.
pub fn store_version(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    status: &str,
    content: &ItemContent,
    created_by: Option<i64>,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    write_version(
        conn, item_id, version, status, content, created_by, now, false,
    )
}

/// Overwrites a draft or returned version in place (no student can have seen it).
pub fn replace_version(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    status: &str,
    content: &ItemContent,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    write_version(conn, item_id, version, status, content, None, now, true)
}

#[allow(clippy::too_many_arguments)]
fn write_version(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    status: &str,
    content: &ItemContent,
    created_by: Option<i64>,
    now: PrimitiveDateTime,
    replace: bool,
) -> AppResult<()> {
    let json = serde_json::to_string(content).map_err(AppError::internal)?;
    let (a, b, c) = content.difficulty.prior();
    let row = db::NewVersion {
        item_id,
        version,
        status,
        content: &json,
        content_hash: &content.hash(),
        subarea: &content.subarea,
        area: content.area(),
        level: content.level.as_str(),
        difficulty: content.difficulty.as_str(),
        key_letter: &content.key_letter().to_string(),
        pillars: &pillars_column(content),
        author: &content.author,
        search_text: &content.search_text(),
        irt_a: a,
        irt_b: b,
        irt_c: c,
        calibrated: false,
        created_by,
        created_at: now,
    };
    if replace {
        db::replace_version_content(conn, item_id, version, &row)?;
    } else {
        db::insert_version(conn, &row)?;
    }
    Ok(())
}

/// An item id: sub-area "2.D" and number 7 → "2D-007".
pub fn item_id(subarea: &str, n: u32) -> String {
    format!("{}-{n:03}", subarea.replace('.', ""))
}

/// The highest number among a sub-area's item ids (0 when it has none).
pub fn highest_number(c: &mut DbConn, subarea: &str) -> AppResult<u32> {
    let prefix = format!("{}-", subarea.replace('.', ""));
    Ok(db::ids_with_prefix(c, &prefix)?
        .iter()
        .filter_map(|id| id[prefix.len()..].parse::<u32>().ok())
        .max()
        .unwrap_or(0))
}

/// The latest version's content of an item, if the item exists.
pub fn latest_content(c: &mut DbConn, item_id: &str) -> AppResult<Option<ItemContent>> {
    let Some(item) = db::find_item(c, item_id)? else {
        return Ok(None);
    };
    db::find_version(c, item_id, item.latest_version)?
        .map(|v| content_of(&v))
        .transpose()
}

pub fn content_of(v: &db::VersionRow) -> AppResult<ItemContent> {
    serde_json::from_str(&v.content)
        .map_err(|e| AppError::internal(anyhow::anyhow!("item {} v{}: {e}", v.item_id, v.version)))
}

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct ImportReport {
    pub created: usize,
    pub new_versions: usize,
    pub status_changes: usize,
    pub unchanged: usize,
}

/// Imports a valid bank in one transaction. New items are created; an item whose content changed
/// gets a new version (earlier versions are kept, so attempts still point at what students saw);
/// an unchanged item is left alone, so a second import changes nothing.
pub fn import_blocking(
    conn: &mut DbConn,
    bank: &Bank,
    actor: &str,
    now: PrimitiveDateTime,
) -> AppResult<ImportReport> {
    store::write_tx(conn, |c| {
        let mut report = ImportReport::default();
        for item in &bank.items {
            import_item(c, item, actor, now, &mut report)?;
        }
        Ok(report)
    })
}

fn import_item(
    c: &mut DbConn,
    item: &Item,
    actor: &str,
    now: PrimitiveDateTime,
    report: &mut ImportReport,
) -> AppResult<()> {
    let content = &item.content;
    let status = item.status.as_str();
    let live = |v: i32| (item.status == Status::Approved).then_some(v);
    let Some(existing) = db::find_item(c, &item.id)? else {
        db::insert_item(
            c,
            &item.id,
            &content.subarea,
            content.area(),
            status,
            live(1),
            None,
            now,
        )?;
        store_version(c, &item.id, 1, status, content, None, now)?;
        db::insert_event(c, &item.id, 1, None, actor, "imported", None, now)?;
        report.created += 1;
        return Ok(());
    };
    let latest = db::find_version(c, &item.id, existing.latest_version)?.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "item {} has no version {}",
            item.id,
            existing.latest_version
        ))
    })?;
    if latest.content_hash == content.hash() {
        if existing.status == status {
            report.unchanged += 1;
            return Ok(());
        }
        // Same content, new status (e.g. retired in the file).
        let live_version = match item.status {
            Status::Approved => Some(latest.version),
            Status::Retired => existing.live_version,
            _ => existing.live_version,
        };
        db::set_version_status(c, &item.id, latest.version, status)?;
        db::update_item(
            c,
            &item.id,
            &content.subarea,
            content.area(),
            status,
            latest.version,
            live_version,
            now,
        )?;
        db::insert_event(
            c,
            &item.id,
            latest.version,
            None,
            actor,
            &format!("status set to {status} by import"),
            None,
            now,
        )?;
        report.status_changes += 1;
        return Ok(());
    }
    let v = existing.latest_version + 1;
    store_version(c, &item.id, v, status, content, None, now)?;
    let live_version = if item.status == Status::Approved {
        if let Some(old) = existing.live_version {
            db::set_version_status(c, &item.id, old, "superseded")?;
        }
        Some(v)
    } else {
        existing.live_version
    };
    db::update_item(
        c,
        &item.id,
        &content.subarea,
        content.area(),
        status,
        v,
        live_version,
        now,
    )?;
    db::insert_event(
        c,
        &item.id,
        v,
        None,
        actor,
        "new version imported",
        None,
        now,
    )?;
    report.new_versions += 1;
    Ok(())
}

/// The bank as it is in the database (latest version of every item), in the bank file format.
pub fn export_blocking(conn: &mut DbConn) -> AppResult<Vec<(String, String)>> {
    let mut items = vec![];
    for (row, v) in db::all_latest(conn)? {
        let status = Status::parse(&row.status).unwrap_or(Status::Draft);
        items.push(Item {
            id: row.id,
            status,
            content: content_of(&v)?,
        });
    }
    Ok(format::export_items(taxonomy(), &items))
}

#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub total: usize,
    pub by_area: BTreeMap<String, usize>,
    pub by_subarea: BTreeMap<String, usize>,
    pub by_status: BTreeMap<String, usize>,
    pub by_level: BTreeMap<String, usize>,
    pub by_difficulty: BTreeMap<String, usize>,
    pub by_pillar: BTreeMap<String, usize>,
    pub by_key: BTreeMap<String, usize>,
}

pub fn stats_of<'a>(items: impl Iterator<Item = (&'a str, &'a ItemContent)>) -> Stats {
    let mut s = Stats::default();
    for (status, c) in items {
        s.total += 1;
        *s.by_area.entry(c.area().to_string()).or_default() += 1;
        *s.by_subarea.entry(c.subarea.clone()).or_default() += 1;
        *s.by_status.entry(status.to_string()).or_default() += 1;
        *s.by_level.entry(c.level.as_str().to_string()).or_default() += 1;
        *s.by_difficulty
            .entry(c.difficulty.as_str().to_string())
            .or_default() += 1;
        *s.by_key.entry(c.key_letter().to_string()).or_default() += 1;
        for p in &c.pillars {
            *s.by_pillar.entry(p.as_str().to_string()).or_default() += 1;
        }
    }
    s
}

pub fn stats_blocking(conn: &mut DbConn) -> AppResult<Stats> {
    let rows = db::all_latest(conn)?;
    let contents: Vec<(String, ItemContent)> = rows
        .iter()
        .map(|(r, v)| Ok((r.status.clone(), content_of(v)?)))
        .collect::<AppResult<_>>()?;
    Ok(stats_of(contents.iter().map(|(s, c)| (s.as_str(), c))))
}

/// Imports the shipped bank when the database holds no item yet (the first start).
pub fn import_shipped_if_empty(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
) -> anyhow::Result<Option<ImportReport>> {
    if db::count_items(conn)? > 0 {
        return Ok(None);
    }
    let bank = parse(&shipped_files()).map_err(|problems| {
        let list: Vec<String> = problems.iter().take(10).map(|p| p.to_string()).collect();
        anyhow::anyhow!("the shipped question bank is invalid:\n{}", list.join("\n"))
    })?;
    let report = import_blocking(conn, &bank, "palpate (shipped bank)", now)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(Some(report))
}
