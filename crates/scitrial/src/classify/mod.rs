//! `scitrial classify`: exams in, results out, in input order and in constant memory.
//!
//! JSON input is read on every core ([`json_input`]); CSV input is read row by row.

mod json_input;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use isncsci::flat::json::{self, Id};
use isncsci::flat::{parse_key, ExamBuilder, Field, FieldError, Key, Problem};
use isncsci::Classification;

use crate::progress::Progress;
use crate::{ClassifyArgs, Format, GenerateArgs};

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

#[derive(Default)]
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
    let stdin = || {
        (
            Box::new(io::stdin()) as Box<dyn Read + Send>,
            "standard input".to_string(),
            None,
            None,
        )
    };
    let (input, name, size, guessed) = match args.file.as_deref() {
        None => stdin(),
        Some(p) if p.as_os_str() == "-" => stdin(),
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
                Box::new(file) as Box<dyn Read + Send>,
                path.display().to_string(),
                size,
                guessed,
            )
        }
    };
    let format = match (args.input.or(guessed), args.file.as_deref()) {
        (Some(f), _) => f,
        (None, Some(p)) if p.as_os_str() != "-" => {
            bail!("cannot tell the format of {name} from its extension: give --input json or --input csv")
        }
        _ => Format::Json,
    };
    let mut run = Run {
        out: Output::new(
            args.output,
            BufWriter::with_capacity(1 << 16, io::stdout().lock()),
        ),
        keep_going: args.keep_going,
        progress: Progress::new(size),
        outcome: Outcome::default(),
    };
    let read = match format {
        Format::Json => json_input::read(input, &mut run, json_input::SIZES, workers()),
        Format::Csv => read_csv(input, &mut run),
    };
    run.progress.finish();
    // Close the output so that what was written stays well-formed, even after an error.
    let closed = run.out.finish();
    read.with_context(|| format!("reading {name}"))?;
    closed.context("writing the results")?;
    Ok(run.outcome)
}

/// How many threads classify: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(16))
}

/// Results formatted for the output, with the exams that were rejected among them.
#[derive(Default)]
struct Done {
    /// Formatted results, each preceded by its separator.
    text: String,
    classified: u64,
    /// Rejected exams: how many exams of this batch came before each, its id and what is wrong.
    rejected: Vec<(u64, Option<Id>, Option<u64>, FieldError)>,
}

impl Done {
    fn exams(&self) -> u64 {
        self.classified + self.rejected.len() as u64
    }
}

struct Run<W: Write> {
    out: Output<W>,
    keep_going: bool,
    progress: Progress,
    outcome: Outcome,
}

impl<W: Write> Run<W> {
    /// Writes a batch of results and reports its rejected exams.
    fn emit(&mut self, done: Done, bytes: u64) -> io::Result<()> {
        let before = self.outcome.classified + self.outcome.rejected;
        for (index, id, line, error) in &done.rejected {
            let position = Position {
                id: id.as_ref(),
                number: before + index + 1,
                line: *line,
            };
            eprintln!("scitrial classify: {position}: {error}");
        }
        self.out.write(done.text.as_bytes(), done.classified)?;
        self.outcome.classified += done.classified;
        self.outcome.rejected += done.rejected.len() as u64;
        self.progress
            .update(self.outcome.classified + self.outcome.rejected, bytes);
        Ok(())
    }
}

/// What a part needs to know to read, classify and format exams.
#[derive(Clone, Copy)]
struct Rules {
    keep_going: bool,
    in_array: bool,
    format: Format,
    with_id: bool,
}

fn read_csv<W: Write>(input: Box<dyn Read + Send>, run: &mut Run<W>) -> Result<()> {
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
    let with_id = columns.contains(&Key::Id);
    run.out.with_id = with_id;
    let rules = Rules {
        keep_going: run.keep_going,
        in_array: false,
        format: run.out.format,
        with_id,
    };
    let mut builder = ExamBuilder::new();
    let mut row = csv::ByteRecord::new();
    while csv
        .read_byte_record(&mut row)
        .context("reading a CSV row")?
    {
        builder.clear();
        let mut id = None;
        let mut error = None;
        for (key, cell) in columns.iter().zip(row.iter()) {
            match key {
                Key::Field(field) => {
                    if let Err(e) = builder.set_field_bytes(*field, cell.trim_ascii()) {
                        error.get_or_insert(e);
                    }
                }
                Key::Id if cell.trim_ascii().is_empty() => {}
                Key::Id => id = Some(Id::Text(String::from_utf8_lossy(cell).into_owned())),
                Key::Annotation => {}
            }
        }
        // Where this row starts (the reader's own position is already past it).
        let position = row.position().unwrap_or(csv.position()).clone();
        let mut done = Done::default();
        match error.map_or_else(|| builder.finish(), Err) {
            Ok(exam) => {
                format_result(&mut done.text, rules, id.as_ref(), &exam.classify());
                done.classified = 1;
            }
            Err(e) => done.rejected.push((0, id, Some(position.line()), e)),
        }
        let rejected = !done.rejected.is_empty();
        run.emit(done, position.byte())?;
        if rejected && !run.keep_going {
            return Ok(());
        }
    }
    Ok(())
}

/// `,"rightUpperMotorTotal":"` and so on: what comes before each result in JSON output.
fn json_prefixes() -> &'static [String; 25] {
    static PREFIXES: std::sync::OnceLock<[String; 25]> = std::sync::OnceLock::new();
    PREFIXES.get_or_init(|| std::array::from_fn(|i| format!(",\"{}\":\"", Classification::KEYS[i])))
}

/// Appends one result, preceded by `,\n` for JSON (the writer fixes the first one).
fn format_result(out: &mut String, rules: Rules, id: Option<&Id>, result: &Classification) {
    match rules.format {
        Format::Json => {
            out.push_str(",\n{");
            let prefixes = json_prefixes();
            match id {
                Some(Id::Number(n)) => {
                    out.push_str("\"id\":");
                    out.push_str(n);
                }
                Some(id @ Id::Text(_)) => {
                    out.push_str("\"id\":");
                    out.push_str(&id.to_json());
                }
                None => {}
            }
            for (i, value) in result.values().iter().enumerate() {
                // The first key has no comma before it unless an id came first.
                let prefix = &prefixes[i];
                out.push_str(if i == 0 && id.is_none() {
                    &prefix[1..]
                } else {
                    prefix
                });
                value.write_to(out);
                out.push('"');
            }
            out.push('}');
        }
        Format::Csv => {
            let mut text = String::with_capacity(16);
            if rules.with_id {
                csv_cell(out, &id.map(|i| i.to_string()).unwrap_or_default());
                out.push(',');
            }
            for (i, value) in result.values().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                text.clear();
                value.write_to(&mut text);
                csv_cell(out, &text);
            }
            out.push('\n');
        }
    }
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn csv_cell(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// The output stream: a JSON array or CSV with a header row.
struct Output<W: Write> {
    out: W,
    format: Format,
    /// Whether CSV output has an id column: always for JSON input (an exam without an id gets
    /// an empty cell), for CSV input when it has one.
    with_id: bool,
    written: u64,
}

impl<W: Write> Output<W> {
    fn new(format: Format, out: W) -> Output<W> {
        Output {
            out,
            format,
            with_id: true,
            written: 0,
        }
    }

    /// Writes formatted results (from [`format_result`]).
    fn write(&mut self, text: &[u8], count: u64) -> io::Result<()> {
        if count == 0 {
            return Ok(());
        }
        match self.format {
            Format::Json if self.written == 0 => {
                self.out.write_all(b"[")?;
                self.out.write_all(&text[1..])?;
            }
            Format::Json => self.out.write_all(text)?,
            Format::Csv => {
                if self.written == 0 {
                    self.csv_header()?;
                }
                self.out.write_all(text)?;
            }
        }
        self.written += count;
        Ok(())
    }

    fn csv_header(&mut self) -> io::Result<()> {
        if self.with_id {
            self.out.write_all(b"id,")?;
        }
        self.out
            .write_all(Classification::KEYS.join(",").as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json if self.written == 0 => self.out.write_all(b"[]\n")?,
            Format::Json => self.out.write_all(b"\n]\n")?,
            Format::Csv if self.written == 0 => self.csv_header()?,
            Format::Csv => {}
        }
        self.out.flush()
    }
}

/// `scitrial generate-exams`: synthetic exams, written as they are made.
pub fn generate(args: &GenerateArgs) -> Result<()> {
    let mut rng = isncsci::synth::Rng::new(args.seed);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut text = String::with_capacity(4096);
    match args.format {
        Format::Json => {
            out.write_all(b"[")?;
            for n in 1..=args.count {
                text.clear();
                text.push_str(if n == 1 { "\n" } else { ",\n" });
                let id = Id::Number(n.to_string());
                json::write_exam(&isncsci::synth::mixed_exam(&mut rng), Some(&id), &mut text);
                out.write_all(text.as_bytes())?;
            }
            out.write_all(b"\n]\n")?;
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_field("id")?;
            csv.write_record(Field::all().map(|f| f.name()))?;
            for n in 1..=args.count {
                let exam = isncsci::synth::mixed_exam(&mut rng);
                csv.write_field(n.to_string())?;
                csv.write_record(Field::all().map(|f| isncsci::flat::value_of(&exam, f)))?;
            }
            out = csv.into_inner().map_err(|e| e.into_error())?;
        }
    }
    out.flush()?;
    Ok(())
}
