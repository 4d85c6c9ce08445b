//! Key pairs as upstream's jwt plugin keeps them (jose `generateKeyPair` + `exportJWK`): JWKs
//! with only key material, and compact JWS signatures over them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    EdDsa,
    Es256,
    Es512,
    Rs256,
    Ps256,
}

impl Alg {
    pub fn parse(name: &str) -> Option<Alg> {
        Some(match name {
            "EdDSA" => Alg::EdDsa,
            "ES256" => Alg::Es256,
            "ES512" => Alg::Es512,
            "RS256" => Alg::Rs256,
            "PS256" => Alg::Ps256,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::EdDsa => "EdDSA",
            Alg::Es256 => "ES256",
            Alg::Es512 => "ES512",
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
        }
    }

    /// The curve upstream stores beside the key (none for RSA).
    pub fn curve(self) -> Option<&'static str> {
        match self {
            Alg::EdDsa => Some("Ed25519"),
            Alg::Es256 => Some("P-256"),
            Alg::Es512 => Some("P-521"),
            Alg::Rs256 | Alg::Ps256 => None,
        }
    }
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(B64.encode(bytes))
}

fn unb64(jwk: &Map<String, Value>, key: &str) -> Result<Vec<u8>, String> {
    let text = jwk.get(key).and_then(Value::as_str).ok_or_else(|| format!("JWK has no `{key}`"))?;
    B64.decode(text.trim_end_matches('=')).map_err(|_| format!("JWK `{key}` is not base64url"))
}

fn random_bytes(n: usize) -> Vec<u8> {
    use rand::RngExt;
    let mut bytes = vec![0u8; n];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

/// A new key pair: `(public JWK, private JWK)`. RSA keys take a while: call off the event loop.
pub fn generate(alg: Alg, modulus_length: usize) -> Result<(Value, Value), String> {
    match alg {
        Alg::EdDsa => {
            let secret: [u8; 32] = random_bytes(32).try_into().map_err(|_| "random bytes")?;
            let key = ed25519_dalek::SigningKey::from_bytes(&secret);
            let x = b64(key.verifying_key().as_bytes());
            Ok((json!({ "crv": "Ed25519", "x": x, "kty": "OKP" }), json!({ "crv": "Ed25519", "d": b64(&secret), "x": x, "kty": "OKP" })))
        }
        Alg::Es256 => {
            let key = loop {
                if let Ok(k) = p256::SecretKey::from_slice(&random_bytes(32)) {
                    break k;
                }
            };
            let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
            let (x, y) = (b64(point.x().ok_or("P-256 point")?), b64(point.y().ok_or("P-256 point")?));
            let public = json!({ "kty": "EC", "x": x, "y": y, "crv": "P-256" });
            Ok((public, json!({ "kty": "EC", "x": x, "y": y, "crv": "P-256", "d": b64(&key.to_bytes()) })))
        }
        Alg::Es512 => {
            let key = loop {
                let mut bytes = random_bytes(66);
                bytes[0] &= 0x01;
                if let Ok(k) = p521::SecretKey::from_slice(&bytes) {
                    break k;
                }
            };
            let point = p521::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
            let (x, y) = (b64(point.x().ok_or("P-521 point")?), b64(point.y().ok_or("P-521 point")?));
            let public = json!({ "kty": "EC", "x": x, "y": y, "crv": "P-521" });
            Ok((public, json!({ "kty": "EC", "x": x, "y": y, "crv": "P-521", "d": b64(&key.to_bytes()) })))
        }
        Alg::Rs256 | Alg::Ps256 => {
            use rsa::traits::{PrivateKeyParts, PublicKeyParts};
            if modulus_length < 2048 {
                return Err(format!("modulusLength must be at least 2048, got {modulus_length}"));
            }
            let key = rsa::RsaPrivateKey::new(&mut rand_core_06::OsRng, modulus_length).map_err(|e| e.to_string())?;
            let (n, e) = (b64(&key.n().to_bytes_be()), b64(&key.e().to_bytes_be()));
            let public = json!({ "kty": "RSA", "n": n, "e": e });
            let primes = key.primes();
            let (p, q) = (&primes[0], &primes[1]);
            let private = json!({
                "kty": "RSA", "n": n, "e": e,
                "d": b64(&key.d().to_bytes_be()),
                "p": b64(&p.to_bytes_be()), "q": b64(&q.to_bytes_be()),
                "dp": b64(&key.dp().map(|v| v.to_bytes_be()).unwrap_or_default()),
                "dq": b64(&key.dq().map(|v| v.to_bytes_be()).unwrap_or_default()),
                "qi": b64(&key.crt_coefficient().map(|v| v.to_bytes_be()).unwrap_or_default()),
            });
            Ok((public, private))
        }
    }
}

fn rsa_public(jwk: &Map<String, Value>) -> Result<rsa::RsaPublicKey, String> {
    let n = rsa::BigUint::from_bytes_be(&unb64(jwk, "n")?);
    let e = rsa::BigUint::from_bytes_be(&unb64(jwk, "e")?);
    rsa::RsaPublicKey::new(n, e).map_err(|e| e.to_string())
}

fn rsa_private(jwk: &Map<String, Value>) -> Result<rsa::RsaPrivateKey, String> {
    let part = |k: &str| unb64(jwk, k).map(|b| rsa::BigUint::from_bytes_be(&b));
    rsa::RsaPrivateKey::from_components(part("n")?, part("e")?, part("d")?, vec![part("p")?, part("q")?]).map_err(|e| e.to_string())
}

/// The JWS signature of `input` with a private JWK.
pub fn sign(alg: Alg, private: &Map<String, Value>, input: &[u8]) -> Result<Vec<u8>, String> {
    use ed25519_dalek::Signer as _;
    match alg {
        Alg::EdDsa => {
            let d: [u8; 32] = unb64(private, "d")?.try_into().map_err(|_| "Ed25519 `d` is not 32 bytes")?;
            Ok(ed25519_dalek::SigningKey::from_bytes(&d).sign(input).to_bytes().to_vec())
        }
        Alg::Es256 => {
            let key = p256::ecdsa::SigningKey::from_slice(&unb64(private, "d")?).map_err(|e| e.to_string())?;
            let signature: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&key, input);
            Ok(signature.to_bytes().to_vec())
        }
        Alg::Es512 => {
            let key = p521::ecdsa::SigningKey::from_slice(&unb64(private, "d")?).map_err(|e| e.to_string())?;
            let signature: p521::ecdsa::Signature = p521::ecdsa::signature::Signer::sign(&key, input);
            Ok(signature.to_bytes().to_vec())
        }
        Alg::Rs256 => {
            use rsa::signature::{SignatureEncoding, Signer};
            let key = rsa::pkcs1v15::SigningKey::<sha2_digest10::Sha256>::new(rsa_private(private)?);
            Ok(key.try_sign(input).map_err(|e| e.to_string())?.to_vec())
        }
        Alg::Ps256 => {
            use rsa::signature::{RandomizedSigner, SignatureEncoding};
            let key = rsa::pss::SigningKey::<sha2_digest10::Sha256>::new(rsa_private(private)?);
            Ok(key.try_sign_with_rng(&mut rand_core_06::OsRng, input).map_err(|e| e.to_string())?.to_vec())
        }
    }
}

/// Whether `signature` is `alg`'s signature of `input` under a public JWK.
pub fn verify(alg: Alg, public: &Map<String, Value>, input: &[u8], signature: &[u8]) -> bool {
    let checked = || -> Result<bool, String> {
        Ok(match alg {
            Alg::EdDsa => {
                let x: [u8; 32] = unb64(public, "x")?.try_into().map_err(|_| "x")?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x).map_err(|e| e.to_string())?;
                let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|e| e.to_string())?;
                key.verify_strict(input, &sig).is_ok()
            }
            Alg::Es256 => {
                let mut sec1 = vec![4u8];
                sec1.extend(unb64(public, "x")?);
                sec1.extend(unb64(public, "y")?);
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| e.to_string())?;
                let sig = p256::ecdsa::Signature::from_slice(signature).map_err(|e| e.to_string())?;
                p256::ecdsa::signature::Verifier::verify(&key, input, &sig).is_ok()
            }
            Alg::Es512 => {
                let mut sec1 = vec![4u8];
                sec1.extend(unb64(public, "x")?);
                sec1.extend(unb64(public, "y")?);
                let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| e.to_string())?;
                let sig = p521::ecdsa::Signature::from_slice(signature).map_err(|e| e.to_string())?;
                p521::ecdsa::signature::Verifier::verify(&key, input, &sig).is_ok()
            }
            Alg::Rs256 => {
                let key = rsa::pkcs1v15::VerifyingKey::<sha2_digest10::Sha256>::new(rsa_public(public)?);
                let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(|e| e.to_string())?;
                rsa::signature::Verifier::verify(&key, input, &sig).is_ok()
            }
            Alg::Ps256 => {
                let key = rsa::pss::VerifyingKey::<sha2_digest10::Sha256>::new(rsa_public(public)?);
                let sig = rsa::pss::Signature::try_from(signature).map_err(|e| e.to_string())?;
                rsa::signature::Verifier::verify(&key, input, &sig).is_ok()
            }
        })
    };
    checked().unwrap_or(false)
}

/// `header.payload.signature`, base64url without padding.
pub fn compact_jws(alg: Alg, kid: &str, private: &Map<String, Value>, payload: &Value) -> Result<String, String> {
    let header = json!({ "alg": alg.name(), "kid": kid });
    let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(payload.to_string()));
    let signature = sign(alg, private, input.as_bytes())?;
    Ok(format!("{input}.{}", B64.encode(signature)))
}

/// A compact JWS taken apart (nothing verified yet).
pub struct Jws {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
    /// `header.payload`, as signed.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

pub fn decode_parts(token: &str) -> Option<Jws> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(Jws {
        header: serde_json::from_slice(&B64.decode(h).ok()?).ok()?,
        payload: serde_json::from_slice(&B64.decode(p).ok()?).ok()?,
        signing_input: format!("{h}.{p}"),
        signature: B64.decode(s).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies_and_refuses_a_change() {
        for alg in [Alg::EdDsa, Alg::Es256, Alg::Es512, Alg::Rs256, Alg::Ps256] {
            let (public, private) = generate(alg, 2048).unwrap();
            let token = compact_jws(alg, "kid-1", private.as_object().unwrap(), &json!({ "sub": "u1" })).unwrap();
            let jws = decode_parts(&token).unwrap();
            assert_eq!(
                (jws.header["alg"].as_str(), jws.header["kid"].as_str(), jws.payload["sub"].as_str()),
                (Some(alg.name()), Some("kid-1"), Some("u1"))
            );
            assert!(verify(alg, public.as_object().unwrap(), jws.signing_input.as_bytes(), &jws.signature), "{alg:?}");
            assert!(!verify(alg, public.as_object().unwrap(), b"other", &jws.signature), "{alg:?}");
            assert!(public.get("d").is_none());
        }
    }
}
