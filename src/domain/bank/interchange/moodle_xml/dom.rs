//! A small XML tree read with quick-xml, shared by the Moodle XML and QTI readers.
//!
//! The tree keeps what the readers need: local element names (namespace prefixes dropped),
//! attributes, text (entity references decoded, CDATA as written) and the byte offset of every
//! start tag, for line numbers. Reading never fails: a broken document gives the tree read up to
//! the break (elements still open are marked incomplete) and the error with its offset. Nesting
//! is capped at [`MAX_DEPTH`] so that no input can exhaust the stack.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::super::text;

/// Deeper documents are refused (question files nest a dozen levels at most).
pub const MAX_DEPTH: usize = 200;

/// One element with its content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Local name as written (`imsmd:lom` gives `lom`).
    pub name: String,
    /// Local attribute names and decoded values; `xmlns` declarations are left out.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Byte offset of the `<` of the start tag.
    pub offset: usize,
    /// Whether the end tag was read (false when the document breaks inside this element).
    pub complete: bool,
}

/// Element content: a child element or text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    /// Character data with references decoded, or a CDATA section as written.
    Text(String),
}

/// A document: its root element (if one was read) and the first error, if any.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub root: Option<Element>,
    /// Byte offset and description of the error that stopped reading.
    pub error: Option<(usize, String)>,
}

impl Element {
    /// The value of the first attribute whose local name is one of `names`.
    pub fn attr(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| {
            self.attrs
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        })
    }

    /// The child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// The child elements called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// The text directly inside this element (not inside child elements).
    pub fn own_text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// All descendants (not this element) for which `pred` holds, in document order, not
    /// looking inside a match.
    pub fn find_all<'a>(&'a self, pred: &dyn Fn(&Element) -> bool) -> Vec<&'a Element> {
        let mut found = vec![];
        let mut stack: Vec<&Element> = self.elements().collect();
        stack.reverse();
        while let Some(e) = stack.pop() {
            if pred(e) {
                found.push(e);
            } else {
                let before = stack.len();
                stack.extend(e.elements());
                stack[before..].reverse();
            }
        }
        found
    }

    /// Whether any descendant satisfies `pred`.
    pub fn any(&self, pred: &dyn Fn(&Element) -> bool) -> bool {
        !self.find_all(pred).is_empty()
    }

    /// The content as HTML source: child elements become tags (without attributes, enough for
    /// [`text::html_to_text`] and [`text::has_media`]). Text nodes are written verbatim when
    /// `text_is_html` (Moodle stores HTML source as text) or escaped otherwise (XHTML content,
    /// as in QTI, where a line break in the source is only a space). A child element for which `replace` gives `Some(html)` is written as that
    /// HTML instead (an empty string leaves it out).
    pub fn inner_html(
        &self,
        text_is_html: bool,
        replace: &dyn Fn(&Element) -> Option<String>,
    ) -> String {
        let mut out = String::new();
        self.write_inner(&mut out, text_is_html, replace);
        out
    }

    fn write_inner(
        &self,
        out: &mut String,
        text_is_html: bool,
        replace: &dyn Fn(&Element) -> Option<String>,
    ) {
        for node in &self.children {
            match node {
                Node::Text(t) if text_is_html => out.push_str(t),
                Node::Text(t) => out.push_str(&text::escape_xml(t).replace(['\n', '\t'], " ")),
                Node::Element(e) => match replace(e) {
                    Some(html) => out.push_str(&html),
                    None if e.children.is_empty() => {
                        out.push('<');
                        out.push_str(&e.name);
                        out.push_str("/>");
                    }
                    None => {
                        out.push('<');
                        out.push_str(&e.name);
                        out.push('>');
                        e.write_inner(out, text_is_html, replace);
                        out.push_str("</");
                        out.push_str(&e.name);
                        out.push('>');
                    }
                },
            }
        }
    }
}

/// Reads a document into a tree; see the module doc.
pub fn read(input: &str) -> Doc {
    let mut reader = Reader::from_str(input);
    let config = reader.config_mut();
    config.allow_dangling_amp = true;
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut stack: Vec<Element> = vec![];
    let mut doc = Doc::default();
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(offset);
                doc.error = Some((at, e.to_string()));
                break;
            }
        };
        match event {
            Event::Start(s) => {
                if stack.len() >= MAX_DEPTH {
                    doc.error = Some((offset, "the elements are nested too deeply".into()));
                    break;
                }
                stack.push(element(&s, offset));
            }
            Event::Empty(s) => {
                let mut e = element(&s, offset);
                e.complete = true;
                attach(&mut stack, &mut doc, e);
            }
            Event::End(_) => {
                if let Some(mut e) = stack.pop() {
                    e.complete = true;
                    attach(&mut stack, &mut doc, e);
                }
            }
            Event::Text(t) => push_text(&mut stack, String::from_utf8_lossy(&t)),
            Event::CData(t) => push_text(&mut stack, String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r);
                let t = resolve(&name).map_or_else(|| format!("&{name};"), String::from);
                push_text(&mut stack, t.into());
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    doc.error = Some((
                        input.len(),
                        format!("the file ends before <{}> is closed", open.name),
                    ));
                }
                break;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    while let Some(e) = stack.pop() {
        attach(&mut stack, &mut doc, e);
    }
    doc
}

fn element(s: &BytesStart<'_>, offset: usize) -> Element {
    let mut attrs = vec![];
    let mut iter = s.attributes();
    iter.with_checks(false);
    for a in iter {
        let Ok(a) = a else { break };
        let key = a.key;
        if key.as_ref() == b"xmlns" || key.prefix().is_some_and(|p| p.as_ref() == b"xmlns") {
            continue;
        }
        let name = String::from_utf8_lossy(key.local_name().as_ref()).into_owned();
        let value = unescape(&String::from_utf8_lossy(&a.value));
        attrs.push((name, value));
    }
    Element {
        name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
        attrs,
        children: vec![],
        offset,
        complete: false,
    }
}

/// The character an entity reference stands for: the five XML entities, `&nbsp;` (common in
/// HTML pasted into XML) and character references. Other names are kept as written.
fn resolve(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            code.and_then(char::from_u32)
        }
    }
}

/// An attribute value with its references resolved (unknown ones kept as written).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // `;` is ASCII, so its byte position is a character boundary.
        let semi = after.as_bytes().iter().take(12).position(|b| *b == b';');
        match semi.and_then(|semi| resolve(&after[..semi]).map(|c| (c, semi))) {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn attach(stack: &mut [Element], doc: &mut Doc, e: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(e)),
        None if doc.root.is_none() => doc.root = Some(e),
        None => {}
    }
}

fn push_text(stack: &mut [Element], t: std::borrow::Cow<'_, str>) {
    let Some(top) = stack.last_mut() else { return };
    if let Some(Node::Text(prev)) = top.children.last_mut() {
        prev.push_str(&t);
    } else {
        top.children.push(Node::Text(t.into_owned()));
    }
}

/// Why HTML (and attached files) keep a question out of Palpate, if they do.
pub fn media_reason(html: &str, has_files: bool) -> Option<&'static str> {
    let lower = html.to_ascii_lowercase();
    if lower.contains("<img") || lower.contains("<svg") {
        Some("Contains an image (Palpate questions are text only).")
    } else if lower.contains("<math") {
        Some("Contains a formula written in MathML (Palpate questions are plain text).")
    } else if text::has_media(html) {
        Some("Contains sound, video or an embedded object (Palpate questions are text only).")
    } else if has_files {
        Some("Contains attached files (Palpate questions are text only).")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_attributes_text_and_offsets() {
        let doc = read(
            "<?xml version=\"1.0\"?>\n<a xmlns=\"u\" x:k=\"1 &amp; 2\">t&lt;<b/><![CDATA[<p>]]></a>",
        );
        let a = doc.root.unwrap();
        assert!(doc.error.is_none());
        assert_eq!(a.name, "a");
        assert_eq!(a.offset, 22);
        assert_eq!(a.attr(&["k"]), Some("1 & 2"));
        assert_eq!(a.own_text(), "t<<p>");
        assert_eq!(a.inner_html(true, &|_| None), "t<<b/><p>");
        assert_eq!(a.inner_html(false, &|_| None), "t&lt;<b/>&lt;p&gt;");
    }

    #[test]
    fn broken_documents_keep_what_was_read() {
        let doc = read("<a><b>x</b><c>y</a>");
        assert!(doc.error.is_some());
        let a = doc.root.unwrap();
        assert!(!a.complete);
        assert!(a.child("b").unwrap().complete);
        assert!(!a.child("c").unwrap().complete);
        let deep = "<a>".repeat(MAX_DEPTH + 5);
        assert!(read(&deep).error.is_some());
    }
}
