//! Fuzzes token normalization and JWT claim decoding: any input must give a
//! result or an error, never a panic, and an error must not echo the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualys_ci_auth::token::{check_usable, decode_claims, normalize_token};

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
            let message = error.to_string();
            let trimmed = text.trim();
            if trimmed.len() >= 12 {
                assert!(!message.contains(trimmed), "an error echoed the token");
            }
        }
    }
    let _ = decode_claims(text);
});
