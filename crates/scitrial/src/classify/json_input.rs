//! JSON exams read, classified and formatted on every core, with results in input order.
//!
//! A thread reads the input in blocks. Each block, after the unread end of the one before, is
//! a *window*, cut into *chunks* at guessed element starts: an `{` after a `,` or a `}` and
//! before a `"` and a known key. Workers read the chunks at once, each with a fresh reader.
//! The results are taken in input order, and a chunk's results are used only if the chunk
//! before it, itself read from a true element start, stopped exactly at its start with only a
//! separator between: so every result used is the one a single reader going through the whole
//! text gives. At the first chunk for which that does not hold, the rest of the input is read
//! by a single reader from where the last good results end. A wrong guess can cost speed,
//! never change a result.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{bail, Context, Result};
use isncsci::flat::json::{self, Next};
use isncsci::flat::parse_key_bytes;

use super::{format_result, Done, Rules, Run};

/// The largest single exam object accepted, so that a malformed file cannot exhaust memory.
const MAX_OBJECT: usize = 64 << 20;

/// How the input is cut (small in tests, to put every kind of fault at every kind of place).
#[derive(Clone, Copy, Debug)]
pub(super) struct Sizes {
    /// Bytes read at a time.
    pub block: usize,
    /// Room kept before each block for the unread end of the window before, so that joining
    /// them copies only that end.
    pub head: usize,
    /// A chunk's guessed end is looked for this many bytes after its start.
    pub chunk: usize,
}

pub(super) const SIZES: Sizes = Sizes {
    block: 1 << 20,
    head: 256 << 10,
    chunk: 256 << 10,
};

/// Why reading a part of the input stopped.
pub(super) enum Stop {
    /// The input ends inside the next element.
    NeedMore,
    /// The end of the exams.
    End,
    /// Not JSON exams, at this offset in the part.
    Syntax(json::SyntaxError),
    /// At a rejected exam, without --keep-going.
    Rejected,
    /// At or past the given boundary.
    Boundary,
}

pub(super) struct Part {
    done: Done,
    /// Bytes read, up to the end of the last element.
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

/// Reads, classifies and formats exams from `bytes` until it runs out, until a rejected exam
/// (without --keep-going), or until the next element would start at or after `boundary`.
fn read_part(
    reader: &mut json::Reader,
    bytes: &[u8],
    at_eof: bool,
    boundary: Option<usize>,
    rules: Rules,
) -> Part {
    // About 600 bytes of results for 2,600 of exam: room enough not to grow.
    let mut done = Done {
        text: String::with_capacity(boundary.unwrap_or(bytes.len()) / 4 + 4096),
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

/// Whether an element likely starts at `at` (an `{`): a `,` or `}` before it, then a `"` and a
/// known key of the flat layout after it. Only a guess: the reading checks it.
fn likely_start(bytes: &[u8], at: usize) -> bool {
    let before = bytes[..at].iter().rev().find(|b| !b.is_ascii_whitespace());
    if !matches!(before, Some(b',' | b'}')) {
        return false;
    }
    let Some(quote) = bytes[at + 1..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
    else {
        return false;
    };
    let key = &bytes[at + 1 + quote..];
    if key.first() != Some(&b'"') {
        return false;
    }
    let key = &key[1..key.len().min(64)];
    key.iter()
        .position(|&b| b == b'"')
        .is_some_and(|end| parse_key_bytes(&key[..end]).is_some())
}

/// The first likely element start at or after `from`.
fn start_after(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at < bytes.len() {
        let p = at + bytes[at..].iter().position(|&b| b == b'{')?;
        if likely_start(bytes, p) {
            return Some(p);
        }
        at = p + 1;
    }
    None
}

/// The last likely element start after `after`.
fn start_before_end(bytes: &[u8], after: usize) -> Option<usize> {
    let mut end = bytes.len();
    while end > after + 1 {
        let p = after + 1 + bytes[after + 1..end].iter().rposition(|&b| b == b'{')?;
        if likely_start(bytes, p) {
            return Some(p);
        }
        end = p;
    }
    None
}

/// The text of one block with the unread end of the window before it.
struct Window {
    bytes: Arc<Vec<u8>>,
    /// Where the text starts in `bytes`.
    start: usize,
    /// The input offset of `bytes[start]`.
    base: u64,
    /// Where the part carried over to the next window starts.
    tail: usize,
    /// Its chunks whose results have not been taken yet.
    pending: usize,
}

impl Window {
    /// The input offset of a position in `bytes`.
    fn offset(&self, at: usize) -> u64 {
        self.base + (at - self.start) as u64
    }
}

/// A chunk handed to a worker, in input order.
struct Chunk {
    /// Its window's place in the sequence of windows.
    window: u64,
    from: usize,
    /// Whether it is the last chunk of the input.
    last: bool,
    reply: Receiver<ChunkRead>,
}

struct Job {
    bytes: Arc<Vec<u8>>,
    from: usize,
    /// Its guessed end; none for the last chunk of the input.
    to: Option<usize>,
    at_eof: bool,
    start: json::Start,
    rules: Rules,
    reply: SyncSender<ChunkRead>,
}

/// A chunk read.
struct ChunkRead {
    part: Part,
    /// Whether it ended exactly at its guessed end, with only a separator between.
    exact: bool,
    /// The reader, where the chunk did not end exactly: for reading on from where it stopped.
    reader: Option<json::Reader>,
}

impl Job {
    /// Reads the chunk with `reader`, which keeps what it learned of the layout from chunk to
    /// chunk.
    fn run(self, reader: &mut json::Reader) -> ChunkRead {
        reader.restart(self.start);
        let bytes = &self.bytes[self.from..];
        let to = self.to.map(|to| to - self.from);
        let part = read_part(reader, bytes, self.at_eof, to, self.rules);
        let exact = match (&part.stop, to) {
            (Stop::Boundary, Some(to)) => {
                part.used <= to && is_separator(&bytes[part.used..to], self.rules.in_array)
            }
            _ => false,
        };
        ChunkRead {
            part,
            exact,
            reader: (!exact).then(|| std::mem::take(reader)),
        }
    }
}

/// Threads that read chunks. Dropping the pool cancels the jobs not yet begun.
struct Pool {
    jobs: Option<Sender<Job>>,
    cancelled: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    fn new(workers: usize) -> Pool {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let cancelled = Arc::new(AtomicBool::new(false));
        let threads = (0..workers.max(1))
            .map(|_| {
                let queue = Arc::clone(&queue);
                let cancelled = Arc::clone(&cancelled);
                std::thread::spawn(move || {
                    let mut reader = json::Reader::new();
                    loop {
                        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok(job) = job else { return };
                        if cancelled.load(Ordering::Relaxed) {
                            continue;
                        }
                        let reply = job.reply.clone();
                        // The job lets go of its block before the reply, so that the block
                        // can be used again.
                        let read = job.run(&mut reader);
                        let _ = reply.send(read);
                    }
                })
            })
            .collect();
        Pool {
            jobs: Some(jobs),
            cancelled,
            threads,
        }
    }

    fn submit(&self, job: Job) -> Result<()> {
        self.jobs
            .as_ref()
            .and_then(|jobs| jobs.send(job).ok())
            .context("the classifying threads stopped")
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.jobs = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Reads the input in blocks on its own thread, one block ahead, each after `head` bytes of
/// room. Blocks come back through `recycled` to be filled again, so that memory is not mapped
/// anew for each. A block with nothing after the room is the end of the input.
fn read_ahead(
    mut input: Box<dyn Read + Send>,
    recycled: Receiver<Vec<u8>>,
    sizes: Sizes,
) -> Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::spawn(move || loop {
        let mut block = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(sizes.head + sizes.block + 64));
        block.clear();
        block.resize(sizes.head, 0);
        let read = input
            .by_ref()
            .take(sizes.block as u64)
            .read_to_end(&mut block);
        let last = !matches!(read, Ok(n) if n > 0);
        if tx.send(read.map(|_| block)).is_err() || last {
            return;
        }
    });
    rx
}

/// Reads JSON exams from `input` with `workers` threads, and writes their results to `run`.
pub(super) fn read<W: Write>(
    input: Box<dyn Read + Send>,
    run: &mut Run<W>,
    sizes: Sizes,
    workers: usize,
) -> Result<()> {
    let (recycle, recycled) = mpsc::channel();
    let blocks = read_ahead(input, recycled, sizes);
    // Windows whose chunks may be in flight at once: enough to keep every worker busy while
    // the results of the oldest are written.
    let depth = workers.div_ceil(2).max(2);
    let mut pipeline = Pipeline {
        sizes,
        pool: Pool::new(workers),
        windows: VecDeque::new(),
        first_window: 0,
        chunks: VecDeque::new(),
        rules: None,
        keep_going: run.keep_going,
        format: run.out.format,
        with_id: run.out.with_id,
        at_eof: false,
    };
    loop {
        while !pipeline.at_eof && pipeline.windows_in_flight() < depth {
            let block = blocks.recv().context("the input reader stopped")??;
            if let Some(unused) = pipeline.add_block(block)? {
                let _ = recycle.send(unused);
            }
        }
        let Some(chunk) = pipeline.chunks.pop_front() else {
            // Only possible for an input without any chunk: nothing at all.
            return Ok(());
        };
        let ChunkRead {
            part,
            exact,
            reader,
        } = chunk.reply.recv().context("a classifying thread stopped")?;
        let rules = pipeline.rules.expect("set with the first chunk");
        let window = pipeline.window(chunk.window);
        let at = window.offset(chunk.from + part.used);
        let from_offset = window.offset(chunk.from);
        run.emit(part.done, at)?;
        if exact {
            if let Some(unused) = pipeline.taken(chunk.window) {
                let _ = recycle.send(unused);
            }
            continue;
        }
        match part.stop {
            Stop::End | Stop::Rejected => return Ok(()),
            Stop::Syntax(e) => bail!(
                "not JSON exams: at byte {}: {e}",
                from_offset + e.offset as u64
            ),
            Stop::NeedMore if chunk.last => {
                bail!("not JSON exams: at byte {at}: unexpected end of input")
            }
            Stop::NeedMore | Stop::Boundary => {
                // A guessed start was not one: one reader reads the rest.
                let rest = pipeline.text_from(at)?;
                let at_eof = pipeline.at_eof;
                drop(pipeline);
                let reader = reader.context("internal error: no reader to go on with")?;
                return read_rest(reader, rest, at, at_eof, &blocks, sizes, run, rules);
            }
        }
    }
}

/// The windows and chunks in flight.
struct Pipeline {
    sizes: Sizes,
    pool: Pool,
    /// The windows from the oldest with chunks in flight to the newest.
    windows: VecDeque<Window>,
    /// The place in the sequence of windows of the first in `windows`.
    first_window: u64,
    chunks: VecDeque<Chunk>,
    /// Known from the first chunk on.
    rules: Option<Rules>,
    keep_going: bool,
    format: crate::Format,
    with_id: bool,
    /// Whether the last window has been cut.
    at_eof: bool,
}

impl Pipeline {
    fn windows_in_flight(&self) -> usize {
        self.windows.iter().filter(|w| w.pending > 0).count()
    }

    fn window(&self, number: u64) -> &Window {
        &self.windows[(number - self.first_window) as usize]
    }

    /// Makes a window of a block and the unread end of the window before, cuts it into chunks
    /// and hands them to the workers. Returns a buffer that is no longer needed.
    fn add_block(&mut self, mut block: Vec<u8>) -> Result<Option<Vec<u8>>> {
        let head = self.sizes.head;
        let at_eof = block.len() == head;
        let (tail, base): (&[u8], u64) = match self.windows.back() {
            Some(w) => (&w.bytes[w.tail..], w.offset(w.tail)),
            None => (&[], 0),
        };
        if tail.len() > MAX_OBJECT {
            bail!(
                "an exam object at byte {base} is larger than {} MB",
                MAX_OBJECT >> 20
            );
        }
        let (bytes, start, unused) = if tail.len() <= head {
            let start = head - tail.len();
            block[start..head].copy_from_slice(tail);
            (block, start, None)
        } else {
            let mut joined = Vec::with_capacity(tail.len() + block.len() - head);
            joined.extend_from_slice(tail);
            joined.extend_from_slice(&block[head..]);
            (joined, 0, Some(block))
        };
        let bytes = Arc::new(bytes);
        let number = self.first_window + self.windows.len() as u64;
        // Chunk starts: the window's start, then a likely element start every `chunk` bytes,
        // and the last likely start in the window, where its carried-over end begins.
        let mut starts = vec![start];
        while let Some(next) = start_after(&bytes, starts[starts.len() - 1] + self.sizes.chunk) {
            starts.push(next);
        }
        let tail = if at_eof {
            bytes.len()
        } else {
            if let Some(last) = start_before_end(&bytes, starts[starts.len() - 1]) {
                starts.push(last);
            }
            starts.pop().expect("the window's start")
        };
        let mut pending = 0;
        for (i, &from) in starts.iter().enumerate() {
            // Each chunk ends where the next starts; the last at the tail, or at the end.
            let to = starts.get(i + 1).copied().or((!at_eof).then_some(tail));
            // The first chunk of the input begins before any `[`.
            let first = self.rules.is_none();
            let rules = *self.rules.get_or_insert_with(|| Rules {
                keep_going: self.keep_going,
                in_array: bytes[from..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['),
                format: self.format,
                with_id: self.with_id,
            });
            let start = match (first, rules.in_array) {
                (true, _) => json::Start::Text,
                (false, true) => json::Start::InsideArray,
                (false, false) => json::Start::InsideSequence,
            };
            let (reply, result) = mpsc::sync_channel(1);
            self.pool.submit(Job {
                bytes: Arc::clone(&bytes),
                from,
                to,
                at_eof: at_eof && to.is_none(),
                start,
                rules,
                reply,
            })?;
            self.chunks.push_back(Chunk {
                window: number,
                from,
                last: to.is_none(),
                reply: result,
            });
            pending += 1;
        }
        self.windows.push_back(Window {
            bytes,
            start,
            base,
            tail,
            pending,
        });
        self.at_eof = at_eof;
        // A window before the new one without chunks in flight is no longer needed.
        let mut unused = unused;
        while self.windows.len() > 1 && self.windows[0].pending == 0 {
            let old = self.windows.pop_front().expect("more than one");
            self.first_window += 1;
            if unused.is_none() {
                unused = Arc::try_unwrap(old.bytes).ok();
            }
        }
        Ok(unused)
    }

    /// Notes that a chunk's results were taken; returns its window's buffer when that window
    /// is done with.
    fn taken(&mut self, number: u64) -> Option<Vec<u8>> {
        let index = (number - self.first_window) as usize;
        self.windows[index].pending -= 1;
        if index == 0 && self.windows[0].pending == 0 && self.windows.len() > 1 {
            let old = self.windows.pop_front().expect("the first");
            self.first_window += 1;
            return Arc::try_unwrap(old.bytes).ok();
        }
        None
    }

    /// The input from offset `at` to the end of the newest window.
    fn text_from(&self, at: u64) -> Result<Vec<u8>> {
        let mut text = Vec::new();
        let mut next = at;
        for w in &self.windows {
            let end = w.offset(w.bytes.len());
            if end <= next {
                continue;
            }
            if w.base > next {
                bail!("internal error: the windows skip input at byte {next}");
            }
            text.extend_from_slice(&w.bytes[w.start + (next - w.base) as usize..]);
            next = end;
        }
        Ok(text)
    }
}

/// Reads the rest of the input with one reader: `text`, which starts at input offset `base`,
/// then the blocks still to come.
#[allow(clippy::too_many_arguments)]
fn read_rest<W: Write>(
    mut reader: json::Reader,
    mut text: Vec<u8>,
    mut base: u64,
    mut at_eof: bool,
    blocks: &Receiver<io::Result<Vec<u8>>>,
    sizes: Sizes,
    run: &mut Run<W>,
    rules: Rules,
) -> Result<()> {
    loop {
        let Part { done, used, stop } = read_part(&mut reader, &text, at_eof, None, rules);
        let at = base + used as u64;
        run.emit(done, at)?;
        match stop {
            Stop::End | Stop::Rejected => return Ok(()),
            Stop::Syntax(e) => bail!("not JSON exams: at byte {}: {e}", base + e.offset as u64),
            Stop::NeedMore if at_eof => {
                bail!("not JSON exams: at byte {at}: unexpected end of input")
            }
            Stop::NeedMore | Stop::Boundary => {}
        }
        text.drain(..used);
        base = at;
        if text.len() > MAX_OBJECT {
            bail!(
                "an exam object at byte {base} is larger than {} MB",
                MAX_OBJECT >> 20
            );
        }
        let block = blocks.recv().context("the input reader stopped")??;
        at_eof = block.len() == sizes.head;
        text.extend_from_slice(&block[sizes.head..]);
    }
}

#[cfg(test)]
#[path = "json_input_tests.rs"]
mod tests;
