//! Fuzzes token normalization and JWT claim decoding: any input must give a
//! result or an error, never a panic, and a normalization error must never
//! echo the input.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use qualys_ci_auth::token::{MAX_TOKEN_LEN, check_usable, decode_claims, normalize_token};

/// The normalization messages with their numbers removed. A message for a
/// fuzzed input must be one of these once its numbers (positions, lengths)
/// are removed too, so no part of the input can be in it. Comparing against
/// the input itself gives false alarms: the fuzzer finds inputs such as
/// "ess token con" that are part of the message's own words.
static MESSAGE_SHAPES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let oversized = "a".repeat(MAX_TOKEN_LEN + 1);
    ["", oversized.as_str(), "a b", "a\nb", "a\u{7}b"]
        .iter()
        .map(|input| without_digits(&normalize_token(input).expect_err("a sample of each error").to_string()))
        .collect()
});

fn without_digits(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_digit()).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match normalize_token(text) {
        Ok(token) => {
            use secrecy::ExposeSecret as _;
            if let Ok(shape) = decode_claims(token.expose_secret()) {
                let _ = check_usable(&shape, 1_700_000_000);
            }
        }
        Err(error) => {
            let shape = without_digits(&error.to_string());
            assert!(MESSAGE_SHAPES.contains(&shape), "unexpected message: {shape}");
        }
    }
    let _ = decode_claims(text);
});
