//! Docker's client configuration file, `config.json`, where registry clients
//! (Docker, Podman, Buildah, skopeo, crane, QScanner) read credentials.
//!
//! The file lives in `$DOCKER_CONFIG`, by default `~/.docker`. A login sets
//! `auths.<registry>.auth` to the base64 of `user:password`, or hands the
//! credential to the helper named by `credHelpers.<registry>` or
//! `credsStore`. Every other key and registry is kept, in its order;
//! unknown keys survive. Writers are serialized with an advisory lock on
//! `config.json.lock` beside the file, and the file is replaced atomically
//! (a temporary file in the same directory, fsync, rename, fsync of the
//! directory) with mode 0600. After writing, the file is read back and the
//! entry checked, because a login that was reported but not saved fails
//! only later, in another step. A file that is not valid JSON, or whose
//! `auths` is not an object, is never overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret as _;
use serde_json::{Map, Value};
use zeroize::{Zeroize as _, Zeroizing};

use super::credential::RegistryCredential;
use super::helper;
use crate::error::{Error, Result};

/// The file name inside the configuration directory.
pub const CONFIG_FILE: &str = "config.json";

/// The lock file beside `config.json`; its content is unused.
pub const LOCK_FILE: &str = "config.json.lock";

/// Entry fields that hold a credential. A new login replaces all of them,
/// because Docker prefers `identitytoken` over `auth` when both are present.
const SECRET_FIELDS: [&str; 5] = [
    "auth",
    "identitytoken",
    "registrytoken",
    "username",
    "password",
];

/// The directory that contains `config.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerConfigDir {
    pub dir: PathBuf,
}

impl DockerConfigDir {
    /// Returns `explicit`, else `$DOCKER_CONFIG`, else `$HOME/.docker`.
    pub fn locate(explicit: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        if let Some(dir) = explicit {
            return Ok(Self {
                dir: dir.to_owned(),
            });
        }
        if let Some(dir) = env("DOCKER_CONFIG").filter(|d| !d.trim().is_empty()) {
            return Ok(Self {
                dir: PathBuf::from(dir),
            });
        }
        match env("HOME").filter(|h| !h.trim().is_empty()) {
            Some(home) => Ok(Self {
                dir: Path::new(&home).join(".docker"),
            }),
            None => Err(Error::invalid(
                "neither DOCKER_CONFIG nor HOME is set, so the Docker config directory is unknown; set DOCKER_CONFIG to a directory",
            )),
        }
    }

    /// Returns the path of `config.json`.
    pub fn file(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }
}

/// The store that received a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredIn {
    /// `auths.<key>.auth` in this file.
    File(PathBuf),
    /// This credential helper; the file keeps an entry without secrets.
    Helper { helper: String, file: PathBuf },
}

/// The entries a logout removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erased {
    pub file: PathBuf,
    /// Whether `config.json` had an entry for the registry.
    pub from_file: bool,
    /// The helper asked to erase, and whether it had an entry.
    pub helper: Option<(String, bool)>,
}

/// Saves `credential` under `key`, through the configured helper if there
/// is one, holding the lock throughout.
pub fn store(
    dir: &DockerConfigDir,
    key: &str,
    credential: &RegistryCredential,
) -> Result<StoredIn> {
    create_dir(&dir.dir)?;
    let _lock = lock(&dir.dir)?;
    let path = dir.file();
    let shown = path.display().to_string();
    let mut document = read(&path)?;

    if let Some(helper) = helper_for(&document, key, &shown)? {
        helper::store(&helper, key, credential)?;
        // Like the Docker CLI, keep an entry without secrets, so that tools
        // listing `auths` see the login. A plain-text credential from an
        // earlier login is removed.
        let existed = entry_of(&document, key).is_some();
        let entry = entry_mut(&mut document, key, &shown)?;
        let had_secret = SECRET_FIELDS.iter().any(|field| entry.contains_key(*field));
        for field in SECRET_FIELDS {
            entry.remove(field);
        }
        if had_secret || !existed {
            write_atomically(&path, &document)?;
            let written = read(&path)?;
            if entry_of(&written, key)
                .is_none_or(|e| SECRET_FIELDS.iter().any(|f| e.contains_key(*f)))
            {
                return Err(not_persisted(&shown, key));
            }
        }
        return Ok(StoredIn::Helper { helper, file: path });
    }

    let mut auth = Zeroizing::new(STANDARD.encode(format!(
        "{}:{}",
        credential.username,
        credential.password.expose_secret()
    )));
    let entry = entry_mut(&mut document, key, &shown)?;
    for field in SECRET_FIELDS {
        entry.remove(field);
    }
    entry.insert("auth".into(), Value::String(auth.to_string()));
    let result = write_atomically(&path, &document);
    wipe_auth(&mut document, key);
    result?;

    let mut written = read(&path)?;
    let persisted = entry_of(&written, key)
        .and_then(|entry| entry.get("auth"))
        .and_then(Value::as_str)
        .is_some_and(|value| value == auth.as_str());
    wipe_auth(&mut written, key);
    auth.zeroize();
    if !persisted {
        return Err(not_persisted(&shown, key));
    }
    Ok(StoredIn::File(path))
}

/// Removes the entry for exactly `key`, and erases it in the credential
/// helper when one is configured.
pub fn erase(dir: &DockerConfigDir, key: &str) -> Result<Erased> {
    let path = dir.file();
    let shown = path.display().to_string();
    if !path.exists() {
        return Ok(Erased {
            file: path,
            from_file: false,
            helper: None,
        });
    }
    let _lock = lock(&dir.dir)?;
    let mut document = read(&path)?;

    let helper = match helper_for(&document, key, &shown)? {
        Some(name) => {
            let had_entry = helper::erase(&name, key)?;
            Some((name, had_entry))
        }
        None => None,
    };

    let from_file = match document.get_mut("auths") {
        Some(Value::Object(auths)) => auths.shift_remove(key).is_some(),
        _ => false,
    };
    if from_file {
        write_atomically(&path, &document)?;
        if entry_of(&read(&path)?, key).is_some() {
            return Err(Error::io(
                "removing the registry entry from",
                shown,
                std::io::Error::other(format!(
                    "the entry for {key} is still there after the write"
                )),
            ));
        }
    }
    Ok(Erased {
        file: path,
        from_file,
        helper,
    })
}

fn not_persisted(shown: &str, key: &str) -> Error {
    Error::io(
        "saving the registry login in",
        shown,
        std::io::Error::other(format!(
            "the entry for {key} was not found as written when the file was read back; another program may have replaced the file"
        )),
    )
}

fn create_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            Error::io(
                "creating the Docker config directory",
                dir.display().to_string(),
                e,
            )
        })
}

/// Takes the exclusive lock that serializes every writer of `config.json`
/// using this tool; it is released when the returned file is dropped.
fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::io("opening the lock file", path.display().to_string(), e))?;
    fs4::FileExt::lock(&file).map_err(|e| Error::io("locking", path.display().to_string(), e))?;
    Ok(file)
}

/// Reads the document; a missing or blank file is an empty object.
fn read(path: &Path) -> Result<Map<String, Value>> {
    let shown = path.display().to_string();
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => return Err(Error::io("reading", shown, e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| Error::ConfigMalformed {
        path: shown.clone(),
        cause: format!("it is not valid JSON ({e})"),
    })?;
    let Value::Object(document) = value else {
        return Err(Error::ConfigMalformed {
            path: shown,
            cause: "its top level is not a JSON object".into(),
        });
    };
    match document.get("auths") {
        None | Some(Value::Object(_)) | Some(Value::Null) => {}
        Some(_) => {
            return Err(Error::ConfigMalformed {
                path: shown,
                cause: "its \"auths\" is not a JSON object".into(),
            });
        }
    }
    Ok(document)
}

/// Returns the helper for `key`: `credHelpers.<key>` first, then `credsStore`.
fn helper_for(document: &Map<String, Value>, key: &str, shown: &str) -> Result<Option<String>> {
    let per_registry = match document.get("credHelpers") {
        None | Some(Value::Null) => None,
        Some(Value::Object(helpers)) => match helpers.get(key) {
            None => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => {
                return Err(Error::ConfigMalformed {
                    path: shown.to_owned(),
                    cause: format!("\"credHelpers\".\"{key}\" is not a string"),
                });
            }
        },
        Some(_) => {
            return Err(Error::ConfigMalformed {
                path: shown.to_owned(),
                cause: "its \"credHelpers\" is not a JSON object".into(),
            });
        }
    };
    let name = match per_registry {
        Some(name) => Some(name),
        None => match document.get("credsStore") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) if name.is_empty() => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => {
                return Err(Error::ConfigMalformed {
                    path: shown.to_owned(),
                    cause: "its \"credsStore\" is not a string".into(),
                });
            }
        },
    };
    if let Some(name) = &name {
        helper::validate_name(name, shown)?;
    }
    Ok(name)
}

fn entry_of<'a>(document: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    document.get("auths")?.as_object()?.get(key)?.as_object()
}

/// Returns the entry for `key`, creating `auths` and the entry as needed.
fn entry_mut<'a>(
    document: &'a mut Map<String, Value>,
    key: &str,
    shown: &str,
) -> Result<&'a mut Map<String, Value>> {
    let auths = document
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if auths.is_null() {
        *auths = Value::Object(Map::new());
    }
    let auths = auths
        .as_object_mut()
        .ok_or_else(|| Error::ConfigMalformed {
            path: shown.to_owned(),
            cause: "its \"auths\" is not a JSON object".into(),
        })?;
    let entry = auths
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if entry.is_null() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().ok_or_else(|| Error::ConfigMalformed {
        path: shown.to_owned(),
        cause: format!("\"auths\".\"{key}\" is not a JSON object"),
    })
}

/// Overwrites the in-memory copy of the `auth` value before it is dropped.
fn wipe_auth(document: &mut Map<String, Value>, key: &str) {
    if let Some(Value::Object(auths)) = document.get_mut("auths")
        && let Some(Value::Object(entry)) = auths.get_mut(key)
        && let Some(Value::String(auth)) = entry.get_mut("auth")
    {
        auth.zeroize();
    }
}

/// Replaces the file with `document`: a temporary file in the same
/// directory, written and synced, renamed over the target, then the
/// directory synced, so that a reader sees the old or the new file whole.
/// A symbolic link at `path` is followed and its target replaced.
fn write_atomically(path: &Path, document: &Map<String, Value>) -> Result<()> {
    let target = match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => fs::canonicalize(path)
            .map_err(|e| Error::io("resolving the symbolic link", path.display().to_string(), e))?,
        _ => path.to_owned(),
    };
    let shown = target.display().to_string();
    let dir = target.parent().unwrap_or(Path::new("."));

    // Docker writes the file indented with tabs; keeping its layout keeps
    // diffs of the file small for people who look at it.
    let mut bytes = Zeroizing::new(Vec::new());
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut *bytes, formatter);
    serde::Serialize::serialize(document, &mut serializer)
        .map_err(|e| Error::internal(format!("encoding config.json failed: {e}")))?;
    bytes.push(b'\n');

    let mut temp = tempfile::Builder::new()
        .prefix(".config.json.")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| Error::io("creating a temporary file beside", shown.clone(), e))?;
    temp.write_all(&bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("writing a temporary file beside", shown.clone(), e))?;
    // The mode is set again in case a umask or ACL changed it at creation.
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o600)).map_err(|e| {
        Error::io(
            "setting mode 0600 on a temporary file beside",
            shown.clone(),
            e,
        )
    })?;
    temp.persist(&target)
        .map_err(|e| Error::io("replacing", shown.clone(), e.error))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("syncing the directory of", shown, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn credential(user: &str, password: &str) -> RegistryCredential {
        RegistryCredential::new(user, SecretString::from(password.to_owned())).expect("valid")
    }

    fn dir() -> (tempfile::TempDir, DockerConfigDir) {
        let temp = tempfile::tempdir().expect("temp dir");
        let config = DockerConfigDir {
            dir: temp.path().join("docker"),
        };
        (temp, config)
    }

    fn load(config: &DockerConfigDir) -> Value {
        serde_json::from_slice(&fs::read(config.file()).expect("file exists")).expect("valid JSON")
    }

    #[test]
    fn new_file_has_entry_and_mode() {
        let (_temp, config) = dir();
        let stored = store(&config, "ghcr.io", &credential("octocat", "pa:ss")).expect("stored");
        assert_eq!(stored, StoredIn::File(config.file()));
        let document = load(&config);
        assert_eq!(
            document["auths"]["ghcr.io"]["auth"],
            STANDARD.encode("octocat:pa:ss")
        );
        let mode = fs::metadata(config.file())
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(&config.dir)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        let leftovers: Vec<_> = fs::read_dir(&config.dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn merge_keeps_other_keys_in_order() {
        let (_temp, config) = dir();
        fs::create_dir_all(&config.dir).expect("dir");
        let original = r#"{
  "zeta": 1,
  "auths": {
    "quay.io": {"auth": "cXVheTpwdw==", "email": "a@example.com"},
    "ghcr.io": {"auth": "b2xkOm9sZA==", "identitytoken": "old", "note": "kept"}
  },
  "psFormat": "table {{.ID}}",
  "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
  "alpha": [true, null, 2.5]
}"#;
        fs::write(config.file(), original).expect("write");
        store(&config, "ghcr.io", &credential("new", "secret")).expect("stored");

        let document = load(&config);
        let keys: Vec<&String> = document.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["zeta", "auths", "psFormat", "proxies", "alpha"]);
        assert_eq!(document["auths"]["quay.io"]["auth"], "cXVheTpwdw==");
        assert_eq!(document["auths"]["quay.io"]["email"], "a@example.com");
        assert_eq!(
            document["auths"]["ghcr.io"]["auth"],
            STANDARD.encode("new:secret")
        );
        assert_eq!(document["auths"]["ghcr.io"]["note"], "kept");
        assert!(document["auths"]["ghcr.io"].get("identitytoken").is_none());
        assert_eq!(
            document["proxies"]["default"]["httpProxy"],
            "http://proxy:3128"
        );
        assert_eq!(document["alpha"], serde_json::json!([true, null, 2.5]));
    }

    #[test]
    fn malformed_files_are_left_alone() {
        for (content, expected) in [
            ("{\"auths\": {", "not valid JSON"),
            ("[1, 2]", "top level is not a JSON object"),
            ("{\"auths\": []}", "\"auths\" is not a JSON object"),
            (
                "{\"auths\": {\"ghcr.io\": \"x\"}}",
                "\"auths\".\"ghcr.io\" is not a JSON object",
            ),
            ("{\"credsStore\": 3}", "\"credsStore\" is not a string"),
            (
                "{\"credHelpers\": {\"ghcr.io\": \"../evil\"}}",
                "not a plain program suffix",
            ),
        ] {
            let (_temp, config) = dir();
            fs::create_dir_all(&config.dir).expect("dir");
            fs::write(config.file(), content).expect("write");
            let error =
                store(&config, "ghcr.io", &credential("u", "CANARY-malformed")).unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::ConfigMalformed, "{content}");
            let message = error.to_string();
            assert!(message.contains(expected), "{content}: {message}");
            assert!(
                message.contains(&config.file().display().to_string()),
                "{message}"
            );
            assert!(!message.contains("CANARY-malformed"), "{message}");
            assert_eq!(fs::read_to_string(config.file()).expect("read"), content);
        }
    }

    #[test]
    fn empty_file_counts_as_empty_object() {
        let (_temp, config) = dir();
        fs::create_dir_all(&config.dir).expect("dir");
        fs::write(config.file(), "\n").expect("write");
        store(&config, "localhost:5000", &credential("u", "p")).expect("stored");
        assert_eq!(
            load(&config)["auths"]["localhost:5000"]["auth"],
            STANDARD.encode("u:p")
        );
    }

    #[test]
    fn symlinked_file_target_is_replaced() {
        let (temp, config) = dir();
        fs::create_dir_all(&config.dir).expect("dir");
        let real = temp.path().join("real-config.json");
        fs::write(&real, "{\"auths\": {}}").expect("write");
        std::os::unix::fs::symlink(&real, config.file()).expect("symlink");
        store(&config, "ghcr.io", &credential("u", "p")).expect("stored");
        assert!(
            fs::symlink_metadata(config.file())
                .expect("link")
                .file_type()
                .is_symlink()
        );
        let document: Value =
            serde_json::from_slice(&fs::read(&real).expect("read")).expect("json");
        assert_eq!(document["auths"]["ghcr.io"]["auth"], STANDARD.encode("u:p"));
    }

    #[test]
    fn erase_removes_exactly_one_entry() {
        let (_temp, config) = dir();
        fs::create_dir_all(&config.dir).expect("dir");
        fs::write(
            config.file(),
            r#"{"auths": {"ghcr.io": {"auth": "eA=="}, "https://ghcr.io": {"auth": "eQ=="}, "quay.io": {}}, "x": 1}"#,
        )
        .expect("write");
        let erased = erase(&config, "ghcr.io").expect("erased");
        assert!(erased.from_file);
        assert_eq!(erased.helper, None);
        let document = load(&config);
        assert!(document["auths"].get("ghcr.io").is_none());
        assert_eq!(document["auths"]["https://ghcr.io"]["auth"], "eQ==");
        assert!(document["auths"].get("quay.io").is_some());
        assert_eq!(document["x"], 1);

        let again = erase(&config, "ghcr.io").expect("no entry is fine");
        assert!(!again.from_file);
    }

    #[test]
    fn erase_without_file_is_a_no_op() {
        let (_temp, config) = dir();
        let erased = erase(&config, "ghcr.io").expect("no file is fine");
        assert!(!erased.from_file);
        assert!(!config.file().exists());
    }

    #[test]
    fn registry_helper_before_store() {
        let document: Map<String, Value> =
            serde_json::from_str(r#"{"credsStore": "desktop", "credHelpers": {"ghcr.io": "gh"}}"#)
                .expect("JSON");
        let helper = |key| helper_for(&document, key, "config.json").expect("valid");
        assert_eq!(helper("ghcr.io").as_deref(), Some("gh"));
        assert_eq!(helper("registry.example.com").as_deref(), Some("desktop"));
        let none: Map<String, Value> = serde_json::from_str(r#"{"credsStore": ""}"#).expect("JSON");
        assert_eq!(
            helper_for(&none, "ghcr.io", "config.json").expect("valid"),
            None
        );
    }

    #[test]
    fn locate_order() {
        let env = |name: &str| match name {
            "DOCKER_CONFIG" => Some("/cfg".to_owned()),
            "HOME" => Some("/home/u".to_owned()),
            _ => None,
        };
        assert_eq!(
            DockerConfigDir::locate(Some(Path::new("/x")), &env)
                .expect("explicit")
                .dir,
            Path::new("/x")
        );
        assert_eq!(
            DockerConfigDir::locate(None, &env).expect("env").dir,
            Path::new("/cfg")
        );
        let home_only = |name: &str| (name == "HOME").then(|| "/home/u".to_owned());
        assert_eq!(
            DockerConfigDir::locate(None, &home_only).expect("home").dir,
            Path::new("/home/u/.docker")
        );
        assert!(DockerConfigDir::locate(None, &|_: &str| None).is_err());
    }
}
