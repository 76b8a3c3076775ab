//! The raw TOML shapes of a rule file, as deserialized before validation.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) issuer: String,
    #[serde(default)]
    pub(super) jurisdiction: Option<String>,
    pub(super) credential_kind: String,
    pub(super) confidence: String,
    #[serde(default)]
    pub(super) status: Option<String>,
    pub(super) effective: RawRange,
    #[serde(default)]
    pub(super) aliases: Vec<String>,
    #[serde(default)]
    pub(super) source: Vec<provenance::RawSource>,
    #[serde(default)]
    pub(super) cite: Vec<provenance::RawCite>,
    #[serde(default)]
    pub(super) to_verify: Vec<provenance::RawUnverified>,
    #[serde(default)]
    pub(super) notes: Vec<String>,
    pub(super) deadline: RawDeadline,
    #[serde(default)]
    pub(super) due: Option<String>,
    #[serde(default)]
    pub(super) unit_minutes: Option<i64>,
    #[serde(default)]
    pub(super) conversions: BTreeMap<String, f64>,
    pub(super) mode: String,
    #[serde(default)]
    pub(super) total: Option<f64>,
    #[serde(default)]
    pub(super) accepted_approvals: Vec<String>,
    #[serde(default)]
    pub(super) satisfied_by: Vec<String>,
    #[serde(default)]
    pub(super) excluded_topics: Vec<String>,
    #[serde(default)]
    pub(super) no_duplicate: Option<String>,
    pub(super) carry_over: RawCarry,
    #[serde(default)]
    pub(super) backfill_prior_deficit: bool,
    #[serde(default)]
    pub(super) late_renewal: Option<String>,
    #[serde(default)]
    pub(super) first_cycle: Option<RawFirstCycle>,
    #[serde(default)]
    pub(super) bucket: Vec<RawReq>,
    #[serde(default)]
    pub(super) min: Vec<RawReq>,
    #[serde(default)]
    pub(super) cap: Vec<RawReq>,
    #[serde(default)]
    pub(super) window_cap: Vec<RawWindowCap>,
    #[serde(default)]
    pub(super) extra_min: Vec<RawExtraMin>,
    #[serde(default)]
    pub(super) once_ever: Vec<RawOnceEver>,
    #[serde(default)]
    pub(super) item: Vec<RawItem>,
    #[serde(default)]
    pub(super) conditional: Vec<RawNoted>,
    #[serde(default)]
    pub(super) excluded_from_total: Vec<RawNoted>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRange {
    #[serde(default)]
    pub(super) from: Option<String>,
    #[serde(default)]
    pub(super) to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeadline {
    pub(super) kind: String,
    #[serde(default)]
    pub(super) month: Option<i64>,
    #[serde(default)]
    pub(super) day: Option<i64>,
    #[serde(default)]
    pub(super) every_years: Option<i64>,
    #[serde(default)]
    pub(super) parity: Option<String>,
    #[serde(default)]
    pub(super) first_after_months: Option<i64>,
    #[serde(default)]
    pub(super) months: Option<i64>,
    #[serde(default)]
    pub(super) anchor_year: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCarry {
    pub(super) max_hours: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFirstCycle {
    pub(super) kind: String,
    #[serde(default)]
    pub(super) keep: Option<Vec<String>>,
    #[serde(default)]
    pub(super) hours_per_month: Option<f64>,
    #[serde(default)]
    pub(super) includes: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    pub(super) licensed_within_months: Option<i64>,
    #[serde(default)]
    pub(super) total: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSelect {
    #[serde(default)]
    pub(super) topic: Option<Vec<String>>,
    #[serde(default)]
    pub(super) delivery: Option<Vec<String>>,
    #[serde(default)]
    pub(super) approval: Option<Vec<String>>,
    #[serde(default)]
    pub(super) not_topic: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReq {
    pub(super) id: String,
    pub(super) hours: f64,
    #[serde(default)]
    pub(super) select: RawSelect,
    #[serde(default)]
    pub(super) label: Option<String>,
    #[serde(default)]
    pub(super) within: Option<String>,
    #[serde(default)]
    pub(super) cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWindowCap {
    pub(super) id: String,
    pub(super) hours: f64,
    pub(super) window_hours: i64,
    #[serde(default)]
    pub(super) cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExtraMin {
    pub(super) id: String,
    pub(super) hours: f64,
    pub(super) select: RawSelect,
    pub(super) per: String,
    pub(super) counts_toward_total: bool,
    #[serde(default)]
    pub(super) label: Option<String>,
    #[serde(default)]
    pub(super) cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOnceEver {
    pub(super) id: String,
    #[serde(default)]
    pub(super) select: Option<RawSelect>,
    #[serde(default)]
    pub(super) item: Option<String>,
    #[serde(default)]
    pub(super) label: Option<String>,
    #[serde(default)]
    pub(super) cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItem {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) at: String,
    #[serde(default)]
    pub(super) label: Option<String>,
    #[serde(default)]
    pub(super) cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNoted {
    pub(super) id: String,
    pub(super) select: RawSelect,
    pub(super) note: String,
}
