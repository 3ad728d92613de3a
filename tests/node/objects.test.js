'use strict';
// The official Node SDK (cos-nodejs-sdk-v5, unmodified) against cos-ci-mock: plain object
// calls and the image-processing calls the Node SDK can make (it has no CI helpers):
//   download  getObject with Query {'ci-process': ...}
//   upload    putObject with a Pic-Operations header
//   cloud     request({Method: 'POST', Action: 'image_process'}) with a Pic-Operations header
// in both of the SDK's local modes (see support.js).

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');

const { HOST, MODES, bytes, call, client, md5ETag, pngSize, sdkError, startMock, texturedPng } = require('./support');

let mock;
before(async () => {
  mock = await startMock();
});
after(async () => {
  if (mock) await mock.stop();
});

/** Adds the end of the mock's log to a failing test's error. */
function withLog(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      e.message += `\n--- cos-ci-mock stderr (tail) ---\n${mock ? mock.logTail() : ''}`;
      throw e;
    }
  };
}

const pic = (rules) => JSON.stringify({ is_pic_info: 1, rules });

for (const mode of MODES) {
  describe(`${mode} mode`, () => {
    const prefix = `node/objects/${mode}/`;
    let cos;
    before(() => {
      cos = client(mock, mode);
    });

    test(
      'putObject, headObject, getObject and deleteObject round-trip an object',
      withLog(async () => {
        const key = `${prefix}round trip/données+1.bin`;
        const data = bytes(70_000, 7);
        const put = await call(cos, 'putObject', { Key: key, Body: data, ContentType: 'application/x-test' });
        assert.equal(put.statusCode, 200);
        assert.equal(put.ETag, md5ETag(data));

        const head = await call(cos, 'headObject', { Key: key });
        assert.equal(head.statusCode, 200);
        assert.equal(head.headers['content-length'], String(data.length));
        assert.equal(head.headers['content-type'], 'application/x-test');
        assert.equal(head.ETag, md5ETag(data));

        const got = await call(cos, 'getObject', { Key: key });
        assert.equal(got.statusCode, 200);
        assert.ok(Buffer.isBuffer(got.Body));
        assert.ok(got.Body.equals(data), 'getObject returned other bytes');

        const range = await call(cos, 'getObject', { Key: key, Range: 'bytes=100-199' });
        assert.equal(range.statusCode, 206);
        assert.ok(range.Body.equals(data.subarray(100, 200)));

        const del = await call(cos, 'deleteObject', { Key: key });
        assert.equal(del.statusCode, 204);
        const gone = await sdkError(call(cos, 'headObject', { Key: key }));
        assert.equal(gone.statusCode, 404);
      })
    );

    test(
      'a missing key is a NoSuchKey error the SDK can read',
      withLog(async () => {
        const key = `${prefix}missing.png`;
        const err = await sdkError(call(cos, 'getObject', { Key: key }));
        assert.equal(err.statusCode, 404);
        assert.equal(err.code, 'NoSuchKey');
        assert.ok(err.message);
        assert.ok(err.RequestId || (err.headers && err.headers['x-cos-request-id']));
      })
    );

    test(
      'a wrong SecretKey is SignatureDoesNotMatch',
      withLog(async () => {
        const bad = client(mock, mode, { SecretKey: 'not-the-secret' });
        const err = await sdkError(call(bad, 'getObject', { Key: `${prefix}whatever` }));
        assert.equal(err.statusCode, 403);
        assert.equal(err.code, 'SignatureDoesNotMatch');
      })
    );

    test(
      'download processing: getObject with ci-process in the query',
      withLog(async () => {
        const key = `${prefix}download/photo.png`;
        const source = texturedPng(24, 16);
        await call(cos, 'putObject', { Key: key, Body: source });
        const got = await call(cos, 'getObject', {
          Key: key,
          Query: { 'ci-process': 'AISuperResolution', magnify: '4' },
        });
        assert.equal(got.statusCode, 200);
        assert.equal(got.headers['content-type'], 'image/png');
        assert.deepEqual(pngSize(got.Body), { width: 96, height: 64 });
        // Download processing leaves the stored object alone.
        const stored = await call(cos, 'getObject', { Key: key });
        assert.ok(stored.Body.equals(source));
      })
    );

    test(
      'upload processing: putObject with Pic-Operations stores the original and the result',
      withLog(async () => {
        const key = `${prefix}upload/photo.png`;
        const out = `${prefix}upload/photo-x2.png`;
        const source = texturedPng(20, 10);
        const put = await call(cos, 'putObject', {
          Key: key,
          Body: source,
          Headers: { 'Pic-Operations': pic([{ fileid: `/${out}`, rule: 'ci-process=AISuperResolution&magnify=2' }]) },
        });
        assert.equal(put.statusCode, 200);
        // The SDK hands back the parsed UploadResult next to the response headers.
        assert.equal(put.UploadResult.OriginalInfo.ETag, md5ETag(source));
        assert.equal(put.UploadResult.ProcessResults.Object.Key, out);
        const original = await call(cos, 'getObject', { Key: key });
        assert.ok(original.Body.equals(source));
        const result = await call(cos, 'getObject', { Key: out });
        assert.equal(result.headers['content-type'], 'image/png');
        assert.deepEqual(pngSize(result.Body), { width: 40, height: 20 });
      })
    );

    test(
      'cloud processing: POST ?image_process through request() answers an UploadResult',
      withLog(async () => {
        const key = `${prefix}cloud/photo.png`;
        const out = `${prefix}cloud/photo-x2.png`;
        const source = texturedPng(12, 8);
        await call(cos, 'putObject', { Key: key, Body: source });
        const res = await call(cos, 'request', {
          Method: 'POST',
          Key: key,
          Action: 'image_process',
          Headers: { 'Pic-Operations': pic([{ fileid: `/${out}`, rule: 'ci-process=AISuperResolution&magnify=2' }]) },
        });
        assert.equal(res.statusCode, 200);
        // request() parses the XML answer into the result itself.
        const result = res.UploadResult;
        assert.ok(result, `no UploadResult in ${JSON.stringify(res)}`);
        assert.equal(result.OriginalInfo.Key, key);
        assert.equal(result.OriginalInfo.ETag, md5ETag(source));
        const obj = result.ProcessResults.Object;
        assert.equal(obj.Key, out);
        assert.equal(obj.Location, `${HOST}/${out}`);
        assert.equal(obj.Format, 'png');
        assert.equal(`${obj.Width}x${obj.Height}`, '24x16');
        const stored = await call(cos, 'getObject', { Key: out });
        assert.equal(obj.ETag, md5ETag(stored.Body));
        assert.equal(Number(obj.Size), stored.Body.length);
        assert.deepEqual(pngSize(stored.Body), { width: 24, height: 16 });
      })
    );

    test(
      'out-of-range processing parameters are a 400 with COS error XML',
      withLog(async () => {
        const key = `${prefix}bad-params/photo.png`;
        await call(cos, 'putObject', { Key: key, Body: texturedPng(8, 8) });
        const err = await sdkError(
          call(cos, 'getObject', { Key: key, Query: { 'ci-process': 'AISuperResolution', magnify: '9' } })
        );
        assert.equal(err.statusCode, 400);
        assert.match(err.code, /^[A-Za-z]+$/, `no <Code> parsed from the error: ${JSON.stringify(err)}`);
      })
    );
  });
}
