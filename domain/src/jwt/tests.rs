use super::*;
use chrono::TimeZone;
use serde_json::json;

/// The repository's own test key (testdata/jwt-test-key.pem), made for these tests only.
fn private_key() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/jwt-test-key.pem");
    std::fs::read_to_string(path).unwrap()
}

fn keys() -> Jwks {
    let set = public_jwks("key-1", &private_key()).unwrap();
    Jwks::parse(set.to_string().as_bytes()).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn expected() -> Expected {
    Expected {
        issuers: vec!["https://accounts.google.com".into()],
        audience: "https://attest.example.com/hooks/gcp".into(),
        leeway: Duration::seconds(60),
    }
}

fn claims() -> Value {
    json!({
        "iss": "https://accounts.google.com",
        "aud": "https://attest.example.com/hooks/gcp",
        "email": "pubsub-push@acme.iam.gserviceaccount.com",
        "email_verified": true,
        "iat": now().timestamp() - 10,
        "exp": now().timestamp() + 3590,
    })
}

fn token(claims: &Value) -> String {
    sign(claims, "key-1", &private_key()).unwrap()
}

#[test]
fn a_token_signed_by_the_key_set_with_the_right_claims_verifies() {
    let verified = verify(&token(&claims()), &keys(), &expected(), now()).unwrap();
    assert_eq!(verified, claims());
    // `aud` may be a list that contains the audience.
    let mut listed = claims();
    listed["aud"] = json!(["other", "https://attest.example.com/hooks/gcp"]);
    assert!(verify(&token(&listed), &keys(), &expected(), now()).is_ok());
}

#[test]
fn each_claim_that_is_wrong_is_named() {
    let with = |name: &str, value: Value| {
        let mut c = claims();
        c[name] = value;
        verify(&token(&c), &keys(), &expected(), now()).unwrap_err()
    };
    let exp = now() - Duration::seconds(61);
    assert_eq!(with("exp", json!(exp.timestamp())), JwtError::Expired(exp));
    // Within the leeway a just-expired token still passes.
    let mut fresh = claims();
    fresh["exp"] = json!(now().timestamp() - 30);
    assert!(verify(&token(&fresh), &keys(), &expected(), now()).is_ok());
    let later = now() + Duration::seconds(600);
    assert_eq!(
        with("nbf", json!(later.timestamp())),
        JwtError::NotYetValid(later)
    );
    assert_eq!(
        with("iss", json!("https://evil.example.com")),
        JwtError::Issuer("https://evil.example.com".into())
    );
    assert_eq!(
        with("aud", json!("https://elsewhere.example.com")),
        JwtError::Audience("https://elsewhere.example.com".into())
    );
    assert!(matches!(
        with("exp", json!("tomorrow")),
        JwtError::Malformed(_)
    ));
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert!(matches!(
        verify(&token(&no_exp), &keys(), &expected(), now()),
        Err(JwtError::Malformed(_))
    ));
}

#[test]
fn a_changed_payload_or_another_key_does_not_verify() {
    let good = token(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let mut forged = claims();
    forged["email"] = json!("attacker@example.com");
    let forged_payload = URL_SAFE_NO_PAD.encode(forged.to_string());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(
        verify(&tampered, &keys(), &expected(), now()),
        Err(JwtError::Signature)
    );
    let other_kid = sign(&claims(), "key-2", &private_key()).unwrap();
    assert_eq!(
        verify(&other_kid, &keys(), &expected(), now()),
        Err(JwtError::UnknownKey("key-2".into()))
    );
    assert!(!keys().has(Some("key-2")));
    assert!(keys().has(Some("key-1")));
}

#[test]
fn only_rs256_is_accepted_whatever_the_token_says() {
    let good = token(&claims());
    let payload = good.split('.').nth(1).unwrap();
    for alg in ["none", "HS256", "RS512"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": "key-1"}).to_string());
        let forged = format!("{header}.{payload}.");
        assert_eq!(
            verify(&forged, &keys(), &expected(), now()),
            Err(JwtError::Algorithm(alg.into()))
        );
    }
}

#[test]
fn garbage_is_refused_without_panicking() {
    for garbage in [
        "",
        "Bearer",
        "a.b",
        "a.b.c.d",
        "!!.??.**",
        "e30.e30.e30",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.AAAA",
    ] {
        assert!(
            verify(garbage, &keys(), &expected(), now()).is_err(),
            "{garbage}"
        );
    }
    // Key sets: not JSON is an error; keys of other kinds or broken numbers are skipped.
    assert!(Jwks::parse(b"<html>").is_err());
    let mixed = json!({"keys": [
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "broken", "n": "***", "e": "AQAB"},
    ]});
    assert!(Jwks::parse(mixed.to_string().as_bytes())
        .unwrap()
        .is_empty());
}
