'use strict';
// The official Node SDK (cos-nodejs-sdk-v5, unmodified) against cos-ci-mock as an object
// store: getBucket (listing), sliceUploadFile and uploadFile (multipart, parts in parallel),
// putObjectCopy and deleteMultipleObject, in both of the SDK's local modes (see support.js).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { after, before, describe, test } = require('node:test');

const {
  BUCKET,
  MODES,
  REGION,
  bytes,
  call,
  client,
  md5ETag,
  multipartETag,
  sdkError,
  split,
  startMock,
  tempFile,
} = require('./support');

const MiB = 1024 * 1024;

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

/** Every key under `prefix`, following NextMarker page by page with `MaxKeys` per page. */
async function listAll(cos, params, pages = []) {
  const keys = [];
  let marker = '';
  for (;;) {
    const page = await call(cos, 'getBucket', { ...params, Marker: marker });
    pages.push(page);
    keys.push(...page.Contents.map((c) => c.Key));
    if (page.IsTruncated !== 'true') return keys;
    assert.ok(page.NextMarker, 'a truncated page names its NextMarker');
    assert.ok(pages.length < 100, 'listing does not end');
    marker = page.NextMarker;
  }
}

/** `keys` sorted as COS sorts them: by their UTF-8 bytes. */
const utf8Order = (keys) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

async function putAll(cos, prefix, names) {
  const bodies = {};
  for (const name of names) {
    bodies[prefix + name] = Buffer.from(`body of ${name}`);
    await call(cos, 'putObject', { Key: prefix + name, Body: bodies[prefix + name] });
  }
  return bodies;
}

/** Keys that a text sort and a UTF-8 byte sort put in different orders (U+FF5E vs U+1F600). */
const NAMES = ['a.txt', 'b/1.txt', 'b/2.txt', 'c/d/e.txt', 'z.txt', 'é.txt', '～.txt', '😀.txt', 'b+c.txt'];

for (const mode of MODES) {
  describe(`${mode} mode`, () => {
    const prefix = `node/store/${mode}/`;
    let cos;
    before(() => {
      cos = client(mock, mode);
    });

    test(
      'getBucket lists keys under a prefix in UTF-8 byte order with their metadata',
      withLog(async () => {
        const p = `${prefix}list/`;
        const bodies = await putAll(cos, p, NAMES);
        const page = await call(cos, 'getBucket', { Prefix: p });
        assert.equal(page.statusCode, 200);
        assert.equal(page.Name, BUCKET);
        assert.equal(page.Prefix, p);
        assert.equal(page.IsTruncated, 'false');
        assert.equal(page.MaxKeys, '1000');
        assert.deepEqual(
          page.Contents.map((c) => c.Key),
          utf8Order(Object.keys(bodies))
        );
        for (const entry of page.Contents) {
          const body = bodies[entry.Key];
          assert.equal(entry.Size, String(body.length));
          assert.equal(entry.ETag, md5ETag(body));
          assert.equal(entry.StorageClass, 'STANDARD');
          assert.ok(!Number.isNaN(Date.parse(entry.LastModified)), entry.LastModified);
        }
        assert.deepEqual(page.CommonPrefixes, []);
      })
    );

    test(
      'getBucket with a delimiter rolls keys up into CommonPrefixes',
      withLog(async () => {
        const p = `${prefix}delimiter/`;
        await putAll(cos, p, NAMES);
        const page = await call(cos, 'getBucket', { Prefix: p, Delimiter: '/' });
        assert.equal(page.Delimiter, '/');
        assert.deepEqual(
          page.Contents.map((c) => c.Key),
          utf8Order(NAMES.filter((n) => !n.includes('/')).map((n) => p + n))
        );
        assert.deepEqual(
          page.CommonPrefixes.map((c) => c.Prefix),
          [`${p}b/`, `${p}c/`]
        );
        const inner = await call(cos, 'getBucket', { Prefix: `${p}c/`, Delimiter: '/' });
        assert.deepEqual(inner.Contents, []);
        assert.deepEqual(
          inner.CommonPrefixes.map((c) => c.Prefix),
          [`${p}c/d/`]
        );
      })
    );

    test(
      'getBucket pages with MaxKeys, IsTruncated and NextMarker',
      withLog(async () => {
        const p = `${prefix}pages/`;
        const bodies = await putAll(cos, p, NAMES);
        const pages = [];
        const keys = await listAll(cos, { Prefix: p, MaxKeys: 2 }, pages);
        assert.deepEqual(keys, utf8Order(Object.keys(bodies)));
        assert.equal(pages.length, Math.ceil(NAMES.length / 2));
        for (const page of pages.slice(0, -1)) {
          assert.equal(page.Contents.length, 2);
          assert.equal(page.IsTruncated, 'true');
          assert.equal(page.MaxKeys, '2');
        }
        // A marker starts the listing after it, whether or not the marker is a key.
        const after = await call(cos, 'getBucket', { Prefix: p, Marker: `${p}b/1.txt` });
        assert.equal(after.Contents[0].Key, `${p}b/2.txt`);
        const between = await call(cos, 'getBucket', { Prefix: p, Marker: `${p}b/` });
        assert.equal(between.Contents[0].Key, `${p}b/1.txt`);
      })
    );

    test(
      'getBucket with EncodingType url percent-encodes the keys it returns',
      withLog(async () => {
        const p = `${prefix}encoded/`;
        await putAll(cos, p, ['é x.txt']);
        const page = await call(cos, 'getBucket', { Prefix: p, EncodingType: 'url' });
        assert.equal(page.EncodingType, 'url');
        assert.equal(page.Contents.length, 1);
        assert.equal(decodeURIComponent(page.Contents[0].Key), `${p}é x.txt`);
        assert.notEqual(page.Contents[0].Key, `${p}é x.txt`);
      })
    );

    test(
      'sliceUploadFile sends a 25 MiB file as parts in parallel; the object reads back whole',
      withLog(async () => {
        const key = `${prefix}slice/big.bin`;
        const chunk = 4 * MiB;
        const data = bytes(25 * MiB + 12_345, 25);
        const file = tempFile(data);
        const progress = [];
        const done = await call(cos, 'sliceUploadFile', {
          Key: key,
          FilePath: file,
          ChunkSize: chunk,
          AsyncLimit: 4,
          onProgress: (p) => progress.push(p.loaded),
        });
        assert.equal(done.statusCode, 200);
        const parts = split(data, chunk);
        assert.equal(parts.length, 7);
        assert.equal(done.ETag, multipartETag(parts));
        assert.equal(done.Key, key);
        assert.equal(progress.at(-1), data.length);

        const head = await call(cos, 'headObject', { Key: key });
        assert.equal(head.headers['content-length'], String(data.length));
        assert.equal(head.ETag, multipartETag(parts));
        const got = await call(cos, 'getObject', { Key: key });
        assert.ok(got.Body.equals(data), 'the assembled object differs from the file');
        // Completing the upload ends it: nothing is left to resume.
        const uploads = await call(cos, 'multipartList', { Prefix: key });
        assert.deepEqual(uploads.Upload || [], []);
      })
    );

    test(
      'sliceUploadFile resumes an upload whose first parts are already there',
      withLog(async () => {
        const key = `${prefix}resume/file.bin`;
        const chunk = 1 * MiB;
        const data = bytes(3 * MiB + 10, 33);
        const parts = split(data, chunk);
        const init = await call(cos, 'multipartInit', { Key: key });
        assert.ok(init.UploadId);
        const first = await call(cos, 'multipartUpload', {
          Key: key,
          UploadId: init.UploadId,
          PartNumber: 1,
          Body: parts[0],
        });
        assert.equal(first.ETag, md5ETag(parts[0]));
        const listed = await call(cos, 'multipartListPart', { Key: key, UploadId: init.UploadId });
        const listedParts = [].concat(listed.Part || []);
        assert.deepEqual(
          listedParts.map((p) => [p.PartNumber, p.ETag, p.Size]),
          [['1', md5ETag(parts[0]), String(parts[0].length)]]
        );

        // The SDK finds the upload with ListMultipartUploads and ListParts and sends the rest.
        const done = await call(cos, 'sliceUploadFile', { Key: key, FilePath: tempFile(data), ChunkSize: chunk });
        assert.equal(done.UploadId, init.UploadId);
        assert.equal(done.ETag, multipartETag(parts));
        const got = await call(cos, 'getObject', { Key: key });
        assert.ok(got.Body.equals(data));
      })
    );

    test(
      'uploadFile puts a small file in one request and a large one in parts',
      withLog(async () => {
        const small = bytes(200_000, 41);
        const large = bytes(5 * MiB + 1, 42);
        const smallDone = await call(cos, 'uploadFile', {
          Key: `${prefix}upload/small.bin`,
          FilePath: tempFile(small),
          SliceSize: 1 * MiB,
        });
        assert.equal(smallDone.ETag, md5ETag(small));
        const largeDone = await call(cos, 'uploadFile', {
          Key: `${prefix}upload/large.bin`,
          FilePath: tempFile(large),
          SliceSize: 1 * MiB,
          ChunkSize: 2 * MiB,
        });
        assert.equal(largeDone.ETag, multipartETag(split(large, 2 * MiB)));
        for (const [name, body] of [
          ['small', small],
          ['large', large],
        ]) {
          const got = await call(cos, 'getObject', { Key: `${prefix}upload/${name}.bin` });
          assert.ok(got.Body.equals(body), name);
        }
      })
    );

    test(
      'putObjectCopy copies bytes and metadata, or replaces the metadata',
      withLog(async () => {
        const source = `${prefix}copy/source é.txt`;
        const body = bytes(100_000, 51);
        await call(cos, 'putObject', {
          Key: source,
          Body: body,
          ContentType: 'text/plain',
          Headers: { 'x-cos-meta-origin': 'node' },
        });
        const copySource = `${BUCKET}.cos.${REGION}.myqcloud.com/${encodeURIComponent(source).replace(/%2F/g, '/')}`;

        const copied = await call(cos, 'putObjectCopy', { Key: `${prefix}copy/copy.txt`, CopySource: copySource });
        assert.equal(copied.statusCode, 200);
        assert.equal(copied.ETag, md5ETag(body));
        assert.ok(!Number.isNaN(Date.parse(copied.LastModified)), copied.LastModified);
        const head = await call(cos, 'headObject', { Key: `${prefix}copy/copy.txt` });
        assert.equal(head.headers['content-type'], 'text/plain');
        assert.equal(head.headers['x-cos-meta-origin'], 'node');
        const got = await call(cos, 'getObject', { Key: `${prefix}copy/copy.txt` });
        assert.ok(got.Body.equals(body));

        await call(cos, 'putObjectCopy', {
          Key: `${prefix}copy/replaced.txt`,
          CopySource: copySource,
          MetadataDirective: 'Replaced',
          ContentType: 'application/octet-stream',
          Headers: { 'x-cos-meta-origin': 'replaced' },
        });
        const replaced = await call(cos, 'headObject', { Key: `${prefix}copy/replaced.txt` });
        assert.equal(replaced.headers['content-type'], 'application/octet-stream');
        assert.equal(replaced.headers['x-cos-meta-origin'], 'replaced');
        assert.equal(replaced.ETag, md5ETag(body));
      })
    );

    test(
      'putObjectCopy of a missing source is NoSuchKey',
      withLog(async () => {
        const err = await sdkError(
          call(cos, 'putObjectCopy', {
            Key: `${prefix}copy/nothing.txt`,
            CopySource: `${BUCKET}.cos.${REGION}.myqcloud.com/${prefix}copy/absent.txt`,
          })
        );
        assert.equal(err.statusCode, 404);
        assert.equal(err.code, 'NoSuchKey');
      })
    );

    test(
      'deleteMultipleObject deletes the listed keys and reports each one',
      withLog(async () => {
        const p = `${prefix}delete/`;
        const bodies = await putAll(cos, p, ['1.txt', '2.txt', '3 é.txt', 'keep.txt']);
        const doomed = [`${p}1.txt`, `${p}2.txt`, `${p}3 é.txt`, `${p}never-existed.txt`];
        const res = await call(cos, 'deleteMultipleObject', { Objects: doomed.map((Key) => ({ Key })) });
        assert.equal(res.statusCode, 200);
        // Deleting a key that does not exist succeeds too, as in COS.
        assert.deepEqual(res.Deleted.map((d) => d.Key).sort(), [...doomed].sort());
        assert.deepEqual(res.Error, []);
        const left = await call(cos, 'getBucket', { Prefix: p });
        assert.deepEqual(
          left.Contents.map((c) => c.Key),
          [`${p}keep.txt`]
        );
        assert.ok(bodies[`${p}keep.txt`]);

        // Quiet mode answers only the failures: none here.
        const quiet = await call(cos, 'deleteMultipleObject', { Objects: [{ Key: `${p}keep.txt` }], Quiet: true });
        assert.deepEqual(quiet.Deleted, []);
        assert.deepEqual(quiet.Error, []);
        const err = await sdkError(call(cos, 'headObject', { Key: `${p}keep.txt` }));
        assert.equal(err.statusCode, 404);
      })
    );
  });
}
