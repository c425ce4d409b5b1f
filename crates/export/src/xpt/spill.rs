//! A transport file made in parts, for a dataset too large to hold: its records arrive a part
//! at a time (each part a [`Dataset`] of the same variables, its text lengths fitted to its
//! own values), each part is checked as [`check`] checks a dataset and its records are kept
//! in a scratch file, each text at its own length; the transport file is written at the end,
//! once the longest value of every text variable — the length its NAMESTR gives before the
//! first observation — is known. The file is byte for byte the one [`super::write_dataset`]
//! writes of the whole dataset with each text variable as long as its longest value.
//!
//! In the scratch file a number is its 8 bytes as the transport file holds them and a text is
//! its length (4 bytes, little-endian) and its bytes.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use time::OffsetDateTime;

use super::XptError;
use super::{check, head, number_bytes, tail, text, Dataset, Kind, Problem, Value, Variable};

/// The scratch file's buffer, each way.
const BUFFER: usize = 64 * 1024;

/// A dataset being gathered part by part.
#[derive(Debug)]
pub struct Spill {
    name: String,
    label: String,
    variables: Vec<Variable>,
    records: usize,
    scratch: BufWriter<File>,
}

impl Spill {
    /// An empty dataset `name` with its label and variables (text lengths grow with the parts
    /// appended), its records kept in `scratch` (created, or emptied).
    pub fn create(
        scratch: &Path,
        name: &str,
        label: &str,
        variables: &[Variable],
    ) -> io::Result<Spill> {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(scratch)?;
        let variables = variables
            .iter()
            .map(|v| Variable {
                kind: match v.kind {
                    Kind::Text(_) => Kind::Text(1),
                    Kind::Number => Kind::Number,
                },
                ..v.clone()
            })
            .collect();
        Ok(Spill {
            name: name.into(),
            label: label.into(),
            variables,
            records: 0,
            scratch: BufWriter::with_capacity(BUFFER, file),
        })
    }

    /// The records so far.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The variables, each text as long as its longest value so far (at least 1 byte).
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// Checks `part` (the dataset's next records, with the same name, label and variables
    /// but for text lengths) and keeps its records. A problem names its record as counted in
    /// the whole dataset; nothing of a refused part is kept.
    pub fn append(&mut self, part: &Dataset) -> Result<(), XptError> {
        let before = self.records;
        check(part).map_err(|p| {
            XptError::Invalid(Problem {
                record: p.record.map(|r| before + r),
                ..p
            })
        })?;
        let same = part.name == self.name
            && part.label == self.label
            && part.variables.len() == self.variables.len()
            && part.variables.iter().zip(&self.variables).all(|(a, b)| {
                a.name == b.name
                    && a.label == b.label
                    && a.format == b.format
                    && matches!(
                        (a.kind, b.kind),
                        (Kind::Number, Kind::Number) | (Kind::Text(_), Kind::Text(_))
                    )
            });
        if !same {
            return Err(XptError::Invalid(Problem {
                dataset: part.name.clone(),
                variable: None,
                record: None,
                message: format!(
                    "a part of dataset {} with other variables than its first part's",
                    self.name
                ),
            }));
        }
        for (mine, theirs) in self.variables.iter_mut().zip(&part.variables) {
            if let (Kind::Text(n), Kind::Text(m)) = (&mut mine.kind, theirs.kind) {
                *n = (*n).max(m);
            }
        }
        for record in &part.records {
            for value in record {
                match value {
                    Value::Text(t) => {
                        self.scratch.write_all(&(t.len() as u32).to_le_bytes())?;
                        self.scratch.write_all(t.as_bytes())?;
                    }
                    number => self.scratch.write_all(&number_bytes(number))?,
                }
            }
        }
        self.records += part.records.len();
        Ok(())
    }

    /// Writes the transport file of every record appended, created (and last modified) at
    /// `created`, reading the records back from the scratch file.
    pub fn write<W: Write>(self, out: W, created: OffsetDateTime) -> Result<(), XptError> {
        let mut file = self.scratch.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut scratch = BufReader::with_capacity(BUFFER, file);
        let mut out = BufWriter::with_capacity(BUFFER, out);
        out.write_all(&head(&self.name, &self.label, &self.variables, created))?;
        let mut written = 0usize;
        let mut row = Vec::new();
        let mut value = Vec::new();
        for _ in 0..self.records {
            row.clear();
            for v in &self.variables {
                let mut bytes = [0u8; 8];
                match v.kind {
                    Kind::Number => {
                        scratch.read_exact(&mut bytes)?;
                        row.extend_from_slice(&bytes);
                    }
                    Kind::Text(width) => {
                        let mut length = [0u8; 4];
                        scratch.read_exact(&mut length)?;
                        value.resize(u32::from_le_bytes(length) as usize, 0);
                        scratch.read_exact(&mut value)?;
                        text(&mut row, &value, width);
                    }
                }
            }
            out.write_all(&row)?;
            written += row.len();
        }
        out.write_all(&tail(written))?;
        out.flush()?;
        Ok(())
    }
}
