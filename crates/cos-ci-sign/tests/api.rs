//! Unit-level behaviour of the public API: parsing rules, errors, time checks, encoding details.

use cos_ci_sign::{
    Authorization, DEFAULT_MAX_SIGNED_NAMES, KeyTime, SignError, SignInput, Signer, TimeError,
    VerifyError, check_time, decode_path, encode, encode_key_path, form_encode, is_signable_header,
    parse_query, signable_headers, verify, verify_limited,
};

const GOOD: &str = "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700003600&q-key-time=1699999940;1700003600&q-header-list=host&q-url-param-list=ci-process;magnify&q-signature=f9e22822a2b83e49e93abb5d1c262f1ff6941ab4";

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn parse_good_and_fields() {
    let a = Authorization::parse(GOOD).unwrap();
    assert_eq!(a.secret_id, "AKIDEXAMPLE");
    assert_eq!(a.sign_time, KeyTime::new(1699999940, 1700003600));
    assert_eq!(a.key_time, a.sign_time);
    assert_eq!(a.header_list, vec!["host"]);
    assert_eq!(a.url_param_list, vec!["ci-process", "magnify"]);
    assert_eq!(a.to_header_value(), GOOD);
    assert_eq!(
        a.to_query(),
        "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940%3B1700003600&q-key-time=1699999940%3B1700003600&q-header-list=host&q-url-param-list=ci-process%3Bmagnify&q-signature=f9e22822a2b83e49e93abb5d1c262f1ff6941ab4"
    );
    // Field order does not matter when parsing; the output order is fixed.
    let mut fields: Vec<&str> = GOOD.split('&').collect();
    fields.reverse();
    assert_eq!(Authorization::parse(&fields.join("&")).unwrap(), a);
    // Unknown fields are ignored; upper-case hex is normalised.
    let upper = GOOD.replace(
        "f9e22822a2b83e49e93abb5d1c262f1ff6941ab4",
        "F9E22822A2B83E49E93ABB5D1C262F1FF6941AB4",
    );
    assert_eq!(
        Authorization::parse(&format!("{upper}&x-extra=1")).unwrap(),
        a
    );
}

#[test]
fn parse_errors() {
    let bad = |s: &str| Authorization::parse(s).unwrap_err();
    assert!(matches!(bad(""), SignError::MalformedAuthorization(_)));
    assert!(matches!(
        bad("garbage"),
        SignError::MalformedAuthorization(_)
    ));
    assert_eq!(
        bad(&GOOD.replace("algorithm=sha1", "algorithm=sha256")),
        SignError::UnsupportedAlgorithm("sha256".to_string())
    );
    assert!(matches!(
        bad(&GOOD.replace("q-ak=AKIDEXAMPLE&", "")),
        SignError::MalformedAuthorization(_)
    ));
    assert!(matches!(
        bad(&GOOD.replace("q-ak=AKIDEXAMPLE", "q-ak=")),
        SignError::MalformedAuthorization(_)
    ));
    assert!(matches!(
        bad(&format!("{GOOD}&q-ak=X")),
        SignError::MalformedAuthorization(_)
    ));
    assert!(matches!(
        bad(&GOOD.replace(
            "q-sign-time=1699999940;1700003600",
            "q-sign-time=1699999940"
        )),
        SignError::InvalidKeyTime(_)
    ));
    assert!(matches!(
        bad(&GOOD.replace("q-key-time=1699999940;", "q-key-time=+1699999940;")),
        SignError::InvalidKeyTime(_)
    ));
    assert!(matches!(
        bad(&GOOD.replace("ci-process;magnify", "ci-process;;magnify")),
        SignError::MalformedAuthorization(_)
    ));
    assert!(matches!(
        bad(&GOOD.replace("6941ab4", "6941ab")),
        SignError::MalformedAuthorization(_)
    ));
    assert!(matches!(
        bad(&GOOD.replace("6941ab4", "6941abg")),
        SignError::MalformedAuthorization(_)
    ));
}

#[test]
fn key_time_parsing() {
    assert_eq!("0;0".parse::<KeyTime>().unwrap(), KeyTime::new(0, 0));
    for bad in [
        "",
        ";",
        "1;",
        ";1",
        "2;1",
        "1;2;3",
        " 1;2",
        "1;18446744073709551616",
        "-1;2",
        "a;b",
    ] {
        assert!(bad.parse::<KeyTime>().is_err(), "{bad:?}");
    }
    assert_eq!(
        KeyTime::new(u64::MAX, u64::MAX)
            .to_string()
            .parse::<KeyTime>()
            .unwrap(),
        KeyTime::new(u64::MAX, u64::MAX)
    );
}

#[test]
fn from_query_rules() {
    assert!(Authorization::from_query(&owned(&[("ci-process", "x")])).is_none());
    let q = parse_query(
        &Authorization::parse(GOOD)
            .unwrap()
            .to_presigned_query(&owned(&[("ci-process", "A B")])),
    );
    assert_eq!(
        q.last().unwrap(),
        &("ci-process".to_string(), "A B".to_string())
    );
    assert_eq!(
        Authorization::from_query(&q).unwrap().unwrap(),
        Authorization::parse(GOOD).unwrap()
    );
    // Node's raw ';' form parses the same.
    assert_eq!(
        Authorization::from_query(&parse_query(GOOD))
            .unwrap()
            .unwrap(),
        Authorization::parse(GOOD).unwrap()
    );
    assert!(
        Authorization::from_query(&owned(&[("q-sign-algorithm", "sha1")]))
            .unwrap()
            .is_err()
    );
}

#[test]
fn time_window() {
    let mut a = Authorization::parse(GOOD).unwrap();
    a.sign_time = KeyTime::new(100, 200);
    a.key_time = KeyTime::new(100, 200);
    assert_eq!(check_time(&a, 100, 0), Ok(()));
    assert_eq!(check_time(&a, 200, 0), Ok(()));
    assert_eq!(
        check_time(&a, 99, 0),
        Err(TimeError::NotYetValid {
            start: 100,
            now: 99
        })
    );
    assert_eq!(
        check_time(&a, 201, 0),
        Err(TimeError::Expired { end: 200, now: 201 })
    );
    assert_eq!(check_time(&a, 0, u64::MAX), Ok(()));
    // The skew tolerates an early start only: the end is strict, whatever the skew.
    assert_eq!(check_time(&a, 95, 5), Ok(()));
    assert_eq!(check_time(&a, 200, 900), Ok(()));
    assert_eq!(
        check_time(&a, 201, 900),
        Err(TimeError::Expired { end: 200, now: 201 })
    );
    assert_eq!(
        check_time(&a, u64::MAX, u64::MAX),
        Err(TimeError::Expired {
            end: 200,
            now: u64::MAX
        })
    );
    // key_time may contain sign_time ...
    a.key_time = KeyTime::new(50, 300);
    assert_eq!(check_time(&a, 150, 0), Ok(()));
    // ... but not be narrower.
    a.key_time = KeyTime::new(150, 300);
    assert!(matches!(
        check_time(&a, 160, 0),
        Err(TimeError::KeyTimeMismatch { .. })
    ));
}

#[test]
fn encoding_details() {
    assert_eq!(
        encode(" !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"),
        "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D"
    );
    assert_eq!(encode("腾"), "%E8%85%BE");
    assert_eq!(form_encode("~*'"), "~%2A%27");
    assert_eq!(encode_key_path(""), "/");
    assert_eq!(encode_key_path("a/"), "/a/");
    assert_eq!(encode_key_path("a//b"), "/a//b");
    assert_eq!(encode_key_path("./a"), "/.%2Fa");
    assert_eq!(encode_key_path("a/.."), "/a%2F..");
    assert_eq!(encode_key_path("a/../.."), "/a/..%2F..");
    assert_eq!(encode_key_path("x./y"), "/x./y");
    assert_eq!(encode_key_path("a/.../b"), "/a/.../b");
    assert_eq!(decode_path("/a%2fb").unwrap(), "/a/b");
    assert_eq!(
        decode_path("/%"),
        Err(SignError::InvalidPercentEncoding { position: 1 })
    );
    assert_eq!(
        decode_path("/%4"),
        Err(SignError::InvalidPercentEncoding { position: 1 })
    );
    assert_eq!(decode_path("/%C3%28"), Err(SignError::InvalidUtf8));
    assert_eq!(parse_query(""), vec![]);
    assert_eq!(parse_query("a&&b="), owned(&[("a", ""), ("b", "")]));
    assert_eq!(parse_query("a=1&a=2"), owned(&[("a", "1"), ("a", "2")]));
}

#[test]
fn signable_header_filter() {
    for h in [
        "cache-control",
        "Content-Disposition",
        "content-encoding",
        "CONTENT-TYPE",
        "content-md5",
        "content-length",
        "expect",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "origin",
        "range",
        "transfer-encoding",
        "pic-operations",
        "x-cos-acl",
        "x-ci-x",
    ] {
        assert!(is_signable_header(h), "{h}");
    }
    for h in [
        "authorization",
        "user-agent",
        "accept",
        "connection",
        "date",
        "x-cosx",
        "x-c",
        "accept-encoding",
    ] {
        assert!(!is_signable_header(h), "{h}");
    }
    let all = owned(&[("User-Agent", "u"), ("Host", "h"), ("X-Cos-Meta-A", "1")]);
    assert_eq!(
        signable_headers(&all),
        owned(&[("Host", "h"), ("X-Cos-Meta-A", "1")])
    );
}

#[test]
fn duplicates_and_case_collisions() {
    let signer = Signer {
        secret_id: "AKID",
        secret_key: "k",
    };
    let params = owned(&[("b", "2"), ("A", "x"), ("a", "1"), ("", "ignored")]);
    let headers = owned(&[("x-cos-m", "z"), ("X-COS-M", "y"), ("Host", "h")]);
    let input = SignInput {
        method: "GET",
        path: "/",
        params: &params,
        headers: &headers,
    };
    let d = signer.debug(KeyTime::new(1, 2), &input);
    assert_eq!(
        d.http_string,
        "get\n/\na=1&a=x&b=2\nhost=h&x-cos-m=y&x-cos-m=z\n"
    );
    let auth = signer.sign(KeyTime::new(1, 2), &input);
    assert_eq!(auth.url_param_list, vec!["a", "b"]);
    assert_eq!(auth.header_list, vec!["host", "x-cos-m"]);
    let query = parse_query("a=1&b=2&A=x");
    verify(&auth, "k", "GET", "/", &query, &headers).unwrap();
}

#[test]
fn verify_errors() {
    let auth = Authorization::parse(GOOD).unwrap();
    let headers = owned(&[(
        "Host",
        "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
    )]);
    let query = parse_query("ci-process=AISuperResolution&magnify=4");
    assert_eq!(
        verify(
            &auth,
            "example-secret",
            "GET",
            "/input/photo.png",
            &query,
            &headers
        ),
        Ok(())
    );
    assert_eq!(
        verify(
            &auth,
            "example-secret",
            "GET",
            "/input/photo.png",
            &query,
            &[]
        ),
        Err(VerifyError::MissingSignedHeader("host".to_string()))
    );
    assert_eq!(
        verify(
            &auth,
            "example-secret",
            "GET",
            "/input/photo.png",
            &parse_query("magnify=4"),
            &headers
        ),
        Err(VerifyError::MissingSignedParam("ci-process".to_string()))
    );
    assert_eq!(
        verify(
            &auth,
            "example-secret",
            "GET",
            "/input/%ZZ.png",
            &query,
            &headers
        ),
        Err(VerifyError::InvalidPath(
            SignError::InvalidPercentEncoding { position: 7 }
        ))
    );
    // The server's StringToSign for magnify=2 (same HttpString as vector presigned-download-superres).
    assert_eq!(
        verify(
            &auth,
            "example-secret",
            "GET",
            "/input/photo.png",
            &parse_query("ci-process=AISuperResolution&magnify=2"),
            &headers
        ),
        Err(VerifyError::SignatureDoesNotMatch {
            string_to_sign:
                "sha1\n1699999940;1700003600\n8d78263e0cf97853a89161e0f37db8f1cafdee26\n"
                    .to_string()
        })
    );
}

#[test]
fn signer_debug_redacts_secret() {
    let signer = Signer {
        secret_id: "AKID",
        secret_key: "super-secret",
    };
    let dbg = format!("{signer:?}");
    assert!(dbg.contains("AKID") && !dbg.contains("super-secret"));
}

/// A request signed with `n_headers` signed headers (Host first) and `params` as query.
fn signed_with(
    n_headers: usize,
    params: &[(String, String)],
) -> (Authorization, Vec<(String, String)>) {
    let mut headers = owned(&[(
        "Host",
        "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
    )]);
    for i in 1..n_headers {
        headers.push((format!("x-cos-meta-h{i}"), format!("v{i}")));
    }
    let auth = Signer {
        secret_id: "AKIDEXAMPLE",
        secret_key: "example-secret",
    }
    .sign(
        KeyTime::new(100, 200),
        &SignInput {
            method: "GET",
            path: "/a.png",
            params,
            headers: &headers,
        },
    );
    (auth, headers)
}

#[test]
fn signed_lists_at_the_limit_verify() {
    let params: Vec<(String, String)> = (0..DEFAULT_MAX_SIGNED_NAMES)
        .map(|i| (format!("p{i}"), i.to_string()))
        .collect();
    let (auth, headers) = signed_with(DEFAULT_MAX_SIGNED_NAMES, &params);
    assert_eq!(auth.header_list.len(), DEFAULT_MAX_SIGNED_NAMES);
    assert_eq!(auth.url_param_list.len(), DEFAULT_MAX_SIGNED_NAMES);
    verify(&auth, "example-secret", "GET", "/a.png", &params, &headers).unwrap();
    // The same request against a lower limit is refused, naming list, count and limit.
    let err = verify_limited(
        &auth,
        "example-secret",
        "GET",
        "/a.png",
        &params,
        &headers,
        10,
    )
    .unwrap_err();
    assert_eq!(
        err,
        VerifyError::TooManySignedNames {
            list: "q-url-param-list",
            count: DEFAULT_MAX_SIGNED_NAMES,
            limit: 10
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("q-url-param-list") && message.contains("max_signed_names = 10"),
        "{message}"
    );
    // One more signed header than the default limit is refused.
    let (auth, headers) = signed_with(DEFAULT_MAX_SIGNED_NAMES + 1, &[]);
    assert_eq!(
        verify(&auth, "example-secret", "GET", "/a.png", &[], &headers),
        Err(VerifyError::TooManySignedNames {
            list: "q-header-list",
            count: DEFAULT_MAX_SIGNED_NAMES + 1,
            limit: DEFAULT_MAX_SIGNED_NAMES
        })
    );
}

#[test]
fn huge_signed_lists_are_refused() {
    // 200,000 names (the quadratic matcher compared each with every received pair): refused
    // before anything is matched or hashed.
    let names: Vec<String> = (0..200_000).map(|i| format!("x-cos-n{i}")).collect();
    let value = format!(
        "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=100;200&q-key-time=100;200&\
         q-header-list={}&q-url-param-list=&q-signature={}",
        names.join(";"),
        "0".repeat(40)
    );
    let auth = Authorization::parse(&value).unwrap();
    let headers: Vec<(String, String)> =
        names.iter().map(|n| (n.clone(), "v".to_string())).collect();
    assert_eq!(
        verify(&auth, "k", "GET", "/", &[], &headers),
        Err(VerifyError::TooManySignedNames {
            list: "q-header-list",
            count: 200_000,
            limit: DEFAULT_MAX_SIGNED_NAMES
        })
    );
}

#[test]
fn repeated_signed_values_are_capped() {
    // One listed name, sent many times: every copy is signed, so the copies count.
    let params: Vec<(String, String)> = (0..DEFAULT_MAX_SIGNED_NAMES)
        .map(|i| ("a".to_string(), i.to_string()))
        .collect();
    let (auth, headers) = signed_with(1, &params);
    assert_eq!(auth.url_param_list, vec!["a"]);
    verify(&auth, "example-secret", "GET", "/a.png", &params, &headers).unwrap();
    let mut more = params.clone();
    more.extend((0..100_000).map(|_| ("A".to_string(), "x".to_string())));
    // Unlisted parameters cost a look-up each and are not limited.
    more.extend((0..100_000).map(|i| (format!("other{i}"), "x".to_string())));
    assert_eq!(
        verify(&auth, "example-secret", "GET", "/a.png", &more, &headers),
        Err(VerifyError::TooManySignedValues {
            list: "q-url-param-list",
            count: DEFAULT_MAX_SIGNED_NAMES + 100_000,
            limit: DEFAULT_MAX_SIGNED_NAMES
        })
    );
    let unlisted: Vec<(String, String)> = params
        .iter()
        .cloned()
        .chain((0..100_000).map(|i| (format!("other{i}"), "x".to_string())))
        .collect();
    verify(
        &auth,
        "example-secret",
        "GET",
        "/a.png",
        &unlisted,
        &headers,
    )
    .unwrap();
}
