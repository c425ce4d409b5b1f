//! The datasets as tables of named, labelled columns, for the writers (CSV, SAS transport).

use time::Date;

use super::{Datasets, Param};

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// Numbers (missing allowed).
    Number,
    /// Dates (missing allowed).
    Date,
}

/// A column: its name (at most 8 capitals, digits or `_`), label (at most 40 ASCII
/// characters) and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The variable's name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// What it holds.
    pub kind: Kind,
}

/// One value of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text (empty when missing).
    Text(String),
    /// A number, or missing.
    Number(Option<f64>),
    /// A date, or missing.
    Date(Option<Date>),
}

impl Cell {
    /// As written in CSV: text as is, numbers in their shortest exact form, dates ISO 8601,
    /// missing values empty.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => n.map(|v| format!("{v}")).unwrap_or_default(),
            Cell::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// A dataset as a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Its name (`ADSL`, `ADISN`).
    pub name: String,
    /// Its label.
    pub label: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The records, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The index of the column of that name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

fn col(name: &str, label: &str, kind: Kind) -> Column {
    Column {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
    }
}

fn text(t: impl Into<String>) -> Cell {
    Cell::Text(t.into())
}

fn yes_no(flag: bool) -> Cell {
    text(if flag { "Y" } else { "N" })
}

fn yes_blank(flag: bool) -> Cell {
    text(if flag { "Y" } else { "" })
}

fn int(v: Option<i64>) -> Cell {
    Cell::Number(v.map(|v| v as f64))
}

impl Datasets {
    fn strata_columns(&self) -> Vec<Column> {
        self.strata
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let label = format!("Stratum {} at Randomisation: {f}", i + 1);
                col(&format!("STRAT{}R", i + 1), &label, Kind::Text)
            })
            .collect()
    }

    /// A participant's stratification, one cell per factor.
    fn strata_cells<'a>(&'a self, s: &'a super::AdslRow) -> impl Iterator<Item = Cell> + 'a {
        (0..self.strata.len()).map(|i| text(s.strata.get(i).map_or("", String::as_str)))
    }

    /// `ADSL` as a table.
    pub fn adsl_table(&self) -> Table {
        use Kind::{Date as D, Number as N, Text as T};
        let mut columns = vec![
            col("STUDYID", "Study Identifier", T),
            col("USUBJID", "Unique Subject Identifier", T),
            col("SUBJID", "Subject Identifier for the Study", T),
            col("SITEID", "Study Site Identifier", T),
            col("AGE", "Age at Screening", N),
            col("AGEU", "Age Units", T),
            col("SEX", "Sex", T),
            col("TRT01P", "Planned Treatment for Period 01", T),
            col("TRT01A", "Actual Treatment for Period 01", T),
            col("ITTFL", "Intent-To-Treat Population Flag", T),
            col("ITTRSN", "Reason Not in ITT Population", T),
            col("SAFFL", "Safety Population Flag", T),
            col("SAFRSN", "Reason Not in Safety Population", T),
            col("PPROTFL", "Per-Protocol Population Flag", T),
            col("PPROTRSN", "Reasons Not in Per-Protocol Population", T),
        ];
        columns.extend(self.strata_columns());
        columns.extend([
            col("ENRLDT", "Date of Enrollment", D),
            col("RANDDT", "Date of Randomization", D),
            col("TRTSDT", "Date of First Exposure to Treatment", D),
            col("INJDT", "Date of Injury", D),
            col("DAYSINJ", "Days from Injury to Screening", N),
            col("EOSSTT", "End of Study Status", T),
            col("EOSDT", "End of Study Date", D),
            col("DCSREAS", "Reason for Discontinuation from Study", T),
            col("AISBL", "Baseline AIS Grade", T),
            col("NLIBL", "Baseline Neurological Level of Injury", T),
            col("TMSBL", "Baseline Total Motor Score", N),
            col("UEMSBL", "Baseline Upper Extremity Motor Score", N),
            col("LEMSBL", "Baseline Lower Extremity Motor Score", N),
            col("LTSBL", "Baseline Light Touch Total", N),
            col("PPSBL", "Baseline Pin Prick Total", N),
            col("SCIMBL", "Baseline SCIM III Total", N),
            col("WISCIBL", "Baseline WISCI II Level", N),
            col("WLKSCBL", "Baseline van Middendorp Walking Score", N),
            col("WLKPRBL", "Baseline Prob. Indep. Walking at 1 Year", N),
            col("WLKRSN", "Reason Walking Prognosis Not Computed", T),
        ]);
        let rows = self
            .adsl
            .iter()
            .map(|s| {
                let base = |p: Param| Cell::Number(s.baselines.get(&p).and_then(|b| b.value));
                let base_text =
                    |p: Param| text(s.baselines.get(&p).map_or("", |b| b.text.as_str()));
                let walking = s.walking.as_ref().and_then(|w| w.as_ref().ok());
                let mut row = vec![
                    text(&s.studyid),
                    text(&s.usubjid),
                    text(&s.subjid),
                    text(&s.siteid),
                    int(s.age),
                    text(if s.age.is_some() { "YEARS" } else { "" }),
                    text(s.sex),
                    text(&s.trt01p),
                    text(&s.trt01a),
                    yes_no(s.ittfl),
                    text(&s.ittrsn),
                    yes_no(s.saffl),
                    text(&s.safrsn),
                    yes_no(s.pprotfl),
                    text(&s.pprotrsn),
                ];
                row.extend(self.strata_cells(s));
                row.extend([
                    Cell::Date(Some(s.enrldt)),
                    Cell::Date(s.randdt),
                    Cell::Date(s.trtsdt),
                    Cell::Date(Some(s.injdt)),
                    int(Some(s.daysinj)),
                    text(s.eosstt),
                    Cell::Date(s.eosdt),
                    text(&s.dcsreas),
                    base_text(Param::Ais),
                    base_text(Param::Nli),
                    base(Param::Tms),
                    base(Param::Uems),
                    base(Param::Lems),
                    base(Param::Lts),
                    base(Param::Pps),
                    base(Param::Scim),
                    base(Param::Wisci),
                    Cell::Number(walking.map(|w| f64::from(w.score))),
                    Cell::Number(walking.map(|w| w.probability)),
                    text(match &s.walking {
                        None => "no baseline ISNCSCI exam".to_owned(),
                        Some(Ok(_)) => String::new(),
                        Some(Err(gap)) => format!("{} not testable", gap.0),
                    }),
                ]);
                row
            })
            .collect();
        Table {
            name: "ADSL".into(),
            label: "Subject-Level Analysis Dataset".into(),
            columns,
            rows,
        }
    }

    /// `ADISN` as a table.
    pub fn adisn_table(&self) -> Table {
        use Kind::{Date as D, Number as N, Text as T};
        let mut columns = vec![
            col("STUDYID", "Study Identifier", T),
            col("USUBJID", "Unique Subject Identifier", T),
            col("SITEID", "Study Site Identifier", T),
            col("TRT01P", "Planned Treatment for Period 01", T),
            col("TRT01A", "Actual Treatment for Period 01", T),
            col("ITTFL", "Intent-To-Treat Population Flag", T),
            col("SAFFL", "Safety Population Flag", T),
            col("PPROTFL", "Per-Protocol Population Flag", T),
        ];
        columns.extend(self.strata_columns());
        columns.extend([
            col("PARAMCD", "Parameter Code", T),
            col("PARAM", "Parameter", T),
            col("PARAMN", "Parameter (N)", N),
            col("AVISIT", "Analysis Visit", T),
            col("AVISITN", "Analysis Visit (N): Planned Study Day", N),
            col("ADT", "Analysis Date", D),
            col("ADY", "Analysis Relative Day", N),
            col("AVAL", "Analysis Value", N),
            col("AVALC", "Analysis Value (C)", T),
            col("AVALRSN", "Reason Analysis Value is Missing", T),
            col("BASE", "Baseline Value", N),
            col("BASEC", "Baseline Value (C)", T),
            col("CHG", "Change from Baseline", N),
            col("ABLFL", "Baseline Record Flag", T),
            col("WINFL", "Visit Inside its Window Flag", T),
            col("ANL01FL", "Analysis Flag 01: Primary/Secondary", T),
        ]);
        let rows = self
            .adisn
            .iter()
            .filter_map(|r| {
                let s = self.adsl.get(r.subject)?;
                let mut row = vec![
                    text(&s.studyid),
                    text(&r.usubjid),
                    text(&s.siteid),
                    text(&s.trt01p),
                    text(&s.trt01a),
                    yes_no(s.ittfl),
                    yes_no(s.saffl),
                    yes_no(s.pprotfl),
                ];
                row.extend(self.strata_cells(s));
                row.extend([
                    text(r.param.code()),
                    text(r.param.label()),
                    int(Some(i64::from(r.param.number()))),
                    text(&r.avisit),
                    int(Some(i64::from(r.avisitn))),
                    Cell::Date(r.adt),
                    int(r.ady),
                    Cell::Number(r.aval),
                    text(&r.avalc),
                    text(&r.avalrsn),
                    Cell::Number(r.base),
                    text(&r.basec),
                    Cell::Number(r.chg),
                    yes_blank(r.ablfl),
                    text(match r.winfl {
                        Some(true) => "Y",
                        Some(false) => "N",
                        None => "",
                    }),
                    yes_blank(r.anl01fl),
                ]);
                Some(row)
            })
            .collect();
        Table {
            name: "ADISN".into(),
            label: "ISNCSCI and Outcome Measures Analysis".into(),
            columns,
            rows,
        }
    }
}
