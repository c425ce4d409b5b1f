//! Adverse event terms: the CTCAE v5.0 terms with their grades, read from the NCI's spreadsheet
//! exported as CSV, and MedDRA terms read from a licensee's ASCII distribution files. The
//! product ships neither; the caller reads the files and passes their text.
//!
//! Every reader is a pure function over the text that returns typed terms or the first error,
//! naming its line and column (both counted from 1). No input makes them panic.

use std::collections::HashMap;

use serde::Serialize;

/// The highest CTCAE grade (death related to the adverse event).
pub const MAX_GRADE: u8 = 5;

/// A term an adverse event is coded with: a CTCAE v5.0 term (its MedDRA lowest level term
/// code and system organ class) and the grades it defines, each with its definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Term {
    /// The MedDRA code (digits).
    pub code: String,
    /// The term, as shown and as adverse events record it (`Headache`).
    pub name: String,
    /// The MedDRA system organ class (`Nervous system disorders`).
    pub soc: String,
    /// The definition of grades 1 to 5 (index 0 is grade 1); `None` where the term does not
    /// define the grade.
    pub grades: [Option<String>; 5],
    /// The term's definition, when given.
    pub definition: Option<String>,
}

impl Term {
    /// Whether the term defines `grade`.
    pub fn defines(&self, grade: u8) -> bool {
        self.grade_definition(grade).is_some()
    }

    /// The definition of `grade`, when the term defines it.
    pub fn grade_definition(&self, grade: u8) -> Option<&str> {
        let index = usize::from(grade).checked_sub(1)?;
        self.grades.get(index)?.as_deref()
    }

    /// The grades the term defines, in order.
    pub fn defined_grades(&self) -> Vec<u8> {
        (1..=MAX_GRADE).filter(|g| self.defines(*g)).collect()
    }
}

/// The terms adverse events may be coded with, found by name (ignoring case) or code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TermTable {
    terms: Vec<Term>,
    by_name: HashMap<String, usize>,
}

impl TermTable {
    /// A table of `terms`; of terms with the same name (ignoring case), the first is kept.
    pub fn new(terms: Vec<Term>) -> TermTable {
        let mut table = TermTable::default();
        for term in terms {
            let key = term.name.to_lowercase();
            if !table.by_name.contains_key(&key) {
                table.by_name.insert(key, table.terms.len());
                table.terms.push(term);
            }
        }
        table
    }

    /// The term with this name, ignoring case and surrounding spaces.
    pub fn find(&self, name: &str) -> Option<&Term> {
        let index = *self.by_name.get(&name.trim().to_lowercase())?;
        self.terms.get(index)
    }

    /// The first term with this MedDRA code.
    pub fn by_code(&self, code: &str) -> Option<&Term> {
        self.terms.iter().find(|t| t.code == code.trim())
    }

    /// The terms whose name or system organ class contains `query` (ignoring case), in the
    /// table's order, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Term> {
        let query = query.trim().to_lowercase();
        self.terms
            .iter()
            .filter(|t| {
                t.name.to_lowercase().contains(&query) || t.soc.to_lowercase().contains(&query)
            })
            .take(limit)
            .collect()
    }

    /// Every term, in the order given.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }
}

pub use crate::csv::{read_csv, CsvError as TermFileError};

use crate::csv::error;

/// The columns of the CTCAE CSV export that are read (matched ignoring case and spaces around).
pub const CTCAE_COLUMNS: [&str; 8] = [
    "MedDRA Code",
    "MedDRA SOC",
    "CTCAE Term",
    "Grade 1",
    "Grade 2",
    "Grade 3",
    "Grade 4",
    "Grade 5",
];

/// Reads the CTCAE v5.0 spreadsheet exported as CSV: a header row naming at least
/// [`CTCAE_COLUMNS`] (in any order; an optional `Definition` column and any other columns are
/// allowed), then one term per row. A grade written as a dash (`-`, `–` or `—`) or left empty
/// is not defined for the term; every term must define at least one grade. Codes are digits;
/// a term's name appears once.
pub fn parse_ctcae_csv(text: &str) -> Result<Vec<Term>, TermFileError> {
    let records = read_csv(text)?;
    let Some((header_line, header)) = records.first() else {
        return Err(error(1, 1, "the file is empty (expected a header row)"));
    };
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let mut columns = [0usize; 8];
    for (slot, name) in columns.iter_mut().zip(CTCAE_COLUMNS) {
        *slot = find(name).ok_or_else(|| {
            error(
                *header_line,
                1,
                format!(
                    "the header has no column {name:?} (required: {})",
                    CTCAE_COLUMNS.join(", ")
                ),
            )
        })?;
    }
    let definition = find("Definition");
    let mut terms = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, row) in &records[1..] {
        let line = *line;
        let value = |column: usize| row.get(column).map_or("", |v| v.trim());
        let required = |column: usize, what: &str| {
            let v = value(column);
            if v.is_empty() {
                Err(error(line, column + 1, format!("{what} is empty")))
            } else {
                Ok(v.to_string())
            }
        };
        let code = required(columns[0], "the MedDRA code")?;
        if !code.bytes().all(|b| b.is_ascii_digit()) || code.len() > 12 {
            return Err(error(
                line,
                columns[0] + 1,
                format!("the MedDRA code {code:?} is not a number of up to 12 digits"),
            ));
        }
        let soc = required(columns[1], "the system organ class")?;
        let name = required(columns[2], "the CTCAE term")?;
        if let Some(first) = seen.get(&name.to_lowercase()) {
            return Err(error(
                line,
                columns[2] + 1,
                format!("the term {name:?} appears twice (first on line {first})"),
            ));
        }
        seen.insert(name.to_lowercase(), line);
        let mut grades: [Option<String>; 5] = Default::default();
        for (grade, column) in grades.iter_mut().zip(&columns[3..]) {
            let v = value(*column);
            if !(v.is_empty() || v == "-" || v == "–" || v == "—") {
                *grade = Some(v.to_string());
            }
        }
        if grades.iter().all(Option::is_none) {
            return Err(error(
                line,
                columns[3] + 1,
                format!("the term {name:?} defines no grade"),
            ));
        }
        let definition = definition
            .map(value)
            .filter(|v| !v.is_empty() && *v != "-")
            .map(String::from);
        terms.push(Term {
            code,
            name,
            soc,
            grades,
            definition,
        });
    }
    Ok(terms)
}

/// A MedDRA system organ class (`soc.asc`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeddraSoc {
    /// The SOC code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its abbreviation.
    pub abbreviation: String,
}

/// A MedDRA preferred term (`pt.asc`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeddraPt {
    /// The PT code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The code of its primary system organ class.
    pub soc_code: String,
}

/// A MedDRA lowest level term (`llt.asc`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeddraLlt {
    /// The LLT code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The preferred term it belongs to.
    pub pt_code: String,
    /// Whether it is current (`Y`); non-current terms are kept for old data only.
    pub current: bool,
}

/// One path of the MedDRA hierarchy (`mdhier.asc`): a preferred term up to a system organ
/// class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeddraPath {
    /// The PT code.
    pub pt_code: String,
    /// The high level term code.
    pub hlt_code: String,
    /// The high level group term code.
    pub hlgt_code: String,
    /// The SOC code.
    pub soc_code: String,
    /// The PT name.
    pub pt_name: String,
    /// The HLT name.
    pub hlt_name: String,
    /// The HLGT name.
    pub hlgt_name: String,
    /// The SOC name.
    pub soc_name: String,
    /// Whether this SOC is the PT's primary SOC (`Y`).
    pub primary: bool,
}

/// The `$`-separated records of a MedDRA ASCII file, each with at least `fields` fields (a
/// trailing `$` ends each record), blank lines skipped; the fields listed in `codes` must be
/// MedDRA codes (1 to 12 digits) and those in `names` not empty.
fn meddra_records<'a>(
    text: &'a str,
    fields: usize,
    codes: &[usize],
    names: &[usize],
) -> Result<Vec<(usize, Vec<&'a str>)>, TermFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let values: Vec<&str> = raw.split('$').collect();
        // "a$b$" splits into ["a", "b", ""]: the trailing `$` adds an empty last value.
        if values.len() < fields {
            return Err(error(
                line,
                values.len(),
                format!(
                    "{} `$`-separated fields, expected at least {fields}",
                    values.len()
                ),
            ));
        }
        for &c in codes {
            let v = values[c].trim();
            if v.is_empty() || v.len() > 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error(
                    line,
                    c + 1,
                    format!("{v:?} is not a MedDRA code (1 to 12 digits)"),
                ));
            }
        }
        for &c in names {
            if values[c].trim().is_empty() {
                return Err(error(line, c + 1, "the name is empty"));
            }
        }
        out.push((line, values));
    }
    Ok(out)
}

fn owned(values: &[&str], i: usize) -> String {
    values
        .get(i)
        .map_or_else(String::new, |v| v.trim().to_string())
}

fn yes(values: &[&str], i: usize) -> bool {
    values.get(i).is_some_and(|v| v.trim() == "Y")
}

/// Reads `soc.asc`: `soc_code$soc_name$soc_abbrev$…`.
pub fn parse_meddra_soc(text: &str) -> Result<Vec<MeddraSoc>, TermFileError> {
    Ok(meddra_records(text, 3, &[0], &[1])?
        .into_iter()
        .map(|(_, v)| MeddraSoc {
            code: owned(&v, 0),
            name: owned(&v, 1),
            abbreviation: owned(&v, 2),
        })
        .collect())
}

/// Reads `pt.asc`: `pt_code$pt_name$null_field$pt_soc_code$…`.
pub fn parse_meddra_pt(text: &str) -> Result<Vec<MeddraPt>, TermFileError> {
    Ok(meddra_records(text, 4, &[0, 3], &[1])?
        .into_iter()
        .map(|(_, v)| MeddraPt {
            code: owned(&v, 0),
            name: owned(&v, 1),
            soc_code: owned(&v, 3),
        })
        .collect())
}

/// Reads `llt.asc`: `llt_code$llt_name$pt_code$` then six other codes, `llt_currency$…`.
pub fn parse_meddra_llt(text: &str) -> Result<Vec<MeddraLlt>, TermFileError> {
    Ok(meddra_records(text, 10, &[0, 2], &[1])?
        .into_iter()
        .map(|(_, v)| MeddraLlt {
            code: owned(&v, 0),
            name: owned(&v, 1),
            pt_code: owned(&v, 2),
            current: yes(&v, 9),
        })
        .collect())
}

/// Reads `mdhier.asc`: `pt_code$hlt_code$hlgt_code$soc_code$pt_name$hlt_name$hlgt_name$
/// soc_name$soc_abbrev$null_field$pt_soc_code$primary_soc_fg$`.
pub fn parse_meddra_hierarchy(text: &str) -> Result<Vec<MeddraPath>, TermFileError> {
    Ok(meddra_records(text, 12, &[0, 1, 2, 3], &[4, 5, 6, 7])?
        .into_iter()
        .map(|(_, v)| MeddraPath {
            pt_code: owned(&v, 0),
            hlt_code: owned(&v, 1),
            hlgt_code: owned(&v, 2),
            soc_code: owned(&v, 3),
            pt_name: owned(&v, 4),
            hlt_name: owned(&v, 5),
            hlgt_name: owned(&v, 6),
            soc_name: owned(&v, 7),
            primary: yes(&v, 11),
        })
        .collect())
}

/// Terms from MedDRA's hierarchy: each preferred term under its primary system organ class,
/// in the file's order. MedDRA defines no grades, so every grade 1 to 5 is allowed, defined as
/// "CTCAE grade n" for the investigator to apply the CTCAE's general grading scale.
pub fn meddra_terms(paths: &[MeddraPath]) -> Vec<Term> {
    paths
        .iter()
        .filter(|p| p.primary)
        .map(|p| Term {
            code: p.pt_code.clone(),
            name: p.pt_name.clone(),
            soc: p.soc_name.clone(),
            grades: [1, 2, 3, 4, 5].map(|g| Some(format!("CTCAE grade {g}"))),
            definition: None,
        })
        .collect()
}

/// The text of a licensee's MedDRA ASCII distribution files, as `scitrial terms load
/// --meddra DIR` reads them from the release's `MedAscii` folder.
#[derive(Clone, Copy, Debug)]
pub struct MeddraFiles<'a> {
    /// `soc.asc`: the system organ classes.
    pub soc: &'a str,
    /// `pt.asc`: the preferred terms.
    pub pt: &'a str,
    /// `llt.asc`: the lowest level terms.
    pub llt: &'a str,
    /// `mdhier.asc`: the hierarchy, each preferred term up to its system organ classes.
    pub mdhier: &'a str,
}

/// Why a MedDRA distribution could not be read: the file, and where in it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {error}")]
pub struct MeddraError {
    /// The file (`llt.asc`, …).
    pub file: &'static str,
    /// Where and what.
    pub error: TermFileError,
}

/// The terms of a MedDRA distribution: every preferred term under its primary system organ
/// class (from `mdhier.asc`'s primary flag, or `pt.asc`'s primary SOC code when the hierarchy
/// gives none), then every current lowest level term whose name differs from a term already
/// listed, coded with its own code, under its preferred term's primary class, so that a site
/// finds the event by the words it uses. Non-current LLTs (kept by MedDRA for old data) are
/// left out. A preferred term whose class is in no file, or an LLT whose preferred term is not
/// in `pt.asc`, is an error naming the file, line and field. As for [`meddra_terms`], every
/// grade 1 to 5 is allowed.
pub fn meddra_distribution(files: MeddraFiles<'_>) -> Result<Vec<Term>, MeddraError> {
    fn at<T>(file: &'static str, r: Result<T, TermFileError>) -> Result<T, MeddraError> {
        r.map_err(|error| MeddraError { file, error })
    }
    let socs = at("soc.asc", parse_meddra_soc(files.soc))?;
    let pts = at("pt.asc", meddra_records(files.pt, 4, &[0, 3], &[1]))?;
    let llts = at("llt.asc", meddra_records(files.llt, 10, &[0, 2], &[1]))?;
    let paths = at("mdhier.asc", parse_meddra_hierarchy(files.mdhier))?;
    let soc_name = |code: &str| socs.iter().find(|s| s.code == code).map(|s| s.name.clone());
    let mut terms: Vec<Term> = Vec::new();
    let mut keys = std::collections::HashSet::new();
    let mut pt_soc = std::collections::HashMap::new();
    let grades = || [1, 2, 3, 4, 5].map(|g| Some(format!("CTCAE grade {g}")));
    for (line, values) in &pts {
        let (code, name, soc_code) = (owned(values, 0), owned(values, 1), owned(values, 3));
        let soc = match paths.iter().find(|p| p.pt_code == code && p.primary) {
            Some(path) => path.soc_name.clone(),
            None => soc_name(&soc_code).ok_or_else(|| MeddraError {
                file: "pt.asc",
                error: error(
                    *line,
                    4,
                    format!("the system organ class {soc_code} of {name:?} is not in soc.asc"),
                ),
            })?,
        };
        pt_soc.insert(code.clone(), soc.clone());
        if keys.insert(name.to_lowercase()) {
            terms.push(Term {
                code,
                name,
                soc,
                grades: grades(),
                definition: None,
            });
        }
    }
    for (line, values) in &llts {
        if !yes(values, 9) {
            continue;
        }
        let (code, name, pt_code) = (owned(values, 0), owned(values, 1), owned(values, 2));
        let soc = pt_soc.get(&pt_code).cloned().ok_or_else(|| MeddraError {
            file: "llt.asc",
            error: error(
                *line,
                3,
                format!("the preferred term {pt_code} of {name:?} is not in pt.asc"),
            ),
        })?;
        if keys.insert(name.to_lowercase()) {
            terms.push(Term {
                code,
                name,
                soc,
                grades: grades(),
                definition: None,
            });
        }
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTCAE: &str = "\u{feff}MedDRA Code,MedDRA SOC,CTCAE Term,Grade 1,Grade 2,Grade 3,Grade 4,Grade 5,Definition,Navigational Note\r\n\
10019211,Nervous system disorders,Headache,Mild pain,Moderate pain; limiting instrumental ADL,Severe pain; limiting self care ADL,-,-,A disorder characterized by pain in the head.,\r\n\
10016558,General disorders and administration site conditions,Fever,\"38.0 - 39.0 degrees C (100.4 - 102.2 degrees F)\",\">39.0 - 40.0 degrees C\",\">40.0 degrees C for <=24 hrs\",\">40.0 degrees C for >24 hrs\",Death,\"A disorder characterized by \"\"fever\"\"\nover two lines.\",\r\n";

    #[test]
    fn reads_the_ctcae_export() {
        let terms = parse_ctcae_csv(CTCAE).unwrap();
        assert_eq!(terms.len(), 2);
        let headache = &terms[0];
        assert_eq!(
            (headache.code.as_str(), headache.soc.as_str()),
            ("10019211", "Nervous system disorders")
        );
        assert_eq!(headache.defined_grades(), vec![1, 2, 3]);
        assert_eq!(headache.grade_definition(1), Some("Mild pain"));
        assert_eq!(headache.grade_definition(4), None);
        assert_eq!(headache.grade_definition(0), None);
        assert_eq!(headache.grade_definition(9), None);
        let fever = &terms[1];
        assert_eq!(fever.defined_grades(), vec![1, 2, 3, 4, 5]);
        assert_eq!(
            fever.definition.as_deref(),
            Some("A disorder characterized by \"fever\"\nover two lines.")
        );
        let table = TermTable::new(terms);
        assert_eq!(table.find(" headache ").unwrap().code, "10019211");
        assert_eq!(table.by_code("10016558").unwrap().name, "Fever");
        assert_eq!(table.search("NERVOUS", 10).len(), 1);
        assert_eq!(table.search("e", 1).len(), 1);
    }

    #[test]
    fn ctcae_errors_name_line_and_column() {
        let header = "CTCAE Term,MedDRA Code,MedDRA SOC,Grade 1,Grade 2,Grade 3,Grade 4,Grade 5\n";
        let cases = [
            (
                "",
                "line 1, column 1: the file is empty (expected a header row)",
            ),
            (
                "MedDRA Code,CTCAE Term\n",
                "line 1, column 1: the header has no column \"MedDRA SOC\"",
            ),
            (
                "x,1,S,-,-,-,-,-\n",
                "line 2, column 4: the term \"x\" defines no grade",
            ),
            (
                "x,12a,S,a\n",
                "line 2, column 2: the MedDRA code \"12a\" is not",
            ),
            (
                "x,1,,a\n",
                "line 2, column 3: the system organ class is empty",
            ),
            (
                "x,1,S,a\ny,2,S,b\nX,3,S,c\n",
                "line 4, column 1: the term \"X\" appears twice (first on line 2)",
            ),
            (
                "x,1,S,\"a\n",
                "line 2, column 4: a quoted value is not closed",
            ),
            (
                "x,1,S,a\"b\n",
                "line 2, column 4: a quote inside an unquoted value",
            ),
            (
                "x,1,S,\"a\"b\n",
                "line 2, column 4: text after the closing quote",
            ),
        ];
        for (body, expected) in cases {
            let text = if body.is_empty() {
                String::new()
            } else {
                format!("{header}{body}")
            };
            let text = if body.starts_with("MedDRA") {
                body.to_string()
            } else {
                text
            };
            let got = parse_ctcae_csv(&text).unwrap_err().to_string();
            assert!(
                got.starts_with(expected),
                "{got:?} does not start with {expected:?}"
            );
        }
    }

    #[test]
    fn reads_meddra_ascii_files() {
        let soc = "10029205$Nervous system disorders$Nerv$\n";
        assert_eq!(
            parse_meddra_soc(soc).unwrap()[0].abbreviation,
            "Nerv".to_string()
        );
        let pt = "10019211$Headache$$10029205$$$$$$$$\r\n\n";
        assert_eq!(parse_meddra_pt(pt).unwrap()[0].soc_code, "10029205");
        let llt = "10019198$Head pain$10019211$$$$$$$Y$$\n10000001$Old term$10019211$$$$$$$N$$\n";
        let llts = parse_meddra_llt(llt).unwrap();
        assert_eq!(
            (llts[0].pt_code.as_str(), llts[0].current, llts[1].current),
            ("10019211", true, false)
        );
        let hier = "10019211$10019233$10019231$10029205$Headache$Headaches NEC$Headaches$Nervous system disorders$Nerv$$10029205$Y$\n\
10019211$10019233$10019231$10000002$Headache$Headaches NEC$Headaches$Other class$Oth$$10029205$N$\n";
        let paths = parse_meddra_hierarchy(hier).unwrap();
        assert_eq!(paths.len(), 2);
        let terms = meddra_terms(&paths);
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].soc, "Nervous system disorders");
        assert_eq!(terms[0].defined_grades(), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_meddra_distribution_gives_its_preferred_and_current_lowest_level_terms() {
        let files = MeddraFiles {
            soc: "10029205$Nervous system disorders$Nerv$\n10018065$General disorders$Genrl$\n",
            pt: "10019211$Headache$$10029205$$$$$$$$\n10016558$Pyrexia$$10018065$$$$$$$$\n",
            llt: "10019211$Headache$10019211$$$$$$$Y$$\n10019198$Head pain$10019211$$$$$$$Y$$\n\
10016558$Pyrexia$10016558$$$$$$$Y$$\n10005911$Fever$10016558$$$$$$$Y$$\n10000001$Old fever$10016558$$$$$$$N$$\n",
            mdhier: "10019211$10019233$10019231$10029205$Headache$Headaches NEC$Headaches$Nervous system disorders$Nerv$$10029205$Y$\n",
        };
        let terms = meddra_distribution(files).unwrap();
        let got: Vec<(&str, &str, &str)> = terms
            .iter()
            .map(|t| (t.code.as_str(), t.name.as_str(), t.soc.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("10019211", "Headache", "Nervous system disorders"),
                // Not in the hierarchy: pt.asc's primary class, named by soc.asc.
                ("10016558", "Pyrexia", "General disorders"),
                ("10019198", "Head pain", "Nervous system disorders"),
                ("10005911", "Fever", "General disorders"),
            ]
        );
        // An LLT whose PT is not in pt.asc, a PT whose class is nowhere: named with the file.
        let orphan = MeddraFiles {
            llt: "10019198$Head pain$10099999$$$$$$$Y$$\n",
            ..files
        };
        assert_eq!(
            meddra_distribution(orphan).unwrap_err().to_string(),
            "llt.asc: line 1, column 3: the preferred term 10099999 of \"Head pain\" is not in pt.asc"
        );
        let classless = MeddraFiles {
            pt: "10016558$Pyrexia$$10077777$$$$$$$$\n",
            llt: "",
            ..files
        };
        assert_eq!(meddra_distribution(classless).unwrap_err().file, "pt.asc");
        let broken = MeddraFiles {
            soc: "x$y$z$\n",
            ..files
        };
        assert!(meddra_distribution(broken)
            .unwrap_err()
            .to_string()
            .starts_with("soc.asc: line 1, column 1"));
    }

    #[test]
    fn meddra_errors_name_line_and_field() {
        assert_eq!(
            parse_meddra_pt("\n10019211$Headache$\n")
                .unwrap_err()
                .to_string(),
            "line 2, column 3: 3 `$`-separated fields, expected at least 4"
        );
        assert_eq!(
            parse_meddra_pt("1001921x$Headache$$10029205$\n")
                .unwrap_err()
                .to_string(),
            "line 1, column 1: \"1001921x\" is not a MedDRA code (1 to 12 digits)"
        );
        assert_eq!(
            parse_meddra_soc("10029205$ $Nerv$\n")
                .unwrap_err()
                .to_string(),
            "line 1, column 2: the name is empty"
        );
    }
}
