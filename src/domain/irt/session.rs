//! One examinee's test as a replayable state machine.
//!
//! All randomness of a step comes from a ChaCha8 stream derived from `(seed, position)`, so a
//! session rebuilt from `(program, seed, prior, administered log)` hands out exactly the item the
//! original would have (given the same pool and selection context). The server persists the
//! program id, the seed, μ₀, the log of [`AdministeredItem`]s and the outstanding [`Choice`].

use rand::rngs::ChaCha8Rng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::error::IrtError;
use super::model::ItemParams;
use super::pool::{IndexSet, ItemPool, SelectionContext};
use super::posterior::Posterior;
use super::program::{PretestPlan, Program, TimeoutRule};
use super::select::{
    ResolvedBlueprint, ScoredRequest, Tally, block_item, select_pretest, select_scored,
};
use super::stopping::{Outcome, Sprt, StopReason, StopRule, StopState, evaluate};

/// Practice scale: 630 at the cut, 100 points per logit, clamped to 300–900.
pub fn scaled_score(theta: f64, cut: f64) -> u32 {
    let s = (630.0 + 100.0 * (theta - cut)).round();
    if s.is_nan() {
        300
    } else {
        s.clamp(300.0, 900.0) as u32
    }
}

/// An item handed to the examinee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Item id.
    pub item_id: String,
    /// False for unscored pretest items (the examinee is not told).
    pub scored: bool,
}

/// One answered item, as persisted for replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdministeredItem {
    /// Item id.
    pub item_id: String,
    /// Whether it counted.
    pub scored: bool,
    /// Whether the answer was right.
    pub correct: bool,
}

/// Per-area diagnostic: area EAP over that area's scored items with prior N(θ̂, 0.7²).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaDiagnostic {
    /// Blueprint area name.
    pub area: String,
    /// Scored items answered in the area.
    pub n_items: u32,
    /// Of which correct.
    pub n_correct: u32,
    /// Area EAP.
    pub theta: f64,
    /// Area posterior SD.
    pub psd: f64,
    /// P(θ_area < cut).
    pub p_below_cut: f64,
    /// P(θ_area < cut) ≥ threshold (only flagged for areas with at least one item).
    pub weak: bool,
}

/// The report of a session (provisional while it is running).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionResult {
    /// The final outcome, once finished.
    pub outcome: Option<Outcome>,
    /// Pass/fail: the outcome's decision, or θ̂ ≥ cut while still running.
    pub passed: bool,
    /// Posterior mass at or above the cut.
    pub p_pass: f64,
    /// EAP ability estimate.
    pub theta: f64,
    /// Posterior SD.
    pub psd: f64,
    /// Practice scaled score (300–900, 630 = cut).
    pub scaled_score: u32,
    /// Scored items answered.
    pub n_scored: u32,
    /// Pretest items answered.
    pub n_pretest: u32,
    /// Per-area diagnostics in blueprint order.
    pub areas: Vec<AreaDiagnostic>,
}

#[derive(Debug, Clone)]
struct Pending {
    item_id: String,
    index: usize,
    params: ItemParams,
    area: Option<usize>,
    subarea: Option<usize>,
    scored: bool,
    pool_uid: u64,
    enemies: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct ScoredResponse {
    params: ItemParams,
    area: Option<usize>,
    correct: bool,
}

#[derive(Debug, Clone)]
struct PoolCache {
    blueprint: ResolvedBlueprint,
    blocked: IndexSet,
}

/// A running (or finished) test.
#[derive(Debug, Clone)]
pub struct Session {
    program: Program,
    seed: u64,
    prior_mu: f64,
    posterior: Posterior,
    sprt: Sprt,
    tally: Tally,
    quotas: Option<Vec<u32>>,
    pretest_positions: Vec<u32>,
    log: Vec<AdministeredItem>,
    scored: Vec<ScoredResponse>,
    n_pretest: u32,
    pending: Option<Pending>,
    outcome: Option<Outcome>,
    cache: Option<PoolCache>,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Session {
    /// Starts a session. `prior_mu` is μ₀ (0 for a first exam, else 0.5·θ̂_previous clipped to
    /// [−1, 1] — the caller's choice); it must be finite.
    pub fn new(program: Program, seed: u64, prior_mu: f64) -> Result<Self, IrtError> {
        program.validate()?;
        let posterior = Posterior::new(prior_mu, program.prior_sd)?;
        let sprt = match program.stopping.rule {
            StopRule::Sprt { delta, .. } => Sprt::new(program.cut, delta),
            _ => Sprt::new(program.cut, 0.0),
        };
        let fixed = program.stopping.is_fixed_length();
        let quotas = fixed.then(|| program.blueprint.quotas(program.stopping.max_items));
        let pretest_positions = match program.pretest {
            PretestPlan::Fixed {
                count,
                earliest_position,
            } if count > 0 => {
                let total = program.stopping.max_items.saturating_add(count);
                let first = earliest_position.max(1);
                if first > total {
                    Vec::new()
                } else {
                    let span = (total - first + 1) as usize;
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(u64::MAX);
                    let mut v: Vec<u32> = sample(&mut rng, span, (count as usize).min(span))
                        .into_iter()
                        .map(|i| first + i as u32)
                        .collect();
                    v.sort_unstable();
                    v
                }
            }
            _ => Vec::new(),
        };
        Ok(Session {
            tally: Tally::new(&program.blueprint),
            program,
            seed,
            prior_mu,
            posterior,
            sprt,
            quotas,
            pretest_positions,
            log: Vec::new(),
            scored: Vec::new(),
            n_pretest: 0,
            pending: None,
            outcome: None,
            cache: None,
        })
    }

    /// Rebuilds a session from its persisted log (answers in order). Items must be in `pool`
    /// (retired items are fine). The outstanding item, if any, is restored with
    /// [`Session::restore_pending`].
    pub fn replay(
        program: Program,
        seed: u64,
        prior_mu: f64,
        pool: &ItemPool,
        administered: &[AdministeredItem],
    ) -> Result<Self, IrtError> {
        let mut s = Session::new(program, seed, prior_mu)?;
        for a in administered {
            s.restore_pending(
                pool,
                &Choice {
                    item_id: a.item_id.clone(),
                    scored: a.scored,
                },
            )?;
            s.record(&a.item_id, a.correct)?;
        }
        Ok(s)
    }

    /// Re-establishes an item that was handed out but not yet answered (after a restart).
    pub fn restore_pending(&mut self, pool: &ItemPool, choice: &Choice) -> Result<(), IrtError> {
        if self.outcome.is_some() {
            return Err(IrtError::SessionFinished);
        }
        let index = pool
            .index_of(&choice.item_id)
            .ok_or_else(|| IrtError::UnknownItem(choice.item_id.clone()))?;
        let item = pool
            .get(index)
            .ok_or_else(|| IrtError::UnknownItem(choice.item_id.clone()))?;
        self.ensure_cache(pool)?;
        let (area, subarea) = match &self.cache {
            Some(c) if choice.scored => (
                c.blueprint.area_of_item(pool, index),
                c.blueprint.subarea_of_item(pool, index),
            ),
            _ => (None, None),
        };
        self.pending = Some(Pending {
            item_id: choice.item_id.clone(),
            index,
            params: item.params,
            area,
            subarea,
            scored: choice.scored,
            pool_uid: pool.uid(),
            enemies: pool.enemies_of(index).to_vec(),
        });
        Ok(())
    }

    /// The deterministic random stream for the next position.
    fn step_rng(&self) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(self.log.len() as u64 + 1);
        rng
    }

    fn ensure_cache(&mut self, pool: &ItemPool) -> Result<(), IrtError> {
        if self
            .cache
            .as_ref()
            .is_some_and(|c| c.blueprint.is_for(pool))
        {
            return Ok(());
        }
        let blueprint = ResolvedBlueprint::new(&self.program.blueprint, pool)?;
        let mut blocked = IndexSet::with_capacity(pool.len());
        for a in &self.log {
            if let Some(i) = pool.index_of(&a.item_id) {
                block_item(pool, &mut blocked, i);
            }
        }
        self.cache = Some(PoolCache { blueprint, blocked });
        Ok(())
    }

    /// Is the 1-based `position` a pretest slot?
    fn is_pretest_position(&self, position: u32) -> bool {
        match self.program.pretest {
            PretestPlan::None => false,
            PretestPlan::Fixed { .. } => self.pretest_positions.binary_search(&position).is_ok(),
            PretestPlan::OnePerBlock {
                block,
                earliest_position,
            } => {
                if block == 0 || position == 0 {
                    return false;
                }
                let b = (position - 1) / block;
                let lo = (b * block + 1).max(earliest_position);
                let hi = b * block + block;
                if lo > hi {
                    return false;
                }
                let h = splitmix64(self.seed ^ splitmix64(u64::from(b) + 0x5EED));
                position == lo + (h % u64::from(hi - lo + 1)) as u32
            }
        }
    }

    /// Planned pretest positions not yet used (fixed-length forms only).
    fn pretest_remaining(&self) -> u32 {
        match self.program.pretest {
            PretestPlan::Fixed { .. } => {
                (self.pretest_positions.len() as u32).saturating_sub(self.n_pretest)
            }
            _ => 0,
        }
    }

    /// The next item, using the session's own seeded stream (replay-safe). Returns the
    /// outstanding item again if the last one is unanswered, and `None` once finished (then
    /// [`Session::is_finished`] is `Some`).
    pub fn next_item(
        &mut self,
        pool: &ItemPool,
        ctx: &SelectionContext,
    ) -> Result<Option<Choice>, IrtError> {
        let mut rng = self.step_rng();
        self.next_item_with_rng(pool, ctx, &mut rng)
    }

    /// As [`Session::next_item`] but with a caller-supplied random source (not replay-safe
    /// unless the caller reproduces the stream).
    pub fn next_item_with_rng<R: Rng + ?Sized>(
        &mut self,
        pool: &ItemPool,
        ctx: &SelectionContext,
        rng: &mut R,
    ) -> Result<Option<Choice>, IrtError> {
        if self.outcome.is_some() {
            return Ok(None);
        }
        if let Some(p) = &self.pending {
            return Ok(Some(Choice {
                item_id: p.item_id.clone(),
                scored: p.scored,
            }));
        }
        ctx.check_pool(pool)?;
        self.ensure_cache(pool)?;
        let Some(cache) = self.cache.as_ref() else {
            return Err(IrtError::InvalidConfig("pool cache unavailable".into()));
        };
        let position = self.log.len() as u32 + 1;
        let max_reached = self.tally.n_scored >= self.program.stopping.max_items;
        let want_pretest = if max_reached {
            self.pretest_remaining() > 0
        } else {
            self.is_pretest_position(position)
        };
        if want_pretest && let Some(index) = select_pretest(pool, ctx, &cache.blocked, rng)? {
            return self.hand_out(pool, index, None, None, false).map(Some);
        }
        if max_reached {
            self.finish_at_max();
            return Ok(None);
        }
        let theta = if self.tally.n_scored < self.program.selection.warmup_items {
            self.prior_mu
        } else {
            self.posterior.eap()
        };
        let req = ScoredRequest {
            blueprint: &cache.blueprint,
            tally: &self.tally,
            quotas: self.quotas.as_deref(),
            theta,
            blocked: &cache.blocked,
            options: &self.program.selection,
        };
        match select_scored(pool, ctx, &req, rng)? {
            Some(s) => self
                .hand_out(pool, s.index, s.area, s.subarea, true)
                .map(Some),
            None => {
                let passed = self.tally.n_scored >= self.program.stopping.min_items
                    && self.theta() >= self.program.cut;
                self.outcome = Some(Outcome {
                    passed,
                    reason: StopReason::PoolExhausted,
                });
                Ok(None)
            }
        }
    }

    fn hand_out(
        &mut self,
        pool: &ItemPool,
        index: usize,
        area: Option<usize>,
        subarea: Option<usize>,
        scored: bool,
    ) -> Result<Choice, IrtError> {
        let it = pool
            .get(index)
            .ok_or_else(|| IrtError::UnknownItem(format!("#{index}")))?;
        self.pending = Some(Pending {
            item_id: it.id.clone(),
            index,
            params: it.params,
            area,
            subarea,
            scored,
            pool_uid: pool.uid(),
            enemies: pool.enemies_of(index).to_vec(),
        });
        Ok(Choice {
            item_id: it.id.clone(),
            scored,
        })
    }

    fn finish_at_max(&mut self) {
        let reason = if self.program.stopping.is_fixed_length() {
            StopReason::FixedLength
        } else {
            StopReason::MaxItems
        };
        let passed = self.program.stopping.pass_by_estimate(
            self.theta(),
            self.posterior.p_above(self.program.cut),
            self.program.cut,
        );
        self.outcome = Some(Outcome { passed, reason });
    }

    /// Records the answer to the outstanding item and returns the outcome if the test ended.
    pub fn record(&mut self, item_id: &str, correct: bool) -> Result<Option<Outcome>, IrtError> {
        if self.outcome.is_some() {
            return Err(IrtError::SessionFinished);
        }
        let p = match &self.pending {
            None => return Err(IrtError::NoPendingItem),
            Some(p) if p.item_id != item_id => {
                return Err(IrtError::UnexpectedItem {
                    expected: p.item_id.clone(),
                    got: item_id.to_string(),
                });
            }
            Some(_) => self.pending.take(),
        };
        let Some(p) = p else {
            return Err(IrtError::NoPendingItem);
        };
        self.log.push(AdministeredItem {
            item_id: p.item_id.clone(),
            scored: p.scored,
            correct,
        });
        match self.cache.as_mut() {
            // Indices are pool-specific: update the cache only if it belongs to the issuing pool,
            // otherwise drop it so that it is rebuilt from the log.
            Some(c) if c.blueprint.pool_uid() == p.pool_uid => {
                c.blocked.insert(p.index);
                for &e in &p.enemies {
                    c.blocked.insert(e as usize);
                }
            }
            _ => self.cache = None,
        }
        if !p.scored {
            self.n_pretest += 1;
            if self.tally.n_scored >= self.program.stopping.max_items
                && self.pretest_remaining() == 0
            {
                self.finish_at_max();
            }
            return Ok(self.outcome);
        }
        self.posterior.update(&p.params, correct);
        self.sprt.update(&p.params, correct);
        self.tally.add(p.area, p.subarea);
        self.scored.push(ScoredResponse {
            params: p.params,
            area: p.area,
            correct,
        });
        let state = StopState {
            n_scored: self.tally.n_scored,
            area_counts: &self.tally.area_counts,
            theta: self.posterior.eap(),
            psd: self.posterior.psd(),
            p_pass: self.posterior.p_above(self.program.cut),
            prior_sd: self.program.prior_sd,
            sprt: &self.sprt,
            cut: self.program.cut,
        };
        if let Some(o) = evaluate(&self.program.stopping, &state) {
            let defer = o.reason == StopReason::FixedLength && self.pretest_remaining() > 0;
            if !defer {
                self.outcome = Some(o);
            }
        }
        Ok(self.outcome)
    }

    /// The clock ran out: unanswered items are dropped (never scored as wrong). MBLEx rule →
    /// fail; estimate rule → fail under the minimum length, else the verdict by estimate.
    pub fn time_out(&mut self) -> Outcome {
        if let Some(o) = self.outcome {
            return o;
        }
        self.pending = None;
        let passed = match self.program.timeout {
            TimeoutRule::AutoFail => false,
            TimeoutRule::ByEstimate => {
                self.tally.n_scored >= self.program.stopping.min_items
                    && self.program.stopping.pass_by_estimate(
                        self.theta(),
                        self.posterior.p_above(self.program.cut),
                        self.program.cut,
                    )
            }
        };
        let o = Outcome {
            passed,
            reason: StopReason::TimeOut,
        };
        self.outcome = Some(o);
        o
    }

    /// Applies the time-out rule if `elapsed_secs` has reached the program's limit.
    pub fn check_time(&mut self, elapsed_secs: f64) -> Option<Outcome> {
        if self.outcome.is_none() && elapsed_secs >= f64::from(self.program.time_limit_secs) {
            Some(self.time_out())
        } else {
            self.outcome
        }
    }

    /// Pace warning: remaining time per remaining minimum item is under 45 s.
    pub fn pace_warning(&self, elapsed_secs: f64) -> bool {
        self.outcome.is_none() && behind_pace(&self.program, self.tally.n_scored, elapsed_secs)
    }

    /// The outcome, once the test has ended.
    pub fn is_finished(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Current EAP.
    pub fn theta(&self) -> f64 {
        self.posterior.eap()
    }

    /// Current posterior SD.
    pub fn psd(&self) -> f64 {
        self.posterior.psd()
    }

    /// The ability posterior.
    pub fn posterior(&self) -> &Posterior {
        &self.posterior
    }

    /// The log of answered items, in order (persist this for [`Session::replay`]).
    pub fn administered(&self) -> &[AdministeredItem] {
        &self.log
    }

    /// The outstanding item, if any.
    pub fn pending(&self) -> Option<Choice> {
        self.pending.as_ref().map(|p| Choice {
            item_id: p.item_id.clone(),
            scored: p.scored,
        })
    }

    /// Scored items per blueprint area so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The report: decision, P(pass), θ̂, PSD, practice scaled score, per-area diagnostics.
    pub fn result(&self) -> Result<SessionResult, IrtError> {
        let cut = self.program.cut;
        let theta = self.posterior.eap();
        let diag = self.program.diagnostics;
        let mut areas = Vec::with_capacity(self.program.blueprint.areas.len());
        for (d, a) in self.program.blueprint.areas.iter().enumerate() {
            let mut post = Posterior::new(theta, diag.prior_sd)?;
            let (mut n, mut k) = (0u32, 0u32);
            for r in self.scored.iter().filter(|r| r.area == Some(d)) {
                post.update(&r.params, r.correct);
                n += 1;
                k += u32::from(r.correct);
            }
            let p_below = (1.0 - post.p_above(cut)).clamp(0.0, 1.0);
            areas.push(AreaDiagnostic {
                area: a.name.clone(),
                n_items: n,
                n_correct: k,
                theta: post.eap(),
                psd: post.psd(),
                p_below_cut: p_below,
                weak: n > 0 && p_below >= diag.weak_threshold,
            });
        }
        Ok(SessionResult {
            outcome: self.outcome,
            passed: self.outcome.map_or(theta >= cut, |o| o.passed),
            p_pass: self.posterior.p_above(cut),
            theta,
            psd: self.posterior.psd(),
            scaled_score: scaled_score(theta, cut),
            n_scored: self.tally.n_scored,
            n_pretest: self.n_pretest,
            areas,
        })
    }
}

/// Whether a running exam of `program` with `n_scored` scored answers after `elapsed_secs` is
/// behind pace: less than 45 s left per scored item it still needs (its minimum length).
pub fn behind_pace(program: &Program, n_scored: u32, elapsed_secs: f64) -> bool {
    let remaining_items = program.stopping.min_items.saturating_sub(n_scored);
    if remaining_items == 0 {
        return false;
    }
    let remaining_time = f64::from(program.time_limit_secs) - elapsed_secs;
    remaining_time / f64::from(remaining_items) < 45.0
}

#[cfg(test)]
mod tests;
