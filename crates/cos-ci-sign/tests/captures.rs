//! Every raw request captured from the official Python and Node SDKs verifies with the secret key
//! `example-secret`; tampered copies do not.

mod common;

use common::{Capture, load_captures, load_json, s};
use cos_ci_sign::{
    Authorization, SignInput, Signer, VerifyError, decode_path, encode, parse_query, verify,
};

const SECRET_KEY: &str = "example-secret";

/// The authorization of a capture: the header if present and non-empty, else the query.
fn auth_of(c: &Capture) -> Authorization {
    match c.header("Authorization") {
        Some(v) if !v.is_empty() => Authorization::parse(v)
            .unwrap_or_else(|e| panic!("{}: parse authorization: {e}", c.name)),
        _ => Authorization::from_query(&parse_query(c.raw_query()))
            .unwrap_or_else(|| panic!("{}: no authorization", c.name))
            .unwrap_or_else(|e| panic!("{}: parse query authorization: {e}", c.name)),
    }
}

fn check(c: &Capture) -> Result<(), VerifyError> {
    verify(
        &auth_of(c),
        SECRET_KEY,
        &c.method,
        c.raw_path(),
        &parse_query(c.raw_query()),
        &c.headers,
    )
}

fn assert_mismatch(c: &Capture, what: &str) {
    match check(c) {
        Err(VerifyError::SignatureDoesNotMatch { string_to_sign }) => {
            assert!(string_to_sign.starts_with("sha1\n"), "{}: {what}", c.name);
        }
        other => panic!(
            "{}: {what}: expected SignatureDoesNotMatch, got {other:?}",
            c.name
        ),
    }
}

fn with_target(c: &Capture, path: &str, query: &[(String, String)]) -> Capture {
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let mut t = c.clone();
    t.target = if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    };
    t
}

#[test]
fn all_captures_verify() {
    let captures = load_captures();
    let python = captures
        .iter()
        .filter(|c| !c.name.contains("/node/"))
        .count();
    let node = captures.len() - python;
    assert_eq!((python, node), (24, 9));
    for c in &captures {
        check(c).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    }
}

/// Re-sign each Python capture from its decoded parts and compare with what the SDK logged
/// (index.json), including whether the host had to lose its port.
#[test]
fn python_captures_match_index() {
    let index = load_json("captures/index.json");
    assert_eq!(s(&index["secret_key"]), SECRET_KEY);
    let captures = load_captures();
    let entries = index["captures"].as_array().expect("captures");
    assert_eq!(entries.len(), 24);
    for e in entries {
        let file = format!("captures/{}", s(&e["file"]));
        let c = captures
            .iter()
            .find(|c| c.name == file)
            .unwrap_or_else(|| panic!("{file} missing"));
        assert_eq!(c.method, s(&e["method"]), "{file}");
        assert_eq!(c.target, s(&e["target"]), "{file}");
        let auth = auth_of(c);
        assert_eq!(auth.secret_id, s(&index["secret_id"]), "{file}");

        let path = decode_path(c.raw_path()).expect("path");
        let params: Vec<_> = parse_query(c.raw_query())
            .into_iter()
            .filter(|(k, _)| {
                auth.url_param_list
                    .contains(&encode(k).to_ascii_lowercase())
            })
            .collect();
        let strip = e["host_port_stripped_for_verification"]
            .as_bool()
            .expect("bool");
        let signed_headers = |strip_port: bool| -> Vec<(String, String)> {
            c.headers
                .iter()
                .filter(|(k, _)| auth.header_list.contains(&k.to_ascii_lowercase()))
                .map(|(k, v)| {
                    if strip_port && k.eq_ignore_ascii_case("host") {
                        (
                            k.clone(),
                            v.rsplit_once(':').map_or(v.as_str(), |x| x.0).to_string(),
                        )
                    } else {
                        (k.clone(), v.clone())
                    }
                })
                .collect()
        };
        let signer = Signer {
            secret_id: &auth.secret_id,
            secret_key: SECRET_KEY,
        };
        let sign = |headers: &[(String, String)]| {
            signer.debug(
                auth.key_time,
                &SignInput {
                    method: &c.method,
                    path: &path,
                    params: &params,
                    headers,
                },
            )
        };
        let exact = sign(&signed_headers(false));
        let used = sign(&signed_headers(strip));
        assert_eq!(used.signature, auth.signature, "{file}");
        assert_eq!(
            exact.signature == auth.signature,
            !strip,
            "{file}: host_port_stripped_for_verification"
        );
        if let Some(logged) = e["sdk_logged_http_string"].as_str() {
            assert_eq!(used.http_string, logged, "{file}");
        }
    }
}

#[test]
fn tampered_captures_fail() {
    let mut tampered_params = 0;
    for c in &load_captures() {
        let auth = auth_of(c);
        let query = parse_query(c.raw_query());

        // A signed parameter changed.
        if let Some(first) = auth.url_param_list.first() {
            let mut q = query.clone();
            let p = q
                .iter_mut()
                .find(|(k, _)| encode(k).to_ascii_lowercase() == *first)
                .expect("listed param present");
            p.1.push('x');
            assert_mismatch(&with_target(c, c.raw_path(), &q), "changed param");
            tampered_params += 1;
            // Removed: reported as missing.
            let q: Vec<_> = query
                .iter()
                .filter(|(k, _)| encode(k).to_ascii_lowercase() != *first)
                .cloned()
                .collect();
            assert_eq!(
                check(&with_target(c, c.raw_path(), &q)),
                Err(VerifyError::MissingSignedParam(first.clone())),
                "{}",
                c.name
            );
        }

        // Every signed header changed, one at a time.
        for name in &auth.header_list {
            let mut t = c.clone();
            let h = t
                .headers
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .expect("listed header present");
            h.1 = if h.1.is_empty() {
                "x".to_string()
            } else {
                format!("x{}", h.1)
            };
            assert_mismatch(&t, &format!("changed header {name}"));
            let mut t = c.clone();
            t.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            assert_eq!(
                check(&t),
                Err(VerifyError::MissingSignedHeader(name.clone())),
                "{}",
                c.name
            );
        }

        // Path and method.
        let mut t = c.clone();
        t.target = format!(
            "{}x{}",
            c.raw_path(),
            c.target.strip_prefix(c.raw_path()).unwrap_or("")
        );
        assert_mismatch(&t, "changed path");
        let mut t = c.clone();
        t.method = if c.method == "GET" { "HEAD" } else { "GET" }.to_string();
        assert_mismatch(&t, "changed method");

        // Wrong secret.
        assert!(matches!(
            verify(
                &auth,
                "wrong-secret",
                &c.method,
                c.raw_path(),
                &query,
                &c.headers
            ),
            Err(VerifyError::SignatureDoesNotMatch { .. })
        ));

        // Unsigned changes are accepted: another User-Agent, an extra parameter, an extra header.
        let mut t = with_target(c, c.raw_path(), &{
            let mut q = query.clone();
            q.push(("unsigned-extra".to_string(), "1".to_string()));
            q
        });
        t.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("user-agent"));
        t.headers
            .push(("User-Agent".to_string(), "something-else".to_string()));
        t.headers
            .push(("x-cos-unsigned".to_string(), "1".to_string()));
        check(&t).unwrap_or_else(|e| panic!("{}: unsigned changes: {e}", c.name));
    }
    assert!(tampered_params >= 20, "{tampered_params}");
}

#[test]
fn node_token_is_unsigned_python_token_is_signed() {
    let captures = load_captures();
    let find = |n: &str| captures.iter().find(|c| c.name.ends_with(n)).expect(n);
    let py = find("17-token-coloring.http");
    let node = find("08-token-request-coloring.http");
    assert!(
        auth_of(py)
            .header_list
            .iter()
            .any(|h| h == "x-cos-security-token")
    );
    assert!(
        !auth_of(node)
            .header_list
            .iter()
            .any(|h| h == "x-cos-security-token")
    );
    // Node's unsigned token may be changed or dropped; Python's may not.
    let mut t = node.clone();
    t.headers.retain(|(k, _)| k != "x-cos-security-token");
    check(&t).expect("node without token");
    let mut t = py.clone();
    for h in &mut t.headers {
        if h.0 == "x-cos-security-token" {
            h.1 = "other".to_string();
        }
    }
    assert_mismatch(&t, "changed signed token");
}
