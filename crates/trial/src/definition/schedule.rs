//! Sites, the visit schedule and eligibility.

use super::*;

pub(super) fn read_sites(r: &mut Report, root: &Node<'_>) -> Vec<Site> {
    let Some(nodes) = root.tables(r, "sites", Required) else {
        return Vec::new();
    };
    if nodes.is_empty() {
        r.add("sites", "at least one site is required");
    }
    let mut sites = Vec::new();
    let mut ids = Vec::new();
    for node in &nodes {
        node.only(r, SITE_KEYS);
        let id = element_id(r, node);
        let name = node.string(r, "name", Required);
        let name_zh = node.chinese(r, "name_zh");
        let time_zone = node.string(r, "time_zone", Required);
        if let Some(tz) = &time_zone {
            if !is_time_zone(tz) {
                r.add(
                    node.at("time_zone"),
                    format!(
                        "must be an IANA time zone name, \"UTC\" or Area/Location with Area one \
                         of {} (e.g. \"Asia/Shanghai\", \"America/New_York\"), found {tz:?}",
                        TZ_AREAS.join(", ")
                    ),
                );
            }
        }
        let country = node.string(r, "country", Required);
        if let Some(c) = &country {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                r.add(
                    node.at("country"),
                    format!(
                        "must be an ISO 3166-1 alpha-2 code, two capital letters such as \"CN\" \
                         or \"US\", found {c:?}"
                    ),
                );
            }
        }
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(time_zone), Some(country)) =
            (id, name, time_zone, country)
        {
            sites.push(Site {
                id,
                name,
                name_zh,
                time_zone,
                country,
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    sites
}

/// A visit with the path of its table.
type PathedVisit = (String, VisitDef);

/// What could be read of `[schedule]`.
#[derive(Default)]
pub(super) struct Schedule {
    pub(super) anchor: Option<Anchor>,
    pub(super) visits: Vec<PathedVisit>,
    /// Every visit table was read without a problem.
    pub(super) complete: bool,
}

pub(super) fn read_schedule(r: &mut Report, root: &Node<'_>, dose_levels: bool) -> Schedule {
    let Some(schedule) = root.table(r, "schedule", Required, SCHEDULE_KEYS) else {
        return Schedule::default();
    };
    let anchor = schedule.choice(r, "anchor", Required, Anchor::ALL, Anchor::as_str);
    let Some(nodes) = schedule.tables(r, "visits", Required) else {
        return Schedule {
            anchor,
            ..Schedule::default()
        };
    };
    if nodes.is_empty() {
        r.add(schedule.at("visits"), "at least one visit is required");
    }
    let mut visits: Vec<PathedVisit> = Vec::new();
    let mut ids = Vec::new();
    let mut previous_day: Option<(i64, String)> = None;
    for node in &nodes {
        node.only(r, VISIT_KEYS);
        let id = element_id(r, node);
        let name = node.string(r, "name", Required);
        let name_zh = node.chinese(r, "name_zh");
        let day = node.integer(r, "day", Required, -MAX_DAY, MAX_DAY);
        if day == Some(0) {
            r.add(
                node.at("day"),
                "there is no day 0: day 1 is the anchor date and day -1 the day before",
            );
        }
        if let Some(day) = day {
            if let Some((before, before_path)) = &previous_day {
                if day <= *before {
                    r.add(
                        node.at("day"),
                        format!(
                            "visit days must increase strictly: {day} does not come after \
                             {before} ({before_path})"
                        ),
                    );
                }
            }
            previous_day = Some((day, node.at("day")));
        }
        let before = node.integer(r, "window_before", Required, 0, MAX_WINDOW);
        let after = node.integer(r, "window_after", Required, 0, MAX_WINDOW);
        let forms = node.strings(r, "forms", Required);
        let screening = node.boolean(r, "screening", Optional);
        let dose_schedule = node.choice(
            r,
            "dose_schedule",
            Optional,
            DoseSchedule::ALL,
            DoseSchedule::as_str,
        );
        if dose_schedule.is_some() && !dose_levels {
            r.add(
                node.at("dose_schedule"),
                "is for a study with dose levels (design = \"dose-escalation\"); this study has none",
            );
        }
        if dose_schedule.is_some() && (screening == Some(true) || day.is_some_and(|d| d < 1)) {
            r.add(
                node.at("dose_schedule"),
                "a screening visit comes before any dose: it is for every participant",
            );
        }
        if let (Some(true), Some(day), Some(Anchor::FirstDose)) = (screening, day, anchor) {
            if day >= 1 {
                r.add(
                    node.at("screening"),
                    format!(
                        "a screening visit must come before the first dose (day 1) when anchor = \
                         \"first-dose\", but this visit is on day {day}"
                    ),
                );
            }
        }
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(day), Some(before), Some(after), Some(forms)) =
            (id, name, day, before, after, forms)
        {
            visits.push((
                node.path.clone(),
                VisitDef {
                    id,
                    name,
                    name_zh,
                    day: to_i32(day),
                    window_before: to_u32(before),
                    window_after: to_u32(after),
                    forms: forms.into_iter().map(|(_, f)| f).collect(),
                    screening: screening.unwrap_or(day < 1),
                    dose_schedule,
                },
            ));
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    if let Some(first_late) = visits.iter().position(|(_, v)| !v.screening) {
        for (path, visit) in &visits[first_late..] {
            if visit.screening {
                r.add(
                    format!("{path}.screening"),
                    format!(
                        "screening visits must come before all other visits, but {:?} comes \
                         after {:?}",
                        visit.id, visits[first_late].1.id
                    ),
                );
            }
        }
    }
    Schedule {
        anchor,
        complete: visits.len() == nodes.len(),
        visits,
    }
}

pub(super) fn read_bounds(
    r: &mut Report,
    parent: &Node<'_>,
    key: &str,
    max: i64,
) -> Option<Bounds> {
    let node = parent.table(r, key, Optional, BOUNDS_KEYS)?;
    let min_value = node.integer(r, "min", Required, 0, max);
    let max_value = node.integer(r, "max", Required, 0, max);
    let (min_value, max_value) = (min_value?, max_value?);
    if min_value > max_value {
        r.add(
            node.at("min"),
            format!("must not be greater than max ({max_value}), found {min_value}"),
        );
        return None;
    }
    Some(Bounds {
        min: to_u32(min_value),
        max: to_u32(max_value),
    })
}

pub(super) const LEVEL_NAMES: &str = "C1-C8, T1-T12, L1-L5, S1, S2, S3, S4_5";

pub(super) fn read_level(r: &mut Report, node: &Node<'_>, key: &str) -> Option<Level> {
    let name = node.string(r, key, Required)?;
    let level = Level::parse(&name);
    if level.is_none() {
        r.add(
            node.at(key),
            format!("must be a spinal level ({LEVEL_NAMES}), found {name:?}"),
        );
    }
    level
}

pub(super) fn read_eligibility(r: &mut Report, root: &Node<'_>) -> Criteria {
    let Some(node) = root.table(r, "eligibility", Optional, ELIGIBILITY_KEYS) else {
        return Criteria::default();
    };
    let age_years = read_bounds(r, &node, "age_years", 150);
    let nli = node
        .table(r, "nli", Optional, LEVEL_RANGE_KEYS)
        .and_then(|range| {
            let from = read_level(r, &range, "from");
            let to = read_level(r, &range, "to");
            let (from, to) = (from?, to?);
            if from > to {
                r.add(
                    range.at("from"),
                    format!("must not be caudal to `to` ({to}), found {from}"),
                );
                return None;
            }
            Some(LevelRange { from, to })
        });
    let ais = node.strings(r, "ais", Optional).and_then(|letters| {
        if letters.is_empty() {
            r.add(node.at("ais"), "must list at least one grade (A to E)");
            return None;
        }
        let mut grades: Vec<Grade> = Vec::new();
        let mut ok = true;
        for (path, letter) in letters {
            match Grade::ALL.into_iter().find(|g| g.letter() == letter) {
                Some(g) if grades.contains(&g) => {
                    r.add(path, format!("duplicate grade {letter:?}"));
                    ok = false;
                }
                Some(g) => grades.push(g),
                None => {
                    r.add(
                        path,
                        format!(
                            "must be an AIS grade, one of \"A\", \"B\", \"C\", \"D\", \"E\", found \
                             {letter:?}"
                        ),
                    );
                    ok = false;
                }
            }
        }
        grades.sort();
        ok.then_some(grades)
    });
    let days_from_injury_to_screening =
        read_bounds(r, &node, "days_from_injury_to_screening", 36_500);
    Criteria {
        age_years,
        nli,
        ais,
        days_from_injury_to_screening,
    }
}
