"""The official Python SDK (cos-python-sdk-v5, unmodified) against cos-ci-mock.

Every operation in every processing mode, in both of the SDK's local modes (see conftest.py):
  download  GET /<key>?ci-process=...: the SDK's helpers where they exist, ci_process generically
  upload    PUT /<key> + Pic-Operations: ci_put_object (and put_object, which drops the body)
  cloud     POST /<key>?image_process + Pic-Operations: ci_image_process
plus plain object calls, pre-signed URLs, odd keys and the errors a caller must be able to read:
a bad signature, out-of-range parameters, a missing key.

The assertions are on real results: decoded image dimensions and pixels, the UploadResult
fields, and the processed objects read back from storage.
"""

import hashlib
import io
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
import requests
from PIL import Image, ImageChops, ImageDraw
from qcloud_cos import CosServiceError

from conftest import BUCKET, REGION, REQUEST_TIMEOUT

HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"


# ------------------------------------------------------------------------------------------
# Test images, made here so every expectation can be computed.


def encode(img, fmt, **options):
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def decode(data):
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def textured(width, height):
    """An RGB PNG full of fine detail, so that smoothing and sharpening change pixels."""
    img = Image.new("RGB", (width, height))
    img.putdata(
        [
            ((x * 37 + y * 11) % 256, (x * x + y * 7) % 256, ((x * 5) ^ (y * 13)) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    return encode(img, "PNG")


def black_and_white(width, height):
    """A grey-scale JPEG (stored as RGB with equal channels), the input colouring expects."""
    img = Image.new("L", (width, height))
    img.putdata([(x * 255 // max(width - 1, 1) + y * 3) % 256 for y in range(height) for x in range(width)])
    return encode(img.convert("RGB"), "JPEG", quality=95)


def subject(width, height, box):
    """A PNG of a dark subject (the rectangle `box`) on a plain light background."""
    img = Image.new("RGB", (width, height), (235, 235, 230))
    ImageDraw.Draw(img).rectangle(box, fill=(20, 40, 160))
    return encode(img, "PNG")


def md5_etag(data):
    return f'"{hashlib.md5(data).hexdigest()}"'


def has_colour(img):
    r, g, b = img.convert("RGB").split()
    return ImageChops.difference(r, g).getbbox() is not None or ImageChops.difference(g, b).getbbox() is not None


def same_pixels(a, b):
    return a.size == b.size and a.convert("RGB").tobytes() == b.convert("RGB").tobytes()


# ------------------------------------------------------------------------------------------
# One case per operation: a source, parameters, and what the result must look like.


@dataclass
class Case:
    op: str
    make_source: object
    params: dict = field(default_factory=dict)
    # `Format` in UploadResult, and the image format of the answer.
    format: str = "png"
    mime: str = "image/png"

    def rule(self, params=None):
        params = self.params if params is None else params
        return "ci-process=" + self.op + ("&" + urlencode(params) if params else "")

    def expected_size(self, width, height, params=None):
        params = self.params if params is None else params
        if self.op == "AISuperResolution":
            magnify = int(params.get("magnify", 2))
            return width * magnify, height * magnify
        if self.op == "AIPicMatting" and "padding-layout" in params:
            dx, dy = (int(v) for v in params["padding-layout"].split("x"))
            return width + 2 * dx, height + 2 * dy
        return width, height

    def check(self, source, result, params=None):
        """Asserts `result` (image bytes) is this operation's answer for `source`."""
        src, out = decode(source), decode(result)
        assert out.size == self.expected_size(*src.size, params), (self.op, src.size, out.size)
        assert Image.MIME[out.format] == self.mime
        if self.op == "AIImageColoring":
            assert not has_colour(src) and has_colour(out)
        if self.op == "AIEnhanceImage":
            assert not same_pixels(src, out), "denoise/sharpen left every pixel unchanged"
        if self.op == "AIPicMatting":
            assert out.mode == "RGBA"
            alpha = out.getchannel("A")
            dx, dy = (out.width - src.width) // 2, (out.height - src.height) // 2
            # Padding and background are transparent; the middle of the subject is opaque.
            assert alpha.getpixel((0, 0)) == 0
            assert alpha.getpixel((dx, dy)) == 0
            assert alpha.getpixel((dx + src.width // 2, dy + src.height // 2)) == 255
            if dx or dy:
                assert alpha.getbbox()[0] >= dx and alpha.getbbox()[1] >= dy
        return out


CASES = [
    Case("AIImageColoring", lambda: black_and_white(48, 32), {}, "jpg", "image/jpeg"),
    Case("AISuperResolution", lambda: textured(24, 16), {"magnify": "4"}),
    Case("AIEnhanceImage", lambda: textured(32, 24), {"denoise": "1", "sharpen": "5"}),
    Case("AIPicMatting", lambda: subject(40, 30, (10, 8, 29, 21)), {"padding-layout": "20x10"}),
]
CASE_IDS = [c.op for c in CASES]


def pic_operations(rules, is_pic_info=1):
    return json.dumps({"is_pic_info": is_pic_info, "rules": rules})


def objects(upload_result):
    """ProcessResults/Object as a list: the SDK gives a dict for one, a list for several."""
    found = upload_result["ProcessResults"]["Object"]
    return found if isinstance(found, list) else [found]


def read_stream(body):
    """All bytes of an SDK StreamBody."""
    return b"".join(body.get_stream(64 * 1024))


def put(client, key, data, **kwargs):
    response = client.put_object(Bucket=BUCKET, Body=data, Key=key, **kwargs)
    assert response["ETag"] == md5_etag(data)
    return response["ETag"]


def fetch(client, key):
    """GET an object: (headers, bytes)."""
    response = client.get_object(Bucket=BUCKET, Key=key)
    return response, read_stream(response["Body"])


def service_error(call, *args, **kwargs):
    with pytest.raises(CosServiceError) as info:
        call(*args, **kwargs)
    return info.value


def assert_error(error, status, code, key=None):
    """A COS error the SDK could parse in full: code, message, resource, request and trace id."""
    assert error.get_status_code() == status, error.get_origin_msg()
    assert error.get_error_code() == code, error.get_origin_msg()
    assert error.get_error_msg()
    assert error.get_request_id()
    assert error.get_trace_id() not in ("", "Unknown")
    if key is not None:
        assert error.get_resource_location() == f"{HOST}/{key}"


def assert_stored_result(client, obj, case, source, key, params=None):
    """A ProcessResults/Object entry, against the object it names, read back from storage."""
    assert obj["Key"] == key
    assert obj["Location"] == f"{HOST}/{key}"
    assert obj["Format"] == case.format
    headers, stored = fetch(client, key)
    assert int(obj["Size"]) == len(stored) == int(headers["Content-Length"])
    assert obj["ETag"] == headers["ETag"] == md5_etag(stored)
    assert headers["Content-Type"] == case.mime
    out = case.check(source, stored, params)
    assert (int(obj["Width"]), int(obj["Height"])) == out.size
    if case.format == "jpg":
        assert 0 < int(obj["Quality"]) <= 100


def assert_original(original, key, etag, source=None):
    assert original["Key"] == key
    assert original["Location"] == f"{HOST}/{key}"
    assert original["ETag"] == etag
    if source is None:
        assert "ImageInfo" not in original
    else:
        info, img = original["ImageInfo"], decode(source)
        assert info["Format"] == {"JPEG": "jpg", "PNG": "png"}[img.format]
        assert (int(info["Width"]), int(info["Height"])) == img.size
        assert info["Orientation"] == "0"


# ------------------------------------------------------------------------------------------
# Processing during download.


def test_coloring_helper(client, prefix):
    source = black_and_white(48, 32)
    key = prefix + "bw.jpg"
    put(client, key, source)
    headers, body = client.cos_ai_image_coloring(Bucket=BUCKET, ObjectKey=key)
    assert headers["Content-Type"] == "image/jpeg"
    assert headers["x-cos-request-id"]
    CASES[0].check(source, read_stream(body), {})


def test_super_resolution_helper_doubles(client, prefix):
    source = textured(24, 16)
    key = prefix + "small.png"
    put(client, key, source)
    # ci_super_resolution_process cannot send magnify: the default is 2.
    response = client.ci_super_resolution_process(Bucket=BUCKET, Key=key)
    assert response["Content-Type"] == "image/png"
    assert decode(read_stream(response["Body"])).size == (48, 32)


@pytest.mark.parametrize("magnify", ["2", "4"])
def test_super_resolution_magnify(client, prefix, magnify):
    source = textured(24, 16)
    key = prefix + "small.png"
    put(client, key, source)
    result = client.ci_process(
        Bucket=BUCKET, Key=key, CiProcess="AISuperResolution", Params={"magnify": magnify}
    )
    assert decode(result).size == (24 * int(magnify), 16 * int(magnify))


def test_enhance_helper(client, prefix):
    source = textured(32, 24)
    key = prefix + "noisy.png"
    put(client, key, source)
    # The helper always sends denoise=3&sharpen=3 unless told otherwise.
    headers, body = client.cos_ai_enhance_image(Bucket=BUCKET, ObjectKey=key)
    assert headers["Content-Type"] == "image/png"
    CASES[2].check(source, read_stream(body), {})
    # 0 and 0 turn both off: the pixels come back unchanged.
    _, body = client.cos_ai_enhance_image(Bucket=BUCKET, ObjectKey=key, Denoise=0, Sharpen=0)
    assert same_pixels(decode(source), decode(read_stream(body)))


@pytest.mark.parametrize("padding", ["20x10", "0x7", "1000x0"])
def test_matting_helper_padding(client, prefix, padding):
    source = subject(40, 30, (10, 8, 29, 21))
    key = prefix + "subject.png"
    put(client, key, source)
    headers, body = client.cos_ai_pic_matting(Bucket=BUCKET, ObjectKey=key, PaddingLayout=padding)
    assert headers["Content-Type"] == "image/png"
    CASES[3].check(source, read_stream(body), {"padding-layout": padding})


def test_matting_helper_center_layout(client, prefix):
    # The subject sits in the top-left corner; center-layout=1 moves it to the middle.
    source = subject(60, 40, (4, 4, 15, 13))
    key = prefix + "corner.png"
    put(client, key, source)
    _, body = client.cos_ai_pic_matting(Bucket=BUCKET, ObjectKey=key)
    assert decode(read_stream(body)).getchannel("A").getbbox() == (4, 4, 16, 14)
    _, body = client.cos_ai_pic_matting(Bucket=BUCKET, ObjectKey=key, CenterLayout=1)
    out = decode(read_stream(body))
    assert out.size == (60, 40)
    left, top, right, bottom = out.getchannel("A").getbbox()
    assert (right - left, bottom - top) == (12, 10)
    assert abs(left - (60 - right)) <= 1 and abs(top - (40 - bottom)) <= 1


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_download_ci_process(client, prefix, case):
    source = case.make_source()
    key = prefix + "source"
    put(client, key, source)
    headers, result = client.ci_process(
        Bucket=BUCKET, Key=key, CiProcess=case.op, Params=case.params, NeedHeader=True
    )
    assert headers["Content-Type"] == case.mime
    assert int(headers["Content-Length"]) == len(result)
    case.check(source, result)


# ------------------------------------------------------------------------------------------
# Processing upon upload.


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_upload_ci_put_object(client, prefix, case):
    source = case.make_source()
    key = prefix + "in/original"
    rules = [{"fileid": f"/{prefix}out/result", "rule": case.rule(), "bucket": BUCKET}]
    headers, result = client.ci_put_object(
        Bucket=BUCKET, Body=source, Key=key, PicOperations=pic_operations(rules)
    )
    assert headers["Content-Type"] == "application/xml"
    assert_original(result["OriginalInfo"], key, md5_etag(source), source)
    [obj] = objects(result)
    assert_stored_result(client, obj, case, source, prefix + "out/result")
    # The original is stored too, byte for byte.
    _, stored = fetch(client, key)
    assert stored == source


def test_upload_every_operation_in_one_request(client, prefix):
    source = textured(20, 12)
    key = prefix + "dir/original.png"
    # fileid without a leading / is relative to the original's directory.
    rules = [
        {"fileid": "sr.png", "rule": "ci-process=AISuperResolution"},
        {"fileid": "enh.png", "rule": "ci-process=AIEnhanceImage&denoise=0&sharpen=2"},
        {"fileid": "mat.png", "rule": "ci-process=AIPicMatting&center-layout=1&padding-layout=3x4"},
        {"fileid": "col.png", "rule": "ci-process=AIImageColoring"},
    ]
    _, result = client.ci_put_object(
        Bucket=BUCKET, Body=source, Key=key, PicOperations=pic_operations(rules, is_pic_info=0)
    )
    assert_original(result["OriginalInfo"], key, md5_etag(source))
    got = objects(result)
    assert [o["Key"] for o in got] == [prefix + "dir/" + r["fileid"] for r in rules]
    sizes = [(int(o["Width"]), int(o["Height"])) for o in got]
    assert sizes == [(40, 24), (20, 12), (26, 20), (20, 12)]
    for obj in got:
        headers, stored = fetch(client, obj["Key"])
        assert obj["ETag"] == headers["ETag"] and int(obj["Size"]) == len(stored)
        assert decode(stored).size == (int(obj["Width"]), int(obj["Height"]))


def test_upload_with_put_object(client, prefix):
    # put_object sends the same request but throws the UploadResult away; the results are stored.
    source = textured(10, 10)
    rules = [{"fileid": f"/{prefix}sr.png", "rule": "ci-process=AISuperResolution&magnify=4"}]
    response = client.put_object(
        Bucket=BUCKET, Body=source, Key=prefix + "in.png", PicOperations=pic_operations(rules)
    )
    assert response["x-cos-request-id"]
    _, stored = fetch(client, prefix + "sr.png")
    assert decode(stored).size == (40, 40)


# ------------------------------------------------------------------------------------------
# Processing in the cloud.


@pytest.mark.parametrize("is_pic_info", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_cloud_ci_image_process(client, prefix, case, is_pic_info):
    source = case.make_source()
    key = prefix + "stored/original"
    etag = put(client, key, source)
    rules = [{"fileid": f"/{prefix}processed/result", "rule": case.rule()}]
    headers, result = client.ci_image_process(
        Bucket=BUCKET, Key=key, PicOperations=pic_operations(rules, is_pic_info)
    )
    assert headers["Content-Type"] == "application/xml"
    assert_original(result["OriginalInfo"], key, etag, source if is_pic_info else None)
    [obj] = objects(result)
    assert_stored_result(client, obj, case, source, prefix + "processed/result")
    # The original is left as it was.
    assert client.head_object(Bucket=BUCKET, Key=key)["ETag"] == etag


def test_cloud_result_into_the_same_key(client, prefix):
    # A rule may overwrite its own source: afterwards the key holds the processed image.
    key = prefix + "replace.png"
    etag = put(client, key, textured(12, 8))
    rules = [{"fileid": f"/{key}", "rule": "ci-process=AISuperResolution&magnify=2"}]
    _, result = client.ci_image_process(Bucket=BUCKET, Key=key, PicOperations=pic_operations(rules))
    assert result["OriginalInfo"]["ETag"] == etag
    headers, stored = fetch(client, key)
    assert headers["ETag"] == objects(result)[0]["ETag"] != etag
    assert decode(stored).size == (24, 16)


# ------------------------------------------------------------------------------------------
# Plain object calls, odd keys, temporary credentials and pre-signed URLs.


def test_object_round_trip(cos, prefix):
    data = b"plain bytes, not an image\n" * 100
    key = prefix + "notes.txt"
    response = cos.put_object(Bucket=BUCKET, Body=data, Key=key, ContentType="text/plain")
    etag = response["ETag"]
    assert etag == md5_etag(data)
    assert response["x-cos-request-id"]

    head = cos.head_object(Bucket=BUCKET, Key=key)
    assert head["ETag"] == etag
    assert int(head["Content-Length"]) == len(data)
    assert head["Content-Type"] == "text/plain"
    assert head["Last-Modified"]

    headers, body = fetch(cos, key)
    assert body == data and headers["ETag"] == etag

    ranged = cos.get_object(Bucket=BUCKET, Key=key, Range="bytes=10-19")
    assert ranged["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert read_stream(ranged["Body"]) == data[10:20]

    cos.delete_object(Bucket=BUCKET, Key=key)
    error = service_error(cos.head_object, Bucket=BUCKET, Key=key)
    # HEAD has no body: the SDK makes up NoSuchResource from the 404 and the headers.
    assert error.get_status_code() == 404
    assert error.get_error_code() == "NoSuchResource"
    assert error.get_request_id()
    assert_error(service_error(cos.get_object, Bucket=BUCKET, Key=key), 404, "NoSuchKey", key)


WEIRD_KEYS = [
    "目录/照片 1.png",
    "spaces and+plus/a+b c.png",
    "dots/./sub/../x.png",
    "punct/My Photo+(1)&x=y~!*'$,;@.png",
    "percent/100%25 real %.png",
]


@pytest.mark.parametrize("suffix", WEIRD_KEYS)
def test_weird_keys(client, prefix, suffix):
    key = prefix + suffix
    source = textured(8, 6)
    etag = put(client, key, source)
    assert client.head_object(Bucket=BUCKET, Key=key)["ETag"] == etag
    _, stored = fetch(client, key)
    assert stored == source
    # Processing signs and addresses the same key.
    assert decode(client.ci_process(Bucket=BUCKET, Key=key, CiProcess="AISuperResolution")).size == (16, 12)
    headers, body = client.cos_ai_image_coloring(Bucket=BUCKET, ObjectKey=key)
    assert decode(read_stream(body)).size == (8, 6)
    # ... and so does cloud processing into an odd destination (without dot segments, which
    # the mock refuses in a fileid).
    dest = prefix + "out/" + suffix.replace("/", " ")
    rules = [{"fileid": "/" + dest, "rule": "ci-process=AIEnhanceImage&denoise=2&sharpen=0"}]
    _, result = client.ci_image_process(Bucket=BUCKET, Key=key, PicOperations=pic_operations(rules))
    assert result["OriginalInfo"]["Key"] == key
    [obj] = objects(result)
    assert obj["Key"] == dest
    assert fetch(client, dest)[0]["ETag"] == obj["ETag"]
    client.delete_object(Bucket=BUCKET, Key=key)
    assert service_error(client.head_object, Bucket=BUCKET, Key=key).get_status_code() == 404


def test_temporary_credentials(make_client, prefix):
    # Token= adds x-cos-security-token to every request, and the SDK signs it.
    client = make_client(Token="temporary-session-token")
    key = prefix + "t.png"
    put(client, key, textured(6, 4))
    headers, body = client.cos_ai_pic_matting(Bucket=BUCKET, ObjectKey=key, PaddingLayout="1x1")
    assert decode(read_stream(body)).size == (8, 6)


def test_presigned_processing_url(client, prefix):
    key = prefix + "presign me.png"
    put(client, key, textured(10, 6))
    url = client.get_presigned_url(
        Bucket=BUCKET,
        Key=key,
        Method="GET",
        Params={"ci-process": "AISuperResolution", "magnify": "4"},
    )
    response = requests.get(url, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    assert decode(response.content).size == (40, 24)

    # The processing parameters are signed: changing one breaks the signature.
    tampered = requests.get(url.replace("magnify=4", "magnify=2"), timeout=REQUEST_TIMEOUT)
    assert tampered.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in tampered.text


def test_presigned_download_url(client, prefix):
    key = prefix + "目录/plain+file.png"
    data = textured(5, 5)
    put(client, key, data)
    url = client.get_presigned_download_url(Bucket=BUCKET, Key=key, Expired=120)
    response = requests.get(url, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.content == data
    assert response.headers["ETag"] == md5_etag(data)


# ------------------------------------------------------------------------------------------
# Errors the SDK must be able to read.


def test_bad_signature(make_client, client, prefix):
    key = prefix + "x.png"
    source = textured(6, 6)
    put(client, key, source)
    bad = make_client(secret_key="not-the-secret")
    calls = [
        lambda: bad.get_object(Bucket=BUCKET, Key=key),
        lambda: bad.ci_process(Bucket=BUCKET, Key=key, CiProcess="AIImageColoring"),
        lambda: bad.cos_ai_enhance_image(Bucket=BUCKET, ObjectKey=key),
        lambda: bad.ci_image_process(
            Bucket=BUCKET,
            Key=key,
            PicOperations=pic_operations([{"fileid": "/" + prefix + "no.png", "rule": "ci-process=AIImageColoring"}]),
        ),
        lambda: bad.ci_put_object(
            Bucket=BUCKET,
            Body=source,
            Key=prefix + "never.png",
            PicOperations=pic_operations([{"fileid": "/" + prefix + "no.png", "rule": "ci-process=AIImageColoring"}]),
        ),
        lambda: bad.put_object(Bucket=BUCKET, Body=b"x", Key=prefix + "never.png"),
        lambda: bad.delete_object(Bucket=BUCKET, Key=key),
    ]
    for call in calls:
        assert_error(service_error(call), 403, "SignatureDoesNotMatch")
    # HEAD answers carry no body, so all the SDK can report is the status.
    assert service_error(bad.head_object, Bucket=BUCKET, Key=key).get_status_code() == 403
    # Nothing was written or deleted.
    assert fetch(client, key)[1] == source
    for never in ("never.png", "no.png"):
        assert service_error(client.head_object, Bucket=BUCKET, Key=prefix + never).get_status_code() == 404


def test_unknown_secret_id(make_client, prefix):
    stranger = make_client(secret_id="AKIDNOBODY")
    error = service_error(stranger.get_object, Bucket=BUCKET, Key=prefix + "x.png")
    assert_error(error, 403, "InvalidAccessKeyId")


OUT_OF_RANGE = [
    pytest.param(lambda c, k: c.ci_process(Bucket=BUCKET, Key=k, CiProcess="AISuperResolution", Params={"magnify": "3"}), id="magnify=3"),
    pytest.param(lambda c, k: c.cos_ai_enhance_image(Bucket=BUCKET, ObjectKey=k, Denoise=9), id="denoise=9"),
    pytest.param(lambda c, k: c.cos_ai_enhance_image(Bucket=BUCKET, ObjectKey=k, Sharpen=-1), id="sharpen=-1"),
    pytest.param(lambda c, k: c.cos_ai_pic_matting(Bucket=BUCKET, ObjectKey=k, PaddingLayout="1001x0"), id="padding-layout=1001x0"),
    pytest.param(lambda c, k: c.cos_ai_pic_matting(Bucket=BUCKET, ObjectKey=k, CenterLayout=2), id="center-layout=2"),
]


@pytest.mark.parametrize("call", OUT_OF_RANGE)
def test_out_of_range_download(client, prefix, call):
    key = prefix + "x.png"
    put(client, key, textured(6, 6))
    assert_error(service_error(call, client, key), 400, "InvalidArgument", key)


@pytest.mark.parametrize(
    "rule",
    [
        "ci-process=AISuperResolution&magnify=3",
        "ci-process=AIEnhanceImage&denoise=9",
        "ci-process=AIPicMatting&padding-layout=20x1001",
    ],
)
def test_out_of_range_upload_and_cloud(client, prefix, rule):
    source = textured(6, 6)
    dest = prefix + "result.png"
    # Upon upload: refused, and neither the original nor a result is stored.
    key = prefix + "upload.png"
    ops = pic_operations([{"fileid": "/" + dest, "rule": "ci-process=AIImageColoring"}, {"fileid": "/" + dest, "rule": rule}])
    error = service_error(client.ci_put_object, Bucket=BUCKET, Body=source, Key=key, PicOperations=ops)
    assert_error(error, 400, "InvalidArgument", key)
    for never in (key, dest):
        assert service_error(client.head_object, Bucket=BUCKET, Key=never).get_status_code() == 404
    # In the cloud: refused, and no result is stored.
    key = prefix + "cloud.png"
    put(client, key, source)
    error = service_error(client.ci_image_process, Bucket=BUCKET, Key=key, PicOperations=ops)
    assert_error(error, 400, "InvalidArgument", key)
    assert service_error(client.head_object, Bucket=BUCKET, Key=dest).get_status_code() == 404


def test_too_many_rules(client, prefix):
    key = prefix + "x.png"
    put(client, key, textured(6, 6))
    rules = [{"fileid": f"/{prefix}r{i}.png", "rule": "ci-process=AIImageColoring"} for i in range(6)]
    error = service_error(client.ci_image_process, Bucket=BUCKET, Key=key, PicOperations=pic_operations(rules))
    assert error.get_status_code() == 400 and error.get_request_id()
    assert service_error(client.head_object, Bucket=BUCKET, Key=f"{prefix}r0.png").get_status_code() == 404


def test_missing_key(client, prefix):
    key = prefix + "does/not exist.png"
    rules = pic_operations([{"fileid": "/" + prefix + "out.png", "rule": "ci-process=AIImageColoring"}])
    calls = [
        lambda: client.get_object(Bucket=BUCKET, Key=key),
        lambda: client.ci_process(Bucket=BUCKET, Key=key, CiProcess="AISuperResolution", Params={"magnify": "2"}),
        lambda: client.cos_ai_image_coloring(Bucket=BUCKET, ObjectKey=key),
        lambda: client.cos_ai_enhance_image(Bucket=BUCKET, ObjectKey=key),
        lambda: client.cos_ai_pic_matting(Bucket=BUCKET, ObjectKey=key, PaddingLayout="2x2"),
        lambda: client.ci_super_resolution_process(Bucket=BUCKET, Key=key),
        lambda: client.ci_image_process(Bucket=BUCKET, Key=key, PicOperations=rules),
    ]
    for call in calls:
        assert_error(service_error(call), 404, "NoSuchKey", key)


@pytest.mark.parametrize(
    "detect_url",
    [
        "http://www.example.com/abc.jpg",
        # Encoded by the caller, and as the SDK's docstrings show it (http%25253A...): the
        # SDK encodes it once more on the wire.
        "http%3A%2F%2Fwww.example.com%2Fabc.jpg",
        "http%25253A%25252F%25252Fwww.example.com%25252Fabc.jpg",
    ],
)
def test_detect_url_refused_by_default(client, detect_url):
    # The defaults allow no detect-url host. The refusal is about the host, so the URL was
    # decoded; it comes as a full COS error, and the bucket-root request (signed path "/")
    # passed signature checking.
    for call in (
        lambda: client.cos_ai_image_coloring(Bucket=BUCKET, DetectUrl=detect_url),
        lambda: client.ci_super_resolution_process(Bucket=BUCKET, Url=detect_url),
    ):
        error = service_error(call)
        assert_error(error, 403, "AccessDenied")
        assert error.get_resource_location() == f"{HOST}/"
        assert '"www.example.com"' in error.get_error_msg()


def test_response_headers_spelled_as_cos_spells_them(client, prefix):
    # The SDK copies headers into a plain dict: ci_process finds the image only under
    # 'Content-Type', and callers read response['ETag'] and response['x-cos-request-id'].
    key = prefix + "x.png"
    response = client.put_object(Bucket=BUCKET, Body=textured(4, 4), Key=key)
    assert {"ETag", "x-cos-request-id", "Content-Length"} <= set(response)
    headers, _ = client.ci_process(Bucket=BUCKET, Key=key, CiProcess="AIImageColoring", NeedHeader=True)
    assert {"Content-Type", "Content-Length", "x-cos-request-id"} <= set(headers)
