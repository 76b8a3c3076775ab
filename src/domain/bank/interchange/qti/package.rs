//! Reading a QTI content package: the ZIP, its `imsmanifest.xml`, and every item it lists.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::super::moodle_xml::dom::{self, Element};
use super::super::{FileError, Parsed, Skipped, text};
use super::item::{self, Item, norm};

/// Item and manifest files larger than this are not read (a question is a few kilobytes).
const MAX_ENTRY: u64 = 8 * 1024 * 1024;
/// At most this much is decompressed from one package (a guard against ZIP bombs).
const MAX_TOTAL: u64 = 256 * 1024 * 1024;

/// The archive, its entry names, and what may still be decompressed from it.
struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    names: Vec<String>,
    /// Entry names by their [`folded`] form, for lookups that ignore case and `\\`.
    by_folded: HashMap<String, usize>,
    budget: u64,
}

/// A path compared without case, with `\\` (written by some Windows tools) read as `/`.
fn folded(path: &str) -> String {
    path.replace('\\', "/").to_lowercase()
}

/// Reads a QTI content package (ZIP) or, as a convenience, a single item XML file.
pub fn parse_package(bytes: &[u8]) -> Result<Parsed, FileError> {
    if looks_like_xml(bytes) {
        return single_item(bytes);
    }
    let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| FileError {
        line: 0,
        message: "This is not a ZIP file: upload the QTI content package (.zip) exported from your item bank, \
                  not a single file taken out of it."
            .into(),
    })?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    let by_folded = names
        .iter()
        .enumerate()
        .rev()
        .map(|(i, n)| (folded(n), i))
        .collect();
    let mut pkg = Package {
        zip,
        names,
        by_folded,
        budget: MAX_TOTAL,
    };
    let manifest_path = find_manifest(&pkg.names).ok_or_else(|| FileError {
        line: 0,
        message: "The ZIP has no imsmanifest.xml, so it is not a QTI content package. \
                  Export the questions as a QTI 3.0 (or 2.1) package."
            .into(),
    })?;
    let manifest_text = read_text(&mut pkg, &manifest_path).map_err(|reason| FileError {
        line: 0,
        message: format!("imsmanifest.xml cannot be read: {reason}"),
    })?;
    let doc = dom::read(&manifest_text);
    let manifest = match (&doc.root, &doc.error) {
        (Some(root), None) if norm(&root.name) == "manifest" => root,
        (_, Some((offset, message))) => {
            return Err(FileError {
                line: text::line_at(&manifest_text, *offset),
                message: format!("imsmanifest.xml is not readable XML ({message})."),
            });
        }
        _ => {
            return Err(FileError {
                line: 1,
                message: "imsmanifest.xml has no <manifest> element.".into(),
            });
        }
    };
    let base = manifest_path
        .rsplit_once('/')
        .map(|(dir, _)| format!("{dir}/"))
        .unwrap_or_default();
    let mut parsed = Parsed::default();
    let mut seen = HashSet::new();
    for resource in manifest.find_all(&|e| norm(&e.name) == "resource") {
        let kind = resource.attr(&["type"]).unwrap_or("").to_ascii_lowercase();
        if !kind.starts_with("imsqti_item") {
            continue;
        }
        let Some(href) = href(resource) else { continue };
        let path = join(&base, &href);
        if !seen.insert(path.clone()) {
            continue;
        }
        let line = text::line_at(&manifest_text, resource.offset);
        read_resource(&mut pkg, &mut parsed, resource, &path, line);
    }
    Ok(parsed)
}

/// A single item file uploaded instead of a package: it starts with `<` (after a BOM or spaces).
fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

fn single_item(bytes: &[u8]) -> Result<Parsed, FileError> {
    let input = text::decode(bytes)?;
    let mut parsed = Parsed::default();
    match item::read_item(&input)? {
        Item::Question(q) => parsed.questions.push(q),
        Item::Skipped {
            line,
            name,
            stem,
            reason,
        } => parsed.skip(line, name, &stem, reason),
    }
    Ok(parsed)
}

/// The manifest at the top of the ZIP or, failing that, the least deep one (packages zipped
/// with their folder).
fn find_manifest(names: &[String]) -> Option<String> {
    names
        .iter()
        .filter(|n| {
            let file = n.rsplit('/').next().unwrap_or(n);
            file.eq_ignore_ascii_case("imsmanifest.xml")
        })
        .min_by_key(|n| (n.matches('/').count(), n.len()))
        .cloned()
}

/// Reads one entry as text, or says why it cannot be read. The entry is looked up by its exact
/// name, else ignoring case and `\\` separators.
fn read_text(pkg: &mut Package<'_>, path: &str) -> Result<String, String> {
    let name = if pkg.zip.index_for_name(path).is_some() {
        path.to_string()
    } else {
        let found = pkg
            .by_folded
            .get(&folded(path))
            .and_then(|i| pkg.names.get(*i));
        found
            .cloned()
            .ok_or_else(|| "the package does not contain this file.".to_string())?
    };
    let limit = MAX_ENTRY.min(pkg.budget);
    let mut file = pkg
        .zip
        .by_name(&name)
        .map_err(|e| format!("the ZIP entry is damaged ({e})."))?;
    let mut bytes = vec![];
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("the ZIP entry is damaged ({e})."))?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    pkg.budget = pkg.budget.saturating_sub(read);
    if read > limit {
        return Err(if limit == MAX_ENTRY {
            "the file is larger than 8 MB.".into()
        } else {
            "the package holds more than 256 MB of files; the rest was not read.".into()
        });
    }
    text::decode(&bytes).map_err(|e| format!("line {}: {}", e.line, e.message))
}

/// The item file a resource points to: its `href`, or its first `<file href>`.
fn href(resource: &Element) -> Option<String> {
    resource
        .attr(&["href"])
        .or_else(|| {
            resource
                .elements()
                .find(|f| norm(&f.name) == "file")
                .and_then(|f| f.attr(&["href"]))
        })
        .map(|h| percent_decode(h.trim()))
        .filter(|h| !h.is_empty())
}

/// `base` + `href`, with `./` and `..` resolved.
fn join(base: &str, href: &str) -> String {
    let mut parts: Vec<&str> = vec![];
    let full = format!("{base}{href}");
    for p in full.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// `%20` and friends in a manifest `href`; invalid escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Reads the item a resource points to into `parsed`, with the manifest's category and tags.
fn read_resource(
    pkg: &mut Package<'_>,
    parsed: &mut Parsed,
    resource: &Element,
    path: &str,
    line: usize,
) {
    let skip =
        |parsed: &mut Parsed, line: usize, name: Option<String>, stem: &str, reason: String| {
            parsed.skipped.push(Skipped {
                line,
                entry: Some(path.to_string()),
                name,
                excerpt: text::excerpt(stem),
                reason,
            });
        };
    let input = match read_text(pkg, path) {
        Ok(t) => t,
        Err(reason) => {
            let reason = format!("Line {line} of imsmanifest.xml lists {path}, but {reason}");
            return skip(parsed, 0, None, "", reason);
        }
    };
    match item::read_item(&input) {
        Ok(Item::Question(mut q)) => {
            let (category, tags) = metadata(resource);
            q.entry = Some(path.to_string());
            q.category = category;
            q.tags = tags;
            parsed.questions.push(q);
        }
        Ok(Item::Skipped {
            line,
            name,
            stem,
            reason,
        }) => skip(parsed, line, name, &stem, reason),
        Err(e) => skip(parsed, e.line, None, "", e.message),
    }
}

/// Category and tags from a resource's LOM metadata: every `<keyword>` is a tag, except a
/// keyword `category:…`; the category is the first `<classification>` taxon path (taxon
/// entries joined with `/`), or else that keyword.
fn metadata(resource: &Element) -> (Option<String>, Vec<String>) {
    let Some(meta) = resource.elements().find(|e| norm(&e.name) == "metadata") else {
        return (None, vec![]);
    };
    let mut tags = vec![];
    let mut keyword_category = None;
    for k in meta.find_all(&|e| e.name == "keyword") {
        for s in lang_strings(k) {
            match s.strip_prefix("category:") {
                Some(c) if keyword_category.is_none() => {
                    keyword_category = Some(c.trim().to_string())
                }
                _ => tags.push(s),
            }
        }
    }
    let taxon_path = meta.find_all(&|e| e.name == "taxonPath").into_iter().next();
    let classified = taxon_path.map(|p| {
        p.children_named("taxon")
            .filter_map(|t| {
                let entry = t
                    .child("entry")
                    .and_then(|e| lang_strings(e).into_iter().next());
                entry.or_else(|| t.child("id").map(|i| i.own_text().trim().to_string()))
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    });
    let category = classified
        .filter(|c| !c.is_empty())
        .or(keyword_category)
        .filter(|c| !c.is_empty());
    (category, tags)
}

/// The texts of a LOM LangString (`<string>` children, or the element's own text).
fn lang_strings(e: &Element) -> Vec<String> {
    let strings: Vec<String> = e
        .children_named("string")
        .map(|s| s.own_text().trim().to_string())
        .collect();
    let strings = if strings.is_empty() {
        vec![e.own_text().trim().to_string()]
    } else {
        strings
    };
    strings.into_iter().filter(|s| !s.is_empty()).collect()
}
