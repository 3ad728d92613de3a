"""The official Python SDK (cos-python-sdk-v5) doing what the cos-ci criterion benches do, in
the same run: preparing the same download-processing requests and reading / writing the same
XML documents. No network: only the SDK's signer, URL building and XML helpers run.

    python peer.py --requests requests.json --xml-dir xml/ [--quick]

`requests.json` and `xml/` are written by the criterion benches (COS_CI_BENCH_OUT). Prints one
JSON object: nanoseconds per call (median over samples) of every case.

What each case runs (the SDK's own code paths, from cos_client.py 1.9.44):
  prepare  what `ci_*_process` does before sending: format_values(params), CosConfig.uri,
           CosS3Auth, and requests.Request(...).prepare() (URL with the encoded query, the
           Authorization header); Rust: Client::prepare_download_values.
  presign  CosS3Client.get_presigned_url(Bucket, Key, 'GET', Expired, Params); Rust:
           Client::presign_values.
  xml      cos_comm.xml_to_dict (how ci_put_object reads UploadResult), cos_exception.digest_xml
           (how CosServiceError reads the error document), cos_comm.format_xml (the SDK's
           XML writer).
"""

import argparse
import importlib.metadata
import json
import platform
import statistics
import sys
import time

import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_auth import CosS3Auth
from qcloud_cos.cos_comm import format_values, format_xml, xml_to_dict
from qcloud_cos.cos_exception import digest_xml

SECRET_ID = "AKIDEXAMPLE"
SECRET_KEY = "example-secret"


def measure(fn, samples, sample_seconds):
    """Median nanoseconds per call over `samples` batches of about `sample_seconds` each."""
    fn()  # warm up (imports, caches)
    n = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter_ns() - start
        if elapsed >= sample_seconds * 1e9 / 4 or n >= 1 << 20:
            break
        n *= 2
    per_batch = max(1, int(n * (sample_seconds * 1e9) / max(elapsed, 1)))
    times = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        for _ in range(per_batch):
            fn()
        times.append((time.perf_counter_ns() - start) / per_batch)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", required=True)
    ap.add_argument("--xml-dir", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    samples, sample_seconds = (5, 0.02) if args.quick else (20, 0.05)

    with open(args.requests, encoding="utf-8") as f:
        reqs = json.load(f)
    out = {
        "sdk": "cos-python-sdk-v5 " + importlib.metadata.version("cos-python-sdk-v5"),
        "python": platform.python_version(),
        "prepare": {},
        "presign": {},
        "xml": {},
    }
    clients = {}
    for r in reqs:
        region, bucket, key = r["region"], r["bucket"], r["key"]
        if region not in clients:
            conf = CosConfig(Region=region, SecretId=SECRET_ID, SecretKey=SECRET_KEY, Scheme="https")
            clients[region] = (conf, CosS3Client(conf))
        conf, client = clients[region]
        pairs = [tuple(p) for p in r["params"]]
        expires = int(r["expires"])

        def prepare(conf=conf, bucket=bucket, key=key, pairs=pairs):
            params = format_values(dict(pairs))
            url = conf.uri(bucket=bucket, path=key)
            auth = CosS3Auth(conf, key, params=params)
            return requests.Request("GET", url, params=params, auth=auth).prepare()

        def presign(client=client, bucket=bucket, key=key, pairs=pairs, expires=expires):
            return client.get_presigned_url(
                Bucket=bucket, Key=key, Method="GET", Expired=expires, Params=dict(pairs)
            )

        # The prepared request must carry the processing query and a signature.
        p = prepare()
        assert "ci-process=" in p.url and p.headers["Authorization"].startswith("q-sign-algorithm=sha1"), p.url
        assert "q-signature=" in presign()
        out["prepare"][r["operation"]] = measure(prepare, samples, sample_seconds)
        out["presign"][r["operation"]] = measure(presign, samples, sample_seconds)

    with open(args.xml_dir + "/upload_result.xml", "rb") as f:
        upload = f.read()
    with open(args.xml_dir + "/error.xml", "rb") as f:
        error = f.read()
    upload_dict = xml_to_dict(upload)
    error_fields = digest_xml(error)
    assert upload_dict["ProcessResults"]["Object"], upload_dict
    assert error_fields["code"] == "SignatureDoesNotMatch", error_fields
    error_dict = {
        "Code": error_fields["code"],
        "Message": error_fields["message"],
        "Resource": error_fields["resource"],
        "RequestId": error_fields["requestid"],
        "TraceId": error_fields.get("traceid", ""),
    }
    out["xml"]["parse_upload_result"] = measure(lambda: xml_to_dict(upload), samples, sample_seconds)
    out["xml"]["write_upload_result"] = measure(
        lambda: format_xml(upload_dict, "UploadResult"), samples, sample_seconds
    )
    out["xml"]["parse_error"] = measure(lambda: digest_xml(error), samples, sample_seconds)
    out["xml"]["write_error"] = measure(lambda: format_xml(error_dict, "Error"), samples, sample_seconds)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
