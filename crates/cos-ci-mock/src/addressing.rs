//! Which bucket and key a request addresses, as COS resolves them: the bucket from a
//! virtual-hosted Host, else path-style `/<bucket>/<key>` for a configured bucket, else the
//! default bucket (what the official SDKs' Domain mode and IP Hosts need).

use cos_ci_validate::{HOST_SUFFIXES, HostKind};

/// The services whose hosts carry a bucket: `<bucket>.<service>.<region>.<suffix>`.
const BUCKET_SERVICES: [&str; 4] = ["cos", "cos-internal", "pic", "ci"];

/// The bucket named by a Host header value, if it is a virtual-hosted bucket name.
///
/// `examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com:9000` gives the bucket; an IP,
/// `localhost` or any other name gives `None`.
pub fn bucket_from_host(host: &str) -> Option<String> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    let suffix = HOST_SUFFIXES
        .iter()
        .find(|s| host.ends_with(&format!(".{s}")))?;
    let labels: Vec<&str> = host[..host.len() - suffix.len() - 1].split('.').collect();
    match labels.as_slice() {
        [bucket, service, _region]
            if BUCKET_SERVICES.contains(service) && cos_ci_validate::is_bucket_name(bucket) =>
        {
            Some((*bucket).to_string())
        }
        _ => None,
    }
}

/// The kind of bucket host a Host header value names (`<bucket>.ci.<region>.myqcloud.com`
/// is [`HostKind::Ci`]; `cos-internal` is the COS endpoint too), if it names one.
pub fn host_kind(host: &str) -> Option<HostKind> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    bucket_from_host(&host)?;
    let service = host.split('.').nth(1)?;
    match service {
        "cos-internal" => Some(HostKind::Cos),
        other => HostKind::from_name(other),
    }
}

/// Whether a Host header value is a COS service endpoint, where `GET /` lists buckets (GET
/// Service): `service.cos.myqcloud.com` or the regional `cos.<region>.myqcloud.com` (and
/// their `tencentcos.cn` forms). Any other Host without a bucket (an IP, `localhost`, a custom
/// domain) addresses the default bucket, as the official SDKs' Domain mode expects.
pub fn is_service_host(host: &str) -> bool {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    HOST_SUFFIXES.iter().any(|suffix| {
        host.strip_suffix(&format!(".{suffix}"))
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(first, rest)| match first {
                "service" => rest == "cos",
                "cos" => !rest.is_empty() && !rest.contains('.'),
                _ => false,
            })
    })
}

/// `host:port`, `[v6]:port` → the host part.
pub fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Bucket and key of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The bucket.
    pub bucket: String,
    /// The decoded key without its leading `/` (empty for the bucket root).
    pub key: String,
}

/// Resolves bucket and key from the Host and the decoded path.
pub fn resolve(host: Option<&str>, decoded_path: &str, buckets: &[String]) -> Target {
    let path = decoded_path.strip_prefix('/').unwrap_or(decoded_path);
    if let Some(bucket) = host.and_then(bucket_from_host) {
        return Target {
            bucket,
            key: path.to_string(),
        };
    }
    let (first, rest) = path.split_once('/').unwrap_or((path, ""));
    if buckets.iter().any(|b| b == first) {
        return Target {
            bucket: first.to_string(),
            key: rest.to_string(),
        };
    }
    Target {
        bucket: buckets.first().cloned().unwrap_or_default(),
        key: path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_names() {
        for host in [
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com:9000",
            "ExampleBucket-1250000000.pic.ap-guangzhou.myqcloud.com",
            "examplebucket-1250000000.cos-internal.ap-beijing.tencentcos.cn",
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com.",
        ] {
            assert_eq!(
                bucket_from_host(host).as_deref(),
                Some("examplebucket-1250000000"),
                "{host}"
            );
        }
        for host in [
            "127.0.0.1:9000",
            "localhost",
            "[::1]:9000",
            "cos.ap-guangzhou.myqcloud.com",
            "examplebucket.cos.ap-guangzhou.myqcloud.com",
            "a.b.examplebucket-1.cos.ap-guangzhou.myqcloud.com",
            "examplebucket-1250000000.cos.ap-guangzhou.example.com",
        ] {
            assert_eq!(bucket_from_host(host), None, "{host}");
        }
    }

    #[test]
    fn host_kinds() {
        let kind = |h: &str| host_kind(h);
        assert_eq!(
            kind("examplebucket-1250000000.ci.ap-guangzhou.myqcloud.com:9000"),
            Some(HostKind::Ci)
        );
        assert_eq!(
            kind("examplebucket-1250000000.cos-internal.ap-beijing.tencentcos.cn"),
            Some(HostKind::Cos)
        );
        assert_eq!(
            kind("ExampleBucket-1250000000.PIC.ap-guangzhou.myqcloud.com"),
            Some(HostKind::Pic)
        );
        assert_eq!(kind("127.0.0.1:9000"), None);
        assert_eq!(kind("cos.ap-guangzhou.myqcloud.com"), None);
    }

    #[test]
    fn service_hosts() {
        for host in [
            "service.cos.myqcloud.com",
            "service.cos.tencentcos.cn:443",
            "cos.ap-guangzhou.myqcloud.com",
            "COS.ap-beijing.tencentcos.cn.",
        ] {
            assert!(is_service_host(host), "{host}");
        }
        for host in [
            "127.0.0.1:9000",
            "localhost",
            "[::1]:9000",
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
            "service.pic.myqcloud.com",
            "cos.myqcloud.com",
            "cos.ap-guangzhou.example.com",
        ] {
            assert!(!is_service_host(host), "{host}");
        }
    }

    #[test]
    fn path_style_and_default_bucket() {
        let buckets = vec!["a-1".to_string(), "b-2".to_string()];
        let t = resolve(Some("127.0.0.1:9000"), "/b-2/x/y.png", &buckets);
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("b-2", "x/y.png"));
        let t = resolve(Some("127.0.0.1:9000"), "/x/y.png", &buckets);
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("a-1", "x/y.png"));
        let t = resolve(
            Some("c-3.cos.ap-guangzhou.myqcloud.com"),
            "/b-2/x.png",
            &buckets,
        );
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("c-3", "b-2/x.png"));
        let t = resolve(None, "/", &buckets);
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("a-1", ""));
    }
}
