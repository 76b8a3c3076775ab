//! GIFT, Moodle's plain-text question format, read and written the way Moodle's own
//! `qformat_gift` does it.
//!
//! - Questions are separated by empty lines; lines starting with `//` are comments. A comment
//!   `// [id:2D-014] [tag:level:recall] [tag:topic:rotator cuff]` in a question gives its id
//!   number and tags (`\]` for a `]` inside them).
//! - `$CATEGORY: path` sets the category of the questions that follow.
//! - `::name::` names a question; `[html]`, `[moodle]`, `[plain]` or `[markdown]` before a text
//!   gives its format (HTML is converted to plain text).
//! - Answers sit in `{…}`: `=` right, `~` wrong, `#` the option's feedback, `####` the general
//!   feedback; `~%50%` gives partial credit. `\~ \= \# \{ \} \:` are literal characters, `\\` a
//!   backslash and `\n` a line break.
//!
//! Only multiple choice is imported. True/false (`{T}`), numeric (`{#…}`), matching (`->`), short
//! answer (only `=` answers), essay (`{}`), descriptions (no braces), missing-word questions (text
//! after the `}`) and partial-credit multiple answers are reported as skipped, with the reason.

use super::{Choice, Parsed, Question, text};

/// Why a question is skipped, as the instructor reads it.
pub mod why {
    pub const DESCRIPTION: &str = "Description only, no question.";
    pub const ESSAY: &str = "Essay question: Palpate questions are multiple choice.";
    pub const NUMERIC: &str = "Numeric answer question: Palpate questions are multiple choice.";
    pub const MATCHING: &str = "Matching question: not a multiple-choice question.";
    pub const TRUE_FALSE: &str = "True/false question: Palpate questions have four options.";
    pub const SHORT_ANSWER: &str = "Short answer question: the student types the answer; Palpate \
                                    questions are multiple choice.";
    pub const MISSING_WORD: &str = "The answer sits inside the sentence (missing-word format); \
                                    Palpate needs a complete question.";
    pub const RUN_ON: &str = "Another question seems to follow this one without an empty line \
                              between them; separate questions with an empty line.";
    pub const PARTIAL: &str = "Multiple answers question (several options give credit): Palpate \
                               asks for the single best answer.";
    pub const MEDIA: &str = "Contains an image (Palpate questions are text only).";
}

/// One character of a question after GIFT escapes are read: `esc` is set for `\~`, `\n` and the
/// like, so the character is text, never syntax.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ch {
    c: char,
    esc: bool,
}

/// The text formats GIFT names in brackets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fmt {
    Moodle,
    Html,
    Plain,
    Markdown,
}

/// What one block of lines (between empty lines) turned out to be.
enum Block {
    Category(String),
    Question(Question),
    Skip {
        line: usize,
        name: Option<String>,
        text: String,
        reason: String,
    },
}

/// Reads a GIFT file (already decoded: no BOM, LF line ends).
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut category: Option<String> = None;
    let mut block: Vec<&str> = vec![];
    let mut start = 1;
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            flush(&block, start, &mut category, &mut parsed);
            block.clear();
            start = i + 2;
        } else {
            block.push(line);
        }
    }
    flush(&block, start, &mut category, &mut parsed);
    parsed
}

/// Reads one block starting at line `start` and records what it held.
fn flush(block: &[&str], start: usize, category: &mut Option<String>, parsed: &mut Parsed) {
    for outcome in read_block(block, start, category.as_deref()) {
        match outcome {
            Block::Category(c) => *category = Some(c),
            Block::Question(q) => parsed.questions.push(q),
            Block::Skip {
                line,
                name,
                text,
                reason,
            } => parsed.skip(line, name, &text, reason),
        }
    }
}

/// Splits comments from content, handles a leading `$CATEGORY:` line and reads the question.
fn read_block(block: &[&str], start: usize, category: Option<&str>) -> Vec<Block> {
    let mut comments = String::new();
    let mut lines: Vec<&str> = Vec::with_capacity(block.len());
    for line in block {
        let t = line.trim();
        if t.starts_with("//") {
            comments.push_str(t);
            comments.push('\n');
            lines.push("");
        } else {
            lines.push(t);
        }
    }
    let mut out = vec![];
    let mut category = category.map(str::to_string);
    let first = lines.iter().position(|l| !l.is_empty());
    let Some(mut first) = first else {
        return out;
    };
    if let Some(rest) = lines.get(first).and_then(|l| l.strip_prefix("$CATEGORY:")) {
        let c = rest.trim().to_string();
        category = Some(c.clone());
        out.push(Block::Category(c));
        match lines.iter().skip(first + 1).position(|l| !l.is_empty()) {
            Some(p) => first += 1 + p,
            None => return out,
        }
    }
    let content = lines.get(first..).unwrap_or_default().join("\n");
    let chars = unescape(&content);
    let (id, tags) = id_and_tags(&comments);
    out.push(read_question(&chars, start + first, category, id, tags));
    out
}

/// Reads GIFT escapes as Moodle does: `\\` a backslash, `\n` a line break, `\: \# \= \{ \} \~`
/// the character itself; any other backslash stays as written.
fn unescape(s: &str) -> Vec<Ch> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        let next = if c == '\\' { it.peek().copied() } else { None };
        let escaped = match next {
            Some('n') => Some('\n'),
            Some(n @ ('\\' | ':' | '#' | '=' | '{' | '}' | '~')) => Some(n),
            _ => None,
        };
        match escaped {
            Some(e) => {
                it.next();
                out.push(Ch { c: e, esc: true });
            }
            None => out.push(Ch { c, esc: false }),
        }
    }
    out
}

/// Whether `s` has the unescaped characters of `pat` at `at`.
fn is_at(s: &[Ch], at: usize, pat: &str) -> bool {
    let mut i = at;
    for p in pat.chars() {
        match s.get(i) {
            Some(ch) if !ch.esc && ch.c == p => i += 1,
            _ => return false,
        }
    }
    true
}

/// The first unescaped occurrence of `pat` at or after `from`.
fn find(s: &[Ch], from: usize, pat: &str) -> Option<usize> {
    (from..s.len()).find(|&i| is_at(s, i, pat))
}

/// The last unescaped occurrence of `pat`.
fn rfind(s: &[Ch], pat: &str) -> Option<usize> {
    (0..s.len()).rev().find(|&i| is_at(s, i, pat))
}

/// `s` without unescaped white space at either end.
fn trim(s: &[Ch]) -> &[Ch] {
    let blank = |ch: &Ch| !ch.esc && ch.c.is_whitespace();
    let start = s.iter().position(|ch| !blank(ch)).unwrap_or(s.len());
    let end = s.iter().rposition(|ch| !blank(ch)).map_or(start, |e| e + 1);
    s.get(start..end.max(start)).unwrap_or_default()
}

/// The characters as a string (escapes already applied).
fn chars(s: &[Ch]) -> String {
    s.iter().map(|ch| ch.c).collect()
}

/// The slice between two indices, empty when they are out of order or out of range.
fn part(s: &[Ch], from: usize, to: usize) -> &[Ch] {
    s.get(from..to).unwrap_or_default()
}

/// 1-based line of index `at`, for a text that starts on line `start`.
fn line_of(s: &[Ch], start: usize, at: usize) -> usize {
    start
        + part(s, 0, at)
            .iter()
            .filter(|ch| !ch.esc && ch.c == '\n')
            .count()
}

/// A leading `[html]`, `[moodle]`, `[plain]` or `[markdown]`, as Moodle's
/// `parse_text_with_format` reads it; an unknown bracket stays part of the text.
fn with_format(s: &[Ch], default: Fmt) -> (Fmt, &[Ch]) {
    let s = trim(s);
    if s.first().map(|ch| ch.c) != Some('[') {
        return (default, s);
    }
    let Some(close) = s.iter().position(|ch| ch.c == ']') else {
        return (default, s);
    };
    let fmt = match chars(part(s, 1, close)).as_str() {
        "moodle" => Fmt::Moodle,
        "html" => Fmt::Html,
        "plain" => Fmt::Plain,
        "markdown" => Fmt::Markdown,
        _ => return (default, s),
    };
    (fmt, trim(part(s, close + 1, s.len())))
}

/// A text with its format, as the raw string (for media checks) and as plain text.
fn render(s: &[Ch], default: Fmt) -> (Fmt, String, String) {
    let (fmt, body) = with_format(s, default);
    let raw = chars(body).trim().to_string();
    let plain = if fmt == Fmt::Html {
        text::html_to_text(&raw)
    } else {
        raw.clone()
    };
    (fmt, raw, plain)
}

/// Everything known about a question before its answers are read.
struct Head {
    line: usize,
    name: Option<String>,
    category: Option<String>,
    tags: Vec<String>,
}

impl Head {
    fn skip(self, text: &str, reason: impl Into<String>) -> Block {
        let line = self.line;
        self.skip_at(line, text, reason)
    }
    fn skip_at(self, line: usize, text: &str, reason: impl Into<String>) -> Block {
        Block::Skip {
            line,
            name: self.name,
            text: text.to_string(),
            reason: reason.into(),
        }
    }
}

/// The range `from..to` of `s` without unescaped white space at either end.
fn trim_range(s: &[Ch], from: usize, to: usize) -> (usize, usize) {
    let blank = |i: usize| s.get(i).is_some_and(|ch| !ch.esc && ch.c.is_whitespace());
    let mut end = to.min(s.len());
    let mut begin = from.min(end);
    while begin < end && blank(begin) {
        begin += 1;
    }
    while end > begin && blank(end - 1) {
        end -= 1;
    }
    (begin, end)
}

/// Reads one question (comments removed, escapes read) that starts on line `start`.
fn read_question(
    s: &[Ch],
    start: usize,
    category: Option<String>,
    id: Option<String>,
    tags: Vec<String>,
) -> Block {
    let (mut begin, end) = trim_range(s, 0, s.len());
    let mut head = Head {
        line: line_of(s, start, begin),
        name: id,
        category,
        tags,
    };
    if is_at(s, begin, "::") {
        let Some(close) = find(part(s, 0, end), begin + 2, "::") else {
            let reason = format!(
                "The question name opened with '::' at line {} is not closed with '::'.",
                head.line
            );
            return head.skip(&chars(part(s, begin, end)), reason);
        };
        let name = chars(part(s, begin + 2, close)).trim().to_string();
        if !name.is_empty() {
            head.name = Some(name);
        }
        begin = trim_range(s, close + 2, end).0;
    }
    read_answers(s, (begin, end), head, start)
}

/// Finds the answer block in `s[range]`, sorts out the question type and builds the question.
/// Indices stay those of `s`, whose first line is `start`, so errors can name their line.
fn read_answers(s: &[Ch], range: (usize, usize), head: Head, start: usize) -> Block {
    let (begin, end) = range;
    let body = part(s, 0, end);
    let line = |i: usize| line_of(s, start, i);
    let (open, close) = match (find(body, begin, "{"), find(body, begin, "}")) {
        (None, None) => {
            let (_, _, stem) = render(part(s, begin, end), Fmt::Moodle);
            return head.skip(&stem, why::DESCRIPTION);
        }
        (Some(o), None) => {
            let reason = format!(
                "Unclosed answer block: '{{' at line {} has no '}}' (an empty line ends a \
                 question, so an answer block cannot contain one).",
                line(o)
            );
            return head.skip_at(line(o), &chars(part(s, begin, end)), reason);
        }
        (None, Some(c)) => return unmatched_close(head, part(s, begin, end), line(c)),
        (Some(o), Some(c)) if c < o => return unmatched_close(head, part(s, begin, end), line(c)),
        (Some(o), Some(c)) => (o, c),
    };
    if let Some(inner) = find(part(s, 0, close), open + 1, "{") {
        let reason = format!(
            "'{{' at line {} opens an answer block inside another (write \\{{ for a literal \
             brace).",
            line(inner)
        );
        return head.skip_at(line(inner), &chars(part(s, begin, end)), reason);
    }
    let (stem_fmt, stem_raw, stem) = render(part(s, begin, open), Fmt::Moodle);
    let after = trim(part(s, close + 1, end));
    let mut answers = trim(part(s, open + 1, close));
    let mut general = (String::new(), String::new());
    if let Some(g) = rfind(answers, "####") {
        let (_, raw, plain) = render(part(answers, g + 4, answers.len()), stem_fmt);
        general = (raw, plain);
        answers = trim(part(answers, 0, g));
    }
    let draft = Draft {
        stem_raw,
        stem,
        general_raw: general.0,
        general: general.1,
        fmt: stem_fmt,
        trailing: !after.is_empty(),
        another: find(after, 0, "{").is_some(),
    };
    classify(answers, head, draft)
}

/// A `}` with no `{` before it.
fn unmatched_close(head: Head, body: &[Ch], line: usize) -> Block {
    let reason = format!(
        "Unmatched '}}' at line {line}: answer blocks open with '{{' (write \\}} for a literal \
         brace)."
    );
    head.skip_at(line, &chars(body), reason)
}

/// The question's texts, read before its answers.
struct Draft {
    stem_raw: String,
    stem: String,
    general_raw: String,
    general: String,
    fmt: Fmt,
    /// Text follows the closing `}` (missing-word format).
    trailing: bool,
    /// That text holds another `{`: probably a second question with no empty line before it.
    another: bool,
}

/// Decides the question type the way Moodle does and skips all but multiple choice.
fn classify(answers: &[Ch], head: Head, d: Draft) -> Block {
    let has = |pat: &str| find(answers, 0, pat).is_some();
    let stem = d.stem.clone();
    if answers.is_empty() {
        return head.skip(&stem, why::ESSAY);
    }
    if is_at(answers, 0, "#") {
        return head.skip(&stem, why::NUMERIC);
    }
    if !has("~") {
        return not_multichoice(answers, head, &stem, has("=") && has("->"));
    }
    if d.another {
        return head.skip(&stem, why::RUN_ON);
    }
    if d.trailing {
        return head.skip(&stem, why::MISSING_WORD);
    }
    multichoice(answers, head, d)
}

/// Matching, true/false or short answer: which one, as the reason for skipping it.
fn not_multichoice(answers: &[Ch], head: Head, stem: &str, matching: bool) -> Block {
    if matching {
        return head.skip(stem, why::MATCHING);
    }
    let check = match find(answers, 0, "#") {
        Some(h) if h > 0 => chars(trim(part(answers, 0, h))),
        _ => chars(answers),
    };
    if matches!(check.as_str(), "T" | "TRUE" | "F" | "FALSE") {
        head.skip(stem, why::TRUE_FALSE)
    } else {
        head.skip(stem, why::SHORT_ANSWER)
    }
}

/// Splits answers as Moodle does: each `~` or `=` starts an answer (the `=` stays on it); text
/// before the first one is an answer too when it is not blank.
fn split_answers(answers: &[Ch]) -> Vec<&[Ch]> {
    let mut pieces = vec![];
    let mut from = 0;
    for (i, ch) in answers.iter().enumerate() {
        if !ch.esc && (ch.c == '~' || ch.c == '=') {
            pieces.push(part(answers, from, i));
            from = if ch.c == '~' { i + 1 } else { i };
        }
    }
    pieces.push(part(answers, from, answers.len()));
    if pieces.first().is_some_and(|p| trim(p).is_empty()) {
        pieces.remove(0);
    }
    pieces
}

/// A leading `%weight%` (Moodle's `^%-*[0-9]{1,2}\.?[0-9]*%`) as a fraction of 1, and the rest.
fn weight(s: &[Ch]) -> Option<(f64, &[Ch])> {
    if !is_at(s, 0, "%") {
        return None;
    }
    let mut i = 1;
    while is_at(s, i, "-") {
        i += 1;
    }
    let minus = i > 1;
    let digit = |i: usize| s.get(i).is_some_and(|ch| !ch.esc && ch.c.is_ascii_digit());
    let first = i;
    while i < first + 2 && digit(i) {
        i += 1;
    }
    if i == first {
        return None;
    }
    if is_at(s, i, ".") {
        i += 1;
    }
    while digit(i) {
        i += 1;
    }
    if !is_at(s, i, "%") {
        return None;
    }
    let number: f64 = chars(part(s, first, i)).parse().unwrap_or(0.0);
    let w = (if minus { -number } else { number }) / 100.0;
    Some((w, part(s, i + 1, s.len())))
}

/// Reads the options of a multiple-choice question; partial credit and media are skipped.
fn multichoice(answers: &[Ch], head: Head, d: Draft) -> Block {
    let mut choices = vec![];
    let mut raws = vec![d.stem_raw.clone(), d.general_raw.clone()];
    let mut partial = false;
    for piece in split_answers(answers) {
        let piece = trim(piece);
        let (credit, rest) = if is_at(piece, 0, "=") {
            (1.0, part(piece, 1, piece.len()))
        } else {
            weight(piece).unwrap_or((0.0, piece))
        };
        partial |= credit > 0.0 && credit < 1.0;
        let (answer, feedback) = match find(rest, 0, "#") {
            Some(h) => (part(rest, 0, h), part(rest, h + 1, rest.len())),
            None => (rest, &[][..]),
        };
        let (_, answer_raw, answer) = render(answer, d.fmt);
        let (_, feedback_raw, feedback) = render(feedback, d.fmt);
        raws.push(answer_raw);
        raws.push(feedback_raw);
        choices.push(Choice {
            text: answer,
            correct: credit >= 1.0,
            feedback,
        });
    }
    if partial {
        return head.skip(&d.stem, why::PARTIAL);
    }
    if raws.iter().any(|r| text::has_media(r)) {
        return head.skip(&d.stem, why::MEDIA);
    }
    Block::Question(Question {
        line: head.line,
        entry: None,
        name: head.name,
        category: head.category,
        stem: d.stem,
        choices,
        general_feedback: d.general,
        tags: head.tags,
    })
}

/// The values of every `[key:…]` token in the comment lines (`\]` is a `]`; a token with a
/// control character or no closing `]` is ignored), trimmed, empty ones left out.
fn tokens(comments: &str, key: &str) -> Vec<String> {
    let open = format!("[{key}:");
    let mut out = vec![];
    let mut rest = comments;
    while let Some(at) = rest.find(&open) {
        rest = rest.get(at + open.len()..).unwrap_or_default();
        let mut value = String::new();
        let mut it = rest.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = it.next() {
            if c == '\\' && it.peek().map(|p| p.1) == Some(']') {
                it.next();
                value.push(']');
            } else if c == ']' {
                end = Some(i + 1);
                break;
            } else if c.is_control() {
                break;
            } else {
                value.push(c);
            }
        }
        if let Some(e) = end {
            rest = rest.get(e..).unwrap_or_default();
            let v = value.trim();
            if !v.is_empty() {
                out.push(v.to_string());
            }
        }
    }
    out
}

/// The first `[id:…]` and all `[tag:…]` values in a question's comment lines.
fn id_and_tags(comments: &str) -> (Option<String>, Vec<String>) {
    let id = tokens(comments, "id").into_iter().next();
    (id, tokens(comments, "tag"))
}

/// Escapes the characters GIFT reserves, as Moodle's `repchar`: `\ # = ~ { } :`, and line
/// breaks as `\n`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '#' | '=' | '~' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// An option or feedback text: escaped, and marked `[plain]` when it starts with `[` or `%`
/// (which a reader would otherwise take for a format or a weight).
fn escape_part(s: &str) -> String {
    let s = s.trim();
    if s.starts_with('[') || s.starts_with('%') {
        format!("[plain]{}", escape(s))
    } else {
        escape(s)
    }
}

/// An id or tag inside `[…]` in a comment line: `]` as `\]`, line breaks as spaces.
fn escape_token(s: &str) -> String {
    s.trim()
        .replace(']', "\\]")
        .replace(|c: char| c.is_control(), " ")
}

/// The Moodle category path for a category: `$course$/top/<category>`, or the category as it
/// is when it already is a Moodle path (starts with `$`).
fn category_path(c: &str) -> String {
    let c = c.replace(|ch: char| ch.is_control(), " ");
    if c.starts_with('$') {
        c
    } else {
        format!("$course$/top/{c}")
    }
}

/// Writes one question: the id and tag comment, `::name::[plain]stem{`, one option per line
/// (`=` right, `~` wrong, `#` feedback), `####` general feedback, `}`.
fn write_question(q: &Question) -> String {
    let mut out = String::new();
    let mut bits = vec![];
    if let Some(n) = q.name.as_deref().filter(|n| !n.trim().is_empty()) {
        bits.push(format!("[id:{}]", escape_token(n)));
    }
    for t in q.tags.iter().filter(|t| !t.trim().is_empty()) {
        bits.push(format!("[tag:{}]", escape_token(t)));
    }
    if !bits.is_empty() {
        out.push_str(&format!("// {}\n", bits.join(" ")));
    }
    if let Some(n) = q.name.as_deref().filter(|n| !n.trim().is_empty()) {
        out.push_str(&format!("::{}::", escape(n.trim())));
    }
    out.push_str(&format!("[plain]{}{{\n", escape(q.stem.trim())));
    for c in &q.choices {
        out.push('\t');
        out.push(if c.correct { '=' } else { '~' });
        out.push_str(&escape_part(&c.text));
        if !c.feedback.trim().is_empty() {
            out.push('#');
            out.push_str(&escape_part(&c.feedback));
        }
        out.push('\n');
    }
    if !q.general_feedback.trim().is_empty() {
        out.push_str(&format!("\t####{}\n", escape_part(&q.general_feedback)));
    }
    out.push_str("}\n");
    out
}

/// Writes questions as GIFT: a `$CATEGORY: $course$/top/<category>` line whenever the category
/// changes (a question without a category stays in the previous one), then each question
/// (see [`write_question`]) followed by an empty line. Texts are written as `[plain]`.
///
/// Multiple choice needs at least one wrong (`~`) option: a question whose options are all
/// correct would read back as short answer.
pub fn write(questions: &[Question]) -> String {
    let mut out = String::new();
    let mut current: Option<String> = None;
    for q in questions {
        let category = q
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if let Some(c) = category.filter(|c| current.as_deref() != Some(*c)) {
            out.push_str(&format!("$CATEGORY: {}\n\n", category_path(c)));
            current = Some(c.to_string());
        }
        out.push_str(&write_question(q));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
