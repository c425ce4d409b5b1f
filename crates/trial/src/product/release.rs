//! The product definition and lot release.
//!
//! The product definition (TOML beside the study's, read by [`ProductDefinition::from_toml`])
//! lists the release tests, each with its method, unit and acceptance criterion. QC enters
//! each result; [`judge`] says whether it meets the criterion. A lot starts in quarantine; the
//! qualified person releases it when every test has passed, releases it conditionally naming
//! the tests still pending (a 14-day sterility culture outlasts the product's shelf life on
//! site), or rejects it. A result that arrives later is recorded against the lot whatever its
//! state: a pending test's pass may complete the release, and a failure rejects the lot and,
//! when units were already given, is a late failure whose recipients must be told
//! ([`record_result`]).

use std::collections::BTreeMap;

use time::Duration;

use crate::error::{DefinitionError, Refusal};

/// A product: its storage, handling and release tests.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductDefinition {
    /// `[A-Z0-9-]`, e.g. `XS228-NPC`.
    pub id: String,
    /// The product's name.
    pub name: String,
    /// Its name in Chinese.
    pub name_zh: Option<String>,
    /// The highest storage and shipping temperature, in °C (e.g. −150).
    pub storage_max_c: f64,
    /// The longest time between two logger readings before the condition counts as unknown.
    pub max_logger_gap: Duration,
    /// From thaw to the end of administration.
    pub thaw_to_administration: Duration,
    /// Days a shipment takes from the manufacturer to a site.
    pub shipping_lead_days: u32,
    /// Days a unit must be usable on site after it arrives.
    pub min_days_on_site: u32,
    /// The usable units a site keeps at least: at or below it, a resupply is asked for
    /// (`min_units_on_site`; 0, the default, asks when a site has none left).
    pub min_units_on_site: u32,
    /// The release tests, in the certificate's order.
    pub release_tests: Vec<ReleaseTest>,
}

impl ProductDefinition {
    /// The version of the product definition's schema this code reads.
    pub const SCHEMA_VERSION: i64 = 1;

    /// Reads and checks a product definition, reporting every problem with its key path
    /// (documented in `docs/product-definition.md`).
    pub fn from_toml(text: &str) -> Result<ProductDefinition, DefinitionError> {
        crate::definition::parse_product(text)
    }

    /// The test with this id.
    pub fn test(&self, id: &str) -> Option<&ReleaseTest> {
        self.release_tests.iter().find(|t| t.id == id)
    }
}

/// One release test.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleaseTest {
    /// `[a-z0-9_-]`, unique in the product.
    pub id: String,
    /// What the certificate calls it.
    pub name: String,
    /// Its name in Chinese.
    pub name_zh: Option<String>,
    /// The method (pharmacopoeia chapter or validated assay).
    pub method: String,
    /// The acceptance criterion.
    pub criterion: Criterion,
    /// Whether the result may come after the lot was released conditionally.
    pub may_be_pending: bool,
}

/// When a result is acceptable.
#[derive(Clone, Debug, PartialEq)]
pub enum Criterion {
    /// A number at least this, in the unit (viability ≥ 70 %).
    AtLeast {
        /// The bound.
        min: f64,
        /// The unit.
        unit: String,
    },
    /// A number at most this (endotoxin ≤ 0.5 EU/mL).
    AtMost {
        /// The bound.
        max: f64,
        /// The unit.
        unit: String,
    },
    /// A number strictly below this (TRA-1-60-positive cells < 1 %).
    Below {
        /// The bound.
        max: f64,
        /// The unit.
        unit: String,
    },
    /// One of these words (sterility `negative`, karyotype `normal`).
    OneOf {
        /// The accepted words.
        accepted: Vec<String>,
        /// Every word a result may be.
        allowed: Vec<String>,
    },
}

/// A result as QC enters it.
#[derive(Clone, Debug, PartialEq)]
pub enum ResultValue {
    /// A measured number.
    Number(f64),
    /// A word from the test's list.
    Word(String),
}

/// Whether a result meets its criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Meets it.
    Pass,
    /// Does not.
    Fail,
}

/// Judges `value` against the test's criterion; a value of the wrong kind is refused, naming
/// the test and what it takes.
pub fn judge(test: &ReleaseTest, value: &ResultValue) -> Result<Verdict, Refusal> {
    let field = format!("results.{}", test.id);
    let pass = |ok: bool| if ok { Verdict::Pass } else { Verdict::Fail };
    match (&test.criterion, value) {
        (Criterion::AtLeast { min, .. }, ResultValue::Number(x)) if x.is_finite() => {
            Ok(pass(x >= min))
        }
        (Criterion::AtMost { max, .. }, ResultValue::Number(x)) if x.is_finite() => {
            Ok(pass(x <= max))
        }
        (Criterion::Below { max, .. }, ResultValue::Number(x)) if x.is_finite() => {
            Ok(pass(x < max))
        }
        (Criterion::OneOf { accepted, allowed }, ResultValue::Word(w)) => {
            let w = w.trim();
            if allowed.iter().any(|a| a == w) {
                Ok(pass(accepted.iter().any(|a| a == w)))
            } else {
                Err(Refusal::not_allowed(&field, w, allowed))
            }
        }
        (Criterion::OneOf { allowed, .. }, ResultValue::Number(_)) => Err(Refusal::invalid(
            &field,
            format!("{} takes one of: {}", test.name, allowed.join(", ")),
        )),
        (
            Criterion::AtLeast { unit, .. }
            | Criterion::AtMost { unit, .. }
            | Criterion::Below { unit, .. },
            _,
        ) => Err(Refusal::invalid(
            &field,
            format!("{} takes a finite number in {unit}", test.name),
        )),
    }
}

/// Where a lot stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LotState {
    /// Made, not yet released: no unit may ship or be given.
    Quarantined,
    /// Released by the qualified person on every result.
    Released,
    /// Released with these tests still pending.
    ConditionallyReleased {
        /// The test ids awaited.
        pending: Vec<String>,
    },
    /// Not to be given.
    Rejected {
        /// Why.
        reason: String,
    },
    /// Recalled after release (`recall`): no unit not yet given may be given or ship.
    Recalled {
        /// Why.
        reason: String,
    },
}

impl LotState {
    /// Whether units of the lot may ship and be given.
    pub fn usable(&self) -> bool {
        matches!(
            self,
            LotState::Released | LotState::ConditionallyReleased { .. }
        )
    }

    /// The state's name, as stored.
    pub fn name(&self) -> &'static str {
        match self {
            LotState::Quarantined => "quarantined",
            LotState::Released => "released",
            LotState::ConditionallyReleased { .. } => "conditionally_released",
            LotState::Rejected { .. } => "rejected",
            LotState::Recalled { .. } => "recalled",
        }
    }
}

/// The qualified person's decision on a quarantined lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Release: every test has passed.
    Release,
    /// Release now, these tests pending (each must allow it and have no result yet).
    ReleaseConditionally {
        /// The test ids awaited.
        pending: Vec<String>,
    },
    /// Reject, with the reason.
    Reject {
        /// Why.
        reason: String,
    },
}

/// The recorded verdicts of a lot's tests, by test id.
pub type Verdicts = BTreeMap<String, Verdict>;

/// The qualified person's decision: the lot's new state, or why it cannot be taken.
pub fn decide_release(
    product: &ProductDefinition,
    state: &LotState,
    verdicts: &Verdicts,
    disposition: &Disposition,
) -> Result<LotState, Refusal> {
    if *state != LotState::Quarantined {
        return Err(Refusal::conflict(
            "state",
            format!(
                "the lot is {}; only a quarantined lot is released or rejected",
                state.name()
            ),
        ));
    }
    let failed: Vec<&str> = product
        .release_tests
        .iter()
        .filter(|t| verdicts.get(&t.id) == Some(&Verdict::Fail))
        .map(|t| t.id.as_str())
        .collect();
    match disposition {
        Disposition::Reject { reason } => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(Refusal::invalid("reason", "is required to reject a lot"));
            }
            Ok(LotState::Rejected {
                reason: reason.to_owned(),
            })
        }
        _ if !failed.is_empty() => Err(Refusal::conflict(
            "results",
            format!(
                "failed: {}; a lot with a failed test can only be rejected",
                failed.join(", ")
            ),
        )),
        Disposition::Release => {
            let missing: Vec<&str> = product
                .release_tests
                .iter()
                .filter(|t| !verdicts.contains_key(&t.id))
                .map(|t| t.id.as_str())
                .collect();
            if missing.is_empty() {
                Ok(LotState::Released)
            } else {
                Err(Refusal::conflict(
                    "results",
                    format!(
                        "no result yet for {}; release conditionally naming them, or wait",
                        missing.join(", ")
                    ),
                ))
            }
        }
        Disposition::ReleaseConditionally { pending } => {
            if pending.is_empty() {
                return Err(Refusal::invalid(
                    "pending",
                    "names no test; with every result in, release the lot",
                ));
            }
            for id in pending {
                let Some(test) = product.release_tests.iter().find(|t| t.id == *id) else {
                    let ids: Vec<&str> = product
                        .release_tests
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect();
                    return Err(Refusal::not_allowed("pending", id, &ids));
                };
                if !test.may_be_pending {
                    return Err(Refusal::invalid(
                        "pending",
                        format!(
                            "{} must pass before release; it cannot be pending",
                            test.name
                        ),
                    ));
                }
                if verdicts.contains_key(id) {
                    return Err(Refusal::invalid(
                        "pending",
                        format!("{} already has a result", test.name),
                    ));
                }
            }
            let unaccounted: Vec<&str> = product
                .release_tests
                .iter()
                .filter(|t| !verdicts.contains_key(&t.id) && !pending.contains(&t.id))
                .map(|t| t.id.as_str())
                .collect();
            if !unaccounted.is_empty() {
                return Err(Refusal::conflict(
                    "results",
                    format!(
                        "no result yet for {}, and not named as pending",
                        unaccounted.join(", ")
                    ),
                ));
            }
            let mut pending = pending.clone();
            pending.sort();
            pending.dedup();
            Ok(LotState::ConditionallyReleased { pending })
        }
    }
}

/// What recording a result does to the lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultOutcome {
    /// The lot's state after it.
    pub state: LotState,
    /// A failure of a lot whose units were already given: tell the investigators of every
    /// dosed participant and the sponsor, and follow each recipient.
    pub late_failure: bool,
}

/// Records a result of `test` on a lot in `state`, with `units_given` of its units already
/// administered. A test has one result; a correction goes through the audited change of that
/// result, not a second one.
pub fn record_result(
    state: &LotState,
    test: &ReleaseTest,
    verdict: Verdict,
    already_recorded: bool,
    units_given: usize,
) -> Result<ResultOutcome, Refusal> {
    if already_recorded {
        return Err(Refusal::conflict(
            &format!("results.{}", test.id),
            format!(
                "{} already has a result; correct it with a reason",
                test.name
            ),
        ));
    }
    let state = match (state, verdict) {
        (LotState::Rejected { .. } | LotState::Recalled { .. }, _)
        | (LotState::Quarantined, _)
        | (LotState::Released, Verdict::Pass) => state.clone(),
        (LotState::ConditionallyReleased { pending }, Verdict::Pass) => {
            let rest: Vec<String> = pending.iter().filter(|p| **p != test.id).cloned().collect();
            if rest.is_empty() {
                LotState::Released
            } else {
                LotState::ConditionallyReleased { pending: rest }
            }
        }
        (LotState::Released | LotState::ConditionallyReleased { .. }, Verdict::Fail) => {
            LotState::Rejected {
                reason: format!("{} failed after release", test.name),
            }
        }
    };
    let late_failure = verdict == Verdict::Fail && units_given > 0;
    Ok(ResultOutcome {
        state,
        late_failure,
    })
}

#[cfg(test)]
#[path = "release_tests.rs"]
mod tests;
