//! Offline functions on a token or secret the caller holds: the claims
//! report of `qualys-ci-auth inspect`, and the forms of a secret that a CI
//! log masker must hide.

use std::ffi::c_char;

use secrecy::ExposeSecret as _;
use zeroize::Zeroizing;

use crate::time_fmt::now_unix;
use crate::token::InspectedToken;

use super::error::{Failure, guard, qca_error, qca_status};
use super::handles::{self, QCA_MAX_SECRET_LEN};

/// Reports what a token's claims tell, without contacting the gateway, and
/// stores the report in `*report_json_out`.
///
/// The report is the JSON object that `qualys-ci-auth inspect --format json`
/// prints, with the fields `schema_version`, `token_kind` ("jwt" or
/// "opaque"), `token_fingerprint` (the first 16 hex digits of the token's
/// SHA-256), `user`, `credential_type`, `issued_at`, `expires_at`,
/// `expired`, `age_days`, `scopes` and `container_security`. The claim
/// fields are null for an opaque token. It never contains the token. The signature is not
/// checked (the client has no key), so nothing in the report is proof.
///
/// Secret: the `len` bytes of `token` (UTF-8) are copied into memory that is
/// wiped before the call returns; the caller's buffer is only read. The
/// caller owns the report and frees it with `qca_string_free`.
/// `*report_json_out` is written only on success. On failure, `*error_out`
/// receives an error when `error_out` is not NULL. Statuses: `QCA_OK`,
/// `QCA_NULL_ARGUMENT`, `QCA_INVALID_UTF8`, `QCA_INPUT_TOO_LARGE` (more than
/// 64 KiB), `QCA_MISSING_CREDENTIAL` (an empty token),
/// `QCA_INVALID_ARGUMENT` (whitespace inside, more than 16 KiB once
/// trimmed, or a JWT whose claims cannot be read), `QCA_INTERNAL`,
/// `QCA_PANIC`. Thread-safe.
///
/// # Safety
///
/// `token` must be NULL or point to `len` readable bytes;
/// `report_json_out` and `error_out` must each be NULL or point to writable
/// memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_inspect_token(
    token: *const u8,
    len: usize,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_inspect_token", error_out, || {
        let out = handles::out_param(report_json_out, "report_json_out")?;
        // SAFETY: forwarded from this function's contract.
        let token = unsafe { handles::read_secret(token, len, "token") }?;

        let report = InspectedToken::parse(token.expose_secret())?.report(now_unix());

        let json = serde_json::to_vec(&report)
            .map_err(|e| Failure::internal(format!("formatting the token report failed: {e}")))?;
        let text = handles::register_string(Zeroizing::new(json))?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(text) };
        Ok(())
    })
}

/// Stores in `*json_array_out` every form of `secret` that a CI log masker
/// must hide, as a JSON array of strings, longest first. The forms are the
/// secret, its base64, base64url, URL-encoded and JSON-escaped forms, and
/// the form with each `$` doubled, the same for each line of a multi-line
/// secret. When `username_or_null` is not NULL, the base64 and base64url
/// forms of "username:secret" are added. Forms shorter than 6
/// characters are left out, because masking them hides more than it protects.
///
/// Secret: unlike every other returned string, this array contains the
/// secret and encodings that reveal it. Register each form with the
/// masker, then free the array at once with `qca_string_free`, which wipes
/// it. The caller's buffers are only read.
///
/// `*json_array_out` is written only on success. Statuses: `QCA_OK`,
/// `QCA_NULL_ARGUMENT` (`secret` or `json_array_out` NULL),
/// `QCA_INVALID_UTF8`, `QCA_INPUT_TOO_LARGE` (a secret of more than 64 KiB,
/// a user name of more than 8 KiB), `QCA_INTERNAL`, `QCA_PANIC`. Thread-safe.
///
/// # Safety
///
/// `secret` must be NULL or point to `len` readable bytes;
/// `username_or_null` must be NULL or point to a NUL-terminated string;
/// `json_array_out` must be NULL or point to writable memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_mask_forms(
    secret: *const u8,
    len: usize,
    username_or_null: *const c_char,
    json_array_out: *mut *mut c_char,
) -> qca_status {
    guard("qca_mask_forms", std::ptr::null_mut(), || {
        let out = handles::out_param(json_array_out, "json_array_out")?;
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { handles::read_bytes(secret, len, QCA_MAX_SECRET_LEN, "secret") }?;
        let secret = handles::utf8(bytes, "secret")?;
        let username = if username_or_null.is_null() {
            None
        } else {
            // SAFETY: forwarded from this function's contract.
            Some(unsafe { handles::read_str(username_or_null, "username_or_null") }?)
        };

        let forms = Zeroizing::new(crate::mask::mask_forms(secret, username));

        // Sized for the worst case of JSON escaping (6 bytes per byte, as in
        // \u0001) so that the buffer never reallocates and leaves an unwiped
        // copy behind.
        let capacity = 2 + forms.iter().map(|form| 6 * form.len() + 3).sum::<usize>();
        let mut json = Zeroizing::new(Vec::with_capacity(capacity));
        serde_json::to_writer(&mut *json, &*forms)
            .map_err(|e| Failure::internal(format!("formatting the forms failed: {e}")))?;
        let text = handles::register_string(json)?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(text) };
        Ok(())
    })
}
