//! Synthetic exams for tests, benchmarks and demonstration data: shaped like real injuries, or
//! uniformly random over the value grammar. Deterministic for a seed; no dependencies.

use crate::exam::{Exam, SideExam};
use crate::level::{Level, MotorLevel};
use crate::value::{Anal, Flag, MotorValue, SensoryValue};

/// A small, fast pseudo-random generator (SplitMix64). Not for anything secret.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// One of the items.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn all_motor() -> Vec<MotorValue> {
    MotorValue::all().collect()
}

fn all_sensory() -> Vec<SensoryValue> {
    SensoryValue::all().collect()
}

const ANAL: [Anal; 3] = [Anal::Yes, Anal::No, Anal::NT];

/// An exam with every value drawn uniformly from the grammar.
pub fn uniform_exam(rng: &mut Rng) -> Exam {
    let (motor, sensory) = (all_motor(), all_sensory());
    let side = |rng: &mut Rng| SideExam {
        motor: std::array::from_fn(|_| rng.pick(&motor)),
        light_touch: std::array::from_fn(|_| rng.pick(&sensory)),
        pin_prick: std::array::from_fn(|_| rng.pick(&sensory)),
        lowest_non_key_muscle: random_non_key(rng, 0.3),
    };
    let right = side(rng);
    let left = side(rng);
    Exam {
        right,
        left,
        anal_contraction: rng.pick(&ANAL),
        anal_sensation: rng.pick(&ANAL),
    }
}

fn random_non_key(rng: &mut Rng, p: f64) -> Option<Level> {
    if !rng.chance(p) {
        return None;
    }
    if rng.chance(0.85) {
        Some(rng.pick(&MotorLevel::ALL).level())
    } else {
        Some(rng.pick(&Level::DERMATOMES))
    }
}

fn motor(grade: u8) -> MotorValue {
    MotorValue::new(Some(grade.min(5)), Flag::None).unwrap_or(MotorValue::NORMAL)
}

fn sensory(grade: u8) -> SensoryValue {
    SensoryValue::new(Some(grade.min(2)), Flag::None).unwrap_or(SensoryValue::NORMAL)
}

/// How a generated injury looks below its level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Below {
    /// Nothing preserved below the zone of partial preservation (AIS A-like).
    Absent,
    /// Sensation spared, no motor function (AIS B-like).
    SensorySpared,
    /// Some motor function spared (AIS C/D-like); the number is a typical grade from 1 to 4.
    MotorSpared(u8),
}

/// The shape of a generated injury.
#[derive(Clone, Copy, Debug)]
pub struct Injury {
    /// The most caudal level with normal function (C1 for a very high injury).
    pub level: Level,
    /// How many levels below it are partly preserved.
    pub zone: usize,
    /// What remains further down.
    pub below: Below,
}

impl Injury {
    /// A random injury, with levels weighted towards the cervical cord as in SCI registries.
    pub fn random(rng: &mut Rng) -> Injury {
        let level = if rng.chance(0.55) {
            Level::ALL[rng.below(8)]
        } else {
            Level::ALL[rng.below(29)]
        };
        let below = match rng.below(4) {
            0 => Below::Absent,
            1 => Below::SensorySpared,
            _ => Below::MotorSpared(1 + rng.below(4) as u8),
        };
        Injury {
            level,
            zone: rng.below(5),
            below,
        }
    }

    /// The exam of one side for this injury, values drawn around its shape.
    pub fn side(&self, rng: &mut Rng) -> SideExam {
        let mut side = SideExam::normal();
        let level = self.level.index();
        for m in MotorLevel::ALL {
            let at = m.level().index();
            side.motor[m.index()] = if at <= level {
                motor(5)
            } else if at <= level + self.zone {
                motor(rng.below(5) as u8)
            } else {
                match self.below {
                    Below::Absent | Below::SensorySpared => motor(0),
                    Below::MotorSpared(g) => motor((g + rng.below(3) as u8).saturating_sub(1)),
                }
            };
        }
        for l in Level::DERMATOMES {
            let at = l.index();
            let (t, p) = if at <= level {
                (2, 2)
            } else if at <= level + self.zone {
                (rng.below(3) as u8, rng.below(2) as u8)
            } else {
                match self.below {
                    Below::Absent => (0, 0),
                    _ => (
                        1 + rng.below(2) as u8 - u8::from(rng.chance(0.2)),
                        rng.below(3) as u8,
                    ),
                }
            };
            side.set_touch(l, sensory(t));
            side.set_prick(l, sensory(p));
        }
        side.lowest_non_key_muscle = random_non_key(rng, 0.15);
        side
    }
}

/// An exam shaped like a real injury: normal above a level, a zone of partial preservation,
/// then absent or spared function, with sides that may differ by a level or two; `NT`, `*`
/// and `**` values are sprinkled on a share of the exams.
pub fn injury_exam(rng: &mut Rng) -> Exam {
    let injury = Injury::random(rng);
    let right = injury.side(rng);
    let other = Injury {
        level: Level::ALL[(injury.level.index() + rng.below(3))
            .saturating_sub(1)
            .min(28)],
        ..injury
    };
    let left = other.side(rng);
    let (vac, dap) = match injury.below {
        Below::Absent => (Anal::No, Anal::No),
        Below::SensorySpared => (Anal::No, if rng.chance(0.5) { Anal::Yes } else { Anal::No }),
        Below::MotorSpared(_) => (
            if rng.chance(0.6) { Anal::Yes } else { Anal::No },
            if rng.chance(0.7) { Anal::Yes } else { Anal::No },
        ),
    };
    let mut exam = Exam {
        right,
        left,
        anal_contraction: vac,
        anal_sensation: dap,
    };
    if rng.chance(0.6) {
        let count = 1 + rng.below(6);
        sprinkle(rng, &mut exam, count);
    }
    exam
}

/// An exam that is normal but for a few values anywhere, drawn from the whole grammar.
pub fn nearly_normal_exam(rng: &mut Rng) -> Exam {
    let mut exam = Exam::normal();
    if rng.chance(0.3) {
        exam.anal_contraction = rng.pick(&ANAL);
        exam.anal_sensation = rng.pick(&ANAL);
    }
    let (motor, sensory) = (all_motor(), all_sensory());
    for _ in 0..1 + rng.below(5) {
        let side = if rng.chance(0.5) {
            &mut exam.right
        } else {
            &mut exam.left
        };
        match rng.below(3) {
            0 => side.motor[rng.below(10)] = rng.pick(&motor),
            1 => side.light_touch[rng.below(28)] = rng.pick(&sensory),
            _ => side.pin_prick[rng.below(28)] = rng.pick(&sensory),
        }
    }
    exam.right.lowest_non_key_muscle = random_non_key(rng, 0.1);
    exam
}

/// Replaces `count` values with `NT`, or with the same grade flagged `*` or `**`.
pub fn sprinkle(rng: &mut Rng, exam: &mut Exam, count: usize) {
    let flag = |rng: &mut Rng| [Flag::NonSci, Flag::NonSciNormal, Flag::None][rng.below(3)];
    for _ in 0..count {
        let side = if rng.chance(0.5) {
            &mut exam.right
        } else {
            &mut exam.left
        };
        let nt = rng.chance(0.4);
        let f = flag(rng);
        match rng.below(3) {
            0 => {
                let v = &mut side.motor[rng.below(10)];
                let grade = if nt { None } else { v.grade() };
                *v = MotorValue::new(grade, f).unwrap_or(*v);
            }
            1 => {
                let v = &mut side.light_touch[rng.below(28)];
                let grade = if nt { None } else { v.grade() };
                *v = SensoryValue::new(grade, f).unwrap_or(*v);
            }
            _ => {
                let v = &mut side.pin_prick[rng.below(28)];
                let grade = if nt { None } else { v.grade() };
                *v = SensoryValue::new(grade, f).unwrap_or(*v);
            }
        }
    }
}

/// A mix for testing: half shaped like injuries, a quarter nearly normal, a quarter uniform.
pub fn mixed_exam(rng: &mut Rng) -> Exam {
    match rng.below(4) {
        0 | 1 => injury_exam(rng),
        2 => nearly_normal_exam(rng),
        _ => uniform_exam(rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_exams() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..50 {
            assert_eq!(mixed_exam(&mut a), mixed_exam(&mut b));
        }
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            seen[rng.below(7)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn injuries_classify_near_their_level() {
        let mut rng = Rng::new(3);
        let mut complete = 0;
        for _ in 0..200 {
            let injury = Injury {
                level: Level::C6,
                zone: 0,
                below: Below::Absent,
            };
            let side = injury.side(&mut rng);
            let exam = Exam {
                right: side.clone(),
                left: side,
                anal_contraction: Anal::No,
                anal_sensation: Anal::No,
            };
            let result = exam.classify();
            assert_eq!(result.neurological_level.to_string(), "C6");
            complete += usize::from(result.ais.to_string() == "A");
        }
        assert_eq!(complete, 200);
    }
}
