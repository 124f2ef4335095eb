//! Fuzzes the merge of a login into an existing Docker `config.json`: a
//! file that is not a valid config is left byte for byte unchanged, and a
//! successful merge keeps every other key and registry entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualys_ci_auth::registry::docker_config::{DockerConfigDir, store};
use qualys_ci_auth::registry::RegistryCredential;
use secrecy::SecretString;
use serde_json::{Map, Value};

const KEY: &str = "registry.fuzz.test:5000";

fuzz_target!(|data: &[u8]| {
    // Helpers run external programs; the merge logic is what is fuzzed here.
    if data.windows(5).any(|w| w.eq_ignore_ascii_case(b"creds")) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.json");
    std::fs::write(&path, data).expect("write config");
    let config = DockerConfigDir { dir: dir.path().to_owned() };
    let credential = RegistryCredential::new("fuzz-user", SecretString::from("fuzz-password".to_owned()))
        .expect("valid credential");

    let before: Option<Map<String, Value>> = serde_json::from_slice(data).ok();
    match store(&config, KEY, &credential) {
        Err(_) => {
            let after = std::fs::read(&path).expect("read config");
            assert_eq!(after, data, "a rejected config must be left unchanged");
        }
        Ok(_) => {
            let after: Map<String, Value> =
                serde_json::from_slice(&std::fs::read(&path).expect("read config")).expect("valid JSON written");
            let Some(before) = before else {
                // An empty file is the only non-JSON input that may be replaced.
                assert!(data.iter().all(u8::is_ascii_whitespace), "non-JSON input was overwritten");
                return;
            };
            for (key, value) in &before {
                if key != "auths" {
                    assert_eq!(after.get(key), Some(value), "top-level key {key} changed");
                }
            }
            if let Some(Value::Object(auths)) = before.get("auths") {
                for (registry, entry) in auths {
                    if registry != KEY {
                        assert_eq!(after["auths"].get(registry), Some(entry), "entry {registry} changed");
                    }
                }
            }
            assert!(after["auths"][KEY]["auth"].is_string());
        }
    }
});
