//! The local audit log: one JSON line per use of a token.
//!
//! Each login, verification, API call, `/auth` exchange and token hand-out
//! appends a record. It contains the UTC time, the CI platform, the run id
//! and URL from the runner's variables, the environment label, the gateway,
//! the backend, the token's fingerprint (first 16 hex digits of its SHA-256)
//! and the outcome. A record never contains a token or a password.
//!
//! The file is created with mode 0600 (on Unix). Each line is one `O_APPEND`
//! write made while an advisory exclusive lock (`flock` on Unix,
//! `LockFileEx` on Windows) is held, so several processes can append to one
//! file without interleaving lines. Symbolic links are not followed
//! on Unix, so a planted link cannot redirect the log.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::platform::{Backend, CredentialKind, Platform};
use crate::time_fmt::{now_unix, rfc3339};

/// Variable that names the audit log file, or `off` to disable it.
pub const ENV_AUDIT_LOG: &str = "QUALYS_AUDIT_LOG";

/// The value of `--audit-log` or `QUALYS_AUDIT_LOG` that disables the log.
pub const AUDIT_OFF: &str = "off";

/// File name of the default audit log, under the user's state directory.
pub const DEFAULT_AUDIT_FILE: &str = "audit.jsonl";

/// Maximum length of an audit log line read back when looking for shared
/// tokens. Longer lines are not records of this tool and are skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Kind of event a record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// `POST /auth`: a user name and password exchanged for a JWT.
    Auth,
    /// Authentication and verification together (`login`).
    Login,
    /// One Container Security call that proves a bearer token.
    Verify,
    /// An authenticated API call.
    Request,
    /// The bearer token handed to the next pipeline step (`token`).
    Token,
}

/// The run a record belongs to, from the runner's variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunContext {
    pub run_id: Option<String>,
    pub run_url: Option<String>,
}

/// Characters escaped in an Azure DevOps project name inside a URL path.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

impl RunContext {
    /// Reads the run id and URL that each runner sets:
    ///
    /// | Platform | Run id | Run URL |
    /// |---|---|---|
    /// | Jenkins | `BUILD_ID` | `BUILD_URL` |
    /// | GitHub Actions | `GITHUB_RUN_ID` | `GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID` |
    /// | GitLab CI | `CI_JOB_ID` | `CI_JOB_URL` |
    /// | Azure DevOps | `BUILD_BUILDID` | `SYSTEM_COLLECTIONURI` + `SYSTEM_TEAMPROJECT` + `/_build/results?buildId=BUILD_BUILDID` |
    pub fn detect(platform: Platform, env: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        match platform {
            Platform::Jenkins => Self {
                run_id: get("BUILD_ID"),
                run_url: get("BUILD_URL"),
            },
            Platform::GithubActions => {
                let run_id = get("GITHUB_RUN_ID");
                let run_url = match (&run_id, get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY")) {
                    (Some(id), Some(server), Some(repository)) => Some(format!(
                        "{}/{repository}/actions/runs/{id}",
                        server.trim_end_matches('/')
                    )),
                    _ => None,
                };
                Self { run_id, run_url }
            }
            Platform::GitlabCi => Self {
                run_id: get("CI_JOB_ID"),
                run_url: get("CI_JOB_URL"),
            },
            Platform::AzureDevops => {
                let run_id = get("BUILD_BUILDID");
                let run_url = match (
                    &run_id,
                    get("SYSTEM_COLLECTIONURI"),
                    get("SYSTEM_TEAMPROJECT"),
                ) {
                    (Some(id), Some(collection), Some(project)) => Some(format!(
                        "{}/{}/_build/results?buildId={id}",
                        collection.trim_end_matches('/'),
                        utf8_percent_encode(&project, PATH_SEGMENT)
                    )),
                    _ => None,
                };
                Self { run_id, run_url }
            }
            Platform::Shell => Self::default(),
        }
    }

    /// Reads the run context from this process's environment.
    pub fn detect_from_process(platform: Platform) -> Self {
        Self::detect(platform, |name| std::env::var(name).ok())
    }
}

/// One line of the audit log. Field names and meanings are stable; fields
/// may be added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// UTC time, RFC 3339, whole seconds.
    pub time: String,
    pub operation: Operation,
    pub platform: String,
    pub run_id: Option<String>,
    pub run_url: Option<String>,
    pub environment: Option<String>,
    pub gateway: String,
    pub backend: String,
    pub credential: String,
    /// The user name of a password credential; never set for API tokens.
    pub user: Option<String>,
    /// First 16 hex digits of the SHA-256 of the token used, when there was one.
    pub token_fingerprint: Option<String>,
    /// `ok`, or the error code string such as `token_rejected`.
    pub outcome: String,
    /// Process id of the writer, to tell concurrent jobs apart.
    pub pid: u32,
}

/// The fixed parts of every record a session writes.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    pub log: AuditLog,
    pub environment: Option<String>,
    pub run: RunContext,
}

/// The facts of one event, which [`AuditSettings::record`] completes.
#[derive(Clone, Debug)]
pub struct AuditEvent<'a> {
    pub operation: Operation,
    pub platform: Platform,
    pub gateway: &'a str,
    pub backend: Backend,
    pub credential: CredentialKind,
    pub user: Option<&'a str>,
    pub token_fingerprint: Option<String>,
    /// `None` for success, else the error code string.
    pub error_code: Option<&'static str>,
}

impl AuditSettings {
    /// Builds the record for `event` at the current time.
    pub fn record(&self, event: AuditEvent<'_>) -> AuditRecord {
        AuditRecord {
            time: rfc3339(now_unix()),
            operation: event.operation,
            platform: event.platform.as_str().to_owned(),
            run_id: self.run.run_id.clone(),
            run_url: self.run.run_url.clone(),
            environment: self.environment.clone(),
            gateway: event.gateway.to_owned(),
            backend: event.backend.as_str().to_owned(),
            credential: match event.credential {
                CredentialKind::ApiToken => "api-token",
                CredentialKind::UsernamePassword => "username-password",
            }
            .to_owned(),
            user: event.user.map(str::to_owned),
            token_fingerprint: event.token_fingerprint,
            outcome: event.error_code.unwrap_or("ok").to_owned(),
            pid: std::process::id(),
        }
    }

    /// Appends a record on a blocking thread. A failure is logged as a
    /// warning and does not change the outcome of the operation, because the
    /// operation has already happened.
    pub async fn append_in_background(&self, record: AuditRecord) {
        let log = self.log.clone();
        let path = log.path().display().to_string();
        match tokio::task::spawn_blocking(move || log.append(&record)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(path, %error, "writing the audit record failed"),
            Err(error) => tracing::warn!(path, %error, "the audit writer task failed"),
        }
    }
}

/// An audit log file. Cheap to clone: it holds only the path, and every
/// append opens the file anew, so log rotation by renaming works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// Opens (creating it with mode 0600 if needed) the log at `path`, so
    /// that a path that cannot be written fails before any token is used.
    /// The parent directory must exist.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let log = Self { path: path.into() };
        log.open_for_append()?;
        Ok(log)
    }

    /// Opens the log at `path`, creating missing parent directories with
    /// mode 0700 first. Used for the default location.
    pub fn open_creating_dirs(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(parent).map_err(|e| {
                Error::io(
                    "creating the audit log directory",
                    parent.display().to_string(),
                    e,
                )
            })?;
        }
        Self::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_for_append(&self) -> Result<File> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        options
            .open(&self.path)
            .map_err(|e| Error::io("opening the audit log", self.path.display().to_string(), e))
    }

    /// Appends one record as one line, in a single write under an exclusive
    /// advisory lock.
    pub fn append(&self, record: &AuditRecord) -> Result<()> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| Error::internal(format!("formatting an audit record failed: {e}")))?;
        line.push(b'\n');

        let mut file = self.open_for_append()?;
        let path = self.path.display().to_string();
        fs4::FileExt::lock(&file)
            .map_err(|e| Error::io("locking the audit log", path.clone(), e))?;
        let written = file.write(&line);
        // Closing the file releases the lock as well; unlocking first keeps
        // the lock short when the close is delayed.
        let _ = fs4::FileExt::unlock(&file);
        match written {
            Ok(n) if n == line.len() => Ok(()),
            Ok(n) => Err(Error::io(
                "appending to the audit log",
                path,
                std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    format!("only {n} of {} bytes were written", line.len()),
                ),
            )),
            Err(e) => Err(Error::io("appending to the audit log", path, e)),
        }
    }
}

/// Destination of the audit log, chosen from the flag, the variable and the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditTarget {
    /// Disabled with `off`, or no default location exists (no home directory).
    Off,
    /// The default location; failing to open it is only a warning.
    Default(PathBuf),
    /// A path the user named; failing to open it is an error.
    Explicit(PathBuf),
}

impl AuditTarget {
    /// Picks the target: the flag value, else `QUALYS_AUDIT_LOG`, else the
    /// default location (see [`default_path`]).
    pub fn resolve(flag: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Self {
        let chosen = flag
            .map(str::to_owned)
            .or_else(|| env(ENV_AUDIT_LOG))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        match chosen {
            Some(value) if value == AUDIT_OFF => Self::Off,
            Some(value) => Self::Explicit(PathBuf::from(value)),
            None => match default_path(env) {
                Some(path) => Self::Default(path),
                None => Self::Off,
            },
        }
    }

    /// Returns the file path, if the log is on.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Off => None,
            Self::Default(path) | Self::Explicit(path) => Some(path),
        }
    }

    /// Opens the log. An explicit path that cannot be opened is an error. A
    /// default path that cannot be opened is logged as a warning, and the
    /// audit log is then off.
    pub fn open(&self) -> Result<Option<AuditLog>> {
        match self {
            Self::Off => Ok(None),
            Self::Explicit(path) => AuditLog::open(path.clone()).map(Some),
            Self::Default(path) => match AuditLog::open_creating_dirs(path.clone()) {
                Ok(log) => Ok(Some(log)),
                Err(error) => {
                    tracing::warn!(%error, "the default audit log cannot be written; set QUALYS_AUDIT_LOG to a writable path or to off");
                    Ok(None)
                }
            },
        }
    }
}

/// Returns the default audit log: `$XDG_STATE_HOME/qualys-ci-auth/audit.jsonl`,
/// else `$HOME/.local/state/qualys-ci-auth/audit.jsonl` (on Windows
/// `%LOCALAPPDATA%\qualys-ci-auth\audit.jsonl`), or `None` when none of
/// these variables is set to an absolute path.
pub fn default_path(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let absolute = |name: &str| env(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let base = if cfg!(windows) {
        absolute("LOCALAPPDATA")
    } else {
        absolute("XDG_STATE_HOME")
            .or_else(|| absolute("HOME").map(|home| home.join(".local").join("state")))
    };
    base.map(|dir| dir.join("qualys-ci-auth").join(DEFAULT_AUDIT_FILE))
}

/// Environment labels seen per token fingerprint in an audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditHistory {
    pub environments_by_fingerprint: BTreeMap<String, BTreeSet<String>>,
    /// Lines that were not audit records (malformed or foreign) and were skipped.
    pub skipped_lines: u64,
}

impl AuditHistory {
    /// Reads an audit log. A missing file is an empty history.
    pub fn read(path: &Path) -> Result<Self> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(Error::io(
                    "reading the audit log",
                    path.display().to_string(),
                    e,
                ));
            }
        };
        Self::from_reader(BufReader::new(file))
            .map_err(|e| Error::io("reading the audit log", path.display().to_string(), e))
    }

    /// Parses audit lines; lines that are not records are counted and skipped.
    pub fn from_reader(mut reader: impl std::io::BufRead) -> std::io::Result<Self> {
        #[derive(Deserialize)]
        struct Seen {
            environment: Option<String>,
            token_fingerprint: Option<String>,
        }

        let mut history = Self::default();
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = (&mut reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            if line.len() > MAX_LINE_BYTES && !line.ends_with(b"\n") {
                // Skip the rest of an overlong line.
                history.skipped_lines += 1;
                let mut rest = Vec::new();
                reader.read_until(b'\n', &mut rest)?;
                continue;
            }
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Seen>(text) {
                Ok(Seen {
                    environment: Some(environment),
                    token_fingerprint: Some(fingerprint),
                }) => {
                    history
                        .environments_by_fingerprint
                        .entry(fingerprint)
                        .or_default()
                        .insert(environment);
                }
                Ok(_) => {}
                Err(_) => history.skipped_lines += 1,
            }
        }
        Ok(history)
    }

    /// Returns the environment labels recorded for `fingerprint`.
    pub fn environments(&self, fingerprint: &str) -> BTreeSet<String> {
        self.environments_by_fingerprint
            .get(fingerprint)
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn run_context_per_platform() {
        let jenkins = RunContext::detect(
            Platform::Jenkins,
            env_of(&[
                ("BUILD_ID", "42"),
                ("BUILD_URL", "https://ci.example.com/job/a/42/"),
            ]),
        );
        assert_eq!(jenkins.run_id.as_deref(), Some("42"));
        assert_eq!(
            jenkins.run_url.as_deref(),
            Some("https://ci.example.com/job/a/42/")
        );

        let github = RunContext::detect(
            Platform::GithubActions,
            env_of(&[
                ("GITHUB_RUN_ID", "9001"),
                ("GITHUB_SERVER_URL", "https://github.com"),
                ("GITHUB_REPOSITORY", "acme/app"),
            ]),
        );
        assert_eq!(github.run_id.as_deref(), Some("9001"));
        assert_eq!(
            github.run_url.as_deref(),
            Some("https://github.com/acme/app/actions/runs/9001")
        );

        let gitlab = RunContext::detect(
            Platform::GitlabCi,
            env_of(&[
                ("CI_JOB_ID", "77"),
                ("CI_JOB_URL", "https://gitlab.example.com/a/-/jobs/77"),
            ]),
        );
        assert_eq!(gitlab.run_id.as_deref(), Some("77"));
        assert_eq!(
            gitlab.run_url.as_deref(),
            Some("https://gitlab.example.com/a/-/jobs/77")
        );

        let azure = RunContext::detect(
            Platform::AzureDevops,
            env_of(&[
                ("BUILD_BUILDID", "314"),
                ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/"),
                ("SYSTEM_TEAMPROJECT", "Container Apps"),
            ]),
        );
        assert_eq!(azure.run_id.as_deref(), Some("314"));
        assert_eq!(
            azure.run_url.as_deref(),
            Some("https://dev.azure.com/acme/Container%20Apps/_build/results?buildId=314")
        );

        let partial =
            RunContext::detect(Platform::GithubActions, env_of(&[("GITHUB_RUN_ID", "1")]));
        assert_eq!(partial.run_id.as_deref(), Some("1"));
        assert_eq!(partial.run_url, None);
        assert_eq!(
            RunContext::detect(Platform::Shell, env_of(&[("BUILD_ID", "1")])),
            RunContext::default()
        );
    }

    #[test]
    fn target_resolution() {
        assert_eq!(
            AuditTarget::resolve(
                Some("/tmp/a.jsonl"),
                env_of(&[(ENV_AUDIT_LOG, "/tmp/b.jsonl")])
            ),
            AuditTarget::Explicit(PathBuf::from("/tmp/a.jsonl"))
        );
        assert_eq!(
            AuditTarget::resolve(None, env_of(&[(ENV_AUDIT_LOG, "/tmp/b.jsonl")])),
            AuditTarget::Explicit(PathBuf::from("/tmp/b.jsonl"))
        );
        assert_eq!(
            AuditTarget::resolve(Some("off"), env_of(&[(ENV_AUDIT_LOG, "/tmp/b.jsonl")])),
            AuditTarget::Off
        );
        assert_eq!(AuditTarget::resolve(None, env_of(&[])), AuditTarget::Off);
        if cfg!(unix) {
            assert_eq!(
                AuditTarget::resolve(None, env_of(&[("HOME", "/home/ci")])),
                AuditTarget::Default(PathBuf::from(
                    "/home/ci/.local/state/qualys-ci-auth/audit.jsonl"
                ))
            );
            assert_eq!(
                AuditTarget::resolve(
                    None,
                    env_of(&[("HOME", "/home/ci"), ("XDG_STATE_HOME", "/state")])
                ),
                AuditTarget::Default(PathBuf::from("/state/qualys-ci-auth/audit.jsonl"))
            );
            // A relative HOME is no base for a default.
            assert_eq!(
                AuditTarget::resolve(None, env_of(&[("HOME", "home")])),
                AuditTarget::Off
            );
        }
    }

    fn sample(environment: Option<&str>, fingerprint: Option<&str>) -> AuditRecord {
        AuditRecord {
            time: rfc3339(0),
            operation: Operation::Login,
            platform: "shell".into(),
            run_id: None,
            run_url: None,
            environment: environment.map(str::to_owned),
            gateway: "https://gateway.example.com".into(),
            backend: "qscanner".into(),
            credential: "api-token".into(),
            user: None,
            token_fingerprint: fingerprint.map(str::to_owned),
            outcome: "ok".into(),
            pid: 1,
        }
    }

    #[test]
    fn append_creates_private_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).expect("opens");
        log.append(&sample(Some("prod"), Some("00112233aabbccdd")))
            .expect("appends");
        log.append(&sample(Some("dev"), Some("00112233aabbccdd")))
            .expect("appends");
        let text = std::fs::read_to_string(&path).expect("reads");
        assert_eq!(text.lines().count(), 2);
        for line in text.lines() {
            let record: AuditRecord = serde_json::from_str(line).expect("a record per line");
            assert_eq!(record.outcome, "ok");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlink_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").expect("write target");
        let link = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = AuditLog::open(&link).expect_err("symlink rejected");
        assert_eq!(err.code(), crate::ErrorCode::Io);
    }

    #[test]
    fn missing_parent_is_error_unless_default() {
        let dir = tempfile::tempdir().expect("temp dir");
        let nested = dir.path().join("a").join("b").join("audit.jsonl");
        let err = AuditLog::open(&nested).expect_err("no parent");
        assert!(err.to_string().contains("audit.jsonl"), "{err}");
        let log = AuditLog::open_creating_dirs(&nested).expect("creates parents");
        assert!(log.path().is_file());
    }

    #[test]
    fn concurrent_threads_keep_lines_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).expect("opens");
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let log = log.clone();
                scope.spawn(move || {
                    for i in 0..200 {
                        let mut record = sample(Some("prod"), Some("00112233aabbccdd"));
                        record.run_id = Some(format!("{thread}-{i}"));
                        log.append(&record).expect("appends");
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).expect("reads");
        let mut ids = BTreeSet::new();
        for line in text.lines() {
            let record: AuditRecord = serde_json::from_str(line).expect("whole line");
            ids.insert(record.run_id.expect("run id"));
        }
        assert_eq!(ids.len(), 8 * 200);
    }

    #[test]
    fn history_groups_environments() {
        let mut text = String::new();
        for record in [
            sample(Some("prod"), Some("aaaa")),
            sample(Some("dev"), Some("aaaa")),
            sample(Some("prod"), Some("bbbb")),
            sample(None, Some("cccc")),
            sample(Some("prod"), None),
        ] {
            text.push_str(&serde_json::to_string(&record).expect("json"));
            text.push('\n');
        }
        text.push_str("not json\n\n{\"other\": 1}\n");
        let history = AuditHistory::from_reader(text.as_bytes()).expect("reads");
        assert_eq!(
            history.environments("aaaa"),
            BTreeSet::from(["dev".to_owned(), "prod".to_owned()])
        );
        assert_eq!(
            history.environments("bbbb"),
            BTreeSet::from(["prod".to_owned()])
        );
        assert!(history.environments("cccc").is_empty());
        assert_eq!(history.skipped_lines, 1);
    }

    #[test]
    fn history_of_missing_file_is_empty() {
        let history = AuditHistory::read(Path::new("/nonexistent/audit.jsonl")).expect("empty");
        assert_eq!(history, AuditHistory::default());
    }
}
