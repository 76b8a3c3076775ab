//! The item pool as the engine sees it, indexed once for fast selection, and the per-examinee
//! selection context (items seen recently).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::error::IrtError;
use super::model::ItemParams;

/// Lifecycle status of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Calibrated and scored.
    #[default]
    Operational,
    /// Being calibrated: served unscored in pretest slots only.
    Pretest,
    /// Never served; kept so that old sessions can still be replayed.
    Retired,
}

/// One item of the bank as handed to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolItem {
    /// Stable item id.
    pub id: String,
    /// 3PL parameters (`a`, `b`, `c` at the top level in JSON).
    #[serde(flatten)]
    pub params: ItemParams,
    /// Content area (must match a blueprint area name to be served as a scored item).
    pub area: String,
    /// Optional sub-area inside the area.
    #[serde(default)]
    pub subarea: Option<String>,
    /// Ids of items that must not appear in the same test (the relation is made symmetric).
    #[serde(default)]
    pub enemies: Vec<String>,
    /// Operational, pretest or retired.
    #[serde(default)]
    pub status: ItemStatus,
    /// Recent exposure rate (share of recent tests that contained the item), in [0, 1].
    #[serde(default)]
    pub exposure_rate: f64,
    /// Responses collected so far (pretest items with the fewest are served first).
    #[serde(default)]
    pub n_responses: u32,
}

/// Compact per-item data scanned during selection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HotItem {
    pub index: u32,
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub subarea: u32,
}

/// Sentinel for "no sub-area".
pub(crate) const NO_SUBAREA: u32 = u32::MAX;

static NEXT_POOL_UID: AtomicU64 = AtomicU64::new(1);

/// An indexed, validated item pool. Build it once per bank version and share it.
#[derive(Debug, Clone)]
pub struct ItemPool {
    uid: u64,
    items: Vec<PoolItem>,
    by_id: HashMap<String, u32>,
    area_names: Vec<String>,
    area_of: Vec<u32>,
    subarea_names: Vec<(u32, String)>,
    enemies: Vec<Vec<u32>>,
    exposure: Vec<f64>,
    operational_by_area: Vec<Vec<HotItem>>,
    pretest: Vec<u32>,
}

impl ItemPool {
    /// Validates and indexes the items. Fails on duplicate ids, bad parameters or a bad
    /// exposure rate. Enemy ids that are not in the pool are ignored.
    pub fn new(items: Vec<PoolItem>) -> Result<Self, IrtError> {
        if items.len() >= u32::MAX as usize {
            return Err(IrtError::InvalidConfig("pool too large".into()));
        }
        let mut by_id = HashMap::with_capacity(items.len());
        let mut area_names: Vec<String> = Vec::new();
        let mut area_lookup: HashMap<String, u32> = HashMap::new();
        let mut subarea_names: Vec<(u32, String)> = Vec::new();
        let mut sub_lookup: HashMap<(u32, String), u32> = HashMap::new();
        let mut area_of = Vec::with_capacity(items.len());
        let mut sub_of = Vec::with_capacity(items.len());
        let mut exposure = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            it.params
                .validate()
                .map_err(|e| IrtError::InvalidItemParams(format!("item `{}`: {e}", it.id)))?;
            if !(it.exposure_rate.is_finite() && it.exposure_rate >= 0.0) {
                return Err(IrtError::InvalidConfig(format!(
                    "item `{}`: bad exposure rate",
                    it.id
                )));
            }
            if by_id.insert(it.id.clone(), i as u32).is_some() {
                return Err(IrtError::DuplicateItem(it.id.clone()));
            }
            let a = *area_lookup.entry(it.area.clone()).or_insert_with(|| {
                area_names.push(it.area.clone());
                (area_names.len() - 1) as u32
            });
            area_of.push(a);
            let s = match &it.subarea {
                Some(name) => *sub_lookup.entry((a, name.clone())).or_insert_with(|| {
                    subarea_names.push((a, name.clone()));
                    (subarea_names.len() - 1) as u32
                }),
                None => NO_SUBAREA,
            };
            sub_of.push(s);
            exposure.push(it.exposure_rate);
        }
        let mut enemies: Vec<Vec<u32>> = vec![Vec::new(); items.len()];
        for (i, it) in items.iter().enumerate() {
            for e in &it.enemies {
                if let Some(&j) = by_id.get(e)
                    && j as usize != i
                {
                    enemies[i].push(j);
                    enemies[j as usize].push(i as u32);
                }
            }
        }
        for e in &mut enemies {
            e.sort_unstable();
            e.dedup();
        }
        let mut operational_by_area: Vec<Vec<HotItem>> = vec![Vec::new(); area_names.len()];
        let mut pretest = Vec::new();
        for (i, it) in items.iter().enumerate() {
            match it.status {
                ItemStatus::Operational => operational_by_area[area_of[i] as usize].push(HotItem {
                    index: i as u32,
                    a: it.params.a,
                    b: it.params.b,
                    c: it.params.c,
                    subarea: sub_of[i],
                }),
                ItemStatus::Pretest => pretest.push(i as u32),
                ItemStatus::Retired => {}
            }
        }
        Ok(ItemPool {
            uid: NEXT_POOL_UID.fetch_add(1, Ordering::Relaxed),
            items,
            by_id,
            area_names,
            area_of,
            subarea_names,
            enemies,
            exposure,
            operational_by_area,
            pretest,
        })
    }

    /// A process-unique id of this pool instance (caches keyed by it are invalidated on rebuild).
    pub fn uid(&self) -> u64 {
        self.uid
    }

    /// Number of items (all statuses).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the pool has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items in pool order.
    pub fn items(&self) -> &[PoolItem] {
        &self.items
    }

    /// Pool index of an item id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&i| i as usize)
    }

    /// The item at a pool index.
    pub fn get(&self, index: usize) -> Option<&PoolItem> {
        self.items.get(index)
    }

    /// Current exposure rate of the item at `index`.
    pub fn exposure_rate(&self, index: usize) -> Option<f64> {
        self.exposure.get(index).copied()
    }

    /// Updates an item's exposure rate (used by the simulator and by long-lived servers).
    pub fn set_exposure_rate(&mut self, index: usize, rate: f64) -> Result<(), IrtError> {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(IrtError::InvalidConfig(format!("bad exposure rate {rate}")));
        }
        match self.exposure.get_mut(index) {
            Some(r) => {
                *r = rate;
                if let Some(it) = self.items.get_mut(index) {
                    it.exposure_rate = rate;
                }
                Ok(())
            }
            None => Err(IrtError::UnknownItem(format!("#{index}"))),
        }
    }

    /// Number of distinct areas among the pool's items.
    pub fn n_areas(&self) -> usize {
        self.area_names.len()
    }

    /// Pool area id by name.
    pub(crate) fn area_id(&self, name: &str) -> Option<u32> {
        self.area_names
            .iter()
            .position(|a| a == name)
            .map(|i| i as u32)
    }

    /// Pool sub-area id by (pool area id, name).
    pub(crate) fn subarea_id(&self, area: u32, name: &str) -> Option<u32> {
        self.subarea_names
            .iter()
            .position(|(a, s)| *a == area && s == name)
            .map(|i| i as u32)
    }

    pub(crate) fn area_of(&self, index: usize) -> u32 {
        self.area_of.get(index).copied().unwrap_or(u32::MAX)
    }

    pub(crate) fn enemies_of(&self, index: usize) -> &[u32] {
        self.enemies.get(index).map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn operational_in_area(&self, area: u32) -> &[HotItem] {
        self.operational_by_area
            .get(area as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub(crate) fn exposure_slice(&self) -> &[f64] {
        &self.exposure
    }

    pub(crate) fn pretest_indices(&self) -> &[u32] {
        &self.pretest
    }
}

/// A fixed-size set of pool indices (a bit set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexSet {
    bits: Vec<u64>,
}

impl IndexSet {
    /// An empty set able to hold indices `0..n`.
    pub fn with_capacity(n: usize) -> Self {
        IndexSet {
            bits: vec![0; n.div_ceil(64)],
        }
    }

    /// Adds `i` (grows if needed).
    #[inline]
    pub fn insert(&mut self, i: usize) {
        let w = i / 64;
        if w >= self.bits.len() {
            self.bits.resize(w + 1, 0);
        }
        self.bits[w] |= 1 << (i % 64);
    }

    /// Membership test.
    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Removes everything, keeping the capacity.
    pub fn clear(&mut self) {
        self.bits.iter_mut().for_each(|w| *w = 0);
    }
}

/// Per-examinee, per-request selection context: the items this examinee saw recently (last 30
/// days or last 3 exams — the caller decides), in least-recently-seen-first order, which is the
/// fallback order when nothing unseen is left.
#[derive(Debug, Clone)]
pub struct SelectionContext {
    pool_uid: u64,
    seen: IndexSet,
    seen_order: Vec<u32>,
}

impl SelectionContext {
    /// A context with nothing seen.
    pub fn empty(pool: &ItemPool) -> Self {
        SelectionContext {
            pool_uid: pool.uid,
            seen: IndexSet::with_capacity(pool.len()),
            seen_order: Vec::new(),
        }
    }

    /// A context from the recently seen ids, least recently seen first. Ids unknown to the pool
    /// are ignored (they cannot be served anyway); repeated ids keep their first position.
    pub fn new<S: AsRef<str>>(pool: &ItemPool, seen_least_recent_first: &[S]) -> Self {
        let mut ctx = Self::empty(pool);
        for id in seen_least_recent_first {
            if let Some(i) = pool.index_of(id.as_ref())
                && !ctx.seen.contains(i)
            {
                ctx.seen.insert(i);
                ctx.seen_order.push(i as u32);
            }
        }
        ctx
    }

    /// True if the item at `index` was seen recently.
    #[inline]
    pub fn is_seen(&self, index: usize) -> bool {
        self.seen.contains(index)
    }

    /// Seen pool indices, least recently seen first.
    pub fn seen_order(&self) -> &[u32] {
        &self.seen_order
    }

    /// Fails if the context was built for another pool instance.
    pub fn check_pool(&self, pool: &ItemPool) -> Result<(), IrtError> {
        if self.pool_uid == pool.uid {
            Ok(())
        } else {
            Err(IrtError::InvalidConfig(
                "selection context was built for another pool".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, area: &str) -> PoolItem {
        PoolItem {
            id: id.into(),
            params: ItemParams {
                a: 1.0,
                b: 0.0,
                c: 0.2,
            },
            area: area.into(),
            subarea: None,
            enemies: vec![],
            status: ItemStatus::Operational,
            exposure_rate: 0.0,
            n_responses: 0,
        }
    }

    #[test]
    fn pool_indexes_and_symmetrises_enemies() {
        let mut a = item("a", "X");
        a.enemies = vec!["b".into(), "zzz".into()];
        let pool = ItemPool::new(vec![a, item("b", "Y"), item("c", "X")]).unwrap();
        assert_eq!(pool.enemies_of(1), &[0]);
        assert_eq!(pool.enemies_of(0), &[1]);
        assert_eq!(
            pool.operational_in_area(pool.area_id("X").unwrap()).len(),
            2
        );
    }

    #[test]
    fn pool_rejects_bad_input() {
        assert!(matches!(
            ItemPool::new(vec![item("a", "X"), item("a", "X")]),
            Err(IrtError::DuplicateItem(_))
        ));
        let mut bad = item("a", "X");
        bad.params.a = -1.0;
        assert!(ItemPool::new(vec![bad]).is_err());
    }

    #[test]
    fn pool_item_json() {
        let it: PoolItem =
            serde_json::from_str(r#"{"id":"q1","a":1.2,"b":-0.3,"c":0.2,"area":"Kinesiology"}"#)
                .unwrap();
        assert_eq!(it.status, ItemStatus::Operational);
        assert_eq!(it.params.b, -0.3);
    }

    #[test]
    fn context_ignores_unknown_and_duplicates() {
        let pool = ItemPool::new(vec![item("a", "X"), item("b", "X")]).unwrap();
        let ctx = SelectionContext::new(&pool, &["b", "nope", "b", "a"]);
        assert_eq!(ctx.seen_order(), &[1, 0]);
        assert!(ctx.is_seen(0) && ctx.is_seen(1));
    }
}
