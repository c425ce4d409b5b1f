//! The safety tables the DSMB reviews: by arm or dose level for unblinded readers, pooled for
//! the blinded study team.

use serde::Serialize;

use super::event::{ActionTaken, AdverseEvent, Outcome};
use super::terms::MAX_GRADE;

/// The name of the one group of the pooled tables.
pub const POOLED: &str = "all participants";

/// One group's counts of participants.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupSummary {
    /// The group: an arm, a dose level, or [`POOLED`].
    pub group: String,
    /// Participants in the group.
    pub participants: u32,
    /// With any adverse event.
    pub with_any_ae: u32,
    /// With a serious adverse event.
    pub with_sae: u32,
    /// Who died (an event with outcome fatal).
    pub deaths: u32,
    /// Whose product was withdrawn for an adverse event (action taken: drug withdrawn).
    pub discontinued_for_ae: u32,
}

/// One CTCAE term's row: per group, the participants with the term by their worst grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TermRow {
    /// The system organ class.
    pub soc: String,
    /// The term.
    pub term: String,
    /// Per group (in the order of [`SafetyTables::groups`]): participants whose worst grade of
    /// the term is 1 to 5 (index 0 is grade 1).
    #[schema(value_type = Vec<Vec<u32>>)]
    pub by_worst_grade: Vec<[u32; 5]>,
    /// Per group: participants with the term, any grade.
    pub any_grade: Vec<u32>,
}

/// The safety tables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SafetyTables {
    /// Each group, in the order first given.
    pub groups: Vec<GroupSummary>,
    /// Each term, by system organ class then term.
    pub terms: Vec<TermRow>,
}

/// Makes the tables from each participant's group (`(participant, group)`; participants
/// without events count too) and the events (`(participant, event)`). Events of participants
/// not in `groups` are left out. Groups are in the order first given; terms are sorted by
/// system organ class, then term.
pub fn safety_tables(groups: &[(i64, &str)], events: &[(i64, &AdverseEvent)]) -> SafetyTables {
    let mut summaries: Vec<GroupSummary> = Vec::new();
    let group_of = |participant: i64| {
        groups
            .iter()
            .find(|(p, _)| *p == participant)
            .map(|(_, g)| *g)
    };
    for (_, group) in groups {
        if !summaries.iter().any(|s| s.group == *group) {
            summaries.push(GroupSummary {
                group: group.to_string(),
                ..GroupSummary::default()
            });
        }
    }
    let index = |group: &str| summaries.iter().position(|s| s.group == group);
    let mut participants: Vec<i64> = groups.iter().map(|(p, _)| *p).collect();
    participants.sort_unstable();
    participants.dedup();
    let mut term_keys: Vec<(String, String)> = Vec::new();
    for (_, e) in events.iter().filter(|(p, _)| group_of(*p).is_some()) {
        let key = (e.soc.clone(), e.term.clone());
        if !term_keys.contains(&key) {
            term_keys.push(key);
        }
    }
    term_keys.sort();
    let mut rows: Vec<TermRow> = term_keys
        .into_iter()
        .map(|(soc, term)| TermRow {
            soc,
            term,
            by_worst_grade: vec![[0; 5]; summaries.len()],
            any_grade: vec![0; summaries.len()],
        })
        .collect();
    let mut counts = vec![GroupSummary::default(); summaries.len()];
    for participant in participants {
        let Some(g) = group_of(participant).and_then(index) else {
            continue;
        };
        let own: Vec<&AdverseEvent> = events
            .iter()
            .filter(|(p, _)| *p == participant)
            .map(|(_, e)| *e)
            .collect();
        let c = &mut counts[g];
        c.participants += 1;
        c.with_any_ae += u32::from(!own.is_empty());
        c.with_sae += u32::from(own.iter().any(|e| e.is_serious()));
        c.deaths += u32::from(own.iter().any(|e| e.outcome == Outcome::Fatal));
        c.discontinued_for_ae +=
            u32::from(own.iter().any(|e| e.action == ActionTaken::DrugWithdrawn));
        for row in &mut rows {
            let worst = own
                .iter()
                .filter(|e| e.term == row.term && e.soc == row.soc)
                .map(|e| e.grade)
                .max();
            if let Some(grade) = worst.filter(|g| (1..=MAX_GRADE).contains(g)) {
                row.by_worst_grade[g][usize::from(grade - 1)] += 1;
                row.any_grade[g] += 1;
            }
        }
    }
    for (summary, c) in summaries.iter_mut().zip(counts) {
        *summary = GroupSummary {
            group: std::mem::take(&mut summary.group),
            ..c
        };
    }
    SafetyTables {
        groups: summaries,
        terms: rows,
    }
}

/// Every participant in the one pooled group, for readers who stay blinded.
pub fn pooled(participants: &[i64]) -> Vec<(i64, &'static str)> {
    participants.iter().map(|p| (*p, POOLED)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_without_events_still_count_their_participants() {
        let tables = safety_tables(&[(1, "sad-1"), (2, "sad-2"), (3, "sad-1")], &[]);
        let groups: Vec<(&str, u32, u32)> = tables
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.participants, g.with_any_ae))
            .collect();
        assert_eq!(groups, [("sad-1", 2, 0), ("sad-2", 1, 0)]);
        assert!(tables.terms.is_empty());
        assert_eq!(safety_tables(&[], &[]), SafetyTables::default());
        assert_eq!(pooled(&[4, 2]), [(4, POOLED), (2, POOLED)]);
    }
}
