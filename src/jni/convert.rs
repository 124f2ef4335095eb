//! Conversions between Java values and core types, shared by the entry points.
//!
//! Secrets cross as UTF-16 `char[]`: they are decoded into an exactly sized
//! buffer that moves into a `SecretString` without reallocation, so no
//! unzeroized copy is left on the Rust heap. Non-secret strings cross as
//! `java.lang.String`.

use std::time::Duration;

use ::jni::Env;
use ::jni::objects::{JCharArray, JObject, JObjectArray, JString};
use ::jni::sys::jint;
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::policy::BridgeResult;
use crate::error::Error;
use crate::http::{ExplicitProxy, HttpSettings, ProxySettings, RetryPolicy};

/// Reads a non-secret string argument; `null` and blank strings become `None`.
pub(crate) fn optional_string(env: &Env<'_>, value: &JString<'_>) -> BridgeResult<Option<String>> {
    if value.is_null() {
        return Ok(None);
    }
    let text = value.try_to_string(env)?;
    Ok(Some(text).filter(|text| !text.trim().is_empty()))
}

/// Reads a `String[]` argument; `null` becomes `None` and blank entries are dropped.
pub(crate) fn optional_string_array(
    env: &mut Env<'_>,
    array: &JObjectArray<'_, JString<'_>>,
) -> BridgeResult<Option<Vec<String>>> {
    if array.is_null() {
        return Ok(None);
    }
    let length = array.len(env)?;
    let mut values = Vec::with_capacity(length);
    for index in 0..length {
        let element = array.get_element(env, index)?;
        if let Some(value) = optional_string(env, &element)? {
            values.push(value);
        }
        env.delete_local_ref(element);
    }
    Ok(Some(values))
}

/// Reads a required non-secret string argument; `what` names it in the error.
pub(crate) fn required_string(
    env: &Env<'_>,
    value: &JString<'_>,
    what: &str,
) -> BridgeResult<String> {
    if value.is_null() {
        return Err(Error::invalid(format!("the {what} is null; pass a value")).into());
    }
    Ok(value.try_to_string(env)?)
}

/// Copies a `char[]` secret into a `SecretString`; `what` names it in errors.
/// A `null` array is a missing credential.
pub(crate) fn read_secret(
    env: &Env<'_>,
    array: &JCharArray<'_>,
    what: &str,
) -> BridgeResult<SecretString> {
    if array.is_null() {
        return Err(Error::missing(format!("the {what} is null; pass the secret")).into());
    }
    let length = array.len(env)?;
    let mut units = Zeroizing::new(vec![0_u16; length]);
    array.get_region(env, 0, &mut units)?;

    let mut utf8_length = 0;
    for unit in char::decode_utf16(units.iter().copied()) {
        let ch = unit.map_err(|_| {
            Error::invalid(format!(
                "the {what} contains an unpaired UTF-16 surrogate; pass it as valid text"
            ))
        })?;
        utf8_length += ch.len_utf8();
    }
    let mut text = String::with_capacity(utf8_length);
    for ch in char::decode_utf16(units.iter().copied()).flatten() {
        text.push(ch);
    }
    Ok(SecretString::from(text))
}

/// Copies a secret into a new Java `char[]`, which the Java caller clears.
pub(crate) fn secret_to_char_array<'local>(
    env: &mut Env<'local>,
    secret: &str,
) -> BridgeResult<JCharArray<'local>> {
    let units = utf16_units(secret);
    let array = JCharArray::new(env, units.len())?;
    array.set_region(env, 0, &units)?;
    Ok(array)
}

/// Copies secret strings into a new Java `char[][]`.
pub(crate) fn secrets_to_char_arrays<'local>(
    env: &mut Env<'local>,
    secrets: &[String],
) -> BridgeResult<JObject<'local>> {
    let array = JObjectArray::<JCharArray>::new(env, secrets.len(), JCharArray::null())?;
    for (index, secret) in secrets.iter().enumerate() {
        let element = secret_to_char_array(env, secret)?;
        array.set_element(env, index, &element)?;
        env.delete_local_ref(element);
    }
    Ok(array.into())
}

/// Returns the UTF-16 form of `text` in an exactly sized, zeroized buffer.
fn utf16_units(text: &str) -> Zeroizing<Vec<u16>> {
    let mut units = Zeroizing::new(Vec::with_capacity(text.encode_utf16().count()));
    units.extend(text.encode_utf16());
    units
}

/// Creates a Java string, or `null` for `None`.
pub(crate) fn string_or_null<'local>(
    env: &mut Env<'local>,
    value: Option<&str>,
) -> BridgeResult<JObject<'local>> {
    match value {
        Some(text) => Ok(JString::from_str(env, text)?.into()),
        None => Ok(JObject::null()),
    }
}

/// Creates a Java `String[]`, or `null` for `None`.
pub(crate) fn string_array_or_null<'local>(
    env: &mut Env<'local>,
    values: Option<&[String]>,
) -> BridgeResult<JObject<'local>> {
    let Some(values) = values else {
        return Ok(JObject::null());
    };
    let array = JObjectArray::<JString>::new(env, values.len(), JString::null())?;
    for (index, value) in values.iter().enumerate() {
        let element = JString::from_str(env, value)?;
        array.set_element(env, index, &element)?;
        env.delete_local_ref(element);
    }
    Ok(array.into())
}

/// Boxes an optional `long` as `java.lang.Long`, or `null`.
pub(crate) fn long_or_null<'local>(
    env: &mut Env<'local>,
    value: Option<i64>,
) -> BridgeResult<JObject<'local>> {
    let Some(value) = value else {
        return Ok(JObject::null());
    };
    let boxed = env.call_static_method(
        ::jni::jni_str!("java/lang/Long"),
        ::jni::jni_str!("valueOf"),
        ::jni::jni_sig!("(J)Ljava/lang/Long;"),
        &[::jni::JValue::Long(value)],
    )?;
    Ok(boxed.l()?)
}

/// Boxes an optional `boolean` as `java.lang.Boolean`, or `null`.
pub(crate) fn boolean_or_null<'local>(
    env: &mut Env<'local>,
    value: Option<bool>,
) -> BridgeResult<JObject<'local>> {
    let Some(value) = value else {
        return Ok(JObject::null());
    };
    let boxed = env.call_static_method(
        ::jni::jni_str!("java/lang/Boolean"),
        ::jni::jni_str!("valueOf"),
        ::jni::jni_sig!("(Z)Ljava/lang/Boolean;"),
        &[::jni::JValue::Bool(value)],
    )?;
    Ok(boxed.l()?)
}

/// Converts a Java duration in milliseconds; a negative value means "keep
/// the core's default" and `what` names the setting in the error for 0.
pub(crate) fn millis(value: i64, what: &str) -> BridgeResult<Option<Duration>> {
    match u64::try_from(value) {
        Err(_) => Ok(None),
        Ok(0) => Err(Error::invalid(format!(
            "the {what} is 0 ms; pass a positive number of milliseconds"
        ))
        .into()),
        Ok(millis) => Ok(Some(Duration::from_millis(millis))),
    }
}

/// Connection settings as every entry point that sends requests receives
/// them. Negative durations and attempts keep the core's defaults.
pub(crate) struct Connection {
    pub(crate) ca_pem: Option<String>,
    pub(crate) connect_timeout_millis: i64,
    pub(crate) request_timeout_millis: i64,
    pub(crate) max_attempts: jint,
    pub(crate) deadline_millis: i64,
}

impl Connection {
    /// Applies these settings to the core's HTTP and retry settings.
    pub(crate) fn apply(
        self,
        http: &mut HttpSettings,
        retry: &mut RetryPolicy,
    ) -> BridgeResult<()> {
        http.extra_ca_pem = self.ca_pem;
        if let Some(timeout) = millis(self.connect_timeout_millis, "connect timeout")? {
            http.connect_timeout = timeout;
        }
        if let Some(timeout) = millis(self.request_timeout_millis, "request timeout")? {
            http.request_timeout = timeout;
        }
        match u32::try_from(self.max_attempts) {
            Err(_) => {}
            Ok(0) => {
                return Err(
                    Error::invalid("the maximum number of attempts is 0; pass 1 or more").into(),
                );
            }
            Ok(attempts) => retry.max_attempts = attempts,
        }
        if let Some(deadline) = millis(self.deadline_millis, "deadline")? {
            retry.deadline = deadline;
        }
        Ok(())
    }
}

/// Reads the proxy arguments of `ProxySettings`: `None` without a host.
///
/// The host's proxy (Jenkins's, say) has already been matched against its
/// own "No Proxy Host" list, so it applies to every request as given.
pub(crate) fn explicit_proxy(
    env: &Env<'_>,
    host: &JString<'_>,
    port: jint,
    username: &JString<'_>,
    password: &JCharArray<'_>,
) -> BridgeResult<Option<ProxySettings>> {
    let Some(host) = optional_string(env, host)? else {
        return Ok(None);
    };
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| {
            Error::invalid(format!(
                "the proxy port {port} is out of range; pass 1 to 65535"
            ))
        })?;
    let password = if password.is_null() {
        None
    } else {
        Some(read_secret(env, password, "proxy password")?)
    };
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    Ok(Some(ProxySettings::Explicit(ExplicitProxy {
        url: format!("http://{host}:{port}"),
        username: optional_string(env, username)?,
        password,
        no_proxy: None,
    })))
}
