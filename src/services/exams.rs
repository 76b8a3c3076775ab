//! Practice exams: starting, delivering one item at a time, answering (idempotent, clock-checked),
//! finishing under each program's rules, results, review and history.
//!
//! The adaptive engine (`domain::irt`) is pure; this module persists what it needs: the program,
//! the seed, and every presented item (position, item version, option order, answer). The next item
//! is chosen when the previous one is answered and stored at once, so a refresh or a restart shows
//! the same item with the same remaining time.

use super::AppState;
use super::accounts::Account;
use super::bank::{blueprints, content_of, taxonomy};
use crate::domain::accounts::Role;
use crate::domain::bank::{ItemContent, KEYS};
use crate::domain::irt::{
    AdministeredItem, Blueprint, Choice, ItemParams, ItemPool, ItemStatus, PoolItem, PretestPlan,
    Program, SelectionContext, Session, StopReason, StopRule, TimeoutRule,
};
use crate::error::{AppError, AppResult};
use crate::store::{DbConn, bank as bankdb, exams as db};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration as StdDuration, Instant};
use time::{Duration, PrimitiveDateTime};

mod live;
pub use live::{LiveExam, LiveExams};

// ---------------------------------------------------------------- programs

/// How an exam is delivered, beside the engine's program.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExamConfig {
    pub kind: String,
    pub title: String,
    pub engine: Program,
    /// No clock at all (drills).
    pub timed: bool,
    /// Show the key and rationales right after each answer (drills).
    pub feedback: bool,
    /// Allow revisiting answered items during the exam (drills).
    pub allow_back: bool,
    /// Restrict the pool to these sub-areas (empty = whole bank).
    #[serde(default)]
    pub subareas: Vec<String>,
    /// Largest number of items that can be presented (for progress display).
    pub max_items: u32,
    /// A fixed length (no early stop).
    pub fixed_length: bool,
    /// A CE course's exam: the course and its pass mark.
    #[serde(default)]
    pub course: Option<i64>,
}

/// What a student may start.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct StartRequest {
    pub program: String,
    /// Drills: area codes ("3") and/or sub-area codes ("3.B").
    #[serde(default)]
    pub areas: Vec<String>,
    /// Drills: number of questions.
    #[serde(default)]
    pub length: Option<u32>,
}

fn weights_of(id: &str) -> Vec<(String, f64)> {
    blueprints()
        .iter()
        .find(|b| b.id == id)
        .map(|b| b.weights.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default()
}

fn blueprint_from_data(id: &str) -> AppResult<Blueprint> {
    Blueprint::from_weights(weights_of(id))
        .map_err(|e| AppError::internal(anyhow::anyhow!("blueprint {id}: {e}")))
}

/// Builds the configuration for a program; blueprints come from `question_bank/blueprints.toml`.
pub fn config_for(req: &StartRequest) -> AppResult<ExamConfig> {
    let data = |id: &str| blueprints().iter().find(|b| b.id == id).cloned();
    match req.program.as_str() {
        "mblex" => {
            let bp = data("mblex")
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no mblex blueprint")))?;
            let mut p = Program::mblex();
            p.blueprint = blueprint_from_data("mblex")?;
            p.stopping.min_items = bp.scored_items;
            p.stopping.max_items = bp.scored_items;
            p.time_limit_secs = bp.minutes * 60;
            Ok(ExamConfig {
                kind: "mblex".into(),
                title: "MBLEx simulation".into(),
                max_items: bp.scored_items + 10,
                engine: p,
                timed: true,
                feedback: false,
                allow_back: false,
                subareas: vec![],
                fixed_length: true,
                course: None,
            })
        }
        "ncbtmb" => {
            let bp = data("ncbtmb")
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no ncbtmb blueprint")))?;
            let mut p = Program::ncbtmb();
            p.blueprint = blueprint_from_data("ncbtmb")?;
            p.stopping.min_items = bp.scored_items;
            p.stopping.max_items = bp.scored_items;
            p.time_limit_secs = bp.minutes * 60;
            Ok(ExamConfig {
                kind: "ncbtmb".into(),
                title: "NCBTMB Board Certification practice".into(),
                max_items: bp.scored_items,
                engine: p,
                timed: true,
                feedback: false,
                allow_back: false,
                subareas: vec![],
                fixed_length: true,
                course: None,
            })
        }
        "readiness" => {
            let mut p = Program::readiness();
            p.blueprint = blueprint_from_data("mblex")?;
            Ok(ExamConfig {
                kind: "readiness".into(),
                title: "Readiness check".into(),
                max_items: p.stopping.max_items + p.stopping.max_items / 10,
                engine: p,
                timed: true,
                feedback: false,
                allow_back: false,
                subareas: vec![],
                fixed_length: false,
                course: None,
            })
        }
        "drill" => {
            let subareas = resolve_subareas(&req.areas)?;
            let length = req.length.unwrap_or(10);
            if !(1..=50).contains(&length) {
                return Err(AppError::invalid(
                    "length",
                    "A drill has 1 to 50 questions.",
                ));
            }
            let p = fixed_program("drill", &subareas, length, 7 * 24 * 3600)?;
            Ok(ExamConfig {
                kind: "drill".into(),
                title: format!("Topic drill: {}", subareas.join(", ")),
                max_items: length,
                engine: p,
                timed: false,
                feedback: true,
                allow_back: true,
                subareas,
                fixed_length: true,
                course: None,
            })
        }
        other => Err(AppError::invalid(
            "program",
            format!("Unknown program {other:?}: use mblex, readiness, ncbtmb or drill."),
        )),
    }
}

/// Area and sub-area codes → the sorted sub-area codes they cover.
pub fn resolve_subareas(codes: &[String]) -> AppResult<Vec<String>> {
    let taxo = taxonomy();
    let mut subareas: Vec<String> = vec![];
    for code in codes {
        if let Some(a) = taxo.area(code) {
            subareas.extend(a.subareas.iter().map(|s| s.code.clone()));
        } else if taxo.subarea(code).is_some() {
            subareas.push(code.clone());
        } else {
            return Err(AppError::invalid(
                "areas",
                format!("{code:?} is not a content area or sub-area."),
            ));
        }
    }
    subareas.sort();
    subareas.dedup();
    if subareas.is_empty() {
        return Err(AppError::invalid(
            "areas",
            "Choose at least one area or sub-area.",
        ));
    }
    Ok(subareas)
}

/// A fixed-length program over some sub-areas, areas weighted equally, no pretest, no early stop.
fn fixed_program(id: &str, subareas: &[String], length: u32, secs: u32) -> AppResult<Program> {
    let mut areas: Vec<String> = subareas
        .iter()
        .map(|s| s.split('.').next().unwrap_or("").to_string())
        .collect();
    areas.dedup();
    let w = 1.0 / areas.len() as f64;
    let mut p = Program::readiness();
    p.id = id.into();
    p.blueprint = Blueprint::from_weights(areas.iter().map(|a| (a.clone(), w)))
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    p.stopping.min_items = length;
    p.stopping.max_items = length;
    p.stopping.min_per_area = 0;
    p.stopping.rule = StopRule::None;
    p.pretest = PretestPlan::None;
    p.time_limit_secs = secs;
    p.timeout = TimeoutRule::ByEstimate;
    Ok(p)
}

/// An instructor's program: timed, fixed length, in order, reviewed after finishing.
pub fn custom_config(row: &crate::store::programs::ProgramRow) -> AppResult<ExamConfig> {
    let codes: Vec<String> = serde_json::from_str(&row.areas).map_err(AppError::internal)?;
    let subareas = resolve_subareas(&codes)?;
    let p = fixed_program(
        &format!("custom:{}", row.id),
        &subareas,
        row.length as u32,
        row.minutes as u32 * 60,
    )?;
    Ok(ExamConfig {
        kind: "custom".into(),
        title: row.name.clone(),
        max_items: row.length as u32,
        engine: p,
        timed: true,
        feedback: false,
        allow_back: false,
        subareas,
        fixed_length: true,
        course: None,
    })
}

/// A CE course's exam: untimed, fixed length, in order, reviewed after finishing.
pub fn course_config(c: &crate::store::courses::Course) -> AppResult<ExamConfig> {
    let codes: Vec<String> = serde_json::from_str(&c.subareas).map_err(AppError::internal)?;
    let subareas = resolve_subareas(&codes)?;
    let p = fixed_program(
        &format!("course:{}", c.id),
        &subareas,
        c.questions as u32,
        7 * 24 * 3600,
    )?;
    Ok(ExamConfig {
        kind: "course".into(),
        title: format!("CE course exam: {}", c.title),
        max_items: c.questions as u32,
        engine: p,
        timed: false,
        feedback: false,
        allow_back: false,
        subareas,
        fixed_length: true,
        course: Some(c.id),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomProgram {
    pub id: i64,
    pub name: String,
    pub areas: Vec<String>,
    pub length: i32,
    pub minutes: i32,
    pub author: String,
    pub active: bool,
}

/// Creates an instructor's program after checking it.
pub async fn create_program(
    state: &AppState,
    owner: &Account,
    name: String,
    areas: Vec<String>,
    length: Option<i32>,
    minutes: Option<i32>,
) -> AppResult<i64> {
    let mut errors = crate::error::FieldErrors::default();
    let name = name.trim().to_string();
    if !(3..=80).contains(&name.chars().count()) {
        errors.add("name", "Give the program a name of 3 to 80 characters.");
    }
    if let Err(AppError::Invalid { message, .. }) = resolve_subareas(&areas) {
        errors.add("areas", message);
    }
    let length = length.unwrap_or(0);
    if !(5..=150).contains(&length) {
        errors.add("length", "Use 5 to 150 questions.");
    }
    let minutes = minutes.unwrap_or(0);
    if !(5..=300).contains(&minutes) {
        errors.add("minutes", "Use 5 to 300 minutes.");
    }
    errors.into_result()?;
    let json = serde_json::to_string(&areas).map_err(AppError::internal)?;
    let (clock, uid) = (state.clock.clone(), owner.id);
    state
        .tx(move |c| {
            Ok(crate::store::programs::insert(
                c,
                uid,
                &name,
                &json,
                length,
                minutes,
                clock.now(),
            )?)
        })
        .await
}

fn program_view(r: crate::store::programs::ProgramRow, author: String) -> CustomProgram {
    CustomProgram {
        areas: serde_json::from_str(&r.areas).unwrap_or_default(),
        id: r.id,
        name: r.name,
        length: r.length,
        minutes: r.minutes,
        author,
        active: r.active,
    }
}

pub async fn active_programs(state: &AppState) -> AppResult<Vec<CustomProgram>> {
    state
        .db(|c| {
            Ok(crate::store::programs::active(c)?
                .into_iter()
                .map(|(r, n)| program_view(r, n))
                .collect())
        })
        .await
}

pub async fn my_programs(state: &AppState, owner: &Account) -> AppResult<Vec<CustomProgram>> {
    let (uid, name) = (owner.id, owner.name.clone());
    state
        .db(move |c| {
            Ok(crate::store::programs::owned_by(c, uid)?
                .into_iter()
                .map(|r| program_view(r, name.clone()))
                .collect())
        })
        .await
}

pub async fn archive_program(state: &AppState, owner: &Account, id: i64) -> AppResult<()> {
    let uid = owner.id;
    if state
        .tx(move |c| Ok(crate::store::programs::archive(c, uid, id)?))
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound("No such program of yours.".into()))
    }
}

// ---------------------------------------------------------------- the item pool

/// A live item as the exam layer needs it.
#[derive(Debug, Clone)]
pub struct LiveItem {
    pub version: i32,
    pub area: String,
    pub subarea: String,
    pub content: Arc<ItemContent>,
}

pub struct LivePool {
    pub pool: Arc<ItemPool>,
    pub items: HashMap<String, LiveItem>,
    /// When the pool was read from the database (its exposure rates and live versions).
    pub built: Instant,
    /// The [`PoolCache`] generation it was built in (a bank change starts a new one).
    pub generation: u64,
}

/// The live bank as an engine pool, rebuilt at most every 30 seconds (or when invalidated after a
/// bank change in this instance). Exposure rates are the share of exams in the last 30 days that
/// presented the item. When the pool is due, one request rebuilds it while the others go on with
/// the previous one (no stampede of rebuilds under load).
#[derive(Default)]
pub struct PoolCache {
    cached: RwLock<Option<Arc<LivePool>>>,
    rebuilding: std::sync::atomic::AtomicBool,
    /// Bumped by [`PoolCache::invalidate`]; pools remember the generation they were built in.
    generation: std::sync::atomic::AtomicU64,
}

const POOL_TTL: StdDuration = StdDuration::from_secs(30);

impl PoolCache {
    pub fn invalidate(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut c) = self.cached.write() {
            *c = None;
        }
    }

    /// The current generation (see [`LivePool::generation`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn get_or_build(
        &self,
        conn: &mut DbConn,
        now: PrimitiveDateTime,
    ) -> AppResult<Arc<LivePool>> {
        use std::sync::atomic::Ordering;
        let current = self.cached.read().ok().and_then(|c| c.clone());
        if let Some(p) = &current {
            if p.built.elapsed() < POOL_TTL {
                return Ok(p.clone());
            }
            // Due: rebuild here unless another request already does; meanwhile use this one.
            if self.rebuilding.swap(true, Ordering::AcqRel) {
                return Ok(p.clone());
            }
        }
        /// Hands the rebuild back even if building fails or panics.
        struct Done<'a>(Option<&'a std::sync::atomic::AtomicBool>);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                if let Some(flag) = self.0 {
                    flag.store(false, std::sync::atomic::Ordering::Release);
                }
            }
        }
        let done = Done(current.is_some().then_some(&self.rebuilding));
        let generation = self.generation();
        let built = build_pool(conn, now, None, generation);
        drop(done);
        let built = Arc::new(built?);
        if let Ok(mut c) = self.cached.write()
            && self.generation() == generation
        {
            *c = Some(built.clone());
        }
        Ok(built)
    }
}

fn build_pool(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    subareas: Option<&[String]>,
    generation: u64,
) -> AppResult<LivePool> {
    let rows = bankdb::live_versions(conn)?;
    let (total, counts) = db::exposure_counts(conn, now - Duration::days(30))?;
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    let mut items = HashMap::new();
    let mut pool_items = vec![];
    for (item, v) in rows {
        if let Some(subs) = subareas {
            if !subs.contains(&item.subarea) {
                continue;
            }
        }
        let content = content_of(&v)?;
        let params = ItemParams::new(v.irt_a, v.irt_b, v.irt_c)
            .map_err(|e| AppError::internal(anyhow::anyhow!("item {}: {e}", item.id)))?;
        let n = counts.get(&item.id).copied().unwrap_or(0);
        pool_items.push(PoolItem {
            id: item.id.clone(),
            params,
            area: item.area.clone(),
            subarea: Some(item.subarea.clone()),
            enemies: content.enemies.clone(),
            status: if v.pool_status == "pretest" {
                ItemStatus::Pretest
            } else {
                ItemStatus::Operational
            },
            exposure_rate: if total > 0 {
                (n as f64 / total as f64).min(1.0)
            } else {
                0.0
            },
            n_responses: n.min(u32::MAX as i64) as u32,
        });
        items.insert(
            item.id.clone(),
            LiveItem {
                version: v.version,
                area: item.area,
                subarea: item.subarea,
                content: Arc::new(content),
            },
        );
    }
    let pool = ItemPool::new(pool_items)
        .map_err(|e| AppError::internal(anyhow::anyhow!("item pool: {e}")))?;
    Ok(LivePool {
        pool: Arc::new(pool),
        items,
        built: Instant::now(),
        generation,
    })
}

/// The pool for one exam: the shared live pool, or a pool restricted to a drill's sub-areas.
/// Items presented earlier in the exam that are no longer live are added back as retired, so the
/// session can be replayed.
fn exam_pool(
    state: &AppState,
    conn: &mut DbConn,
    cfg: &ExamConfig,
    presented: &[db::ExamItemRow],
    now: PrimitiveDateTime,
) -> AppResult<Arc<LivePool>> {
    let base = if cfg.subareas.is_empty() {
        state.pools.get_or_build(conn, now)?
    } else {
        Arc::new(build_pool(
            conn,
            now,
            Some(&cfg.subareas),
            state.pools.generation(),
        )?)
    };
    let missing: Vec<&db::ExamItemRow> = presented
        .iter()
        .filter(|r| !base.items.contains_key(&r.item_id))
        .collect();
    if missing.is_empty() {
        return Ok(base);
    }
    let mut pool_items: Vec<PoolItem> = base.pool.items().to_vec();
    let mut items = base.items.clone();
    for r in missing {
        let v = bankdb::find_version(conn, &r.item_id, r.version)?.ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "version {}/{} missing",
                r.item_id,
                r.version
            ))
        })?;
        let content = content_of(&v)?;
        pool_items.push(PoolItem {
            id: r.item_id.clone(),
            params: ItemParams::new(v.irt_a, v.irt_b, v.irt_c)
                .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?,
            area: v.area.clone(),
            subarea: Some(v.subarea.clone()),
            enemies: content.enemies.clone(),
            status: ItemStatus::Retired,
            exposure_rate: 0.0,
            n_responses: 0,
        });
        items.insert(
            r.item_id.clone(),
            LiveItem {
                version: v.version,
                area: v.area,
                subarea: v.subarea,
                content: Arc::new(content),
            },
        );
    }
    let pool = ItemPool::new(pool_items)
        .map_err(|e| AppError::internal(anyhow::anyhow!("item pool: {e}")))?;
    Ok(Arc::new(LivePool {
        pool: Arc::new(pool),
        items,
        built: base.built,
        generation: base.generation,
    }))
}

// ---------------------------------------------------------------- helpers

fn option_order(seed: i64, position: i32) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(
        (seed as u64) ^ (position as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let mut order = [0u8, 1, 2, 3];
    order.shuffle(&mut rng);
    order.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Original option index for each displayed position.
fn order_of(s: &str) -> [usize; 4] {
    let mut out = [0, 1, 2, 3];
    for (i, c) in s.chars().take(4).enumerate() {
        out[i] = c.to_digit(10).unwrap_or(i as u32) as usize;
    }
    out
}

fn elapsed_secs(exam: &db::ExamRow, now: PrimitiveDateTime) -> f64 {
    (now - exam.started_at).as_seconds_f64().max(0.0)
}

fn load_config(exam: &db::ExamRow) -> AppResult<ExamConfig> {
    serde_json::from_str(&exam.config)
        .map_err(|e| AppError::internal(anyhow::anyhow!("exam {} config: {e}", exam.public_id)))
}

fn engine_err(e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("exam engine: {e}"))
}

/// Rebuilds the engine session from the answered items (and the one on screen, if any).
fn replay(
    cfg: &ExamConfig,
    exam: &db::ExamRow,
    pool: &ItemPool,
    rows: &[db::ExamItemRow],
) -> AppResult<Session> {
    let log: Vec<AdministeredItem> = rows
        .iter()
        .filter_map(|r| {
            r.correct.map(|c| AdministeredItem {
                item_id: r.item_id.clone(),
                scored: r.scored,
                correct: c,
            })
        })
        .collect();
    let mut s = Session::replay(
        cfg.engine.clone(),
        exam.seed as u64,
        exam.prior_mu,
        pool,
        &log,
    )
    .map_err(engine_err)?;
    if let Some(pending) = rows.iter().find(|r| r.chosen.is_none()) {
        s.restore_pending(
            pool,
            &Choice {
                item_id: pending.item_id.clone(),
                scored: pending.scored,
            },
        )
        .map_err(engine_err)?;
    }
    Ok(s)
}

/// Stores the item at `position` as presented now; returns its row (id 0: not read back).
fn present(
    conn: &mut DbConn,
    exam: &db::ExamRow,
    live: &LivePool,
    choice: &Choice,
    position: i32,
    now: PrimitiveDateTime,
) -> AppResult<db::ExamItemRow> {
    let item = live.items.get(&choice.item_id).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "chosen item {} not in pool",
            choice.item_id
        ))
    })?;
    let order = option_order(exam.seed, position);
    db::insert_item(
        conn,
        &db::NewExamItem {
            exam_id: exam.id,
            position,
            item_id: &choice.item_id,
            version: item.version,
            area: &item.area,
            scored: choice.scored,
            option_order: &order,
            presented_at: now,
        },
    )?;
    Ok(db::ExamItemRow {
        id: 0,
        exam_id: exam.id,
        position,
        item_id: choice.item_id.clone(),
        version: item.version,
        area: item.area.clone(),
        scored: choice.scored,
        option_order: order,
        presented_at: now,
        chosen: None,
        correct: None,
        answered_at: None,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AreaResult {
    pub area: String,
    pub name: String,
    pub items: u32,
    pub correct: u32,
    pub theta: f64,
    /// P(θ_area below the passing standard). Absent in results stored before it was recorded.
    #[serde(default)]
    pub p_below: Option<f64>,
    /// The engine's one rule: the area has answers and `p_below` ≥ the weak threshold (70 %).
    pub weak: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredResult {
    pub reason: String,
    pub diagnostics: bool,
    pub areas: Vec<AreaResult>,
    pub time_used_secs: i64,
    pub items_answered: u32,
}

fn reason_text(r: StopReason) -> &'static str {
    match r {
        StopReason::Sprt => "decided",
        StopReason::ConfidenceInterval => "decided",
        StopReason::MaxItems => "max_items",
        StopReason::FixedLength => "completed",
        StopReason::TimeOut => "time_out",
        StopReason::PoolExhausted => "pool_exhausted",
        StopReason::Curtailed => "decided",
    }
}

/// Writes the result of a finished session. A timed-out MBLEx simulation is an automatic fail with
/// no diagnostic report, as on the real exam.
fn finalize(
    conn: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    session: &Session,
    rows: &[db::ExamItemRow],
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let outcome = session
        .is_finished()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("finalize before the end")))?;
    db::drop_unanswered(conn, exam.id)?;
    let r = session.result().map_err(engine_err)?;
    let scored: Vec<&db::ExamItemRow> = rows
        .iter()
        .filter(|r| r.scored && r.correct.is_some())
        .collect();
    let n_correct = scored.iter().filter(|r| r.correct == Some(true)).count() as i32;
    let timed_out_fail =
        outcome.reason == StopReason::TimeOut && cfg.engine.timeout == TimeoutRule::AutoFail;
    let taxo = taxonomy();
    let areas = if timed_out_fail || cfg.kind == "drill" && scored.is_empty() {
        vec![]
    } else {
        r.areas
            .iter()
            .map(|a| {
                let in_area: Vec<&&db::ExamItemRow> =
                    scored.iter().filter(|s| s.area == a.area).collect();
                AreaResult {
                    name: taxo
                        .area(&a.area)
                        .map(|x| x.name.clone())
                        .unwrap_or_default(),
                    area: a.area.clone(),
                    items: in_area.len() as u32,
                    correct: in_area.iter().filter(|s| s.correct == Some(true)).count() as u32,
                    theta: a.theta,
                    p_below: Some(a.p_below_cut),
                    weak: a.weak,
                }
            })
            .filter(|a| a.items > 0)
            .collect()
    };
    let stored = StoredResult {
        reason: reason_text(outcome.reason).into(),
        diagnostics: !timed_out_fail,
        areas,
        time_used_secs: (now.min(exam.deadline_at.unwrap_or(now)) - exam.started_at)
            .whole_seconds(),
        items_answered: rows.iter().filter(|r| r.correct.is_some()).count() as u32,
    };
    let json = serde_json::to_string(&stored).map_err(AppError::internal)?;
    let passed = if timed_out_fail { false } else { r.passed };
    let adaptive = cfg.kind != "drill";
    db::finish(
        conn,
        exam.id,
        db::FINISHED,
        reason_text(outcome.reason),
        adaptive.then_some(passed),
        (adaptive && !timed_out_fail).then_some(r.p_pass),
        (adaptive && !timed_out_fail).then_some(r.theta),
        (adaptive && !timed_out_fail).then_some(r.psd),
        (adaptive && !timed_out_fail).then_some(r.scaled_score as i32),
        scored.len() as i32,
        n_correct,
        Some(&json),
        now,
    )?;
    if let Some(course) = cfg.course {
        crate::services::courses::on_finished(
            conn,
            exam,
            course,
            n_correct,
            scored.len() as i32,
            now,
        )?;
    }
    Ok(())
}

fn own_exam(conn: &mut DbConn, user_id: i64, public_id: &str) -> AppResult<db::ExamRow> {
    match db::find_by_public_id(conn, public_id)? {
        Some(e) if e.user_id == user_id => Ok(e),
        // Someone else's exam looks exactly like a missing one.
        _ => Err(AppError::NotFound("No such exam.".into())),
    }
}

// ---------------------------------------------------------------- use-cases

/// Who may take exams at all: students, and certified therapists (who practise too and take CE
/// course exams). The one check behind the web pages and the API.
pub fn may_take_exams(user: &Account) -> AppResult<()> {
    if user.has(Role::Student) || user.has(Role::Practitioner) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Who may start `program`: a CE course exam (`course:N`) is for certified therapists only (it
/// issues a CE certificate); every practice program for anyone who may take exams.
pub fn may_start(user: &Account, program: &str) -> AppResult<()> {
    may_take_exams(user)?;
    if program.starts_with("course:") && !user.has(Role::Practitioner) {
        return Err(AppError::Forbidden(
            "CE course exams are for certified therapists: add the therapist role to your account first.".into(),
        ));
    }
    Ok(())
}

/// Starts an exam and presents its first item; returns the exam's state (its first question).
pub async fn start(state: &AppState, user: &Account, req: StartRequest) -> AppResult<CurrentView> {
    may_start(user, &req.program)?;
    let course_id = req
        .program
        .strip_prefix("course:")
        .and_then(|id| id.parse::<i64>().ok());
    let custom_id = req.program.strip_prefix("custom:").map(|id| {
        id.parse::<i64>()
            .map_err(|_| AppError::invalid("program", "Unknown program."))
    });
    let custom_id = if course_id.is_some() {
        Some(Ok(0))
    } else {
        custom_id
    };
    let cfg = match custom_id {
        None => Some(config_for(&req)?),
        Some(id) => {
            id?;
            None
        }
    };
    let custom_id = req
        .program
        .strip_prefix("custom:")
        .and_then(|id| id.parse::<i64>().ok());
    let st = state.clone();
    let uid = user.id;
    // Everything the engine needs is read first; the write is then one short transaction.
    let plan = state
        .db(move |c| {
            let now = st.clock.now();
            let cfg = match (cfg, custom_id) {
                (Some(cfg), _) => cfg,
                (None, _) if course_id.is_some() => match crate::store::courses::find(c, course_id.unwrap_or_default())? {
                    Some(row) if row.published => course_config(&row)?,
                    _ => return Err(AppError::invalid("program", "That course is not available.")),
                },
                (None, Some(id)) => match crate::store::programs::find(c, id)? {
                    Some(row) if row.active => custom_config(&row)?,
                    _ => return Err(AppError::invalid("program", "That program is no longer offered.")),
                },
                (None, None) => return Err(AppError::invalid("program", "Unknown program.")),
            };
            let prior = match cfg.kind.as_str() {
                "drill" => 0.0,
                _ => db::last_theta(c, uid)?.map(|t| (0.5 * t).clamp(-1.0, 1.0)).unwrap_or(0.0),
            };
            let seed: i64 = rand::rng().random_range(1..i64::MAX);
            let seen = db::recently_seen(c, uid, now - Duration::days(30), 0)?;
            let live = exam_pool(&st, c, &cfg, &[], now)?;
            let ctx = SelectionContext::new(&live.pool, &seen);
            let mut session = Session::new(cfg.engine.clone(), seed as u64, prior).map_err(engine_err)?;
            let Some(first) = session.next_item(&live.pool, &ctx).map_err(engine_err)? else {
                return Err(AppError::Conflict(
                    "There are not enough live questions for this program yet. Try another area, or ask an instructor.".into(),
                ));
            };
            let seen_json = serde_json::to_string(&seen).map_err(AppError::internal)?;
            Ok((cfg, prior, seed, seen_json, live, session, first))
        })
        .await?;
    let (cfg, prior, seed, seen_json, live, session, first) = plan;
    let st = state.clone();
    let (view, entry) = state
        .tx(move |c| {
            let now = st.clock.now();
            let public_id = uuid::Uuid::new_v4().simple().to_string();
            let config = serde_json::to_string(&cfg).map_err(AppError::internal)?;
            let deadline = cfg
                .timed
                .then(|| now + Duration::seconds(cfg.engine.time_limit_secs as i64));
            let new = db::NewExam {
                public_id: &public_id,
                user_id: uid,
                program: &cfg.kind,
                title: &cfg.title,
                config: &config,
                seed,
                prior_mu: prior,
                seen: &seen_json,
                status: db::IN_PROGRESS,
                started_at: now,
                deadline_at: deadline,
            };
            db::insert_exam(c, &new)?;
            let exam = db::find_by_public_id(c, &public_id)?.ok_or_else(AppError::not_found)?;
            let row = present(c, &exam, &live, &first, 1, now)?;
            let rows = vec![row];
            let view = current_view_with(
                &st,
                c,
                &exam,
                &cfg,
                &rows,
                Some((&session, &live)),
                now,
                None,
            )?;
            Ok((view, LiveExam::new(exam, cfg, rows, session, live)))
        })
        .await?;
    state.live_exams.put(entry);
    Ok(view)
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub position: i32,
    pub item_id: String,
    pub version: i32,
    pub stem: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    pub position: i32,
    pub item_id: String,
    pub version: i32,
    pub stem: String,
    pub chosen: Option<String>,
    pub key: String,
    pub correct: Option<bool>,
    pub options: Vec<FeedbackOption>,
    pub scored: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedbackOption {
    pub id: String,
    pub text: String,
    pub rationale: String,
    pub is_key: bool,
    pub chosen: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentView {
    pub exam_id: String,
    pub title: String,
    pub kind: String,
    pub finished: bool,
    pub item: Option<ItemView>,
    pub answered: u32,
    pub max_items: u32,
    pub fixed_length: bool,
    pub remaining_secs: Option<i64>,
    pub pace_warning: bool,
    pub allow_back: bool,
    pub feedback: bool,
    /// Drills: the key and rationales of the item just answered.
    pub last_feedback: Option<Feedback>,
}

fn item_view(row: &db::ExamItemRow, content: &ItemContent) -> ItemView {
    let order = order_of(&row.option_order);
    ItemView {
        position: row.position,
        item_id: row.item_id.clone(),
        version: row.version,
        stem: content.stem.clone(),
        options: order
            .iter()
            .enumerate()
            .map(|(i, &o)| OptionView {
                id: KEYS[i].to_string(),
                text: content.options[o].clone(),
            })
            .collect(),
    }
}

fn feedback_of(row: &db::ExamItemRow, content: &ItemContent) -> Feedback {
    let order = order_of(&row.option_order);
    let key_display = order.iter().position(|&o| o == content.key).unwrap_or(0);
    let chosen_display = row
        .chosen
        .and_then(|c| order.iter().position(|&o| o as i32 == c));
    Feedback {
        position: row.position,
        item_id: row.item_id.clone(),
        version: row.version,
        stem: content.stem.clone(),
        chosen: chosen_display.map(|d| KEYS[d].to_string()),
        key: KEYS[key_display].to_string(),
        correct: row.correct,
        scored: row.scored,
        options: order
            .iter()
            .enumerate()
            .map(|(i, &o)| FeedbackOption {
                id: KEYS[i].to_string(),
                text: content.options[o].clone(),
                rationale: content.rationales[o].clone(),
                is_key: o == content.key,
                chosen: Some(i) == chosen_display,
            })
            .collect(),
    }
}

fn version_content(conn: &mut DbConn, item_id: &str, version: i32) -> AppResult<ItemContent> {
    let v = bankdb::find_version(conn, item_id, version)?.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("version {item_id}/{version} missing"))
    })?;
    content_of(&v)
}

/// Finishes an exam whose deadline has passed; true when this call finished it.
fn finish_if_overdue(
    state: &AppState,
    conn: &mut DbConn,
    exam: &db::ExamRow,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    if exam.status != db::IN_PROGRESS || exam.deadline_at.is_none_or(|d| now < d) {
        return Ok(false);
    }
    let cfg = load_config(exam)?;
    let rows = db::items_of(conn, exam.id)?;
    let live = exam_pool(state, conn, &cfg, &rows, now)?;
    let mut session = replay(&cfg, exam, &live.pool, &rows)?;
    session.time_out();
    finalize(conn, exam, &cfg, &session, &rows, now)?;
    Ok(true)
}

fn current_view(
    state: &AppState,
    conn: &mut DbConn,
    exam: &db::ExamRow,
    now: PrimitiveDateTime,
    last: Option<Feedback>,
) -> AppResult<CurrentView> {
    let cfg = load_config(exam)?;
    let rows = db::items_of(conn, exam.id)?;
    current_view_with(state, conn, exam, &cfg, &rows, None, now, last)
}

/// As [`current_view`], reusing what the caller already loaded (and its session, when it has one).
#[allow(clippy::too_many_arguments)]
fn current_view_with(
    state: &AppState,
    conn: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    rows: &[db::ExamItemRow],
    session: Option<(&Session, &LivePool)>,
    now: PrimitiveDateTime,
    last: Option<Feedback>,
) -> AppResult<CurrentView> {
    let answered = rows.iter().filter(|r| r.correct.is_some()).count() as u32;
    let finished = exam.status != db::IN_PROGRESS;
    let pending = if finished {
        None
    } else {
        rows.iter().find(|r| r.chosen.is_none())
    };
    let item = match pending {
        Some(r) => {
            let cached = session
                .and_then(|(_, live)| live.items.get(&r.item_id))
                .filter(|li| li.version == r.version);
            match cached {
                Some(li) => Some(item_view(r, &li.content)),
                None => Some(item_view(r, &version_content(conn, &r.item_id, r.version)?)),
            }
        }
        None => None,
    };
    let remaining = if finished {
        None
    } else {
        exam.deadline_at.map(|d| (d - now).whole_seconds().max(0))
    };
    let pace_warning = match (finished, cfg.timed, session) {
        (false, true, Some((s, _))) => s.pace_warning(elapsed_secs(exam, now)),
        (false, true, None) => {
            let live = exam_pool(state, conn, cfg, rows, now)?;
            replay(cfg, exam, &live.pool, rows)?.pace_warning(elapsed_secs(exam, now))
        }
        _ => false,
    };
    Ok(CurrentView {
        exam_id: exam.public_id.clone(),
        title: exam.title.clone(),
        kind: cfg.kind.clone(),
        finished,
        item,
        answered,
        max_items: cfg.max_items,
        fixed_length: cfg.fixed_length,
        remaining_secs: remaining,
        pace_warning,
        allow_back: cfg.allow_back,
        feedback: cfg.feedback,
        last_feedback: last,
    })
}

/// The user's exam, locked, and finished first if its deadline has passed.
fn settled_exam(
    st: &AppState,
    c: &mut DbConn,
    user_id: i64,
    public_id: &str,
    now: PrimitiveDateTime,
) -> AppResult<db::ExamRow> {
    let exam = own_exam(c, user_id, public_id)?;
    db::lock(c, exam.id)?;
    if finish_if_overdue(st, c, &exam, now)? {
        return own_exam(c, user_id, public_id);
    }
    Ok(exam)
}

/// The exam's current state: the item on screen (stem and shuffled options only) and the time left.
/// An exam past its deadline is finished here under its program's rule.
pub async fn current(state: &AppState, user_id: i64, public_id: String) -> AppResult<CurrentView> {
    let st = state.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = settled_exam(&st, c, user_id, &public_id, now)?;
            current_view(&st, c, &exam, now, None)
        })
        .await
}

/// Why an answer was refused.
#[derive(Debug)]
pub enum AnswerRefused {
    /// The deadline passed; the exam has been finished under its program's rule.
    TimeUp,
    /// The exam is over.
    Finished,
    /// That position is not the one on screen (or was answered with another option).
    WrongPosition(String),
    BadOption,
}

pub enum AnswerResult {
    Next(CurrentView),
    Refused(AnswerRefused),
}

/// Records the answer to `position` and presents the next item (or finishes the exam). A repeated
/// identical answer (double click, retried request) changes nothing and returns the same state.
/// The work an answer needs, computed from a consistent read of the exam: the engine's decision
/// and the next item. Applying it is a short write.
struct Step {
    position: i32,
    chosen: i32,
    correct: bool,
    content: ItemContent,
    rows: Vec<db::ExamItemRow>,
    session: Session,
    next: Option<Choice>,
    live: Arc<LivePool>,
}

enum Decision {
    Done(AnswerResult),
    Overdue,
    Step(Box<Step>),
}

/// Reads only: what answering `position` with `option` does.
#[allow(clippy::too_many_arguments)]
fn decide(
    st: &AppState,
    c: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    rows: Vec<db::ExamItemRow>,
    position: i32,
    option: &str,
    now: PrimitiveDateTime,
) -> AppResult<Decision> {
    let Some(display) = display_index(option) else {
        return Ok(Decision::Done(AnswerResult::Refused(
            AnswerRefused::BadOption,
        )));
    };
    let over = |e: &db::ExamRow| {
        if e.outcome.as_deref() == Some("time_out") {
            AnswerRefused::TimeUp
        } else {
            AnswerRefused::Finished
        }
    };
    let Some(row) = rows.iter().find(|r| r.position == position).cloned() else {
        return Ok(Decision::Done(AnswerResult::Refused(
            if exam.status != db::IN_PROGRESS {
                over(exam)
            } else {
                AnswerRefused::WrongPosition(format!(
                    "Question {position} is not the current question."
                ))
            },
        )));
    };
    let chosen = order_of(&row.option_order)[display] as i32;
    if let Some(prev) = row.chosen {
        // Already answered: the same answer again is a harmless repeat.
        if prev == chosen {
            let fb = cfg
                .feedback
                .then(|| {
                    version_content(c, &row.item_id, row.version).map(|ct| feedback_of(&row, &ct))
                })
                .transpose()?;
            return Ok(Decision::Done(AnswerResult::Next(current_view_with(
                st, c, exam, cfg, &rows, None, now, fb,
            )?)));
        }
        return Ok(Decision::Done(AnswerResult::Refused(
            AnswerRefused::WrongPosition(format!("Question {position} has already been answered.")),
        )));
    }
    if exam.status != db::IN_PROGRESS {
        return Ok(Decision::Done(AnswerResult::Refused(over(exam))));
    }
    if exam.deadline_at.is_some_and(|d| now >= d) {
        return Ok(Decision::Overdue);
    }
    let live = exam_pool(st, c, cfg, &rows, now)?;
    let content = match live
        .items
        .get(&row.item_id)
        .filter(|li| li.version == row.version)
    {
        Some(li) => (*li.content).clone(),
        None => version_content(c, &row.item_id, row.version)?,
    };
    let correct = chosen as usize == content.key;
    let rows: Vec<db::ExamItemRow> = rows
        .into_iter()
        .map(|mut r| {
            if r.position == position {
                r.chosen = Some(chosen);
                r.correct = Some(correct);
                r.answered_at = Some(now);
            }
            r
        })
        .collect();
    // Replay what came before, then record this answer on the restored pending item.
    let before: Vec<db::ExamItemRow> = rows
        .iter()
        .filter(|r| r.position < position)
        .cloned()
        .collect();
    let mut session = replay(cfg, exam, &live.pool, &before)?;
    session
        .restore_pending(
            &live.pool,
            &Choice {
                item_id: row.item_id.clone(),
                scored: row.scored,
            },
        )
        .map_err(engine_err)?;
    session.record(&row.item_id, correct).map_err(engine_err)?;
    if cfg.timed {
        session.check_time(elapsed_secs(exam, now));
    }
    let mut next = None;
    if session.is_finished().is_none() {
        let seen: Vec<String> = serde_json::from_str(&exam.seen).unwrap_or_default();
        let ctx = SelectionContext::new(&live.pool, &seen);
        next = session.next_item(&live.pool, &ctx).map_err(engine_err)?;
    }
    Ok(Decision::Step(Box::new(Step {
        position,
        chosen,
        correct,
        content,
        rows,
        session,
        next,
        live,
    })))
}

/// Writes a step; `None` when the item was answered meanwhile (the caller starts over, locked).
/// With the result comes the exam's state for [`LiveExams`] while the exam goes on; the caller
/// keeps it only once the transaction has committed.
fn apply(
    st: &AppState,
    c: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    step: Step,
    now: PrimitiveDateTime,
) -> AppResult<Option<(AnswerResult, Option<LiveExam>)>> {
    if !db::answer(c, exam.id, step.position, step.chosen, step.correct, now)? {
        return Ok(None);
    }
    let fb = if cfg.feedback {
        step.rows
            .iter()
            .find(|r| r.position == step.position)
            .map(|r| feedback_of(r, &step.content))
    } else {
        None
    };
    let Some(choice) = &step.next else {
        finalize(c, exam, cfg, &step.session, &step.rows, now)?;
        let exam = db::find_by_public_id(c, &exam.public_id)?.ok_or_else(AppError::not_found)?;
        let view = current_view(st, c, &exam, now, fb)?;
        return Ok(Some((AnswerResult::Next(view), None)));
    };
    let mut rows = step.rows;
    rows.push(present(
        c,
        exam,
        &step.live,
        choice,
        step.position + 1,
        now,
    )?);
    let view = current_view_with(
        st,
        c,
        exam,
        cfg,
        &rows,
        Some((&step.session, &step.live)),
        now,
        fb,
    )?;
    let live = LiveExam::new(exam.clone(), cfg.clone(), rows, step.session, step.live);
    Ok(Some((AnswerResult::Next(view), Some(live))))
}

/// Records the answer to `position` and presents the next item (or finishes the exam). A repeated
/// identical answer (double click, retried request) changes nothing and returns the same state.
///
/// Fast path: while an exam runs, its state (items, replayed engine session) is kept in
/// [`LiveExams`], so an answer is one short write transaction. Otherwise the engine's work is done
/// on a plain read; the write transaction then only checks that the item is still unanswered and
/// the exam still running, and stores the answer and the next item. If another request got there
/// first, the whole answer is redone under the exam's lock.
pub async fn answer(
    state: &AppState,
    user_id: i64,
    public_id: String,
    position: i32,
    option: String,
) -> AppResult<AnswerResult> {
    if let (Some(entry), Some(display)) = (state.live_exams.get(&public_id), display_index(&option))
    {
        let st = state.clone();
        let held = entry.clone();
        let fast = state
            .tx(move |c| {
                let now = st.clock.now();
                // A poisoned entry is simply not used: the full path rebuilds the state.
                let Ok(mut e) = held.lock() else {
                    return Ok(None);
                };
                live::answer(&st, c, &mut e, user_id, position, display, now)
            })
            .await;
        match fast {
            Ok(Some(AnswerResult::Next(v))) if !v.finished => {
                LiveExams::committed(&entry);
                return Ok(AnswerResult::Next(v));
            }
            Ok(Some(r)) => {
                state.live_exams.forget(&public_id);
                return Ok(r);
            }
            Ok(None) => state.live_exams.forget(&public_id),
            Err(e) => {
                state.live_exams.forget(&public_id);
                return Err(e);
            }
        }
    }
    let st = state.clone();
    let (pid, opt) = (public_id.clone(), option.clone());
    let planned = state
        .db(move |c| {
            let now = st.clock.now();
            let exam = own_exam(c, user_id, &pid)?;
            let cfg = load_config(&exam)?;
            let rows = db::items_of(c, exam.id)?;
            Ok((
                decide(&st, c, &exam, &cfg, rows, position, &opt, now)?,
                exam,
                cfg,
            ))
        })
        .await?;
    match planned {
        (Decision::Done(r), _, _) => return Ok(r),
        (Decision::Overdue, _, _) => {}
        (Decision::Step(step), exam, cfg) => {
            let st = state.clone();
            let applied = state
                .tx(move |c| {
                    let now = st.clock.now();
                    db::lock(c, exam.id)?;
                    let fresh = db::find_by_public_id(c, &exam.public_id)?
                        .ok_or_else(AppError::not_found)?;
                    if fresh.status != db::IN_PROGRESS
                        || fresh.deadline_at.is_some_and(|d| now >= d)
                    {
                        return Ok(None);
                    }
                    apply(&st, c, &fresh, &cfg, *step, now)
                })
                .await?;
            if let Some((r, live)) = applied {
                if let Some(live) = live {
                    state.live_exams.put(live);
                }
                return Ok(r);
            }
        }
    }
    // Slow path: everything under the exam's lock.
    let st = state.clone();
    let (r, live) = state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = own_exam(c, user_id, &public_id)?;
            db::lock(c, exam.id)?;
            let cfg = load_config(&exam)?;
            let rows = db::items_of(c, exam.id)?;
            match decide(&st, c, &exam, &cfg, rows, position, &option, now)? {
                Decision::Done(r) => Ok((r, None)),
                Decision::Overdue => {
                    finish_if_overdue(&st, c, &exam, now)?;
                    Ok((AnswerResult::Refused(AnswerRefused::TimeUp), None))
                }
                Decision::Step(step) => {
                    Ok(apply(&st, c, &exam, &cfg, *step, now)?.unwrap_or_else(|| {
                        let m = format!("Question {position} has already been answered.");
                        (AnswerResult::Refused(AnswerRefused::WrongPosition(m)), None)
                    }))
                }
            }
        })
        .await?;
    if let Some(live) = live {
        state.live_exams.put(live);
    }
    Ok(r)
}

/// The displayed option (0 = A) named by `option`, if it is one.
fn display_index(option: &str) -> Option<usize> {
    let o = option.trim().to_uppercase();
    KEYS.iter().position(|k| k.to_string() == o)
}

/// Drills: an item already answered, with its key and rationales (going back).
pub async fn answered_item(
    state: &AppState,
    user_id: i64,
    public_id: String,
    position: i32,
) -> AppResult<Feedback> {
    state
        .db(move |c| {
            let exam = own_exam(c, user_id, &public_id)?;
            let cfg = load_config(&exam)?;
            let rows = db::items_of(c, exam.id)?;
            let row = rows
                .iter()
                .find(|r| r.position == position)
                .ok_or_else(|| AppError::NotFound("No such question in this exam.".into()))?;
            if row.chosen.is_none() {
                return Err(AppError::Conflict("Answer this question first.".into()));
            }
            if !cfg.allow_back && exam.status == db::IN_PROGRESS {
                return Err(AppError::Forbidden(
                    "This exam does not allow going back; review every answer when it is finished."
                        .into(),
                ));
            }
            Ok(feedback_of(
                row,
                &version_content(c, &row.item_id, row.version)?,
            ))
        })
        .await
}

#[derive(Debug, Clone, Serialize)]
pub struct ResultView {
    pub exam_id: String,
    pub title: String,
    pub kind: String,
    pub finished: bool,
    pub outcome: Option<String>,
    pub passed: Option<bool>,
    pub p_pass: Option<f64>,
    pub theta: Option<f64>,
    pub scaled_score: Option<i32>,
    pub n_scored: i32,
    pub n_correct: i32,
    pub items_answered: u32,
    pub time_used_secs: i64,
    pub diagnostics: bool,
    pub areas: Vec<AreaResult>,
    pub started_at: String,
    /// CE course exams: the certificate code when passed, and the pass mark.
    pub certificate: Option<String>,
    pub percent: i32,
    pub pass_percent: Option<i32>,
    /// A verdict by estimate needed at least this P(pass) (the exam's stored program), if any.
    pub min_pass_probability: Option<f64>,
    /// The exam's rule for a weak area: P(θ_area below the standard) at least this.
    pub weak_threshold: f64,
}

fn result_view(e: &db::ExamRow) -> AppResult<ResultView> {
    let stored: Option<StoredResult> = e
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)?;
    Ok(ResultView {
        exam_id: e.public_id.clone(),
        title: e.title.clone(),
        kind: e.program.clone(),
        finished: e.status != db::IN_PROGRESS,
        outcome: e.outcome.clone(),
        passed: e.passed,
        p_pass: e.p_pass,
        theta: e.theta,
        scaled_score: e.scaled_score,
        n_scored: e.n_scored,
        n_correct: e.n_correct,
        items_answered: stored.as_ref().map(|s| s.items_answered).unwrap_or(0),
        time_used_secs: stored.as_ref().map(|s| s.time_used_secs).unwrap_or(0),
        diagnostics: stored.as_ref().is_some_and(|s| s.diagnostics),
        areas: stored.map(|s| s.areas).unwrap_or_default(),
        started_at: crate::clock::display(e.started_at),
        certificate: None,
        percent: if e.n_scored > 0 {
            (100.0 * e.n_correct as f64 / e.n_scored as f64).round() as i32
        } else {
            0
        },
        pass_percent: None,
        min_pass_probability: load_config(e)
            .map(|c| c.engine.stopping.min_pass_probability)
            .ok()
            .filter(|p| *p > 0.0),
        weak_threshold: weak_threshold(e),
    })
}

/// The student ends an unfinished exam: it closes as "ended early" with the answers given so far
/// counted, and without a verdict (a pass, a probability or a score needs the whole exam).
pub async fn end_early(state: &AppState, user_id: i64, public_id: String) -> AppResult<()> {
    let st = state.clone();
    let id = public_id.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = settled_exam(&st, c, user_id, &id, now)?;
            if exam.status != db::IN_PROGRESS {
                return Err(AppError::Conflict("This exam has already finished.".into()));
            }
            let rows = db::items_of(c, exam.id)?;
            let answered: Vec<&db::ExamItemRow> =
                rows.iter().filter(|r| r.correct.is_some()).collect();
            let scored: Vec<&&db::ExamItemRow> = answered.iter().filter(|r| r.scored).collect();
            let n_correct = scored.iter().filter(|r| r.correct == Some(true)).count() as i32;
            db::drop_unanswered(c, exam.id)?;
            let stored = StoredResult {
                reason: "ended".into(),
                diagnostics: false,
                areas: vec![],
                time_used_secs: (now.min(exam.deadline_at.unwrap_or(now)) - exam.started_at)
                    .whole_seconds(),
                items_answered: answered.len() as u32,
            };
            let json = serde_json::to_string(&stored).map_err(AppError::internal)?;
            let done = db::finish(
                c,
                exam.id,
                db::FINISHED,
                "ended",
                None,
                None,
                None,
                None,
                None,
                scored.len() as i32,
                n_correct,
                Some(&json),
                now,
            )?;
            if !done {
                return Err(AppError::Conflict("This exam has already finished.".into()));
            }
            Ok(())
        })
        .await?;
    // The running exam held in memory is dropped: any later answer meets the finished exam.
    state.live_exams.forget(&public_id);
    Ok(())
}

pub async fn result(state: &AppState, user_id: i64, public_id: String) -> AppResult<ResultView> {
    let st = state.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = settled_exam(&st, c, user_id, &public_id, now)?;
            if exam.status == db::IN_PROGRESS {
                return Err(AppError::Conflict("This exam is still in progress.".into()));
            }
            let mut view = result_view(&exam)?;
            if let Some(course) = load_config(&exam)?.course {
                view.certificate = crate::store::courses::by_exam(c, exam.id)?.map(|c| c.code);
                view.pass_percent = crate::store::courses::find(c, course)?.map(|c| c.pass_percent);
            }
            Ok(view)
        })
        .await
}

/// After finishing: every answered item (scored or trial, now marked) with the answer given, the
/// key and all rationales.
pub async fn review(
    state: &AppState,
    user_id: i64,
    public_id: String,
    missed_only: bool,
) -> AppResult<Vec<Feedback>> {
    state
        .db(move |c| {
            let exam = own_exam(c, user_id, &public_id)?;
            if exam.status == db::IN_PROGRESS {
                return Err(AppError::Forbidden(
                    "Answers and rationales are shown once the exam is finished.".into(),
                ));
            }
            let rows = db::items_of(c, exam.id)?;
            let mut out = vec![];
            for r in rows.iter().filter(|r| r.chosen.is_some()) {
                if missed_only && r.correct == Some(true) {
                    continue;
                }
                out.push(feedback_of(r, &version_content(c, &r.item_id, r.version)?));
            }
            Ok(out)
        })
        .await
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub exam_id: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub started_at: String,
    pub passed: Option<bool>,
    pub p_pass: Option<f64>,
    pub theta: Option<f64>,
    pub scaled_score: Option<i32>,
    pub n_scored: i32,
    pub n_correct: i32,
    pub outcome: Option<String>,
    pub areas: Vec<AreaResult>,
    /// The exam's rule for a weak area: P(θ_area below the standard) at least this.
    pub weak_threshold: f64,
    /// Questions answered so far (unfinished exams; 0 for finished ones).
    pub answered: i64,
}

/// The weak-area threshold the exam was run with.
fn weak_threshold(e: &db::ExamRow) -> f64 {
    load_config(e)
        .map(|c| c.engine.diagnostics.weak_threshold)
        .unwrap_or(crate::domain::irt::program::DiagnosticsConfig::default().weak_threshold)
}

pub async fn history(state: &AppState, user_id: i64) -> AppResult<Vec<HistoryEntry>> {
    state
        .db(move |c| {
            let answered = db::answered_in_progress(c, user_id)?;
            db::exams_of(c, user_id)?
                .into_iter()
                .map(|e| {
                    let areas = e
                        .result
                        .as_deref()
                        .and_then(|r| serde_json::from_str::<StoredResult>(r).ok())
                        .map(|s| s.areas)
                        .unwrap_or_default();
                    Ok(HistoryEntry {
                        weak_threshold: weak_threshold(&e),
                        answered: answered.get(&e.id).copied().unwrap_or(0),
                        exam_id: e.public_id,
                        title: e.title,
                        kind: e.program,
                        status: e.status,
                        started_at: crate::clock::display(e.started_at),
                        passed: e.passed,
                        p_pass: e.p_pass,
                        theta: e.theta,
                        scaled_score: e.scaled_score,
                        n_scored: e.n_scored,
                        n_correct: e.n_correct,
                        outcome: e.outcome,
                        areas,
                    })
                })
                .collect()
        })
        .await
}

/// Background job: finishes exams abandoned past their deadline.
pub async fn finalize_overdue(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let ids = state.db(move |c| Ok(db::overdue(c, now, 50)?)).await?;
    let mut n = 0;
    for id in ids {
        let st = state.clone();
        let done = state
            .tx(move |c| {
                let now = st.clock.now();
                let Some(exam) = db::find_by_public_id(c, &id)? else {
                    return Ok(false);
                };
                db::lock(c, exam.id)?;
                let exam = db::find_by_public_id(c, &id)?.ok_or_else(AppError::not_found)?;
                finish_if_overdue(&st, c, &exam, now)
            })
            .await?;
        if done {
            n += 1;
        }
    }
    Ok(n)
}
