//! Stored words back into the domain's vocabularies: a row's `kind`, `status`, `channel` or
//! `role` becomes its enum where the row is read (`#[diesel(deserialize_as = String)]`), and an
//! unknown word fails the read — never a silent default.

use super::account::Role;
use super::ticket::{Channel, Kind, Status};

/// A stored word that names nothing in its vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {vocabulary} {word:?}")]
pub struct UnknownWord {
    pub vocabulary: &'static str,
    pub word: String,
}

macro_rules! words {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl TryFrom<String> for $t {
            type Error = UnknownWord;
            fn try_from(word: String) -> Result<Self, UnknownWord> {
                <$t>::parse(&word).ok_or(UnknownWord {
                    vocabulary: $name,
                    word,
                })
            }
        }
    )*};
}

words!(Kind => "kind", Status => "status", Channel => "channel", Role => "role");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_words_decode_and_unknown_ones_fail() {
        assert_eq!(
            Status::try_from("awaiting_info".to_string()),
            Ok(Status::AwaitingInfo)
        );
        assert_eq!(
            Kind::try_from("denunciation".to_string()),
            Ok(Kind::Denunciation)
        );
        let e = Status::try_from("resolvd".to_string()).unwrap_err();
        assert_eq!(e.to_string(), "unknown status \"resolvd\"");
    }
}
