//! Reading CSV text (RFC 4180) into records, each with the line it starts on: the one reader of
//! the files people bring (term lists, logger files, lab results). Pure; no input panics.

/// Why a CSV file could not be read: where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct CsvError {
    /// The line, from 1 (a line of the file; a quoted CSV value may span lines).
    pub line: usize,
    /// The column, from 1: the CSV column or the `$`-separated field.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

pub(crate) fn error(line: usize, column: usize, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        column,
        message: message.into(),
    }
}

/// One CSV record: its line and its values.
pub(crate) type Record = (usize, Vec<String>);

/// Splits CSV text (RFC 4180: `,` separated, `"` quoted with `""` for a quote, CRLF or LF line
/// ends, a leading byte order mark ignored) into records, skipping blank lines.
pub fn read_csv(text: &str) -> Result<Vec<Record>, CsvError> {
    read_delimited(text, ',')
}

/// [`read_csv`] with another separator (e.g. `;`, as spreadsheets write CSV where the decimal
/// separator is a comma).
pub fn read_delimited(text: &str, delimiter: char) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start_line = 1;
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err(error(
                    line,
                    fields.len() + 1,
                    "a quote inside an unquoted value (quote the whole value and double the quote)",
                ))
            }
            c if c == delimiter => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                if !(fields.len() == 1 && fields[0].trim().is_empty()) {
                    records.push((start_line, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                start_line = line;
            }
            _ if was_quoted => {
                if !c.is_whitespace() {
                    return Err(error(
                        line,
                        fields.len() + 1,
                        "text after the closing quote of a value",
                    ));
                }
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(error(
            start_line,
            fields.len() + 1,
            "a quoted value is not closed before the end of the file",
        ));
    }
    fields.push(field);
    if !(fields.len() == 1 && fields[0].trim().is_empty()) {
        records.push((start_line, fields));
    }
    Ok(records)
}
