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
}
