//! The analyses of the datasets: the primary ANCOVA, the secondary analyses and the
//! per-protocol sensitivity analysis, by arm when the datasets show arms, pooled otherwise.
//! Each is described in `docs/analysis.md`; the statistics are the `stats` crate's.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{AdisnRow, AdslRow, Datasets, Param};
use crate::study::{ArmKind, Study};

/// The confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;

/// An analysis's result, or why it could not be computed (too few records, one arm only, a
/// design the data make singular, …).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome<T> {
    /// Computed.
    Computed(T),
    /// Not computed.
    NotComputed {
        /// Why.
        not_computed: String,
    },
}

impl<T> Outcome<T> {
    pub(super) fn not(why: impl Into<String>) -> Outcome<T> {
        Outcome::NotComputed {
            not_computed: why.into(),
        }
    }

    /// The result, when computed.
    pub fn computed(&self) -> Option<&T> {
        match self {
            Outcome::Computed(t) => Some(t),
            Outcome::NotComputed { .. } => None,
        }
    }
}

/// A change from baseline, by arm or pooled.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ByArm<E, P> {
    /// Between the arms.
    Arms(E),
    /// All participants together.
    Pooled(P),
}

/// The ANCOVA's adjusted difference, active minus control.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Effect {
    /// Active minus control, adjusted for baseline and the stratification factors.
    pub estimate: f64,
    /// Lower end of its 95% interval.
    pub ci_lower: f64,
    /// Upper end.
    pub ci_upper: f64,
    /// Two-sided p-value of no difference.
    pub p_value: f64,
    /// Participants in the model.
    pub n: usize,
    /// Standard error of the estimate.
    pub se: f64,
    /// Residual degrees of freedom.
    pub df: f64,
    /// The active arm's id and its participants in the model.
    pub active: String,
    /// Participants of the active arm in the model.
    pub n_active: usize,
    /// The control arm's id.
    pub control: String,
    /// Participants of the control arm in the model.
    pub n_control: usize,
    /// The model, in R's formula notation.
    pub model: String,
}

/// The change from baseline of all participants together, with its 95% t interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pooled {
    /// Always true: no arm is read.
    pub pooled: bool,
    /// Participants.
    pub n: usize,
    /// Mean change.
    pub mean: f64,
    /// Standard deviation (n - 1).
    pub sd: f64,
    /// Lower end of the mean's interval.
    pub ci_lower: f64,
    /// Upper end.
    pub ci_upper: f64,
}

/// AIS conversion by at least one grade, between the arms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conversion {
    /// The active arm's id.
    pub active: String,
    /// Converted in the active arm.
    pub responders_active: u64,
    /// Assessed in the active arm.
    pub n_active: u64,
    /// The control arm's id.
    pub control: String,
    /// Converted in the control arm.
    pub responders_control: u64,
    /// Assessed in the control arm.
    pub n_control: u64,
    /// Active minus control proportion.
    pub risk_difference: f64,
    /// Newcombe's hybrid score interval, lower end.
    pub ci_lower: f64,
    /// Upper end.
    pub ci_upper: f64,
    /// Cochran–Mantel–Haenszel across the randomisation strata (no continuity correction).
    pub cmh: Outcome<CmhResult>,
}

/// The CMH test and the Mantel–Haenszel common odds ratio.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CmhResult {
    /// The statistic (chi-squared, 1 degree of freedom).
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
    /// The common odds ratio (null when undefined).
    pub odds_ratio: Option<f64>,
    /// Its 95% interval (Robins–Breslow–Greenland), when defined.
    pub ci_lower: Option<f64>,
    /// Upper end.
    pub ci_upper: Option<f64>,
    /// Strata that count (two or more participants).
    pub strata: usize,
}

/// AIS conversion of all participants together, with Wilson's interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PooledRate {
    /// Always true.
    pub pooled: bool,
    /// Converted.
    pub responders: u64,
    /// Assessed.
    pub n: u64,
    /// The proportion.
    pub rate: f64,
    /// Lower end of its interval.
    pub ci_lower: f64,
    /// Upper end.
    pub ci_upper: f64,
}

/// A change analysis.
pub type ChangeAnalysis = Outcome<ByArm<Effect, Pooled>>;

/// The secondary analyses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Secondary {
    /// Conversion of the AIS grade by at least one grade at the primary visit.
    pub ais_conversion: Outcome<ByArm<Conversion, PooledRate>>,
    /// Change in UEMS.
    pub uems: ChangeAnalysis,
    /// Change in LEMS.
    pub lems: ChangeAnalysis,
    /// Change in the SCIM III total.
    pub scim3: ChangeAnalysis,
}

/// The sensitivity analyses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sensitivity {
    /// The primary analysis in the per-protocol population.
    pub per_protocol: ChangeAnalysis,
    /// The primary analysis with the missing changes multiply imputed
    /// ([`super::imputation`]).
    pub multiple_imputation: super::imputation::MultipleImputation,
}

/// The sizes of the populations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Populations {
    /// Enrolled (records of `ADSL`).
    pub enrolled: usize,
    /// `ITTFL = Y`.
    pub itt: usize,
    /// `SAFFL = Y`.
    pub safety: usize,
    /// `PPROTFL = Y`.
    pub per_protocol: usize,
}

/// Everything `results.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Results {
    /// The study.
    pub study: String,
    /// Whether the results are by arm (an unblinded run) or pooled.
    pub unblinded: bool,
    /// The visit of the primary endpoint.
    pub primary_visit: Option<String>,
    /// The confidence level of every interval.
    pub confidence_level: f64,
    /// The populations.
    pub populations: Populations,
    /// The change in total motor score at the primary visit (ITT): ANCOVA on arm, baseline
    /// and the stratification factors, active minus control; or pooled.
    pub primary: ChangeAnalysis,
    /// The secondary analyses.
    pub secondary: Secondary,
    /// The sensitivity analyses.
    pub sensitivity: Sensitivity,
    /// The CONSORT flow's counts, when the caller counted them ([`super::consort`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consort: Option<super::Consort>,
    /// Phase I's analyses, for a dose-escalation study, when the caller made them
    /// ([`super::phase1::phase1`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase1: Option<super::phase1::Phase1>,
}

/// The arms compared: the first active and the first placebo arm of the study.
pub(super) fn arms(study: &Study) -> Option<(String, String)> {
    let of = |kind: ArmKind| {
        study
            .arms
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.id.clone())
    };
    Some((of(ArmKind::Active)?, of(ArmKind::Placebo)?))
}

/// The analyses of `data`: by arm when every participant in ITT shows an arm, else pooled.
pub fn analyse(study: &Study, data: &Datasets) -> Results {
    let unblinded = data
        .adsl
        .iter()
        .filter(|s| s.ittfl)
        .all(|s| s.arm.is_some())
        && data.adsl.iter().any(|s| s.arm.is_some());
    let count = |f: fn(&AdslRow) -> bool| data.adsl.iter().filter(|s| f(s)).count();
    let itt = |s: &AdslRow| s.ittfl;
    let pp = |s: &AdslRow| s.pprotfl;
    Results {
        study: data.studyid.clone(),
        unblinded,
        primary_visit: data.primary_visit.clone(),
        confidence_level: CONFIDENCE,
        populations: Populations {
            enrolled: data.adsl.len(),
            itt: count(|s| s.ittfl),
            safety: count(|s| s.saffl),
            per_protocol: count(|s| s.pprotfl),
        },
        primary: change(study, data, Param::Tms, unblinded, itt),
        secondary: Secondary {
            ais_conversion: conversion(study, data, unblinded),
            uems: change(study, data, Param::Uems, unblinded, itt),
            lems: change(study, data, Param::Lems, unblinded, itt),
            scim3: change(study, data, Param::Scim, unblinded, itt),
        },
        sensitivity: Sensitivity {
            per_protocol: change(study, data, Param::Tms, unblinded, pp),
            multiple_imputation: super::imputation::multiple_imputation(study, data, unblinded),
        },
        consort: None,
        phase1: None,
    }
}

/// The analysed records (`ANL01FL`) of `param` of the participants `population` keeps.
fn analysed<'a>(
    data: &'a Datasets,
    param: Param,
    population: impl Fn(&AdslRow) -> bool + 'a,
) -> impl Iterator<Item = (&'a AdslRow, &'a AdisnRow)> + 'a {
    data.adisn
        .iter()
        .filter(move |r| r.anl01fl && r.param == param)
        .filter_map(|r| data.adsl.get(r.subject).map(|s| (s, r)))
        .filter(move |(s, _)| population(s))
}

fn change(
    study: &Study,
    data: &Datasets,
    param: Param,
    unblinded: bool,
    population: fn(&AdslRow) -> bool,
) -> ChangeAnalysis {
    let records: Vec<(&AdslRow, &AdisnRow)> = analysed(data, param, population).collect();
    if !unblinded {
        let changes: Vec<f64> = records.iter().filter_map(|(_, r)| r.chg).collect();
        return pooled_mean(&changes)
            .map_or_else(Outcome::not, |p| Outcome::Computed(ByArm::Pooled(p)));
    }
    let Some((active, control)) = arms(study) else {
        return Outcome::not("the study has no active and placebo arms to compare");
    };
    let compared: Vec<&(&AdslRow, &AdisnRow)> = records
        .iter()
        .filter(|(s, r)| {
            r.base.is_some()
                && s.arm
                    .as_deref()
                    .is_some_and(|a| a == active || a == control)
        })
        .collect();
    for arm in [&active, &control] {
        if !compared.iter().any(|(s, _)| s.arm.as_ref() == Some(arm)) {
            return Outcome::not(format!(
                "no participant of arm {arm} has a change of {} at the primary visit",
                param.code()
            ));
        }
    }
    let outcome: Vec<f64> = compared.iter().filter_map(|(_, r)| r.chg).collect();
    let base: Vec<f64> = compared.iter().filter_map(|(_, r)| r.base).collect();
    let treated: Vec<bool> = compared
        .iter()
        .map(|(s, _)| s.arm.as_deref() == Some(active.as_str()))
        .collect();
    let names: Vec<String> = (1..=data.strata.len())
        .map(|i| format!("STRAT{i}R"))
        .collect();
    let levels: Vec<Vec<&str>> = (0..data.strata.len())
        .map(|i| {
            compared
                .iter()
                .map(|(s, _)| s.strata.get(i).map_or("", String::as_str))
                .collect()
        })
        .collect();
    let factors: Vec<(&str, &[&str])> = names
        .iter()
        .zip(&levels)
        .map(|(n, l)| (n.as_str(), l.as_slice()))
        .collect();
    let fit = stats::ancova(&outcome, &treated, &[("BASE", &base)], &factors, CONFIDENCE);
    match fit {
        Ok(e) => {
            let n_active = treated.iter().filter(|t| **t).count();
            let mut model = "CHG ~ TREATED + BASE".to_owned();
            for n in &names {
                model.push_str(&format!(" + {n}"));
            }
            Outcome::Computed(ByArm::Arms(Effect {
                estimate: e.estimate,
                ci_lower: e.ci_lower,
                ci_upper: e.ci_upper,
                p_value: e.p_value,
                n: e.n,
                se: e.se,
                df: e.df,
                active,
                n_active,
                control,
                n_control: e.n - n_active,
                model,
            }))
        }
        Err(e) => Outcome::not(e.to_string()),
    }
}

/// Mean, standard deviation and the t interval of the mean.
fn pooled_mean(values: &[f64]) -> Result<Pooled, String> {
    let n = values.len();
    if n < 2 {
        return Err(format!(
            "at least 2 participants with a change are needed, {n} given"
        ));
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let q = stats::distributions::t_upper((1.0 - CONFIDENCE) / 2.0, (n - 1) as f64);
    let half = q * sd / (n as f64).sqrt();
    Ok(Pooled {
        pooled: true,
        n,
        mean,
        sd,
        ci_lower: mean - half,
        ci_upper: mean + half,
    })
}

fn conversion(
    study: &Study,
    data: &Datasets,
    unblinded: bool,
) -> Outcome<ByArm<Conversion, PooledRate>> {
    let records: Vec<(&AdslRow, bool)> = analysed(data, Param::Ais, |s| s.ittfl)
        .filter_map(|(s, r)| r.chg.map(|c| (s, c >= 1.0)))
        .collect();
    if !unblinded {
        let n = records.len() as u64;
        let responders = records.iter().filter(|(_, c)| *c).count() as u64;
        return match stats::wilson(responders, n, CONFIDENCE) {
            Ok(i) => Outcome::Computed(ByArm::Pooled(PooledRate {
                pooled: true,
                responders,
                n,
                rate: i.estimate,
                ci_lower: i.lower,
                ci_upper: i.upper,
            })),
            Err(e) => Outcome::not(e.to_string()),
        };
    }
    let Some((active, control)) = arms(study) else {
        return Outcome::not("the study has no active and placebo arms to compare");
    };
    // Per stratum (the combination of the stratification factors): [[a, b], [c, d]], rows
    // active and control, columns converted and not.
    let mut tables: BTreeMap<String, stats::Table> = BTreeMap::new();
    for (s, converted) in &records {
        let row = match s.arm.as_deref() {
            Some(a) if a == active => 0,
            Some(a) if a == control => 1,
            _ => continue,
        };
        let table = tables.entry(s.strata.join("/")).or_default();
        table[row][usize::from(!converted)] += 1;
    }
    let total = |row: usize, col: Option<usize>| -> u64 {
        tables
            .values()
            .map(|t| col.map_or(t[row][0] + t[row][1], |c| t[row][c]))
            .sum()
    };
    let (ra, na, rc, nc) = (
        total(0, Some(0)),
        total(0, None),
        total(1, Some(0)),
        total(1, None),
    );
    let interval = match stats::newcombe(ra, na, rc, nc, CONFIDENCE) {
        Ok(i) => i,
        Err(e) => return Outcome::not(e.to_string()),
    };
    let list: Vec<stats::Table> = tables.into_values().collect();
    let cmh = match stats::cmh(&list, false, CONFIDENCE) {
        Ok(c) => Outcome::Computed(CmhResult {
            statistic: c.statistic,
            p_value: c.p_value,
            odds_ratio: Some(c.odds_ratio).filter(|o| o.is_finite()),
            ci_lower: c.ci.map(|(l, _)| l),
            ci_upper: c.ci.map(|(_, u)| u),
            strata: c.strata,
        }),
        Err(e) => Outcome::not(e.to_string()),
    };
    Outcome::Computed(ByArm::Arms(Conversion {
        active,
        responders_active: ra,
        n_active: na,
        control,
        responders_control: rc,
        n_control: nc,
        risk_difference: interval.estimate,
        ci_lower: interval.lower,
        ci_upper: interval.upper,
        cmh,
    }))
}
