//! Handlebars registries built from the embedded `templates/` folder: one that HTML-escapes (pages
//! and HTML e-mails) and one that does not (plain-text e-mails, where `&#x3D;` would be a bug).
//! The registries are built once per process and shared. For template work, `PALPATE_LIVE_TEMPLATES=1`
//! in a debug build re-reads each template from disk on every render (live reload); it is off by
//! default because re-parsing every template on every render made the test suite several times slower.

use std::sync::{Arc, OnceLock};

use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

pub struct Views {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
}

/// Whether templates are re-read on every render: only in debug builds, and only when asked for.
fn live_reload() -> bool {
    cfg!(debug_assertions) && std::env::var_os("PALPATE_LIVE_TEMPLATES").is_some_and(|v| v == "1")
}

impl Views {
    /// The process's registries, parsed on first use (every server in one process, such as the
    /// test suite's, shares them; the templates are embedded and cannot change in between).
    pub fn shared() -> anyhow::Result<Arc<Views>> {
        static VIEWS: OnceLock<Arc<Views>> = OnceLock::new();
        if let Some(v) = VIEWS.get() {
            return Ok(v.clone());
        }
        let views = Arc::new(Views::load()?);
        Ok(VIEWS.get_or_init(|| views).clone())
    }

    fn load() -> anyhow::Result<Views> {
        let build = |escape: bool| -> anyhow::Result<Handlebars<'static>> {
            let mut hb = Handlebars::new();
            hb.set_dev_mode(live_reload());
            // A missing field is an error in tests and development, not a silent blank on the page.
            hb.set_strict_mode(cfg!(debug_assertions));
            if !escape {
                hb.register_escape_fn(handlebars::no_escape);
            }
            hb.register_embed_templates_with_extension::<TemplateFiles>(".hbs")?;
            register_helpers(&mut hb);
            Ok(hb)
        };
        Ok(Views {
            html: build(true)?,
            text: build(false)?,
        })
    }

    /// Renders an HTML page or fragment (escaped).
    pub fn html<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        self.html
            .render(name, data)
            .map_err(|e| anyhow::anyhow!("template {name}: {e}"))
    }

    /// Renders plain text (not escaped).
    pub fn text<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        self.text
            .render(name, data)
            .map_err(|e| anyhow::anyhow!("template {name}: {e}"))
    }

    /// An e-mail: `emails/<name>.txt` and `emails/<name>.html`.
    pub fn email<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<(String, String)> {
        Ok((
            self.text(&format!("emails/{name}.txt"), data)?,
            self.html(&format!("emails/{name}.html"), data)?,
        ))
    }
}

handlebars::handlebars_helper!(eq: |a: Json, b: Json| a == b);
handlebars::handlebars_helper!(percent: |n: f64| format!("{:.0}", n * 100.0));
// Hours as people write them: 24, 1.5, 0.25 (never "24.0").
handlebars::handlebars_helper!(hours_helper: |n: f64| {
    let s = format!("{:.2}", n);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
});

// A count with its noun: {{plural n "student"}} gives "1 student", "3 students"; an irregular
// plural comes third: {{plural n "person" "people"}}.
fn plural_helper(
    h: &handlebars::Helper,
    _: &Handlebars,
    _: &handlebars::Context,
    _: &mut handlebars::RenderContext,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    let n = h
        .param(0)
        .and_then(|v| v.value().as_f64())
        .unwrap_or(0.0)
        .round() as i64;
    let one = h.param(1).and_then(|v| v.value().as_str()).unwrap_or("");
    let many = h.param(2).and_then(|v| v.value().as_str());
    out.write(&count_noun(n, one, many))?;
    Ok(())
}

/// "1 question", "2 questions" (or the given plural).
pub fn count_noun(n: i64, one: &str, many: Option<&str>) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        match many {
            Some(m) => format!("{n} {m}"),
            None => format!("{n} {one}s"),
        }
    }
}

fn register_helpers(hb: &mut Handlebars<'static>) {
    hb.register_helper("plural", Box::new(plural_helper));
    hb.register_helper("eq", Box::new(eq));
    hb.register_helper("percent", Box::new(percent));
    hb.register_helper("num", Box::new(hours_helper));
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_agree_with_their_noun() {
        let mut hb = handlebars::Handlebars::new();
        super::register_helpers(&mut hb);
        let r = |t: &str, n: i64| {
            hb.render_template(t, &serde_json::json!({ "n": n }))
                .unwrap()
        };
        assert_eq!(r("{{plural n \"student\"}}", 1), "1 student");
        assert_eq!(r("{{plural n \"student\"}}", 0), "0 students");
        assert_eq!(r("{{plural n \"person\" \"people\"}}", 3), "3 people");
    }
}
