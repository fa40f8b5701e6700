//! The console's words, in the officials' administrative language (`shared/CONSOLE.md`) and
//! in English. Templates ask `t.get("key")`; a test checks that every key a template or a
//! console module uses is here, in both languages. Each part of the console keeps its words in
//! its own file here; `text` looks in each.

mod admin;
mod common;
mod desk;
mod reports;
mod settings;

use crate::domain::ticket::{Action, Kind, Status};
use crate::i18n::Lang;

/// The words of one language, for templates.
#[derive(Debug, Clone, Copy)]
pub struct Words(pub Lang);

impl Words {
    pub fn get(&self, key: &str) -> &'static str {
        let (vi, en) = text(key).unwrap_or(("?", "?"));
        self.0.pick(vi, en)
    }
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }
    pub fn status(&self, s: impl std::borrow::Borrow<Status>) -> &'static str {
        self.get(s.borrow().as_str())
    }
    pub fn kind(&self, k: impl std::borrow::Borrow<Kind>) -> &'static str {
        self.get(k.borrow().as_str())
    }
    /// The word of an action, which for an answer depends on the kind (a complaint is decided,
    /// a denunciation concluded).
    pub fn action(&self, a: Action, kind: Kind) -> &'static str {
        match (a, kind) {
            (Action::Resolve, Kind::Complaint) => self.get("resolve_complaint"),
            (Action::Resolve, Kind::Denunciation) => self.get("resolve_denunciation"),
            _ => self.get(a.as_str()),
        }
    }
}

/// (vi, en) of a key.
pub fn text(key: &str) -> Option<(&'static str, &'static str)> {
    [
        common::text,
        desk::text,
        reports::text,
        settings::text,
        admin::text,
    ]
    .iter()
    .find_map(|text| text(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files under `dir`, in every subfolder.
    fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                all.extend(files(&path));
            } else {
                all.push(path);
            }
        }
        all
    }

    /// Every `t.get("…")` of every console template names a word with both texts.
    #[test]
    fn every_word_a_template_uses_exists_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = 0;
        for file in files(&root.join("templates/console"))
            .into_iter()
            .chain(files(&root.join("src/console")))
            .filter(|f| !f.starts_with(root.join("src/console/words")))
        {
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, _) in text.match_indices("t.get(\"") {
                let rest = &text[i + 7..];
                let key = &rest[..rest.find('"').unwrap()];
                let (vi, en) =
                    super::text(key).unwrap_or_else(|| panic!("{}: no word {key}", file.display()));
                assert!(!vi.is_empty() && !en.is_empty(), "{key}");
                used += 1;
            }
        }
        assert!(used > 20, "the scan found the templates' words");
        for s in Status::ALL {
            assert!(text(s.as_str()).is_some(), "{s:?}");
        }
        for a in Action::ALL {
            assert!(text(a.as_str()).is_some(), "{a:?}");
        }
    }
}
