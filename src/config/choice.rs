//! Settings that are one of a few words: read as text, held as their type. A word outside the
//! set is refused while the settings load, naming the setting as any other refusal does.

use serde::{Deserialize, Deserializer, Serializer};

use super::ConfigError;

/// A value the settings name by one of a few words.
pub trait Choice: Sized + Copy {
    /// The value a word names; otherwise what to tell the operator.
    fn parse(word: &str) -> Result<Self, String>;
    /// The word that names this value in the settings.
    fn word(self) -> &'static str;
}

/// The settings whose text is parsed into a type while loading, so their refusals carry the
/// setting's name like the checks made after loading.
const PARSED_KEYS: [&str; 5] = ["database.url", "mail.transport", "mail.smime_cipher", "log.format", "password.policy"];

/// For `#[serde(with = "choice")]`: a choice is written as its word.
pub fn serialize<S: Serializer, T: Choice>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.word())
}

/// For `#[serde(with = "choice")]`: a choice is read from its word.
pub fn deserialize<'de, D: Deserializer<'de>, T: Choice>(deserializer: D) -> Result<T, D::Error> {
    let word = String::deserialize(deserializer)?;
    T::parse(&word).map_err(serde::de::Error::custom)
}

/// A load that failed on one parsed setting is told as `setting KEY: PROBLEM`; anything else as
/// the loader words it.
pub fn refusal(error: figment::Error) -> ConfigError {
    if error.count() == 1
        && let figment::error::Kind::Message(problem) = &error.kind
        && let Some(key) = PARSED_KEYS.iter().find(|key| key.eq_ignore_ascii_case(&error.path.join(".")))
    {
        return ConfigError::Invalid { key, problem: problem.clone() };
    }
    ConfigError::Load(Box::new(error))
}
