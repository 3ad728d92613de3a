//! The signature vectors of `signature_vectors.json` (Python SDK signer, cross-checked with Node),
//! the pre-signed URLs of both SDKs, and the four documentation vectors A–D (cos-api.md §1.2).

mod common;

use common::{load_json, owned, pairs, s, split_target, split_url};
use cos_ci_sign::{
    Authorization, KeyTime, SignInput, Signer, VerifyError, decode_path, encode, encode_key_path,
    form_encode, is_signable_header, key_to_path, parse_query, verify,
};

const SECRET_ID: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "example-secret";

fn kt(v: &serde_json::Value) -> KeyTime {
    s(v).parse().expect("key time")
}

#[test]
fn sdk_vectors() {
    let data = load_json("signature_vectors.json");
    let vectors = data["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 12);
    for v in vectors {
        let name = s(&v["name"]);
        let exp = &v["expected"];
        assert_eq!(s(&v["sign_time"]), s(&v["key_time"]), "{name}");
        let key_time = kt(&v["key_time"]);
        let method = s(&v["method"]);
        let key = s(&v["key"]);
        let path = s(&v["path"]);
        assert_eq!(key_to_path(key), path, "{name}: key_to_path");
        let query = pairs(&v["query"]);
        let all_headers = pairs(&v["headers"]);
        let headers: Vec<_> = all_headers
            .iter()
            .filter(|(k, _)| is_signable_header(k))
            .cloned()
            .collect();
        let signer = Signer {
            secret_id: s(&v["secret_id"]),
            secret_key: s(&v["secret_key"]),
        };
        let input = SignInput {
            method,
            path,
            params: &query,
            headers: &headers,
        };
        let debug = signer.debug(key_time, &input);
        assert_eq!(
            debug.http_string,
            s(&exp["http_string"]),
            "{name}: http_string"
        );
        assert_eq!(
            debug.string_to_sign,
            s(&exp["string_to_sign"]),
            "{name}: string_to_sign"
        );
        assert_eq!(debug.sign_key, s(&exp["sign_key"]), "{name}: sign_key");
        assert_eq!(debug.signature, s(&exp["signature"]), "{name}: signature");

        let auth = signer.sign(key_time, &input);
        assert_eq!(auth.signature, s(&exp["signature"]), "{name}");
        assert_eq!(
            auth.header_list.join(";"),
            s(&exp["q_header_list"]),
            "{name}"
        );
        assert_eq!(
            auth.url_param_list.join(";"),
            s(&exp["q_url_param_list"]),
            "{name}"
        );
        assert_eq!(auth.to_header_value(), s(&exp["authorization"]), "{name}");
        assert_eq!(auth.to_string(), s(&exp["authorization"]), "{name}");
        let parsed = Authorization::parse(s(&exp["authorization"])).expect("parse");
        assert_eq!(parsed, auth, "{name}: parse");

        // The wire form: path from encode_key_path, query as Python's requests writes it.
        let (wire_path, wire_query) = split_target(s(&v["wire_target"]));
        assert_eq!(encode_key_path(key), wire_path, "{name}: wire path");
        let py_query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        assert_eq!(py_query.join("&"), wire_query, "{name}: wire query");
        assert_eq!(decode_path(wire_path).expect("decode"), path, "{name}");

        // And the server accepts it from the wire, with every header (signable or not).
        let received = parse_query(wire_query);
        assert_eq!(received, query, "{name}: parse_query");
        verify(
            &parsed,
            signer.secret_key,
            method,
            wire_path,
            &received,
            &all_headers,
        )
        .unwrap_or_else(|e| panic!("{name}: verify: {e}"));
        // The same request with Node's %20 query encoding.
        let node_query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        verify(
            &parsed,
            signer.secret_key,
            method,
            wire_path,
            &parse_query(&node_query.join("&")),
            &all_headers,
        )
        .unwrap_or_else(|e| panic!("{name}: verify (node encoding): {e}"));
        let err = verify(
            &parsed,
            "other-secret",
            method,
            wire_path,
            &received,
            &all_headers,
        )
        .expect_err("wrong secret");
        assert_eq!(
            err,
            VerifyError::SignatureDoesNotMatch {
                string_to_sign: s(&exp["string_to_sign"]).to_string()
            },
            "{name}"
        );
    }
}

/// The non-auth parameters of a pre-signed URL query, in order.
fn non_auth_params(query: &[(String, String)]) -> Vec<(String, String)> {
    query
        .iter()
        .filter(|(k, _)| !k.starts_with("q-") && k != "x-cos-security-token")
        .cloned()
        .collect()
}

#[test]
fn python_presigned_urls() {
    let data = load_json("signature_vectors.json");
    let urls = data["presigned_urls"].as_array().expect("presigned_urls");
    assert_eq!(urls.len(), 3);
    for v in urls {
        let name = s(&v["name"]);
        let url = s(&v["url"]);
        let (host, raw_path, raw_query) = split_url(url);
        let query = parse_query(raw_query);
        let headers = owned(&[("Host", host)]);

        // Verify as the server would.
        let auth = Authorization::from_query(&query)
            .expect("auth in query")
            .expect("valid auth");
        assert_eq!(auth.sign_time, kt(&v["sign_time"]), "{name}");
        verify(
            &auth,
            s(&v["secret_key"]),
            "GET",
            raw_path,
            &query,
            &headers,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));

        // Rebuild the URL exactly.
        let path = decode_path(raw_path).expect("path");
        let params = non_auth_params(&query);
        let signer = Signer {
            secret_id: s(&v["secret_id"]),
            secret_key: s(&v["secret_key"]),
        };
        let input = SignInput {
            method: "GET",
            path: &path,
            params: &params,
            headers: &headers,
        };
        let debug = signer.debug(auth.key_time, &input);
        assert_eq!(debug.http_string, s(&v["expected_http_string"]), "{name}");
        assert_eq!(
            debug.string_to_sign,
            s(&v["expected_string_to_sign"]),
            "{name}"
        );
        let rebuilt = signer.sign(auth.key_time, &input);
        assert_eq!(rebuilt, auth, "{name}");
        let key = path.strip_prefix('/').unwrap_or(&path);
        let rebuilt_url = format!(
            "https://{host}{}?{}",
            encode_key_path(key),
            rebuilt.to_presigned_query(&params)
        );
        assert_eq!(rebuilt_url, url, "{name}");
    }
}

#[test]
fn node_presigned_urls() {
    let data = load_json("signature_vectors.json");
    let urls = data["node_presigned_urls"]
        .as_array()
        .expect("node_presigned_urls");
    assert_eq!(urls.len(), 4);
    for v in urls {
        let name = s(&v["sdk_call"]);
        let url = s(&v["url"]);
        let (host, raw_path, raw_query) = split_url(url);
        let query = parse_query(raw_query);
        let headers = owned(&[("Host", host)]);
        let auth = Authorization::from_query(&query)
            .expect("auth in query")
            .expect("valid auth");
        assert_eq!(auth.sign_time, kt(&v["sign_time"]), "{name}");
        verify(&auth, SECRET_KEY, "GET", raw_path, &query, &headers)
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        // Rebuild: raw header value, unsigned token, then the Query encoded with enc().
        let path = decode_path(raw_path).expect("path");
        let params = non_auth_params(&query);
        let signer = Signer {
            secret_id: SECRET_ID,
            secret_key: SECRET_KEY,
        };
        let rebuilt = signer.sign(
            auth.key_time,
            &SignInput {
                method: "GET",
                path: &path,
                params: &params,
                headers: &headers,
            },
        );
        assert_eq!(rebuilt, auth, "{name}");
        let mut rebuilt_url = format!("https://{host}{raw_path}?{}", rebuilt.to_header_value());
        if let Some((_, token)) = query.iter().find(|(k, _)| k == "x-cos-security-token") {
            assert!(
                !auth
                    .url_param_list
                    .iter()
                    .any(|n| n == "x-cos-security-token")
            );
            rebuilt_url.push_str(&format!("&x-cos-security-token={}", encode(token)));
        }
        for (k, v) in &params {
            rebuilt_url.push_str(&format!("&{}={}", encode(k), encode(v)));
        }
        assert_eq!(rebuilt_url, url, "{name}");
    }
}

#[test]
fn presigned_tampering_fails() {
    let data = load_json("signature_vectors.json");
    let v = &data["presigned_urls"][1];
    let (host, raw_path, raw_query) = split_url(s(&v["url"]));
    let headers = owned(&[("Host", host)]);
    let mut query = parse_query(raw_query);
    let auth = Authorization::from_query(&query)
        .expect("auth")
        .expect("valid");
    for (k, v) in query.iter_mut() {
        if k == "magnify" {
            *v = "4".to_string();
        }
    }
    assert!(matches!(
        verify(&auth, SECRET_KEY, "GET", raw_path, &query, &headers),
        Err(VerifyError::SignatureDoesNotMatch { .. })
    ));
    // Dropping a signed parameter is reported as such.
    let without: Vec<_> = query.into_iter().filter(|(k, _)| k != "magnify").collect();
    assert_eq!(
        verify(&auth, SECRET_KEY, "GET", raw_path, &without, &headers),
        Err(VerifyError::MissingSignedParam("magnify".to_string()))
    );
}

// ---- documentation vectors (cos-api.md §1.2) ----

const DOC_ID: &str = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
const DOC_KEY: &str = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
const DOC_HOST: &str = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com";

fn sha1_of_http_string(string_to_sign: &str) -> &str {
    string_to_sign.split('\n').nth(2).expect("third line")
}

#[test]
fn doc_vector_a_put_object() {
    let signer = Signer {
        secret_id: DOC_ID,
        secret_key: DOC_KEY,
    };
    let key_time: KeyTime = "1557989151;1557996351".parse().expect("kt");
    // The trap: the signed path is the UTF-8 key, not the %-encoded wire path.
    let raw_path = "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)";
    let path = decode_path(raw_path).expect("decode");
    assert_eq!(path, "/exampleobject(腾讯云)");
    assert_eq!(
        encode_key_path("exampleobject(腾讯云)"),
        "/exampleobject%28%E8%85%BE%E8%AE%AF%E4%BA%91%29"
    );
    let headers = owned(&[
        ("Date", "Thu, 16 May 2019 06:45:51 GMT"),
        ("Host", DOC_HOST),
        ("Content-Type", "text/plain"),
        ("Content-Length", "13"),
        ("Content-MD5", "mQ/fVh815F3k6TAUm8m0eg=="),
        ("x-cos-acl", "private"),
        ("x-cos-grant-read", "uin=\"100000000011\""),
    ]);
    let input = SignInput {
        method: "PUT",
        path: &path,
        params: &[],
        headers: &headers,
    };
    let debug = signer.debug(key_time, &input);
    assert_eq!(debug.sign_key, "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f");
    assert_eq!(
        sha1_of_http_string(&debug.string_to_sign),
        "8b2751e77f43a0995d6e9eb9477f4b685cca4172"
    );
    assert_eq!(debug.signature, "3b8851a11a569213c17ba8fa7dcf2abec6935172");
    let auth = signer.sign(key_time, &input);
    assert_eq!(
        auth.header_list.join(";"),
        "content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read"
    );
    assert!(auth.url_param_list.is_empty());
    verify(&auth, DOC_KEY, "PUT", raw_path, &[], &headers).expect("verify");
}

#[test]
fn doc_vector_b_get_object() {
    let signer = Signer {
        secret_id: DOC_ID,
        secret_key: DOC_KEY,
    };
    let key_time: KeyTime = "1557989753;1557996953".parse().expect("kt");
    let raw_query =
        "response-content-type=application%2Foctet-stream&response-cache-control=max-age%3D600";
    let params = parse_query(raw_query);
    let headers = owned(&[
        ("Date", "Thu, 16 May 2019 06:55:53 GMT"),
        ("Host", DOC_HOST),
    ]);
    let input = SignInput {
        method: "GET",
        path: "/exampleobject(腾讯云)",
        params: &params,
        headers: &headers,
    };
    let debug = signer.debug(key_time, &input);
    assert_eq!(debug.sign_key, "937914bf490e9e8c189836aad2052e4feeb35eaf");
    assert_eq!(
        debug.http_string.split('\n').nth(2),
        Some(
            "response-cache-control=max-age%3D600&response-content-type=application%2Foctet-stream"
        )
    );
    assert_eq!(
        sha1_of_http_string(&debug.string_to_sign),
        "54ecfe22f59d3514fdc764b87a32d8133ea611e6"
    );
    assert_eq!(debug.signature, "01681b8c9d798a678e43b685a9f1bba0f6c0e012");
    let auth = signer.sign(key_time, &input);
    assert_eq!(
        auth.url_param_list.join(";"),
        "response-cache-control;response-content-type"
    );
    assert_eq!(auth.header_list.join(";"), "date;host");
    let raw_path = "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)";
    verify(&auth, DOC_KEY, "GET", raw_path, &params, &headers).expect("verify");
}

#[test]
fn doc_vector_c_go_sdk() {
    let signer = Signer {
        secret_id: "QmFzZTY0IGlzIGEgZ2VuZXJp",
        secret_key: "AKIDZfbOA78asKUYBcXFrJD0a1ICvR98JM",
    };
    let headers = owned(&[
        ("Host", "testbucket-125000000.cos.ap-guangzhou.myqcloud.com"),
        (
            "x-cos-content-sha1",
            "db8ac1c259eb89d4a131b253bacfca5f319d54f2",
        ),
        ("x-cos-stroage-class", "nearline"),
    ]);
    let auth = signer.sign(
        KeyTime::new(1480932292, 1481012292),
        &SignInput {
            method: "PUT",
            path: "/testfile2",
            params: &[],
            headers: &headers,
        },
    );
    let expected = "q-sign-algorithm=sha1&q-ak=QmFzZTY0IGlzIGEgZ2VuZXJp&q-sign-time=1480932292;1481012292&q-key-time=1480932292;1481012292&q-header-list=host;x-cos-content-sha1;x-cos-stroage-class&q-url-param-list=&q-signature=ce4ac0ecbcdb30538b3fee0a97cc6389694ce53a";
    assert_eq!(auth.to_header_value(), expected);
    assert_eq!(Authorization::parse(expected).expect("parse"), auth);
}

#[test]
fn doc_vector_d_legacy() {
    let signer = Signer {
        secret_id: DOC_ID,
        secret_key: DOC_KEY,
    };
    let headers = owned(&[
        ("host", "bucket1-1254000000.cos.ap-beijing.myqcloud.com"),
        ("range", "bytes=0-3"),
    ]);
    let auth = signer.sign(
        "1417773892;1417853898".parse().expect("kt"),
        &SignInput {
            method: "GET",
            path: "/testfile",
            params: &[],
            headers: &headers,
        },
    );
    assert_eq!(auth.signature, "4b6cbab14ce01381c29032423481ebffd514e8be");
}

/// The worked example of official-sdks.md §1.8.
#[test]
fn worked_example() {
    let signer = Signer {
        secret_id: SECRET_ID,
        secret_key: SECRET_KEY,
    };
    let params = owned(&[("ci-process", "AISuperResolution"), ("magnify", "4")]);
    let headers = owned(&[(
        "Host",
        "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
    )]);
    let d = signer.debug(
        KeyTime::new(1699999940, 1700003600),
        &SignInput {
            method: "get",
            path: "/input/photo.png",
            params: &params,
            headers: &headers,
        },
    );
    assert_eq!(d.sign_key, "bd77efc2fde4d1d418b364becb77221d3a888932");
    assert_eq!(
        d.http_string,
        "get\n/input/photo.png\nci-process=AISuperResolution&magnify=4\nhost=examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com\n"
    );
    assert_eq!(
        d.string_to_sign,
        "sha1\n1699999940;1700003600\nc013670ed53d96e0616bfc97928acf340c0f779b\n"
    );
    assert_eq!(d.signature, "f9e22822a2b83e49e93abb5d1c262f1ff6941ab4");
}
