//! Fuzzes gateway resolution: any POD name or URL must resolve or give an
//! error, never panic, and an accepted URL must satisfy the URL rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualys_ci_auth::Gateway;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Gateway::resolve(Some(text), None, false);
    for allow_loopback in [false, true] {
        if let Ok(gateway) = Gateway::from_url(text, allow_loopback) {
            let url = url::Url::parse(&gateway.url).expect("an accepted gateway URL parses");
            assert!(url.scheme() == "https" || (allow_loopback && url.scheme() == "http"));
            assert!(url.username().is_empty());
            assert!(url.password().is_none());
            assert!(url.query().is_none());
            assert!(url.fragment().is_none());
            assert!(!gateway.url.ends_with('/'));
        }
    }
});
