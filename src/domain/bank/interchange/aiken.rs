//! Aiken, Moodle's simplest question format: multiple choice only, no feedback, names or
//! categories.
//!
//! ```text
//! Which muscle abducts the arm?
//! A) Deltoid
//! B. Biceps
//! C) Pectoralis major
//! D) Latissimus dorsi
//! ANSWER: A
//! ```
//!
//! Read as Moodle's `qformat_aiken` reads it: lines are trimmed and lines shorter than two
//! characters ignored; an option is a capital letter, `)` or `.`, then the text (the space after
//! the label may be missing); `ANSWER: X` ends the question. Two leniencies: a question's text may
//! run over several lines (Moodle takes only one; an empty line ends the text), and `Answer:` and
//! the letter may be in lower case.
//!
//! Skipped, with the line and the reason: options before any question text, an `ANSWER` line with
//! no question, option letters out of order, a question with no `ANSWER` line, an answer letter
//! that is not among the options, and text that shows an image (`<img …>`). A question with fewer
//! or more than four options is read as it is: the importer's `refusal` says why it cannot be used.

use super::{Choice, Parsed, Question, text};

/// A question being read: its first line, text, options and the first problem found in it.
struct Open {
    line: usize,
    stem: Vec<String>,
    options: Vec<String>,
    /// An empty line came after the question text (so more text starts a new question).
    stem_ended: bool,
    problem: Option<String>,
}

/// What the reader is in the middle of.
enum State {
    /// Between questions.
    Idle,
    /// A question has started.
    Question(Open),
    /// Options (and maybe an `ANSWER` line) with no question text before them, from this line.
    Orphan { line: usize, text: String },
}

/// An option line: its letter and text, for `A) text`, `A. text` or `A)text`.
fn option(line: &str) -> Option<(char, &str)> {
    let mut it = line.chars();
    let letter = it.next().filter(char::is_ascii_uppercase)?;
    let mark = it.next().filter(|c| *c == ')' || *c == '.')?;
    let rest = line.get(letter.len_utf8() + mark.len_utf8()..)?;
    Some((letter, rest.trim()))
}

/// The text after `ANSWER:` (any case), for an answer line.
fn answer(line: &str) -> Option<&str> {
    let head = line.get(..7)?;
    head.eq_ignore_ascii_case("ANSWER:")
        .then(|| line.get(7..).unwrap_or_default().trim())
}

/// Reads an Aiken file (already decoded: no BOM, LF line ends).
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut state = State::Idle;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim();
        let n = i + 1;
        state = if line.is_empty() {
            blank(state, &mut parsed)
        } else if line.chars().count() < 2 {
            state
        } else if let Some(rest) = answer(line) {
            answer_line(state, n, line, rest, &mut parsed)
        } else if let Some((letter, rest)) = option(line) {
            option_line(state, n, line, letter, rest)
        } else {
            text_line(state, n, line, &mut parsed)
        };
    }
    finish(state, &mut parsed);
    parsed
}

/// An empty line ends a question's text, or a run of stray options.
fn blank(state: State, parsed: &mut Parsed) -> State {
    match state {
        State::Question(mut q) => {
            if q.options.is_empty() {
                q.stem_ended = true;
            }
            State::Question(q)
        }
        State::Orphan { .. } => {
            finish(state, parsed);
            State::Idle
        }
        State::Idle => State::Idle,
    }
}

/// Reports whatever was being read when it ends without an `ANSWER` line.
fn finish(state: State, parsed: &mut Parsed) {
    match state {
        State::Idle => {}
        State::Orphan { line, text } => parsed.skip(
            line,
            None,
            &text,
            "An option comes before any question text: each question starts with its text, \
             then its options.",
        ),
        State::Question(q) => {
            let stem = q.stem.join("\n");
            let reason = q.problem.unwrap_or_else(|| {
                "No ANSWER line: the question must end with a line such as 'ANSWER: B'.".into()
            });
            parsed.skip(q.line, None, &stem, reason);
        }
    }
}

/// A line that is neither an option nor an answer: more question text, or a new question.
fn text_line(state: State, n: usize, line: &str, parsed: &mut Parsed) -> State {
    match state {
        State::Question(mut q) if q.options.is_empty() && !q.stem_ended => {
            q.stem.push(line.to_string());
            State::Question(q)
        }
        other => {
            finish(other, parsed);
            State::Question(Open {
                line: n,
                stem: vec![line.to_string()],
                options: vec![],
                stem_ended: false,
                problem: None,
            })
        }
    }
}

/// An option line: the next option of the open question, or a stray one.
fn option_line(state: State, n: usize, line: &str, letter: char, rest: &str) -> State {
    match state {
        State::Question(mut q) => {
            let expected = letter_at(q.options.len());
            if q.problem.is_none() && Some(letter) != expected {
                let want =
                    expected.map_or_else(|| "no further option".into(), |e| format!("'{e})'"));
                q.problem = Some(format!(
                    "Options must be lettered A, B, C… in order: line {n} has '{letter})' where \
                     {want} was expected."
                ));
            }
            q.options.push(rest.to_string());
            State::Question(q)
        }
        State::Orphan { line, text } => State::Orphan { line, text },
        State::Idle => State::Orphan {
            line: n,
            text: line.to_string(),
        },
    }
}

/// The option letter at index `i` (A for 0), if there is one.
fn letter_at(i: usize) -> Option<char> {
    u8::try_from(i)
        .ok()
        .filter(|i| *i < 26)
        .map(|i| char::from(b'A' + i))
}

/// An `ANSWER:` line: ends the open question, which becomes a [`Question`] or a skip.
fn answer_line(state: State, n: usize, line: &str, rest: &str, parsed: &mut Parsed) -> State {
    let q = match state {
        State::Question(q) => q,
        State::Orphan { line, text } => {
            finish(State::Orphan { line, text }, parsed);
            return State::Idle;
        }
        State::Idle => {
            parsed.skip(
                n,
                None,
                line,
                "An ANSWER line with no question before it: each question starts with its text, \
                 then its options, then the ANSWER line.",
            );
            return State::Idle;
        }
    };
    let stem = q.stem.join("\n");
    if let Some(problem) = q.problem {
        parsed.skip(q.line, None, &stem, problem);
        return State::Idle;
    }
    let letter = rest.chars().next().map(|c| c.to_ascii_uppercase());
    let key = letter.and_then(|l| (0..q.options.len()).find(|&i| letter_at(i) == Some(l)));
    let Some(key) = key else {
        let last = letter_at(q.options.len().saturating_sub(1)).unwrap_or('A');
        let reason = match (letter, q.options.is_empty()) {
            (_, true) => format!("The question has no options before its ANSWER line (line {n})."),
            (None, _) => format!("The ANSWER line (line {n}) gives no letter."),
            (Some(l), _) => format!(
                "The answer '{l}' (line {n}) is not among the options, which run from A to \
                 {last}."
            ),
        };
        parsed.skip(q.line, None, &stem, reason);
        return State::Idle;
    };
    if text::has_media(&stem) || q.options.iter().any(|o| text::has_media(o)) {
        parsed.skip(
            q.line,
            None,
            &stem,
            "Contains an image (Palpate questions are text only).",
        );
        return State::Idle;
    }
    parsed.questions.push(Question {
        line: q.line,
        stem,
        choices: q
            .options
            .into_iter()
            .enumerate()
            .map(|(i, text)| Choice {
                text,
                correct: i == key,
                feedback: String::new(),
            })
            .collect(),
        ..Question::default()
    });
    State::Idle
}

/// A text on one line: Moodle's Aiken reader takes a question's text from a single line, so line
/// breaks become spaces (and runs of white space one space).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes questions as Aiken: the stem on one line (line breaks in it become spaces, since Moodle
/// reads a single line), the options `A) …`, `B) …`, then `ANSWER: X` and an empty line.
///
/// Aiken carries no feedback, names, categories or tags: those are not written. A question with no
/// correct option or more than 26 options cannot be written in Aiken and is left out. A stem that
/// itself starts like an option (`A) …`) or with `ANSWER:` cannot be told apart by any reader.
pub fn write(questions: &[Question]) -> String {
    let mut out = String::new();
    for q in questions {
        let Some(key) = q.choices.iter().position(|c| c.correct) else {
            continue;
        };
        let Some(answer) = letter_at(key).filter(|_| q.choices.len() <= 26) else {
            continue;
        };
        out.push_str(&one_line(&q.stem));
        out.push('\n');
        for (i, c) in q.choices.iter().enumerate() {
            let letter = letter_at(i).unwrap_or('Z');
            out.push_str(&format!("{letter}) {}\n", one_line(&c.text)));
        }
        out.push_str(&format!("ANSWER: {answer}\n\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "Which muscle abducts the arm?
A) Deltoid
B. Biceps
C)Pectoralis major
D) Latissimus dorsi
ANSWER: A

A long question whose text
runs over two lines?
A) one
B) two
C) three
D) four
answer: c

A) stray option
B) another

ANSWER: B

No answer here
A) x
B) y

Letter out of range
A) x
B) y
ANSWER: E

Out of order
A) x
C) y
ANSWER: A

Text only, then an empty line

Shows <img src=\"a.png\">?
A) yes
B) no
ANSWER: A
";

    #[test]
    fn reads_questions_and_reports_errors_with_their_line() {
        let p = parse(SAMPLE);
        let skipped: Vec<(usize, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        let stray = "An option comes before any question text: each question starts with its \
                     text, then its options.";
        let no_answer = "No ANSWER line: the question must end with a line such as 'ANSWER: B'.";
        assert_eq!(
            skipped,
            vec![
                (16, stray),
                (
                    19,
                    "An ANSWER line with no question before it: each question starts with its \
                     text, then its options, then the ANSWER line."
                ),
                (21, no_answer),
                (
                    25,
                    "The answer 'E' (line 28) is not among the options, which run from A to B."
                ),
                (
                    30,
                    "Options must be lettered A, B, C… in order: line 32 has 'C)' where 'B)' was \
                     expected."
                ),
                (35, no_answer),
                (37, "Contains an image (Palpate questions are text only)."),
            ]
        );
        assert_eq!(p.skipped[0].excerpt, "A) stray option");
        assert_eq!(p.skipped[2].excerpt, "No answer here");
        assert_eq!(p.questions.len(), 2);
        let q = &p.questions[0];
        assert_eq!(q.line, 1);
        assert_eq!(q.stem, "Which muscle abducts the arm?");
        let texts: Vec<&str> = q.choices.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            vec!["Deltoid", "Biceps", "Pectoralis major", "Latissimus dorsi"]
        );
        let key: Vec<bool> = q.choices.iter().map(|c| c.correct).collect();
        assert_eq!(key, vec![true, false, false, false]);
        assert!(q.name.is_none() && q.category.is_none() && q.tags.is_empty());
        let q = &p.questions[1];
        assert_eq!(q.line, 8);
        assert_eq!(q.stem, "A long question whose text\nruns over two lines?");
        assert!(q.choices[2].correct);
    }

    #[test]
    fn missing_letters_and_no_options() {
        let p = parse("Q?\nA) a\nB) b\nANSWER:\n\nQ2?\nANSWER: A\n");
        let reasons: Vec<(usize, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (1, "The ANSWER line (line 4) gives no letter."),
                (
                    6,
                    "The question has no options before its ANSWER line (line 7)."
                ),
            ]
        );
        assert!(p.questions.is_empty());
    }

    #[test]
    fn reads_moodles_fixtures() {
        let f = include_str!("../../../../tests/fixtures/moodle/aiken/questions.aiken.txt");
        let p = parse(f);
        assert!(p.skipped.is_empty());
        assert_eq!(p.questions.len(), 2);
        let q = &p.questions[0];
        assert_eq!(
            (q.line, q.stem.as_str()),
            (1, "The Moodle project was started by:")
        );
        let texts: Vec<&str> = q.choices.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Petr Skoda",
                "Martin Dougiamas",
                "Eloy Lafuente",
                "Tim Hunt"
            ]
        );
        assert!(q.choices[1].correct && q.choices.iter().filter(|c| c.correct).count() == 1);
        assert_eq!(super::super::refusal(q), None);
        let q = &p.questions[1];
        assert_eq!(q.line, 8);
        assert_eq!(
            q.stem,
            "Moodle's abilities include handling user input that includes <html class=\"cool\"> \
             & images:"
        );
        let texts: Vec<&str> = q.choices.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec!["True", "False"]);
        assert!(q.choices[0].correct);

        let f = include_str!("../../../../tests/fixtures/moodle/aiken/aiken_errors.txt");
        let p = parse(f);
        let skipped: Vec<(usize, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            vec![
                (
                    5,
                    "An option comes before any question text: each question starts with its \
                     text, then its options."
                ),
                (
                    7,
                    "An ANSWER line with no question before it: each question starts with its \
                     text, then its options, then the ANSWER line."
                ),
                (
                    14,
                    "No ANSWER line: the question must end with a line such as 'ANSWER: B'."
                ),
            ]
        );
        let got: Vec<(usize, &str, Vec<&str>, usize)> = p
            .questions
            .iter()
            .map(|q| {
                let texts = q.choices.iter().map(|c| c.text.as_str()).collect();
                let key = q.choices.iter().position(|c| c.correct).unwrap_or(99);
                (q.line, q.stem.as_str(), texts, key)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "A question with too few answers", vec!["Only answer"], 0),
                (9, "A good question", vec!["Correct", "Incorrect"], 0),
                (
                    18,
                    "A second good question",
                    vec!["Incorrect (No space)", "Correct (No space)"],
                    1
                ),
                (
                    23,
                    "A third good question with HTML chars such as > < &",
                    vec!["Correct (< > &)", "Incorrect (< > &)"],
                    0
                ),
            ]
        );
        // Moodle refuses the one-option question; here the importer's check says why.
        assert_eq!(
            super::super::refusal(&p.questions[0]).as_deref(),
            Some("Palpate questions have exactly four options; this one has 1.")
        );
    }

    fn question(stem: &str, options: [&str; 4], key: usize) -> Question {
        Question {
            name: Some("2D-014".into()),
            category: Some("2.D".into()),
            stem: stem.into(),
            choices: options
                .iter()
                .enumerate()
                .map(|(i, t)| Choice {
                    text: t.to_string(),
                    correct: i == key,
                    feedback: "why".into(),
                })
                .collect(),
            general_feedback: "ref".into(),
            tags: vec!["level:recall".into()],
            ..Question::default()
        }
    }

    #[test]
    fn round_trip_keeps_stem_options_and_key() {
        let qs = vec![
            question(
                "Piriformis — ‘syndrome’ 😀: which {nerve} & <b>is</b> compressed?",
                ["Sciatic #1", "Femoral = ~", "Obturator: {x}", "Pudendal"],
                0,
            ),
            question("Second?", ["a", "b", "c", "d"], 3),
        ];
        let written = write(&qs);
        assert!(written.ends_with("ANSWER: D\n\n"));
        let p = parse(&written);
        assert!(p.skipped.is_empty(), "{written}");
        assert_eq!(p.questions.len(), 2);
        for (a, b) in qs.iter().zip(&p.questions) {
            assert_eq!(b.stem, a.stem);
            let texts = |q: &Question| -> Vec<(String, bool)> {
                q.choices
                    .iter()
                    .map(|c| (c.text.clone(), c.correct))
                    .collect()
            };
            assert_eq!(texts(b), texts(a));
            // Aiken carries none of these.
            assert!(b.name.is_none() && b.category.is_none() && b.tags.is_empty());
            assert!(
                b.general_feedback.is_empty() && b.choices.iter().all(|c| c.feedback.is_empty())
            );
        }
    }

    #[test]
    fn line_breaks_in_a_stem_become_spaces() {
        let q = question("First line\nsecond  line", ["a\nb", "c", "d", "e"], 1);
        let written = write(&[q]);
        assert_eq!(
            written,
            "First line second line\nA) a b\nB) c\nC) d\nD) e\nANSWER: B\n\n"
        );
        let p = parse(&written);
        assert_eq!(p.questions[0].stem, "First line second line");
        let mut none = question("No key", ["a", "b", "c", "d"], 9);
        none.choices.iter_mut().for_each(|c| c.correct = false);
        assert_eq!(write(&[none]), "");
    }

    /// Lines that look like Aiken: options, answers, blanks and text, in any order.
    const LINES: &str =
        "([A-Ea-e][).]? ?[a-z ]{0,5}\n|ANSWER: ?[A-Fa-f]?\n|answer:\n|\n|[a-z?é ]{0,8}\n){0,40}";

    fn cases() -> u32 {
        crate::domain::bank::interchange::fuzz_cases()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]
        #[test]
        fn fuzz_never_panics(s in "\\PC{0,400}") {
            let _ = parse(&s);
        }

        #[test]
        fn fuzz_aiken_lines_never_panic(s in LINES) {
            let _ = parse(&s);
        }

        #[test]
        fn fuzz_mutated_sample_never_panics(
            edits in proptest::collection::vec((0usize..1000, any::<char>(), any::<bool>()), 0..12)
        ) {
            let mut chars: Vec<char> = SAMPLE.chars().collect();
            for (pos, c, insert) in edits {
                let p = pos % (chars.len() + 1);
                if insert || p == chars.len() { chars.insert(p, c) } else { chars.remove(p); }
            }
            let s: String = chars.into_iter().collect();
            let _ = parse(&s);
        }
    }
}
