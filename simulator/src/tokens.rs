//! JWT claims, signing and verification.
//!
//! Tokens are signed with HS256 and a random key generated per simulator, so a
//! token issued by one simulator fails verification on every other one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

/// `credentialType` of tokens issued by `POST /auth`.
pub(crate) const USERNAME_PASSWORD_CREDENTIAL: &str = "UsernamePasswordCredential";

/// `credentialType` of API tokens minted through the control API.
pub(crate) const API_TOKEN_CREDENTIAL: &str = "ApiTokenCredential";

/// Value of both `iss` and `aud`, as the real gateway sets them.
const ISSUER_AND_AUDIENCE: &str = "qas";

/// `usertype` of every issued token. The simulator has no other roles.
const USER_TYPE: &str = "MANAGER";

const SIGNING_KEY_BYTES: usize = 32;
const JTI_LENGTH: usize = 32;
const OPAQUE_TOKEN_LENGTH: usize = 64;
const SECONDS_PER_DAY: u64 = 24 * 60 * 60;

/// Claims of every JWT the simulator issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Claims {
    pub(crate) sub: String,
    pub(crate) iss: String,
    pub(crate) aud: String,
    pub(crate) credential_type: String,
    pub(crate) modules_allowed: Vec<String>,
    pub(crate) portal_user_id: u64,
    pub(crate) usertype: String,
    /// Seconds since the Unix epoch.
    pub(crate) iat: u64,
    /// Seconds since the Unix epoch.
    pub(crate) exp: u64,
    pub(crate) jti: String,
}

impl Claims {
    /// Builds claims with a fresh random `jti`.
    pub(crate) fn new(
        subject: &str,
        credential_type: &str,
        modules: &[String],
        portal_user_id: u64,
        issued_at: u64,
        expires_at: u64,
    ) -> Self {
        Self {
            sub: subject.to_owned(),
            iss: ISSUER_AND_AUDIENCE.to_owned(),
            aud: ISSUER_AND_AUDIENCE.to_owned(),
            credential_type: credential_type.to_owned(),
            modules_allowed: modules.to_vec(),
            portal_user_id,
            usertype: USER_TYPE.to_owned(),
            iat: issued_at,
            exp: expires_at,
            jti: random_alphanumeric(JTI_LENGTH),
        }
    }
}

/// Reasons a bearer JWT fails verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwtRejection {
    Expired,
    /// Bad shape, bad signature, wrong issuer or audience, or a missing claim.
    Invalid,
}

/// HS256 keys and the validation rules for this simulator's tokens.
pub(crate) struct TokenSigner {
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    validation: Validation,
}

impl TokenSigner {
    /// Creates a signer with a random key.
    pub(crate) fn new() -> Self {
        let mut secret = [0_u8; SIGNING_KEY_BYTES];
        rand::rng().fill(&mut secret);

        let mut validation = Validation::new(Algorithm::HS256);
        // Tests use lifetimes of a few seconds, so the default 60-second
        // leeway would hide the expiry they are waiting for.
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER_AND_AUDIENCE]);
        validation.set_audience(&[ISSUER_AND_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);

        Self {
            encoding_key: EncodingKey::from_secret(&secret),
            decoding_key: DecodingKey::from_secret(&secret),
            validation,
        }
    }

    /// Signs the claims into a compact JWT.
    pub(crate) fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding_key)
            .expect("HS256 signing with an in-memory key of derived claims cannot fail")
    }

    /// Verifies the signature, issuer, audience and expiry of a token.
    pub(crate) fn verify(&self, token: &str) -> Result<Claims, JwtRejection> {
        match jsonwebtoken::decode::<Claims>(token, &self.decoding_key, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(error) if matches!(error.kind(), ErrorKind::ExpiredSignature) => {
                Err(JwtRejection::Expired)
            }
            Err(_) => Err(JwtRejection::Invalid),
        }
    }

    /// Verifies a token like [`TokenSigner::verify`] but accepts it after its
    /// expiry, so that an expired token can still be revoked by value.
    pub(crate) fn verify_ignoring_expiry(&self, token: &str) -> Option<Claims> {
        let mut validation = self.validation.clone();
        validation.validate_exp = false;
        jsonwebtoken::decode::<Claims>(token, &self.decoding_key, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// Returns a new random opaque API token.
pub(crate) fn random_opaque_token() -> String {
    random_alphanumeric(OPAQUE_TOKEN_LENGTH)
}

fn random_alphanumeric(length: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

/// Returns the current time in seconds since the Unix epoch.
pub(crate) fn now_seconds() -> u64 {
    // A clock before 1970 means a broken host. Treating it as the epoch keeps
    // the simulator serving, and every token then looks expired.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Returns `now` moved back by `days`, clamped at the epoch.
pub(crate) fn days_before(now: u64, days: u32) -> u64 {
    now.saturating_sub(u64::from(days) * SECONDS_PER_DAY)
}

/// Returns `start` plus `lifetime` in whole seconds, saturating.
pub(crate) fn seconds_after(start: u64, lifetime: Duration) -> u64 {
    start.saturating_add(lifetime.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_claims(expires_at: u64) -> Claims {
        Claims::new(
            "alice",
            API_TOKEN_CREDENTIAL,
            &["CS".to_owned()],
            7,
            now_seconds(),
            expires_at,
        )
    }

    #[test]
    fn verify_accepts_own_token() {
        let signer = TokenSigner::new();
        let claims = sample_claims(now_seconds() + 60);
        let token = signer.sign(&claims);
        assert_eq!(signer.verify(&token), Ok(claims));
    }

    #[test]
    fn verify_rejects_other_key() {
        let token = TokenSigner::new().sign(&sample_claims(now_seconds() + 60));
        assert_eq!(
            TokenSigner::new().verify(&token),
            Err(JwtRejection::Invalid)
        );
    }

    #[test]
    fn verify_reports_expiry() {
        let signer = TokenSigner::new();
        let token = signer.sign(&sample_claims(now_seconds() - 1));
        assert_eq!(signer.verify(&token), Err(JwtRejection::Expired));
        assert!(signer.verify_ignoring_expiry(&token).is_some());
    }

    #[test]
    fn opaque_token_shape() {
        let token = random_opaque_token();
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric()), "{token}");
    }

    #[test]
    fn days_before_clamps() {
        assert_eq!(days_before(100, 1), 0);
        assert_eq!(days_before(SECONDS_PER_DAY * 3, 2), SECONDS_PER_DAY);
    }
}
