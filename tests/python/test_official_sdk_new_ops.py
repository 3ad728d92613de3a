"""The official Python SDK's helpers for issue 10's new operations, against cos-ci-mock.

The nine operations of spec/drafts/ that cos-python-sdk-v5 has a helper for: detect-label,
DetectCar, detect-pet, face-effect, OCR, QRcode, IDCardOCR, ImageInspect, qrcode-generate.
Each test runs only once its operation's YAML is in spec/operations/ (the skip condition is
exactly that, per operation); from then on it must pass. Expectations follow the YAML: answers
against the node tree (spec_answers.py, the rules the mock's stand-in follows), base64 image
nodes decoded and checked as images, and out-of-range parameters as the COS error.
"""

import base64
import copy
import json

import pytest

import spec_answers
from conftest import BUCKET
from test_official_sdk import (
    assert_error,
    decode,
    fetch,
    md5_etag,
    objects,
    pic_operations,
    put,
    service_error,
    textured,
)
from test_official_sdk_ops import sent

WIDTH, HEIGHT = 37, 23


def served(op):
    """Runs the test only once `op` (its ci-process value) has its YAML in spec/operations/."""
    return pytest.mark.skipif(
        spec_answers.operation_file(op) is None,
        reason=f"operation's YAML not in spec/operations ({op})",
    )


def upload(client, prefix, name="photo.png", data=None):
    key = prefix + name
    put(client, key, textured(WIDTH, HEIGHT) if data is None else data)
    return key


def base64_image(text):
    """A base64 node's value decoded as an image (standard alphabet, as the SDK docs decode)."""
    assert text, "the base64 image node is empty"
    return decode(base64.b64decode(text, validate=True))


def without(answer, paths):
    """A copy of `answer` without the nodes at `paths` (`Parent/Child`)."""
    answer = copy.deepcopy(answer)
    for path in paths:
        *parents, last = path.split("/")
        holder = answer
        for name in parents:
            holder = holder.get(name) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            holder.pop(last, None)
    return answer


def assert_bad_parameter(error, name, key=None):
    """A 400 InvalidArgument whose message names the refused wire parameter."""
    assert_error(error, 400, "InvalidArgument", key)
    assert f" {name}: " in error.get_error_msg(), error.get_error_msg()


def assert_answer(op, answer, params=None, skip=()):
    """The SDK's decoded answer is the one the YAML prescribes; `skip`: nodes the caller
    checks itself (base64 images the mock computes)."""
    spec = spec_answers.operation(op)
    expected = spec_answers.expected_answer(spec, WIDTH, HEIGHT, params, skip)
    assert without(spec_answers.numbers_as_float(answer, spec), skip) == expected


def refuses_non_image(client, prefix, call):
    key = prefix + "notes.txt"
    client.put_object(Bucket=BUCKET, Body=b"plain text, not an image\n", Key=key)
    assert_error(service_error(call, key), 400, "InvalidImageFormat", key)


def detect_url_refused(call):
    # The helper sends detect-url; the mock's defaults allow no host, and say which one it read.
    error = service_error(call, "http://pictures.example.org/abc.jpg")
    assert_error(error, 403, "AccessDenied")
    assert '"pictures.example.org"' in error.get_error_msg()


# ------------------------------------------------------------------------------------------
# detect-label: ci_image_detect_label(Bucket, Key='', Scenes=None, DetectUrl=None) -> answer.


@served("detect-label")
def test_detect_label(client, prefix):
    key = upload(client, prefix)
    assert_answer("detect-label", client.ci_image_detect_label(Bucket=BUCKET, Key=key))
    # Several scenes, comma-separated as the docstring writes them (the SDK encodes the comma).
    answer = client.ci_image_detect_label(Bucket=BUCKET, Key=key, Scenes="web,camera")
    assert_answer("detect-label", answer, {"scenes": "web,camera"})


@served("detect-label")
def test_detect_label_scenes_checked(client, prefix):
    key = upload(client, prefix)
    values = spec_answers.operation("detect-label")["params"]["scenes"].get("values")
    call = lambda: client.ci_image_detect_label(Bucket=BUCKET, Key=key, Scenes="web,moon")
    if values:
        # A closed list (the draft's param-list proposal): a word outside it is refused.
        assert_bad_parameter(service_error(call), "scenes", key)
    else:
        assert isinstance(call(), dict)


@served("detect-label")
def test_detect_label_errors(client, prefix):
    refuses_non_image(client, prefix, lambda k: client.ci_image_detect_label(Bucket=BUCKET, Key=k))
    detect_url_refused(lambda u: client.ci_image_detect_label(Bucket=BUCKET, DetectUrl=u))


# ------------------------------------------------------------------------------------------
# DetectCar: ci_image_detect_car(Bucket, Key) -> answer; nested repeated nodes.


@served("DetectCar")
def test_detect_car(client, prefix):
    key = upload(client, prefix)
    answer = client.ci_image_detect_car(Bucket=BUCKET, Key=key)
    assert_answer("DetectCar", answer)
    # The nesting the SDK's parser must see: CarTags > PlateContent > PlateLocation.
    assert "X" in answer["CarTags"]["PlateContent"]["PlateLocation"]


@served("DetectCar")
def test_detect_car_errors(client, prefix):
    refuses_non_image(client, prefix, lambda k: client.ci_image_detect_car(Bucket=BUCKET, Key=k))


# ------------------------------------------------------------------------------------------
# detect-pet: cos_ai_detect_pet(Bucket, ObjectKey) -> (headers, answer).


@served("detect-pet")
def test_detect_pet(client, prefix):
    key = upload(client, prefix)
    headers, answer = client.cos_ai_detect_pet(Bucket=BUCKET, ObjectKey=key)
    assert headers["Content-Type"] == "application/xml"
    assert_answer("detect-pet", answer)


@served("detect-pet")
def test_detect_pet_errors(client, prefix):
    refuses_non_image(client, prefix, lambda k: client.cos_ai_detect_pet(Bucket=BUCKET, ObjectKey=k))


# ------------------------------------------------------------------------------------------
# face-effect: cos_ai_face_effect(Bucket, Type, ObjectKey, DetectUrl, Whitening=30, Smoothing=10,
# FaceLifting=70, EyeEnlarging=70, Gender, Age) -> (headers, answer). The helper always sends
# the four face-beautify strengths, whatever the type: the server must accept and ignore them.

FACE_EFFECTS = [
    pytest.param({"Type": "face-beautify"}, id="beautify-defaults"),
    pytest.param({"Type": "face-beautify", "Whitening": 70, "Smoothing": 80}, id="beautify"),
    pytest.param({"Type": "face-gender-transformation", "Gender": 1}, id="gender"),
    pytest.param({"Type": "face-age-transformation", "Age": 30}, id="age"),
]


@served("face-effect")
@pytest.mark.parametrize("kwargs", FACE_EFFECTS)
def test_face_effect(client, prefix, kwargs):
    key = upload(client, prefix)
    headers, answer = client.cos_ai_face_effect(Bucket=BUCKET, ObjectKey=key, **kwargs)
    assert headers["Content-Type"] == "application/xml"
    assert_answer("face-effect", answer, skip=("ResultImage", "ResultMask"))
    # The processed face, base64 inside the XML: an image of the input's size.
    assert base64_image(answer["ResultImage"]).size == (WIDTH, HEIGHT)


FACE_EFFECT_ERRORS = [
    pytest.param("type", {"Type": "cartoon"}, id="type=cartoon"),
    pytest.param("whitening", {"Type": "face-beautify", "Whitening": 101}, id="whitening=101"),
    pytest.param("eyeEnlarging", {"Type": "face-beautify", "EyeEnlarging": -1}, id="eyeEnlarging=-1"),
    pytest.param("age", {"Type": "face-age-transformation", "Age": 9}, id="age=9"),
    pytest.param("age", {"Type": "face-age-transformation"}, id="age-missing"),
    pytest.param("gender", {"Type": "face-gender-transformation", "Gender": 2}, id="gender=2"),
    pytest.param("gender", {"Type": "face-gender-transformation"}, id="gender-missing"),
]


@served("face-effect")
@pytest.mark.parametrize("name,kwargs", FACE_EFFECT_ERRORS)
def test_face_effect_bad_parameter(client, prefix, name, kwargs):
    key = upload(client, prefix)
    error = service_error(client.cos_ai_face_effect, Bucket=BUCKET, ObjectKey=key, **kwargs)
    assert_bad_parameter(error, name, key)


@served("face-effect")
def test_face_effect_detect_url(client):
    detect_url_refused(lambda u: client.cos_ai_face_effect(Bucket=BUCKET, Type="face-beautify", DetectUrl=u))


# ------------------------------------------------------------------------------------------
# OCR: ci_ocr_process(Bucket, Key, Type='general', LanguageType='zh', Ispdf=False,
# PdfPagenumber=1, Isword=False, EnableWordPolygon=False) -> answer. It always sends every
# parameter, true/false as text, whatever the type.


@served("OCR")
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"Type": "accurate", "Isword": True}, id="accurate-isword"),
        pytest.param({"Type": "handwriting", "EnableWordPolygon": True}, id="handwriting"),
        pytest.param({"Type": "general", "LanguageType": "auto", "Ispdf": True, "PdfPagenumber": 2}, id="pdf"),
    ],
)
def test_ocr(client, prefix, kwargs):
    key = upload(client, prefix)
    assert_answer("OCR", client.ci_ocr_process(Bucket=BUCKET, Key=key, **kwargs))


@served("OCR")
@pytest.mark.parametrize(
    "name,kwargs",
    [
        pytest.param("type", {"Type": "handwritten"}, id="type=handwritten"),
        pytest.param("language-type", {"LanguageType": "klingon"}, id="language-type=klingon"),
    ],
)
def test_ocr_bad_parameter(client, prefix, name, kwargs):
    key = upload(client, prefix)
    error = service_error(client.ci_ocr_process, Bucket=BUCKET, Key=key, **kwargs)
    assert_bad_parameter(error, name, key)


@served("OCR")
def test_ocr_refuses_a_non_image(client, prefix):
    refuses_non_image(client, prefix, lambda k: client.ci_ocr_process(Bucket=BUCKET, Key=k))


# ------------------------------------------------------------------------------------------
# QRcode: ci_get_object_qrcode(Bucket, Key, Cover, BarType=0) -> (headers, answer) during
# download; ci_put_object_from_local_file_and_get_qrcode with a `QRcode/cover/<n>` rule upon
# upload, answering UploadResult with CodeStatus and QRcodeInfo in the processed object.


@served("QRcode")
@pytest.mark.parametrize("bar_type", [0, 1, 2])
def test_qrcode_read(client, prefix, bar_type):
    key = upload(client, prefix)
    headers, answer = client.ci_get_object_qrcode(Bucket=BUCKET, Key=key, Cover=0, BarType=bar_type)
    assert headers["Content-Type"] == "application/xml"
    assert_answer("QRcode", answer, skip=("ResultImage",))


@served("QRcode")
def test_qrcode_cover(client, prefix):
    # cover=1 answers the image with the codes covered, base64: the input's size.
    key = upload(client, prefix)
    _, answer = client.ci_get_object_qrcode(Bucket=BUCKET, Key=key, Cover=1)
    assert_answer("QRcode", answer, skip=("ResultImage",))
    assert base64_image(answer["ResultImage"]).size == (WIDTH, HEIGHT)


@served("QRcode")
@pytest.mark.parametrize(
    "name,kwargs",
    [("cover", {"Cover": 2}), ("bar-type", {"Cover": 0, "BarType": 3})],
    ids=["cover=2", "bar-type=3"],
)
def test_qrcode_bad_parameter(client, prefix, name, kwargs):
    key = upload(client, prefix)
    error = service_error(client.ci_get_object_qrcode, Bucket=BUCKET, Key=key, **kwargs)
    assert_bad_parameter(error, name, key)


@served("QRcode")
@pytest.mark.parametrize("cover", [0, 1])
# CodeStatus and QRcodeInfo are QRcode's additions to each ProcessResults/Object
# (spec/operations/qrcode.yaml `output.upload_result`).
def test_qrcode_upon_upload(client, prefix, tmp_path, cover):
    source = textured(WIDTH, HEIGHT)
    local = tmp_path / "code.png"
    local.write_bytes(source)
    key, result_key = prefix + "in.png", prefix + "qr.png"
    rules = [{"fileid": "/" + result_key, "rule": f"QRcode/cover/{cover}"}]
    headers, result = client.ci_put_object_from_local_file_and_get_qrcode(
        Bucket=BUCKET, LocalFilePath=str(local), Key=key, PicOperations=pic_operations(rules)
    )
    assert headers["Content-Type"] == "application/xml"
    assert result["OriginalInfo"]["ETag"] == md5_etag(source)
    [obj] = objects(result)
    assert obj["Key"] == result_key
    # The operation's nodes added to the processed object, filled as in the download answer.
    expected = spec_answers.expected_answer(spec_answers.operation("QRcode"), WIDTH, HEIGHT)
    assert obj["CodeStatus"] == expected["CodeStatus"]
    assert obj["QRcodeInfo"] == expected["QRcodeInfo"]
    # The stored result is an image of the input's size (covered with cover=1).
    headers, stored = fetch(client, result_key)
    assert obj["ETag"] == headers["ETag"] and int(obj["Size"]) == len(stored)
    assert decode(stored).size == (WIDTH, HEIGHT)
    assert fetch(client, key)[1] == source


# ------------------------------------------------------------------------------------------
# IDCardOCR: cos_ai_id_card_ocr(Bucket, ObjectKey, CardSide=None, Config=None) -> (headers,
# answer); Config is JSON text sent as given.


@served("IDCardOCR")
def test_id_card_ocr(client, prefix):
    key = upload(client, prefix)
    headers, answer = client.cos_ai_id_card_ocr(Bucket=BUCKET, ObjectKey=key, CardSide="FRONT")
    assert headers["Content-Type"] == "application/xml"
    assert_answer("IDCardOCR", answer, skip=("AdvancedInfo",))


@served("IDCardOCR")
def test_id_card_ocr_crops(client, prefix):
    # CropIdCard and CropPortrait ask for the crops, base64 images in AdvancedInfo.
    key = upload(client, prefix)
    config = json.dumps({"CropIdCard": True, "CropPortrait": True})
    _, answer = client.cos_ai_id_card_ocr(Bucket=BUCKET, ObjectKey=key, Config=config)
    assert_answer("IDCardOCR", answer, skip=("AdvancedInfo",))
    for node in ("IdCard", "Portrait"):
        crop = base64_image(answer["AdvancedInfo"][node])
        assert 0 < crop.width <= WIDTH and 0 < crop.height <= HEIGHT


@served("IDCardOCR")
@pytest.mark.parametrize(
    "name,kwargs",
    [("CardSide", {"CardSide": "MIDDLE"}), ("Config", {"Config": "{CropIdCard: yes"})],
    ids=["CardSide=MIDDLE", "Config-not-json"],
)
def test_id_card_ocr_bad_parameter(client, prefix, name, kwargs):
    key = upload(client, prefix)
    error = service_error(client.cos_ai_id_card_ocr, Bucket=BUCKET, ObjectKey=key, **kwargs)
    assert_bad_parameter(error, name, key)


# ------------------------------------------------------------------------------------------
# ImageInspect: ci_image_inspect(Bucket, Key) sends `GET /<key>?imageInspect` and returns the
# raw body; ci_process(CiProcess="ImageInspect") sends the documented form and parses JSON.


@served("ImageInspect")
def test_image_inspect(client, mock, prefix):
    key = upload(client, prefix)
    expected = spec_answers.expected_json(spec_answers.operation("ImageInspect"), WIDTH, HEIGHT)
    headers, raw = client.ci_image_inspect(Bucket=BUCKET, Key=key)
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(raw) == expected
    # The helper's own query form, which the mock serves as the same operation: the SDK passes
    # params={"imageInspect": ""}, which requests writes as `imageInspect=`.
    assert len(sent(mock, "/" + key, "imageInspect=")) == 1
    # The same operation by its ci-process value: the SDK decodes the JSON itself.
    assert client.ci_process(Bucket=BUCKET, Key=key, CiProcess="ImageInspect") == expected


@served("ImageInspect")
def test_image_inspect_refuses_a_non_image(client, prefix):
    refuses_non_image(client, prefix, lambda k: client.ci_image_inspect(Bucket=BUCKET, Key=k))


# ------------------------------------------------------------------------------------------
# qrcode-generate: ci_qrcode_generate(Bucket, QrcodeContent, Width, Mode=0) -> answer; no
# input object (GET /?ci-process=qrcode-generate).


@served("qrcode-generate")
@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("width", [120, 200])
def test_qrcode_generate(client, mode, width):
    answer = client.ci_qrcode_generate(
        Bucket=BUCKET, QrcodeContent="https://www.example.com/?a=1&b=二", Width=width, Mode=mode
    )
    # The docstring's own recipe: base64-decode ResultImage and save it as an image.
    image = base64_image(answer["ResultImage"])
    assert image.width == width
    if mode == 0:
        assert image.height == width


@served("qrcode-generate")
def test_qrcode_generate_bad_mode(client):
    error = service_error(client.ci_qrcode_generate, Bucket=BUCKET, QrcodeContent="x", Width=200, Mode=2)
    assert_bad_parameter(error, "mode")
