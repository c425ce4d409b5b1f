//! `scitrial classify`: exams in, results out, one at a time, in constant memory.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use isncsci::flat::json::{self, Id, Next};
use isncsci::flat::{parse_key, ExamBuilder, Field, FieldError, Key, Problem};
use isncsci::{Classification, Exam};

use crate::progress::Progress;
use crate::{ClassifyArgs, Format};

/// The largest single exam object accepted, so that a malformed file cannot exhaust memory.
const MAX_OBJECT: usize = 64 << 20;

/// Runs the command and maps its outcome to the exit status.
pub fn run(args: &ClassifyArgs) -> ExitCode {
    match classify(args) {
        Ok(Outcome { rejected: 0, .. }) => ExitCode::SUCCESS,
        Ok(Outcome {
            rejected,
            classified,
        }) => {
            if args.keep_going {
                eprintln!("scitrial classify: {classified} exams classified, {rejected} rejected");
            }
            ExitCode::from(1)
        }
        Err(e) => {
            // A reader that stopped reading (`| head`) needs no message.
            let closed_pipe = e
                .chain()
                .filter_map(|c| c.downcast_ref::<io::Error>())
                .any(|io| io.kind() == io::ErrorKind::BrokenPipe);
            if !closed_pipe {
                eprintln!("scitrial classify: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

struct Outcome {
    classified: u64,
    rejected: u64,
}

/// Where an exam is in the input, to name it in messages.
struct Position<'a> {
    id: Option<&'a Id>,
    number: u64,
    line: Option<u64>,
}

impl std::fmt::Display for Position<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut place = format!("#{}", self.number);
        if let Some(line) = self.line {
            let _ = write!(place, ", line {line}");
        }
        match self.id {
            Some(id) => write!(f, "exam {id} ({place})"),
            None => write!(f, "exam {place}"),
        }
    }
}

fn classify(args: &ClassifyArgs) -> Result<Outcome> {
    let (input, name, size, guessed) = match args.file.as_deref() {
        None => (
            Box::new(io::stdin().lock()) as Box<dyn Read>,
            "standard input".to_string(),
            None,
            None,
        ),
        Some(p) if p.as_os_str() == "-" => (
            Box::new(io::stdin().lock()) as Box<dyn Read>,
            "standard input".to_string(),
            None,
            None,
        ),
        Some(path) => {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            let size = file.metadata().ok().map(|m| m.len());
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            let guessed = match ext.as_deref() {
                Some("csv") => Some(Format::Csv),
                Some("json" | "jsonl" | "ndjson") => Some(Format::Json),
                _ => None,
            };
            (
                Box::new(file) as Box<dyn Read>,
                path.display().to_string(),
                size,
                guessed,
            )
        }
    };
    let format = match (args.input, guessed, args.file.as_deref()) {
        (Some(f), _, _) => f,
        (None, Some(f), _) => f,
        (None, None, Some(p)) if p.as_os_str() != "-" => {
            bail!("cannot tell the format of {name} from its extension: give --input json or --input csv")
        }
        _ => Format::Json,
    };
    let stdout = io::stdout().lock();
    let mut run = Run {
        sink: Sink::new(args.output, BufWriter::with_capacity(1 << 16, stdout)),
        keep_going: args.keep_going,
        progress: Progress::new(size),
        outcome: Outcome {
            classified: 0,
            rejected: 0,
        },
        stopped: false,
    };
    let read = match format {
        Format::Json => read_json(input, &mut run),
        Format::Csv => read_csv(input, &mut run),
    };
    run.progress.finish();
    // Close the output so that what was written stays well-formed, even after an error.
    let closed = run.sink.finish();
    read.with_context(|| format!("reading {name}"))?;
    closed.context("writing the results")?;
    Ok(run.outcome)
}

struct Run<W: Write> {
    sink: Sink<W>,
    keep_going: bool,
    progress: Progress,
    outcome: Outcome,
    stopped: bool,
}

impl<W: Write> Run<W> {
    /// Classifies one exam, or reports it; returns false when the run is to stop.
    fn exam(
        &mut self,
        position: Position<'_>,
        exam: Result<Exam, FieldError>,
        bytes: u64,
    ) -> Result<bool> {
        match exam {
            Ok(exam) => {
                let result = exam.classify();
                self.sink.record(position.id, &result)?;
                self.outcome.classified += 1;
            }
            Err(e) => {
                eprintln!("scitrial classify: {position}: {e}");
                self.outcome.rejected += 1;
                if !self.keep_going {
                    self.stopped = true;
                    return Ok(false);
                }
            }
        }
        self.progress
            .update(self.outcome.classified + self.outcome.rejected, bytes);
        Ok(true)
    }
}

fn read_json<W: Write>(mut input: Box<dyn Read>, run: &mut Run<W>) -> Result<()> {
    let mut reader = json::Reader::new();
    let mut buf = vec![0u8; 1 << 20];
    let (mut start, mut end, mut discarded) = (0usize, 0usize, 0u64);
    let mut at_eof = false;
    let mut number = 0u64;
    loop {
        match reader.next(&buf[start..end], at_eof) {
            Ok(Next::Record(record, used)) => {
                start += used;
                number += 1;
                let position = Position {
                    id: record.id.as_ref(),
                    number,
                    line: None,
                };
                if !run.exam(position, record.exam, discarded + start as u64)? {
                    return Ok(());
                }
            }
            Ok(Next::End) => return Ok(()),
            Ok(Next::NeedMore(used)) => {
                start += used;
                buf.copy_within(start..end, 0);
                discarded += start as u64;
                end -= start;
                start = 0;
                if end == buf.len() {
                    if buf.len() >= MAX_OBJECT {
                        bail!(
                            "an exam object at byte {discarded} is larger than {} MB",
                            MAX_OBJECT >> 20
                        );
                    }
                    buf.resize(buf.len() * 2, 0);
                }
                let n = loop {
                    match input.read(&mut buf[end..]) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                at_eof = n == 0;
                end += n;
            }
            Err(e) => bail!(
                "not JSON exams: at byte {}: {e}",
                discarded + (start + e.offset) as u64
            ),
        }
    }
}

fn read_csv<W: Write>(input: Box<dyn Read>, run: &mut Run<W>) -> Result<()> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = csv
        .byte_headers()
        .context("reading the header row")?
        .clone();
    let mut columns = Vec::with_capacity(headers.len());
    let mut given = std::collections::HashSet::new();
    for name in headers.iter() {
        let name = String::from_utf8_lossy(name);
        let name = name.trim_start_matches('\u{feff}').trim();
        match parse_key(name) {
            Some(Key::Field(f)) if !given.insert(f) => {
                bail!(
                    "header row: {}",
                    FieldError {
                        field: name.into(),
                        problem: Problem::Repeated
                    }
                )
            }
            Some(key) => columns.push(key),
            None => bail!(
                "header row: {}",
                FieldError {
                    field: name.into(),
                    problem: Problem::Unknown
                }
            ),
        }
    }
    if let Some(missing) = Field::all().find(|f| f.is_required() && !given.contains(f)) {
        bail!(
            "header row: {}",
            FieldError {
                field: missing.name(),
                problem: Problem::Missing
            }
        );
    }
    let mut builder = ExamBuilder::new();
    let mut row = csv::ByteRecord::new();
    let mut number = 0u64;
    while csv
        .read_byte_record(&mut row)
        .context("reading a CSV row")?
    {
        number += 1;
        builder.clear();
        let mut id = None;
        let mut error = None;
        for (key, cell) in columns.iter().zip(row.iter()) {
            let text = String::from_utf8_lossy(cell);
            match key {
                Key::Field(field) => {
                    if let Err(e) = builder.set_field(*field, text.trim()) {
                        error.get_or_insert(e);
                    }
                }
                Key::Id => id = Some(Id::Text(text.into_owned())),
                Key::Annotation => {}
            }
        }
        let exam = match error {
            Some(e) => Err(e),
            None => builder.finish(),
        };
        let position = csv.position();
        let (line, bytes) = (position.line(), position.byte());
        if !run.exam(
            Position {
                id: id.as_ref(),
                number,
                line: Some(line),
            },
            exam,
            bytes,
        )? {
            return Ok(());
        }
    }
    Ok(())
}

/// Writes results as they come.
enum Sink<W: Write> {
    Json {
        out: W,
        count: u64,
        line: String,
    },
    Csv {
        out: Box<csv::Writer<W>>,
        with_id: Option<bool>,
    },
}

impl<W: Write> Sink<W> {
    fn new(format: Format, out: W) -> Sink<W> {
        match format {
            Format::Json => Sink::Json {
                out,
                count: 0,
                line: String::with_capacity(1024),
            },
            Format::Csv => Sink::Csv {
                out: Box::new(csv::Writer::from_writer(out)),
                with_id: None,
            },
        }
    }

    fn record(&mut self, id: Option<&Id>, result: &Classification) -> io::Result<()> {
        match self {
            Sink::Json { out, count, line } => {
                line.clear();
                line.push_str(if *count == 0 { "[\n{" } else { ",\n{" });
                if let Some(id) = id {
                    line.push_str("\"id\":");
                    line.push_str(&id.to_json());
                    line.push(',');
                }
                for (i, (key, value)) in
                    Classification::KEYS.iter().zip(result.values()).enumerate()
                {
                    if i > 0 {
                        line.push(',');
                    }
                    let _ = write!(line, "\"{key}\":\"{value}\"");
                }
                line.push('}');
                *count += 1;
                out.write_all(line.as_bytes())
            }
            Sink::Csv { out, with_id } => {
                let has_id = *with_id.get_or_insert_with(|| {
                    let _ = Self::csv_header(out, id.is_some());
                    id.is_some()
                });
                if has_id {
                    out.write_field(id.map(|i| i.to_string()).unwrap_or_default())?;
                }
                for value in result.values() {
                    out.write_field(value.to_string())?;
                }
                out.write_record(None::<&[u8]>)?;
                Ok(())
            }
        }
    }

    fn csv_header(out: &mut csv::Writer<W>, with_id: bool) -> csv::Result<()> {
        if with_id {
            out.write_field("id")?;
        }
        out.write_record(Classification::KEYS)
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Json { mut out, count, .. } => {
                out.write_all(if count == 0 { b"[]\n" } else { b"\n]\n" })?;
                out.flush()
            }
            Sink::Csv { mut out, with_id } => {
                if with_id.is_none() {
                    Self::csv_header(&mut out, false)?;
                }
                out.flush()
            }
        }
    }
}
