//! The C interface of the library, `include/qualys_ci_auth.h`, generated from
//! this module by cbindgen (`cbindgen.toml`).
//!
//! Every exported symbol starts with `qca_`. Every fallible function returns
//! a `qca_status`, catches panics, and turns NULL pointers, invalid UTF-8,
//! oversized arguments and stale handles into a status instead of a crash.
//! These functions only convert types and errors; the logic lives in the
//! core modules of the crate.
//!
//! - `handles`: the registry of live handles and the argument readers.
//! - `error`: `qca_status`, `qca_error` and the panic boundary.
//! - `config`, `session`, `inspect`, `registry`: the functions, one module
//!   per object.

// The types carry their C names, which cbindgen copies into the header.
#![allow(non_camel_case_types)]

mod config;
mod error;
mod handles;
mod inspect;
mod registry;
mod session;

use std::ffi::{CStr, c_char};

pub use config::{
    qca_config, qca_config_free, qca_config_new, qca_config_set_allow_insecure_loopback,
    qca_config_set_api_token, qca_config_set_audit_log, qca_config_set_backend,
    qca_config_set_ca_pem, qca_config_set_environment, qca_config_set_gateway_url,
    qca_config_set_platform, qca_config_set_pod, qca_config_set_policy_file, qca_config_set_proxy,
    qca_config_set_timeouts, qca_config_set_username_password,
};
pub use error::{qca_error, qca_error_code, qca_error_free, qca_error_message, qca_status};
pub use handles::{QCA_MAX_PEM_LEN, QCA_MAX_SECRET_LEN, QCA_MAX_STRING_LEN};
pub use inspect::{qca_inspect_token, qca_mask_forms};
pub use registry::{qca_registry_login, qca_registry_logout};
pub use session::{
    qca_session, qca_session_bearer_token, qca_session_check, qca_session_free, qca_session_login,
    qca_session_new, qca_session_verify,
};

/// The crate version as a C string, checked when the crate compiles.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the crate version contains a NUL byte"),
    };

/// Returns the library version, such as "0.1.0": a static NUL-terminated
/// string, never freed. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn qca_version() -> *const c_char {
    error::guard_value(std::ptr::null(), || VERSION.as_ptr())
}

/// Frees a string that this library returned through a `char **` argument,
/// after wiping its bytes.
///
/// NULL is a no-op, and so is a pointer that is not a live string of this
/// library (freed already, returned by another allocator, or the borrowed
/// message of a `qca_error`). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn qca_string_free(string: *mut c_char) {
    error::guard_value((), || {
        handles::release_string(string.cast_const());
    });
}
