//! Text laid out to a width, for every table hostlint prints. Cells wrap
//! only between tokens (at spaces, and after a comma or a semicolon), so an
//! address, a name, an id or a number is never cut; a table that does not
//! fit folds its least important columns into a line under each row, and
//! free text (what was expected, observed, what to do) always goes on
//! indented lines of its own. Colour is applied after the layout: escape
//! sequences never count towards the width, and the width is counted in
//! characters. Every step is linear in the size of the text.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::ops::Range;

use super::escape_controls;

/// The width when neither the terminal nor `COLUMNS` gives one: what a
/// mail reader or a CI log shows without wrapping.
pub const DEFAULT_WIDTH: usize = 100;

/// Narrower than this, a table of names and addresses cannot be read at
/// all: a smaller terminal or `COLUMNS` is taken as this.
pub const MIN_WIDTH: usize = 40;

/// Spaces between two columns.
const GAP: usize = 2;

/// Detail lines under a row start at most this far in.
const MAX_DETAIL_INDENT: usize = 16;

/// When to colour: `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// What the program's surroundings say about colour and width.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    /// The report goes to standard output and that is a terminal.
    pub terminal: bool,
    /// The terminal's own width, when it says.
    pub terminal_columns: Option<u16>,
    /// `COLUMNS`, as set.
    pub columns: Option<String>,
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// `TERM`, as set.
    pub term: Option<String>,
}

/// How to draw: colour or not, and the width no line may exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Plain text of the default width: files, pipes, tests.
    pub const PLAIN: Style = Style {
        color: false,
        width: DEFAULT_WIDTH,
    };

    /// Colour when asked for, or (`auto`) on a terminal that can show it
    /// unless `NO_COLOR` says otherwise; the width is the terminal's, else
    /// `COLUMNS`, else [`DEFAULT_WIDTH`], and never below [`MIN_WIDTH`].
    pub fn choose(color: ColorChoice, s: &Surroundings) -> Style {
        let dumb = s
            .term
            .as_deref()
            .is_none_or(|t| t.is_empty() || t == "dumb");
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => s.terminal && !s.no_color && !dumb,
        };
        let from_terminal = s
            .terminal_columns
            .filter(|_| s.terminal)
            .map(usize::from)
            .filter(|w| *w > 0);
        let from_env = s
            .columns
            .as_deref()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w > 0);
        let width = from_terminal
            .or(from_env)
            .unwrap_or(DEFAULT_WIDTH)
            .max(MIN_WIDTH);
        Style { color, width }
    }
}

/// A colour (an SGR parameter string), applied only when the style has
/// colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint(&'static str);

impl Paint {
    pub const GOOD: Paint = Paint("32");
    pub const BAD: Paint = Paint("31");
    pub const WARN: Paint = Paint("33");
    pub const UNKNOWN: Paint = Paint("35");
    pub const QUIET: Paint = Paint("90");
    pub const HEADING: Paint = Paint("1");
    pub const VERDICT_OK: Paint = Paint("1;32");
    pub const VERDICT_WARNING: Paint = Paint("1;33");
    pub const VERDICT_CRITICAL: Paint = Paint("1;31");
    pub const VERDICT_UNKNOWN: Paint = Paint("1;35");
}

/// Text with parts of it painted. Control characters other than a newline
/// are shown escaped: the text comes from the host (an interface name may
/// hold an ESC byte) and must not drive the terminal or throw the layout.
/// A newline separates lines that are laid out one by one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    text: String,
    /// Byte ranges of `text`, in order and not overlapping.
    paints: Vec<(Range<usize>, Paint)>,
}

impl Cell {
    pub fn new(text: impl fmt::Display) -> Cell {
        let mut c = Cell::default();
        c.push(&text.to_string(), None);
        c
    }

    /// The whole text in one colour.
    pub fn paint(mut self, paint: Paint) -> Cell {
        self.paints = vec![(0..self.text.len(), paint)];
        self
    }

    /// The whole text in a colour, or plain.
    pub fn paint_if(self, paint: Option<Paint>) -> Cell {
        match paint {
            Some(p) => self.paint(p),
            None => self,
        }
    }

    /// Appends text, painted or not.
    pub fn push(&mut self, text: &str, paint: Option<Paint>) {
        let safe = escape_controls(text, |c| c == '\n');
        let start = self.text.len();
        self.text.push_str(&safe);
        if let Some(p) = paint
            && !safe.is_empty()
        {
            self.paints.push((start..self.text.len(), p));
        }
    }

    fn is_blank(&self) -> bool {
        self.text.trim().is_empty() || self.text == "-"
    }

    /// The text with every newline turned into `sep`, paints kept (a
    /// multi-line cell folded into one line of a detail).
    fn joined(&self, sep: &str) -> Cell {
        if !self.text.contains('\n') {
            return self.clone();
        }
        let mut out = Cell::default();
        let mut at = 0;
        let mut paints = self.paints.iter().peekable();
        for (i, line) in self.text.split('\n').enumerate() {
            if i > 0 {
                out.text.push_str(sep);
            }
            let base = out.text.len();
            out.text.push_str(line);
            let end = at + line.len();
            while let Some((r, p)) = paints.peek() {
                if r.start >= end {
                    break;
                }
                let (s, e) = (r.start.max(at), r.end.min(end));
                if s < e {
                    out.paints.push((base + s - at..base + e - at, *p));
                }
                if r.end <= end {
                    paints.next();
                } else {
                    break;
                }
            }
            at = end + 1;
        }
        out
    }

    /// Writes `range` of the text, painted where it is and the style has
    /// colour.
    fn write(&self, range: Range<usize>, color: bool, out: &mut String) {
        if !color || self.paints.is_empty() {
            out.push_str(&self.text[range]);
            return;
        }
        let mut at = range.start;
        for (r, p) in &self.paints {
            let (s, e) = (r.start.max(range.start), r.end.min(range.end));
            if s >= e {
                continue;
            }
            out.push_str(&self.text[at..s]);
            let _ = write!(out, "\x1b[{}m{}\x1b[0m", p.0, &self.text[s..e]);
            at = e;
        }
        out.push_str(&self.text[at..range.end]);
    }
}

impl<T: fmt::Display> From<T> for Cell {
    fn from(t: T) -> Cell {
        Cell::new(t)
    }
}

/// A piece of a line between two places where it may break.
#[derive(Debug, Clone, Copy)]
struct Atom {
    /// Byte range in the text.
    start: usize,
    end: usize,
    /// The same in characters, counted from the start of the line.
    char_start: usize,
    char_end: usize,
}

/// The pieces of one line (no newline in it): runs of text between spaces,
/// cut again after each comma or semicolon. Leading spaces stay with the
/// first piece: they are an indent. The spaces between two pieces are
/// dropped where a line breaks.
fn atoms(text: &str, base: usize, out: &mut Vec<Atom>) {
    out.clear();
    let mut chars = 0;
    let mut start: Option<(usize, usize)> = None;
    let mut leading = true;
    for (i, c) in text.char_indices() {
        if c == ' ' && !leading {
            if let Some((s, cs)) = start.take() {
                out.push(Atom {
                    start: base + s,
                    end: base + i,
                    char_start: cs,
                    char_end: chars,
                });
            }
        } else {
            if c != ' ' {
                leading = false;
            }
            if start.is_none() {
                start = Some((i, chars));
            }
            if c == ',' || c == ';' {
                let (s, cs) = start.take().unwrap_or((i, chars));
                out.push(Atom {
                    start: base + s,
                    end: base + i + c.len_utf8(),
                    char_start: cs,
                    char_end: chars + 1,
                });
            }
        }
        chars += 1;
    }
    if let Some((s, cs)) = start {
        out.push(Atom {
            start: base + s,
            end: base + text.len(),
            char_start: cs,
            char_end: chars,
        });
    }
}

/// Splits the text into lines, the first at most `first` characters wide
/// and the others `rest`, breaking only where [`atoms`] may; a piece longer
/// than a whole line, and only such a piece, is cut where the line ends.
/// Returns byte ranges with their width in characters. An empty text is
/// one empty line.
fn wrap(text: &str, first: usize, rest: usize, out: &mut Vec<(Range<usize>, usize)>) {
    out.clear();
    // Most cells are one short line: no pieces to find.
    if !text.contains('\n') {
        let chars = text.chars().count();
        if chars <= first.max(1) && !text.ends_with(' ') {
            out.push((0..text.len(), chars));
            return;
        }
    }
    let room = |out: &Vec<(Range<usize>, usize)>| if out.is_empty() { first } else { rest }.max(1);
    let mut pieces = Vec::new();
    let mut base = 0;
    for line in text.split('\n') {
        atoms(line, base, &mut pieces);
        if pieces.is_empty() {
            out.push((base..base, 0));
        }
        // The line being filled: its start (bytes, characters) and end.
        let mut current: Option<(usize, usize, usize, usize)> = None;
        for a in &pieces {
            if let Some((s, cs, _, _)) = current
                && a.char_end - cs <= room(out)
            {
                current = Some((s, cs, a.end, a.char_end));
                continue;
            }
            if let Some((s, cs, e, ce)) = current.take() {
                out.push((s..e, ce - cs));
            }
            if a.char_end - a.char_start <= room(out) {
                current = Some((a.start, a.char_start, a.end, a.char_end));
                continue;
            }
            // Longer than a line: cut where each line ends, the last part
            // left open for what follows.
            let mut cut_start = a.start;
            let mut n = 0;
            for (i, _) in text[a.start..a.end].char_indices() {
                if n == room(out) {
                    out.push((cut_start..a.start + i, n));
                    cut_start = a.start + i;
                    n = 0;
                }
                n += 1;
            }
            current = Some((cut_start, a.char_end - n, a.end, a.char_end));
        }
        if let Some((s, cs, e, ce)) = current {
            out.push((s..e, ce - cs));
        }
        base += line.len() + 1;
    }
}

/// The widest line and the widest piece that cannot be broken, in
/// characters: the pieces of [`atoms`], counted in one pass.
fn measure(text: &str) -> (usize, usize) {
    let (mut natural, mut min) = (0, 0);
    // The current line's width up to its last piece, and the piece being
    // read.
    let (mut line, mut piece, mut at) = (0, 0, 0);
    let mut leading = true;
    for c in text.chars() {
        if c == '\n' {
            natural = natural.max(line);
            (line, piece, at, leading) = (0, 0, 0, true);
            continue;
        }
        at += 1;
        if c == ' ' && !leading {
            piece = 0;
            continue;
        }
        if c != ' ' {
            leading = false;
        }
        piece += 1;
        min = min.max(piece);
        line = at;
        if c == ',' || c == ';' {
            piece = 0;
        }
    }
    (natural.max(line), min)
}

/// Writes text wrapped to the width, every line indented by `indent`.
pub fn paragraph(out: &mut String, cell: &Cell, indent: usize, style: &Style) {
    let room = style.width.saturating_sub(indent);
    lines_of(out, cell, (indent, room), (indent, room), style);
}

/// Writes text wrapped to the width, the lines after the first indented
/// by `hang`.
pub fn hanging(out: &mut String, cell: &Cell, hang: usize, style: &Style) {
    let w = style.width;
    lines_of(out, cell, (0, w), (hang, w.saturating_sub(hang)), style);
}

/// Writes text wrapped: the first line after `first.0` spaces and at most
/// `first.1` characters, the others likewise by `rest`.
fn lines_of(
    out: &mut String,
    cell: &Cell,
    first: (usize, usize),
    rest: (usize, usize),
    style: &Style,
) {
    let mut lines = Vec::new();
    wrap(&cell.text, first.1, rest.1, &mut lines);
    for (n, (r, _)) in lines.into_iter().enumerate() {
        pad(out, if n == 0 { first.0 } else { rest.0 });
        cell.write(r, style.color, out);
        out.push('\n');
    }
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A table: a header row, then rows of cells, each row optionally with
/// detail lines under it. Rendered to the style's width.
pub struct Table {
    style: Style,
    headers: Vec<Cell>,
    /// Columns that may move into a row's detail lines when the table is
    /// too wide, in the order they go.
    fold_order: Vec<usize>,
    rows: Vec<Row>,
}

struct Row {
    cells: Vec<Cell>,
    /// Labelled free text under the row.
    details: Vec<(&'static str, Cell)>,
}

/// How a table ended up laid out.
struct Layout {
    /// Columns kept, with their widths.
    widths: Vec<Option<usize>>,
    /// Where detail lines start.
    indent: usize,
    /// No arrangement of columns fits: each row is a list of labelled
    /// values.
    records: bool,
}

impl Table {
    pub fn new(style: &Style, headers: &[&str]) -> Table {
        Table {
            style: *style,
            headers: headers
                .iter()
                .map(|h| Cell::new(h).paint(Paint::HEADING))
                .collect(),
            fold_order: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Lets these columns (by header) move into detail lines when the
    /// table does not fit, the first named first.
    pub fn fold(mut self, headers: &[&str]) -> Table {
        for h in headers {
            let i = self
                .headers
                .iter()
                .position(|c| c.text == *h)
                .unwrap_or_else(|| panic!("no column {h} to fold"));
            self.fold_order.push(i);
        }
        self
    }

    /// Adds a row; missing cells are empty, extra cells are dropped.
    pub fn add_row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) {
        let mut cells: Vec<Cell> = cells.into_iter().map(Into::into).collect();
        cells.resize(self.headers.len(), Cell::default());
        self.rows.push(Row {
            cells,
            details: Vec::new(),
        });
    }

    /// Adds free text under the last row, after a label. Empty text adds
    /// nothing.
    pub fn add_detail(&mut self, label: &'static str, text: Cell) {
        if text.text.is_empty() {
            return;
        }
        if let Some(row) = self.rows.last_mut() {
            row.details.push((label, text));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn layout(&self) -> Layout {
        let n = self.headers.len();
        let mut natural = vec![0; n];
        let mut min = vec![0; n];
        for cells in std::iter::once(&self.headers).chain(self.rows.iter().map(|r| &r.cells)) {
            for (i, c) in cells.iter().enumerate() {
                let (nat, m) = measure(&c.text);
                natural[i] = natural[i].max(nat);
                min[i] = min[i].max(m);
            }
        }
        // Fold columns, in their order, until the rest fit without wrapping
        // a cell; when even all folded that cannot be, wrap the columns
        // left between their tokens; when not even that fits, each row
        // becomes a list of values.
        let width = self.style.width;
        // A column that may fold and is empty in every row would show a
        // header over nothing (a link alias no interface has).
        let mut kept: Vec<bool> = (0..n)
            .map(|i| {
                !self.fold_order.contains(&i)
                    || self.rows.iter().any(|r| !r.cells[i].text.is_empty())
            })
            .collect();
        let sum = |kept: &[bool], v: &[usize]| {
            let cols = kept.iter().filter(|k| **k).count();
            (0..n).filter(|i| kept[*i]).map(|i| v[i]).sum::<usize>() + GAP * cols.saturating_sub(1)
        };
        let mut folds = self.fold_order.iter();
        while sum(&kept, &natural) > width {
            match folds.next() {
                Some(i) => kept[*i] = false,
                None => break,
            }
        }
        let widths = if sum(&kept, &natural) <= width {
            natural
        } else if sum(&kept, &min) <= width {
            let cols: Vec<usize> = (0..n).filter(|i| kept[*i]).collect();
            let gaps = GAP * cols.len().saturating_sub(1);
            share(&cols, &natural, &min, width - gaps)
        } else {
            return Layout {
                widths: vec![None; n],
                indent: GAP,
                records: true,
            };
        };
        let widths: Vec<Option<usize>> = (0..n).map(|i| kept[i].then_some(widths[i])).collect();
        // Detail lines start under the second column, or a little short of
        // it when the first is wide: the rest of the line is theirs.
        let first = widths.iter().flatten().next().copied().unwrap_or(0);
        let indent = (first + GAP).min(MAX_DETAIL_INDENT);
        Layout {
            widths,
            indent,
            records: false,
        }
    }

    pub fn render(&self, out: &mut String) {
        let layout = self.layout();
        let label_width = self
            .rows
            .iter()
            .flat_map(|r| &r.details)
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        if layout.records {
            for row in &self.rows {
                self.record(out, row, label_width);
            }
            return;
        }
        let mut lines = Vec::new();
        self.row_lines(out, &self.headers, &layout, &mut lines);
        for row in &self.rows {
            self.row_lines(out, &row.cells, &layout, &mut lines);
            let folded: Vec<(&str, Cell)> = layout
                .widths
                .iter()
                .enumerate()
                .filter(|(i, w)| w.is_none() && !row.cells[*i].is_blank())
                .map(|(i, _)| (self.headers[i].text.as_str(), row.cells[i].joined(", ")))
                .collect();
            if !folded.is_empty() {
                items(out, &folded, layout.indent, &self.style);
            }
            for (label, text) in &row.details {
                detail(out, label, label_width, text, layout.indent, &self.style);
            }
        }
    }

    /// One row (or the header) in columns, as many lines high as its
    /// tallest cell.
    fn row_lines(
        &self,
        out: &mut String,
        cells: &[Cell],
        layout: &Layout,
        lines: &mut Vec<Vec<(Range<usize>, usize)>>,
    ) {
        lines.resize_with(cells.len(), Vec::new);
        let mut height = 0;
        for (i, c) in cells.iter().enumerate() {
            lines[i].clear();
            if let Some(w) = layout.widths[i] {
                wrap(&c.text, w, w, &mut lines[i]);
            }
            height = height.max(lines[i].len());
        }
        let last = layout.widths.iter().rposition(Option::is_some);
        for y in 0..height {
            // Spaces are owed until something follows them: a line never
            // ends in padding.
            let mut owed = 0;
            for (i, c) in cells.iter().enumerate() {
                let Some(w) = layout.widths[i] else {
                    continue;
                };
                if let Some((r, chars)) = lines[i].get(y)
                    && !r.is_empty()
                {
                    pad(out, owed);
                    c.write(r.clone(), self.style.color, out);
                    owed = w - chars;
                } else {
                    owed += w;
                }
                if Some(i) != last {
                    owed += GAP;
                }
            }
            out.push('\n');
        }
    }

    /// A row when no arrangement of columns fits: its first cell, then
    /// every other value and detail under it.
    fn record(&self, out: &mut String, row: &Row, label_width: usize) {
        let style = &self.style;
        if let Some(first) = row.cells.first() {
            paragraph(out, &first.joined(", "), 0, style);
        }
        let values: Vec<(&str, Cell)> = row
            .cells
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, c)| !c.is_blank())
            .map(|(i, c)| (self.headers[i].text.as_str(), c.joined(", ")))
            .collect();
        items(out, &values, GAP, style);
        for (label, text) in &row.details {
            detail(out, label, label_width, text, GAP, style);
        }
    }
}

/// Column widths between each column's minimum and its natural width,
/// adding up to at most `room`: as many columns as can get all they need do,
/// those that need least first (every column spared a wrap is a line
/// saved), and the others share the rest equally.
fn share(cols: &[usize], natural: &[usize], min: &[usize], room: usize) -> Vec<usize> {
    let mut widths = min.to_vec();
    let mut left = room - cols.iter().map(|i| min[*i]).sum::<usize>();
    let mut wanting: Vec<usize> = cols
        .iter()
        .copied()
        .filter(|i| natural[*i] > min[*i])
        .collect();
    wanting.sort_by_key(|i| natural[*i] - min[*i]);
    let satisfied = wanting
        .iter()
        .take_while(|i| {
            let need = natural[**i] - min[**i];
            let fits = need <= left;
            if fits {
                left -= need;
            }
            fits
        })
        .count();
    for i in &wanting[..satisfied] {
        widths[*i] = natural[*i];
    }
    let rest = &wanting[satisfied..];
    for (k, i) in rest.iter().enumerate() {
        let give = left / (rest.len() - k);
        widths[*i] += give;
        left -= give;
    }
    widths
}

/// Labelled values packed into lines from `indent`, three spaces between
/// two values; a value too long for what is left of a line starts the
/// next, and one too long for any line wraps on its own, under its value.
fn items(out: &mut String, values: &[(&str, Cell)], indent: usize, style: &Style) {
    let room = style.width.saturating_sub(indent);
    let mut line = String::new();
    let mut used = 0;
    let flush = |out: &mut String, line: &mut String, used: &mut usize| {
        if *used > 0 {
            pad(out, indent);
            out.push_str(line);
            out.push('\n');
            line.clear();
            *used = 0;
        }
    };
    for (label, value) in values {
        let label = label.to_lowercase();
        let mut item = Cell::default();
        item.push(&label, style.color.then_some(Paint::QUIET));
        item.push(" ", None);
        let at = item.text.len();
        item.text.push_str(&value.text);
        item.paints.extend(
            value
                .paints
                .iter()
                .map(|(r, p)| (r.start + at..r.end + at, *p)),
        );
        let len = item.text.chars().count();
        if used > 0 && used + 3 + len <= room {
            line.push_str("   ");
            item.write(0..item.text.len(), style.color, &mut line);
            used += 3 + len;
            continue;
        }
        flush(out, &mut line, &mut used);
        if len <= room {
            item.write(0..item.text.len(), style.color, &mut line);
            used = len;
        } else {
            // Under the label, not the value: a long value is usually one
            // long token, and this leaves it the most room.
            let hang = hang_for(&item, &[indent + GAP, indent, GAP], style.width);
            let rest = style.width.saturating_sub(hang);
            lines_of(out, &item, (indent, room), (hang, rest), style);
        }
    }
    flush(out, &mut line, &mut used);
}

/// A detail line: its label padded to the table's widest, then the text,
/// its continuation lines aligned under the text.
fn detail(
    out: &mut String,
    label: &str,
    label_width: usize,
    text: &Cell,
    indent: usize,
    style: &Style,
) {
    let mut head = Cell::default();
    head.push(label, style.color.then_some(Paint::QUIET));
    pad(&mut head.text, label_width - label.chars().count() + 1);
    let at = head.text.len();
    head.text.push_str(&text.text);
    head.paints.extend(
        text.paints
            .iter()
            .map(|(r, p)| (r.start + at..r.end + at, *p)),
    );
    let hang = hang_for(
        text,
        &[indent + label_width + 1, indent + GAP, GAP],
        style.width,
    );
    let room = style.width.saturating_sub(indent);
    lines_of(
        out,
        &head,
        (indent, room),
        (hang, style.width.saturating_sub(hang)),
        style,
    );
}

/// The first of the indents, deepest first, at which the text's longest
/// token still fits on a line: a deep indent reads better, but not at the
/// price of cutting a token. The last when none does.
fn hang_for(text: &Cell, indents: &[usize], width: usize) -> usize {
    let longest = measure(&text.text).1;
    indents
        .iter()
        .copied()
        .find(|i| i + longest <= width)
        .unwrap_or(indents[indents.len() - 1])
}
/// Numbered footnotes for values that could not be shown: the same text is
/// numbered once, however often it is marked, looked up in constant time.
#[derive(Default)]
pub struct Footnotes {
    lines: Vec<String>,
    index: HashMap<String, usize>,
}

impl Footnotes {
    /// The number of this footnote, added if new.
    pub fn number(&mut self, line: String) -> usize {
        if let Some(n) = self.index.get(&line) {
            return *n;
        }
        self.lines.push(line.clone());
        let n = self.lines.len();
        self.index.insert(line, n);
        n
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// `[n] text` for each, wrapped to the width under their text.
    pub fn render(&self, out: &mut String, style: &Style) {
        for (i, l) in self.lines.iter().enumerate() {
            let mark = format!("[{}] ", i + 1);
            let mut cell = Cell::new(&mark);
            cell.push(l, None);
            hanging(out, &cell, mark.len(), style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, first: usize, rest: usize) -> Vec<&str> {
        let mut out = Vec::new();
        wrap(text, first, rest, &mut out);
        out.into_iter().map(|(r, _)| &text[r]).collect()
    }

    #[test]
    fn wrapping_breaks_at_spaces_commas_and_semicolons_only() {
        assert_eq!(
            lines("egress eno1 speed 1000 Mb/s; onboard true", 20, 20),
            ["egress eno1 speed", "1000 Mb/s; onboard", "true"]
        );
        assert_eq!(
            lines("rw,nosuid,nodev,relatime", 10, 10),
            ["rw,nosuid,", "nodev,", "relatime"]
        );
        // Addresses, ids and numbers stay whole even when a line could
        // hold part of them.
        assert_eq!(
            lines("via fe80::3eec:efff:fe10:2001 dev eno1", 26, 26),
            ["via", "fe80::3eec:efff:fe10:2001", "dev eno1"]
        );
        assert_eq!(lines("", 5, 5), [""]);
        assert_eq!(lines("a\n\nb", 5, 5), ["a", "", "b"]);
        // The first line may be wider than the rest (a hanging indent).
        assert_eq!(lines("aaa bbb ccc ddd", 7, 3), ["aaa bbb", "ccc", "ddd"]);
    }

    #[test]
    fn only_a_token_longer_than_a_line_is_cut() {
        assert_eq!(lines("ab abcdefgh c", 4, 4), ["ab", "abcd", "efgh", "c"]);
        assert_eq!(lines("abcdefg h", 3, 3), ["abc", "def", "g h"]);
        // Characters, not bytes.
        assert_eq!(lines("ééééé", 2, 2), ["éé", "éé", "é"]);
    }

    #[test]
    fn an_indent_at_the_start_of_a_cell_is_kept() {
        assert_eq!(lines("  enp65s0f0", 20, 20), ["  enp65s0f0"]);
        assert_eq!(measure("  enp65s0f0"), (11, 11));
        assert_eq!(measure("a bb,ccc;  dddd \n eeeee"), (15, 6));
    }

    fn surroundings() -> Surroundings {
        Surroundings {
            terminal: true,
            terminal_columns: Some(120),
            columns: Some("90".into()),
            no_color: false,
            term: Some("xterm-256color".into()),
        }
    }

    #[test]
    fn width_is_the_terminals_else_columns_else_the_default() {
        let s = surroundings();
        assert_eq!(Style::choose(ColorChoice::Auto, &s).width, 120);
        let piped = Surroundings {
            terminal: false,
            ..s.clone()
        };
        assert_eq!(Style::choose(ColorChoice::Auto, &piped).width, 90);
        let bare = Surroundings {
            columns: None,
            ..piped.clone()
        };
        assert_eq!(Style::choose(ColorChoice::Auto, &bare).width, DEFAULT_WIDTH);
        for junk in ["", "wide", "0", "-5"] {
            let s = Surroundings {
                columns: Some(junk.into()),
                ..piped.clone()
            };
            assert_eq!(
                Style::choose(ColorChoice::Auto, &s).width,
                DEFAULT_WIDTH,
                "{junk:?}"
            );
        }
        let tiny = Surroundings {
            columns: Some("12".into()),
            ..piped
        };
        assert_eq!(Style::choose(ColorChoice::Auto, &tiny).width, MIN_WIDTH);
    }

    #[test]
    fn colour_on_a_terminal_unless_no_color_or_a_dumb_terminal() {
        let s = surroundings();
        let color = |c, s: &Surroundings| Style::choose(c, s).color;
        assert!(color(ColorChoice::Auto, &s));
        assert!(!color(ColorChoice::Never, &s));
        let piped = Surroundings {
            terminal: false,
            ..s.clone()
        };
        assert!(!color(ColorChoice::Auto, &piped));
        assert!(color(ColorChoice::Always, &piped));
        let no_color = Surroundings {
            no_color: true,
            ..s.clone()
        };
        assert!(!color(ColorChoice::Auto, &no_color));
        assert!(color(ColorChoice::Always, &no_color));
        for term in [Some("dumb"), Some(""), None] {
            let s = Surroundings {
                term: term.map(str::to_owned),
                ..s.clone()
            };
            assert!(!color(ColorChoice::Auto, &s), "TERM={term:?}");
        }
    }

    fn style(width: usize) -> Style {
        Style {
            color: false,
            width,
        }
    }

    fn sample(width: usize) -> String {
        let mut t = Table::new(
            &style(width),
            &["LINK", "STATE", "SPEED", "MTU", "ADDRESSES"],
        )
        .fold(&["ADDRESSES", "MTU"]);
        t.add_row([
            "eno1",
            "up",
            "1G",
            "1500",
            "192.0.2.10/24\nfe80::3eec:ef/64",
        ]);
        t.add_row(["enp65s0f0", "down no-carrier", "?[1]", "9000", ""]);
        t.render_string()
    }

    impl Table {
        fn render_string(&self) -> String {
            let mut out = String::new();
            self.render(&mut out);
            out
        }
    }

    #[test]
    fn a_table_that_fits_is_drawn_whole() {
        assert_eq!(
            sample(80),
            "\
LINK       STATE            SPEED  MTU   ADDRESSES
eno1       up               1G     1500  192.0.2.10/24
                                         fe80::3eec:ef/64
enp65s0f0  down no-carrier  ?[1]   9000
"
        );
    }

    #[test]
    fn columns_fold_into_a_line_under_the_row_in_their_order() {
        assert_eq!(
            sample(50),
            "\
LINK       STATE            SPEED  MTU
eno1       up               1G     1500
           addresses 192.0.2.10/24,
             fe80::3eec:ef/64
enp65s0f0  down no-carrier  ?[1]   9000
"
        );
        assert_eq!(
            sample(38),
            "\
LINK       STATE            SPEED
eno1       up               1G
           mtu 1500
           addresses 192.0.2.10/24,
             fe80::3eec:ef/64
enp65s0f0  down no-carrier  ?[1]
           mtu 9000
"
        );
    }

    #[test]
    fn a_foldable_column_empty_in_every_row_is_not_drawn() {
        let style = Style {
            color: false,
            width: 80,
        };
        let mut t = Table::new(&style, &["LINK", "ALIAS", "MTU"]).fold(&["ALIAS"]);
        t.add_row(["eno1", "", "1500"]);
        let mut out = String::new();
        t.render(&mut out);
        assert_eq!(out, "LINK  MTU\neno1  1500\n");
        // A column that may not fold is drawn, empty or not.
        let mut t = Table::new(&style, &["LINK", "ALIAS", "MTU"]);
        t.add_row(["eno1", "", "1500"]);
        let mut out = String::new();
        t.render(&mut out);
        assert_eq!(out, "LINK  ALIAS  MTU\neno1         1500\n");
    }

    #[test]
    fn cells_wrap_between_tokens_when_folding_is_not_enough() {
        let mut t = Table::new(&style(34), &["CHECK", "SUBJECT"]);
        t.add_row(["links-at-capability", "default (0.0.0.0/0)"]);
        assert_eq!(
            t.render_string(),
            "\
CHECK                SUBJECT
links-at-capability  default
                     (0.0.0.0/0)
"
        );
    }

    #[test]
    fn rows_become_lists_when_no_columns_fit() {
        let mut t = Table::new(&style(24), &["CHECK", "SUBJECT"]);
        t.add_row(["links-at-capability", "0000:41:00.0"]);
        t.add_detail("observed", Cell::new("speed 1000 Mb/s"));
        assert_eq!(
            t.render_string(),
            "\
links-at-capability
  subject 0000:41:00.0
  observed speed 1000
           Mb/s
"
        );
    }

    #[test]
    fn details_hang_under_their_text() {
        let mut t = Table::new(&style(40), &["STATUS", "CHECK"]);
        t.add_row(["FAIL", "egress"]);
        t.add_detail("expected", Cell::new("egress eno1 speed >= 10000 Mb/s"));
        t.add_detail(
            "remediation",
            Cell::new("check the cable or optic, and the switch port"),
        );
        assert_eq!(
            t.render_string(),
            "\
STATUS  CHECK
FAIL    egress
        expected    egress eno1 speed >=
                    10000 Mb/s
        remediation check the cable or
                    optic, and the
                    switch port
"
        );
    }

    #[test]
    fn colour_never_counts_towards_the_width() {
        let color = Style {
            color: true,
            width: 30,
        };
        let mut t = Table::new(&color, &["STATE", "SPEED"]);
        t.add_row([Cell::new("down").paint(Paint::BAD), Cell::new("1G")]);
        let out = t.render_string();
        assert_eq!(
            out,
            "\x1b[1mSTATE\x1b[0m  \x1b[1mSPEED\x1b[0m\n\x1b[31mdown\x1b[0m   1G\n"
        );
        let mut cell = Cell::new("speed ");
        cell.push("1000 Mb/s", Some(Paint::BAD));
        let mut out = String::new();
        paragraph(&mut out, &cell, 0, &Style { width: 8, ..color });
        assert_eq!(out, "speed\n\x1b[31m1000\x1b[0m\n\x1b[31mMb/s\x1b[0m\n");
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        let mut out = String::new();
        paragraph(&mut out, &Cell::new("eth\u{1b}[2J0\tx"), 0, &style(80));
        assert_eq!(out, "eth\\u{1b}[2J0\\u{9}x\n");
    }

    #[test]
    fn footnotes_number_each_text_once_and_wrap() {
        let mut f = Footnotes::default();
        assert_eq!(f.number("a: not_captured (no file)".into()), 1);
        assert_eq!(f.number("b: permission (denied)".into()), 2);
        assert_eq!(f.number("a: not_captured (no file)".into()), 1);
        let mut out = String::new();
        f.render(&mut out, &style(20));
        assert_eq!(
            out,
            "[1] a: not_captured\n    (no file)\n[2] b: permission\n    (denied)\n"
        );
    }

    /// A quadratic lookup or wrap takes minutes at these sizes; a linear
    /// one well under a second. The bound is generous for a loaded
    /// machine and a debug build, and far below what quadratic work needs.
    #[test]
    fn footnotes_and_long_tokens_scale_linearly() {
        let started = std::time::Instant::now();
        let mut f = Footnotes::default();
        for i in 0..200_000 {
            assert_eq!(
                f.number(format!("eth{i}: link_down (eth{i} is down)")),
                i + 1
            );
        }
        let token: String = "0123456789abcdef".repeat(1 << 16);
        let mut out = String::new();
        paragraph(&mut out, &Cell::new(&token), 4, &style(80));
        assert_eq!(out.lines().count(), token.len().div_ceil(76));
        assert!(out.lines().all(|l| l.chars().count() <= 80));
        let elapsed = started.elapsed();
        assert!(
            elapsed < std::time::Duration::from_secs(20),
            "200,000 footnotes and a 1 MiB token took {elapsed:?}"
        );
    }
}
