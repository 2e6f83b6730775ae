//! Neotel user names (`USUARIO`) as they come in: from the login form, as a transfer or
//! monitoring target. One normal form for all, so `" 1007"`, `"1007\u{200B}"` (a zero-width
//! space) and a name typed with a decomposed accent are the user they look like, to Neotel and
//! to every limit. Leading zeros stay: `01007` and `1007` may be two Neotel users.

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

/// `raw` without format characters (zero-width spaces and joiners, the byte-order mark, bidi
/// marks: Unicode's `Cf`), in NFC, trimmed of white space.
#[must_use]
pub fn user_name(raw: &str) -> String {
    let visible: String = raw
        .chars()
        .filter(|c| c.general_category() != GeneralCategory::Format)
        .nfc()
        .collect();
    visible.trim().to_owned()
}

/// `user_name` for serde: a command's user is normalized as it is read.
pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = <String as serde::Deserialize>::deserialize(d)?;
    Ok(user_name(&raw))
}

#[cfg(test)]
mod tests {
    use super::user_name;

    #[test]
    fn the_same_user_however_typed() {
        for typed in [
            "1007",
            " 1007",
            "1007 ",
            "\t1007\n",
            "1007\u{200B}",
            "\u{FEFF}1007",
            "10\u{200D}07",
            "\u{00A0}1007",
            "\u{200E}1007",
        ] {
            assert_eq!(user_name(typed), "1007", "{typed:?}");
        }
        // A decomposed accent is the composed one.
        assert_eq!(user_name("jose\u{0301}"), "jos\u{00E9}");
        // Leading zeros are part of the name; inner spaces too.
        assert_eq!(user_name("01007"), "01007");
        assert_eq!(user_name("ana maria"), "ana maria");
        assert_eq!(user_name("\u{200B} \u{200B}"), "");
    }
}
