//! JNI entry points of the Java bridge (`io.qualysciauth.bridge.NativeBridge`).
//!
//! This layer only converts: Java strings and `char[]` secrets into core
//! types, core results into Java objects, and core errors and panics into the
//! bridge's exception classes (see [`policy`]). Every decision stays in the
//! core. Secrets read from Java are copied straight into `SecretString`s and
//! every intermediate buffer is zeroized; the Java side clears its arrays.
//!
//! Every function is `extern "system"` with the name the JVM derives from
//! `NativeBridge`'s native methods, and every body runs inside
//! `EnvUnowned::with_env`, which catches panics before they reach the JVM.

mod checks;
mod convert;
mod policy;
mod registry;
mod session;
mod utility;

pub use policy::ThrowBridgeException;
