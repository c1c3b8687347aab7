//! Verification of RS256-signed JSON Web Tokens against a JSON Web Key Set: what Google signs
//! Pub/Sub push requests with, and what OpenID Connect providers sign ID tokens with. Pure: the
//! caller fetches and caches the key set (see [`Jwks::parse`]) and passes the time.
//!
//! Only RS256 is accepted. A token names its algorithm, and trusting that name is the classic
//! JWT mistake (`none`, or HS256 keyed with the public key), so the algorithm is fixed here and
//! a token that names another is refused before any key is looked at.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::{BigUint, RsaPublicKey};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Why a token was refused. Each says enough for an operator to fix a misconfiguration and
/// nothing a forger could use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a JWT: {0}")]
    Malformed(&'static str),
    #[error("the token is signed with {0}, only RS256 is accepted")]
    Algorithm(String),
    #[error("the token's key {0:?} is not in the issuer's key set")]
    UnknownKey(String),
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("the token is not valid before {0}")]
    NotYetValid(DateTime<Utc>),
    #[error("the token was issued by {0:?}, not a trusted issuer")]
    Issuer(String),
    #[error("the token is for audience {0:?}, not the configured one")]
    Audience(String),
    #[error("the token's {claim} {value:?} is not allowed")]
    Claim { claim: &'static str, value: String },
}

/// One RSA signing key of a key set.
#[derive(Debug, Clone)]
struct Key {
    kid: Option<String>,
    key: RsaPublicKey,
}

/// A JSON Web Key Set (`{"keys": [...]}`), keeping the RSA keys that may sign (`use` absent or
/// `sig`; `alg` absent or RS256). Other keys are skipped, not refused: providers publish
/// several kinds side by side.
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    keys: Vec<Key>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<RawJwk>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl Jwks {
    /// Parses a key set; an error when the document is not one.
    pub fn parse(json: &[u8]) -> Result<Jwks, String> {
        let raw: RawJwks =
            serde_json::from_slice(json).map_err(|err| format!("not a JSON Web Key Set: {err}"))?;
        let keys = raw
            .keys
            .into_iter()
            .filter(|k| k.kty == "RSA")
            .filter(|k| k.usage.as_deref().is_none_or(|u| u == "sig"))
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == "RS256"))
            .filter_map(|k| {
                let n = URL_SAFE_NO_PAD.decode(k.n?.trim_end_matches('=')).ok()?;
                let e = URL_SAFE_NO_PAD.decode(k.e?.trim_end_matches('=')).ok()?;
                let key = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
                    .ok()?;
                Some(Key { kid: k.kid, key })
            })
            .collect();
        Ok(Jwks { keys })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether the set holds the key `kid` (a token without a `kid` may use any key).
    pub fn has(&self, kid: Option<&str>) -> bool {
        match kid {
            Some(kid) => self.keys.iter().any(|k| k.kid.as_deref() == Some(kid)),
            None => !self.keys.is_empty(),
        }
    }
}

/// What a token must say to be accepted.
#[derive(Debug, Clone)]
pub struct Expected {
    /// `iss` must be one of these.
    pub issuers: Vec<String>,
    /// `aud` must be this, or contain it when it is a list.
    pub audience: String,
    /// Clock difference tolerated on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
}

/// A token split into its parts, its header read, nothing verified yet.
#[derive(Debug)]
pub struct Unverified<'a> {
    signed: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
    /// The header's `kid`: which key of the set signed it.
    pub kid: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// Splits `token` and checks its header names RS256.
pub fn decode(token: &str) -> Result<Unverified<'_>, JwtError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed(
            "it must have three dot-separated parts",
        ));
    };
    let b64 = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed("a part is not base64url"))
    };
    let header: Header = serde_json::from_slice(&b64(header)?)
        .map_err(|_| JwtError::Malformed("the header is not a JSON object with alg"))?;
    if header.alg != "RS256" {
        return Err(JwtError::Algorithm(header.alg));
    }
    Ok(Unverified {
        signed: &token[..token.len() - signature.len() - 1],
        payload: b64(payload)?,
        signature: b64(signature)?,
        kid: header.kid,
    })
}

/// Verifies `token`'s signature with `keys` and its claims against `expected` at `now`, and
/// returns its claims.
pub fn verify(
    token: &str,
    keys: &Jwks,
    expected: &Expected,
    now: DateTime<Utc>,
) -> Result<Value, JwtError> {
    let token = decode(token)?;
    let candidates: Vec<&Key> = keys
        .keys
        .iter()
        .filter(|k| token.kid.is_none() || k.kid == token.kid)
        .collect();
    if candidates.is_empty() {
        return Err(JwtError::UnknownKey(token.kid.unwrap_or_default()));
    }
    let digest = Sha256::digest(token.signed.as_bytes());
    let verified = candidates.iter().any(|k| {
        k.key
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &token.signature)
            .is_ok()
    });
    if !verified {
        return Err(JwtError::Signature);
    }
    let claims: Value = serde_json::from_slice(&token.payload)
        .map_err(|_| JwtError::Malformed("the payload is not JSON"))?;
    if !claims.is_object() {
        return Err(JwtError::Malformed("the payload is not a JSON object"));
    }
    check_claims(&claims, expected, now)?;
    Ok(claims)
}

/// A numeric date claim as a time; absent is `None`, present and not a number is malformed.
fn date(claims: &Value, name: &'static str) -> Result<Option<DateTime<Utc>>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_f64()
            .and_then(|secs| DateTime::from_timestamp(secs.floor() as i64, 0))
            .map(Some)
            .ok_or(JwtError::Malformed(
                "a date claim is not a number of seconds",
            )),
    }
}

fn check_claims(claims: &Value, expected: &Expected, now: DateTime<Utc>) -> Result<(), JwtError> {
    // A token that never expires is a credential that never stops working: `exp` is required.
    let exp = date(claims, "exp")?.ok_or(JwtError::Malformed("the exp claim is missing"))?;
    if exp + expected.leeway <= now {
        return Err(JwtError::Expired(exp));
    }
    if let Some(nbf) = date(claims, "nbf")? {
        if nbf - expected.leeway > now {
            return Err(JwtError::NotYetValid(nbf));
        }
    }
    if let Some(iat) = date(claims, "iat")? {
        if iat - expected.leeway > now {
            return Err(JwtError::NotYetValid(iat));
        }
    }
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !expected.issuers.iter().any(|i| i == iss) {
        return Err(JwtError::Issuer(iss.to_owned()));
    }
    let audience_matches = match claims.get("aud") {
        Some(Value::String(aud)) => *aud == expected.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&expected.audience)),
        _ => false,
    };
    if !audience_matches {
        let aud = claims.get("aud").map(Value::to_string).unwrap_or_default();
        return Err(JwtError::Audience(aud.trim_matches('"').to_owned()));
    }
    Ok(())
}

/// Signs `claims` with RS256 under the key id `kid`, with a PKCS#8 PEM private key: the other
/// side of [`verify`], for tests and for tools that stand in for an issuer.
pub fn sign(claims: &Value, kid: &str, private_key_pem: &str) -> Result<String, String> {
    use rsa::pkcs8::DecodePrivateKey;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem)
        .map_err(|err| format!("not a PKCS#8 RSA private key: {err}"))?;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let digest = Sha256::digest(signed.as_bytes());
    let signature = key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(|err| format!("signing failed: {err}"))?;
    Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The key set publishing the public half of a PKCS#8 PEM private key under `kid`.
pub fn public_jwks(kid: &str, private_key_pem: &str) -> Result<Value, String> {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem)
        .map_err(|err| format!("not a PKCS#8 RSA private key: {err}"))?;
    Ok(serde_json::json!({"keys": [{
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    }]}))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
