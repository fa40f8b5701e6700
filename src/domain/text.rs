//! Search text: Vietnamese without diacritics, lower case — `Phường Ba Đình` → `phuong ba dinh`.
//! Stored in `*_folded` columns computed here, because SQLite has no `unaccent`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A LIKE pattern matching `query` anywhere in a folded column; `%` and `_` in the query are
/// taken literally by dropping them.
pub fn contains_pattern(query: &str) -> String {
    format!("%{}%", fold(query).replace(['%', '_', '\\'], ""))
}

/// How a free text may be laid out: a title or a name is one line; a description, a comment,
/// an answer or a reason may hold paragraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    OneLine,
    Paragraphs,
}

/// Why a free text is refused. We refuse rather than strip: the sender sees what was wrong
/// and nothing they wrote is silently changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    /// A control character (C0, DEL, C1), a bidirectional control (an override like U+202E
    /// reverses what readers see), or a line or paragraph separator. Paragraphs may hold
    /// line feeds, tabs, and carriage returns before a line feed.
    ControlCharacter(char),
    /// Nothing a reader can see: only spaces, zero-width and other invisible characters,
    /// or combining marks with nothing to sit on.
    Invisible,
}

impl TextError {
    /// The field error code.
    pub fn code(self) -> &'static str {
        match self {
            TextError::ControlCharacter(_) => "control_character",
            TextError::Invisible => "invisible_text",
        }
    }

    /// The refused character as `U+XXXX`, for the message.
    pub fn character(self) -> Option<String> {
        match self {
            TextError::ControlCharacter(c) => Some(format!("U+{:04X}", c as u32)),
            TextError::Invisible => None,
        }
    }
}

/// The rule for every free text people type (titles, descriptions, comments, answers,
/// reasons, names): no control or bidirectional characters (other than line breaks and tabs
/// in paragraphs), and at least one visible character. An empty text passes (required-ness
/// is the caller's).
pub fn check_free_text(text: &str, layout: Layout) -> Result<(), TextError> {
    let mut chars = text.chars().peekable();
    let mut visible = false;
    while let Some(c) = chars.next() {
        let allowed_break = layout == Layout::Paragraphs
            && (c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n')));
        if !allowed_break && (c.is_control() || is_bidi_control(c) || is_separator(c)) {
            return Err(TextError::ControlCharacter(c));
        }
        visible |= !(c.is_whitespace() || is_invisible(c) || is_combining_mark(c));
    }
    if visible || text.is_empty() {
        Ok(())
    } else {
        Err(TextError::Invisible)
    }
}

/// Bidirectional formatting characters: marks, embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Line and paragraph separators, which break a line where no line break is allowed.
fn is_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Unicode's Default_Ignorable_Code_Point (drawn as nothing), plus the blank Braille
/// pattern and the Hangul fillers that fonts draw as blanks.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A text cell as a spreadsheet must get it: one that would start a formula (`=`, `+`, `-`,
/// `@`, or their full-width forms, also after leading blanks; or a tab, CR or LF first) gets
/// a leading `'`, so Excel and LibreOffice show it as text instead of running it (CSV
/// injection, OWASP). Only text cells: numbers the code writes itself stay numbers.
pub fn spreadsheet_text(cell: &str) -> std::borrow::Cow<'_, str> {
    let starts_formula = cell.starts_with(['\t', '\r', '\n'])
        || cell.trim_start().starts_with([
            '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
        ]);
    if starts_formula {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Phường Ba Đình"), "phuong ba dinh");
        assert_eq!(fold("  ĐƯỜNG   hỏng "), "duong hong");
        assert_eq!(fold("Thành phố Hồ Chí Minh"), "thanh pho ho chi minh");
        assert_eq!(fold("Xã Ea H'leo"), "xa ea h'leo");
        assert_eq!(contains_pattern("Ba Đình 100%"), "%ba dinh 100%");
    }

    proptest::proptest! {
        #[test]
        fn folding_is_idempotent_and_ascii_for_vietnamese(s in "[a-zA-ZàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐ ]{0,40}") {
            let once = fold(&s);
            proptest::prop_assert_eq!(fold(&once), once.clone());
            proptest::prop_assert!(once.is_ascii());
        }
    }

    #[test]
    fn titles_need_something_visible() {
        for t in [
            "Ổ gà trước số 12",
            "A",
            "👍",
            "x\u{200B}y",
            "👨\u{200D}👩\u{200D}👧",
            "e\u{0301}",
        ] {
            assert_eq!(check_free_text(t, Layout::OneLine), Ok(()), "{t:?}");
        }
        for t in [
            "\u{200B}\u{200B}",
            "\u{FEFF}",
            " \u{2060} ",
            "\u{0301}\u{0301}",
            "\u{3164}",
            "\u{2800}\u{00AD}",
            "\u{E0041}",
        ] {
            assert_eq!(
                check_free_text(t, Layout::OneLine),
                Err(TextError::Invisible),
                "{t:?}"
            );
        }
        assert_eq!(check_free_text("", Layout::OneLine), Ok(()));
    }

    #[test]
    fn control_and_bidi_characters_are_refused_and_named() {
        for (t, c) in [
            ("abc\u{202E}cba", '\u{202E}'),
            ("a\u{2066}b", '\u{2066}'),
            ("a\u{200F}b", '\u{200F}'),
            ("\u{1b}[31mred", '\u{1b}'),
            ("a\u{7f}", '\u{7f}'),
            ("a\u{85}b", '\u{85}'),
            ("a\u{2028}b", '\u{2028}'),
            ("two\nlines", '\n'),
            ("a\tb", '\t'),
        ] {
            let e = check_free_text(t, Layout::OneLine).unwrap_err();
            assert_eq!(e, TextError::ControlCharacter(c), "{t:?}");
            assert_eq!(e.code(), "control_character");
        }
        assert_eq!(
            TextError::ControlCharacter('\u{202E}')
                .character()
                .as_deref(),
            Some("U+202E")
        );
    }

    #[test]
    fn paragraphs_keep_line_breaks_and_tabs_only() {
        assert_eq!(
            check_free_text("Một\ndòng\r\nhai\tba", Layout::Paragraphs),
            Ok(())
        );
        for (t, c) in [
            ("a\rb", '\r'),
            ("a\u{0}", '\u{0}'),
            ("a\u{202D}b", '\u{202D}'),
            ("a\u{0b}", '\u{0b}'),
        ] {
            assert_eq!(
                check_free_text(t, Layout::Paragraphs),
                Err(TextError::ControlCharacter(c)),
                "{t:?}"
            );
        }
        assert_eq!(
            check_free_text("\n\t\u{200B}", Layout::Paragraphs),
            Err(TextError::Invisible)
        );
    }

    proptest::proptest! {
        #[test]
        fn text_with_a_letter_and_no_controls_passes(
            s in "[a-zA-Zàáảãạđ ,.!?0-9\u{200B}\u{200D}]{0,30}[a-zđ][a-zA-Z ,.!?\n]{0,30}"
        ) {
            proptest::prop_assert_eq!(check_free_text(&s, Layout::Paragraphs), Ok(()));
            let one_line = s.replace('\n', " ");
            proptest::prop_assert_eq!(check_free_text(&one_line, Layout::OneLine), Ok(()));
        }

        #[test]
        fn any_control_character_is_refused_in_a_line(
            before in "[a-z ]{0,10}",
            c in proptest::char::range('\u{0}', '\u{1f}'),
            after in "[a-z ]{0,10}",
        ) {
            let t = format!("{before}{c}{after}x");
            proptest::prop_assert_eq!(check_free_text(&t, Layout::OneLine), Err(TextError::ControlCharacter(c)));
        }
    }

    #[test]
    fn formula_cells_are_quoted_for_spreadsheets() {
        for (cell, safe) in [
            ("=1+1", "'=1+1"),
            ("+84912345678", "'+84912345678"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("  =HYPERLINK(\"x\")", "'  =HYPERLINK(\"x\")"),
            ("\u{FF1D}1+1", "'\u{FF1D}1+1"),
        ] {
            assert_eq!(spreadsheet_text(cell), safe, "{cell:?}");
        }
        for cell in ["UBND phường Ninh Kiều", "a=b", "2026-09", "", "'quoted"] {
            assert_eq!(spreadsheet_text(cell), cell);
        }
    }
}
