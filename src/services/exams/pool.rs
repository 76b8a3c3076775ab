//! The item pool: live items with their parameters, cached per program and invalidated when the bank changes.

use super::*;
use crate::services::calibration::{self, Parameters};

/// A live item as the exam layer needs it.
#[derive(Debug, Clone)]
pub struct PoolEntry {
    pub version: i32,
    pub area: String,
    pub subarea: String,
    pub content: Arc<ItemContent>,
}

pub struct ExamPool {
    pub pool: Arc<ItemPool>,
    pub items: HashMap<String, PoolEntry>,
    /// When the pool was read from the database (its exposure rates and live versions).
    pub built: Instant,
    /// The [`PoolCache`] generation it was built in (a bank change starts a new one).
    pub generation: u64,
    /// The calibration run whose parameters it carries (none: the priors).
    pub parameters: Option<i64>,
}

/// The live bank as an engine pool, rebuilt at most every 30 seconds (or when invalidated after a
/// bank change in this instance). Exposure rates are the share of exams in the last 30 days that
/// presented the item. When the pool is due, one request rebuilds it while the others go on with
/// the previous one (no stampede of rebuilds under load).
#[derive(Default)]
pub struct PoolCache {
    cached: RwLock<Option<Arc<ExamPool>>>,
    rebuilding: std::sync::atomic::AtomicBool,
    /// Bumped by [`PoolCache::invalidate`]; pools remember the generation they were built in.
    generation: std::sync::atomic::AtomicU64,
    /// Pools of earlier calibration runs, for exams that started before the latest run (rebuilt
    /// after the same 30 s, dropped when no exam asks for them).
    earlier: std::sync::Mutex<HashMap<Option<i64>, Arc<ExamPool>>>,
}

pub(super) const POOL_TTL: StdDuration = StdDuration::from_secs(30);

impl PoolCache {
    pub fn invalidate(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut c) = self.cached.write() {
            *c = None;
        }
        if let Ok(mut e) = self.earlier.lock() {
            e.clear();
        }
    }

    /// The whole-bank pool with the parameters of `run`: the shared pool when it carries them,
    /// else a pool of that run's parameters.
    pub fn get_for_run(
        &self,
        conn: &mut DbConn,
        now: PrimitiveDateTime,
        run: Option<i64>,
    ) -> AppResult<Arc<ExamPool>> {
        let shared = self.get_or_build(conn, now)?;
        if shared.parameters == run {
            return Ok(shared);
        }
        if let Some(p) = self.earlier.lock().ok().and_then(|e| e.get(&run).cloned())
            && p.built.elapsed() < POOL_TTL
            && p.generation == self.generation()
        {
            return Ok(p);
        }
        let params = calibration::parameters_as_of(conn, run)?;
        let built = Arc::new(build_pool(conn, now, None, self.generation(), &params)?);
        if let Ok(mut e) = self.earlier.lock() {
            e.retain(|_, p| p.built.elapsed() < POOL_TTL);
            e.insert(run, built.clone());
        }
        Ok(built)
    }

    /// The current generation (see [`ExamPool::generation`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn get_or_build(
        &self,
        conn: &mut DbConn,
        now: PrimitiveDateTime,
    ) -> AppResult<Arc<ExamPool>> {
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
        let built = calibration::current_parameters(conn)
            .and_then(|params| build_pool(conn, now, None, generation, &params));
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

pub(super) fn build_pool(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    subareas: Option<&[String]>,
    generation: u64,
    params: &Parameters,
) -> AppResult<ExamPool> {
    build_pool_of(conn, now, subareas, &[], generation, params)
}

/// [`build_pool`], also restricted to the questions `only` (unless it is empty).
pub(super) fn build_pool_of(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    subareas: Option<&[String]>,
    only: &[String],
    generation: u64,
    params: &Parameters,
) -> AppResult<ExamPool> {
    let rows = bankdb::live_versions(conn)?;
    let (total, counts) = db::exposure_counts(conn, now - Duration::days(30))?;
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    let mut items = HashMap::new();
    let mut pool_items = vec![];
    for (item, v) in rows {
        if let Some(subs) = subareas
            && !subs.contains(&item.subarea)
        {
            continue;
        }
        if !only.is_empty() && !only.contains(&item.id) {
            continue;
        }
        let content = content_of(&v)?;
        let params = params_of(params, &v)?;
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
            PoolEntry {
                version: v.version,
                area: item.area,
                subarea: item.subarea,
                content: Arc::new(content),
            },
        );
    }
    let pool = ItemPool::new(pool_items)
        .map_err(|e| AppError::internal(anyhow::anyhow!("item pool: {e}")))?;
    Ok(ExamPool {
        pool: Arc::new(pool),
        items,
        built: Instant::now(),
        generation,
        parameters: params.run,
    })
}

/// A version's parameters: its active calibration as of the pool's run, else its prior.
fn params_of(params: &Parameters, v: &bankdb::VersionRow) -> AppResult<ItemParams> {
    let (a, b, c) = params
        .of(&v.item_id, v.version)
        .unwrap_or((v.irt_a, v.irt_b, v.irt_c));
    ItemParams::new(a, b, c).map_err(|e| {
        AppError::internal(anyhow::anyhow!(
            "item {} version {}: {e}",
            v.item_id,
            v.version
        ))
    })
}

/// The pool for one exam: the shared live pool, or a pool restricted to a drill's sub-areas.
/// Items presented earlier in the exam that are no longer live are added back as retired, so the
/// session can be replayed.
pub(super) fn exam_pool(
    state: &AppState,
    conn: &mut DbConn,
    cfg: &ExamConfig,
    presented: &[db::ExamItemRow],
    now: PrimitiveDateTime,
) -> AppResult<Arc<ExamPool>> {
    let base = if cfg.subareas.is_empty() && cfg.items.is_empty() {
        state.pools.get_for_run(conn, now, cfg.parameters)?
    } else {
        let params = calibration::parameters_as_of(conn, cfg.parameters)?;
        let subareas = (!cfg.subareas.is_empty()).then_some(&cfg.subareas[..]);
        Arc::new(build_pool_of(
            conn,
            now,
            subareas,
            &cfg.items,
            state.pools.generation(),
            &params,
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
    let params = calibration::parameters_as_of(conn, cfg.parameters)?;
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
            params: params_of(&params, &v)?,
            area: v.area.clone(),
            subarea: Some(v.subarea.clone()),
            enemies: content.enemies.clone(),
            status: ItemStatus::Retired,
            exposure_rate: 0.0,
            n_responses: 0,
        });
        items.insert(
            r.item_id.clone(),
            PoolEntry {
                version: v.version,
                area: v.area,
                subarea: v.subarea,
                content: Arc::new(content),
            },
        );
    }
    let pool = ItemPool::new(pool_items)
        .map_err(|e| AppError::internal(anyhow::anyhow!("item pool: {e}")))?;
    Ok(Arc::new(ExamPool {
        pool: Arc::new(pool),
        items,
        built: base.built,
        generation: base.generation,
        parameters: base.parameters,
    }))
}
