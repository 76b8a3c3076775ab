//! QTI 3.0 (1EdTech) content packages, read and written; QTI 2.1/2.2 items are read too.
//!
//! A package is a ZIP with `imsmanifest.xml` (namespace
//! `http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1`) listing one resource per item
//! (`type="imsqti_item_xmlv3p0"`, `href="items/<id>.xml"`) and one item file per question.
//!
//! Reading:
//! - every `imsqti_item_*` resource of the manifest is followed; a file the ZIP lacks, cannot
//!   decode or cannot parse is a skipped entry naming it (`entry`). [`Question::entry`](super::Question::entry) is the
//!   item file's path in the ZIP and `line` the line of its `<qti-assessment-item>`;
//! - element and attribute names are accepted in QTI 3 (`qti-simple-choice`, `max-choices`) and
//!   QTI 2 (`simpleChoice`, `maxChoices`) spelling;
//! - an item with one `choice-interaction` allowing one choice (`max-choices="1"`, the default,
//!   and a `single` response) becomes a question: `title` (else `identifier`) is the name; the
//!   item body, with the interaction replaced by its prompt, is the stem; choices are the simple
//!   choices, correct when listed in the correct response (or, without one, when they get the
//!   best score of the mapping); an option's feedback is its `feedback-inline` and any modal
//!   feedback or feedback block whose identifier is the option's; the general feedback is every
//!   other shown modal feedback or feedback block, except those whose identifier mentions
//!   "correct" (right/wrong messages);
//! - skipped with a plain reason: several choices allowed or partial-credit mappings ("multiple
//!   answers"), other interactions (text entry, essay, matching, ordering, hotspot, …), items
//!   with no or several interactions, and items showing media (images, sound, video, MathML);
//! - category and tags come from the resource's IEEE LOM metadata in the manifest: each
//!   `<general><keyword>` is a tag, and the category is the `<classification>` taxon path (taxon
//!   entries joined with `/`). A keyword `category:<path>` is read as the category when there is
//!   no classification (some tools write it that way).
//! - Not a ZIP, no manifest or an unreadable manifest is a [`FileError`](super::FileError). A single item XML file
//!   uploaded instead of a package (it starts with `<`) is read on its own.
//!
//! Writing: `imsmanifest.xml`, then `items/item-<name>.xml` per question (the identifier made
//! from the name, unique in the package). Each item declares `RESPONSE` (single identifier, the
//! correct option's identifier `A`–`D`), `SCORE`, `MAXSCORE`, `FEEDBACK` and `GENERAL_FEEDBACK`;
//! the body holds the stem and a shuffled choice interaction allowing one choice. Response
//! processing is written out (rather than by `template`, which a processor may use instead of
//! the rules): SCORE = MAXSCORE when the response is correct, FEEDBACK = the chosen option, and
//! GENERAL_FEEDBACK = `GENERAL`. Option feedback is a modal feedback on FEEDBACK with the
//! option's identifier; the general feedback is the modal feedback on GENERAL_FEEDBACK with
//! identifier `GENERAL`, so it shows after every answer. Tags are LOM keywords and the category
//! a one-taxon classification (source "Palpate sub-areas") in the manifest. Every field reads
//! back unchanged (text being tidy, as for the other formats), except that a question without
//! a name reads back with its generated identifier as name.

mod item;
mod package;
mod write;

pub use package::parse_package;
pub use write::write_package;

#[cfg(test)]
mod tests;
