//! CE (continuing education) renewal-rules engine: pure, no I/O.
//!
//! * [`rules`] — rule files as data (one TOML per credential, embedded from
//!   `rules/` at the crate root), loading and validation;
//! * [`cycle`] — deadline rules and renewal cycles;
//! * [`allocate`] — exact allocation of hours to requirements (min-cost flow);
//! * [`evaluate`] — evaluation of one credential's current cycle;
//! * [`scenario`] — the JSON contract [`evaluate_scenario_json`].
//!
//! The rule files are embedded from `rules/` at the crate root (see
//! `rules/ruleset.rs`) and parsed once per process ([`builtin`]).

pub mod allocate;
pub mod catalog;
pub mod codes;
pub mod cycle;
pub mod evaluate;
pub mod flow;
pub mod hours;
pub mod rules;
pub mod scenario;
pub mod selector;

#[cfg(test)]
mod golden;

pub use allocate::{AllocError, Allocation, Mode, Problem, allocate};
pub use codes::{Delivery, ItemKind, Jurisdiction, Scheme, Topic, TopicRef, Unit};
pub use cycle::{Cycle, CycleError, DeadlineRule, Due, Holder, cycle_at};
pub use evaluate::{
    Activity, Credential, CredentialItem, CredentialReport, EvalError, Log, Status,
    evaluate_credential, evaluate_in_set,
};
pub use hours::Hours;
pub use rules::{Rule, RuleError, RuleSet, builtin, builtin_rules, parse_rule, parse_rules};
pub use scenario::{
    CeError, Scenario, ScenarioReport, evaluate_scenario, evaluate_scenario_json,
    evaluate_scenario_json_with, parse_scenario,
};
pub use selector::Selector;
