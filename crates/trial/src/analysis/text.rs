//! The figures' text measured without fonts: an estimate of each line's width, and text
//! wrapped to a width, so that a box or a slot can be made wide enough for what it holds.
//!
//! The figures name the generic `sans-serif` family, which a PNG draws with Liberation Sans
//! (Arial's metrics) and a browser often with DejaVu Sans, about an eighth wider. A printable
//! ASCII character is estimated as the wider of the two fonts' advances (measured from
//! their files, in thousandths of an em, regular and bold); an East Asian wide character (Chinese,
//! Japanese, Korean, full-width punctuation) as one em, as every Chinese font draws it; a
//! few common symbols as measured; any other character as a generous estimate (a Latin
//! letter with a diacritic 1.11 em, the widest base letter's bold advance; the digraphs such as
//! `Ǆ` and `‰` 1.45 em; the rest 1.35 em). So an estimate is at least the width either font
//! draws, and the layout built on it fits both.
//!
//! Wrapping follows each script's habit: Latin text breaks at spaces, Chinese between any
//! two characters (never before closing punctuation such as `，` or `）`, never after an
//! opening one such as `（`); a no-break space (U+00A0) joins words. A word wider than the
//! line is broken between characters. Past the lines allowed, the last line ends with `…`
//! and [`Wrapped::truncated`] says so (the caller gives the full text in a `<title>`).

/// Advances of the printable ASCII characters (space to `~`), in thousandths of an em: the
/// larger of Liberation Sans's and DejaVu Sans's.
const REGULAR: [u16; 95] = [
    318, 401, 460, 838, 637, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337, 637, 637, 637,
    637, 637, 637, 637, 637, 637, 637, 337, 337, 838, 838, 838, 557, 1016, 685, 687, 723, 771, 667,
    611, 778, 752, 295, 500, 667, 558, 863, 749, 788, 667, 788, 723, 667, 611, 732, 685, 989, 686,
    667, 686, 391, 337, 391, 838, 557, 500, 613, 635, 550, 635, 616, 353, 635, 634, 278, 278, 580,
    278, 975, 634, 612, 635, 635, 412, 521, 393, 634, 592, 818, 592, 592, 525, 637, 337, 637, 838,
];

/// The same of the bold faces.
const BOLD: [u16; 95] = [
    349, 457, 521, 838, 696, 1002, 873, 307, 458, 458, 523, 838, 380, 416, 380, 366, 696, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 611, 1000, 774, 763, 734, 831, 684,
    684, 821, 837, 373, 557, 775, 638, 996, 837, 851, 733, 851, 771, 721, 683, 813, 774, 1104, 771,
    725, 726, 458, 366, 458, 838, 557, 500, 675, 716, 593, 716, 679, 436, 716, 712, 343, 343, 666,
    343, 1042, 712, 688, 716, 716, 494, 596, 479, 712, 652, 924, 646, 652, 583, 712, 366, 712, 838,
];

/// A font's size and weight, as a text element of the figures sets them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Font {
    /// The size in SVG units (pixels).
    pub size: f64,
    /// Bold.
    pub bold: bool,
}

impl Font {
    /// The figures' text: 12 units, regular.
    pub const BODY: Font = Font {
        size: 12.0,
        bold: false,
    };

    /// The same size in bold.
    pub const BOLD: Font = Font {
        size: 12.0,
        bold: true,
    };

    /// A figure's title: 15 units, regular.
    pub const TITLE: Font = Font {
        size: 15.0,
        bold: false,
    };

    /// The estimated width of `text` on one line.
    pub fn width(self, text: &str) -> f64 {
        text.chars().map(|c| em(c, self.bold)).sum::<f64>() * self.size
    }
}

/// Whether a character is East Asian wide: drawn one em wide, and a line may break beside it.
pub fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115f}'
        | '\u{2e80}'..='\u{303e}'
        | '\u{3041}'..='\u{33ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{a000}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}'
        | '\u{20000}'..='\u{3fffd}')
}

/// A character's estimated advance in ems.
fn em(c: char, bold: bool) -> f64 {
    let table = if bold { &BOLD } else { &REGULAR };
    match c {
        ' '..='~' => f64::from(table[c as usize - 0x20]) / 1000.0,
        '\u{a0}' => f64::from(table[0]) / 1000.0,
        c if is_wide(c) => 1.0,
        '·' => 0.38,
        '–' | '°' => 0.56,
        '•' => 0.64,
        '×' | '≥' | '≤' | '±' | '−' => 0.84,
        'Æ' | 'æ' | 'Œ' | 'œ' => 1.17,
        // The digraphs (Ǆ ǅ ǆ Ǉ … ǳ) are two letters wide.
        '\u{1c4}'..='\u{1cc}' | '\u{1f1}'..='\u{1f3}' => 1.45,
        // Accented Latin letters: as wide as the widest base letter (Ŵ is W's width).
        '\u{c0}'..='\u{24f}' => 1.11,
        '\u{300}'..='\u{36f}' | '\u{200b}'..='\u{200d}' => 0.0,
        '‰' => 1.45,
        _ => 1.35,
    }
}

/// Closing punctuation: a line never starts with it.
fn closes(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '】'
            | '》'
            | '」'
            | '』'
            | '”'
            | '’'
            | ')'
            | ']'
            | '}'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | '%'
    )
}

/// Opening punctuation: a line never ends with it.
fn opens(c: char) -> bool {
    matches!(
        c,
        '（' | '【' | '《' | '「' | '『' | '“' | '‘' | '(' | '[' | '{'
    )
}

/// Text wrapped to a width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrapped {
    /// The lines, spaces at their ends left out, no-break spaces as spaces.
    pub lines: Vec<String>,
    /// Whether text was left out (the last line then ends with `…`).
    pub truncated: bool,
}

/// The text's pieces between which a line may break: words with the space before them
/// (Latin); in Chinese single characters with the punctuation bound to them, or with
/// `phrases` the runs between spaces, wide punctuation and brackets.
fn pieces(text: &str, phrases: bool) -> Vec<(bool, String)> {
    // (space before, text)
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut space = false;
    let mut glue = false; // the next character joins the last piece
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            space = true;
            glue = false;
            continue;
        }
        let joins = !space
            && match out.last() {
                None => false,
                Some((_, last)) => {
                    let prev = last.chars().next_back().unwrap_or(' ');
                    let breaks = if phrases {
                        (opens(c) && is_wide(c)) || (closes(prev) && is_wide(prev))
                    } else {
                        is_wide(c) || is_wide(prev)
                    };
                    glue || closes(c) || !breaks
                }
            };
        if joins {
            if let Some((_, last)) = out.last_mut() {
                last.push(c);
            }
        } else {
            out.push((space, c.to_string()));
        }
        space = false;
        glue = opens(c);
    }
    out
}

/// Breaks text between characters into parts of at most `first` units (the first part) and
/// `rest` units (the others), at least one character each.
fn split_word(font: Font, word: &str, first: f64, rest: f64) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in word.chars() {
        let limit = if out.is_empty() { first } else { rest };
        let mut next = current.clone();
        next.push(c);
        if !current.trim().is_empty() && font.width(next.trim_end()) > limit {
            out.push(std::mem::take(&mut current));
            current.push(c);
        } else {
            current = next;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `text` in lines of at most `max` units each (by [`Font::width`]), at most `max_lines` of
/// them (at least one); `indent` is put before every line but the first (a hanging indent,
/// counted in the width).
pub fn wrap(text: &str, font: Font, max: f64, max_lines: usize, indent: &str) -> Wrapped {
    wrap_pieces(pieces(text, false), font, max, max_lines, indent)
}

/// [`wrap`] for a short name (a visit's, a group's): Chinese broken only at spaces, wide
/// punctuation and brackets, as a name's phrases run (`第 24 周` / `（主要终点）`), when every
/// phrase fits a line and the lines allowed hold them; else as [`wrap`] breaks it.
pub fn wrap_phrases(text: &str, font: Font, max: f64, max_lines: usize) -> Wrapped {
    let phrases = pieces(text, true);
    let fit = phrases.iter().all(|(_, p)| font.width(p) <= max);
    if fit {
        let w = wrap_pieces(phrases, font, max, max_lines, "");
        if !w.truncated {
            return w;
        }
    }
    wrap(text, font, max, max_lines, "")
}

fn wrap_pieces(
    pieces: Vec<(bool, String)>,
    font: Font,
    max: f64,
    max_lines: usize,
    indent: &str,
) -> Wrapped {
    let max_lines = max_lines.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let indent_width = font.width(indent);
    let room = |lines: &[String]| {
        if lines.is_empty() {
            max
        } else {
            max - indent_width
        }
    };
    for (space, piece) in pieces {
        let joined = if current.is_empty() {
            piece.clone()
        } else if space {
            format!("{current} {piece}")
        } else {
            format!("{current}{piece}")
        };
        if font.width(&joined) <= room(&lines) {
            current = joined;
            continue;
        }
        let fresh = max - indent_width;
        if font.width(&piece) <= fresh {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            current = piece;
            continue;
        }
        // A piece no line holds is broken between characters, its first part filling the
        // line it starts on.
        let mut parts = split_word(font, &joined, room(&lines), fresh)
            .into_iter()
            .map(|p| p.trim().to_owned())
            .peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_some() {
                lines.push(part);
            } else {
                current = part;
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    let truncated = lines.len() > max_lines;
    if truncated {
        lines.truncate(max_lines);
        let room = if max_lines == 1 {
            max
        } else {
            max - indent_width
        };
        let last = lines.last_mut().expect("at least one line");
        while !last.is_empty() && font.width(&format!("{last}…")) > room {
            last.pop();
        }
        let trimmed = last.trim_end().len();
        last.truncate(trimmed);
        last.push('…');
    }
    let lines = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let l = l.replace('\u{a0}', " ");
            if i == 0 {
                l
            } else {
                format!("{indent}{l}")
            }
        })
        .collect();
    Wrapped { lines, truncated }
}

#[cfg(test)]
mod tests {
    use super::{is_wide, wrap, Font};

    const B: Font = Font::BODY;

    #[test]
    fn widths_are_estimated_per_script() {
        assert!((B.width("全部受试者") - 60.0).abs() < 1e-9);
        // Latin: the wider font's advances (DejaVu Sans's digits, 0.637 em).
        assert!((B.width("00") - 2.0 * 0.637 * 12.0).abs() < 1e-9);
        assert!(B.width("iiii") < B.width("MMMM"));
        assert!(Font::BOLD.width("Week 24") > B.width("Week 24"));
        assert!(is_wide('（') && is_wide('中') && !is_wide('a'));
        assert_eq!(B.width(""), 0.0);
    }

    #[test]
    fn latin_wraps_at_spaces_and_every_line_fits() {
        let text = "withdrew before randomisation: moved to another province for work";
        let w = wrap(text, B, 150.0, 10, "");
        assert!(!w.truncated);
        assert!(w.lines.len() > 1, "{w:?}");
        for l in &w.lines {
            assert!(B.width(l) <= 150.0, "{l}");
            assert!(!l.starts_with(' ') && !l.ends_with(' '), "{l:?}");
        }
        assert_eq!(w.lines.join(" "), text);
    }

    #[test]
    fn chinese_wraps_between_characters_keeping_punctuation_with_its_word() {
        let text = "因工作原因搬迁至外省（无法继续随访），撤回知情同意";
        let w = wrap(text, B, 100.0, 10, "");
        assert_eq!(w.lines.concat(), text);
        for l in &w.lines {
            assert!(B.width(l) <= 100.0, "{l}");
            let first = l.chars().next().unwrap();
            assert!(!"，。）；：".contains(first), "{l}");
            assert!(!l.ends_with('（'), "{l}");
        }
        assert!(w.lines.len() >= 3, "{w:?}");
    }

    #[test]
    fn a_word_wider_than_the_line_is_broken_and_no_break_spaces_hold() {
        let word = "https://example.org/a/very/long/address/without/any/space/in/it";
        let w = wrap(word, B, 80.0, 20, "");
        assert_eq!(w.lines.concat(), word);
        assert!(w.lines.iter().all(|l| B.width(l) <= 80.0), "{w:?}");
        let counted = wrap("a reason (n\u{a0}=\u{a0}12)", B, 60.0, 5, "");
        assert!(counted.lines.iter().any(|l| l == "(n = 12)"), "{counted:?}");
    }

    #[test]
    fn past_the_lines_allowed_the_text_is_ellipsised() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let w = wrap(text, B, 60.0, 2, "  ");
        assert!(w.truncated);
        assert_eq!(w.lines.len(), 2);
        assert!(
            w.lines[1].ends_with('…') && w.lines[1].starts_with("  "),
            "{w:?}"
        );
        assert!(w.lines.iter().all(|l| B.width(l) <= 60.0), "{w:?}");
        let fits = wrap("short", B, 60.0, 1, "");
        assert_eq!(
            fits,
            super::Wrapped {
                lines: vec!["short".into()],
                truncated: false
            }
        );
    }

    #[test]
    fn a_name_breaks_between_its_phrases_when_they_fit() {
        let w = super::wrap_phrases("第 24 周（主要终点）", B, 72.5, 3);
        assert_eq!(w.lines, ["第 24 周", "（主要终点）"]);
        let w = super::wrap_phrases("Week 24 (primary endpoint)", B, 72.5, 3);
        assert_eq!(w.lines, ["Week 24", "(primary", "endpoint)"]);
        // A phrase wider than the line: broken between characters after all.
        let w = super::wrap_phrases("脊髓损伤独立性评定量表第三版", B, 60.0, 4);
        assert_eq!(w.lines.concat(), "脊髓损伤独立性评定量表第三版");
        assert!(w.lines.iter().all(|l| B.width(l) <= 60.0), "{w:?}");
    }

    #[test]
    fn a_hanging_indent_counts_in_the_width() {
        let w = wrap("• alpha beta gamma delta epsilon zeta", B, 70.0, 10, "   ");
        assert!(w.lines.len() > 2);
        for l in &w.lines[1..] {
            assert!(l.starts_with("   ") && B.width(l) <= 70.0, "{l:?}");
        }
    }
}
