//! The cursor: JSON tokens read from a byte buffer that may end in the middle of one (then
//! [`Fail::Incomplete`] asks for more), strings found eight bytes at a time.

use std::borrow::Cow;

pub(super) enum Fail {
    Incomplete,
    Syntax(usize, &'static str),
}

pub(super) type Parse<T> = Result<T, Fail>;

pub(super) struct Cursor<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

const MAX_DEPTH: usize = 128;

/// The first `"`, `\\` or control character, eight bytes at a time.
#[inline]
pub(super) fn find_string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A high bit set in each byte of `w` that is zero (exact for the lowest such byte).
    let zero_bytes = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        let found = zero_bytes(w ^ (ONES * u64::from(b'"')))
            | zero_bytes(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|n| offset + n)
}

impl<'a> Cursor<'a> {
    pub(super) fn peek(&self) -> Parse<u8> {
        self.bytes.get(self.pos).copied().ok_or(Fail::Incomplete)
    }

    #[inline(always)]
    pub(super) fn skip_ws(&mut self) {
        // Most calls find no whitespace at all.
        if matches!(self.bytes.get(self.pos), Some(b) if *b > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    pub(super) fn fail<T>(&self, expected: &'static str) -> Parse<T> {
        Err(Fail::Syntax(self.pos, expected))
    }

    pub(super) fn expect(&mut self, byte: u8, expected: &'static str) -> Parse<()> {
        if self.peek()? == byte {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(expected)
        }
    }

    /// A string's bytes, escapes decoded, the cursor on its opening quote.
    #[inline(always)]
    pub(super) fn raw_string(&mut self) -> Parse<Cow<'a, [u8]>> {
        let bytes = self.bytes;
        match bytes.get(self.pos) {
            Some(b'"') => {}
            Some(_) => return self.fail("a string"),
            None => return Err(Fail::Incomplete),
        }
        let start = self.pos + 1;
        let rest = &bytes[start..];
        match find_string_end(rest) {
            Some(n) if rest[n] == b'"' => {
                self.pos = start + n + 1;
                Ok(Cow::Borrowed(&rest[..n]))
            }
            Some(n) if rest[n] == b'\\' => {
                self.pos = start + n;
                self.escaped_string(start).map(Cow::Owned)
            }
            Some(n) => {
                self.pos = start + n;
                self.fail("no control character in a string")
            }
            None => Err(Fail::Incomplete),
        }
    }

    /// A string as text.
    pub(super) fn string(&mut self) -> Parse<Cow<'a, str>> {
        let start = self.pos;
        match self.raw_string()? {
            Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed),
            Cow::Owned(v) => String::from_utf8(v)
                .map(Cow::Owned)
                .map_err(|e| e.utf8_error()),
        }
        .map_err(|_| Fail::Syntax(start, "UTF-8 text"))
    }

    fn escaped_string(&mut self, start: usize) -> Parse<Vec<u8>> {
        let mut out: Vec<u8> = self.bytes[start..self.pos].to_vec();
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let c = match self.peek()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.pos += 1;
                            let unit = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&unit) {
                                self.expect(b'\\', "a low surrogate")?;
                                self.expect(b'u', "a low surrogate")?;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return self.fail("a low surrogate");
                                }
                                0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                unit
                            };
                            let c = char::from_u32(c)
                                .ok_or(Fail::Syntax(self.pos, "a valid \\u escape"))?;
                            let mut buf = [0; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return self.fail("a valid escape"),
                    };
                    self.pos += 1;
                    out.push(c as u8);
                }
                0..=0x1f => return self.fail("no control character in a string"),
                b => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Parse<u32> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = (self.peek()? as char)
                .to_digit(16)
                .ok_or(Fail::Syntax(self.pos, "four hex digits"))?;
            value = value * 16 + digit;
            self.pos += 1;
        }
        Ok(value)
    }

    /// A number, returned as written.
    pub(super) fn number(&mut self) -> Parse<&'a str> {
        let start = self.pos;
        if self.peek()? == b'-' {
            self.pos += 1;
        }
        self.digits()?;
        if self.peek()? == b'.' {
            self.pos += 1;
            self.digits()?;
        }
        if let b'e' | b'E' = self.peek()? {
            self.pos += 1;
            if let b'+' | b'-' = self.peek()? {
                self.pos += 1;
            }
            self.digits()?;
        }
        // The bytes are ASCII digits and signs.
        Ok(std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default())
    }

    fn digits(&mut self) -> Parse<()> {
        let start = self.pos;
        while self.peek()?.is_ascii_digit() {
            self.pos += 1;
        }
        if self.pos == start {
            return self.fail("a digit");
        }
        Ok(())
    }

    pub(super) fn literal(&mut self, word: &'static [u8]) -> Parse<()> {
        for b in word {
            if self.peek()? != *b {
                return self.fail("true, false or null");
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// Any value, checked and skipped, without recursion.
    pub(super) fn skip_value(&mut self) -> Parse<()> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                b'{' | b'[' => {
                    let close = if self.peek()? == b'{' { b'}' } else { b']' };
                    if open.len() == MAX_DEPTH {
                        return self.fail("less deeply nested values");
                    }
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek()? == close {
                        self.pos += 1;
                    } else {
                        open.push(close);
                        if close == b'}' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.raw_string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                _ => return self.fail("a value"),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                self.skip_ws();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        if close == b'}' {
                            self.skip_ws();
                            self.member_key()?;
                        }
                        break;
                    }
                    b if b == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => {
                        return self.fail(if close == b'}' {
                            "',' or '}'"
                        } else {
                            "',' or ']'"
                        })
                    }
                }
            }
        }
    }

    /// `"key" :` inside an object being skipped.
    fn member_key(&mut self) -> Parse<()> {
        self.raw_string()?;
        self.skip_ws();
        self.expect(b':', "':'")
    }
}
