//! The Spinal Cord Independence Measure III: its 19 items, subscales and total.

use super::*;

/// The three subscales of SCIM III.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scim3Subscale {
    /// Self-care, items 1–4 (0–20).
    SelfCare,
    /// Respiration and sphincter management, items 5–8 (0–40).
    RespirationSphincter,
    /// Mobility, items 9–17: in the room and toilet, indoors and outdoors (0–40).
    Mobility,
}

impl Scim3Subscale {
    /// The three subscales, in the order of the instrument.
    pub const ALL: [Scim3Subscale; 3] = [
        Scim3Subscale::SelfCare,
        Scim3Subscale::RespirationSphincter,
        Scim3Subscale::Mobility,
    ];

    /// The key of the computed subscale score in [`Scim3::to_json`].
    pub const fn id(self) -> &'static str {
        match self {
            Scim3Subscale::SelfCare => "self_care_subscale",
            Scim3Subscale::RespirationSphincter => "respiration_sphincter_subscale",
            Scim3Subscale::Mobility => "mobility_subscale",
        }
    }

    /// The subscale's name.
    pub const fn label(self) -> &'static str {
        match self {
            Scim3Subscale::SelfCare => "Self-care",
            Scim3Subscale::RespirationSphincter => "Respiration and sphincter management",
            Scim3Subscale::Mobility => "Mobility",
        }
    }

    /// The highest score of the subscale.
    pub const fn max(self) -> u8 {
        match self {
            Scim3Subscale::SelfCare => 20,
            Scim3Subscale::RespirationSphincter | Scim3Subscale::Mobility => 40,
        }
    }

    /// The items of the subscale, in the order of the instrument.
    pub fn items(self) -> impl Iterator<Item = Scim3Item> {
        Scim3Item::ALL
            .into_iter()
            .filter(move |item| item.subscale() == self)
    }
}

/// Declares the SCIM III items: variant, JSON id, number on the scoring sheet, name, allowed
/// scores and subscale, in the order of the instrument.
macro_rules! scim3_items {
    ($(
        $variant:ident, $id:literal, $number:literal, $label:literal,
        [$($score:literal),+], $subscale:ident;
    )+) => {
        /// An item of SCIM III.
        ///
        /// The allowed scores of each item are those of the SCIM III scoring sheet (Itzkovich
        /// M. et al., "The Spinal Cord Independence Measure (SCIM) version III: reliability
        /// and validity in a multi-center international study", Disabil Rehabil 2007;
        /// 29(24):1926–1933), as reproduced in the SCIM III clinical form of the Rick Hansen
        /// Spinal Cord Injury Registry's toolkit and on the scimscore.com scoring site. Several
        /// items skip values: bladder management scores 0, 3, 6, 9, 11, 13 or 15, never 1 or
        /// 14; bowel management 0, 5, 8 or 10.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scim3Item {
            $(
                #[doc = concat!("Item ", $number, ", ", $label, ": `", $id, "`, scores ",
                                stringify!($($score),+), ".")]
                $variant,
            )+
        }

        impl Scim3Item {
            /// The 19 items, in the order of the instrument.
            pub const ALL: [Scim3Item; 19] = [$(Scim3Item::$variant,)+];

            /// The key of the item in JSON (snake_case).
            pub const fn id(self) -> &'static str {
                match self { $(Scim3Item::$variant => $id,)+ }
            }

            /// The item's number on the scoring sheet (`"1"`, `"2A"`, … `"17"`).
            pub const fn number(self) -> &'static str {
                match self { $(Scim3Item::$variant => $number,)+ }
            }

            /// The item's name.
            pub const fn label(self) -> &'static str {
                match self { $(Scim3Item::$variant => $label,)+ }
            }

            /// The scores the item allows, in increasing order.
            pub const fn allowed(self) -> &'static [u8] {
                match self { $(Scim3Item::$variant => &[$($score),+],)+ }
            }

            /// The subscale the item belongs to.
            pub const fn subscale(self) -> Scim3Subscale {
                match self { $(Scim3Item::$variant => Scim3Subscale::$subscale,)+ }
            }
        }
    };
}

scim3_items! {
    Feeding, "feeding", "1", "Feeding", [0, 1, 2, 3], SelfCare;
    BathingUpperBody, "bathing_upper_body", "2A", "Bathing, upper body", [0, 1, 2, 3], SelfCare;
    BathingLowerBody, "bathing_lower_body", "2B", "Bathing, lower body", [0, 1, 2, 3], SelfCare;
    DressingUpperBody, "dressing_upper_body", "3A", "Dressing, upper body",
        [0, 1, 2, 3, 4], SelfCare;
    DressingLowerBody, "dressing_lower_body", "3B", "Dressing, lower body",
        [0, 1, 2, 3, 4], SelfCare;
    Grooming, "grooming", "4", "Grooming", [0, 1, 2, 3], SelfCare;
    Respiration, "respiration", "5", "Respiration", [0, 2, 4, 6, 8, 10], RespirationSphincter;
    Bladder, "bladder", "6", "Sphincter management, bladder",
        [0, 3, 6, 9, 11, 13, 15], RespirationSphincter;
    Bowel, "bowel", "7", "Sphincter management, bowel", [0, 5, 8, 10], RespirationSphincter;
    UseOfToilet, "use_of_toilet", "8", "Use of toilet", [0, 1, 2, 4, 5], RespirationSphincter;
    BedMobility, "bed_mobility", "9", "Mobility in bed and action to prevent pressure sores",
        [0, 2, 4, 6], Mobility;
    TransferBedWheelchair, "transfer_bed_wheelchair", "10", "Transfers, bed–wheelchair",
        [0, 1, 2], Mobility;
    TransferWheelchairToiletTub, "transfer_wheelchair_toilet_tub", "11",
        "Transfers, wheelchair–toilet–tub", [0, 1, 2], Mobility;
    MobilityIndoors, "mobility_indoors", "12", "Mobility indoors",
        [0, 1, 2, 3, 4, 5, 6, 7, 8], Mobility;
    MobilityModerateDistances, "mobility_moderate_distances", "13",
        "Mobility for moderate distances (10–100 m)", [0, 1, 2, 3, 4, 5, 6, 7, 8], Mobility;
    MobilityOutdoors, "mobility_outdoors", "14", "Mobility outdoors (more than 100 m)",
        [0, 1, 2, 3, 4, 5, 6, 7, 8], Mobility;
    StairManagement, "stair_management", "15", "Stair management", [0, 1, 2, 3], Mobility;
    TransferWheelchairCar, "transfer_wheelchair_car", "16", "Transfers, wheelchair–car",
        [0, 1, 2], Mobility;
    TransferGroundWheelchair, "transfer_ground_wheelchair", "17",
        "Transfers, ground–wheelchair", [0, 1], Mobility;
}

impl Scim3Item {
    /// The item with this JSON id.
    pub fn parse(id: &str) -> Option<Scim3Item> {
        Scim3Item::ALL.into_iter().find(|item| item.id() == id)
    }

    /// Position in [`Scim3Item::ALL`].
    fn index(self) -> usize {
        self as usize
    }

    /// The allowed scores in words, `"one of 0, 3, 6, 9, 11, 13, 15"`.
    fn allowed_words(self) -> String {
        let list: Vec<String> = self.allowed().iter().map(u8::to_string).collect();
        format!("one of {}", list.join(", "))
    }
}

/// The key of the computed SCIM III total in [`Scim3::to_json`].
pub const SCIM3_TOTAL_KEY: &str = "total";

/// The three subscale scores of a SCIM III assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Scim3Subscales {
    /// Self-care, 0–20.
    pub self_care: u8,
    /// Respiration and sphincter management, 0–40.
    pub respiration_sphincter: u8,
    /// Mobility, 0–40.
    pub mobility: u8,
}

impl Scim3Subscales {
    /// The score of one subscale.
    pub fn get(&self, subscale: Scim3Subscale) -> u8 {
        match subscale {
            Scim3Subscale::SelfCare => self.self_care,
            Scim3Subscale::RespirationSphincter => self.respiration_sphincter,
            Scim3Subscale::Mobility => self.mobility,
        }
    }

    /// The sum of the three, 0–100.
    pub fn total(&self) -> u8 {
        self.self_care + self.respiration_sphincter + self.mobility
    }
}

/// A complete SCIM III assessment: a score for each of the 19 items, each one of the item's
/// allowed scores ([`Scim3Item::allowed`]). Subscales and total are computed from the items,
/// never entered.
///
/// In JSON the items are keyed by [`Scim3Item::id`]; all 19 are required:
///
/// | Item | Id | Allowed | Subscale |
/// |---|---|---|---|
/// | 1 Feeding | `feeding` | 0–3 | self-care |
/// | 2A Bathing, upper body | `bathing_upper_body` | 0–3 | self-care |
/// | 2B Bathing, lower body | `bathing_lower_body` | 0–3 | self-care |
/// | 3A Dressing, upper body | `dressing_upper_body` | 0–4 | self-care |
/// | 3B Dressing, lower body | `dressing_lower_body` | 0–4 | self-care |
/// | 4 Grooming | `grooming` | 0–3 | self-care |
/// | 5 Respiration | `respiration` | 0, 2, 4, 6, 8, 10 | respiration, sphincter |
/// | 6 Sphincter management, bladder | `bladder` | 0, 3, 6, 9, 11, 13, 15 | resp., sphincter |
/// | 7 Sphincter management, bowel | `bowel` | 0, 5, 8, 10 | respiration, sphincter |
/// | 8 Use of toilet | `use_of_toilet` | 0, 1, 2, 4, 5 | respiration, sphincter |
/// | 9 Mobility in bed, pressure sores | `bed_mobility` | 0, 2, 4, 6 | mobility |
/// | 10 Transfers bed–wheelchair | `transfer_bed_wheelchair` | 0–2 | mobility |
/// | 11 Transfers wheelchair–toilet–tub | `transfer_wheelchair_toilet_tub` | 0–2 | mobility |
/// | 12 Mobility indoors | `mobility_indoors` | 0–8 | mobility |
/// | 13 Moderate distances (10–100 m) | `mobility_moderate_distances` | 0–8 | mobility |
/// | 14 Outdoors (over 100 m) | `mobility_outdoors` | 0–8 | mobility |
/// | 15 Stair management | `stair_management` | 0–3 | mobility |
/// | 16 Transfers wheelchair–car | `transfer_wheelchair_car` | 0–2 | mobility |
/// | 17 Transfers ground–wheelchair | `transfer_ground_wheelchair` | 0–1 | mobility |
///
/// ```
/// use trial::{Scim3, Scim3Item};
///
/// let mut items = serde_json::Map::new();
/// for item in Scim3Item::ALL {
///     items.insert(item.id().into(), (*item.allowed().last().unwrap()).into());
/// }
/// let scim = Scim3::from_json(&items).unwrap();
/// assert_eq!(scim.total(), 100);
/// assert_eq!(scim.to_json()["self_care_subscale"], 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scim3 {
    scores: [u8; 19],
}

impl Scim3 {
    /// An assessment from the 19 scores in the order of [`Scim3Item::ALL`]; every score not
    /// allowed for its item is an issue.
    pub fn from_scores(scores: [u8; 19]) -> Result<Scim3, Vec<FieldIssue>> {
        let issues: Vec<FieldIssue> = Scim3Item::ALL
            .into_iter()
            .zip(scores)
            .filter(|(item, score)| !item.allowed().contains(score))
            .map(|(item, score)| {
                FieldIssue::new(
                    item.id(),
                    format!("must be {}, found {score}", item.allowed_words()),
                )
            })
            .collect();
        if issues.is_empty() {
            Ok(Scim3 { scores })
        } else {
            Err(issues)
        }
    }

    /// Reads an assessment from a JSON object of item ids to scores (JSON numbers or numeric
    /// strings, read as for an `integer` field of [`validate_form`]; `null` or a blank string
    /// is no score). Every problem is reported, each naming the item's allowed scores: items
    /// missing, scores not allowed, keys that are not items, and subscales or a total entered
    /// (they are computed).
    pub fn from_json(values: &Map<String, Value>) -> Result<Scim3, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut scores = [0u8; 19];
        for item in Scim3Item::ALL {
            let value = match entered(values.get(item.id())) {
                Entered::Nothing => {
                    issues.push(FieldIssue::new(
                        item.id(),
                        format!("is required: {}", item.allowed_words()),
                    ));
                    continue;
                }
                Entered::Given(v) => v,
            };
            let score = read_integer(value)
                .ok()
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| item.allowed().contains(n));
            match score {
                Some(score) => scores[item.index()] = score,
                None => issues.push(FieldIssue::new(
                    item.id(),
                    format!("must be {}, found {}", item.allowed_words(), shown(value)),
                )),
            }
        }
        for key in values.keys() {
            if Scim3Item::parse(key).is_some() {
                continue;
            }
            let computed =
                key == SCIM3_TOTAL_KEY || Scim3Subscale::ALL.iter().any(|s| s.id() == key);
            let message = if computed {
                "is computed from the items and cannot be entered".to_owned()
            } else {
                let ids: Vec<&str> = Scim3Item::ALL.iter().map(|i| i.id()).collect();
                format!("unknown item; the SCIM III items are {}", ids.join(", "))
            };
            issues.push(FieldIssue::new(key, message));
        }
        if issues.is_empty() {
            Ok(Scim3 { scores })
        } else {
            Err(issues)
        }
    }

    /// The score of one item.
    pub fn score(&self, item: Scim3Item) -> u8 {
        self.scores[item.index()]
    }

    /// The three subscale scores, each the sum of its items.
    pub fn subscales(&self) -> Scim3Subscales {
        let sum = |subscale: Scim3Subscale| subscale.items().map(|i| self.score(i)).sum::<u8>();
        Scim3Subscales {
            self_care: sum(Scim3Subscale::SelfCare),
            respiration_sphincter: sum(Scim3Subscale::RespirationSphincter),
            mobility: sum(Scim3Subscale::Mobility),
        }
    }

    /// The total score, 0–100: the sum of the three subscales.
    pub fn total(&self) -> u8 {
        self.subscales().total()
    }

    /// The canonical JSON object: the 19 items, the three subscales (keyed by
    /// [`Scim3Subscale::id`]) and the total ([`SCIM3_TOTAL_KEY`]), keys in lexicographic
    /// order. [`Scim3::from_json`] rejects the computed keys, so to read an assessment back,
    /// pass it the items only.
    pub fn to_json(&self) -> Value {
        let subscales = self.subscales();
        let mut entries: Vec<(&'static str, u8)> = Scim3Item::ALL
            .into_iter()
            .map(|item| (item.id(), self.score(item)))
            .collect();
        entries.extend(Scim3Subscale::ALL.map(|s| (s.id(), subscales.get(s))));
        entries.push((SCIM3_TOTAL_KEY, subscales.total()));
        entries.sort_unstable();
        let map: Map<String, Value> = entries
            .into_iter()
            .map(|(key, score)| (key.to_owned(), Value::from(score)))
            .collect();
        Value::Object(map)
    }
}

impl Serialize for Scim3 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}
