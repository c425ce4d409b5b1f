//! The CONSORT 2025 flow of participants (Hopewell et al., BMJ 2025;389:e081123), counted
//! from the records: assessed for eligibility (everyone screened), excluded with the reasons,
//! randomised, then for each arm (or for all participants together when the arms are not
//! shown) allocated, received the allocated product (only when administrations are recorded:
//! otherwise it says so rather than guessing), lost to follow-up and discontinued with the
//! reasons, analysed in the primary analysis and excluded from it with the reasons.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Datasets, Param};
use crate::participants::ParticipantStatus;
use crate::study::Study;

/// A screened participant as the flow's first boxes count them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screened {
    /// Where they are on the path.
    pub status: ParticipantStatus,
    /// Whether screening found them eligible.
    pub eligible: bool,
    /// Why not, as screening recorded it.
    pub reasons: Vec<String>,
    /// Whether they were randomised (or given a dose level).
    pub assigned: bool,
    /// Why participation ended, when it did.
    pub end_reason: Option<String>,
}

/// A reason and how many it counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The reason.
    pub reason: String,
    /// How many.
    pub n: usize,
}

/// The name of the one column of a pooled flow.
pub const ALL_PARTICIPANTS: &str = "All participants";

/// One arm's column of the flow (or all participants together).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsortGroup {
    /// The arm's or dose level's id, or `all` when pooled.
    pub group: String,
    /// Its name (`All participants` when pooled).
    pub name: String,
    /// Its name in Chinese, when the study gives one (`全部受试者` when pooled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Allocated (randomised to it).
    pub allocated: usize,
    /// Received the allocated product: `null` when administrations are not recorded.
    pub received: Option<usize>,
    /// Did not receive it: `null` when administrations are not recorded.
    pub not_received: Option<usize>,
    /// Lost to follow-up (a withdrawal whose reason says so).
    pub lost_to_follow_up: usize,
    /// Discontinued for another reason.
    pub discontinued: usize,
    /// The reasons of both, with their counts.
    pub discontinued_reasons: Vec<Count>,
    /// Analysed in the primary analysis (a change in total motor score at the primary visit).
    pub analysed: usize,
    /// Excluded from the primary analysis.
    pub excluded_from_analysis: usize,
    /// Why.
    pub excluded_reasons: Vec<Count>,
}

/// The flow's counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Consort {
    /// Assessed for eligibility: everyone screened.
    pub assessed: usize,
    /// Not randomised.
    pub excluded: usize,
    /// Why, with the counts.
    pub excluded_reasons: Vec<Count>,
    /// Randomised (or given a dose level).
    pub randomised: usize,
    /// Whether the groups are the arms (else one group of all participants).
    pub by_arm: bool,
    /// The groups.
    pub groups: Vec<ConsortGroup>,
}

fn counts(reasons: impl IntoIterator<Item = String>) -> Vec<Count> {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in reasons {
        *by.entry(r).or_default() += 1;
    }
    let mut out: Vec<Count> = by
        .into_iter()
        .map(|(reason, n)| Count { reason, n })
        .collect();
    out.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.reason.cmp(&b.reason)));
    out
}

/// Why a screened participant who was not randomised was excluded.
fn exclusion(s: &Screened) -> String {
    match s.status {
        ParticipantStatus::ScreenFailed => match s.reasons.first() {
            Some(r) => format!("not eligible: {r}"),
            None => "not eligible".to_owned(),
        },
        ParticipantStatus::Screening if !s.eligible => "not eligible".to_owned(),
        ParticipantStatus::Screening => "still in screening".to_owned(),
        ParticipantStatus::Enrolled => "enrolled, not yet randomised".to_owned(),
        ParticipantStatus::Withdrawn | ParticipantStatus::Completed => {
            match s
                .end_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                Some(r) => format!("withdrew before randomisation: {r}"),
                None => "withdrew before randomisation".to_owned(),
            }
        }
    }
}

/// Whether a withdrawal's reason says the participant was lost to follow-up.
pub fn is_lost_to_follow_up(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("lost to follow") || r.contains("失访")
}

/// The flow of `screened` (everyone screened) and of the datasets (the enrolled), by arm when
/// the datasets show every randomised participant's arm, else pooled. `administered` holds the
/// subject ids of those who received the product, when administrations are recorded at all.
pub fn consort(
    study: &Study,
    screened: &[Screened],
    data: &Datasets,
    administered: Option<&BTreeSet<String>>,
) -> Consort {
    let randomised: Vec<&super::AdslRow> = data.adsl.iter().filter(|s| s.ittfl).collect();
    let by_arm = !randomised.is_empty() && randomised.iter().all(|s| s.arm.is_some());
    let excluded_reasons = counts(screened.iter().filter(|s| !s.assigned).map(exclusion));
    let excluded = screened.iter().filter(|s| !s.assigned).count();
    // The participants with a change in total motor score at the primary visit.
    let analysed: BTreeSet<usize> = data
        .adisn
        .iter()
        .filter(|r| r.param == Param::Tms && r.anl01fl && r.chg.is_some())
        .filter(|r| Some(&r.visit_id) == data.primary_visit.as_ref())
        .map(|r| r.subject)
        .collect();
    let mut keys: Vec<(String, String, Option<String>)> = Vec::new();
    if by_arm {
        let named = study
            .arms
            .iter()
            .map(|a| (a.id.clone(), a.name.clone(), a.name_zh.clone()))
            .chain(
                study
                    .dose_levels
                    .iter()
                    .map(|l| (l.id.clone(), l.name.clone(), l.name_zh.clone())),
            );
        for (id, name, name_zh) in named {
            if randomised.iter().any(|s| s.arm.as_deref() == Some(&id)) {
                keys.push((id, name, name_zh));
            }
        }
        for s in &randomised {
            let id = s.arm.clone().unwrap_or_default();
            if !keys.iter().any(|(k, _, _)| *k == id) {
                keys.push((id.clone(), id, None));
            }
        }
    } else {
        keys.push((
            "all".to_owned(),
            ALL_PARTICIPANTS.to_owned(),
            Some("全部受试者".to_owned()),
        ));
    }
    let groups = keys
        .into_iter()
        .map(|(group, name, name_zh)| {
            let members: Vec<(usize, &super::AdslRow)> = data
                .adsl
                .iter()
                .enumerate()
                .filter(|(_, s)| s.ittfl && (!by_arm || s.arm.as_deref() == Some(&group)))
                .collect();
            let allocated = members.len();
            let received = administered.map(|given| {
                members
                    .iter()
                    .filter(|(_, s)| given.contains(&s.subjid))
                    .count()
            });
            let ended: Vec<&str> = members
                .iter()
                .filter(|(_, s)| s.eosstt == "DISCONTINUED")
                .map(|(_, s)| s.dcsreas.as_str())
                .collect();
            let lost = ended.iter().filter(|r| is_lost_to_follow_up(r)).count();
            let discontinued_reasons = counts(ended.iter().map(|r| {
                if r.trim().is_empty() {
                    "no reason recorded".to_owned()
                } else {
                    r.trim().to_owned()
                }
            }));
            let excluded: Vec<String> = members
                .iter()
                .filter(|(i, _)| !analysed.contains(i))
                .map(|(_, s)| {
                    if s.eosstt == "DISCONTINUED" {
                        "discontinued before the primary visit's exam".to_owned()
                    } else {
                        "no total motor score at the primary visit".to_owned()
                    }
                })
                .collect();
            ConsortGroup {
                group,
                name,
                name_zh,
                allocated,
                received,
                not_received: received.map(|r| allocated - r),
                lost_to_follow_up: lost,
                discontinued: ended.len() - lost,
                discontinued_reasons,
                analysed: allocated - excluded.len(),
                excluded_from_analysis: excluded.len(),
                excluded_reasons: counts(excluded),
            }
        })
        .collect();
    Consort {
        assessed: screened.len(),
        excluded,
        excluded_reasons,
        randomised: randomised.len(),
        by_arm,
        groups,
    }
}
