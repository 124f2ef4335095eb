//! Access tokens: cleaning up what people paste, decoding JWT claims, fingerprints.
//!
//! The client never verifies a JWT's signature: it has no key, and the
//! gateway verifies every request anyway. Claims are decoded only to report
//! expiry, age and scopes; nothing is trusted or granted because of them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The Container Security module name in `modulesAllowed`.
pub const CONTAINER_SECURITY_MODULE: &str = "CS";

/// Maximum token length accepted, in bytes. Qualys JWTs are around 1 KB; this bounds memory
/// and rejects a file that is clearly not a token.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Cleans up a pasted token: surrounding whitespace, a trailing newline or
/// CRLF from a secret file, a UTF-8 byte-order mark and a leading `Bearer `
/// are removed. Whitespace or control characters inside the token are an
/// error that gives their position, never the token itself.
pub fn normalize_token(raw: &str) -> Result<SecretString> {
    let mut token = raw.trim_start_matches('\u{feff}').trim();
    // `get` rather than slicing: byte 6 may fall inside a multi-byte character.
    if let (Some(scheme), Some(rest)) = (token.get(..6), token.get(6..))
        && scheme.eq_ignore_ascii_case("bearer")
        && rest.chars().next().is_none_or(char::is_whitespace)
    {
        token = rest.trim_start();
    }
    if token.is_empty() {
        return Err(Error::missing(
            "the access token is empty; set QUALYS_ACCESS_TOKEN or pass --token-file with a non-empty file",
        ));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::invalid(format!(
            "the access token is {} bytes long, more than the {MAX_TOKEN_LEN} allowed; check that the variable or file holds only the token",
            token.len()
        )));
    }
    if let Some((index, ch)) = token
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
    {
        let what = if ch == '\n' || ch == '\r' {
            "a line break (tokens are a single line)"
        } else if ch.is_whitespace() {
            "whitespace"
        } else {
            "a control character"
        };
        return Err(Error::invalid(format!(
            "the access token contains {what} at character {} of {}; copy the token again as one line without spaces",
            index + 1,
            token.chars().count()
        )));
    }
    Ok(SecretString::from(token.to_owned()))
}

/// Returns the first 16 hex digits of the token's SHA-256: enough to tell
/// tokens apart in logs and audit records, useless for recovering one.
pub fn fingerprint(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    hex::encode(&digest[..8])
}

/// Claims that Qualys puts in its JWTs, as far as the product uses them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub credential_type: Option<String>,
    #[serde(default)]
    pub modules_allowed: Option<Vec<String>>,
    #[serde(default)]
    pub usertype: Option<String>,
}

impl Claims {
    /// Returns whether the token carries the Container Security scope, or
    /// `None` when the claim is absent.
    pub fn has_container_security(&self) -> Option<bool> {
        self.modules_allowed.as_ref().map(|modules| {
            modules
                .iter()
                .any(|m| m.trim() == CONTAINER_SECURITY_MODULE)
        })
    }
}

/// The information readable from a token without a gateway request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenShape {
    /// A JWT with decodable claims.
    Jwt(Claims),
    /// Not a JWT; Qualys API tokens may be opaque, and that is fine.
    Opaque,
}

/// Decodes a token's claims without verifying its signature.
///
/// A string of three dot-separated base64url parts whose payload is a JSON
/// object is a JWT; anything else is opaque. A payload that decodes but is
/// not JSON is reported as an error, because it is a corrupted JWT rather
/// than an opaque token.
pub fn decode_claims(token: &str) -> Result<TokenShape> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(TokenShape::Opaque);
    };
    let (Ok(header), Ok(payload)) = (
        URL_SAFE_NO_PAD.decode(header),
        URL_SAFE_NO_PAD.decode(payload),
    ) else {
        return Ok(TokenShape::Opaque);
    };
    if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&header).is_err() {
        return Ok(TokenShape::Opaque);
    }
    let claims: Claims = serde_json::from_slice(&payload).map_err(|e| {
        Error::invalid(format!(
            "the access token looks like a JWT but its claims cannot be read ({e}); copy the token again"
        ))
    })?;
    Ok(TokenShape::Jwt(claims))
}

/// Rejects a JWT whose claims show it cannot work: expired, or without the
/// Container Security scope. Opaque tokens and absent claims pass, because
/// only the gateway can judge them.
pub fn check_usable(shape: &TokenShape, now_unix: i64) -> Result<()> {
    let TokenShape::Jwt(claims) = shape else {
        return Ok(());
    };
    if let Some(exp) = claims.exp
        && exp <= now_unix
    {
        return Err(Error::TokenExpired {
            expired_at: crate::time_fmt::rfc3339(exp),
        });
    }
    if claims.has_container_security() == Some(false) {
        let modules = claims
            .modules_allowed
            .clone()
            .unwrap_or_default()
            .join(", ");
        return Err(Error::PermissionDenied {
            message: format!(
                "the token lacks the Container Security scope: its modulesAllowed are [{modules}] and do not include \"{CONTAINER_SECURITY_MODULE}\". \
                 Ask your Qualys administrator to grant the Container Security module to the token's user"
            ),
        });
    }
    Ok(())
}

/// A token together with what was decoded from it.
#[derive(Clone)]
pub struct InspectedToken {
    pub token: SecretString,
    pub shape: TokenShape,
    pub fingerprint: String,
}

impl std::fmt::Debug for InspectedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InspectedToken")
            .field("token", &"[REDACTED]")
            .field("shape", &self.shape)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl InspectedToken {
    /// Normalizes and decodes a pasted token.
    pub fn parse(raw: &str) -> Result<Self> {
        let token = normalize_token(raw)?;
        let shape = decode_claims(token.expose_secret())?;
        let fingerprint = fingerprint(token.expose_secret());
        Ok(Self {
            token,
            shape,
            fingerprint,
        })
    }

    pub fn claims(&self) -> Option<&Claims> {
        match &self.shape {
            TokenShape::Jwt(claims) => Some(claims),
            TokenShape::Opaque => None,
        }
    }

    /// Describes the token at Unix time `now`, without contacting the gateway.
    pub fn report(&self, now: i64) -> InspectReport {
        InspectReport::new(&self.shape, &self.fingerprint, now)
    }
}

/// The offline report on a token: the documented JSON schema of
/// `inspect --format json` and of the C function `qca_inspect_token`. It
/// contains the fingerprint, never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InspectReport {
    /// Version of this schema; fields are only ever added.
    pub schema_version: u32,
    /// `jwt` or `opaque`.
    pub token_kind: &'static str,
    /// First 16 hex digits of the token's SHA-256.
    pub token_fingerprint: String,
    /// The `sub` claim.
    pub user: Option<String>,
    /// The `credentialType` claim.
    pub credential_type: Option<String>,
    pub issued_at: Option<String>,
    pub expires_at: Option<String>,
    /// Whether `exp` is at or before the time of the report.
    pub expired: Option<bool>,
    /// Whole days since `iat`.
    pub age_days: Option<i64>,
    /// The `modulesAllowed` claim.
    pub scopes: Option<Vec<String>>,
    /// Whether `modulesAllowed` contains the Container Security module.
    pub container_security: Option<bool>,
}

impl InspectReport {
    /// Builds the report of a token with this shape and fingerprint at Unix time `now`.
    /// Every claim-based field is `None` for an opaque token.
    pub fn new(shape: &TokenShape, fingerprint: &str, now: i64) -> Self {
        let claims = match shape {
            TokenShape::Jwt(claims) => Some(claims),
            TokenShape::Opaque => None,
        };
        Self {
            schema_version: 1,
            token_kind: if claims.is_some() { "jwt" } else { "opaque" },
            token_fingerprint: fingerprint.to_owned(),
            user: claims.and_then(|c| c.sub.clone()),
            credential_type: claims.and_then(|c| c.credential_type.clone()),
            issued_at: claims.and_then(|c| c.iat).map(crate::time_fmt::rfc3339),
            expires_at: claims.and_then(|c| c.exp).map(crate::time_fmt::rfc3339),
            expired: claims.and_then(|c| c.exp).map(|exp| exp <= now),
            age_days: claims
                .and_then(|c| c.iat)
                .map(|iat| (now - iat).div_euclid(86_400)),
            scopes: claims.and_then(|c| c.modules_allowed.clone()),
            container_security: claims.and_then(Claims::has_container_security),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt(payload: serde_json::Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(payload.to_string());
        format!("{header}.{body}.c2ln")
    }

    #[test]
    fn normalize_pasted_forms() {
        for raw in [
            "abc.def.ghi",
            "  abc.def.ghi  ",
            "abc.def.ghi\n",
            "abc.def.ghi\r\n",
            "\u{feff}abc.def.ghi",
            "Bearer abc.def.ghi",
            "bearer   abc.def.ghi\r\n",
        ] {
            let token = normalize_token(raw).expect("normalizes");
            assert_eq!(token.expose_secret(), "abc.def.ghi", "{raw:?}");
        }
    }

    #[test]
    fn normalize_rejects_inner_whitespace() {
        let err = normalize_token("abc def-CANARY").unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        let message = err.to_string();
        assert!(
            message.contains("whitespace at character 4 of 14"),
            "{message}"
        );
        assert!(!message.contains("CANARY"), "{message}");

        let line = normalize_token("abc\ndef").unwrap_err().to_string();
        assert!(line.contains("line break"), "{line}");
        let control = normalize_token("abc\u{7}def").unwrap_err().to_string();
        assert!(
            control.contains("control character at character 4"),
            "{control}"
        );
    }

    #[test]
    fn normalize_rejects_empty_and_huge() {
        assert_eq!(
            normalize_token(" \r\n").unwrap_err().code(),
            ErrorCode::MissingCredential
        );
        assert_eq!(
            normalize_token("Bearer ").unwrap_err().code(),
            ErrorCode::MissingCredential
        );
        let multibyte = normalize_token("aaaaa\u{20ac}xyz").expect("multi-byte at byte 6");
        assert_eq!(multibyte.expose_secret(), "aaaaa\u{20ac}xyz");
        assert_eq!(
            normalize_token("BearerToken")
                .expect("not a prefix")
                .expose_secret(),
            "BearerToken"
        );
        let huge = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            normalize_token(&huge).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn fingerprint_is_sha256_prefix() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(fingerprint("abc"), "ba7816bf8f01cfea");
    }

    #[test]
    fn decode_qualys_claims() {
        let token = jwt(serde_json::json!({
            "sub": "alice", "iss": "qas", "aud": "qas", "iat": 1_700_000_000, "exp": 1_700_014_400,
            "credentialType": "UsernamePasswordCredential", "modulesAllowed": ["CS", "VM SCANNER"],
            "portalUserId": 12, "usertype": "MANAGER"
        }));
        let TokenShape::Jwt(claims) = decode_claims(&token).expect("decodes") else {
            panic!("expected a JWT");
        };
        assert_eq!(claims.sub.as_deref(), Some("alice"));
        assert_eq!(claims.iat, Some(1_700_000_000));
        assert_eq!(claims.exp, Some(1_700_014_400));
        assert_eq!(
            claims.credential_type.as_deref(),
            Some("UsernamePasswordCredential")
        );
        assert_eq!(claims.has_container_security(), Some(true));
    }

    #[test]
    fn opaque_tokens_accepted() {
        for opaque in ["0123456789abcdef", "a.b", "a.b.c.d", "!!!.@@@.###"] {
            let shape = decode_claims(opaque).expect("opaque is not an error");
            assert_eq!(shape, TokenShape::Opaque, "{opaque}");
        }
        // A JSON header with a payload that is not JSON is a corrupted JWT.
        let broken = decode_claims("e30.bm90LWpzb24.x").unwrap_err();
        assert_eq!(broken.code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn missing_cs_scope_rejected() {
        let shape = decode_claims(&jwt(
            serde_json::json!({"modulesAllowed": ["VM SCANNER", "ADMIN"]}),
        ))
        .expect("decodes");
        let err = check_usable(&shape, 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PermissionDenied);
        assert!(err.to_string().contains("Container Security"), "{err}");
        assert!(err.to_string().contains("VM SCANNER, ADMIN"), "{err}");
    }

    #[test]
    fn expired_jwt_rejected() {
        let shape = decode_claims(&jwt(
            serde_json::json!({"exp": 100, "modulesAllowed": ["CS"]}),
        ))
        .expect("decodes");
        assert_eq!(
            check_usable(&shape, 100).unwrap_err().code(),
            ErrorCode::TokenExpired
        );
        assert!(check_usable(&shape, 99).is_ok());
        assert!(check_usable(&TokenShape::Opaque, i64::MAX).is_ok());
    }

    #[test]
    fn inspect_report_of_jwt() {
        let token = jwt(serde_json::json!({
            "sub": "alice", "iat": 1_700_000_000, "exp": 1_700_014_400,
            "credentialType": "ApiTokenCredential", "modulesAllowed": ["CS", "ADMIN"]
        }));
        let inspected = InspectedToken::parse(&token).expect("parses");
        let report = inspected.report(1_700_000_000 + 3 * 86_400 + 5);
        assert_eq!(report.token_kind, "jwt");
        assert_eq!(report.token_fingerprint, inspected.fingerprint);
        assert_eq!(report.user.as_deref(), Some("alice"));
        assert_eq!(
            report.credential_type.as_deref(),
            Some("ApiTokenCredential")
        );
        assert_eq!(report.issued_at.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(report.expires_at.as_deref(), Some("2023-11-15T02:13:20Z"));
        assert_eq!(report.expired, Some(true));
        assert_eq!(report.age_days, Some(3));
        assert_eq!(report.container_security, Some(true));

        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["scopes"], serde_json::json!(["CS", "ADMIN"]));
        assert_eq!(json["schema_version"], 1);
        assert!(!json.to_string().contains(&token), "{json}");
    }

    #[test]
    fn inspect_report_of_opaque_token() {
        let inspected = InspectedToken::parse("opaque-token-value").expect("parses");
        let report = inspected.report(0);
        assert_eq!(report.token_kind, "opaque");
        assert_eq!(report.user, None);
        assert_eq!(report.expired, None);
        assert_eq!(report.scopes, None);
        assert_eq!(report.container_security, None);
        let json = serde_json::to_string(&report).expect("serializes");
        assert!(json.contains("\"user\":null"), "{json}");
        assert!(!json.contains("opaque-token-value"), "{json}");
    }

    #[test]
    fn debug_redacts_token() {
        let inspected = InspectedToken::parse("CANARY-token-value-123").expect("parses");
        let debug = format!("{inspected:?}");
        assert!(!debug.contains("CANARY"), "{debug}");
        assert!(debug.contains(&inspected.fingerprint));
    }
}
