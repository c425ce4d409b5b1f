//! `scitrial classify`: exams in, results out, in input order and in constant memory.
//!
//! JSON input is read in blocks. A large block is read, classified and formatted in two parts
//! on two threads: the second part starts at a guessed element boundary near the middle, and
//! its output is used only if the first part's sequential reading ends exactly there, so the
//! result never depends on the guess. CSV input is read row by row.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use isncsci::flat::json::{self, Id, Next};
use isncsci::flat::{parse_key, ExamBuilder, Field, FieldError, Key, Problem};
use isncsci::Classification;

use crate::progress::Progress;
use crate::{ClassifyArgs, Format, GenerateArgs};

/// The largest single exam object accepted, so that a malformed file cannot exhaust memory.
const MAX_OBJECT: usize = 64 << 20;
/// Input is read in blocks of about this size.
const BLOCK: usize = 2 << 20;
/// A block is split in two parts only when each can be this large.
const MIN_PART: usize = 256 << 10;

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
        Format::Json => read_json(input, &mut run),
        Format::Csv => read_csv(input, &mut run),
    };
    run.progress.finish();
    // Close the output so that what was written stays well-formed, even after an error.
    let closed = run.out.finish();
    read.with_context(|| format!("reading {name}"))?;
    closed.context("writing the results")?;
    Ok(run.outcome)
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

    /// Adds the results of the part of the input that follows.
    fn append(&mut self, next: Done) {
        let before = self.exams();
        self.text.push_str(&next.text);
        self.rejected.extend(
            next.rejected
                .into_iter()
                .map(|(i, id, line, e)| (before + i, id, line, e)),
        );
        self.classified += next.classified;
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

/// Why reading a part stopped.
enum Stop {
    /// The input ends inside the next element.
    NeedMore,
    /// The end of the exams.
    End,
    /// Not JSON exams, at this offset in the part.
    Syntax(json::SyntaxError),
    /// At a rejected exam, without --keep-going.
    Rejected,
    /// At the start of the next part.
    Boundary,
}

struct Part {
    done: Done,
    used: usize,
    stop: Stop,
}

/// What separates two elements: whitespace and one comma in an array, whitespace alone in a
/// sequence of objects.
fn is_separator(gap: &[u8], in_array: bool) -> bool {
    let mut commas = 0;
    let only_space_and_commas = gap.iter().all(|&b| match b {
        b' ' | b'\n' | b'\r' | b'\t' => true,
        b',' => {
            commas += 1;
            true
        }
        _ => false,
    });
    only_space_and_commas && commas == usize::from(in_array)
}

/// What a part needs to know to read, classify and format exams.
#[derive(Clone, Copy)]
struct Rules {
    keep_going: bool,
    in_array: bool,
    format: Format,
    with_id: bool,
}

/// Reads, classifies and formats exams from `bytes` until it runs out, until a rejected exam
/// (without --keep-going), or until the next element starts at `boundary`.
fn read_part(
    reader: &mut json::Reader,
    bytes: &[u8],
    at_eof: bool,
    boundary: Option<usize>,
    rules: Rules,
) -> Part {
    // About 300 bytes of results for 2,600 of exam: room enough not to grow.
    let mut done = Done {
        text: String::with_capacity(bytes.len() / 6 + 4096),
        ..Done::default()
    };
    let mut pos = 0;
    loop {
        if let Some(b) = boundary {
            if pos >= b || is_separator(&bytes[pos..b], rules.in_array) {
                return Part {
                    done,
                    used: pos,
                    stop: Stop::Boundary,
                };
            }
        }
        let stop = match reader.next(&bytes[pos..], at_eof) {
            Ok(Next::Record(record, used)) => {
                pos += used;
                match record.exam {
                    Ok(exam) => {
                        format_result(&mut done.text, rules, record.id.as_ref(), &exam.classify());
                        done.classified += 1;
                    }
                    Err(e) => {
                        done.rejected.push((done.exams(), record.id, None, e));
                        if !rules.keep_going {
                            return Part {
                                done,
                                used: pos,
                                stop: Stop::Rejected,
                            };
                        }
                    }
                }
                continue;
            }
            Ok(Next::End) => Stop::End,
            Ok(Next::NeedMore(used)) => {
                pos += used;
                Stop::NeedMore
            }
            Err(e) => Stop::Syntax(json::SyntaxError {
                offset: pos + e.offset,
                ..e
            }),
        };
        return Part {
            done,
            used: pos,
            stop,
        };
    }
}

/// A likely start of an element near the middle of `bytes`: an object opening after a comma or
/// a closing brace, followed by a key. Only a guess: [`read_part`] checks it.
fn split_point(bytes: &[u8]) -> Option<usize> {
    let from = bytes.len() / 2;
    let mut at = from;
    while let Some(n) = bytes[at..].iter().position(|&b| b == b'{') {
        let p = at + n;
        let before = bytes[..p].iter().rev().find(|b| !b.is_ascii_whitespace());
        let after = bytes[p + 1..].iter().find(|b| !b.is_ascii_whitespace());
        if matches!(before, Some(b',' | b'}')) && after == Some(&b'"') {
            return (bytes.len() - p >= MIN_PART).then_some(p);
        }
        at = p + 1;
        if at - from > (1 << 20) {
            return None;
        }
    }
    None
}

/// Shifts a part's syntax error to an offset in the block.
fn shifted(stop: Stop, by: usize) -> Stop {
    match stop {
        Stop::Syntax(e) => Stop::Syntax(json::SyntaxError {
            offset: by + e.offset,
            ..e
        }),
        other => other,
    }
}

/// Reads the rest of a block: in two parts at once when it is large enough.
fn read_block(reader: &mut json::Reader, window: &[u8], at_eof: bool, rules: Rules) -> Part {
    let split = if window.len() >= 2 * MIN_PART {
        split_point(window)
    } else {
        None
    };
    let Some(split) = split else {
        return read_part(reader, window, at_eof, None, rules);
    };
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(move || {
            let mut r = if rules.in_array {
                json::Reader::inside_array()
            } else {
                json::Reader::inside_sequence()
            };
            (read_part(&mut r, &window[split..], at_eof, None, rules), r)
        });
        let first = read_part(reader, window, at_eof, Some(split), rules);
        (first, second.join())
    });
    let Part {
        mut done,
        mut used,
        stop,
    } = first;
    if !matches!(stop, Stop::Boundary) {
        return Part { done, used, stop };
    }
    let stop = match second {
        Ok((part, r)) if used <= split && is_separator(&window[used..split], rules.in_array) => {
            done.append(part.done);
            used = split + part.used;
            *reader = r;
            shifted(part.stop, split)
        }
        // The guess was not a boundary: go on from where the first part stopped.
        _ => {
            let rest = read_part(reader, &window[used..], at_eof, None, rules);
            done.append(rest.done);
            let stop = shifted(rest.stop, used);
            used += rest.used;
            stop
        }
    };
    Part { done, used, stop }
}

/// Room kept at the front of each block for the unread end of the previous one (a part of an
/// exam), so that joining them copies only that part.
const HEAD: usize = 256 << 10;

/// Reads the input in blocks on its own thread, one block ahead of the classification. Blocks
/// come back through `recycled` to be filled again, so that memory is not mapped anew for each.
fn read_ahead(
    mut input: Box<dyn Read + Send>,
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
) -> std::sync::mpsc::Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::spawn(move || loop {
        let mut block = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(HEAD + BLOCK + 64));
        block.clear();
        block.resize(HEAD, 0);
        let read = input.by_ref().take(BLOCK as u64).read_to_end(&mut block);
        let last = !matches!(read, Ok(n) if n > 0);
        if tx.send(read.map(|_| block)).is_err() || last {
            return;
        }
    });
    rx
}

fn read_json<W: Write>(input: Box<dyn Read + Send>, run: &mut Run<W>) -> Result<()> {
    let (recycle, recycled) = std::sync::mpsc::channel();
    let blocks = read_ahead(input, recycled);
    let mut reader = json::Reader::new();
    // The block being read; the window starts at `start`, which is byte `base` of the input.
    let mut buf: Vec<u8> = Vec::new();
    let (mut start, mut base) = (0usize, 0u64);
    let mut at_eof = false;
    let mut in_array = None;
    loop {
        if !at_eof {
            let block = blocks.recv().context("the input reader stopped")??;
            at_eof = block.len() == HEAD;
            let tail = &buf[start..];
            if tail.len() > MAX_OBJECT {
                bail!(
                    "an exam object at byte {base} is larger than {} MB",
                    MAX_OBJECT >> 20
                );
            }
            let next = if tail.len() <= HEAD {
                let mut block = block;
                let at = HEAD - tail.len();
                block[at..HEAD].copy_from_slice(tail);
                start = at;
                block
            } else {
                let mut joined = tail.to_vec();
                joined.extend_from_slice(&block[HEAD..]);
                start = 0;
                joined
            };
            let _ = recycle.send(std::mem::replace(&mut buf, next));
        }
        let window = &buf[start..];
        let in_array = *in_array
            .get_or_insert_with(|| window.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['));
        let rules = Rules {
            keep_going: run.keep_going,
            in_array,
            format: run.out.format,
            with_id: run.out.with_id,
        };
        let Part { done, used, stop } = read_block(&mut reader, window, at_eof, rules);
        let bytes_done = base + used as u64;
        let stop_at_rejection = !run.keep_going && !done.rejected.is_empty();
        run.emit(done, bytes_done)?;
        if stop_at_rejection {
            return Ok(());
        }
        match stop {
            Stop::End | Stop::Rejected => return Ok(()),
            Stop::Syntax(e) => bail!("not JSON exams: at byte {}: {e}", base + e.offset as u64),
            Stop::NeedMore if at_eof => {
                bail!("not JSON exams: at byte {bytes_done}: unexpected end of input")
            }
            Stop::NeedMore | Stop::Boundary => {
                start += used;
                base += used as u64;
            }
        }
    }
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
