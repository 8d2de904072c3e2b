//! A JSON list (`ip -j ...` output) read element by element from a stream:
//! only the element being read is ever held as text, so a fixture's million
//! routes cost the routes kept, not the 70 MB of their text. The text of
//! each element is cut out of the stream by following nesting and strings
//! alone, then parsed from that slice with serde.
//!
//! Each element is bounded ([`Limits::element`]) and so is the whole list
//! ([`Limits::total`]); past either the read stops with a "too large"
//! error. The consumer of the elements can stop the read too, with a
//! reason of its own (a deadline).

use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::limits::{MAX_JSON_ELEMENT_BYTES, MAX_JSON_FILE_BYTES, size_text};
use crate::snapshot::{Reason, io_text};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most text one element may take.
    pub element: u64,
    /// The most text the whole list may take.
    pub total: u64,
    /// The most elements the list may have, and what they are (for the
    /// error): what is collected of each costs far more than its text.
    pub entries: Option<(usize, &'static str)>,
}

/// The limits of a fixture's `cmd/ip-*.json`.
pub const LIMITS: Limits = Limits {
    element: MAX_JSON_ELEMENT_BYTES,
    total: MAX_JSON_FILE_BYTES,
    entries: None,
};

impl Limits {
    /// These limits, with at most `max` elements, which are `what`.
    pub const fn entries(self, max: usize, what: &'static str) -> Limits {
        Limits {
            entries: Some((max, what)),
            ..self
        }
    }
}

/// Why a list could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    pub reason: Reason,
    /// The line of the file the read stopped at (1-based), where known.
    /// In an error that the consumer of an element returns, lines count
    /// from the element's first ([`read_elements`] makes them the file's).
    pub line: Option<usize>,
    pub message: String,
}

impl ListError {
    /// An element that could not be understood.
    pub fn malformed(message: impl Into<String>) -> ListError {
        ListError {
            reason: Reason::Malformed,
            line: None,
            message: message.into(),
        }
    }

    /// The element's number and what it is, before the message: `entry 3
    /// (10.0.0.0/8): unknown table "customers"`.
    pub fn entry(index: usize, what: &str, message: impl fmt::Display) -> ListError {
        ListError::malformed(format!("entry {index} ({what}): {message}"))
    }
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Cuts the text of a JSON list into the text of its elements, without
/// parsing them: only nesting and strings are followed. Each element is
/// then parsed from its own slice, which is far faster than parsing from
/// a reader byte by byte.
struct Splitter<R> {
    input: R,
    buf: Box<[u8]>,
    at: usize,
    filled: usize,
    limits: Limits,
    bytes: u64,
    line: usize,
    state: State,
    element: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the `[`.
    Start,
    /// After `[` or a `,`: an element (or, after `[`, the `]`) comes next.
    Next { first: bool },
    /// After the `]`: only white space may follow.
    End,
}

const BUFFER: usize = 64 * 1024;

impl<R: Read> Splitter<R> {
    fn error(&self, reason: Reason, message: impl Into<String>) -> ListError {
        ListError {
            reason,
            line: Some(self.line),
            message: message.into(),
        }
    }

    /// Makes sure there is unread input in the buffer; `false` at the end.
    fn fill(&mut self) -> Result<bool, ListError> {
        if self.at < self.filled {
            return Ok(true);
        }
        self.filled = self.input.read(&mut self.buf).map_err(|e| {
            let reason = Reason::from_io(&e);
            self.error(reason, io_text(&e))
        })?;
        self.at = 0;
        Ok(self.filled > 0)
    }

    /// Moves past `n` bytes of the buffer, counting them and their lines.
    fn consume(&mut self, n: usize) -> Result<(), ListError> {
        let taken = &self.buf[self.at..self.at + n];
        self.line += memchr::memchr_iter(b'\n', taken).count();
        self.at += n;
        self.bytes += n as u64;
        if self.bytes > self.limits.total {
            return Err(self.error(
                Reason::TooLarge,
                format!(
                    "the list takes more than {} (hostlint's limit): too large",
                    size_text(self.limits.total)
                ),
            ));
        }
        Ok(())
    }

    /// The next byte that is not white space, left unread; `None` at the
    /// end of the input.
    fn peek_non_space(&mut self) -> Result<Option<u8>, ListError> {
        while self.fill()? {
            let chunk = &self.buf[self.at..self.filled];
            match chunk
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(i) => {
                    let b = chunk[i];
                    self.consume(i)?;
                    return Ok(Some(b));
                }
                None => self.consume(chunk.len())?,
            }
        }
        Ok(None)
    }

    /// The next element's text and the line it starts on; `None` after the
    /// last.
    fn next(&mut self) -> Result<Option<(&[u8], usize)>, ListError> {
        loop {
            let b = self.peek_non_space()?;
            match (self.state, b) {
                (State::Start, Some(b'[')) => {
                    self.consume(1)?;
                    self.state = State::Next { first: true };
                }
                (State::Start, Some(_)) => {
                    return Err(self.error(Reason::Malformed, "expected a list"));
                }
                (State::Start, None) => {
                    return Err(self.error(Reason::Malformed, "empty: expected a list"));
                }
                (State::End, None) => return Ok(None),
                (State::End, Some(_)) => {
                    return Err(self.error(Reason::Malformed, "text after the list"));
                }
                (State::Next { .. }, None) => return Err(self.unclosed()),
                (State::Next { first: true }, Some(b']')) => {
                    self.consume(1)?;
                    self.state = State::End;
                }
                (State::Next { .. }, Some(_)) => {
                    let line = self.line;
                    let end = self.element()?;
                    // `ip` prints a name as the kernel holds it, UTF-8 or
                    // not: kept, with U+FFFD for what is not (the link is
                    // then unknown by name, the rest of the list read).
                    if std::str::from_utf8(&self.element).is_err() {
                        self.element = String::from_utf8_lossy(&self.element)
                            .into_owned()
                            .into_bytes();
                    }
                    self.state = if end == b']' {
                        State::End
                    } else {
                        State::Next { first: false }
                    };
                    return Ok(Some((&self.element, line)));
                }
            }
        }
    }

    /// Reads one element into `self.element`, up to the `,` or `]` after
    /// it (read too, and returned).
    fn element(&mut self) -> Result<u8, ListError> {
        self.element.clear();
        let mut depth: u32 = 0;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            if !self.fill()? {
                return Err(self.unclosed());
            }
            let chunk = &self.buf[self.at..self.filled];
            let mut end = None;
            let mut i = 0;
            while i < chunk.len() {
                if escaped {
                    escaped = false;
                    i += 1;
                    continue;
                }
                if in_string {
                    // Most of an element is inside strings: jump to the
                    // next quote or backslash.
                    match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                        Some(j) => {
                            i += j;
                            if chunk[i] == b'"' {
                                in_string = false;
                            } else {
                                escaped = true;
                            }
                            i += 1;
                        }
                        None => i = chunk.len(),
                    }
                    continue;
                }
                match chunk[i] {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b @ (b',' | b']') if depth == 0 => {
                        end = Some((i, b));
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
            let text = end.map_or(chunk.len(), |(i, _)| i);
            self.element.extend_from_slice(&chunk[..text]);
            self.consume(end.map_or(text, |(i, _)| i + 1))?;
            if self.element.len() as u64 > self.limits.element {
                return Err(self.error(
                    Reason::TooLarge,
                    format!(
                        "one entry takes more than {} (hostlint's limit): too large",
                        size_text(self.limits.element)
                    ),
                ));
            }
            if let Some((_, b)) = end {
                return Ok(b);
            }
        }
    }

    fn unclosed(&self) -> ListError {
        self.error(
            Reason::Malformed,
            "the list is not closed: the file ends early",
        )
    }
}

/// Reads the JSON list in `input`, handing each element to `each` with its
/// index, and returns how many there were. Text after the list is an
/// error, as is anything but a list.
pub fn read_list<T, R, F>(input: R, limits: Limits, mut each: F) -> Result<usize, ListError>
where
    T: DeserializeOwned,
    R: Read,
    F: FnMut(usize, T) -> Result<(), ListError>,
{
    read_elements(input, limits, |index, text| {
        each(index, parse_element(index, text)?)
    })
}

/// Reads the JSON list in `input` as [`read_list`] does, handing `each` the
/// text of every element (to parse with [`parse_element`], borrowing from
/// it).
pub fn read_elements<R, F>(input: R, limits: Limits, mut each: F) -> Result<usize, ListError>
where
    R: Read,
    F: FnMut(usize, &[u8]) -> Result<(), ListError>,
{
    let mut splitter = Splitter {
        input,
        buf: vec![0; BUFFER].into_boxed_slice(),
        at: 0,
        filled: 0,
        limits,
        bytes: 0,
        line: 1,
        state: State::Start,
        element: Vec::new(),
    };
    let mut index = 0;
    while let Some((text, line)) = splitter.next()? {
        if let Some((max, what)) = limits.entries
            && index >= max
        {
            return Err(ListError {
                reason: Reason::TooLarge,
                line: Some(line),
                message: format!(
                    "more than the {max} {what} hostlint reads of one list: too large"
                ),
            });
        }
        each(index, text).map_err(|mut e| {
            // Lines within the element, where known, count from its start.
            e.line = Some(line + e.line.map_or(0, |l| l.saturating_sub(1)));
            e
        })?;
        index += 1;
    }
    Ok(index)
}

/// One element of a list parsed: a parse error gives the line within the
/// element, which [`read_elements`] turns into the file's.
pub fn parse_element<'a, T: Deserialize<'a>>(index: usize, text: &'a [u8]) -> Result<T, ListError> {
    serde_json::from_slice(text).map_err(|e| ListError {
        reason: Reason::Malformed,
        line: Some(e.line()),
        // The line is the error's place; the parser's own is left out.
        message: format!("entry {index}: {}", super::json_message(&e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str, limits: Limits) -> Result<Vec<u32>, ListError> {
        let mut out = Vec::new();
        read_list(text.as_bytes(), limits, |_, n: u32| {
            out.push(n);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn elements_come_one_by_one_and_the_list_must_end() {
        assert_eq!(numbers("[1,\n2,\n3]\n", LIMITS).unwrap(), [1, 2, 3]);
        assert_eq!(numbers("[]", LIMITS).unwrap(), Vec::<u32>::new());
        let e = numbers("[1,\n2,\nx]", LIMITS).unwrap_err();
        assert_eq!((e.reason, e.line), (Reason::Malformed, Some(3)));
        let e = numbers("[1] [2]", LIMITS).unwrap_err();
        assert_eq!(e.reason, Reason::Malformed);
        assert!(numbers("{\"a\": 1}", LIMITS).is_err());
        for bad in ["[1,]", "[,1]", "[1", "[1,\n2", "", "[1 2]"] {
            assert_eq!(
                numbers(bad, LIMITS).unwrap_err().reason,
                Reason::Malformed,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn strings_and_nesting_do_not_end_an_element() {
        let text = r#" [ {"a": "x,]\"}", "b": [1, [2]]},
            {"a": "\\", "b": []} ] "#;
        let mut got = Vec::new();
        read_list(text.as_bytes(), LIMITS, |i, v: serde_json::Value| {
            got.push((i, v["a"].as_str().unwrap().to_owned()));
            Ok(())
        })
        .unwrap();
        assert_eq!(got, [(0, "x,]\"}".to_owned()), (1, "\\".to_owned())]);
        // An escape cut in two by the end of the read buffer.
        let long = format!("[\"{}\\\"\", 1]", "a".repeat(BUFFER - 3));
        assert_eq!(long.as_bytes()[BUFFER - 1], b'\\');
        let mut n = 0;
        read_list(long.as_bytes(), LIMITS, |i, v: serde_json::Value| {
            if i == 0 {
                assert!(v.as_str().unwrap().ends_with("a\""));
            }
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 2);
        // An error inside an element names the file's line, not the
        // element's.
        let e = read_list(
            "[{},\n{},\n{\"a\":\n nul}]".as_bytes(),
            LIMITS,
            |_, _: serde_json::Value| Ok(()),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.starts_with("entry 2: "), "{e}");
    }

    #[test]
    fn an_element_or_a_list_over_its_limit_is_too_large() {
        let small = Limits {
            element: 8,
            total: 64,
            entries: None,
        };
        assert_eq!(numbers("[1, 2, 3]", small).unwrap(), [1, 2, 3]);
        let e = numbers("[1, 22222222222]", small).unwrap_err();
        assert_eq!(e.reason, Reason::TooLarge);
        assert!(
            e.message.contains("one entry takes more than 8 bytes"),
            "{e}"
        );
        let long = format!("[{}]", vec!["1"; 40].join(","));
        let e = numbers(&long, small).unwrap_err();
        assert_eq!(e.reason, Reason::TooLarge);
        assert!(
            e.message.starts_with("the list takes more than 64 bytes"),
            "{e}"
        );
        let three = LIMITS.entries(3, "numbers");
        assert_eq!(numbers("[1, 2, 3]", three).unwrap(), [1, 2, 3]);
        let e = numbers("[1,\n2,\n3,\n4]", three).unwrap_err();
        assert_eq!((e.reason, e.line), (Reason::TooLarge, Some(4)));
        assert!(
            e.message
                .starts_with("more than the 3 numbers hostlint reads of one list"),
            "{e}"
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_kept_with_replacement_characters() {
        let mut names = Vec::new();
        read_list(
            &b"[{\"n\": \"eth\xff\"}, {\"n\": \"eth1\"}]"[..],
            LIMITS,
            |_, v: serde_json::Value| {
                names.push(v["n"].as_str().unwrap().to_owned());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(names, ["eth\u{fffd}", "eth1"]);
    }

    #[test]
    fn the_consumer_can_stop_the_read_with_its_own_reason() {
        let mut seen = 0;
        let e = read_list("[1,\n2,\n3]".as_bytes(), LIMITS, |i, _: u32| {
            seen += 1;
            if i == 1 {
                Err(ListError {
                    reason: Reason::Timeout,
                    line: None,
                    message: "stopped at the deadline".into(),
                })
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(seen, 2);
        assert_eq!(e.reason, Reason::Timeout);
        assert_eq!(e.line, Some(2));
        assert_eq!(e.to_string(), "line 2: stopped at the deadline");
    }
}
