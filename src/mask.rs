//! Every printable form of a secret that a CI log masker must know.
//!
//! CI log maskers match literal strings only. A pipeline step can print a
//! secret raw, base64-encoded (for example inside a Docker `auth` value),
//! URL-encoded, JSON-escaped, with `$` doubled for shell or Compose escaping,
//! or one line at a time. Hosts register every form returned here: Jenkins
//! with a console log filter, Azure DevOps with `setSecret`, GitHub Actions
//! with `::add-mask::`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Forms shorter than this are not registered: masking every "abc" in a log
/// hides more than it protects.
pub const MIN_MASK_LEN: usize = 6;

/// Returns the distinct forms of `secret` (and of `username:secret`, when a
/// user name is given) that a host must mask, longest first.
pub fn mask_forms(secret: &str, username: Option<&str>) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    let push_variants = |value: &str, forms: &mut Vec<String>| {
        forms.push(value.to_owned());
        forms.push(STANDARD.encode(value));
        forms.push(URL_SAFE_NO_PAD.encode(value));
        forms.push(utf8_percent_encode(value, NON_ALPHANUMERIC).to_string());
        forms.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
        let json = serde_json::to_string(value).expect("a str always serializes to JSON");
        forms.push(json[1..json.len() - 1].to_owned());
        if value.contains('$') {
            forms.push(value.replace('$', "$$"));
        }
    };

    push_variants(secret, &mut forms);
    for line in secret.lines() {
        let line = line.trim_end_matches('\r');
        if line != secret {
            push_variants(line, &mut forms);
        }
    }
    if let Some(user) = username {
        let pair = format!("{user}:{secret}");
        forms.push(STANDARD.encode(&pair));
        forms.push(URL_SAFE_NO_PAD.encode(&pair));
    }

    forms.retain(|form| form.chars().count() >= MIN_MASK_LEN);
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_special_password() {
        let forms = mask_forms("p&ss w/rd\"$1", Some("alice"));
        for expected in [
            "p&ss w/rd\"$1",
            "cCZzcyB3L3JkIiQx",
            "p%26ss%20w%2Frd%22%241",
            "p%26ss+w%2Frd%22%241",
            "p&ss w/rd\\\"$1",
            "p&ss w/rd\"$$1",
            "YWxpY2U6cCZzcyB3L3JkIiQx",
        ] {
            assert!(
                forms.iter().any(|f| f == expected),
                "missing {expected:?} in {forms:?}"
            );
        }
    }

    #[test]
    fn each_line_of_multiline_secret() {
        let forms = mask_forms("first-line-secret\r\nsecond-line-secret\nok", None);
        assert!(forms.iter().any(|f| f == "first-line-secret"), "{forms:?}");
        assert!(forms.iter().any(|f| f == "second-line-secret"), "{forms:?}");
        assert!(
            !forms.iter().any(|f| f == "ok"),
            "short line must be left out: {forms:?}"
        );
    }

    #[test]
    fn short_forms_left_out() {
        assert!(
            mask_forms("abc", None)
                .iter()
                .all(|f| f.len() >= MIN_MASK_LEN)
        );
        assert!(mask_forms("", None).is_empty());
    }

    #[test]
    fn no_duplicates() {
        let forms = mask_forms("abcdefgh", None);
        let mut sorted = forms.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), forms.len(), "{forms:?}");
    }
}
