//! The process-wide registry of live handles, and the helpers that read
//! arguments from C memory and write results back.
//!
//! Every pointer the library returns (a config, session or error handle, or
//! a string) is the address of a value that the registry keeps alive. Entry
//! points look the address up in the registry and never dereference a
//! handle pointer. A NULL pointer becomes `QCA_NULL_ARGUMENT`. A pointer that
//! is stale, foreign or of the wrong handle type becomes `QCA_INVALID_HANDLE`,
//! and freed memory is never read. A running call keeps its own `Arc` to the
//! value, so a free on another thread removes the handle from the registry
//! but cannot destroy the value under that call.
//!
//! Limit: once a handle is freed, the allocator may give its address to a
//! new handle of the same type. A stale pointer then reaches the new handle,
//! and the library cannot tell the two apart.

use std::any::Any;
use std::collections::HashMap;
use std::ffi::c_char;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::error::{Failure, qca_status};

/// Maximum length of a NUL-terminated string argument, in bytes without the NUL:
/// far beyond any POD name, gateway URL, platform or user name. The bound
/// also stops the scan for the NUL in memory that has none.
pub const QCA_MAX_STRING_LEN: usize = 8 * 1024;

/// Maximum length of a secret (API token or password), in bytes. The core
/// rejects tokens longer than 16 KiB once surrounding whitespace is removed,
/// so this bound only keeps the copy small.
pub const QCA_MAX_SECRET_LEN: usize = 64 * 1024;

/// Maximum length of a PEM bundle of extra CA certificates, in bytes. Debian 12's
/// whole system bundle (`/etc/ssl/certs/ca-certificates.crt`) is about 220 KB.
pub const QCA_MAX_PEM_LEN: usize = 4 * 1024 * 1024;

/// A value in the registry, found again by its address.
type Entry = Arc<dyn Any + Send + Sync>;

static LIVE: LazyLock<Mutex<HashMap<usize, Entry>>> = LazyLock::new(Default::default);

/// Locks the registry. Each critical section is one map operation, which
/// cannot leave the map half-changed, so a poisoned lock is still usable.
fn live() -> MutexGuard<'static, HashMap<usize, Entry>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Moves `value` into the registry and returns its address as the handle.
pub fn register<T: Any + Send + Sync>(value: T) -> *mut T {
    let entry = Arc::new(value);
    let handle = Arc::as_ptr(&entry).cast_mut();
    live().insert(handle.addr(), entry);
    handle
}

/// Returns the live value behind `handle`. `name` is the argument that
/// passed it, for the error message.
pub fn lookup<T: Any + Send + Sync>(handle: *const T, name: &str) -> Result<Arc<T>, Failure> {
    if handle.is_null() {
        return Err(Failure::null_argument(name));
    }
    let entry = live().get(&handle.addr()).cloned();
    entry
        .and_then(|entry| entry.downcast::<T>().ok())
        .ok_or_else(|| {
            Failure::new(
                qca_status::QCA_INVALID_HANDLE,
                format!(
                    "the argument '{name}' is not a live handle of this type: it was freed already, \
                     or it was not returned by this library"
                ),
            )
        })
}

/// Removes the value behind `handle` from the registry and drops it. When
/// calls in progress still use it, the last of them drops it.
/// Returns `false` for NULL and for an address that is not a live `T`.
pub fn release<T: Any + Send + Sync>(handle: *const T) -> bool {
    release_address::<T>(handle.addr())
}

fn release_address<T: Any + Send + Sync>(address: usize) -> bool {
    if address == 0 {
        return false;
    }
    let removed = {
        let mut live = live();
        match live.get(&address) {
            Some(entry) if entry.is::<T>() => live.remove(&address),
            _ => None,
        }
    };
    // Dropped here, after the lock is released: a string is wiped on drop.
    removed.is_some()
}

/// A NUL-terminated string handed to the caller, wiped when freed because
/// some of them (the forms to mask) are derived from a secret.
pub struct OwnedString {
    bytes: Zeroizing<Vec<u8>>,
}

/// Hands `text` to the caller as a NUL-terminated string for `qca_string_free`.
/// Fails if `text` contains a NUL byte; JSON text never does.
pub fn register_string(text: Zeroizing<Vec<u8>>) -> Result<*mut c_char, Failure> {
    if text.contains(&0) {
        return Err(Failure::new(
            qca_status::QCA_INTERNAL,
            "internal error: a returned string contains a NUL byte; please report this as a bug",
        ));
    }
    // Growing a full `Vec` would free its old buffer without wiping it, so a
    // full one is copied into a larger buffer and wiped when dropped.
    let mut bytes = if text.len() < text.capacity() {
        text
    } else {
        let mut larger = Zeroizing::new(Vec::with_capacity(text.len() + 1));
        larger.extend_from_slice(&text);
        larger
    };
    bytes.push(0);
    let owned = OwnedString { bytes };
    // The registry key is the address of the characters, which is the
    // pointer the caller gets. A `Vec`'s buffer does not move while the `Vec` is not changed.
    let pointer = owned.bytes.as_ptr().cast::<c_char>().cast_mut();
    live().insert(pointer.addr(), Arc::new(owned));
    Ok(pointer)
}

/// Frees a string returned by `register_string`; see [`release`].
pub fn release_string(pointer: *const c_char) -> bool {
    release_address::<OwnedString>(pointer.addr())
}

/// Checks that an out-parameter is not NULL, and returns it.
pub fn out_param<T>(pointer: *mut T, name: &str) -> Result<*mut T, Failure> {
    if pointer.is_null() {
        Err(Failure::null_argument(name))
    } else {
        Ok(pointer)
    }
}

/// Reads the NUL-terminated UTF-8 string argument `name`.
///
/// # Safety
///
/// `pointer` must be NULL or point to readable memory that contains a NUL
/// byte, or at least `QCA_MAX_STRING_LEN + 1` readable bytes.
pub unsafe fn read_str<'a>(pointer: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if pointer.is_null() {
        return Err(Failure::null_argument(name));
    }
    let start = pointer.cast::<u8>();
    let mut len = 0;
    // SAFETY: the caller guarantees these bytes are readable up to the first
    // NUL, and the loop stops there or at the bound.
    while len <= QCA_MAX_STRING_LEN && unsafe { start.add(len).read() } != 0 {
        len += 1;
    }
    if len > QCA_MAX_STRING_LEN {
        return Err(Failure::new(
            qca_status::QCA_INPUT_TOO_LARGE,
            format!(
                "the argument '{name}' has no NUL byte within its first {QCA_MAX_STRING_LEN} bytes; \
                 pass a NUL-terminated string of at most {QCA_MAX_STRING_LEN} bytes"
            ),
        ));
    }
    // SAFETY: the `len` bytes before the NUL were just read.
    let bytes = unsafe { std::slice::from_raw_parts(start, len) };
    utf8(bytes, name)
}

/// Reads the optional string argument `name`: `None` for NULL, else as
/// [`read_str`] does.
///
/// # Safety
///
/// As for [`read_str`].
pub unsafe fn read_optional_str<'a>(
    pointer: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from this function's contract.
    unsafe { read_str(pointer, name) }.map(Some)
}

/// Reads the byte buffer argument `name` of `len` bytes, at most `max`.
///
/// # Safety
///
/// `pointer` must be NULL or point to `len` readable bytes, or `len` must be
/// larger than `max`.
pub unsafe fn read_bytes<'a>(
    pointer: *const u8,
    len: usize,
    max: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if pointer.is_null() {
        return Err(Failure::null_argument(name));
    }
    if len > max {
        return Err(Failure::new(
            qca_status::QCA_INPUT_TOO_LARGE,
            format!("the argument '{name}' is {len} bytes long, more than the {max} allowed"),
        ));
    }
    // SAFETY: the caller guarantees `len` readable bytes; `len <= max` keeps
    // the size within `isize::MAX`.
    Ok(unsafe { std::slice::from_raw_parts(pointer, len) })
}

/// Copies the secret argument `name` (UTF-8, at most `QCA_MAX_SECRET_LEN` bytes)
/// into a `SecretString`, which wipes its copy when dropped. The caller's
/// buffer is only read.
///
/// # Safety
///
/// As for [`read_bytes`].
pub unsafe fn read_secret(
    pointer: *const u8,
    len: usize,
    name: &str,
) -> Result<SecretString, Failure> {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { read_bytes(pointer, len, QCA_MAX_SECRET_LEN, name) }?;
    Ok(SecretString::from(utf8(bytes, name)?))
}

/// Checks that the bytes of argument `name` are UTF-8. The message gives the
/// offset of the first invalid byte and never the content.
pub fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Failure> {
    std::str::from_utf8(bytes).map_err(|error| {
        Failure::new(
            qca_status::QCA_INVALID_UTF8,
            format!(
                "the argument '{name}' is not valid UTF-8: the byte at offset {} is invalid",
                error.valid_up_to()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Probe(u32);

    #[test]
    fn registry_lookup_and_release() {
        let handle = register(Probe(7));
        assert_eq!(lookup(handle, "probe").expect("live").0, 7);

        assert!(release(handle));
        let stale = lookup(handle, "probe").unwrap_err();
        assert_eq!(stale.status(), qca_status::QCA_INVALID_HANDLE);
        assert!(!release(handle), "a second release is refused");
    }

    #[test]
    fn registry_rejects_wrong_type_and_null() {
        let handle = register(Probe(1));
        let wrong = lookup(handle.cast::<String>().cast_const(), "text").unwrap_err();
        assert_eq!(wrong.status(), qca_status::QCA_INVALID_HANDLE);
        assert!(!release(handle.cast::<String>().cast_const()));

        let null = lookup(std::ptr::null::<Probe>(), "probe").unwrap_err();
        assert_eq!(null.status(), qca_status::QCA_NULL_ARGUMENT);
        assert!(release(handle));
    }

    #[test]
    fn call_in_progress_keeps_value() {
        let handle = register(Probe(3));
        let held = lookup(handle, "probe").expect("live");
        assert!(release(handle));
        assert_eq!(held.0, 3, "the value outlives its handle while held");
    }

    #[test]
    fn strings_are_registered() {
        let pointer = register_string(Zeroizing::new(b"{}".to_vec())).expect("registers");
        // SAFETY: the string is live and NUL-terminated.
        let text = unsafe { std::ffi::CStr::from_ptr(pointer) };
        assert_eq!(text.to_bytes(), b"{}");
        assert!(release_string(pointer));
        assert!(!release_string(pointer));
        assert!(register_string(Zeroizing::new(b"a\0b".to_vec())).is_err());
    }

    #[test]
    fn read_str_bounds() {
        let long = vec![b'a'; QCA_MAX_STRING_LEN + 10];
        // SAFETY: the buffer has more than QCA_MAX_STRING_LEN + 1 readable bytes.
        let error = unsafe { read_str(long.as_ptr().cast(), "pod") }.unwrap_err();
        assert_eq!(error.status(), qca_status::QCA_INPUT_TOO_LARGE);

        let mut longest = vec![b'a'; QCA_MAX_STRING_LEN];
        longest.push(0);
        // SAFETY: NUL-terminated.
        let text = unsafe { read_str(longest.as_ptr().cast(), "pod") }.expect("fits");
        assert_eq!(text.len(), QCA_MAX_STRING_LEN);

        let invalid = b"ab\xffc\0";
        // SAFETY: NUL-terminated.
        let error = unsafe { read_str(invalid.as_ptr().cast(), "pod") }.unwrap_err();
        assert_eq!(error.status(), qca_status::QCA_INVALID_UTF8);
        assert!(error.message().contains("offset 2"), "{}", error.message());
    }

    #[test]
    fn read_secret_checks() {
        let huge = vec![b'a'; QCA_MAX_SECRET_LEN + 1];
        // SAFETY: the buffer has `huge.len()` bytes.
        let error = unsafe { read_secret(huge.as_ptr(), huge.len(), "token") }.unwrap_err();
        assert_eq!(error.status(), qca_status::QCA_INPUT_TOO_LARGE);

        let invalid = b"CANARY\xfe";
        // SAFETY: the buffer has `invalid.len()` bytes.
        let error = unsafe { read_secret(invalid.as_ptr(), invalid.len(), "token") }.unwrap_err();
        assert_eq!(error.status(), qca_status::QCA_INVALID_UTF8);
        assert!(!error.message().contains("CANARY"), "{}", error.message());

        // SAFETY: NULL is checked before any read.
        let error = unsafe { read_secret(std::ptr::null(), 0, "token") }.unwrap_err();
        assert_eq!(error.status(), qca_status::QCA_NULL_ARGUMENT);
    }
}
