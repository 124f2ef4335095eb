//! Entry point for `QualysSession.check`: the token policy on a session's
//! token, over the core's [`check_blocking_session`].
//!
//! The policy layers are the core's, minus the environment variables: a
//! host such as a Jenkins controller runs many builds in one process, so
//! its own `QUALYS_*` variables describe none of them. The host passes
//! each setting explicitly instead, and the session's environment label is
//! the top layer, as `--environment` is on the command line.

use std::path::PathBuf;

use ::jni::objects::{JClass, JObject, JObjectArray, JString};
use ::jni::sys::{jint, jlong};
use ::jni::{Env, EnvUnowned, JValue, jni_sig, jni_str};

use super::convert::{
    optional_string, optional_string_array, string_array_or_null, string_or_null,
};
use super::policy::{BridgeResult, ThrowBridgeException};
use super::session::session;
use crate::audit::AuditHistory;
use crate::checks::{self, CheckOptions, PolicyReport, check_blocking_session};
use crate::error::Error;
use crate::policy::{Policy, PolicyOverrides, PolicySources, Severity};

/// Converts a day threshold; a negative value means "not set in this layer".
fn days(value: jint) -> Option<u32> {
    u32::try_from(value).ok()
}

/// `static native PolicyReport check(long handle, String policyFile,
/// String policyText, String policyOrigin, int warnAfterDays,
/// int failAfterDays, String[] requiredScopes, String extraScopes,
/// String sharedToken, String tokenCreated, String tokenSource)`
///
/// Verifies the session's token with one Container Security call and judges
/// it against the policy. The layers are the defaults, the policy file, the
/// other arguments, then the session's environment label. The policy file
/// is `policyFile`, which must exist, or `policyText`, which the caller read
/// from the file that `policyOrigin` names. Negative days and `null` values keep the layer below. A failed
/// verification is part of the report; an exception means no token could
/// be obtained at all, or a setting is invalid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_check<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    policy_file: JString<'local>,
    policy_text: JString<'local>,
    policy_origin: JString<'local>,
    warn_after_days: jint,
    fail_after_days: jint,
    required_scopes: JObjectArray<'local, JString<'local>>,
    extra_scopes: JString<'local>,
    shared_token: JString<'local>,
    token_created: JString<'local>,
    token_source: JString<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            // SAFETY: see `session`; the Java side holds the handle's read lock.
            let handle = unsafe { session(handle) }?;

            let flags = PolicyOverrides {
                warn_after_days: days(warn_after_days),
                fail_after_days: days(fail_after_days),
                required_scopes: optional_string_array(env, &required_scopes)?,
                extra_scopes: optional_string(env, &extra_scopes)?
                    .map(|value| value.parse::<Severity>())
                    .transpose()?,
                shared_token: optional_string(env, &shared_token)?
                    .map(|value| value.parse::<Severity>())
                    .transpose()?,
                environment: handle.environment.clone(),
            };
            let file = optional_string(env, &policy_file)?.map(PathBuf::from);
            let text = if policy_text.is_null() {
                None
            } else {
                Some(policy_text.try_to_string(env)?)
            };
            let sources = PolicySources {
                file,
                search_dir: None,
                env: PolicyOverrides::default(),
                flags,
            };
            let policy = match (text, &sources.file) {
                (Some(_), Some(path)) => {
                    return Err(Error::invalid(format!(
                        "both a policy file ({}) and a policy text were given; pass one of them",
                        path.display()
                    ))
                    .into());
                }
                (Some(text), None) => {
                    let origin = optional_string(env, &policy_origin)?
                        .unwrap_or_else(|| "(policy text)".to_owned());
                    Policy::resolve_with_text(&text, &origin, &sources)?
                }
                (None, _) => Policy::resolve(&sources)?,
            };

            let created = optional_string(env, &token_created)?
                .map(|text| checks::parse_creation_date(&text))
                .transpose()?;
            if let Some(date) = created
                && date > time::OffsetDateTime::now_utc().date()
            {
                return Err(Error::invalid(format!(
                    "the token creation date {date} lies in the future; give the day the token was created"
                ))
                .into());
            }
            let audit_history = handle
                .audit_log
                .as_deref()
                .map(AuditHistory::read)
                .transpose()?;
            let options = CheckOptions {
                created,
                token_source: optional_string(env, &token_source)?,
                variable_tokens: Vec::new(),
                audit_history,
            };

            let report = check_blocking_session(&handle.session, &policy, &options)?;
            policy_report(env, &report)
        })
        .resolve::<ThrowBridgeException>()
}

/// Builds an `io.qualysciauth.bridge.PolicyReport` from the core's report.
fn policy_report<'local>(
    env: &mut Env<'local>,
    report: &PolicyReport,
) -> BridgeResult<JObject<'local>> {
    let json = serde_json::to_string(report)
        .map_err(|e| Error::internal(format!("formatting the policy report failed: {e}")))?;
    let schema_version = jint::try_from(report.schema_version)
        .map_err(|_| Error::internal("the report's schema version does not fit a Java int"))?;
    let ids: Vec<String> = report
        .checks
        .iter()
        .map(|c| c.id.as_str().to_owned())
        .collect();
    let statuses: Vec<String> = report
        .checks
        .iter()
        .map(|c| c.status.as_str().to_owned())
        .collect();
    let messages: Vec<String> = report.checks.iter().map(|c| c.message.clone()).collect();
    let policy_file = report.policy.file.as_ref().map(|p| p.display().to_string());

    let status = string_or_null(env, Some(report.status.as_str()))?;
    let environment = string_or_null(env, report.environment.as_deref())?;
    let token_kind = string_or_null(env, Some(report.token_kind))?;
    let fingerprint = string_or_null(env, Some(&report.token_fingerprint))?;
    let token_source = string_or_null(env, report.token_source.as_deref())?;
    let ids = string_array_or_null(env, Some(&ids))?;
    let statuses = string_array_or_null(env, Some(&statuses))?;
    let messages = string_array_or_null(env, Some(&messages))?;
    let policy_file = string_or_null(env, policy_file.as_deref())?;
    let json = string_or_null(env, Some(&json))?;

    let class = env.find_class(jni_str!("io/qualysciauth/bridge/PolicyReport"))?;
    let object = env.new_object(
        &class,
        jni_sig!(
            "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;ILjava/lang/String;Ljava/lang/String;)V"
        ),
        &[
            JValue::Int(schema_version),
            JValue::Object(&status),
            JValue::Object(&environment),
            JValue::Object(&token_kind),
            JValue::Object(&fingerprint),
            JValue::Object(&token_source),
            JValue::Object(&ids),
            JValue::Object(&statuses),
            JValue::Object(&messages),
            JValue::Int(jint::from(report.exit_code())),
            JValue::Object(&policy_file),
            JValue::Object(&json),
        ],
    )?;
    Ok(object)
}
