//! The natural history the demo's follow-up exams are drawn from: how an exam changes over the
//! year after injury without the therapy.

use isncsci::synth::Rng;
use isncsci::{
    Anal, Classification, Exam, Grade, Level, LevelResult, MotorLevel, MotorValue, SensoryValue,
    Side,
};

/// How an exam changes over the year after injury without the therapy, from the natural
/// history in domain.md §2: conversion of the AIS grade (A 25%, B 73%, C 75%, D none within
/// the year) and motor score gains (cervical UEMS about 8 ± 6 points; LEMS A 2.3 ± 7.4, B 8.8 ±
/// 13.9), most of it in the first three months.
#[derive(Clone, Debug)]
pub struct Recovery {
    /// The baseline grade.
    pub grade: Grade,
    /// Whether the grade converts within the year.
    pub converts: bool,
    /// The share of the year's recovery at which it converts.
    pub converts_at: f64,
    /// Upper-extremity motor points gained by one year.
    pub uems_gain: f64,
    /// Lower-extremity motor points gained by one year.
    pub lems_gain: f64,
    /// Without a conversion, motor function returns no further down than this level (three
    /// below the motor level: further would make the injury motor incomplete).
    pub reach: Option<Level>,
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn normal(rng: &mut Rng, mean: f64, sd: f64) -> f64 {
    // Box–Muller.
    let (u1, u2) = (uniform(rng), uniform(rng));
    mean + sd * (-2.0 * (u1.max(1e-12)).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The share of the first year's recovery reached `days` after injury.
pub fn recovered_share(days: i64) -> f64 {
    let share = |d: f64| 1.0 - (-d / 60.0).exp();
    share(days.max(0) as f64) / share(365.0)
}

impl Recovery {
    /// Draws a participant's course from the baseline classification.
    pub fn draw(baseline: &Classification, rng: &mut Rng) -> Recovery {
        let grade = baseline.ais.iter().next().map_or(Grade::A, |(g, _)| g);
        let cervical = matches!(baseline.neurological_level.first(), Some(LevelResult::Level(l)) if l <= Level::T1);
        let (p, lems) = match grade {
            Grade::A => (0.25, (2.3, 7.4)),
            Grade::B => (0.73, (8.8, 13.9)),
            Grade::C => (0.75, (15.0, 10.0)),
            Grade::D => (0.0, (6.0, 5.0)),
            Grade::E => (0.0, (0.0, 0.0)),
        };
        let uems = match (cervical, grade) {
            (false, _) | (_, Grade::E) => (0.0, 0.0),
            (true, Grade::A) => (7.8, 6.5),
            (true, _) => (8.8, 6.1),
        };
        let mut recovery = Recovery {
            grade,
            converts: rng.chance(p),
            converts_at: 0.15 + 0.55 * uniform(rng),
            uems_gain: normal(rng, uems.0, uems.1).max(0.0),
            lems_gain: normal(rng, lems.0, lems.1).max(0.0),
            reach: None,
        };
        if !recovery.converts {
            let motor_level = [&baseline.right_motor, &baseline.left_motor]
                .iter()
                .filter_map(|l| match l.first() {
                    Some(LevelResult::Level(level)) => Some(level.index()),
                    _ => None,
                })
                .min();
            recovery.reach = motor_level.and_then(|i| Level::from_index(i + 3));
        }
        recovery
    }

    /// The exam `days` after injury, from the baseline exam taken `baseline_days` after injury.
    pub fn exam_at(&self, baseline: &Exam, baseline_days: i64, days: i64) -> Exam {
        let start = recovered_share(baseline_days);
        let share = ((recovered_share(days) - start) / (1.0 - start).max(1e-9)).clamp(0.0, 1.0);
        let mut exam = baseline.clone();
        let within = |m: &&MotorLevel| self.reach.is_none_or(|r| m.level() <= r);
        let upper: Vec<MotorLevel> = MotorLevel::ALL[..5]
            .iter()
            .filter(within)
            .copied()
            .collect();
        let lower: Vec<MotorLevel> = MotorLevel::ALL[5..]
            .iter()
            .filter(within)
            .copied()
            .collect();
        add_motor(&mut exam, &upper, (self.uems_gain * share).round() as u32);
        add_motor(&mut exam, &lower, (self.lems_gain * share).round() as u32);
        // Sensation returns a dermatome or two below the level.
        for side in Side::BOTH {
            let s = exam.side_mut(side);
            for _ in 0..(2.0 * share).round() as usize {
                if let Some(l) = Level::DERMATOMES
                    .into_iter()
                    .find(|l| s.touch(*l).grade() == Some(0))
                {
                    s.set_touch(l, SensoryValue::parse("1").unwrap_or(SensoryValue::NORMAL));
                    s.set_prick(l, SensoryValue::parse("1").unwrap_or(SensoryValue::NORMAL));
                }
            }
        }
        if self.converts && share >= self.converts_at {
            match self.grade {
                Grade::A => {
                    exam.right.set_touch(
                        Level::S4_5,
                        SensoryValue::parse("1").unwrap_or(SensoryValue::NORMAL),
                    );
                    exam.anal_sensation = Anal::Yes;
                }
                Grade::B => exam.anal_contraction = Anal::Yes,
                Grade::C => add_motor(&mut exam, &MotorLevel::ALL, 6),
                _ => {}
            }
        }
        exam
    }
}

/// Adds motor points, one at a time, to the most rostral muscle below normal, alternating sides.
fn add_motor(exam: &mut Exam, muscles: &[MotorLevel], points: u32) {
    for point in 0..points {
        let side = exam.side_mut(if point % 2 == 0 {
            Side::Right
        } else {
            Side::Left
        });
        let Some(m) = muscles
            .iter()
            .find(|m| side.motor(**m).grade().is_some_and(|g| g < 5))
        else {
            continue;
        };
        let grade = side.motor(*m).grade().unwrap_or(0) + 1;
        side.motor[m.index()] =
            MotorValue::new(Some(grade), isncsci::Flag::None).unwrap_or(MotorValue::NORMAL);
    }
}

#[cfg(test)]
mod tests {
    use isncsci::synth::{Below, Injury};

    use super::*;

    /// Simulated one-year outcomes, classified by the engine, match the natural history the
    /// model was drawn from (domain.md §2).
    #[test]
    fn a_year_of_simulated_recovery_matches_the_published_figures() {
        let mut rng = Rng::new(7);
        let mut tally = std::collections::BTreeMap::<&str, (u32, u32, f64)>::new();
        for n in 0..3000 {
            let (below, name) = match n % 3 {
                0 => (Below::Absent, "A"),
                1 => (Below::SensorySpared, "B"),
                _ => (Below::MotorSpared(1), "C"),
            };
            let injury = Injury {
                level: Level::C5,
                zone: 1,
                below,
            };
            let mut exam = Exam {
                right: injury.side(&mut rng),
                left: injury.side(&mut rng),
                anal_contraction: Anal::No,
                anal_sensation: Anal::No,
            };
            if below != Below::Absent {
                exam.anal_sensation = Anal::Yes;
            }
            if below == (Below::MotorSpared(1)) {
                exam.anal_contraction = Anal::Yes;
            }
            let baseline = exam.classify();
            if baseline.ais.to_string() != name {
                continue;
            }
            let recovery = Recovery::draw(&baseline, &mut rng);
            let year = recovery.exam_at(&exam, 20, 365).classify();
            let converted = year
                .ais
                .iter()
                .next()
                .is_some_and(|(g, _)| g.letter() > name);
            let gain = year.totals.upper_motor.0.unwrap_or(0) as f64
                - baseline.totals.upper_motor.0.unwrap_or(0) as f64;
            let t = tally.entry(name).or_default();
            *t = (t.0 + 1, t.1 + u32::from(converted), t.2 + gain);
        }
        let rate = |g: &str| tally[g].1 as f64 / tally[g].0 as f64;
        let mean_gain = |g: &str| tally[g].2 / tally[g].0 as f64;
        assert!(
            (0.15..=0.35).contains(&rate("A")),
            "A converts {:.2}",
            rate("A")
        );
        assert!(
            (0.60..=0.85).contains(&rate("B")),
            "B converts {:.2}",
            rate("B")
        );
        assert!(
            (4.0..=12.0).contains(&mean_gain("A")),
            "UEMS gain A {:.1}",
            mean_gain("A")
        );
        assert!(tally.values().all(|t| t.0 > 300), "{tally:?}");
    }

    #[test]
    fn most_recovery_happens_in_the_first_three_months() {
        assert!(recovered_share(90) > 0.75 && recovered_share(90) < 0.85);
        assert!(recovered_share(270) > 0.98);
        assert!((recovered_share(365) - 1.0).abs() < 1e-9);
    }
}
