//! A study definition: what the trial is, where it runs, who is blinded, when participants are
//! seen, who may take part and what is recorded.
//!
//! A [`Study`] is only made by [`Study::from_toml`], which checks everything that
//! `docs/study-definition.md` promises; the fields are public for reading.

use isncsci::{Grade, Level};
use serde::{Serialize, Serializer};

use crate::definition;
use crate::error::DefinitionError;
use crate::role::Role;
use crate::safety::SafetyDefinition;

/// Declares an enum whose values are written in definitions as fixed strings.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order the schema lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The string written in study definitions.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value written exactly as [`as_str`](Self::as_str) writes it.
            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// The clinical development phase.
    Phase {
        /// Phase I (`"I"`).
        One = "I",
        /// Combined phase I/II (`"I/II"`).
        OneTwo = "I/II",
        /// Phase II (`"II"`).
        Two = "II",
        /// Phase III (`"III"`).
        Three = "III",
        /// Phase IV (`"IV"`).
        Four = "IV",
    }
}

named_enum! {
    /// How participants are allocated.
    Design {
        /// Cohorts at increasing dose levels (`"dose-escalation"`).
        DoseEscalation = "dose-escalation",
        /// Random allocation to arms (`"randomised"`).
        Randomised = "randomised",
    }
}

named_enum! {
    /// Who knows the allocation.
    Blinding {
        /// Everybody knows it (`"open-label"`).
        OpenLabel = "open-label",
        /// Participants and every role not listed as unblinded are blinded (`"double-blind"`).
        DoubleBlind = "double-blind",
    }
}

named_enum! {
    /// What an arm receives.
    ArmKind {
        /// The investigational product (`"active"`).
        Active = "active",
        /// An inactive look-alike (`"placebo"`).
        Placebo = "placebo",
    }
}

named_enum! {
    /// How a randomised study allocates participants to arms.
    RandomisationMethod {
        /// Stratified permuted blocks with block sizes drawn from a configured set
        /// (`"permuted-blocks"`).
        PermutedBlocks = "permuted-blocks",
        /// Pocock–Simon minimisation with a biased coin (`"minimisation"`).
        Minimisation = "minimisation",
    }
}

named_enum! {
    /// A baseline characteristic that randomisation balances: a stratification factor of
    /// permuted blocks, or a factor of minimisation.
    Factor {
        /// The baseline AIS grade, A to D (`"ais"`).
        Ais = "ais",
        /// The injury level: cervical (neurological level C1 to T1) or thoracolumbar (T2 and
        /// below) (`"level"`).
        Level = "level",
        /// The site (`"site"`).
        Site = "site",
    }
}

named_enum! {
    /// How often a dose level is given.
    DoseSchedule {
        /// Once, on day 1 (`"single"`).
        Single = "single",
        /// On each of the level's `dose_days` (`"multiple"`).
        Multiple = "multiple",
    }
}

named_enum! {
    /// The date that visit days count from.
    Anchor {
        /// The date of injury (`"injury"`).
        Injury = "injury",
        /// The date of the first dose (`"first-dose"`).
        FirstDose = "first-dose",
    }
}

named_enum! {
    /// What a form records.
    FormKind {
        /// An ISNCSCI examination (the `isncsci` crate's exam).
        Isncsci = "isncsci",
        /// The Spinal Cord Independence Measure, version III (19 items, total 0–100).
        Scim3 = "scim3",
        /// The Walking Index for Spinal Cord Injury II (levels 0–20).
        Wisci2 = "wisci2",
        /// Vital signs, with the fields the definition gives.
        VitalSigns = "vital-signs",
        /// Concomitant medication, with the fields the definition gives.
        ConcomitantMedication = "concomitant-medication",
        /// Any other form, with the fields the definition gives.
        Generic = "generic",
    }
}

impl FormKind {
    /// True for the kinds whose content the definition gives as `fields`; false for the
    /// standard instruments (ISNCSCI, SCIM III, WISCI II), whose content is fixed.
    pub const fn has_fields(self) -> bool {
        matches!(
            self,
            FormKind::VitalSigns | FormKind::ConcomitantMedication | FormKind::Generic
        )
    }
}

named_enum! {
    /// The type of a form field's value.
    FieldType {
        /// A whole number.
        Integer = "integer",
        /// A number with a fractional part.
        Decimal = "decimal",
        /// Free text.
        Text = "text",
        /// A calendar date.
        Date = "date",
        /// One of the field's `options`.
        Choice = "choice",
        /// Yes or no.
        Boolean = "boolean",
    }
}

named_enum! {
    /// Where a field's value comes from when the platform, not the person entering the form,
    /// holds it (the `source` key).
    FieldSource {
        /// The donor HLA typing of the study's master cell bank(s), as the product's records
        /// hold it (`"master-cell-bank-hla"`): the same for every participant of the study,
        /// whatever unit each received, so that it tells nothing of the allocation.
        MasterCellBankHla = "master-cell-bank-hla",
    }
}

impl FieldType {
    /// True for `integer` and `decimal`, the types that may have a unit and a range.
    pub const fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Decimal)
    }
}

/// A site where participants are enrolled.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Site {
    /// Short identifier, unique in the study.
    pub id: String,
    /// The institution's name.
    pub name: String,
    /// The institution's name in Chinese (`name_zh`), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// IANA time zone name (`Asia/Shanghai`, `America/New_York`, `UTC`): local dates at the
    /// site, such as a visit's date, are in this zone.
    pub time_zone: String,
    /// ISO 3166-1 alpha-2 country code (`CN`, `US`).
    pub country: String,
}

/// An arm of a randomised study.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arm {
    /// Short identifier, unique in the study.
    pub id: String,
    /// Name for people (shown only to unblinded roles in a blinded study).
    pub name: String,
    /// The name in Chinese (`name_zh`), if given.
    pub name_zh: Option<String>,
    /// Active product or placebo.
    pub kind: ArmKind,
    /// Allocation ratio: an arm with ratio 2 receives twice as many participants as one with 1.
    pub ratio: u32,
}

/// A dose level of a dose-escalation study, in escalation order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DoseLevel {
    /// Short identifier, unique in the study.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// The name in Chinese (`name_zh`), if given.
    pub name_zh: Option<String>,
    /// Cells per dose.
    pub cells: f64,
    /// Single or multiple doses.
    pub schedule: DoseSchedule,
    /// The days doses are given, counted from the first dose (day 1); `[1]` for a single dose.
    pub dose_days: Vec<i32>,
}

impl DoseLevel {
    /// The day of the last dose, from which the dose-limiting-toxicity window is counted.
    pub fn last_dose_day(&self) -> i32 {
        self.dose_days.last().copied().unwrap_or(1)
    }

    /// The study days (counted from the first dose) during which a toxicity is assessed as
    /// dose-limiting: from day 1 to `dlt_window_days` days after the last dose.
    pub fn dlt_days(&self, dlt_window_days: u32) -> (i32, i32) {
        let window = i32::try_from(dlt_window_days).unwrap_or(i32::MAX);
        (1, self.last_dose_day().saturating_add(window))
    }
}

/// A factor of minimisation with its weight.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WeightedFactor {
    /// The characteristic.
    pub factor: Factor,
    /// Its weight in the sum of imbalances (greater than 0; default 1).
    pub weight: f64,
}

/// How a randomised study allocates participants to arms (the `[randomisation]` table).
///
/// The random seed is not part of the definition: the statistician gives it when the
/// allocation list is generated (permuted blocks) or the minimisation starts, and it is
/// recorded with the list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "method")]
pub enum Randomisation {
    /// Stratified permuted blocks (`method = "permuted-blocks"`).
    #[serde(rename = "permuted-blocks")]
    PermutedBlocks {
        /// The block sizes, each a multiple of the sum of the arm ratios; each block's size is
        /// drawn from them with equal probability.
        block_sizes: Vec<u32>,
        /// The stratification factors, each at most once; empty for one list for everybody.
        strata: Vec<Factor>,
    },
    /// Pocock–Simon minimisation (`method = "minimisation"`).
    #[serde(rename = "minimisation")]
    Minimisation {
        /// The factors, each at most once, with their weights.
        factors: Vec<WeightedFactor>,
        /// The probability of allocating the arm that minimises imbalance (0.5 < p ≤ 1).
        probability: f64,
    },
}

impl Randomisation {
    /// The method.
    pub fn method(&self) -> RandomisationMethod {
        match self {
            Randomisation::PermutedBlocks { .. } => RandomisationMethod::PermutedBlocks,
            Randomisation::Minimisation { .. } => RandomisationMethod::Minimisation,
        }
    }

    /// The factors balanced: the strata of permuted blocks, or the factors of minimisation,
    /// in the order the definition gives them.
    pub fn factors(&self) -> Vec<Factor> {
        match self {
            Randomisation::PermutedBlocks { strata, .. } => strata.clone(),
            Randomisation::Minimisation { factors, .. } => {
                factors.iter().map(|f| f.factor).collect()
            }
        }
    }
}

/// A scheduled visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VisitDef {
    /// Short identifier, unique in the study.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// The name in Chinese (`name_zh`), if given.
    pub name_zh: Option<String>,
    /// Study day of the target date, counted from the anchor: day 1 is the anchor date, day
    /// −1 the day before; there is no day 0 (the convention of SDTM study days).
    pub day: i32,
    /// Days the visit may take place before its target date.
    pub window_before: u32,
    /// Days the visit may take place after its target date.
    pub window_after: u32,
    /// The ids of the forms completed at this visit.
    pub forms: Vec<String>,
    /// True for a screening visit, where eligibility is assessed.
    pub screening: bool,
    /// In a dose-escalation study, the dose schedule of the participants this visit is for
    /// (`dose_schedule` in the definition); `None` for everyone. Planned at enrolment for all,
    /// such a visit leaves the plan of a participant given a level of the other schedule.
    pub dose_schedule: Option<DoseSchedule>,
}

/// A field of a form whose content the definition gives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldDef {
    /// Short identifier, unique in the form.
    pub id: String,
    /// The question or label shown.
    pub label: String,
    /// The label in Chinese (`label_zh`), if given.
    pub label_zh: Option<String>,
    /// The type of the value (the `type` key).
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Unit of a numeric value (`mmHg`, `°C`).
    pub unit: Option<String>,
    /// The unit in Chinese where it is a word (`unit_zh`: `次/分`), if given.
    pub unit_zh: Option<String>,
    /// Smallest allowed numeric value.
    pub min: Option<f64>,
    /// Largest allowed numeric value.
    pub max: Option<f64>,
    /// The allowed values of a `choice` field (empty for other types).
    pub options: Vec<String>,
    /// The options' labels in Chinese, one for each option in the same order (`options_zh`;
    /// empty when not given).
    pub options_zh: Vec<String>,
    /// True when the form cannot be completed without this value.
    pub required: bool,
    /// Where the value comes from when the platform fills it (`source`); `None` for a value
    /// typed by the person entering the form.
    pub source: Option<FieldSource>,
}

/// A form (case report form page).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FormDef {
    /// Short identifier, unique in the study.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// The name in Chinese (`name_zh`), if given.
    pub name_zh: Option<String>,
    /// What the form records.
    pub kind: FormKind,
    /// The fields, for the kinds that have them ([`FormKind::has_fields`]); empty otherwise.
    pub fields: Vec<FieldDef>,
}

impl FormDef {
    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// An inclusive range of whole numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bounds {
    /// Smallest allowed value.
    pub min: u32,
    /// Largest allowed value.
    pub max: u32,
}

impl Bounds {
    /// True when `value` is within the range.
    pub fn contains(&self, value: i64) -> bool {
        i64::from(self.min) <= value && value <= i64::from(self.max)
    }
}

/// An inclusive range of spinal levels, cranial end first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LevelRange {
    /// The most cranial allowed level.
    #[serde(serialize_with = "level_name")]
    pub from: Level,
    /// The most caudal allowed level.
    #[serde(serialize_with = "level_name")]
    pub to: Level,
}

impl LevelRange {
    /// True when `level` is within the range.
    pub fn contains(&self, level: Level) -> bool {
        self.from <= level && level <= self.to
    }
}

/// The eligibility criteria that are computed from screening data and the screening ISNCSCI
/// exam. A criterion that is `None` is not checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Criteria {
    /// Age in whole years at the screening date.
    pub age_years: Option<Bounds>,
    /// Neurological level of injury.
    pub nli: Option<LevelRange>,
    /// Allowed AIS grades, in order.
    #[serde(serialize_with = "grade_letters")]
    pub ais: Option<Vec<Grade>>,
    /// Days from the injury to the screening date.
    pub days_from_injury_to_screening: Option<Bounds>,
}

/// A validated study definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Study {
    /// Short code, `[A-Z0-9-]{2,32}`.
    pub id: String,
    /// Full title.
    pub title: String,
    /// The title in Chinese (`title_zh`), if given.
    pub title_zh: Option<String>,
    /// Clinical phase.
    pub phase: Phase,
    /// Registry identifier (`NCT06974968`).
    pub registry: String,
    /// The protocol version the definition follows, if given (`"2.0"`).
    pub protocol_version: Option<String>,
    /// Dose escalation or randomised.
    pub design: Design,
    /// Open-label or double-blind.
    pub blinding: Blinding,
    /// Planned number of participants.
    pub target_enrolment: u32,
    /// The arms of a randomised study (empty for dose escalation).
    pub arms: Vec<Arm>,
    /// The dose levels of a dose-escalation study, in escalation order (empty when
    /// randomised).
    pub dose_levels: Vec<DoseLevel>,
    /// Days after the last dose during which toxicities count as dose-limiting (dose
    /// escalation only).
    pub dlt_window_days: Option<u32>,
    /// How participants are randomised (randomised studies only).
    pub randomisation: Option<Randomisation>,
    /// The sites.
    pub sites: Vec<Site>,
    /// The roles that see allocations. Every role for an open-label study.
    pub unblinded_roles: Vec<Role>,
    /// What visit days count from.
    pub anchor: Anchor,
    /// The visits, in order of day.
    pub visits: Vec<VisitDef>,
    /// The forms.
    pub forms: Vec<FormDef>,
    /// The eligibility criteria.
    pub eligibility: Criteria,
    /// The reference safety information, DLT criteria and stopping rules (`[safety]`).
    pub safety: SafetyDefinition,
    /// The laboratory panels, their tests and visits, and the grade at which a lab value
    /// proposes an adverse event (`[labs]`).
    pub labs: crate::labs::LabsDefinition,
}

impl Study {
    /// The schema version this build reads.
    pub const SCHEMA_VERSION: i64 = 1;

    /// The roles unblinded by default in a double-blind study.
    pub const DEFAULT_UNBLINDED_ROLES: [Role; 3] = [
        Role::UnblindedPharmacist,
        Role::DsmbStatistician,
        Role::DsmbMember,
    ];

    /// Loads and validates a study definition (the schema is in `docs/study-definition.md`).
    /// On failure the error lists every problem found, each with its key path.
    pub fn from_toml(text: &str) -> Result<Study, DefinitionError> {
        definition::parse(text)
    }

    /// True when `role` must not see allocations: never in an open-label study; in a
    /// double-blind study, unless the role is one of [`Study::unblinded_roles`].
    pub fn is_blinded(&self, role: Role) -> bool {
        match self.blinding {
            Blinding::OpenLabel => false,
            Blinding::DoubleBlind => !self.unblinded_roles.contains(&role),
        }
    }

    /// Whether someone holding `roles` in this study may see arms: they hold a role in it and
    /// none of those roles is blinded. This is the one blinding rule: a person with a blinded
    /// role sees no arm, whatever other roles they hold.
    pub fn sees_arms(&self, roles: &[Role]) -> bool {
        !roles.is_empty() && roles.iter().all(|r| !self.is_blinded(*r))
    }

    /// The site with this id.
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    /// The visit with this id.
    pub fn visit(&self, id: &str) -> Option<&VisitDef> {
        self.visits.iter().find(|v| v.id == id)
    }

    /// The form with this id.
    pub fn form(&self, id: &str) -> Option<&FormDef> {
        self.forms.iter().find(|f| f.id == id)
    }

    /// The arm with this id.
    pub fn arm(&self, id: &str) -> Option<&Arm> {
        self.arms.iter().find(|a| a.id == id)
    }

    /// The dose level with this id.
    pub fn dose_level(&self, id: &str) -> Option<&DoseLevel> {
        self.dose_levels.iter().find(|d| d.id == id)
    }

    /// The screening visits, where eligibility is assessed (they come first).
    pub fn screening_visits(&self) -> impl Iterator<Item = &VisitDef> + '_ {
        self.visits.iter().filter(|v| v.screening)
    }

    /// The ISNCSCI form completed at screening, whose exam decides the neurological criteria.
    /// A valid definition has exactly one.
    pub fn eligibility_form(&self) -> Option<&FormDef> {
        self.screening_visits()
            .flat_map(|v| v.forms.iter())
            .filter_map(|id| self.form(id))
            .find(|f| f.kind == FormKind::Isncsci)
    }
}

fn level_name<S: Serializer>(level: &Level, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(level.name())
}

fn grade_letters<S: Serializer>(
    grades: &Option<Vec<Grade>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match grades {
        None => serializer.serialize_none(),
        Some(grades) => serializer.collect_seq(grades.iter().map(|g| g.letter())),
    }
}

/// The Chinese form of a study-defined text when Chinese is asked for and the definition gives
/// one, else the English.
pub fn in_language<'a>(english: &'a str, chinese: Option<&'a str>, zh: bool) -> &'a str {
    match chinese {
        Some(c) if zh => c,
        _ => english,
    }
}

impl Study {
    /// The title, in Chinese when `zh` and given.
    pub fn title_in(&self, zh: bool) -> &str {
        in_language(&self.title, self.title_zh.as_deref(), zh)
    }
}

impl Site {
    /// The name, in Chinese when `zh` and given.
    pub fn name_in(&self, zh: bool) -> &str {
        in_language(&self.name, self.name_zh.as_deref(), zh)
    }
}

impl Arm {
    /// The name, in Chinese when `zh` and given.
    pub fn name_in(&self, zh: bool) -> &str {
        in_language(&self.name, self.name_zh.as_deref(), zh)
    }
}

impl DoseLevel {
    /// The name, in Chinese when `zh` and given.
    pub fn name_in(&self, zh: bool) -> &str {
        in_language(&self.name, self.name_zh.as_deref(), zh)
    }
}

impl VisitDef {
    /// The name, in Chinese when `zh` and given.
    pub fn name_in(&self, zh: bool) -> &str {
        in_language(&self.name, self.name_zh.as_deref(), zh)
    }
}

impl FormDef {
    /// The name, in Chinese when `zh` and given.
    pub fn name_in(&self, zh: bool) -> &str {
        in_language(&self.name, self.name_zh.as_deref(), zh)
    }
}

impl FieldDef {
    /// The label, in Chinese when `zh` and given.
    pub fn label_in(&self, zh: bool) -> &str {
        in_language(&self.label, self.label_zh.as_deref(), zh)
    }

    /// The unit, in Chinese when `zh` and given.
    pub fn unit_in(&self, zh: bool) -> Option<&str> {
        self.unit
            .as_deref()
            .map(|u| in_language(u, self.unit_zh.as_deref(), zh))
    }

    /// The label of one of the options, in Chinese when `zh` and given (the option itself
    /// otherwise).
    pub fn option_in<'a>(&'a self, option: &'a str, zh: bool) -> &'a str {
        let i = self.options.iter().position(|o| o == option);
        in_language(
            option,
            i.and_then(|i| self.options_zh.get(i)).map(String::as_str),
            zh,
        )
    }
}
