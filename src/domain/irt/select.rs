//! Item selection: blueprint-first area choice (Kingsbury–Zara deficit; exact quotas for
//! fixed-length forms), eligibility filters (seen recently, enemies, exposure cap), then maximum
//! Fisher information at θ̂ with randomesque choice among the top k.
//!
//! The functions here allocate nothing per candidate: a pass over one area's items reads a
//! compact array, two bit sets and the exposure vector.

use std::cmp::Reverse;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::blueprint::{Blueprint, SUBAREA_MIN_ELIGIBLE};
use super::error::IrtError;
use super::pool::{HotItem, IndexSet, ItemPool, NO_SUBAREA, SelectionContext};

/// Largest supported randomesque width.
pub const MAX_TOP_K: usize = 16;

/// Tunables of the selection step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SelectionOptions {
    /// Exposure cap: items whose exposure rate exceeds this are skipped while alternatives exist.
    pub r_max: f64,
    /// Randomesque width: pick uniformly among the `top_k` most informative items (1..=16).
    pub top_k: usize,
    /// The first `warmup_items` scored items are selected at the prior mean instead of θ̂.
    pub warmup_items: u32,
    /// How items are ranked inside the chosen area.
    #[serde(default)]
    pub criterion: Criterion,
}

/// How eligible items are ranked inside the area the blueprint picked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Adaptive: Fisher information at θ̂ (randomesque among the top k).
    #[default]
    MaxInformation,
    /// A fixed form: uniformly at random among eligible items (ties in the exposure fallback
    /// too), so the items never depend on the answers; on an unchanged pool the session's seed
    /// determines the whole form.
    Random,
}

impl Default for SelectionOptions {
    fn default() -> Self {
        SelectionOptions {
            r_max: 0.25,
            top_k: 3,
            warmup_items: 3,
            criterion: Criterion::MaxInformation,
        }
    }
}

impl SelectionOptions {
    /// r_max in (0, 1], top_k in 1..=16.
    pub fn validate(&self) -> Result<(), IrtError> {
        if !(self.r_max.is_finite() && self.r_max > 0.0 && self.r_max <= 1.0) {
            return Err(IrtError::InvalidConfig(format!(
                "r_max {} must be in (0, 1]",
                self.r_max
            )));
        }
        if self.top_k == 0 || self.top_k > MAX_TOP_K {
            return Err(IrtError::InvalidConfig(format!(
                "top_k {} must be in 1..={MAX_TOP_K}",
                self.top_k
            )));
        }
        Ok(())
    }
}

/// A blueprint matched against a pool's area / sub-area names.
#[derive(Debug, Clone)]
pub struct ResolvedBlueprint {
    pool_uid: u64,
    weights: Vec<f64>,
    pool_area: Vec<Option<u32>>,
    bp_area_of_pool_area: Vec<Option<usize>>,
    sub_weights: Vec<Vec<f64>>,
    sub_pool_ids: Vec<Vec<Option<u32>>>,
}

impl ResolvedBlueprint {
    /// Resolves area and sub-area names against the pool. Blueprint areas without items are
    /// allowed (they are simply never available).
    pub fn new(bp: &Blueprint, pool: &ItemPool) -> Result<Self, IrtError> {
        bp.validate()?;
        let weights = bp.normalised_weights();
        let pool_area: Vec<Option<u32>> = bp.areas.iter().map(|a| pool.area_id(&a.name)).collect();
        let n_pool_areas = pool.n_areas();
        let mut bp_area_of_pool_area = vec![None; n_pool_areas];
        for (d, pa) in pool_area.iter().enumerate() {
            if let Some(pa) = pa
                && let Some(slot) = bp_area_of_pool_area.get_mut(*pa as usize)
            {
                *slot = Some(d);
            }
        }
        let mut sub_weights = Vec::with_capacity(bp.areas.len());
        let mut sub_pool_ids = Vec::with_capacity(bp.areas.len());
        for (d, a) in bp.areas.iter().enumerate() {
            sub_weights.push(bp.normalised_subarea_weights(d));
            sub_pool_ids.push(
                a.subareas
                    .iter()
                    .map(|s| pool_area[d].and_then(|pa| pool.subarea_id(pa, &s.name)))
                    .collect(),
            );
        }
        Ok(ResolvedBlueprint {
            pool_uid: pool.uid(),
            weights,
            pool_area,
            bp_area_of_pool_area,
            sub_weights,
            sub_pool_ids,
        })
    }

    /// Number of blueprint areas.
    pub fn n_areas(&self) -> usize {
        self.weights.len()
    }

    /// Normalised area weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Number of configured sub-areas of blueprint area `d`.
    pub fn n_subareas(&self, d: usize) -> usize {
        self.sub_weights.get(d).map_or(0, Vec::len)
    }

    /// Blueprint area of the pool item at `index` (None if its area is not in the blueprint).
    pub fn area_of_item(&self, pool: &ItemPool, index: usize) -> Option<usize> {
        if index >= pool.len() {
            return None;
        }
        self.bp_area_of_pool_area
            .get(pool.area_of(index) as usize)
            .copied()
            .flatten()
    }

    /// Blueprint sub-area (index within its area) of the pool item at `index`, if configured.
    pub fn subarea_of_item(&self, pool: &ItemPool, index: usize) -> Option<usize> {
        let d = self.area_of_item(pool, index)?;
        let name = pool.get(index)?.subarea.as_deref()?;
        let pa = self.pool_area[d]?;
        let sid = pool.subarea_id(pa, name)?;
        self.sub_pool_ids[d].iter().position(|s| *s == Some(sid))
    }

    /// Uid of the pool this was resolved against.
    pub fn pool_uid(&self) -> u64 {
        self.pool_uid
    }

    /// True if this was resolved against `pool`.
    pub fn is_for(&self, pool: &ItemPool) -> bool {
        self.pool_uid == pool.uid()
    }
}

/// Scored items administered so far, per blueprint area and sub-area.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Scored items per blueprint area.
    pub area_counts: Vec<u32>,
    /// Scored items per configured sub-area, per area.
    pub subarea_counts: Vec<Vec<u32>>,
    /// Total scored items.
    pub n_scored: u32,
}

impl Tally {
    /// An all-zero tally shaped like the blueprint.
    pub fn new(bp: &Blueprint) -> Self {
        Tally {
            area_counts: vec![0; bp.areas.len()],
            subarea_counts: bp.areas.iter().map(|a| vec![0; a.subareas.len()]).collect(),
            n_scored: 0,
        }
    }

    /// Counts one scored item.
    pub fn add(&mut self, area: Option<usize>, subarea: Option<usize>) {
        self.n_scored += 1;
        if let Some(d) = area {
            if let Some(c) = self.area_counts.get_mut(d) {
                *c += 1;
            }
            if let Some(s) = subarea
                && let Some(c) = self.subarea_counts.get_mut(d).and_then(|v| v.get_mut(s))
            {
                *c += 1;
            }
        }
    }
}

/// Which soft constraint, if any, had to be relaxed to find an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// All constraints held.
    None,
    /// Every eligible item in the area was over the exposure cap: the least exposed was taken.
    LeastExposed,
    /// Nothing unseen was left: the least recently seen item was taken.
    LeastRecentlySeen,
    /// No area with remaining quota had any item left: quotas were relaxed.
    QuotaRelaxed,
}

/// The outcome of a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selected {
    /// Pool index of the item.
    pub index: usize,
    /// Blueprint area of the item (None for pretest items outside the blueprint).
    pub area: Option<usize>,
    /// Blueprint sub-area inside the area, if configured.
    pub subarea: Option<usize>,
    /// Constraint relaxed to find it.
    pub fallback: Fallback,
}

/// Everything the scored-item selector needs besides the pool, the context and the rng.
#[derive(Debug, Clone, Copy)]
pub struct ScoredRequest<'a> {
    /// Blueprint resolved against the pool.
    pub blueprint: &'a ResolvedBlueprint,
    /// Scored items so far per area.
    pub tally: &'a Tally,
    /// Exact per-area quotas for fixed-length forms (`None` in variable mode).
    pub quotas: Option<&'a [u32]>,
    /// Ability at which information is maximised (θ̂, or μ₀ during warm-up).
    pub theta: f64,
    /// Items administered in this session and their enemies.
    pub blocked: &'a IndexSet,
    /// Exposure cap and randomesque width.
    pub options: &'a SelectionOptions,
}

/// Adds an administered item and its enemies to the blocked set.
pub fn block_item(pool: &ItemPool, blocked: &mut IndexSet, index: usize) {
    if index >= pool.len() {
        return;
    }
    blocked.insert(index);
    for &e in pool.enemies_of(index) {
        blocked.insert(e as usize);
    }
}

/// Orders the blueprint areas by priority for the next scored item.
///
/// Variable mode: Kingsbury–Zara, largest deficit w_d·(n + 1) − count_d first, ties at random;
/// areas with zero weight never appear.
///
/// Fixed mode (`quotas` given, summing to the form length L): areas whose quota is filled never
/// appear. Each area is paced by its quota's share, t_d = q_d·n / L (within one item of w_d·n
/// when every area has a quota; reachable also when tiny areas' quotas round to zero). Areas
/// whose next item would not put them more than one item ahead of t_d come first, ordered by the
/// latest position at which their next item can come without falling more than one item behind
/// (earliest deadline first), then by deficit, then at random. With enough items this keeps every
/// |count_d − t_d| ≤ 1 and ends exactly on the quotas.
pub fn area_order<R: Rng + ?Sized>(
    weights: &[f64],
    counts: &[u32],
    n_scored: u32,
    quotas: Option<&[u32]>,
    rng: &mut R,
    out: &mut Vec<usize>,
) {
    out.clear();
    let next = f64::from(n_scored) + 1.0;
    let length: u64 = quotas.map_or(0, |q| q.iter().map(|&x| u64::from(x)).sum());
    // (not released, deadline, reverse deficit, random, area)
    let mut keys: Vec<(bool, u64, Reverse<i64>, u32, usize)> = Vec::with_capacity(weights.len());
    for (d, &w) in weights.iter().enumerate() {
        let count = counts.get(d).copied().unwrap_or(0);
        // Fixed mode paces each area by its quota's share of the form, q_d / L: that share ends
        // exactly on the quota, and it stays reachable when tiny areas' quotas round to zero
        // (their weight would otherwise pile up as a target no area can meet).
        let w = match quotas {
            Some(q) if length > 0 => f64::from(q.get(d).copied().unwrap_or(0)) / length as f64,
            _ => w,
        };
        let deficit = w * next - f64::from(count);
        let deficit_key = Reverse((deficit * 1e9).round() as i64);
        let tie = rng.random::<u32>();
        match quotas {
            None => {
                if w > 0.0 {
                    keys.push((false, 0, deficit_key, tie, d));
                }
            }
            Some(q) => {
                let quota = q.get(d).copied().unwrap_or(0);
                if count >= quota {
                    continue;
                }
                let released = f64::from(count) + 1.0 - w * next <= 1.0 + 1e-9;
                let deadline = if w > 0.0 {
                    (((f64::from(count) + 1.0) / w + 1e-9).floor() as u64)
                        .saturating_add(1)
                        .min(length)
                } else {
                    length
                };
                keys.push((!released, deadline, deficit_key, tie, d));
            }
        }
    }
    keys.sort_unstable();
    out.extend(keys.iter().map(|k| k.4));
}

/// The `k` best (information, index) pairs seen so far, best first.
#[derive(Debug, Clone, Copy)]
struct TopK {
    k: usize,
    len: usize,
    info: [f64; MAX_TOP_K],
    index: [u32; MAX_TOP_K],
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k: k.clamp(1, MAX_TOP_K),
            len: 0,
            info: [0.0; MAX_TOP_K],
            index: [0; MAX_TOP_K],
        }
    }

    #[inline]
    fn push(&mut self, info: f64, index: u32) {
        if self.len == self.k && info <= self.info[self.len - 1] {
            return;
        }
        let mut pos = if self.len < self.k {
            self.len
        } else {
            self.len - 1
        };
        while pos > 0 && self.info[pos - 1] < info {
            self.info[pos] = self.info[pos - 1];
            self.index[pos] = self.index[pos - 1];
            pos -= 1;
        }
        self.info[pos] = info;
        self.index[pos] = index;
        if self.len < self.k {
            self.len += 1;
        }
    }

    fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<u32> {
        match self.len {
            0 => None,
            1 => Some(self.index[0]),
            n => Some(self.index[rng.random_range(0..n)]),
        }
    }
}

/// Fisher information of a hot item (single `exp`, see [`super::model::ItemParams::information`]).
#[inline]
fn info(it: &HotItem, theta: f64) -> f64 {
    let e = (-it.a * (theta - it.b)).exp();
    let s = 1.0 / (1.0 + e);
    let p = it.c + (1.0 - it.c) * s;
    let v = it.a * it.a * (1.0 - it.c) * e * s * s * s / p;
    if v.is_finite() { v } else { 0.0 }
}

/// Read-only inputs shared by every area scan of one selection.
struct ScanInputs<'a> {
    ctx: &'a SelectionContext,
    blocked: &'a IndexSet,
    exposure: &'a [f64],
    theta: f64,
    opts: &'a SelectionOptions,
}

/// Scans one area: maximum information among unseen, unblocked items under the exposure cap,
/// restricted to `subarea` (pool sub-area id) when given. Returns the pick and whether the
/// exposure fallback was used; `None` when the area has no unseen, unblocked item.
fn scan_area<R: Rng + ?Sized>(
    items: &[HotItem],
    inp: &ScanInputs<'_>,
    subarea: Option<u32>,
    rng: &mut R,
) -> Option<(u32, Fallback)> {
    let ScanInputs {
        ctx,
        blocked,
        exposure,
        theta,
        opts,
    } = *inp;
    let mut top = TopK::new(opts.top_k);
    // Least exposed over-cap item: (exposure, score, index).
    let mut least: Option<(f64, f64, u32)> = None;
    for it in items {
        let i = it.index as usize;
        if blocked.contains(i) || ctx.is_seen(i) {
            continue;
        }
        if let Some(s) = subarea
            && it.subarea != s
        {
            continue;
        }
        let r = exposure.get(i).copied().unwrap_or(0.0);
        let mut score = || match opts.criterion {
            Criterion::MaxInformation => info(it, theta),
            Criterion::Random => rng.random::<f64>(),
        };
        if r > opts.r_max {
            if least.is_none_or(|(lr, _, _)| r <= lr) {
                let s = score();
                if least.is_none_or(|(lr, ls, _)| r < lr || s > ls) {
                    least = Some((r, s, it.index));
                }
            }
            continue;
        }
        top.push(score(), it.index);
    }
    if let Some(i) = top.pick(rng) {
        Some((i, Fallback::None))
    } else {
        least.map(|(_, _, i)| (i, Fallback::LeastExposed))
    }
}

/// Chooses a sub-area inside blueprint area `d` by the same deficit rule, among configured
/// sub-areas with at least [`SUBAREA_MIN_ELIGIBLE`] eligible items; `None` = no restriction.
fn choose_subarea<R: Rng + ?Sized>(
    req: &ScoredRequest<'_>,
    d: usize,
    items: &[HotItem],
    ctx: &SelectionContext,
    rng: &mut R,
) -> Option<u32> {
    let bp = req.blueprint;
    let ids = bp.sub_pool_ids.get(d)?;
    if ids.is_empty() {
        return None;
    }
    let mut eligible = vec![0usize; ids.len()];
    for it in items {
        let i = it.index as usize;
        if it.subarea == NO_SUBAREA || req.blocked.contains(i) || ctx.is_seen(i) {
            continue;
        }
        if let Some(s) = ids.iter().position(|s| *s == Some(it.subarea)) {
            eligible[s] += 1;
        }
    }
    let w = &bp.sub_weights[d];
    let counts = req
        .tally
        .subarea_counts
        .get(d)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let n_area: u32 = req.tally.area_counts.get(d).copied().unwrap_or(0);
    let mut order = Vec::with_capacity(w.len());
    area_order(w, counts, n_area, None, rng, &mut order);
    order
        .into_iter()
        .find(|&s| eligible[s] >= SUBAREA_MIN_ELIGIBLE)
        .and_then(|s| ids[s])
}

/// Selects the next scored item, or `None` when no operational item is left that is neither
/// administered nor an enemy of one.
///
/// Steps: areas in [`area_order`] priority (only areas with an unseen, unblocked item qualify);
/// inside the area optional sub-area balancing; drop over-exposed items (or take the least
/// exposed if all are); maximum information at `req.theta`, random among the top k. If nothing
/// unseen is left anywhere, the least recently seen item of the highest-priority area is taken.
/// In fixed mode, if no area with quota left has any item, quotas are relaxed as a last resort.
pub fn select_scored<R: Rng + ?Sized>(
    pool: &ItemPool,
    ctx: &SelectionContext,
    req: &ScoredRequest<'_>,
    rng: &mut R,
) -> Result<Option<Selected>, IrtError> {
    ctx.check_pool(pool)?;
    if !req.blueprint.is_for(pool) {
        return Err(IrtError::InvalidConfig(
            "blueprint was resolved against another pool".into(),
        ));
    }
    req.options.validate()?;
    if !req.theta.is_finite() {
        return Err(IrtError::InvalidConfig(
            "selection theta must be finite".into(),
        ));
    }
    let mut order = Vec::with_capacity(req.blueprint.n_areas());
    area_order(
        req.blueprint.weights(),
        &req.tally.area_counts,
        req.tally.n_scored,
        req.quotas,
        rng,
        &mut order,
    );
    if let Some(s) = select_in_order(pool, ctx, req, &order, rng) {
        return Ok(Some(s));
    }
    if req.quotas.is_some() {
        area_order(
            req.blueprint.weights(),
            &req.tally.area_counts,
            req.tally.n_scored,
            None,
            rng,
            &mut order,
        );
        if let Some(mut s) = select_in_order(pool, ctx, req, &order, rng) {
            s.fallback = Fallback::QuotaRelaxed;
            return Ok(Some(s));
        }
    }
    Ok(None)
}

fn select_in_order<R: Rng + ?Sized>(
    pool: &ItemPool,
    ctx: &SelectionContext,
    req: &ScoredRequest<'_>,
    order: &[usize],
    rng: &mut R,
) -> Option<Selected> {
    let bp = req.blueprint;
    let inp = ScanInputs {
        ctx,
        blocked: req.blocked,
        exposure: pool.exposure_slice(),
        theta: req.theta,
        opts: req.options,
    };
    for &d in order {
        let Some(pa) = bp.pool_area.get(d).copied().flatten() else {
            continue;
        };
        let items = pool.operational_in_area(pa);
        let sub = choose_subarea(req, d, items, ctx, rng);
        let found = scan_area(items, &inp, sub, rng).or_else(|| {
            if sub.is_some() {
                scan_area(items, &inp, None, rng)
            } else {
                None
            }
        });
        if let Some((i, fallback)) = found {
            let index = i as usize;
            return Some(Selected {
                index,
                area: Some(d),
                subarea: bp.subarea_of_item(pool, index),
                fallback,
            });
        }
    }
    // Nothing unseen anywhere: least recently seen, highest-priority area first.
    let mut first_seen: Vec<Option<u32>> = vec![None; bp.n_areas()];
    for &i in ctx.seen_order() {
        let idx = i as usize;
        if req.blocked.contains(idx)
            || pool
                .get(idx)
                .is_none_or(|it| it.status != super::pool::ItemStatus::Operational)
        {
            continue;
        }
        if let Some(d) = bp.area_of_item(pool, idx)
            && first_seen[d].is_none()
        {
            first_seen[d] = Some(i);
        }
    }
    order.iter().find_map(|&d| first_seen[d]).map(|i| {
        let index = i as usize;
        Selected {
            index,
            area: bp.area_of_item(pool, index),
            subarea: bp.subarea_of_item(pool, index),
            fallback: Fallback::LeastRecentlySeen,
        }
    })
}

/// Selects an unscored pretest item: not blocked, not seen recently, fewest responses first,
/// ties at random. `None` when no pretest item qualifies (the slot is then given to a scored item).
pub fn select_pretest<R: Rng + ?Sized>(
    pool: &ItemPool,
    ctx: &SelectionContext,
    blocked: &IndexSet,
    rng: &mut R,
) -> Result<Option<usize>, IrtError> {
    ctx.check_pool(pool)?;
    let mut best: Option<(u32, usize)> = None;
    let mut ties = 0u32;
    for &i in pool.pretest_indices() {
        let idx = i as usize;
        if blocked.contains(idx) || ctx.is_seen(idx) {
            continue;
        }
        let n = pool.get(idx).map_or(u32::MAX, |it| it.n_responses);
        match best {
            Some((bn, _)) if n > bn => {}
            Some((bn, _)) if n == bn => {
                ties += 1;
                if rng.random_range(0..ties) == 0 {
                    best = Some((n, idx));
                }
            }
            _ => {
                best = Some((n, idx));
                ties = 1;
            }
        }
    }
    Ok(best.map(|(_, i)| i))
}

#[cfg(test)]
mod tests {
    use super::super::model::ItemParams;
    use super::super::pool::{ItemStatus, PoolItem};
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    #[test]
    fn top_k_keeps_best() {
        let mut t = TopK::new(3);
        for (i, v) in [0.1, 0.5, 0.3, 0.9, 0.2, 0.7].iter().enumerate() {
            t.push(*v, i as u32);
        }
        assert_eq!(&t.index[..3], &[3, 5, 1]);
    }

    #[test]
    fn area_order_variable_prefers_largest_deficit() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut out = Vec::new();
        area_order(&[0.5, 0.3, 0.2], &[5, 1, 2], 8, None, &mut rng, &mut out);
        // deficits at n+1 = 9: 4.5-5 = -0.5, 2.7-1 = 1.7, 1.8-2 = -0.2
        assert_eq!(out, vec![1, 2, 0]);
    }

    #[test]
    fn area_order_fixed_skips_full_quotas() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut out = Vec::new();
        area_order(&[0.5, 0.5], &[5, 3], 8, Some(&[5, 5]), &mut rng, &mut out);
        assert_eq!(out, vec![1]);
    }

    fn arb_pool() -> impl Strategy<Value = (Vec<PoolItem>, u64)> {
        let item = (
            0.4f64..2.5,
            -3.0f64..3.0,
            0.0f64..0.3,
            0usize..4,
            0.0f64..0.5,
            prop::bool::weighted(0.1),
        );
        (prop::collection::vec(item, 5..80), any::<u64>()).prop_map(|(v, seed)| {
            let n = v.len();
            let items = v
                .into_iter()
                .enumerate()
                .map(|(i, (a, b, c, area, exp, pre))| PoolItem {
                    id: format!("i{i}"),
                    params: ItemParams { a, b, c },
                    area: format!("A{area}"),
                    subarea: None,
                    enemies: if i % 7 == 3 {
                        vec![format!("i{}", (i * 5 + 1) % n)]
                    } else {
                        vec![]
                    },
                    status: if pre {
                        ItemStatus::Pretest
                    } else {
                        ItemStatus::Operational
                    },
                    exposure_rate: exp,
                    n_responses: 0,
                })
                .collect();
            (items, seed)
        })
    }

    proptest! {
        #[test]
        fn selection_never_returns_an_ineligible_item(
            (items, seed) in arb_pool(),
            administered in prop::collection::vec(0usize..80, 0..20),
            seen in prop::collection::vec(0usize..80, 0..40),
            fixed in any::<bool>(),
            theta in -3.0f64..3.0,
        ) {
            let pool = ItemPool::new(items).unwrap();
            let n = pool.len();
            let bp = Blueprint::from_weights([("A0", 0.4), ("A1", 0.3), ("A2", 0.2), ("A3", 0.1)]).unwrap();
            let rbp = ResolvedBlueprint::new(&bp, &pool).unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut blocked = IndexSet::with_capacity(n);
            let mut tally = Tally::new(&bp);
            for &i in &administered {
                let i = i % n;
                if pool.items()[i].status == ItemStatus::Operational && !blocked.contains(i) {
                    block_item(&pool, &mut blocked, i);
                    tally.add(rbp.area_of_item(&pool, i), None);
                }
            }
            let seen_ids: Vec<String> = seen.iter().map(|&i| format!("i{}", i % n)).collect();
            let ctx = SelectionContext::new(&pool, &seen_ids);
            let length = tally.n_scored + 10;
            let quotas = bp.quotas(length);
            // Quotas must be attainable from the current tally for the test to be meaningful.
            let quotas_ok = quotas.iter().zip(&tally.area_counts).all(|(q, c)| c <= q);
            let quotas = if fixed && quotas_ok { Some(quotas) } else { None };
            let opts = SelectionOptions::default();
            let req = ScoredRequest {
                blueprint: &rbp, tally: &tally, quotas: quotas.as_deref(), theta, blocked: &blocked, options: &opts,
            };
            let pick = select_scored(&pool, &ctx, &req, &mut rng).unwrap();
            let exposure: Vec<f64> = pool.items().iter().map(|it| it.exposure_rate).collect();
            let ok = |i: usize| pool.items()[i].status == ItemStatus::Operational && !blocked.contains(i);
            let area_ok = |i: usize, d: usize| rbp.area_of_item(&pool, i) == Some(d);
            let quota_open = |d: usize| quotas.as_ref().is_none_or(|q| tally.area_counts[d] < q[d]);
            match pick {
                None => {
                    prop_assert!((0..n).all(|i| !ok(i) || rbp.area_of_item(&pool, i).is_none()));
                }
                Some(s) => {
                    let i = s.index;
                    prop_assert!(ok(i), "administered, enemy or non-operational item returned");
                    let d = s.area.unwrap();
                    prop_assert!(area_ok(i, d));
                    let unseen_in_open_area = (0..n).any(|j| ok(j) && !ctx.is_seen(j)
                        && rbp.area_of_item(&pool, j).is_some_and(quota_open));
                    match s.fallback {
                        Fallback::None => {
                            prop_assert!(!ctx.is_seen(i));
                            prop_assert!(exposure[i] <= opts.r_max);
                            prop_assert!(quota_open(d));
                        }
                        Fallback::LeastExposed => {
                            prop_assert!(!ctx.is_seen(i));
                            prop_assert!(quota_open(d));
                            // no unseen, eligible, under-cap alternative in that area
                            prop_assert!(!(0..n).any(|j| ok(j) && !ctx.is_seen(j) && area_ok(j, d) && exposure[j] <= opts.r_max));
                            prop_assert!((0..n).filter(|&j| ok(j) && !ctx.is_seen(j) && area_ok(j, d)).all(|j| exposure[j] >= exposure[i]));
                        }
                        Fallback::LeastRecentlySeen => {
                            prop_assert!(quota_open(d));
                            prop_assert!(!unseen_in_open_area, "seen item returned while unseen ones exist");
                        }
                        Fallback::QuotaRelaxed => {
                            prop_assert!(quotas.is_some());
                            prop_assert!(!(0..n).any(|j| ok(j) && rbp.area_of_item(&pool, j).is_some_and(quota_open)));
                        }
                    }
                }
            }
            // Pretest selection obeys the same hard filters.
            if let Some(p) = select_pretest(&pool, &ctx, &blocked, &mut rng).unwrap() {
                prop_assert!(pool.items()[p].status == ItemStatus::Pretest);
                prop_assert!(!blocked.contains(p) && !ctx.is_seen(p));
            }
        }
    }
}
