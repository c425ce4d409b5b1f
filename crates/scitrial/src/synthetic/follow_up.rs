//! The follow-up of a synthetic participant (`scitrial export synthetic --follow-up`): the kit
//! dispensed, then every visit up to the primary one (week 24) recorded a few days either side
//! of its target, each with its ISNCSCI exam drawn from the natural history of the demo
//! (`web::demo::Recovery`, domain.md §2) and its SCIM III and WISCI II where the study plans
//! them. The active arm recovers a little more (a small treatment effect). Some participants
//! withdraw after week 4, some miss the week-24 visit, a few come to it after its window. All
//! through the store's writes, so every row has its audit trail.

use anyhow::{anyhow, Result};
use isncsci::synth::Rng;
use isncsci::{Classification, Exam, Grade, Level, LevelResult};
use serde_json::{Map, Value};
use store::{Actor, Scope};
use time::{Date, Duration};
use trial::analysis::PRIMARY_DAY;
use trial::{ArmKind, FormKind, FormStatus, Scim3, Scim3Item, Wisci2};
use web::demo::Recovery;
use web::service;

/// The active arm's extra motor points by one year, upper and lower extremities.
const EFFECT: (f64, f64) = (2.0, 1.5);
/// The last visit day before a withdrawal (week 4).
const WITHDRAWN_AFTER_DAY: i32 = 29;

/// What happens to a participant after randomisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Course {
    /// Every visit, in its window.
    Attends,
    /// Withdraws after week 4.
    Withdraws,
    /// Misses the primary visit.
    MissesPrimary,
    /// Comes to the primary visit after its window.
    Late,
}

/// The screening of a participant, as the follow-up starts from it.
pub struct Start<'a> {
    /// The participant's id.
    pub participant_id: i64,
    /// The screening exam.
    pub exam: &'a Exam,
    /// The date of injury.
    pub injury_date: Date,
    /// The date of screening (and of the exam).
    pub screened_on: Date,
}

/// Dispenses the participant's kit (nearly always) and records their visits up to week 24.
pub async fn follow_up(
    app: &web::App,
    scope: &Scope,
    start: &Start<'_>,
    rng: &mut Rng,
    by: &Actor,
    pharmacist: &Actor,
) -> Result<()> {
    let study = app
        .study(scope.study())
        .map_err(|e| anyhow!("the study: {e}"))?;
    let store = &app.store;
    let id = start.participant_id;
    let allocation = store
        .allocation(scope, id)
        .await?
        .ok_or_else(|| anyhow!("participant {id} is not randomised"))?;
    if rng.chance(0.97) {
        store
            .dispense_kit(scope, id, &allocation.kit_number, pharmacist)
            .await?;
    }
    let baseline = start.exam.classify();
    let mut recovery = Recovery::draw(&baseline, rng);
    if study
        .arm(&allocation.arm_id)
        .is_some_and(|a| a.kind == ArmKind::Active)
    {
        recovery.uems_gain += EFFECT.0;
        recovery.lems_gain += EFFECT.1;
    }
    let course = match rng.below(100) {
        0..=5 => Course::Withdraws,
        6..=11 => Course::MissesPrimary,
        12..=14 => Course::Late,
        _ => Course::Attends,
    };
    let baseline_days = (start.screened_on - start.injury_date).whole_days();
    let function = Function::draw(&baseline, rng);
    let mut last = start.screened_on;
    for v in store.visits(scope, id).await? {
        let Some(def) = study.visit(&v.visit_id) else {
            continue;
        };
        if def.screening || def.day > PRIMARY_DAY {
            continue;
        }
        if course == Course::Withdraws && def.day > WITHDRAWN_AFTER_DAY {
            let on = last + Duration::days(10 + rng.below(30) as i64);
            let reason = if rng.chance(0.5) {
                "lost to follow-up: did not return after moving away"
            } else {
                "withdrew consent"
            };
            let end = store::Ending {
                participant_id: id,
                status: "withdrawn".into(),
                on: store::date(on),
                reason: reason.into(),
            };
            store.end_participation(scope, &end, by).await?;
            break;
        }
        let primary = def.day == PRIMARY_DAY;
        if primary && course == Course::MissesPrimary {
            continue;
        }
        let date = |text: &str| {
            store::parse_date(text).ok_or_else(|| anyhow!("visit {} date {text:?}", v.visit_id))
        };
        let (target, earliest, latest) = (date(&v.target)?, date(&v.earliest)?, date(&v.latest)?);
        let on = if primary && course == Course::Late {
            latest + Duration::days(1 + rng.below(5) as i64)
        } else {
            let from = earliest.max(target - Duration::days(3));
            let span = (latest - from).whole_days().clamp(0, 6) as usize;
            (from + Duration::days(rng.below(span + 1) as i64)).min(latest)
        };
        store
            .record_visit(scope, id, &v.visit_id, &store::date(on), by)
            .await?;
        last = on;
        let exam = recovery.exam_at(
            start.exam,
            baseline_days,
            (on - start.injury_date).whole_days(),
        );
        let classification = exam.classify();
        let share = web::demo::recovered_share((on - start.injury_date).whole_days());
        for form_id in &def.forms {
            let Some(form) = study.form(form_id) else {
                continue;
            };
            let data = match form.kind {
                FormKind::Isncsci => service::isncsci_data(&flat(&exam))
                    .map_err(|e| anyhow!("the exam of {id} at {}: {e:?}", v.visit_id))?,
                FormKind::Scim3 => scim3(function.scim3(&baseline, &classification, share))?,
                FormKind::Wisci2 => Wisci2::new(wisci2(&classification))
                    .ok_or_else(|| anyhow!("a WISCI II level above 20"))?
                    .to_json(),
                _ => continue,
            };
            let Value::Object(data) = data else {
                continue;
            };
            let save = store::FormSave {
                participant_id: id,
                visit_id: v.visit_id.clone(),
                form_id: form_id.clone(),
                data,
                status: FormStatus::Complete,
                reason: None,
                eligibility: None,
            };
            store.save_form(scope, &save, by).await?;
        }
    }
    Ok(())
}

/// The exam in the flat layout, as the worksheet posts it.
pub fn flat(exam: &Exam) -> Map<String, Value> {
    isncsci::flat::fields(exam)
        .map(|(k, v)| (k, Value::String(v.to_string())))
        .collect()
}

/// A participant's independence (SCIM III) over the year: a total at injury that depends on
/// the level and the grade, a gain by one year, and two points more for every three motor
/// points gained.
struct Function {
    base: f64,
    gain: f64,
}

impl Function {
    fn draw(baseline: &Classification, rng: &mut Rng) -> Function {
        let grade = baseline.ais.iter().next().map(|(g, _)| g);
        let (base, gain) = match grade {
            Some(Grade::A) => (12.0, 14.0),
            Some(Grade::B) => (18.0, 20.0),
            _ => (25.0, 26.0),
        };
        let cervical = matches!(
            baseline.neurological_level.first(),
            Some(LevelResult::Level(l)) if l <= Level::T1
        );
        let paraplegia = if cervical { 0.0 } else { 18.0 };
        Function {
            base: (base + paraplegia + normal(rng, 0.0, 5.0)).max(0.0),
            gain: normal(rng, gain, 8.0).max(0.0),
        }
    }

    /// The SCIM III total with `share` of the year's recovery reached and the exam
    /// `now`, from the exam at `baseline`.
    fn scim3(&self, baseline: &Classification, now: &Classification, share: f64) -> u8 {
        let motor = |c: &Classification| {
            c.totals.upper_motor.0.unwrap_or(0) as f64 + c.totals.lower_motor.0.unwrap_or(0) as f64
        };
        let gained = (motor(now) - motor(baseline)).max(0.0);
        (self.base + self.gain * share + gained * 2.0 / 3.0)
            .round()
            .clamp(0.0, 100.0) as u8
    }
}

/// Scores the SCIM III items to come as close to `total` as their allowed values let: each
/// item in turn raised to its next allowed score while the sum stays within the total.
fn scim3(total: u8) -> Result<Value> {
    let mut scores = [0u8; 19];
    let mut sum = 0u8;
    loop {
        let mut raised = false;
        for (i, item) in Scim3Item::ALL.iter().enumerate() {
            let Some(next) = item.allowed().iter().copied().find(|a| *a > scores[i]) else {
                continue;
            };
            if sum + (next - scores[i]) <= total {
                sum += next - scores[i];
                scores[i] = next;
                raised = true;
            }
        }
        if !raised {
            break;
        }
    }
    Scim3::from_scores(scores)
        .map(|s| s.to_json())
        .map_err(|issues| anyhow!("synthetic SCIM III scores: {issues:?}"))
}

/// The WISCI II level that the lower-extremity motor score allows: none below 20 points, then
/// one level for every two points, at most 20.
fn wisci2(now: &Classification) -> u8 {
    let lems = now.totals.lower_motor.0.unwrap_or(0);
    (lems.saturating_sub(18) / 2).min(u16::from(Wisci2::MAX_LEVEL)) as u8
}

fn normal(rng: &mut Rng, mean: f64, sd: f64) -> f64 {
    let uniform = |rng: &mut Rng| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    // Box–Muller.
    let (u1, u2) = (uniform(rng), uniform(rng));
    mean + sd * (-2.0 * u1.max(1e-12).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scim3_scores_reach_every_total_within_their_gaps() {
        for total in 0..=100u8 {
            let json = scim3(total).unwrap();
            let got = json["total"].as_u64().unwrap();
            assert!(
                got <= u64::from(total) && got + 2 >= u64::from(total),
                "{total}: {got}"
            );
        }
    }
}
