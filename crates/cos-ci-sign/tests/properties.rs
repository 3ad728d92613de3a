//! Property tests: key paths round-trip, sign → parse → verify round-trips, a changed secret or
//! signed part fails, and no input makes anything panic.

use cos_ci_sign::{
    Authorization, KeyTime, SignInput, Signer, VerifyError, check_time, decode_path, encode,
    encode_key_path, form_encode, key_to_path, parse_query, verify, verify_limited,
};
use proptest::prelude::*;

/// Keys built from awkward segments: unicode, spaces, `+ % ? #`, empty, `.` and `..`.
fn awkward_key() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just(String::new()),
        Just(".".to_string()),
        Just("..".to_string()),
        Just("...".to_string()),
        "[a-zA-Z0-9 +%?#&=;:~!*'()\\[\\]@$,\"<>^`{|}\\\\._-]{1,8}",
        "[腾讯云目录éß😀\u{0}\u{7f} .+%]{1,5}",
    ];
    prop::collection::vec(segment, 1..7).prop_map(|segs| segs.join("/"))
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_string()),
        Just("PUT".to_string()),
        Just("POST".to_string()),
        Just("HEAD".to_string()),
        Just("DELETE".to_string()),
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("\\PC{1,10}", "\\PC{0,12}"), 0..6)
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        "x-cos-[a-zA-Z0-9-]{1,10}",
        "X-CI-[a-z]{1,5}",
        Just("Content-Type".to_string()),
        Just("Range".to_string()),
        Just("Pic-Operations".to_string()),
    ];
    let value = "[ -~]{0,24}|\\PC{0,8}";
    (
        prop_oneof![
            Just("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com".to_string()),
            Just("127.0.0.1:9000".to_string()),
            "[a-z0-9.-]{1,20}(:[0-9]{1,5})?",
        ],
        prop::collection::vec((name, value), 0..5),
    )
        .prop_map(|(host, mut hs)| {
            hs.insert(0, ("Host".to_string(), host));
            hs
        })
}

fn key_time() -> impl Strategy<Value = KeyTime> {
    (0u64..4_000_000_000, 0u64..100_000).prop_map(|(start, len)| KeyTime::new(start, start + len))
}

/// The raw query a client would send: Python style (`+` for space) or Node style (`%20`).
fn wire_query(params: &[(String, String)], python: bool) -> String {
    let enc = if python { form_encode } else { encode };
    params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn awkward_keys_round_trip(key in awkward_key()) {
        let wire = encode_key_path(&key);
        prop_assert!(wire.starts_with('/'));
        prop_assert!(wire.bytes().all(|b| b.is_ascii_graphic()), "{wire}");
        prop_assert!(!wire.contains(['?', '#', ' ', '+']), "{wire}");
        // No dot segment survives on the wire, except for a key that is only "." or "..".
        let stripped = key.strip_prefix('/').unwrap_or(&key);
        if stripped != "." && stripped != ".." {
            prop_assert!(wire.split('/').all(|seg| seg != "." && seg != ".."), "{wire}");
        }
        prop_assert_eq!(decode_path(&wire).unwrap(), key_to_path(&key));
    }

    #[test]
    fn any_key_round_trips(key in any::<String>()) {
        prop_assert_eq!(decode_path(&encode_key_path(&key)).unwrap(), key_to_path(&key));
        prop_assert_eq!(decode_path(&encode(&key)).unwrap(), key);
    }

    #[test]
    fn query_round_trips(ps in params(), python in any::<bool>()) {
        prop_assert_eq!(parse_query(&wire_query(&ps, python)), ps);
    }

    #[test]
    fn sign_parse_verify_round_trip(
        key in awkward_key(),
        method in method(),
        params in params(),
        headers in headers(),
        kt in key_time(),
        python in any::<bool>(),
        secret in "\\PC{0,80}",
    ) {
        let path = key_to_path(&key);
        let signer = Signer { secret_id: "AKIDEXAMPLE", secret_key: &secret };
        let auth = signer.sign(kt, &SignInput {
            method: &method,
            path: &path,
            params: &params,
            headers: &headers,
        });
        let parsed = Authorization::parse(&auth.to_header_value()).unwrap();
        prop_assert_eq!(&parsed, &auth);
        // The pre-signed form carries the same authorization.
        let from_query = Authorization::from_query(&parse_query(&auth.to_query())).unwrap().unwrap();
        prop_assert_eq!(&from_query, &auth);
        prop_assert!(check_time(&parsed, kt.start, 0).is_ok());

        let raw_path = encode_key_path(&key);
        let query = parse_query(&wire_query(&params, python));
        prop_assert_eq!(
            verify(&parsed, &secret, &method.to_lowercase(), &raw_path, &query, &headers),
            Ok(())
        );

        // A changed secret fails.
        let other = format!("{secret}x");
        let changed_secret = verify(&parsed, &other, &method, &raw_path, &query, &headers);
        prop_assert!(
            matches!(changed_secret, Err(VerifyError::SignatureDoesNotMatch { .. })),
            "{:?}", changed_secret
        );

        // A changed path fails.
        let changed_path = verify(&parsed, &secret, &method, &format!("{raw_path}x"), &query, &headers);
        prop_assert!(
            matches!(changed_path, Err(VerifyError::SignatureDoesNotMatch { .. })),
            "{:?}", changed_path
        );

        // A changed signed param value fails.
        if let Some((name, _)) = params.first() {
            let mut q = query.clone();
            if let Some(p) = q.iter_mut().find(|(k, _)| k == name) {
                p.1.push('\u{1}');
            }
            let res = verify(&parsed, &secret, &method, &raw_path, &q, &headers);
            prop_assert!(matches!(res, Err(VerifyError::SignatureDoesNotMatch { .. })), "{:?}", res);
        }

        // A changed signed header value fails.
        let mut hs = headers.clone();
        if let Some(h) = hs.last_mut() {
            h.1.push('\u{1}');
        }
        let res = verify(&parsed, &secret, &method, &raw_path, &query, &hs);
        prop_assert!(matches!(res, Err(VerifyError::SignatureDoesNotMatch { .. })), "{:?}", res);
    }

    #[test]
    fn host_without_port_is_accepted(host in "[a-z0-9.]{1,20}", port in 1u16..) {
        let signed = vec![("Host".to_string(), host.clone())];
        let received = vec![("host".to_string(), format!("{host}:{port}"))];
        let signer = Signer { secret_id: "AKID", secret_key: "k" };
        let kt = KeyTime::new(1, 2);
        let auth = signer.sign(kt, &SignInput { method: "GET", path: "/a", params: &[], headers: &signed });
        prop_assert_eq!(verify(&auth, "k", "GET", "/a", &[], &received), Ok(()));
        // The other way round (signed with the port, received without) is not accepted.
        let auth = signer.sign(kt, &SignInput { method: "GET", path: "/a", params: &[], headers: &received });
        let res = verify(&auth, "k", "GET", "/a", &[], &signed);
        prop_assert!(matches!(res, Err(VerifyError::SignatureDoesNotMatch { .. })), "{:?}", res);
    }

    #[test]
    fn parsers_never_panic(s in any::<String>(), raw in "[%0-9a-fA-FxX&=;+q-]{0,40}") {
        let _ = Authorization::parse(&s);
        let _ = decode_path(&s);
        let _ = decode_path(&raw);
        let _ = parse_query(&s);
        let _ = s.parse::<KeyTime>();
        let _ = Authorization::from_query(&parse_query(&raw));
        let _ = encode_key_path(&s);
    }

    #[test]
    fn verify_never_panics(
        list in prop::collection::vec("\\PC{0,6}", 0..4),
        raw_path in "\\PC{0,20}",
        query in "\\PC{0,30}",
        headers in prop::collection::vec(("\\PC{0,6}", "\\PC{0,10}"), 0..4),
        now in any::<u64>(),
        skew in any::<u64>(),
        start in any::<u64>(),
        end in any::<u64>(),
    ) {
        let auth = Authorization {
            secret_id: "AKID".to_string(),
            sign_time: KeyTime { start, end },
            key_time: KeyTime { start: end, end: start },
            header_list: list.clone(),
            url_param_list: list,
            signature: "0".repeat(40),
        };
        let _ = verify(&auth, "k", "GET", &raw_path, &parse_query(&query), &headers);
        let _ = check_time(&auth, now, skew);
        let _ = auth.to_query();
        let _ = Authorization::parse(&auth.to_header_value());
    }

    #[test]
    fn list_limit_is_exact(n in 0usize..40, limit in 1usize..40) {
        let params: Vec<(String, String)> =
            (0..n).map(|i| (format!("p{i}"), format!("v{i}"))).collect();
        let headers = vec![("Host".to_string(), "h".to_string())];
        let auth = Signer { secret_id: "AKID", secret_key: "k" }.sign(
            KeyTime::new(1, 2),
            &SignInput { method: "GET", path: "/", params: &params, headers: &headers },
        );
        let res = verify_limited(&auth, "k", "GET", "/", &params, &headers, limit);
        if n <= limit {
            prop_assert_eq!(res, Ok(()));
        } else {
            prop_assert_eq!(
                res,
                Err(VerifyError::TooManySignedNames { list: "q-url-param-list", count: n, limit })
            );
        }
    }
}
