//! Fuzzes the parsing of registry `WWW-Authenticate` challenges: any header
//! must give a challenge or an error, never a panic, and a Bearer challenge
//! always carries a non-empty realm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualys_ci_auth::registry::challenge::{Challenge, select};
use reqwest::header::{HeaderMap, HeaderValue, WWW_AUTHENTICATE};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(WWW_AUTHENTICATE, value);
    if let Ok(Challenge::Bearer { realm, .. }) = select(&headers, "registry.example.test") {
        assert!(!realm.is_empty());
    }
});
