//! The Walking Index for Spinal Cord Injury II: levels 0–20 with their aids.

use super::*;

/// The walking aid of a WISCI II level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WalkingAid {
    /// Parallel bars.
    ParallelBars,
    /// A walker.
    Walker,
    /// Two crutches.
    TwoCrutches,
    /// One cane or one crutch.
    OneCaneOrCrutch,
    /// No walking aid.
    NoAid,
}

/// One level of WISCI II: how a person walks 10 metres.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wisci2Level {
    /// The level, 0–20.
    pub level: u8,
    /// The walking aid; `None` at level 0, where the person does not walk.
    pub aid: Option<WalkingAid>,
    /// True when leg braces are needed.
    pub braces: bool,
    /// The number of people giving physical assistance (0, 1 or 2).
    pub helpers: u8,
    /// A short description in English.
    pub description: &'static str,
}

pub(super) const fn wisci(
    level: u8,
    aid: Option<WalkingAid>,
    braces: bool,
    helpers: u8,
    description: &'static str,
) -> Wisci2Level {
    Wisci2Level {
        level,
        aid,
        braces,
        helpers,
        description,
    }
}

/// The 21 levels of WISCI II (Ditunno P.L. and Ditunno J.F., "Walking index for spinal cord
/// injury (WISCI II): scale revision", Spinal Cord 2001; 39:654–656), indexed by level: the
/// walking aid, leg braces, and the physical help of other people needed to walk 10 metres
/// (less than 10 metres at level 1).
#[rustfmt::skip]
pub const WISCI2_LEVELS: [Wisci2Level; 21] = {
    use WalkingAid::*;
    [
        wisci( 0, None, false, 0,
            "Unable to stand or to take part in assisted walking"),
        wisci( 1, Some(ParallelBars), true, 2,
            "Parallel bars, braces, physical help of two people, under 10 m"),
        wisci( 2, Some(ParallelBars), true, 2,
            "Parallel bars, braces, physical help of two people, 10 m"),
        wisci( 3, Some(ParallelBars), true, 1,
            "Parallel bars, braces, physical help of one person, 10 m"),
        wisci( 4, Some(ParallelBars), false, 1,
            "Parallel bars, no braces, physical help of one person, 10 m"),
        wisci( 5, Some(ParallelBars), true, 0,
            "Parallel bars, braces, no physical help, 10 m"),
        wisci( 6, Some(Walker), true, 1,
            "Walker, braces, physical help of one person, 10 m"),
        wisci( 7, Some(TwoCrutches), true, 1,
            "Two crutches, braces, physical help of one person, 10 m"),
        wisci( 8, Some(Walker), false, 1,
            "Walker, no braces, physical help of one person, 10 m"),
        wisci( 9, Some(Walker), true, 0,
            "Walker, braces, no physical help, 10 m"),
        wisci(10, Some(OneCaneOrCrutch), true, 1,
            "One cane or crutch, braces, physical help of one person, 10 m"),
        wisci(11, Some(TwoCrutches), false, 1,
            "Two crutches, no braces, physical help of one person, 10 m"),
        wisci(12, Some(TwoCrutches), true, 0,
            "Two crutches, braces, no physical help, 10 m"),
        wisci(13, Some(Walker), false, 0,
            "Walker, no braces, no physical help, 10 m"),
        wisci(14, Some(OneCaneOrCrutch), false, 1,
            "One cane or crutch, no braces, physical help of one person, 10 m"),
        wisci(15, Some(OneCaneOrCrutch), true, 0,
            "One cane or crutch, braces, no physical help, 10 m"),
        wisci(16, Some(TwoCrutches), false, 0,
            "Two crutches, no braces, no physical help, 10 m"),
        wisci(17, Some(NoAid), false, 1,
            "No walking aid, no braces, physical help of one person, 10 m"),
        wisci(18, Some(NoAid), true, 0,
            "No walking aid, braces, no physical help, 10 m"),
        wisci(19, Some(OneCaneOrCrutch), false, 0,
            "One cane or crutch, no braces, no physical help, 10 m"),
        wisci(20, Some(NoAid), false, 0,
            "No walking aid, no braces, no physical help, 10 m"),
    ]
};

/// A WISCI II assessment: the level, 0–20. In JSON, `{"level": 12}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Wisci2 {
    level: u8,
}

impl Wisci2 {
    /// The key of the level in JSON.
    pub const LEVEL_KEY: &'static str = "level";

    /// The highest level.
    pub const MAX_LEVEL: u8 = 20;

    /// The assessment at this level, if it is from 0 to 20.
    pub fn new(level: u8) -> Option<Wisci2> {
        (level <= Wisci2::MAX_LEVEL).then_some(Wisci2 { level })
    }

    /// Reads an assessment from a JSON object with the one key `level`, a whole number from 0
    /// to 20 (a JSON number or a numeric string). Every problem is reported.
    pub fn from_json(values: &Map<String, Value>) -> Result<Wisci2, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let expected = "a whole number from 0 to 20";
        let mut level = None;
        match entered(values.get(Wisci2::LEVEL_KEY)) {
            Entered::Nothing => issues.push(FieldIssue::new(
                Wisci2::LEVEL_KEY,
                format!("is required: {expected}"),
            )),
            Entered::Given(v) => {
                level = read_integer(v)
                    .ok()
                    .and_then(|n| u8::try_from(n).ok())
                    .and_then(Wisci2::new);
                if level.is_none() {
                    issues.push(FieldIssue::new(
                        Wisci2::LEVEL_KEY,
                        format!("must be {expected}, found {}", shown(v)),
                    ));
                }
            }
        }
        for key in values.keys().filter(|k| *k != Wisci2::LEVEL_KEY) {
            issues.push(FieldIssue::new(
                key,
                "unknown field; a WISCI II assessment has the one field level",
            ));
        }
        match level {
            Some(level) if issues.is_empty() => Ok(level),
            _ => Err(issues),
        }
    }

    /// The level, 0–20.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// What the level means: aid, braces, assistance and its description.
    pub fn details(&self) -> &'static Wisci2Level {
        &WISCI2_LEVELS[usize::from(self.level)]
    }

    /// The short English description of the level.
    pub fn description(&self) -> &'static str {
        self.details().description
    }

    /// The canonical JSON object, `{"level": 12}`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert(Wisci2::LEVEL_KEY.to_owned(), Value::from(self.level));
        Value::Object(map)
    }
}

impl Serialize for Wisci2 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}
