//! Moodle XML (`<quiz>` of `<question type="…">`), read and written.
//!
//! Reading:
//! - `type="category"` sets the category of the questions that follow. Moodle writes a context
//!   prefix before the category path (`$course$/top/Anatomy/Shoulder`); it is removed, so the
//!   question's category is the path under the top category (`Anatomy/Shoulder`), and the top
//!   category itself is no category. Older paths without `top` (`$course$/Default for X`) lose
//!   only the context (`Default for X`).
//! - `type="multichoice"` with `<single>true</single>` (or no `<single>`) becomes a [`Question`](super::Question):
//!   `<name>` (or `<idnumber>`) is the name, `<questiontext>`, each `<answer>` and its
//!   `<feedback>`, and `<generalfeedback>` are read in their `format` (HTML, CDATA or escaped, is
//!   turned into plain text), `fraction="100"` marks the correct options, `<tags>` are the tags.
//! - Skipped, with a plain reason: every other question type; multichoice with
//!   `<single>false</single>` or an answer with partial credit (fraction between 0 and 100;
//!   negative fractions are penalties of wrong options and are accepted); multichoice showing
//!   media (`<img>`, sound, video, MathML, `<file>` attachments, Moodle 1.9 `<image>`).
//! - A file that is not XML, or whose top element is not `<quiz>`, is refused ([`FileError`](super::FileError)).
//!   XML that breaks off part way keeps the questions read before the break and reports the
//!   break as a skipped entry with its line.
//!
//! Writing: a category question whenever the category changes (`$course$/top/<category>`; the
//! top category for a question without one), then a `multichoice` question with the name (also
//! as `<idnumber>`), the stem, options and feedback as HTML in CDATA (line breaks as `<br>`),
//! `defaultgrade` 1, `single` true, shuffled answers numbered ABCD, fractions 100/0, and tags.
//! Every field of the question except `line` and `entry` reads back unchanged (for text that
//! is already tidy: no runs of spaces, no more than one blank line in a row).

mod read;
mod write;

/// The XML tree shared with the QTI reader.
pub(super) mod dom;

pub use read::parse;
pub use write::write;

#[cfg(test)]
mod tests;
