//! Temperature logger files: the chain of condition of a shipment in a dry shipper.
//!
//! A logger writes a reading every few minutes as CSV. Vendors differ, so the reader finds its
//! columns by their names rather than by a fixed layout:
//! - the time, as one column (`Timestamp`, `Date/Time`, `Time (UTC)`, …) holding ISO 8601
//!   (`2026-03-02T08:00:00+08:00`, `2026-03-02 08:00`, with `Z`, an offset, ` UTC` or nothing),
//!   as two columns `Date` and `Time`, or as Unix seconds (`Unix time`, `Epoch`);
//! - the temperature, a column whose name holds `temp`, in °C unless its name says °F
//!   (`Temp (°F)`, `Temperature_F`, `Fahrenheit`).
//!
//! Lines before the header (serial number, model, …) are skipped; one of them may give the
//! logger's zone (`Time zone: UTC+08:00`). A time without a zone takes that offset, else the
//! one the importer gives, else the file is refused: a guessed zone would shift every
//! excursion. Dates with slashes must be unambiguous: day first when some first part is over
//! 12, month first when some second part is, otherwise the importer must say which. Files
//! separated by `;` may use a decimal comma.
//!
//! The file is refused whole at its first problem, naming the line and the column. Times must
//! increase. A reading above the limit starts an excursion at that reading; the first reading
//! at or below the limit ends it; the peak is the highest reading in between. Readings further
//! apart than the allowed gap leave the condition unknown in between: that is a [`Gap`]. Both
//! call for a documented decision before the unit is used.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::csv::{read_delimited, CsvError};

/// Absolute zero and a bound no cryogenic shipment reaches: a reading outside is a misread file.
const PLAUSIBLE_C: (f64, f64) = (-273.15, 100.0);
/// Lines searched for the header.
const HEADER_SEARCH: usize = 50;

/// The order of day and month in dates written with slashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// `DD/MM/YYYY`.
    DayFirst,
    /// `MM/DD/YYYY`.
    MonthFirst,
}

/// What the importer knows about the file and the product.
#[derive(Clone, Copy, Debug)]
pub struct LoggerOptions {
    /// The highest acceptable temperature, in °C (e.g. −150).
    pub limit_c: f64,
    /// The longest acceptable time between two readings.
    pub max_gap: Duration,
    /// The logger's offset for times written without a zone, when the file does not say.
    pub offset: Option<UtcOffset>,
    /// The order of dates written with slashes, when the file does not make it clear.
    pub date_order: Option<DateOrder>,
}

/// How the file gave its times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeColumns {
    /// One column with date and time.
    DateTime,
    /// A date column and a time column.
    DateAndTime,
    /// Unix seconds.
    UnixSeconds,
}

/// One reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// When, in UTC.
    pub at: OffsetDateTime,
    /// The temperature in °C.
    pub celsius: f64,
    /// The file's line.
    pub line: usize,
}

/// A time above the limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Excursion {
    /// The first reading above the limit.
    pub start: OffsetDateTime,
    /// The first reading back at or below the limit; `None` when the file ends above it.
    pub end: Option<OffsetDateTime>,
    /// From the start to the end, or to the last reading.
    pub duration: Duration,
    /// The highest reading, in °C.
    pub peak_c: f64,
    /// When the peak was read (the first such reading).
    pub peak_at: OffsetDateTime,
    /// The line of the first reading above the limit.
    pub line: usize,
}

/// Readings further apart than allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The last reading before the gap.
    pub from: OffsetDateTime,
    /// The first reading after it.
    pub to: OffsetDateTime,
    /// The line of the reading after the gap.
    pub line: usize,
}

/// A logger file read and judged.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggerFile {
    /// How the times were given.
    pub time_columns: TimeColumns,
    /// Whether the file gave Fahrenheit (converted).
    pub fahrenheit: bool,
    /// The offset applied to times without a zone, if any was needed.
    pub offset: Option<UtcOffset>,
    /// The readings, in time order.
    pub readings: Vec<Reading>,
    /// Times above the limit.
    pub excursions: Vec<Excursion>,
    /// Times with no reading for longer than allowed.
    pub gaps: Vec<Gap>,
}

impl LoggerFile {
    /// Whether the condition was ever out of bounds or unknown: the unit waits for a decision.
    pub fn needs_decision(&self) -> bool {
        !self.excursions.is_empty() || !self.gaps.is_empty()
    }
}

/// Why a logger file was refused: where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
pub struct LoggerError {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, when one is at fault.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl From<CsvError> for LoggerError {
    fn from(e: CsvError) -> LoggerError {
        LoggerError {
            line: e.line,
            column: Some(e.column),
            message: e.message,
        }
    }
}

fn refuse(line: usize, column: Option<usize>, message: impl Into<String>) -> LoggerError {
    LoggerError {
        line,
        column,
        message: message.into(),
    }
}

/// Where the columns are.
struct Header {
    line: usize,
    time: TimeColumns,
    /// The date-time, date or Unix seconds column.
    first: usize,
    /// The time column of [`TimeColumns::DateAndTime`].
    second: Option<usize>,
    temperature: usize,
    fahrenheit: bool,
    /// The time column's name says UTC.
    utc: bool,
}

fn normalise(name: &str) -> String {
    name.trim().to_lowercase()
}

fn find_header(records: &[(usize, Vec<String>)]) -> Option<(usize, Header)> {
    records
        .iter()
        .take(HEADER_SEARCH)
        .enumerate()
        .find_map(|(i, (line, values))| header(*line, values).map(|h| (i, h)))
}

fn header(line: usize, values: &[String]) -> Option<Header> {
    let names: Vec<String> = values.iter().map(|v| normalise(v)).collect();
    let position = |pred: &dyn Fn(&str) -> bool| names.iter().position(|n| pred(n));
    let temperature = position(&|n| n.contains("temp") || n.contains("celsius"))
        .or_else(|| position(&|n| n.contains("fahrenheit")))?;
    let unit = &names[temperature];
    let fahrenheit = unit.contains("°f")
        || unit.contains("(f)")
        || unit.ends_with("_f")
        || unit.ends_with(" f")
        || unit.contains("fahrenheit");
    let epoch = position(&|n| n.contains("unix") || n.contains("epoch"));
    let combined = position(&|n| {
        n.contains("timestamp")
            || n.contains("date/time")
            || n.contains("datetime")
            || n == "date time"
    });
    let date = position(&|n| n == "date" || n.starts_with("date ("));
    let time = position(&|n| n == "time" || n.starts_with("time ("));
    let (kind, first, second) = if let Some(e) = epoch {
        (TimeColumns::UnixSeconds, e, None)
    } else if let Some(c) = combined {
        (TimeColumns::DateTime, c, None)
    } else if let (Some(d), Some(t)) = (date, time) {
        (TimeColumns::DateAndTime, d, Some(t))
    } else if let Some(t) = time {
        (TimeColumns::DateTime, t, None)
    } else {
        return None;
    };
    let utc = names[first].contains("utc") || second.is_some_and(|s| names[s].contains("utc"));
    Some(Header {
        line,
        time: kind,
        first,
        second,
        temperature,
        fahrenheit,
        utc,
    })
}

/// Reads `UTC`, `GMT`, `Z`, `UTC+08:00`, `+08:00`, `GMT-5`, `+0530`.
fn parse_offset(text: &str) -> Option<UtcOffset> {
    let t = text.trim();
    let t = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t)
        .trim();
    if t.is_empty() || t == "Z" {
        return Some(UtcOffset::UTC);
    }
    let (sign, rest) = match t.as_bytes()[0] {
        b'+' => (1i8, &t[1..]),
        b'-' => (-1i8, &t[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()) => rest.split_at(2),
        None => (rest, "0"),
    };
    let h: i8 = h.parse().ok().filter(|h| (0..=14).contains(h))?;
    let m: i8 = m.parse().ok().filter(|m| (0..60).contains(m))?;
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

/// A zone stated before the header (`Time zone: UTC+08:00`, `UTC offset,+08:00`).
fn preamble_offset(records: &[(usize, Vec<String>)]) -> Result<Option<UtcOffset>, LoggerError> {
    for (line, values) in records {
        let joined = values.join(",");
        let lower = joined.to_ascii_lowercase();
        let Some(at) = ["time zone", "timezone", "utc offset"]
            .iter()
            .find_map(|k| lower.find(k).map(|i| i + k.len()))
        else {
            continue;
        };
        let value = joined[at..].trim_start_matches([':', ',', ' ', '=']);
        return parse_offset(value).map(Some).ok_or_else(|| {
            refuse(
                *line,
                None,
                format!(
                    "the time zone {value:?} is not an offset from UTC (e.g. UTC, UTC+08:00, -05:00)"
                ),
            )
        });
    }
    Ok(None)
}

fn number(text: &str, decimal_comma: bool) -> Option<f64> {
    let t = text.trim();
    let owned;
    let t = if decimal_comma {
        owned = t.replace(',', ".");
        owned.as_str()
    } else {
        t
    };
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn digits<T: std::str::FromStr>(s: &str, len: std::ops::RangeInclusive<usize>) -> Option<T> {
    (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A date as `YYYY-MM-DD`, `DD.MM.YYYY` or with slashes in the given order.
fn parse_date(text: &str, order: Option<DateOrder>) -> Result<Date, String> {
    let bad =
        || format!("{text:?} is not a date (YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY or MM/DD/YYYY)");
    let (y, m, d) = if let Some((y, rest)) = text.split_once('-') {
        let (m, d) = rest.split_once('-').ok_or_else(bad)?;
        (y, m, d)
    } else if let Some((d, rest)) = text.split_once('.') {
        let (m, y) = rest.split_once('.').ok_or_else(bad)?;
        (y, m, d)
    } else if let Some((a, rest)) = text.split_once('/') {
        let (b, y) = rest.split_once('/').ok_or_else(bad)?;
        match order {
            Some(DateOrder::DayFirst) => (y, b, a),
            Some(DateOrder::MonthFirst) => (y, a, b),
            None => return Err(format!("{text:?}: the order of day and month is not known")),
        }
    } else {
        return Err(bad());
    };
    let year: i32 = digits(y, 4..=4).ok_or_else(bad)?;
    let month: u8 = digits(m, 1..=2).ok_or_else(bad)?;
    let day: u8 = digits(d, 1..=2).ok_or_else(bad)?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day)
        .map_err(|_| format!("{text:?} is not a calendar date"))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`.
fn parse_time(text: &str) -> Result<Time, String> {
    let bad = || format!("{text:?} is not a time (HH:MM or HH:MM:SS)");
    let mut parts = text.split(':');
    let h: u8 = parts
        .next()
        .and_then(|p| digits(p, 1..=2))
        .ok_or_else(bad)?;
    let m: u8 = parts
        .next()
        .and_then(|p| digits(p, 2..=2))
        .ok_or_else(bad)?;
    let (s, milli) = match parts.next() {
        None => (0u8, 0u16),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            let s: u8 = digits(whole, 2..=2).ok_or_else(bad)?;
            let milli: u16 = if frac.is_empty() {
                0
            } else {
                let f: String = frac.chars().chain("000".chars()).take(3).collect();
                digits(&f, 3..=3).ok_or_else(bad)?
            };
            (s, milli)
        }
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Time::from_hms_milli(h, m, s, milli).map_err(|_| bad())
}

/// Splits a zone off the end of a time: `Z`, ` UTC`, `+08:00`, `-0500`.
fn split_zone(text: &str) -> (&str, Option<&str>) {
    let t = text.trim();
    if let Some(rest) = t.strip_suffix('Z') {
        return (rest, Some("Z"));
    }
    for suffix in [" UTC", " GMT"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            return (rest.trim_end(), Some("UTC"));
        }
    }
    // An offset after the time part (a `-` before it belongs to the date).
    let time_start = t.find([':']).map_or(t.len(), |i| i.saturating_sub(2));
    match t.get(time_start..).and_then(|s| s.find(['+', '-'])) {
        Some(i) => {
            let at = time_start + i;
            (t[..at].trim_end(), Some(&t[at..]))
        }
        None => (t, None),
    }
}

/// Which way slashed dates go, from the file when it can tell.
fn infer_order(
    dates: impl Iterator<Item = (usize, String)>,
    given: Option<DateOrder>,
) -> Result<Option<DateOrder>, LoggerError> {
    if given.is_some() {
        return Ok(given);
    }
    let mut first_line = None;
    for (line, date) in dates {
        let mut parts = date.trim().split('/');
        let (Some(a), Some(b)) = (parts.next(), parts.next()) else {
            continue;
        };
        first_line.get_or_insert(line);
        let (a, b) = (a.parse::<u32>().unwrap_or(0), b.parse::<u32>().unwrap_or(0));
        if a > 12 {
            return Ok(Some(DateOrder::DayFirst));
        }
        if b > 12 {
            return Ok(Some(DateOrder::MonthFirst));
        }
    }
    match first_line {
        None => Ok(None),
        Some(line) => Err(refuse(
            line,
            None,
            "dates with slashes could be day/month or month/day throughout the file: say which \
             (date order day-first or month-first)",
        )),
    }
}

/// Reads a logger file and finds its excursions and gaps.
pub fn read_logger_csv(text: &str, opts: &LoggerOptions) -> Result<LoggerFile, LoggerError> {
    let head: String = text
        .lines()
        .take(HEADER_SEARCH)
        .collect::<Vec<_>>()
        .join("\n");
    let semicolons = head.matches(';').count() > head.matches(',').count();
    let records = read_delimited(text, if semicolons { ';' } else { ',' })?;
    let Some((at, h)) = find_header(&records) else {
        return Err(refuse(
            records.first().map_or(1, |r| r.0),
            None,
            "no header row with a time column (Timestamp, Date/Time, Date and Time, Unix time) \
             and a temperature column (a name with \"temp\") in the first 50 lines",
        ));
    };
    let file_offset = preamble_offset(&records[..at])?;
    let utc = h.utc.then_some(UtcOffset::UTC);
    let rows = &records[at + 1..];
    let order = infer_order(
        rows.iter()
            .filter_map(|(l, v)| v.get(h.first).map(|d| (*l, d.clone()))),
        opts.date_order,
    )?;
    let mut offset_used = None;
    let mut readings: Vec<Reading> = Vec::new();
    for (line, values) in rows {
        let line = *line;
        let cell = |i: usize| values.get(i).map(|v| v.trim()).unwrap_or("");
        if values.len() <= h.temperature.max(h.first) {
            return Err(refuse(
                line,
                None,
                format!(
                    "{} values where the header (line {}) has at least {}",
                    values.len(),
                    h.line,
                    h.temperature.max(h.first) + 1
                ),
            ));
        }
        let temp_text = cell(h.temperature);
        if temp_text.is_empty() {
            continue; // no reading at this time; a long silence shows as a gap
        }
        let raw = number(temp_text, semicolons).ok_or_else(|| {
            refuse(
                line,
                Some(h.temperature + 1),
                format!("{temp_text:?} is not a temperature"),
            )
        })?;
        let celsius = if h.fahrenheit {
            (raw - 32.0) * 5.0 / 9.0
        } else {
            raw
        };
        if !(PLAUSIBLE_C.0..=PLAUSIBLE_C.1).contains(&celsius) {
            return Err(refuse(
                line,
                Some(h.temperature + 1),
                format!(
                    "{temp_text} is outside {} to {} °C",
                    PLAUSIBLE_C.0, PLAUSIBLE_C.1
                ),
            ));
        }
        let at = match h.time {
            TimeColumns::UnixSeconds => {
                let text = cell(h.first);
                let secs = digits::<i64>(text.trim_start_matches('-'), 1..=12).map(|s| {
                    if text.starts_with('-') {
                        -s
                    } else {
                        s
                    }
                });
                secs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                    .ok_or_else(|| {
                        refuse(
                            line,
                            Some(h.first + 1),
                            format!("{text:?} is not Unix seconds"),
                        )
                    })?
            }
            TimeColumns::DateTime | TimeColumns::DateAndTime => {
                let (date_col, time_col, text) = match h.second {
                    Some(t) => (h.first, t, format!("{} {}", cell(h.first), cell(t))),
                    None => (h.first, h.first, cell(h.first).to_owned()),
                };
                let (local, zone) = split_zone(&text);
                let (d, t) = local.split_once(['T', ' ']).ok_or_else(|| {
                    refuse(line, Some(date_col + 1), format!("{text:?} has no time"))
                })?;
                let date =
                    parse_date(d.trim(), order).map_err(|m| refuse(line, Some(date_col + 1), m))?;
                let time = parse_time(t.trim()).map_err(|m| refuse(line, Some(time_col + 1), m))?;
                let offset = match zone {
                    Some(z) => parse_offset(z).ok_or_else(|| {
                        refuse(
                            line,
                            Some(time_col + 1),
                            format!("{z:?} is not an offset from UTC"),
                        )
                    })?,
                    None => {
                        let o = utc.or(file_offset).or(opts.offset).ok_or_else(|| {
                            refuse(
                                line,
                                Some(time_col + 1),
                                format!(
                                    "{text:?} has no time zone and the file names none: give the \
                                     logger's offset from UTC"
                                ),
                            )
                        })?;
                        offset_used = Some(o);
                        o
                    }
                };
                PrimitiveDateTime::new(date, time)
                    .assume_offset(offset)
                    .to_offset(UtcOffset::UTC)
            }
        };
        if let Some(prev) = readings.last() {
            if at <= prev.at {
                return Err(refuse(
                    line,
                    Some(h.first + 1),
                    format!(
                        "the time is not after line {}'s ({} UTC); readings must be in time order",
                        prev.line, prev.at
                    ),
                ));
            }
        }
        readings.push(Reading { at, celsius, line });
    }
    if readings.is_empty() {
        return Err(refuse(
            h.line,
            None,
            "the file has a header but no readings",
        ));
    }
    Ok(LoggerFile {
        time_columns: h.time,
        fahrenheit: h.fahrenheit,
        offset: offset_used,
        excursions: excursions(&readings, opts.limit_c),
        gaps: gaps(&readings, opts.max_gap),
        readings,
    })
}

/// The times above `limit_c`.
pub fn excursions(readings: &[Reading], limit_c: f64) -> Vec<Excursion> {
    let mut found = Vec::new();
    let mut open: Option<Excursion> = None;
    for r in readings {
        match open.as_mut() {
            Some(e) if r.celsius > limit_c => {
                if r.celsius > e.peak_c {
                    e.peak_c = r.celsius;
                    e.peak_at = r.at;
                }
                e.duration = r.at - e.start;
            }
            Some(e) => {
                e.end = Some(r.at);
                e.duration = r.at - e.start;
                found.extend(open.take());
            }
            None if r.celsius > limit_c => {
                open = Some(Excursion {
                    start: r.at,
                    end: None,
                    duration: Duration::ZERO,
                    peak_c: r.celsius,
                    peak_at: r.at,
                    line: r.line,
                });
            }
            None => {}
        }
    }
    found.extend(open);
    found
}

/// The silences longer than `max_gap`.
pub fn gaps(readings: &[Reading], max_gap: Duration) -> Vec<Gap> {
    readings
        .windows(2)
        .filter(|w| w[1].at - w[0].at > max_gap)
        .map(|w| Gap {
            from: w[0].at,
            to: w[1].at,
            line: w[1].line,
        })
        .collect()
}

#[cfg(test)]
mod tests;
